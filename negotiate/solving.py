"""Solve a case under a concept: compile, run the concept on a backend, report.

This is the one place that turns a backend's numbers into a `Proposal`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any

from negotiate.backends import make_backend
from negotiate.backends.base import DEFAULT_MIP_TIME_LIMIT
from negotiate.case.load import load_case
from negotiate.case.schema import CONCEPTS, Case
from negotiate.compile import Problem, compile_case
from negotiate.errors import SolveError
from negotiate.formulation.concepts import ConceptRunner, Outcome
from negotiate.proposal import (
    PartyOutcome,
    Proposal,
    agreement_of,
    constraint_outcomes,
    issue_values,
    utilities,
)

# Seconds per MIP solve when neither the case (solve.time_limit) nor the caller sets one:
# a MIP too large to prove optimal then stops with status "feasible" and its gap.
DEFAULT_TIME_LIMIT = DEFAULT_MIP_TIME_LIMIT

ALIASES = {"ks": "kalai_smorodinsky", "kalai-smorodinsky": "kalai_smorodinsky"}


def concept_name(name: str) -> str:
    """The canonical concept name (`ks` is short for kalai_smorodinsky)."""
    name = ALIASES.get(name, name)
    if name not in CONCEPTS:
        raise ValueError(f"unknown concept {name!r}; choose one of {', '.join(CONCEPTS)} (or ks)")
    return name


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
            return solve_enumerated(resolved, name, s.ideals if ideals is None else ideals, axes)
    problem = compile_case(case)
    be = make_backend(problem, backend or s.backend, solver or s.solver,
                      time_limit=limit, mip_gap=s.mip_gap)
    return solve_problem(problem, be, name, s.ideals if ideals is None else ideals)


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


def solve_problem(problem: Problem, backend, concept: str, ideals: bool = False) -> Proposal:
    t0 = time.perf_counter()
    solves0, seconds0 = backend.solves, backend.solver_seconds

    def utility_of(x):
        return utilities(problem, issue_values(problem, x))[0]

    runner = ConceptRunner(backend, problem, utility_of)
    out = runner.run(concept, ideals=ideals or concept == "kalai_smorodinsky")
    tied = _settle_ties(problem, concept, out, runner) if out.ok else None
    diagnosis = None
    if out.status == "infeasible":
        from negotiate.diagnose import diagnose

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
    if runner.limited:
        solver["stopped_at_time_limit"] = True
        solver["time_limit"] = backend.effective_time_limit()
        if runner.limit_gap is not None:
            solver["mip_gap"] = runner.limit_gap
    proposal = _proposal(problem, concept, out, diagnosis, solver)
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


def _proposal(problem: Problem, concept: str, out: Outcome, diagnosis, solver) -> Proposal:
    case = problem.case
    if not out.ok:
        parties = {p: PartyOutcome(None, case.parties[p].reservation, weight=case.parties[p].weight)
                   for p in problem.parties}
        return Proposal(case.name, concept, out.status, None, parties, None, [], diagnosis, solver, out.notes)
    values = issue_values(problem, out.x)
    utils, scores = utilities(problem, values)
    parties = {}
    for p in problem.parties:
        d = case.parties[p].reservation
        ideal = out.ideals.get(p) if out.ideals else None
        gain = utils[p] - d
        satisfaction = None
        if ideal is not None:
            span = ideal - d
            satisfaction = gain / span if span > 1e-9 * max(1.0, abs(ideal)) else None
        parties[p] = PartyOutcome(
            utility=utils[p], reservation=d, ideal=ideal, gain=gain, satisfaction=satisfaction,
            criteria=scores[p], weight=case.parties[p].weight,
            accepts=gain >= -1e-7 * max(1.0, abs(d)), held=p in out.held,
        )
    benefit = sum(case.parties[p].weight * utils[p] for p in problem.parties)
    constraints = constraint_outcomes(problem, values, utils, out.prices)
    notes = list(out.notes)
    if problem.nonconcave:
        notes.append("non-concave score curves modelled exactly with binary variables: "
                     + ", ".join(problem.nonconcave))
    prices = {"objective": out.price_objective, "conditional_on_discrete_choices": out.prices_conditional,
              "available": out.prices is not None}
    return Proposal(case.name, concept, out.status, agreement_of(problem, values), parties, benefit,
                    constraints, None, solver, notes, prices)
