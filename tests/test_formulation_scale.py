"""The faster formulation and solver choice give the same answers.

- A multi-term curve argument many criteria share becomes one column
  (compile.SHARED_MIN_SAVED forced to 0 here, so small cases use it): every
  concept's answer and the shadow prices equal the direct form's, the model
  has fewer nonzeros, and what-if changes through a session equal cold solves.
- Cold LP solves by IPM + crossover (highs.IPM_MIN_ROWS forced to 0): the same
  optimum and the same duals as simplex, checked by finite differences in
  tests/test_shadow_prices.py for simplex; here against simplex itself.
"""

import sys

import pytest

import negotiate
from conftest import ROOT
from negotiate import compile as compile_mod
from negotiate.backends import highs as highs_mod
from negotiate.case.load import validate_data
from test_whatif import concept_value, same_as_cold

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import make_case  # noqa: E402

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def answers(case):
    out = {}
    for concept in CONCEPTS:
        prop = negotiate.solve(case, concept)
        prices = {c.id: c.shadow_price for c in prop.constraints}
        out[concept] = (prop.status, concept_value(case, prop, concept), prices, prop)
    return out


def same(a, b):
    for concept in CONCEPTS:
        sa, va, pa, _ = a[concept]
        sb, vb, pb, _ = b[concept]
        assert sa == sb == "optimal"
        tol = dict(rel=2e-7, abs=1e-9) if concept == "nash" else dict(abs=1e-6)
        assert va == pytest.approx(vb, **tol), concept
        if concept == "utilitarian":  # the benefit's prices (leximin's first-round prices may be degenerate)
            for cid in pa:
                if pa[cid] is not None and pb[cid] is not None:
                    assert pa[cid] == pytest.approx(pb[cid], abs=1e-6), cid


@pytest.fixture
def small_case():
    return validate_data(make_case(8, 5, 5))


def test_shared_argument_column_gives_the_direct_forms_answers(small_case, monkeypatch):
    direct = compile_mod.compile_case(small_case)
    before = answers(small_case)
    monkeypatch.setattr(compile_mod, "SHARED_MIN_SAVED", 0)
    shared = compile_mod.compile_case(small_case)
    assert list(shared.shared_cols) == ["criteria.climate.argument"] and not direct.shared_cols
    assert len(shared.values) < len(direct.values)
    same(before, answers(small_case))


def test_shared_argument_what_if_equals_cold(small_case, monkeypatch):
    monkeypatch.setattr(compile_mod, "SHARED_MIN_SAVED", 0)
    n = negotiate.Negotiation(small_case)
    n.set("parties.P001.data.em", 3.5)  # a coefficient of the shared argument's row
    same_as_cold(n)
    n.drop_party("P002")  # a term of the shared argument goes
    same_as_cold(n, ["utilitarian", "nash"])
    n.restore_party("P002")
    same_as_cold(n, ["utilitarian", "egalitarian"])
    assert n.problem.shared_cols


@pytest.mark.parametrize("name", ["eu_effort_sharing_2030.yaml", "trade_standards.yaml"])
def test_cold_ipm_with_crossover_gives_simplexs_answers(name, monkeypatch):
    case = negotiate.load_case(ROOT / "cases" / name)
    monkeypatch.setattr(highs_mod, "IPM_MIN_ROWS", 10**9)
    simplex = answers(case)
    monkeypatch.setattr(highs_mod, "IPM_MIN_ROWS", 0)
    ipm = answers(case)
    same(simplex, ipm)


def test_ipm_runs_cold_only(monkeypatch):
    """The first LP solve of a model runs IPM; re-solves continue by simplex from its basis."""
    monkeypatch.setattr(highs_mod, "IPM_MIN_ROWS", 0)
    case = validate_data(make_case(6, 4, 4))
    problem = compile_mod.compile_case(case)
    b = highs_mod.HighsBackend(problem)
    assert b._cold_ipm()
    b.set_objective({problem.utility_col["P000"]: 1.0})
    assert b.solve().status == "optimal"
    assert not b._cold_ipm()
    assert b.h.getOptionValue("solver")[-1] == "choose"


def test_large_generated_lp_uses_the_shared_column_by_default():
    case = validate_data(make_case(120, 4, 10))
    problem = compile_mod.compile_case(case)
    assert problem.shared_cols  # 120 position rows x 119 terms saved


def test_clipping_a_curve_interpolates_only_its_ends():
    """compile._shape against the direct reading: every point of (lo, hi) at its own value."""
    import random

    import numpy as np

    rng = random.Random(0)
    for _ in range(2000):
        xs = sorted(rng.sample(range(-50, 50), rng.randint(2, 12)))
        xs = [x / 3 for x in xs]
        ys = [rng.random() for _ in xs]
        lo = rng.choice([rng.uniform(-30, 30), rng.choice(xs), -100.0])
        hi = max(lo, rng.choice([lo + rng.uniform(0, 40), rng.choice(xs), 100.0]))
        kx, ky, _ = compile_mod._shape(xs, ys, lo, hi)
        assert kx[0] == lo and kx[-1] == hi or len(kx) == 1
        grid = np.linspace(lo, hi, 41)
        assert np.allclose(np.interp(grid, kx, ky), np.interp(grid, xs, ys), atol=1e-12)
