"""Why no agreement exists, and the smallest concessions that would make one.

- Relaxations: an elastic copy of the model gives every reservation, limit and
  collective constraint a non-negative slack on each finite side, each slack
  scaled by the span its row can take over the issue ranges (a reservation by
  the span of its party's utility), and minimises their total. The non-zero
  slacks are the smallest set of concessions, each in its own units.
- The largest group of parties that can agree without the others: the case
  restricted to a group is solved, groups tried from the largest size down
  (parties the relaxations point at left out first), within a budget.
- For a linear program, HiGHS's irreducible infeasible subset, in case ids.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from negotiate.compile import Problem, reachable
from negotiate.proposal import _clean

INF = math.inf
TOL = 1e-7


def diagnose(problem: Problem, concept: str, group_budget: int = 64) -> dict:
    relax = relaxations(problem)
    cause = "reservations" if relax and all(r["kind"] == "reservation" for r in relax["changes"]) \
        else "limits and constraints"
    if relax and relax["changes"] and cause == "reservations":
        message = ("no agreement gives every party at least its reservation: the ranges, limits and "
                   "constraints allow agreements, but none is acceptable to all")
    else:
        message = ("the limits and collective constraints (and perhaps the reservations) cannot all hold "
                   "at once: no agreement satisfies them")
    out = {"message": message, "cause": cause,
           "relaxations": relax["changes"] if relax else None,
           "total_scaled_relaxation": relax["total"] if relax else None}
    out["alternatives"] = equally_small(problem, relax["changes"]) if relax else []
    hint = [c["party"] for c in (relax["changes"] if relax else []) if c.get("party")]
    out["largest_group"] = largest_group(problem.case, concept, hint, group_budget)
    if not problem.is_mip:
        out["iis"] = infeasible_subset(problem)
    return out


def _spans(problem: Problem) -> dict[int, float]:
    """Row -> the span it can take: its scale in the elastic objective."""
    bounds = {v.key: (v.lb, v.ub) for v in problem.resolved.variables}
    spans = {}
    for r in problem.resolved.rows:
        lo, hi = reachable(r.lin.terms, 0.0, bounds)
        spans[problem.case_rows[r.id]] = max(hi - lo, 1e-9)
    for p, i in problem.reservation_row.items():
        span = 0.0
        for c in problem.resolved.criteria[p]:
            vals = list(c.lin.terms.values()) if c.xs is None else list(c.ys)  # option scores, or curve values
            span += c.weight * (max(vals) - min(vals))
        spans[i] = max(span, 1e-9)
    return spans


def relaxations(problem: Problem) -> dict | None:
    """The smallest scaled relaxation (elastic program); None if even that fails."""
    from negotiate.backends.highs import HighsBackend

    b = HighsBackend(problem, mip_gap=1e-6)
    spans = _spans(problem)
    slack: dict[int, list[tuple[int, str]]] = {}
    sides = []
    for i in spans:
        lo, hi = problem.row_lo[i], problem.row_hi[i]
        for side, finite in (("lower", math.isfinite(lo)), ("upper", math.isfinite(hi))):
            if finite:
                sides.append((i, side))
    cols = b.add_cols([0.0] * len(sides), [INF] * len(sides), [f"slack.{i}.{s}" for i, s in sides])
    for j, (i, side) in zip(cols, sides):
        b.set_coef(i, j, 1.0 if side == "lower" else -1.0)
        slack.setdefault(i, []).append((j, side))
    b.set_objective({j: -1.0 / spans[i] for j, (i, _) in zip(cols, sides)})
    r = b.solve()
    if not r.has_solution:
        return None
    info = problem.row_info
    changes = []
    for i, items in slack.items():
        for j, side in items:
            amount = float(r.x[j])
            if amount <= TOL * max(1.0, spans[i]):
                continue
            old = problem.row_lo[i] if side == "lower" else problem.row_hi[i]
            new = old - amount if side == "lower" else old + amount
            changes.append({
                "id": info[i].case_id, "kind": info[i].kind, "party": info[i].party,
                "bound": side, "from": _clean(old), "to": _clean(new), "by": _clean(amount),
                "scaled": _clean(amount / spans[i]),
                "text": _words(info[i], side, old, new),
            })
    changes.sort(key=lambda c: -c["scaled"])
    return {"changes": changes, "total": _clean(sum(c["scaled"] for c in changes))}


def _words(info, side: str, old: float, new: float) -> str:
    if info.kind == "reservation":
        return f"{info.party} accepts a utility of {new:.4g} instead of {old:.4g}"
    verb = "lower" if side == "lower" else "raise"
    return f"{verb} the {side} bound of {info.case_id} from {old:.4g} to {new:.4g}"


def largest_group(case, concept: str, hint: list[str], budget: int = 64) -> dict | None:
    """The largest group of parties that can agree without the others (and on what)."""
    from negotiate.case.load import validate_data
    from negotiate.errors import CaseError
    from negotiate.solving import solve

    parties = list(case.parties)
    n = len(parties)
    if n < 3:
        return None
    data = case.model_dump(exclude_unset=True)
    order = sorted(parties, key=lambda p: (p not in hint, parties.index(p)))  # exclude these first
    checks = 0
    for size in range(n - 1, 1, -1):
        found = []
        for left_out in itertools.combinations(order, n - size):
            if checks >= budget:
                return {"parties": None, "searched": checks, "complete": False,
                        "message": f"no group of {size + 1} or more can agree; the search stopped after "
                                   f"{checks} groups (a group of {size} may still exist)"}
            checks += 1
            group = [p for p in parties if p not in left_out]
            sub = dict(data, parties={p: data["parties"][p] for p in group})
            try:
                prop = solve(validate_data(sub), concept)
            except CaseError:
                continue  # the case cannot be stated without them (it names them)
            if prop.ok:
                found.append((group, list(left_out), prop))
        if found:
            group, left, prop = max(found, key=lambda f: f[2].collective_benefit)
            return {"parties": group, "without": left, "size": size, "searched": checks, "complete": True,
                    "alternatives": [f[0] for f in found if f[0] != group],
                    "agreement": prop.agreement,
                    "utilities": {p: o.utility for p, o in prop.parties.items()}}
    return {"parties": None, "searched": checks, "complete": True,
            "message": "no group of two or more parties can agree without the others"}


def infeasible_subset(problem: Problem) -> list[dict] | None:
    """HiGHS's irreducible infeasible subset of the LP, named by case ids."""
    from negotiate.backends.highs import HighsBackend

    try:
        b = HighsBackend(problem)
        b.h.setOptionValue("iis_strategy", 4)
        b.set_objective({})
        b.h.run()
        status, iis = b.h.getIis()
        if not iis.valid_:
            return None
    except Exception:  # an older HiGHS without IIS support
        return None
    out, seen = [], set()
    for i in np.asarray(iis.row_index_, int):
        info = problem.row_info[i]
        if info.case_id not in seen:  # a curve's segments are one criterion
            seen.add(info.case_id)
            out.append({"id": info.case_id, "kind": info.kind, "party": info.party})
    issue_cols = {j: v for v, j in ((v, problem.var_col[v.key]) for v in problem.resolved.variables)}
    for j in np.asarray(iis.col_index_, int):
        if j in issue_cols:  # score and utility bounds are the model's own, not the case's
            out.append({"id": f"issues.{issue_cols[j].key[0]}.range ({issue_cols[j].name})", "kind": "range",
                        "party": issue_cols[j].key[1]})
    return out


