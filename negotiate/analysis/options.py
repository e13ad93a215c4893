"""Drafted packages: completed where they leave issues open, checked, and improved.

`evaluate_option` takes a session (a warm `Negotiation`) and a package
`{issue: value}`; `improve` finds a package that gives every party at least
given utilities and the group more, if one exists.
"""

from __future__ import annotations

import contextlib
import math

from negotiate.errors import CaseError

TOL = 1e-7


def evaluate_option(session, name: str, values: dict, concept: str):
    """The option's Proposal (status acceptable or rejected) and what the comparison shows of it."""
    from negotiate.proposal import PartyOutcome, Proposal, agreement_of, utilities
    from negotiate.solving import concept_name

    case = session.case
    problem, b = session.problem, session._backend
    fixed = problem.resolved.options.get(name)
    if fixed is None:
        from negotiate.case.resolve import _Collector, _option

        col = _Collector(case)
        fixed = _option(case, name, values, col, {v.key[0]: (v.lb, v.ub) for v in problem.resolved.variables
                                                  if v.key[2] is None})
        if col.problems:
            raise CaseError(col.problems)
    open_issues = [v for v in problem.resolved.variables if v.key not in fixed]
    saved = {k: b.col_bounds(problem.var_col[k]) for k in fixed}
    notes = []
    try:
        for k, v in fixed.items():
            b.set_col_bounds(problem.var_col[k], v, v)
        if open_issues:
            completed = session.solve(concept_name(concept))
            if not completed.ok:  # nobody-accepts packages are still evaluated: complete them for the group
                completed = _without_acceptance(session)
                notes.append("the open issues were set for collective benefit: no completion is acceptable to all")
            x_values = completed.agreement
        else:
            x_values = None
    finally:
        for k, (lo, hi) in saved.items():
            b.set_col_bounds(problem.var_col[k], lo, hi)
    if x_values is None and open_issues:  # not even the group's best completion respects the red lines
        parties = {p: PartyOutcome(None, case.parties[p].reservation, weight=case.parties[p].weight)
                   for p in problem.parties}
        return Proposal(case.name, f"option {name}", "infeasible", None, parties, None,
                        notes=["no completion of this package satisfies the limits and constraints"]), None
    values_map = dict(fixed) if x_values is None else values_of(problem, x_values)
    utils, scores = utilities(problem, values_map)
    rejected = rejections(problem, case, values_map, utils)
    rejected = two_level_rejections(problem, values_map, utils, rejected)  # two-level cases: the rule decides
    parties = {p: PartyOutcome(utils[p], case.parties[p].reservation, gain=utils[p] - case.parties[p].reservation,
                               criteria=scores[p], weight=case.parties[p].weight,
                               accepts=not any(r[0] == p for r in rejected)) for p in problem.parties}
    benefit = sum(case.parties[p].weight * utils[p] for p in problem.parties)
    prop = Proposal(case.name, f"option {name}", "rejected" if rejected else "acceptable",
                    agreement_of(problem, values_map), parties, benefit)
    improvement = improve(session, utils)
    extra = {
        "rejected_by": "; ".join(f"{p} ({why})" for p, why in rejected) or None,
        "improved_package": improvement["agreement"] if improvement else None,
        "improvement_total_gain": improvement["total_gain"] if improvement else 0.0,
        "pareto_dominated": bool(improvement),
        "open_issues": sorted({v.key[0] for v in open_issues}) or None,
        "notes": "; ".join(notes) or None,
    }
    return prop, extra


def values_of(problem, agreement: dict) -> dict:
    """Variable key -> value of an agreement given by issue (and party)."""
    values = {}
    for v in problem.resolved.variables:
        iid, party, option = v.key
        chosen = agreement[iid][party] if party is not None else agreement[iid]
        values[v.key] = (1.0 if chosen == option else 0.0) if option is not None else float(chosen)
    return values


@contextlib.contextmanager
def reservations_lifted(session):
    """Solve as if no party had a reservation; the reservations come back afterwards."""
    b, problem = session._backend, session.problem
    for i in problem.reservation_row.values():
        b.set_row_bounds(i, -math.inf, math.inf)
    try:
        yield
    finally:
        for p, i in problem.reservation_row.items():
            b.set_row_bounds(i, session.case.parties[p].reservation, math.inf)


def _without_acceptance(session):
    from negotiate.solving import solve_problem

    with reservations_lifted(session):
        return solve_problem(session.problem, session._backend, "utilitarian", require_acceptance=False)


def two_level_rejections(problem, values: dict, utils: dict, rejected: list) -> list:
    """In a two-level case, who rejects a package is decided by ratification and
    the decision rule (the outvoted are bound), not by each party alone."""
    from negotiate.formulation.ratification import option_rejections

    return option_rejections(problem, values, utils, rejected)


def rejections(problem, case, values: dict, utils: dict) -> list[tuple[str, str]]:
    """Who rejects a package: below the reservation, or across one of its red lines."""
    out = []
    for p in problem.parties:
        d = case.parties[p].reservation
        if utils[p] < d - TOL * max(1.0, abs(d)):
            out.append((p, f"utility {_g(utils[p])} below reservation {_g(d)}"))
    for r in problem.resolved.rows:
        act = r.lin.value(values)
        scale = max(1.0, abs(r.lo) if math.isfinite(r.lo) else 0, abs(r.hi) if math.isfinite(r.hi) else 0)
        if act < r.lo - 1e-6 * scale or act > r.hi + 1e-6 * scale:
            who = r.party or "everyone"
            out.append((who, f"crosses {r.id} ({_g(act)} outside [{_g(r.lo)}, {_g(r.hi)}])"))
    return out


def _g(v: float) -> str:
    return f"{v + 0.0:.4g}"


def improve(session, floor: dict) -> dict | None:
    """A package that gives every party at least `floor` and the group more, if one exists:
    max sum(u_i - floor_i) s.t. u_i >= floor_i, within every range, limit and constraint."""
    from negotiate.proposal import agreement_of, issue_values, utilities

    b, problem = session._backend, session.problem
    mark = b.mark()
    with reservations_lifted(session):  # the floors replace the reservations
        try:
            b.add_rows([({problem.utility_col[p]: 1.0}, floor[p] - 1e-9, math.inf, f"floor.{p}")
                        for p in problem.parties])
            b.set_objective({problem.utility_col[p]: 1.0 for p in problem.parties})
            r = b.solve()
        finally:
            b.rollback(mark)
    if not r.has_solution:
        return None
    values = issue_values(problem, r.x)
    utils, _ = utilities(problem, values)
    total = sum(utils[p] - floor[p] for p in problem.parties)
    if total <= 1e-6 or any(utils[p] < floor[p] - 1e-7 for p in problem.parties):
        return None
    return {"agreement": agreement_of(problem, values), "total_gain": total, "utilities": utils}
