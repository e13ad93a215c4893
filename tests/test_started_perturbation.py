"""The started utilitarian run without HiGHS's dual cost perturbation (highs.STARTED_SMALL_COST_PERTURBATION).

Below STARTED_UNSCALED_MAX_ROWS, where HiGHS's own scaling is off for the run from negotiate.start's
basis, the dual simplex's cost perturbation is off too, for that run only and given back after; at
or above the threshold, and on a backend built without our scaling, HiGHS perturbs as it always
did. The optimum reached so equals scipy's linprog (an independent solve of the compiled arrays)
and the same run with the perturbation on, on generated cases, the shipped case below the threshold
and random flat cases (ties everywhere: degenerate LPs, where an unperturbed dual simplex may stall).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import negotiate
from negotiate.backends import highs
from negotiate.backends.highs import HighsBackend
from negotiate.compile import compile_case

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_canonical import random_flat_case  # noqa: E402
from test_started_scaling import (  # noqa: E402
    CASES_DIR,
    assert_the_same_optimum,
    five_parties,
    generated,
    watched_solve,
)

PERTURBATION = "dual_simplex_cost_perturbation_multiplier"


def test_the_started_run_of_a_small_model_runs_unperturbed_and_gives_a_callers_setting_back():
    problem = five_parties()
    assert problem.n_rows < highs.STARTED_UNSCALED_MAX_ROWS
    b, result, seen, before = watched_solve(problem)
    assert result.status == "optimal"
    assert before[PERTURBATION] != highs.STARTED_SMALL_COST_PERTURBATION
    assert [s[PERTURBATION] for s in seen] == [highs.STARTED_SMALL_COST_PERTURBATION]
    assert b.h.getOptionValue(PERTURBATION)[1] == before[PERTURBATION]
    b = HighsBackend(problem)
    b.h.setOptionValue(PERTURBATION, 0.5)
    b.set_objective({problem.utility_col[p]: problem.case.parties[p].weight for p in problem.parties})
    assert b.solve().status == "optimal"
    assert b.h.getOptionValue(PERTURBATION)[1] == 0.5


def test_at_the_threshold_and_without_our_scaling_highs_perturbs_as_before(monkeypatch):
    problem = five_parties()
    monkeypatch.setattr(highs, "STARTED_UNSCALED_MAX_ROWS", problem.n_rows)  # not below it
    _, result, seen, before = watched_solve(problem)
    assert result.status == "optimal"
    assert [s[PERTURBATION] for s in seen] == [before[PERTURBATION]] != [highs.STARTED_SMALL_COST_PERTURBATION]
    monkeypatch.undo()
    _, result, seen, before = watched_solve(problem, scaling=False)
    assert result.status == "optimal"
    assert [s[PERTURBATION] for s in seen] == [before[PERTURBATION]] != [highs.STARTED_SMALL_COST_PERTURBATION]


def test_the_shipped_case_above_the_threshold_runs_perturbed():
    problem = compile_case(negotiate.load_case(CASES_DIR / "eu_effort_sharing_2030.yaml"))
    assert problem.n_rows >= highs.STARTED_UNSCALED_MAX_ROWS
    _, result, seen, before = watched_solve(problem)
    assert result.status == "optimal"
    assert [s[PERTURBATION] for s in seen] == [before[PERTURBATION]]


def test_the_benchmarks_case_needs_no_cleanup_iteration_unperturbed(monkeypatch):
    """5 parties, seed 0 (the measured case): perturbed, HiGHS's cleanup after removing the
    perturbation costs a primal simplex iteration (15); unperturbed, 14 (STARTED_SMALL_COST_PERTURBATION)."""
    problem = five_parties()
    b, result, _, _ = watched_solve(problem)
    unperturbed = b.h.getInfo().simplex_iteration_count
    monkeypatch.setattr(highs, "STARTED_SMALL_COST_PERTURBATION", 1.0)  # HiGHS's default
    b, perturbed_result, _, _ = watched_solve(problem)
    assert result.objective == pytest.approx(perturbed_result.objective, rel=1e-12)
    assert unperturbed < b.h.getInfo().simplex_iteration_count


SMALL = [pytest.param(lambda n=n, s=s: generated(n, s), id=f"generated-{n}-{s}")
         for n, s in ((3, 1), (4, 0), (5, 0), (5, 5), (5, 8))]
SMALL += [pytest.param(lambda: negotiate.load_case(CASES_DIR / "asia_pacific_compact.yaml"), id="asia_pacific_compact")]
SMALL += [pytest.param(lambda s=s: random_flat_case(s), id=f"flat-{s}") for s in range(8)]


@pytest.mark.parametrize("make", SMALL)
def test_the_unperturbed_started_run_reaches_linprogs_optimum_and_the_perturbed_runs(make, monkeypatch):
    problem = compile_case(make())
    assert problem.n_rows < highs.STARTED_UNSCALED_MAX_ROWS
    b, unperturbed, seen, _ = watched_solve(problem)
    assert [s[PERTURBATION] for s in seen] == [highs.STARTED_SMALL_COST_PERTURBATION]
    monkeypatch.setattr(highs, "STARTED_SMALL_COST_PERTURBATION", 1.0)  # the same run, HiGHS's default
    _, perturbed, _, _ = watched_solve(problem)
    assert_the_same_optimum(problem, b, unperturbed, perturbed)
