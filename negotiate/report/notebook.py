"""Short reprs and notebook views of cases, sessions and proposals.

`repr(case)` is a line or two (not the 73,000 characters of every field);
a Proposal's `_repr_html_` shows the agreement, the parties, the binding red
lines and, without an agreement, the diagnosis in the case's words.
"""

from __future__ import annotations

import html
import math

MAX_NAMES = 8  # parties or paths listed before "... and N more"


def _e(text) -> str:
    return html.escape(str(text))


def _names(items, limit: int = MAX_NAMES) -> str:
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit - 1]) + f", ... {items[-1]} ({len(items)} in all)"


def _n(v, digits: int = 4) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        return f"{v:.{digits}g}"
    return str(v)


def _count(n: int, what: str) -> str:
    return "" if not n else f"{n} {what}{'s' if n != 1 else ''}"


# -- Case ------------------------------------------------------------------------------
def case_repr(case) -> str:
    issues = ", ".join(f"{i}{' (per party)' if issue.per_party else ''}" for i, issue in case.issues.items())
    model = f", model={case.model!r}" if case.model else ""
    extra = [_count(len(case.constraints), "constraint"), _count(len(case.parameters), "parameter"),
             _count(len(case.options), "option"), _count(len(case.scenarios), "scenario")]
    tail = "; ".join(x for x in extra if x)
    return (f"Case({case.name!r}{model}, {len(case.parties)} parties: {_names(case.parties)}; "
            f"issues: {issues}" + (f"; {tail}" if tail else "") + ")")


def case_html(case) -> str:
    rows = "".join(
        f"<tr><td style='text-align:left'>{_e(p)}</td><td style='text-align:left'>{_e(party.name or '')}</td>"
        f"<td>{party.weight:g}</td><td>{party.reservation:.4g}</td><td>{len(party.criteria)}</td>"
        f"<td>{len(party.limits)}</td></tr>" for p, party in case.parties.items())
    issues = "; ".join(
        f"<b>{_e(i)}</b> " + (f"options {_e(', '.join(issue.options))}" if issue.options
                              else f"{_e(issue.range[0])}..{_e(issue.range[1])} {_e(issue.unit or '')}")
        + (" (per party)" if issue.per_party else "") for i, issue in case.issues.items())
    return (f"<b>{_e(case.name)}</b>" + (f" (model {_e(case.model)})" if case.model else "")
            + f"<br>Issues: {issues}<table><tr><th>party</th><th>name</th><th>weight</th><th>reservation</th>"
            f"<th>criteria</th><th>red lines</th></tr>{rows}</table>")


# -- Negotiation -------------------------------------------------------------------------
def changed_paths(before, after, prefix: str = "") -> list[str]:
    """Dotted paths where two plain-data cases differ (a session's changes since its start)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for k in list(before) + [k for k in after if k not in before]:
            out += changed_paths(before.get(k), after.get(k), f"{prefix}{k}.")
        return out
    return [] if before == after else [prefix.rstrip(".")]


def session_repr(session) -> str:
    case = session.case
    base = session._base.model_dump(exclude_unset=True)
    dropped = sorted(getattr(session, "_dropped", {}) or {})
    changes = [p for p in changed_paths(base, session._data) if not any(
        p == f"parties.{d}" or p.startswith(f"parties.{d}.") for d in dropped)]
    parts = [f"{case.name!r}", f"{len(case.parties)} parties"]
    if changes:
        parts.append("changed: " + _names(changes, 4))
    if dropped:
        parts.append("dropped: " + ", ".join(dropped))
    parts.append(f"{session.rebuilds} build(s), {session.in_place} in-place update(s)")
    return f"Negotiation({', '.join(parts)})"


# -- Proposal -------------------------------------------------------------------------------
def proposal_html(prop) -> str:
    colour = "#1a7f37" if prop.ok else "#b3261e"
    out = [f"<div><b>{_e(prop.case)}</b> &middot; {_e(prop.concept)} &middot; "
           f"<span style='color:{colour};font-weight:600'>{_e(prop.status)}</span>"]
    if prop.ok:
        out.append(f" &middot; collective benefit {_n(prop.collective_benefit)}</div>")
        shared = {k: v for k, v in prop.agreement.items() if not isinstance(v, dict)}
        per_party = [k for k, v in prop.agreement.items() if isinstance(v, dict)]
        if shared:
            out.append("<p><b>Agreement</b>: " + "; ".join(f"{_e(k)} = <b>{_e(_n(v))}</b>" for k, v in shared.items())
                       + "</p>")
    else:
        out.append("</div>")
        per_party = []
    out.append(_parties_table(prop, per_party))
    binding = [c for c in prop.constraints if c.binding and c.kind != "reservation"]
    if binding:
        rows = "".join(f"<tr><td style='text-align:left'>{_e(c.id)}</td><td>{_n(c.value)}</td>"
                       f"<td>{_n(c.shadow_price)}</td></tr>" for c in binding)
        out.append("<p><b>Binding red lines and constraints</b></p><table><tr><th>constraint</th><th>value</th>"
                   f"<th>shadow price</th></tr>{rows}</table>")
    if not prop.ok and prop.diagnosis:
        out.append(_diagnosis_html(prop.diagnosis))
    if prop.notes:
        out.append("<p>" + "<br>".join("note: " + _e(n) for n in prop.notes) + "</p>")
    return "".join(out)


def _parties_table(prop, per_party: list[str]) -> str:
    cols = ["utility", "reservation", "gain"]
    if any(o.ideal is not None for o in prop.parties.values()):
        cols += ["ideal", "satisfaction"]
    head = "".join(f"<th>{_e(c)}</th>" for c in per_party + cols + ["accepts"])
    rows = []
    for p, o in prop.parties.items():
        cells = [_n(prop.agreement[k][p]) for k in per_party] + [_n(getattr(o, c)) for c in cols]
        accepts = "-" if o.accepts is None else ("yes" if o.accepts else "<b style='color:#b3261e'>NO</b>")
        rows.append(f"<tr><td style='text-align:left'>{_e(p)}</td>" + "".join(f"<td>{_e(c)}</td>" for c in cells)
                    + f"<td>{accepts}</td></tr>")
    return f"<table><tr><th>party</th>{head}</tr>{''.join(rows)}</table>"


def _diagnosis_html(d: dict) -> str:
    out = [f"<p><b>No agreement</b>: {_e(d.get('message', ''))}</p>"]
    changes = d.get("relaxations") or []
    if changes:
        out.append("<p><b>The smallest concessions that make an agreement possible</b></p><ul>"
                   + "".join(f"<li>{_e(c.get('words') or c.get('text') or c.get('id'))}</li>" for c in changes)
                   + "</ul>")
    alternatives = d.get("alternatives") or []
    if alternatives:
        out.append("<p>Equally small alternatives:</p><ul>" + "".join(
            "<li>" + _e(" and ".join(c.get("text") or c.get("id") for c in alt)) + "</li>"
            for alt in alternatives) + "</ul>")
    group = d.get("largest_group") or {}
    if group.get("parties"):
        out.append(f"<p>The largest group that can agree without the others: {_e(', '.join(group['parties']))} "
                   f"(without {_e(', '.join(group['without']))})</p>")
    return "".join(out)
