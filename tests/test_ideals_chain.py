"""Every party's ideal (max u_p over the acceptable agreements) against cvxpy + Clarabel.

ConceptRunner.ideals chains the solves, each from an earlier optimum's basis, and after a
detour (an optimum far from the last) starts the next from the basis before it. Here the
parties want the shared price far apart, so detours happen; each ideal is checked against
an independent model of the same case written directly in cvxpy (not through negotiate's
expressions, compiler or backends).
"""

from __future__ import annotations

import sys
from itertools import pairwise

import numpy as np
import pytest

cp = pytest.importorskip("cvxpy")

import negotiate
from negotiate.backends.highs import HighsBackend
from negotiate.case.load import validate_data

N = 14
TARGET = 25.0


def curve(rng, lo: float, hi: float, peak: float) -> list[list[float]]:
    xs = np.linspace(lo, hi, 7)
    ys = 1.0 - ((xs - peak) / (hi - lo)) ** 2 * rng.uniform(0.5, 1.0)
    return [[round(float(x), 6), round(float(y), 6)] for x, y in zip(xs, ys)]


def data() -> dict:
    rng = np.random.default_rng(3)
    parties = {}
    for i in range(N):
        peak = 95.0 if i % 4 == 3 else float(rng.uniform(10, 40))  # every fourth wants a far price
        parties[f"P{i:02d}"] = {
            "reservation": 0.2,
            "criteria": {
                "cost": {"of": "reduction[self]", "weight": 2,
                         "points": [[0, 1], [20, 0.9], [40, 0.6], [60, 0]]},
                "price": {"of": "price", "weight": round(float(rng.uniform(0.5, 2)), 3),
                          "points": curve(rng, 0, 100, peak)},
                "mix": {"of": "reduction[self] / 2 + price / 4", "weight": 1,
                        "points": curve(rng, 0, 55, float(rng.uniform(5, 50)))},
            },
            "limits": {"cap": f"reduction[self] <= {round(float(rng.uniform(30, 60)), 2)}"},
        }
    return {
        "name": "ideal chain",
        "issues": {"reduction": {"per_party": True, "range": [0, 60]}, "price": {"range": [0, 100]}},
        "constraints": {"collective": f"sum(reduction) >= {TARGET * N}"},
        "parties": parties,
    }


def concave_pl(x, points):
    lines = [y0 + (y1 - y0) / (x1 - x0) * (x - x0) for (x0, y0), (x1, y1) in pairwise(points)]
    return cp.minimum(*lines)


def cvxpy_ideals(d: dict) -> dict:
    ps = list(d["parties"])
    r, price = cp.Variable(len(ps)), cp.Variable()
    cons = [r >= 0, r <= 60, price >= 0, price <= 100, cp.sum(r) >= TARGET * N]
    u = {}
    for i, p in enumerate(ps):
        spec = d["parties"][p]
        c = spec["criteria"]
        cons.append(r[i] <= float(spec["limits"]["cap"].split("<=")[1]))
        total = sum(k["weight"] for k in c.values())
        u[p] = (c["cost"]["weight"] * concave_pl(r[i], c["cost"]["points"])
                + c["price"]["weight"] * concave_pl(price, c["price"]["points"])
                + c["mix"]["weight"] * concave_pl(r[i] / 2 + price / 4, c["mix"]["points"])) / total
        cons.append(u[p] >= spec["reservation"])
    out = {}
    for p in ps:
        prob = cp.Problem(cp.Maximize(u[p]), cons)
        prob.solve(solver=cp.CLARABEL)
        assert prob.status == "optimal"
        out[p] = prob.value
    return out


def full_lps_only(monkeypatch) -> None:
    """Every ideal through the chain of full LPs (none proved on a party's own LP first)."""
    from negotiate.formulation import concepts

    monkeypatch.setattr(concepts.ConceptRunner, "_proved_ideals", lambda self: {})


