"""Why no agreement exists, and the smallest concessions that would make one.

Everything here works on the compiled model (never on `solve`), under one
`Budget` shared by the whole diagnosis: counted work and group checks, so a
case always gets the same diagnosis (warm or cold, on a quiet or a loaded
machine), and a wall-clock safety stop that the diagnosis reports when it acts:

- Relaxations: an elastic copy of the model gives every reservation, limit and
  collective constraint a non-negative slack on each finite side, each slack
  scaled by the span its row can take over the issue ranges (a reservation by
  the span of its party's utility), and minimises their total. The non-zero
  slacks are the smallest set of concessions, each in its own units.
- An irreducible conflicting set of the case's own elements (reservations, red
  lines, collective constraints, issue ranges), found by a deletion filter of
  feasibility checks: the set cannot hold together, and dropping any one
  member lets the rest hold.
- The largest group of parties that can agree without the others
  (`negotiate.analysis.groups`), the parties the relaxations point at left
  out first; the user's concept is solved once, for the chosen group.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

from negotiate.analysis.budget import Budget, BudgetedHighs
from negotiate.analysis.groups import Group, largest_group
from negotiate.backends.highs import HighsBackend
from negotiate.compile import Problem, compile_case, reachable
from negotiate.proposal import _clean
from negotiate.results import JsonMapping

INF = math.inf
TOL = 1e-7


# -- typed results ------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Relaxation(JsonMapping):
    """One concession: a bound of a reservation, limit or constraint moved.

    `by` is in the row's own units, `scaled` is `by` over the span the row can
    take (the elastic program's measure), `text` says it in words.
    """

    id: str
    kind: str  # reservation | limit | constraint
    party: str | None
    bound: str  # lower | upper
    old: float
    new: float
    by: float
    scaled: float
    text: str

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "party": self.party, "bound": self.bound,
                "from": self.old, "to": self.new, "by": self.by, "scaled": self.scaled, "text": self.text}


@dataclass(frozen=True, eq=False)
class ConflictMember(JsonMapping):
    """One element of an irreducible conflicting set, by its case id."""

    id: str
    kind: str  # reservation | limit | constraint | range
    party: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Diagnosis(JsonMapping):
    """Why there is no agreement: cause, smallest concessions, a conflicting set, a group."""

    message: str
    cause: str  # reservations | limits and constraints
    relaxations: list[Relaxation] | None
    total_scaled_relaxation: float | None
    largest_group: Group | None
    iis: list[ConflictMember] | None
    alternatives: list = field(default_factory=list)  # equally small sets of concessions (lists of dicts)
    seconds: float = 0.0  # not serialised: how long the diagnosis took
    stopped: str | None = None  # "work" | "time": the budget cut a part short (see `stopped_note`)

    def to_dict(self) -> dict:
        return {
            "message": self.message,
            "cause": self.cause,
            "relaxations": None if self.relaxations is None else [r.to_dict() for r in self.relaxations],
            "total_scaled_relaxation": self.total_scaled_relaxation,
            "largest_group": None if self.largest_group is None else self.largest_group.to_dict(),
            "iis": None if self.iis is None else [m.to_dict() for m in self.iis],
            "alternatives": list(self.alternatives),  # added after the contract's keys
            **({"stopped": {"by": self.stopped, "text": stopped_note(self.stopped)}} if self.stopped else {}),
        }


def stopped_note(reason: str | None) -> str | None:
    """What a diagnosis cut short by its budget means, in words."""
    if reason == "work":
        return ("the diagnosis's work budget ran out: the parts it did not finish (the conflicting set, "
                "the group search, the alternatives) are missing or marked incomplete; the same case "
                "always stops at the same point")
    if reason == "time":
        return ("the diagnosis reached its wall-clock safety stop (a very large case or a starved machine): "
                "the parts it did not finish are missing or marked incomplete, and a run on a faster "
                "machine may reach further")
    return None


# -- the diagnosis ------------------------------------------------------------------
def diagnose(problem: Problem, concept: str, budget: Budget | None = None) -> Diagnosis:
    """Diagnose a case whose compiled `problem` has no agreement, within `budget`.

    The case is compiled afresh (a few milliseconds): the diagnosis depends on
    the case alone, never on the state a warm session left its model in, so a
    warm session and a cold solve give the same diagnosis.
    """
    budget = budget or Budget()
    t0 = time.perf_counter()
    problem = compile_case(problem.case)
    changes, total = relaxations(problem, budget)
    only_reservations = bool(changes) and all(c.kind == "reservation" for c in changes)
    cause = "reservations" if only_reservations else "limits and constraints"
    if only_reservations:
        message = ("no agreement gives every party at least its reservation: the ranges, limits and "
                   "constraints allow agreements, but none is acceptable to all")
    else:
        message = ("the limits and collective constraints (and perhaps the reservations) cannot all hold "
                   "at once: no agreement satisfies them")
    iis = conflicting_set(problem, budget)
    hint = [c.party for c in changes or [] if c.party]
    group = largest_group(problem, concept, hint, budget)
    alternatives = equally_small(problem, changes, budget) if changes else []
    return Diagnosis(message, cause, changes, total, group, iis, alternatives, seconds=time.perf_counter() - t0,
                     stopped=budget.stopped)


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


def relaxations(problem: Problem, budget: Budget | None = None) -> tuple[list[Relaxation] | None, float | None]:
    """The smallest scaled relaxation (elastic program) and its total; (None, None) if it fails."""
    budget = budget or Budget()
    b = BudgetedHighs(problem, budget, floor=math.inf)  # the diagnosis's core: only the safety stop bounds it
    spans = _spans(problem)
    sides = []
    for i in spans:
        for side, bound in (("lower", problem.row_lo[i]), ("upper", problem.row_hi[i])):
            if math.isfinite(bound):
                sides.append((i, side))
    cols = b.add_cols([0.0] * len(sides), [INF] * len(sides), [f"slack.{i}.{s}" for i, s in sides])
    for j, (i, side) in zip(cols, sides):
        b.set_coef(i, j, 1.0 if side == "lower" else -1.0)
    b.set_objective({j: -1.0 / spans[i] for j, (i, _) in zip(cols, sides)})
    r = b.solve()
    if not r.has_solution:
        return None, None
    info = problem.row_info
    changes = []
    for j, (i, side) in zip(cols, sides):
        amount = float(r.x[j])
        if amount <= TOL * max(1.0, spans[i]):
            continue
        old = problem.row_lo[i] if side == "lower" else problem.row_hi[i]
        new = old - amount if side == "lower" else old + amount
        changes.append(Relaxation(info[i].case_id, info[i].kind, info[i].party, side, _clean(old), _clean(new),
                                  _clean(amount), _clean(amount / spans[i]), _words(info[i], side, old, new)))
    changes.sort(key=lambda c: -c.scaled)
    return changes, _clean(sum(c.scaled for c in changes))


def _words(info, side: str, old: float, new: float) -> str:
    if info.kind == "reservation":
        return f"{info.party} accepts a utility of {new:.4g} instead of {old:.4g}"
    verb = "lower" if side == "lower" else "raise"
    return f"{verb} the {side} bound of {info.case_id} from {old:.4g} to {new:.4g}"


# -- an irreducible conflicting set -------------------------------------------------
@dataclass
class _Element:
    """A droppable element of the case: rows (by bounds) or issue columns (by range)."""

    member: ConflictMember
    rows: list[tuple[int, float, float]] = field(default_factory=list)  # (row, lo, hi)
    cols: list[tuple[int, float, float]] = field(default_factory=list)  # (col, lb, ub)

    def drop(self, b: HighsBackend) -> None:
        for i, _, _ in self.rows:
            b.set_row_bounds(i, -INF, INF)
        for j, _, _ in self.cols:
            b.set_col_bounds(j, -INF, INF)

    def restore(self, b: HighsBackend) -> None:
        for i, lo, hi in self.rows:
            b.set_row_bounds(i, lo, hi)
        for j, lb, ub in self.cols:
            b.set_col_bounds(j, lb, ub)


def case_elements(problem: Problem) -> list[_Element]:
    """The case's own elements that can conflict, in the order a deletion filter tries
    them: collective constraints, red lines, reservations, then issue ranges (those
    tried last are the likeliest to stay in the set: a range is what an issue can be,
    so a conflict is best told as the red lines and targets that cannot fit in it)."""
    ranges: dict[tuple[str, str | None], _Element] = {}
    for v in problem.resolved.variables:
        iid, party, option = v.key
        if option is not None:
            continue  # a discrete issue has no range to drop
        j = problem.var_col[v.key]
        key = (iid, party)
        if key not in ranges:
            ranges[key] = _Element(ConflictMember(f"issues.{iid}.range", "range", party))
        ranges[key].cols.append((j, float(problem.col_lb[j]), float(problem.col_ub[j])))
    rows = {"constraint": [], "limit": [], "reservation": []}
    for cid, i in problem.case_rows.items():
        info = problem.row_info[i]
        rows.setdefault(info.kind, []).append(
            _Element(ConflictMember(cid, info.kind, info.party), rows=[(i, problem.row_lo[i], problem.row_hi[i])]))
    for p, i in problem.reservation_row.items():
        rows["reservation"].append(_Element(ConflictMember(f"parties.{p}.reservation", "reservation", p),
                                            rows=[(i, problem.row_lo[i], problem.row_hi[i])]))
    return [e for kind in rows for e in rows[kind]] + list(ranges.values())


def _feasible(b: BudgetedHighs) -> bool | None:
    """True / False, or None when the check stopped (budget) or failed."""
    r = b.solve()
    if r.status == "error" and b.h.getOptionValue("presolve")[-1] == "off":
        # hot simplex without presolve can give up ("Unknown": EU effort sharing, a reservation
        # of 0.99, an issue's range dropped) and leaves HiGHS stuck there: a cold solve with
        # presolve settles it
        b.restart()
        b.h.setOptionValue("presolve", "choose")
        r = b.solve()
        b.h.setOptionValue("presolve", "off")
    if r.status == "infeasible":
        return False
    if r.has_solution and r.status == "optimal":
        return True
    return None


def conflicting_set(problem: Problem, budget: Budget | None = None) -> list[ConflictMember] | None:
    """An irreducible set of the case's elements that cannot hold together (deletion filter).

    None when the budget ran out before the set was proved irreducible.
    """
    budget = budget or Budget()
    b = BudgetedHighs(problem, budget)
    b.set_objective({})
    # Many small feasibility checks, each a few simplex iterations from the last basis: HiGHS's
    # presolve costs more than it saves here (EU effort sharing, a reservation of 0.99, 138
    # checks: 0.28 s CPU with presolve, 0.07 s without; the hypograph form 0.14 vs 0.08 s).
    b.h.setOptionValue("presolve", "off")
    b.cold_by_simplex(True)  # an infeasible IPM leaves no basis: every check after it would be IPM again
    elements = case_elements(problem)
    if _feasible(b) is not False:
        return None
    kept = []
    for e in elements:
        e.drop(b)
        still = _feasible(b)
        if still is None:
            return None
        if still:  # needed: without it the rest can hold
            e.restore(b)
            kept.append(e)
    # nothing droppable was needed: the conflict lies in what the filter cannot drop (a curve's
    # own domain, whole numbers), and an empty set would tell the user nothing is wrong
    return [e.member for e in kept] or None


def infeasible_subset(problem: Problem) -> list[dict] | None:
    """An irreducible conflicting set as JSON (see `conflicting_set`)."""
    members = conflicting_set(problem)
    return None if members is None else [m.to_dict() for m in members]


def equally_small(problem: Problem, found: list, budget: Budget | None = None, limit: int = 4) -> list[list[dict]]:
    """Other sets of concessions exactly as small as `found` (ties), at most `limit`.

    The elastic program again, once per concession of `found` with that
    concession forbidden: where the smallest total stays the same, the answer
    is an equally small alternative (a different set of rows to relax). Within
    the diagnosis's `budget`: alternatives not reached in time are not listed.
    """
    if not found:
        return []
    spans = _spans(problem)
    b = BudgetedHighs(problem, budget or Budget())
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