def equally_small(problem: Problem, found: list[dict], limit: int = 4) -> list[list[dict]]:
    """Other sets of concessions exactly as small as `found` (ties), at most `limit`.

    The elastic program again, once per concession of `found` with that
    concession forbidden: where the smallest total stays the same, the answer
    is an equally small alternative (a different set of rows to relax).
    """
    from negotiate.backends.highs import HighsBackend

    if not found:
        return []
    spans = _spans(problem)
    b = HighsBackend(problem, mip_gap=1e-6)
    sides = [(i, side) for i in spans for side, bound in (("lower", problem.row_lo[i]), ("upper", problem.row_hi[i]))
             if math.isfinite(bound)]
    cols = b.add_cols([0.0] * len(sides), [INF] * len(sides), [f"slack.{i}.{s}" for i, s in sides])
    col_of = {}
    for j, (i, side) in zip(cols, sides):
        b.set_coef(i, j, 1.0 if side == "lower" else -1.0)
        col_of[(problem.row_info[i].case_id, side)] = (j, i)
    b.set_objective({j: -1.0 / spans[i] for j, (i, _) in zip(cols, sides)})
    total = sum(c["scaled"] for c in found)
    seen = {frozenset((c["id"], c["bound"]) for c in found)}
    out = []
    for c in found:
        if (c["id"], c["bound"]) not in col_of:
            continue
        j, _ = col_of[(c["id"], c["bound"])]
        b.set_col_bounds(j, 0.0, 0.0)
        r = b.solve()
        b.set_col_bounds(j, 0.0, INF)
        if not r.has_solution or -r.objective > total + 1e-7 * max(1.0, total):
            continue
        changes = []
        for (cid, side), (k, i) in col_of.items():
            amount = float(r.x[k])
            if amount <= TOL * max(1.0, spans[i]):
                continue
            old = problem.row_lo[i] if side == "lower" else problem.row_hi[i]
            info = problem.row_info[i]
            changes.append({"id": cid, "kind": info.kind, "party": info.party, "bound": side, "from": _clean(old),
                            "to": _clean(old - amount if side == "lower" else old + amount),
                            "by": _clean(amount), "scaled": _clean(amount / spans[i]),
                            "text": _words(info, side, old, old - amount if side == "lower" else old + amount)})
        key = frozenset((x["id"], x["bound"]) for x in changes)
        if changes and key not in seen:
            seen.add(key)
            out.append(sorted(changes, key=lambda x: -x["scaled"]))
        if len(out) >= limit:
            break
    return out