def test_ideals_through_detours_match_cvxpy(monkeypatch):
    full_lps_only(monkeypatch)
    d = data()
    restarts = []
    keep = HighsBackend.set_basis

    def set_basis(self, basis):  # counts the chain's restarts (canonical.py restores bases too)
        if sys._getframe(1).f_code.co_name == "solved":
            restarts.append(1)
        keep(self, basis)

    monkeypatch.setattr(HighsBackend, "set_basis", set_basis)
    prop = negotiate.solve(validate_data(d), "kalai_smorodinsky")
    assert restarts, "no detour: the case no longer exercises the restart"
    ref = cvxpy_ideals(d)
    for p, want in ref.items():
        assert prop.parties[p].ideal == pytest.approx(want, abs=1e-6)


def test_ideals_proved_on_own_lps_match_cvxpy(proved_ideals):
    """The same ideals first tried on each party's own LP (negotiate.formulation.ideals): those
    proved there and those the full LPs give alike match cvxpy."""
    d = data()
    prop = negotiate.solve(validate_data(d), "kalai_smorodinsky")
    assert proved_ideals and proved_ideals[0] > 0
    ref = cvxpy_ideals(d)
    for p, want in ref.items():
        assert prop.parties[p].ideal == pytest.approx(want, abs=1e-6)


def test_capped_ideals_solved_again_cold_match_cvxpy(monkeypatch):
    """A hot ideal that meets IDEAL_HOT_ITERATIONS is solved again cold: the same optimum."""
    from negotiate.formulation import concepts

    full_lps_only(monkeypatch)
    d = data()
    capped = []
    keep = HighsBackend.solve_capped

    def solve_capped(self, max_iterations):
        r = keep(self, max_iterations)
        capped.append(r is None)
        return r

    monkeypatch.setattr(concepts, "IDEAL_HOT_ITERATIONS", 30)
    monkeypatch.setattr(HighsBackend, "solve_capped", solve_capped)
    prop = negotiate.solve(validate_data(d), "kalai_smorodinsky")
    assert any(capped) and not all(capped), "the cap no longer splits the hot ideals"
    ref = cvxpy_ideals(d)
    for p, want in ref.items():
        assert prop.parties[p].ideal == pytest.approx(want, abs=1e-6)


def test_kalai_smorodinsky_runs_without_highs_scaling_and_gives_the_setting_back(monkeypatch):
    """Kalai-Smorodinsky's solves (ideals, start LP, leximin) run with HiGHS's own simplex scaling
    off (ConceptRunner._unscaled); the session's setting is given back after it, so the next
    concept solves as it did before: egalitarian's first (cold) round with it (its later rounds
    without: tests/test_leximin_random.py), and the setting given back again."""
    from negotiate.whatif import Negotiation

    seen = []
    keep = HighsBackend._solve

    def spy(self):
        seen.append(self.h.getOptionValue("simplex_scale_strategy")[1])
        return keep(self)

    full_lps_only(monkeypatch)
    monkeypatch.setattr(HighsBackend, "_solve", spy)
    n = Negotiation(validate_data(data()))
    before = n.backend.h.getOptionValue("simplex_scale_strategy")[1]
    assert before != 0
    assert n.solve("kalai_smorodinsky").status == "optimal"
    assert len(seen) > N and seen[:N] == [0] * N  # the ideals, then the start LP and the leximin
    assert n.backend.h.getOptionValue("simplex_scale_strategy")[1] == before
    seen.clear()
    n.solve("egalitarian")
    assert seen[0] == before
    assert n.backend.h.getOptionValue("simplex_scale_strategy")[1] == before
    seen.clear()
    n.solve("utilitarian")
    assert seen and set(seen) == {before}


def test_without_simplex_scaling_gives_back_the_callers_setting():
    from negotiate.compile import compile_case

    problem = compile_case(validate_data(data()))
    b = HighsBackend(problem)
    b.h.setOptionValue("simplex_scale_strategy", 2)
    with b.without_simplex_scaling():
        assert b.h.getOptionValue("simplex_scale_strategy")[1] == 0
    assert b.h.getOptionValue("simplex_scale_strategy")[1] == 2
    bare = HighsBackend(problem, scaling=False)  # HiGHS's scaling is then the only one: kept
    default = bare.h.getOptionValue("simplex_scale_strategy")[1]
    with bare.without_simplex_scaling():
        assert bare.h.getOptionValue("simplex_scale_strategy")[1] == default
