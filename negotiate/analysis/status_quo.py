"""The status quo as an outcome: what each issue is with no agreement (CASE_FORMAT.md section 6)."""

from __future__ import annotations

from negotiate.case.resolve import resolve
from negotiate.case.status_quo import _value_of


def status_quo_agreement(case) -> dict | None:
    """The status quo in the shape of a proposal's `agreement` (issue -> value or {party: value}).

    Issues (or parties) the status quo does not give are left out; None when
    the case has no status quo. For coalition analyses: outsiders stay here.
    """
    values = resolve(case).status_quo
    if not values:
        return None
    out: dict = {}
    for iid, issue in case.issues.items():
        if issue.per_party:
            given = {p: _value_of(values, iid, issue, p) for p in case.parties}
            given = {p: v for p, v in given.items() if v is not None}
            if given:
                out[iid] = given
        elif _value_of(values, iid, issue, None) is not None:
            out[iid] = _value_of(values, iid, issue, None)
    return out
