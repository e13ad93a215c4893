"""Small discrete cases, solved exactly by enumerating every outcome.

When every issue is discrete (options or whole numbers) and the outcome
space is small (at most ENUMERATE_CAP outcomes), every concept is applied to
the table of every outcome's utilities (negotiate.tie_sets.outcome_table:
red lines, collective constraints and acceptance as masks) instead of
solving a MIP: utilitarian by argmax of the weighted sum, egalitarian and
Kalai-Smorodinsky by sorting the scaled gains (leximin, ideals = column
maxima over the acceptable outcomes), Nash by the largest weighted log sum
(exact: its gap is 0). Ties are broken as tie sets break them: the first
optimal outcome in outcome order is proposed, and `ties` counts them.

Parties that cannot gain above their reservation in any acceptable outcome
are held there (Kalai-Smorodinsky, Nash), as the MIP path holds them.

The proposal is the solver path's (negotiate.solving._proposal), made without
its per-solve set-up: what it reads of the case (the issue variables and
their ranges, every party's curves as one set of arrays, each row's scale,
the reservations) is arranged once per resolved case (`_Report`), and the
agreement is re-checked against every range, limit, constraint and
reservation on its recomputed values before it is reported. An agreement
that does not pass at once goes to the solver layer's builder, which checks
it in full (and reports a failure as an error, as for any solve). At 10^3
outcomes a solve is then within 2x of a plain numpy enumeration of the same
case (benchmarks/bench_discrete.py), against 3.5-5.5x before.

Shadow prices: none. With every issue discrete, the agreement is a point of
a finite set; no bound moves it continuously, and a price "conditional on the
choices" would be the dual of an LP whose every issue column is fixed, which
is degenerate (0 or arbitrary). The proposal says prices are not available
and why. `solve(..., enumerate=False)` takes the MIP path (conditional
prices as before).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import operator
import time

import numpy as np

from negotiate import tie_sets
from negotiate.formulation.concepts import Outcome
from negotiate.proposal import (ACCEPT_TOL, BINDING_TOL, CHECK_TOL, Proposal, _Curves, constraint_outcome,
                                party_outcome, proposal_made)
from negotiate.results import solver_info, status_of

# Outcomes: above this, the MIP. Measured (benchmarks/bench_discrete.py --mip --cap 2000000
# --sizes 1e5 4e5 1e6, 9 parties, one run, load ~9 on 2 cores), enumeration / MIP in ms:
#                  98,304 outcomes   393,216      1,048,576
#   utilitarian        56 / 246       151 / 392    250 / 344
#   egalitarian        38 / 653       145 / 817    382 / 543
#   KS                 44 / 10,392    182 / 2,410  301 / 13,951
#   Nash               88 / 2,116     201 / 1,614  458 / 2,944
# and at 30 parties, 98,304 outcomes: utilitarian 65 / 1,071, egalitarian 85 / 55,499. The MIP
# overtakes no concept below 10^6 outcomes (utilitarian first, at about 1.4 x 10^6 by the trend);
# the cap keeps the enumeration >= 2.5x faster than the MIP for every concept, and CELL_CAP
# bounds its memory when there are many parties.
ENUMERATE_CAP = 500_000
CELL_CAP = 20_000_000  # numbers held at once (outcomes x parties, curves, rows): a memory bound
PRICE_NOTE = ("shadow prices not available: every issue is discrete (solved by enumerating the outcomes), "
              "so no small change of a limit moves the agreement continuously")


@dataclasses.dataclass
class CaseView:
    """What a proposal reads of a compiled Problem, without compiling: the
    issue variables numbered as compile_case numbers them (first, in order)."""

    resolved: object
    var_col: dict
    case_rows: dict = dataclasses.field(default_factory=dict)
    reservation_row: dict = dataclasses.field(default_factory=dict)
    nonconcave: list = dataclasses.field(default_factory=list)
    is_mip: bool = False

    @classmethod
    def of(cls, resolved) -> "CaseView":
        acceptance = resolved.case.solve.require_acceptance
        return cls(resolved, {v.key: j for j, v in enumerate(resolved.variables)},
                   reservation_row={p: None for p in resolved.parties} if acceptance else {},
                   is_mip=any(v.integer for v in resolved.variables))

    @property
    def case(self):
        return self.resolved.case

    @property
    def parties(self) -> list[str]:
        return self.resolved.parties

    @property
    def n_cols(self) -> int:
        return len(self.var_col)


def enumerable(resolved, problem=None, backend=None) -> list | None:
    """The outcome axes if the case is solved by enumeration, else None.

    With a compiled problem and its backend, the backend's current column
    bounds cut the axes (drafted options fix some issues): the enumeration
    then answers the same question the backend would.
    """
    if backend is None:  # the case's own axes: case-constant, kept on the (frozen case's) Resolved
        cache = resolved.__dict__
        if "_enumerable" not in cache:
            cache["_enumerable"] = _enumerable(resolved, tie_sets.outcome_axes(resolved))
        return cache["_enumerable"]
    axes = tie_sets.outcome_axes(resolved)
    return None if isinstance(axes, str) else _enumerable(resolved, tie_sets._within_bounds(problem, axes, backend))


def _enumerable(resolved, axes) -> list | None:
    if isinstance(axes, str):
        return None
    n = tie_sets.space_size(axes)
    curves = sum(1 for p in resolved.parties for c in resolved.criteria[p] if c.xs is not None)
    cells = min(n, tie_sets.CHUNK) * (len(resolved.parties) + curves + len(resolved.rows)) + n * len(resolved.parties)
    if n > ENUMERATE_CAP or cells > CELL_CAP:
        return None
    return axes


def solve_enumerated(problem, concept: str, ideals: bool = False, axes: list | None = None, *, build):
    """The proposal of `concept` on a small discrete case (see the module docstring).

    `problem`: a compiled Problem, or a Resolved case (then it is compiled once per
    case, by `_check_numbers`, so values no scaling brings within a solver's reach
    are the same located CaseError here as on the solver path; and again only to
    diagnose an infeasible case, as the diagnosis reads the model).
    `build`: the solver layer's proposal builder (negotiate.solving's), which
    re-checks the agreement and shapes the result exactly as for a solve. An agreement
    that passes the re-check at once is reported by `_proposal_of` (the same Proposal,
    read off data arranged once per case); any other outcome goes through `build`.
    """
    from negotiate.case.resolve import Resolved
    from negotiate.formulation.concepts import check_weight_spread

    t0 = time.perf_counter()
    compiled = None if isinstance(problem, Resolved) else problem
    resolved = problem if compiled is None else compiled.resolved
    check_weight_spread(resolved.case, concept)  # as on the solver path (ConceptRunner.run)
    if compiled is None:
        _check_numbers(resolved)
    problem = resolved.__dict__.get("_case_view")
    if problem is None:  # the proposal reads the issue variables only: case-constant
        problem = resolved.__dict__["_case_view"] = CaseView.of(resolved)
    axes = axes if axes is not None else enumerable(resolved)
    if axes is None:
        raise ValueError("this case is not solved by enumeration: it has a continuous issue or too many outcomes")
    U, acceptable = tie_sets._table(resolved, axes)
    plan = tie_sets._plan(resolved, axes)
    w, d, uscale = plan["w"], plan["d"], plan["uscale"]
    wants_ideals = concept in ("kalai_smorodinsky", "nash") or ideals
    gathered = tie_sets.acceptable_rows(U, acceptable) if wants_ideals and acceptable.any() else None
    best = gathered[2] if gathered else None
    found, value = tie_sets.optimal_outcomes(concept, U, acceptable, w, d, uscale, gathered)
    n = plan["n"]
    # each listed tie's position on every axis (the first is proposed)
    positions = [at.tolist() for at in np.unravel_index(found[:tie_sets.LISTED], plan["shape"])]
    out = _outcome(problem, concept, axes, plan, U, best, found, value, positions)
    seconds = round(time.perf_counter() - t0, 6)
    solver = {"name": "enumeration", "version": np.__version__, "backend": "enumeration", "seconds": seconds,
              "solver_seconds": seconds, "solves": 0, "mip": bool(problem.is_mip), "outcomes": n}
    if concept == "nash" and out.ok:
        solver["nash_gap"] = 0.0
    if out.ok:
        tied = tie_sets.agreements(resolved, axes, plan, positions)
        agreement = tie_sets.agreements(resolved, axes, plan, [at[:1] for at in positions], reported=True)[0]
        proposal = _proposal_of(_report(resolved), concept, out, solver, agreement, int(found.size), tied)
        if proposal is not None:
            return proposal
    diagnosis = None
    if out.status == "infeasible":
        from negotiate.compile import compile_case
        from negotiate.diagnose import diagnose

        diagnosis = diagnose(compiled or compile_case(resolved), concept)
    proposal = build(problem, concept, out, diagnosis, solver)
    if out.ok:
        proposal = dataclasses.replace(proposal, ties=int(found.size), tied_agreements=tied)
    return proposal


def _check_numbers(resolved) -> None:
    """The solver path's check of the case's numbers (a located CaseError for values no scaling
    brings within a solver's reach), made once per resolved case: it compiles the model (about
    1 ms at 10^3 outcomes, two thirds of an enumerated solve), and a Resolved is case-constant
    (kept on its frozen Case), so later solves of the same case skip it."""
    if resolved.__dict__.get("_numbers_checked"):
        return
    from negotiate.compile import compile_case

    compile_case(resolved)  # raises CaseError on numbers beyond a solver's reach
    resolved.__dict__["_numbers_checked"] = True


def _outcome(problem, concept, axes, plan, U, best, found, value, positions) -> Outcome:
    """The concept's Outcome: x over the Problem's columns at the first optimal outcome (the
    tie proposed; `positions`: the listed ties' positions on each axis); `best`: the ideals
    (each party's best acceptable utility) if the concept or the caller wants them."""
    parties = problem.resolved.parties
    if not found.size:
        return Outcome("infeasible", message="no agreement satisfies every range, limit, constraint and "
                                             "reservation")
    d, scale = plan["d"].tolist(), plan["uscale"].tolist()  # (plain floats: the same numbers, read faster)
    ideals = best.tolist() if best is not None else None
    held = [p for i, p in enumerate(parties) if ideals[i] - d[i] <= tie_sets.GAIN_TOL * scale[i]] \
        if concept in ("kalai_smorodinsky", "nash") else []
    x = np.zeros(problem.n_cols)
    for (columns, numbers), at in zip(_settings(problem, axes, plan), positions):
        x[columns[at[0]]] = numbers[at[0]]
    out = Outcome("optimal", x, objective=float(value[0]) if value else None, held=held, gap=None)
    if ideals is not None:
        out.ideals = dict(zip(parties, ideals))
    if held:
        where = "the leximin" if concept == "kalai_smorodinsky" else "the Nash product"
        more = " (ideal = reservation)" if concept == "kalai_smorodinsky" else ""
        out.notes.append(f"{', '.join(held)} cannot gain above the reservation in any acceptable agreement"
                         f"{more}: held there, outside {where}")
    if concept == "nash" and len(held) < len(parties):
        utility = U[int(found[0])].tolist()
        if any(utility[i] - d[i] <= tie_sets.GAIN_TOL * scale[i] for i, p in enumerate(parties) if p not in held):
            out.notes.append("no agreement gives every party a positive gain at once: the Nash product is 0 "
                             "everywhere, so the egalitarian agreement is proposed")
    out.price_objective = _price_words(concept)
    out.notes.append(PRICE_NOTE)
    if found.size > 1:
        out.notes.append(f"{found.size} agreements are equally good for {concept}: the first in outcome order "
                         "(issues and options as listed) is proposed; Proposal.tie_set() lists them")
    return out


def _settings(problem, axes, plan) -> list:
    """Per axis, the Problem column set at each of its positions and the value it takes there
    (1 for an option's indicator, the number itself for an integer issue); kept on the plan."""
    kept = plan.get("settings")
    if kept is None:
        kept = plan["settings"] = [
            ([problem.var_col[(a.issue, a.party, o)] for o in a.options], [1.0] * a.size) if a.options is not None
            else ([problem.var_col[(a.issue, a.party, None)]] * a.size,
                  [float(tie_sets._number(v, problem.case.issues[a.issue])) for v in a.values]) for a in axes]
    return kept


def _price_words(concept: str) -> str:
    from negotiate import registry

    return registry.concept(concept).prices


# -- the proposal of an enumerated agreement ------------------------------------------------------
class _Report:
    """What the proposal of an enumerated agreement reads of a resolved case, arranged once per
    case (pure case data, kept on the frozen case's Resolved): the issue variables and their
    ranges, every party's score curves as one set of arrays (proposal._Curves: the arithmetic
    of `proposal.utilities`, all parties at once), each row's scale, each party's reservation.

    The re-check of `negotiate.solving.verify` is made here with each row's scale over its
    terms' ranges, which is at most its scale at the agreement: what passes here passes there
    (an agreement in doubt goes to `verify` itself, through the solver layer's builder)."""

    def __init__(self, resolved, uscale: dict):
        from negotiate.case.status_quo import status_quo_utilities
        from negotiate.formulation.ratification import twolevel_of

        case = resolved.case
        self.name = case.name
        self.two_level = twolevel_of(resolved) is not None  # (never enumerated: acceptance is a vote)
        variables = resolved.variables
        self.keys = [v.key for v in variables]
        sizes = [max(abs(v.lb), abs(v.ub), v.ub - v.lb) for v in variables]
        # each issue variable's range, widened by the check's tolerance (as `verify` widens it)
        self.range_lo = np.array([v.lb - CHECK_TOL * s for v, s in zip(variables, sizes)])
        self.range_hi = np.array([v.ub + CHECK_TOL * s for v, s in zip(variables, sizes)])
        reach = {v.key: max(abs(v.lb), abs(v.ub)) for v in variables}
        self.rows = [self._row(r, reach, CHECK_TOL) for r in resolved.rows]
        self.criteria = [c for p in resolved.parties for c in resolved.criteria[p]]
        self.curves = _Curves(self.criteria)
        curves = self.curves  # the curves' points and slopes as plain floats (the same numbers)
        column = {k: j for j, k in enumerate(self.keys)}
        self.curve_columns = np.array([column[k] for k in curves.keys], np.int64)  # (their keys' columns)
        self.bends = [(i, curves.xs[i, :k + 1].tolist(), curves.ys[i, :k + 1].tolist(),
                       curves.slopes[i, :k].tolist(), k) for i, k in enumerate(curves.last.tolist())
                      if not curves.linear[i]]
        self.parties, start = [], 0
        for p in resolved.parties:
            criteria, party = resolved.criteria[p], case.parties[p]
            d, scale = party.reservation, uscale[p]
            # the reservation's row: its report (`proposal._outcome`: lower bound d, no upper, so its
            # slack is the party's gain, binding within BINDING_TOL of max(1, |d|))
            row = (f"parties.{p}.reservation", d if math.isfinite(d) else None,
                   BINDING_TOL * max(1.0, abs(d)) if math.isfinite(d) else None)
            self.parties.append((p, start, start + len(criteria), [c.id for c in criteria],
                                 [c.weight for c in criteria], party.weight, d, scale,
                                 d - ACCEPT_TOL * scale, -ACCEPT_TOL * scale, row))
            start += len(criteria)
        self.acceptance = case.solve.require_acceptance
        self.status_quo = status_quo_utilities(resolved)

    @staticmethod
    def _bounds(cid, kind, party, lo, hi) -> tuple:
        """A row's report: its id, kind, party, bounds (None if infinite) and binding scale."""
        scale = max([1.0] + [abs(b) for b in (lo, hi) if math.isfinite(b)])
        return (cid, kind, party, lo, hi, lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None,
                math.isfinite(lo), math.isfinite(hi), BINDING_TOL * scale)

    def _row(self, r, reach: dict, tol: float) -> tuple:
        size = max([abs(c) * reach.get(k, 0.0) for k, c in r.lin.terms.items()]
                   + [abs(r.lin.const)] + [abs(b) for b in (r.lo, r.hi) if math.isfinite(b)] + [1e-300])
        return r.lin, r.lo - tol * size, r.hi + tol * size, self._bounds(r.id, r.kind, r.party, r.lo, r.hi)


def _report(resolved) -> _Report:
    kept = resolved.__dict__.get("_report")
    if kept is None:
        from negotiate.compile import resolved_utility_scales

        kept = resolved.__dict__["_report"] = _Report(resolved, resolved_utility_scales(resolved))
    return kept


def _proposal_of(report: _Report, concept: str, out: Outcome, solver: dict, agreement: dict, ties: int,
                 tied: list) -> Proposal | None:
    """The Proposal `negotiate.solving._proposal` makes of an enumerated agreement (the same
    numbers, bit for bit: utilities, scores, rows recomputed from the agreed values), or None
    if the agreement does not pass the re-check at once (the builder then checks it in full)."""
    x = out.x
    if report.two_level or not ((x >= report.range_lo) & (x <= report.range_hi)).all():
        return None
    values = dict(zip(report.keys, x.tolist()))
    scores = _scores(report, x, values)
    ideals, held = out.ideals, out.held
    parties, benefit = {}, 0
    reservations = []
    for p, start, stop, ids, weights, weight, d, scale, lowest, slack, row in report.parties:
        mine = scores[start:stop]
        utility = sum(map(operator.mul, weights, mine))
        if report.acceptance and not utility >= lowest:
            return None
        ideal = ideals.get(p) if ideals else None
        gain = utility - d
        satisfaction = None
        if ideal is not None:
            span = ideal - d
            satisfaction = gain / span if span > 1e-9 * scale else None
        parties[p] = party_outcome(utility, d, ideal, gain, satisfaction, dict(zip(ids, mine)), weight,
                                   gain >= slack, p in held)
        benefit += weight * utility
        if report.acceptance:
            cid, lower, binding = row
            if lower is None:  # (a reservation is a finite number: the general report, to be sure)
                return None
            reservations.append(constraint_outcome(cid, "reservation", p, utility, lower, None, gain,
                                                   gain <= binding, None))
    constraints = []
    for lin, lowest, highest, bounds in report.rows:
        act = lin.value(values)
        if not lowest <= act <= highest:
            return None
        constraints.append(_constraint(bounds, act))
    constraints += reservations
    prices = {"objective": out.price_objective, "conditional_on_discrete_choices": out.prices_conditional,
              "available": False}
    info = solver_info(solver["name"], solver["version"], solver["backend"], solver["seconds"],
                       solver["solver_seconds"], solver["solves"], solver["mip"], solver.get("nash_gap"),
                       {"outcomes": solver["outcomes"]})
    return proposal_made(report.name, concept, status_of(out.status), agreement, parties, benefit, constraints,
                         None, info, list(out.notes), prices, ties, tied, None,
                         None if report.status_quo is None else dict(report.status_quo))


def _scores(report: _Report, x: np.ndarray, values: dict) -> list:
    """Every criterion's score at the agreed values, as `proposal.utilities` computes them: the
    arguments by `_Curves.arguments`, the curves interpolated as `_Curves.scores` does (the
    same operations on the same floats: 5 us for a few curves, against 12 us for the arrays)."""
    curves = report.curves
    at = curves.arguments_at(x[report.curve_columns])
    argument: dict = {}  # id(lin) -> its value: a long argument shared by many criteria, summed once
    for i in curves.long:
        lin = report.criteria[i].lin
        e = argument.get(id(lin))
        if e is None:
            e = argument[id(lin)] = lin.value(values)
        at[i] = e
    scores = at.tolist()
    for i, xs, ys, slopes, last in report.bends:  # _Curves.scores, on a few floats
        e = scores[i]
        if e < xs[0]:
            scores[i] = ys[0]
        else:
            j = bisect.bisect_right(xs, e, 1) - 1  # the points after the first at or below e
            scores[i] = ys[last] if j >= last else slopes[j] * (e - xs[j]) + ys[j]
    return scores


def _constraint(bounds: tuple, value: float):
    """`proposal._outcome` of a row without prices, its bounds read once per case."""
    cid, kind, party, lo, hi, lower, upper, lo_finite, hi_finite, tol = bounds
    if lo_finite and hi_finite:
        slack = min(value - lo, hi - value)
    elif lo_finite:
        slack = value - lo
    elif hi_finite:
        slack = hi - value
    else:
        slack = math.inf
    return constraint_outcome(cid, kind, party, value, lower, upper, slack, slack <= tol, None)
