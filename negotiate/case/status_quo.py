"""The status quo: each issue's value with no agreement (CASE_FORMAT.md section 6).

`status_quo_values` checks a case's `status_quo:` and turns it into variable
values; `settle_reservations` gives every party whose `reservation` is
`status_quo` its utility there (a constant, computed from its own criteria).
Both are steps of `negotiate.case.resolve`; nothing here solves anything.
"""

from __future__ import annotations

from negotiate.case import expr

DEFAULT = "default"  # the key of a per-party issue's value for parties not listed


class StatusQuoReservation(float):
    """A reservation computed at the status quo: a float that remembers where it came from.

    The case writes it back as `status_quo` (see `Party`'s serializer), so a
    changed copy of the case (another target, another curve) computes it again.
    """

    from_status_quo = True

    def __repr__(self) -> str:
        return float.__repr__(self)


def status_quo_values(case, col, ranges: dict, fix) -> dict:
    """Variable key -> value at the status quo, for the issues it gives.

    `fix` is resolve's checker of one issue value (options, ranges, whole
    numbers); problems are added to `col`, located under `status_quo.`.
    """
    values: dict = {}
    for iid, given in case.status_quo.items():
        path = ("status_quo", iid)
        issue = case.issues.get(iid)
        if issue is None:
            col.add(path, f"unknown issue `{iid}`", None, expr.did_you_mean(iid, case.issues))
            continue
        if not issue.per_party:
            if isinstance(given, dict):
                col.add(path, f"`{iid}` is a shared issue: give one value, not a value per party", given)
                continue
            fix(values, issue, iid, None, given, path, col, ranges)
            continue
        per_party = given if isinstance(given, dict) else {DEFAULT: given}  # a bare value: every party's
        for p in per_party:
            if p != DEFAULT and p not in case.parties:
                col.add(path + (p,), f"unknown party `{p}`", None,
                        expr.did_you_mean(p, list(case.parties) + [DEFAULT])
                        or f"parties: {', '.join(case.parties)}; `default:` gives the rest")
        for p in case.parties:
            if p in per_party:
                fix(values, issue, iid, p, per_party[p], path + (p,), col, ranges)
            elif DEFAULT in per_party:
                fix(values, issue, iid, p, per_party[DEFAULT], path + (DEFAULT,), col, ranges)
    return values


def settle_reservations(case, criteria: dict, values: dict, col) -> None:
    """Give each party whose reservation is `status_quo` its utility there.

    The value is set on the (frozen) party once, as the case is resolved: it is
    derived data of the case, like its resolved meaning.
    """
    for p, party in case.parties.items():
        if not (party.reservation == "status_quo" or getattr(party.reservation, "from_status_quo", False)):
            continue
        path = ("parties", p, "reservation")
        if not case.status_quo:
            col.add(path, "`reservation: status_quo` needs the case's `status_quo:` (each issue's value "
                          "with no agreement)", "status_quo", "add a top-level `status_quo:` block")
            continue
        missing = sorted({_name(k) for c in criteria.get(p, []) for k in c.lin.terms if k not in values},
                         key=str)
        if missing:
            col.add(path, "`reservation: status_quo` needs the status quo of "
                          + ", ".join(f"`{m}`" for m in missing), "status_quo",
                    "give these issues under `status_quo:` (a per-party issue: {PARTY: value, default: value})")
            continue
        utility = sum(c.weight * c.score(values) for c in criteria.get(p, []))
        object.__setattr__(party, "reservation", StatusQuoReservation(utility))


def status_quo_utilities(resolved) -> dict | None:
    """Each party's utility at the status quo, for the parties it fully determines."""
    values = getattr(resolved, "status_quo", None)
    if not values:
        return None
    out = {}
    for p in resolved.parties:
        curves = resolved.criteria.get(p, [])
        if all(k in values for c in curves for k in c.lin.terms):
            out[p] = sum(c.weight * c.score(values) for c in curves)
    return out


def _name(key: tuple) -> str:
    iid, party, option = key
    base = iid if party is None else f"{iid}[{party}]"
    return base if option is None else f"{base}[{option}]"
