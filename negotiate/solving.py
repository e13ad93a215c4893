"""Solve a case under a concept: compile, run the concept on a backend, report.

This is the one place that turns a backend's numbers into a `Proposal`.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from negotiate.backends import make_backend
from negotiate.backends.base import DEFAULT_MIP_TIME_LIMIT
from negotiate.case.load import load_case
from negotiate import registry
from negotiate.case.schema import Case
from negotiate.compile import Problem, compile_case, utility_scales
from negotiate.errors import SolveError
from negotiate.formulation.concepts import ConceptRunner, Outcome
from negotiate.case.status_quo import status_quo_utilities
from negotiate.proposal import (
    ACCEPT_TOL,
    CHECK_TOL,
    PartyOutcome,
    Proposal,
    agreement_of,
    constraint_outcomes,
    issue_values,
    party_outcome,
    proposal_made,
    row_values,
    solver_of,
    status_of,
    utilities,
)

# Seconds per MIP solve when neither the case (solve.time_limit) nor the caller sets one:
# a MIP too large to prove optimal then stops with status "feasible" and its gap.
DEFAULT_TIME_LIMIT = DEFAULT_MIP_TIME_LIMIT


def concept_name(name: str) -> str:
    """The canonical concept name (`ks` is short for kalai_smorodinsky); ValueError if unknown."""
    return registry.concept(name).name


def as_case(case: Case | str | Path) -> Case:
    return case if isinstance(case, Case) else load_case(case)


def solve(
    case: Case | str | Path,
    concept: str | None = None,
    *,
    backend: str | None = None,
    solver: str | None = None,
    ideals: bool | None = None,
    time_limit: float | None = None,
    changes: dict[str, Any] | None = None,
    enumerate: bool | None = None,
) -> Proposal:
    """The agreement `concept` proposes for `case` (a Case or a file path).

    `changes` are what-if edits `{"dotted.path": value}` applied first.
    `enumerate`: small discrete cases are solved by enumerating every outcome
    (negotiate.discrete) unless False, or unless the pyomo backend or a named
    solver is asked for (None, the default); True insists (ValueError if the
    case has a continuous issue or too many outcomes). Never
    raises for "no agreement": that is `status == "infeasible"`. Raises
    CaseError for an invalid case and SolveError if the solver itself fails.
    """
    case = as_case(case)
    if changes:
        case = case.update(changes)
    s = case.solve
    name = concept_name(concept or s.concept)
    limit = time_limit_of(time_limit, s.time_limit)
    if _enumerating(enumerate, backend or s.backend, solver or s.solver):
        from negotiate.case.resolve import resolve
        from negotiate.discrete import enumerable, solve_enumerated

        resolved = resolve(case)
        axes = enumerable(resolved)
        if axes is not None or enumerate:
            return solve_enumerated(resolved, name, s.ideals if ideals is None else ideals, axes, build=_proposal)
    with collector_paused():
        problem = compile_case(case)
        be = make_backend(problem, backend or s.backend, solver or s.solver,
                          time_limit=limit, mip_gap=s.mip_gap)
        return solve_problem(problem, be, name, s.ideals if ideals is None else ideals)


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector off for the body (and back on after, if it was on).
    A solve allocates many small objects (the compiled rows, the proposal) and frees them by
    reference counting; the collections they trigger traverse every object alive, the loaded
    case's included, and find nothing to free. CPU seconds of the utilitarian solve, best of 5,
    benchmarks/generate.py cases (one run, load 6 on 2 cores), collector on vs paused:
    5 parties 0.0116 vs 0.0113; 50 parties 0.142 vs 0.134; 200 parties 0.79-0.84 vs 0.69-0.71.
    The collector is one per process: pauses are counted across threads, and it is turned
    back on when the last one ends (only if a pause is what turned it off), so solves in
    threads never leave it off nor turn it on under another thread's pause."""
    global _pauses, _disabled_by_us
    with _collector_lock:
        if _pauses == 0:
            _disabled_by_us = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _pauses -= 1
            if _pauses == 0 and _disabled_by_us:
                _disabled_by_us = False
                gc.enable()


_collector_lock = threading.Lock()
_pauses = 0  # collector_paused bodies running, in every thread
_disabled_by_us = False  # the collector is off because the first of them turned it off


@contextmanager
def collector_resumed():
    """The collector back on for the body, if `collector_paused` is what turned it off: a
    diagnosis validates and compiles restricted cases by the dozen (each a Case <-> Resolved
    cycle that only the collector frees), so with the collector paused its garbage piled up
    until the solve returned (61 MB against 32 MB peak on a 60-party infeasible case)."""
    with _collector_lock:
        resume = _disabled_by_us and _pauses > 0 and not gc.isenabled()
        if resume:
            gc.enable()
    if not resume:
        yield
        return
    try:
        yield
    finally:
        with _collector_lock:
            if _disabled_by_us and _pauses > 0:
                gc.disable()


