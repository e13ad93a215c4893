"""The started utilitarian run without HiGHS's own simplex scaling (highs.STARTED_UNSCALED_MAX_ROWS).

Below the threshold the run from negotiate.start's basis is made with simplex_scale_strategy 0,
set for that run only and given back after; at or above it, and on a backend built without our
scaling, HiGHS scales as it always did. The optimum reached so equals scipy's linprog (an
independent solve of the compiled arrays) and the same run with HiGHS's scaling, on generated
and shipped cases, and a what-if re-solve after it equals a cold solve of the changed case.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import negotiate
from negotiate.backends import highs
from negotiate.backends.highs import HighsBackend
from negotiate.case.load import validate_data
from negotiate.compile import compile_case

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import make_case  # noqa: E402
from test_start_basis import by_linprog  # noqa: E402

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"
WATCHED = ("simplex_scale_strategy", "simplex_dual_edge_weight_strategy", "dual_simplex_cost_perturbation_multiplier")


def watched_solve(problem, **options):
    """A utilitarian solve on a new backend, HiGHS's watched options recorded during each run."""
    b = HighsBackend(problem, **options)
    b.set_objective({problem.utility_col[p]: problem.case.parties[p].weight for p in problem.parties})
    seen = []
    run = b.h.run

    def spy():
        seen.append({k: b.h.getOptionValue(k)[1] for k in WATCHED})
        return run()

    b.h.run = spy
    before = {k: b.h.getOptionValue(k)[1] for k in WATCHED}
    result = b.solve()
    return b, result, seen, before


def five_parties():
    return compile_case(validate_data(make_case(5, 30, 10)))


def test_the_started_run_of_a_small_model_runs_without_highs_scaling_and_gives_it_back():
    problem = five_parties()
    assert problem.n_rows < highs.STARTED_UNSCALED_MAX_ROWS
    b, result, seen, before = watched_solve(problem)
    assert result.status == "optimal"
    assert before["simplex_scale_strategy"] != 0
    assert seen == [{"simplex_scale_strategy": 0,
                     "simplex_dual_edge_weight_strategy": highs.STARTED_DUAL_EDGE_WEIGHTS,
                     "dual_simplex_cost_perturbation_multiplier": highs.STARTED_SMALL_COST_PERTURBATION}]
    assert {k: b.h.getOptionValue(k)[1] for k in WATCHED} == before


def test_a_callers_scaling_setting_is_given_back_after_the_started_run():
    problem = five_parties()
    b = HighsBackend(problem)
    b.h.setOptionValue("simplex_scale_strategy", 2)
    b.set_objective({problem.utility_col[p]: problem.case.parties[p].weight for p in problem.parties})
    assert b.solve().status == "optimal"
    assert b.h.getOptionValue("simplex_scale_strategy")[1] == 2


def test_at_the_threshold_and_without_our_scaling_highs_scales_as_before(monkeypatch):
    problem = five_parties()
    monkeypatch.setattr(highs, "STARTED_UNSCALED_MAX_ROWS", problem.n_rows)  # not below it
    _, result, seen, before = watched_solve(problem)
    assert result.status == "optimal"
    assert len(seen) == 1 and seen[0]["simplex_scale_strategy"] == before["simplex_scale_strategy"] != 0
    monkeypatch.undo()
    _, result, seen, before = watched_solve(problem, scaling=False)  # HiGHS's scaling is the only one
    assert result.status == "optimal"
    assert len(seen) == 1 and seen[0]["simplex_scale_strategy"] == before["simplex_scale_strategy"] != 0


def generated(n: int, seed: int):
    return validate_data(make_case(n, 30, 10, seed=seed))


SMALL = [pytest.param(lambda n=n, s=s: generated(n, s), id=f"generated-{n}-{s}")
         for n, s in ((2, 0), (3, 1), (5, 0), (5, 1), (5, 2), (5, 3))]
SMALL += [pytest.param(lambda f=f: negotiate.load_case(CASES_DIR / f), id=f)
          for f in ("asia_pacific_compact.yaml", "eu_effort_sharing_2030.yaml")]


@pytest.mark.parametrize("make", SMALL)
def test_the_unscaled_started_run_reaches_linprogs_optimum_and_the_scaled_runs(make, monkeypatch):
    problem = compile_case(make())
    b, unscaled, seen, _ = watched_solve(problem)
    assert len(seen) == 1 and seen[0]["simplex_dual_edge_weight_strategy"] == highs.STARTED_DUAL_EDGE_WEIGHTS
    monkeypatch.setattr(highs, "STARTED_UNSCALED_MAX_ROWS", 0)  # the same started run, HiGHS scaling
    _, scaled, _, _ = watched_solve(problem)
    assert_the_same_optimum(problem, b, unscaled, scaled)


def assert_the_same_optimum(problem, backend, first, second) -> None:
    """`first` (solved by `backend`) and `second` both optimal, at linprog's objective and each
    other's, and at the same issue values where `backend` proves them the only optimal ones."""
    assert first.status == second.status == "optimal"
    assert first.objective == pytest.approx(by_linprog(problem), rel=1e-9, abs=1e-9)
    assert first.objective == pytest.approx(second.objective, rel=1e-12, abs=1e-12)
    issues = [problem.var_col[v.key] for v in problem.resolved.variables]
    if backend.unique_optimum(issues):  # the only optimal issue values: the same agreement
        assert np.allclose(first.x[issues], second.x[issues], rtol=1e-9, atol=1e-9)


def test_a_whatif_resolve_after_the_unscaled_start_equals_the_cold_solve():
    from negotiate.whatif import Negotiation

    case = generated(5, 0)
    n = Negotiation(case)
    first = n.solve("utilitarian")
    assert first.status == "optimal"
    path, value = "parties.P000.reservation", first.parties["P000"].utility + 0.01  # binding: the agreement moves
    n.set(path, value)
    warm = n.solve("utilitarian")
    cold = negotiate.solve(case.update({path: value}), "utilitarian")
    assert warm.status == cold.status == "optimal"
    assert warm.collective_benefit == pytest.approx(cold.collective_benefit, rel=1e-9)
    assert warm.collective_benefit < first.collective_benefit
    for iid, v in cold.agreement.items():
        for p, x in (v.items() if isinstance(v, dict) else [(None, v)]):
            w = warm.agreement[iid][p] if p is not None else warm.agreement[iid]
            assert w == pytest.approx(x, rel=1e-7, abs=1e-7)
