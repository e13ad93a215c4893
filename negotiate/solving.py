"""Solve a case under a concept: compile, run the concept on a backend, report.

This is the one place that turns a backend's numbers into a `Proposal`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from negotiate.backends import make_backend
from negotiate.case.load import load_case
from negotiate.case.schema import CONCEPTS, Case
from negotiate.compile import Problem, compile_case
from negotiate.errors import SolveError
from negotiate.formulation.concepts import ConceptRunner, Outcome
from negotiate.case.status_quo import status_quo_utilities
from negotiate.proposal import (
    PartyOutcome,
    Proposal,
    agreement_of,
    constraint_outcomes,
    issue_values,
    utilities,
)

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
) -> Proposal:
    """The agreement `concept` proposes for `case` (a Case or a file path).

    `changes` are what-if edits `{"dotted.path": value}` applied first. Never
    raises for "no agreement": that is `status == "infeasible"`. Raises
    CaseError for an invalid case and SolveError if the solver itself fails.
    """
    case = as_case(case)
    if changes:
        case = case.update(changes)
    s = case.solve
    problem = compile_case(case)
    be = make_backend(problem, backend or s.backend, solver or s.solver,
                      time_limit=time_limit or s.time_limit, mip_gap=s.mip_gap)
    return solve_problem(problem, be, concept_name(concept or s.concept),
                         s.ideals if ideals is None else ideals)


def solve_problem(problem: Problem, backend, concept: str, ideals: bool = False) -> Proposal:
    t0 = time.perf_counter()
    solves0, seconds0 = backend.solves, backend.solver_seconds

    def utility_of(x):
        return utilities(problem, issue_values(problem, x))[0]

    runner = ConceptRunner(backend, problem, utility_of)
    out = runner.run(concept, ideals=ideals or concept == "kalai_smorodinsky")
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
    return _proposal(problem, concept, out, diagnosis, solver)


def _proposal(problem: Problem, concept: str, out: Outcome, diagnosis, solver) -> Proposal:
    case = problem.case
    if not out.ok:
        parties = {p: PartyOutcome(None, case.parties[p].reservation, weight=case.parties[p].weight)
                   for p in problem.parties}
        return Proposal(case.name, concept, out.status, None, parties, None, [], diagnosis, solver, out.notes,
                        status_quo=status_quo_utilities(problem.resolved))
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
                    constraints, None, solver, notes, prices, status_quo=status_quo_utilities(problem.resolved))