def time_limit_of(asked: float | None, case_limit: float | None) -> float | None:
    """Seconds per solver call set by the caller, else by the case, else None (then the
    backends give a MIP DEFAULT_TIME_LIMIT and an LP none).

    Raises ValueError unless a limit set is a positive, finite number of seconds."""
    limit = asked if asked is not None else case_limit
    if limit is None:
        return None
    if not isinstance(limit, (int, float)) or isinstance(limit, bool) or not math.isfinite(limit) or limit <= 0:
        raise ValueError(f"the time limit is a positive, finite number of seconds (got {limit!r})")
    return float(limit)


def _enumerating(enumerate: bool | None, backend: str, solver: str | None) -> bool:
    """Whether small discrete cases go to the enumeration (see `solve`)."""
    if enumerate is None:
        return backend == "highs" and solver is None
    return enumerate


def solve_problem(problem: Problem, backend, concept: str, ideals: bool = False,
                  require_acceptance: bool | None = None) -> Proposal:
    """The proposal of `concept` on a built backend. `require_acceptance=False` tells the
    re-check of the agreement that the caller lifted the reservations on the backend."""
    t0 = time.perf_counter()
    solves0, seconds0 = backend.solves, backend.solver_seconds

    def utility_of(x):
        return utilities(problem, issue_values(problem, x))[0]

    runner = ConceptRunner(backend, problem, utility_of)
    runner.live_model_is_case = require_acceptance is not False  # nothing lifted on the backend
    accept = problem.case.solve.require_acceptance if require_acceptance is None else require_acceptance

    def passes(x) -> bool:  # the re-check of `_proposal`: a wrong agreement is reported, not moved
        values = issue_values(problem, x)
        return not verify(problem, x, values, utilities(problem, values)[0], utility_scales(problem), accept)

    runner.canonical = passes  # among equally good agreements, the canonical one (warm and cold alike)
    out = runner.run(concept, ideals=ideals or registry.concept(concept).needs_ideals)
    tied = _settle_ties(problem, concept, out, runner) if out.ok else None
    diagnosis = None
    if out.status == "infeasible":
        from negotiate.diagnose import diagnose

        with collector_resumed():
            diagnosis = diagnose(problem, concept)
    if out.status == "error":
        raise SolveError(out.message)
    name, version = backend.solver_info()
    solver = {
        "name": name,
        "version": version,
        "backend": backend.name,
        "seconds": round(time.perf_counter() - t0, 6),
        "solver_seconds": round(backend.solver_seconds - seconds0, 6),
        "solves": backend.solves - solves0,
        "mip": backend.is_mip(),
    }
    if out.gap is not None:
        solver["nash_gap"] = out.gap
    solver.update(out.solver_info)  # e.g. Nash: the method used, and the cone solver's seconds
    if runner.limited:
        solver["stopped_at_time_limit"] = True
        solver["time_limit"] = backend.effective_time_limit()
        if runner.limit_gap is not None:
            solver["mip_gap"] = runner.limit_gap
    proposal = _proposal(problem, concept, out, diagnosis, solver, accept)
    if tied is not None:
        proposal = dataclasses.replace(proposal, ties=tied.count, tied_agreements=tied.agreements)
    return proposal


def _settle_ties(problem: Problem, concept: str, out: Outcome, runner: ConceptRunner):
    """Small discrete cases: count the ties and propose the first (negotiate.ties)."""
    from negotiate.tie_sets import settle

    tied, moved, note = settle(problem, concept, out, runner.b)
    if note:
        out.notes.append(note)
    if tied is not None and tied.count > 1:
        out.notes.append(f"{tied.count} agreements are equally good for {concept}: the first in outcome order "
                         "(issues and options as listed) is proposed; Proposal.tie_set() lists them")
    if moved and out.prices is not None:  # the prices were the solver's pick's: price the proposed tie
        out.prices, out.prices_conditional = None, False
        runner._price(concept, out)
        if out.prices is None:
            out.notes.append("shadow prices not available: the proposed tie's discrete choices could not be priced")
    return tied


def verify(problem: Problem, x, values: dict, utils: dict, uscale: dict, acceptance: bool = True,
           acts: list | None = None) -> list[str]:
    """Every range, limit, collective constraint and acceptance, recomputed from the agreed
    values (not read off the solver); what fails, in words. Tolerances are relative to the
    size of each row's terms (or of a party's utility), so any unit is checked alike.
    `acts`: the rows' `row_values` at `values`, when the caller has them."""
    # A value within its bounds passes whatever the tolerance, so a scale is computed only for a
    # value outside them: verify took 20 us in a fresh 5-party solve scaling its 6 ranges and 6
    # rows, 8 us so (wall, medians of 400 solves, load 1).
    out = []
    variables = problem.resolved.variables
    var_col = problem.var_col
    for v in variables:
        raw = float(x[var_col[v.key]])
        if v.lb <= raw <= v.ub:
            continue
        size = max(abs(v.lb), abs(v.ub), v.ub - v.lb)
        if not (v.lb - CHECK_TOL * size <= raw <= v.ub + CHECK_TOL * size):  # (NaN fails this too)
            out.append(f"{v.name} = {raw:.6g} is outside its range [{v.lb:g}, {v.ub:g}]")
    reach = None
    rows = problem.resolved.rows
    for r, act in zip(rows, row_values(problem, values) if acts is None else acts, strict=True):
        if r.lo <= act <= r.hi:
            continue
        if reach is None:
            reach = {v.key: max(abs(v.lb), abs(v.ub)) for v in variables}
        # the row's scale: what its terms can reach over their ranges (not only their values here:
        # a balance of transfers that are all near 0 is still measured in the transfers' units)
        size = max([abs(c) * max(abs(values[k]), reach.get(k, 0.0)) for k, c in r.lin.terms.items()]
                   + [abs(r.lin.const)] + [abs(b) for b in (r.lo, r.hi) if math.isfinite(b)] + [1e-300])
        if not (r.lo - CHECK_TOL * size <= act <= r.hi + CHECK_TOL * size):  # (NaN fails this too)
            out.append(f"{r.id} = {act:.6g} is outside [{r.lo:g}, {r.hi:g}]")
    if acceptance and problem.case.solve.require_acceptance:
        handled = set((getattr(problem, "twolevel", None) or {}).get("handled", ()))
        if handled:  # a two-level case: acceptance is ratification and the decision rule
            from negotiate.formulation.ratification import evaluate

            found = evaluate(problem, values, utils, x)
            if found is not None and not found.passes:
                out.append(f"the agreement does not pass the decision rule ({found.rule}): "
                           f"accepted by {', '.join(found.accepting) or 'nobody'}")
        for p in problem.parties:
            if p in handled:  # outvoted parties may fall below their reservation; stakeholders have no veto
                continue
            d = problem.case.parties[p].reservation
            if not utils[p] >= d - ACCEPT_TOL * uscale[p]:
                out.append(f"{p}'s utility {utils[p]:.6g} is below its reservation {d:g}")
    return out


def _proposal(problem: Problem, concept: str, out: Outcome, diagnosis, solver, acceptance: bool = True) -> Proposal:
    case = problem.case
    if not out.ok:
        parties = {p: PartyOutcome(None, case.parties[p].reservation, weight=case.parties[p].weight)
                   for p in problem.parties}
        return Proposal(case.name, concept, out.status, None, parties, None, [], diagnosis, solver,
                        out.notes + _two_level_notes(problem), status_quo=status_quo_utilities(problem.resolved))
    values = issue_values(problem, out.x)
    utils, scores = utilities(problem, values)
    uscale = utility_scales(problem)
    acts = row_values(problem, values)  # (re-checked, then reported)
    violations = verify(problem, out.x, values, utils, uscale, acceptance, acts)
    if violations:
        failed = Outcome("error", notes=list(out.notes) + [
            "the solver's agreement fails the check of the agreed values, so it is not proposed: "
            + "; ".join(violations[:5]) + (f"; and {len(violations) - 5} more" if len(violations) > 5 else "")])
        return _proposal(problem, concept, failed, diagnosis, solver)
    parties = {}
    for p in problem.parties:
        party = case.parties[p]
        d = party.reservation
        ideal = out.ideals.get(p) if out.ideals else None
        gain = utils[p] - d
        satisfaction = None
        if ideal is not None:
            span = ideal - d
            satisfaction = gain / span if span > 1e-9 * uscale[p] else None
        # (field order: utility, reservation, ideal, gain, satisfaction, criteria, weight, accepts, held)
        parties[p] = party_outcome(utils[p], d, ideal, gain, satisfaction, scores[p], party.weight,
                                   gain >= -ACCEPT_TOL * uscale[p], p in out.held)
    ratification = _ratification(problem, values, utils, out.x, parties)
    benefit = sum(o.weight * o.utility for o in parties.values())
    constraints = constraint_outcomes(problem, values, utils, out.prices, acts)
    notes = list(out.notes)
    if problem.nonconcave:
        notes.append("non-concave score curves modelled exactly with binary variables: "
                     + ", ".join(problem.nonconcave))
    prices = {"objective": out.price_objective, "conditional_on_discrete_choices": out.prices_conditional,
              "available": out.prices is not None}
    # (every field as Proposal's __post_init__ leaves it: 9.2 -> 6.9 us steady state)
    return proposal_made(case.name, concept, status_of(out.status), agreement_of(problem, values), parties, benefit,
                         constraints, None, solver_of(solver), notes, prices, None, None, ratification,
                         status_quo_utilities(problem.resolved))


def _two_level_notes(problem: Problem) -> list[str]:
    from negotiate.formulation.ratification import twolevel_of

    if twolevel_of(problem.resolved) is None:
        return []
    return ["two-level case: an agreement must also be ratified by the constituencies and pass the decision "
            "rule; `negotiate winset CASE --party P` shows, per issue, what each party would ratify"]


def _ratification(problem: Problem, values: dict, utils: dict, x, parties: dict) -> dict | None:
    """Two-level cases: acceptance includes ratification (parties' `accepts` updated in place)."""
    from dataclasses import replace

    from negotiate.formulation.ratification import evaluate

    found = evaluate(problem, values, utils, x)
    if found is None:
        return None
    for p in found.accepting + found.outvoted:
        parties[p] = replace(parties[p], accepts=p in found.accepting)
    return found.to_dict()
