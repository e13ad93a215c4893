"""Ideals proved on a party's own LP (negotiate.formulation.ideals) against scipy's linprog.

Each party's ideal is first solved with the other parties' reservations dropped, and kept only
when the others, completed at that optimum, all meet their reservations; else the full LP is
solved. On these random cases (tests/test_leximin_random.py's, with reservations raised so that
some relaxed optima leave another party short) both happen, often within one case; every ideal
is checked against linprog on the full problem, written here from the case data, and against
negotiate's own full LPs (the proof switched off).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import case_from_dict
from test_leximin_random import ReferenceLP, random_case

import negotiate
from negotiate.compile import compile_case, utility_scales
from negotiate.formulation import concepts
from negotiate.formulation.ideals import OwnLPs
from negotiate.proposal import issue_values, utilities

SEEDS = range(30)


def reserved_case(seed: int) -> dict:
    data = random_case(seed)
    rng = np.random.default_rng(1000 + seed)
    for p in data["parties"].values():
        p["reservation"] = round(float(rng.uniform(0.1, 0.3)), 3)
    return data


def ks_ideals(data: dict, monkeypatch, proof: bool = True) -> tuple[dict | None, list]:
    """Kalai-Smorodinsky's ideals (None: no agreement) and, per run, (proved, parties)."""
    real = concepts.ConceptRunner._proved_ideals
    seen = []

    def spy(self):
        out = real(self) if proof else {}
        seen.append((len(out), len(self.parties)))
        return out

    monkeypatch.setattr(concepts.ConceptRunner, "_proved_ideals", spy)
    prop = negotiate.solve(case_from_dict(data), "kalai_smorodinsky")
    monkeypatch.undo()
    if prop.status == "infeasible":
        return None, seen
    assert prop.status == "optimal", prop.notes
    return {p: o.ideal for p, o in prop.parties.items()}, seen


def test_ideals_proved_or_not_match_scipy_on_the_full_problem(monkeypatch):
    proved = fell_back = mixed = 0
    for seed in SEEDS:
        data = reserved_case(seed)
        ref = ReferenceLP(data).ideals()
        got, seen = ks_ideals(data, monkeypatch)
        if ref is None:
            assert got is None
            continue
        for p, want in ref.items():
            assert got[p] == pytest.approx(want, rel=0, abs=1e-8), (seed, p)
        k, n = seen[0]
        proved, fell_back, mixed = proved + k, fell_back + n - k, mixed + (0 < k < n)
    assert proved >= 30 and fell_back >= 30 and mixed >= 5, (proved, fell_back, mixed)


def test_a_proved_ideal_is_the_full_lps_to_1e_9(monkeypatch):
    for seed in SEEDS:
        data = reserved_case(seed)
        mine, _ = ks_ideals(data, monkeypatch)
        full, _ = ks_ideals(data, monkeypatch, proof=False)
        if mine is None:
            assert full is None
            continue
        for p in mine:
            assert abs(mine[p] - full[p]) <= 1e-9 * max(1.0, abs(full[p])), (seed, p)


def test_the_completion_is_the_rechecks_utility():
    """Each party completed at another's own-LP optimum gets what the proposal's re-check
    computes from the issue values (each curve at its argument), and its arguments lie on
    its curves (issue values within their ranges always reach)."""
    for seed in range(8):
        problem = compile_case(case_from_dict(reserved_case(seed)))
        own = OwnLPs.of(problem)
        assert own is not None
        scale = utility_scales(problem)
        for k in range(len(problem.parties)):
            r, cols = own.solve(k)
            assert r.status == "optimal"
            x = np.zeros(problem.n_cols)
            x[cols] = r.x
            on_curve, u = own.completed(x)
            recheck = utilities(problem, issue_values(problem, x))[0]
            assert on_curve.all()
            for q, p in enumerate(problem.parties):
                assert abs(u[q] - recheck[p]) <= 1e-9 * scale[p], (seed, k, p)


def test_structures_that_do_not_fit_take_the_full_lps(monkeypatch):
    """A non-concave curve (binaries: a MIP) has no own LPs; Kalai-Smorodinsky there still
    answers through the full model."""
    data = reserved_case(0)
    first = next(iter(data["parties"].values()))
    first["criteria"]["own"]["points"] = [[0, 0], [5, 0.1], [10, 1]]  # convex, weighed up
    problem = compile_case(case_from_dict(data))
    assert problem.is_mip and OwnLPs.of(problem) is None
    _, seen = ks_ideals(data, monkeypatch)
    assert seen == [(0, len(data["parties"]))]


def test_a_live_model_not_the_compiled_case_takes_the_full_lps():
    """With the reservations lifted on the backend (require_acceptance=False) the own LPs,
    read off the compiled case, are not asked."""
    from negotiate.backends import make_backend
    from negotiate.solving import solve_problem

    problem = compile_case(case_from_dict(reserved_case(1)))
    b = make_backend(problem, "highs")
    for i in problem.reservation_row.values():
        b.set_row_bounds(i, -np.inf, np.inf)
    runner = concepts.ConceptRunner(b, problem, lambda x: utilities(problem, issue_values(problem, x))[0])
    runner.live_model_is_case = True  # the caller says so wrongly: the row bounds still tell
    assert runner._proved_ideals() == {}
    prop = solve_problem(problem, b, "kalai_smorodinsky", require_acceptance=False)
    assert prop.status == "optimal"


@pytest.mark.parametrize("transform", ["scores x1e-9", "scores x1e9", "share x1e6", "pool x1e-6"])
def test_the_proof_is_the_same_in_any_units(transform, monkeypatch):
    """Scores times 1e-9 or 1e9 (ideals times that), an issue in units 1e6 or 1e-6 times
    smaller: the same parties are proved on their own LPs, and the same ideals come out (to
    1e-9 relative): the tolerances of the completion are relative to each row and party."""
    import rescale

    how, k = transform.split(" x")
    k = float(k)
    for seed in range(12):
        data = json.loads(json.dumps(reserved_case(seed)))  # a clone's criteria scaled once, not twice
        moved = rescale.scores_times(data, k) if how == "scores" else rescale.issue_times(data, how, k)
        factor = k if how == "scores" else 1.0
        mine, seen = ks_ideals(moved, monkeypatch)
        natural, seen_natural = ks_ideals(data, monkeypatch)
        if natural is None:
            assert mine is None
            continue
        assert seen == seen_natural, seed
        for p in natural:
            assert mine[p] / factor == pytest.approx(natural[p], rel=1e-9, abs=1e-12), (seed, p)


@pytest.mark.parametrize("name", ["asia_pacific_compact", "eu_effort_sharing_2030"])
def test_shipped_lp_cases_prove_their_ideals_as_the_full_lps_give_them(name, monkeypatch):
    """The shipped cases that are LPs fit the structure (the two-level and discrete ones are
    MIPs); their ideals, proved on own LPs or not, are the full LPs' to 1e-9 relative. (Here
    the own LPs' optima leave other parties far below their reservations: every ideal falls
    back to the full LP.)"""
    from conftest import ROOT

    case = negotiate.load_case(ROOT / "cases" / f"{name}.yaml")
    assert OwnLPs.of(compile_case(case)) is not None
    real = concepts.ConceptRunner._proved_ideals
    proved = []
    monkeypatch.setattr(concepts.ConceptRunner, "_proved_ideals", lambda self: proved.append(real(self)) or proved[-1])
    mine = {p: o.ideal for p, o in negotiate.solve(case, "kalai_smorodinsky").parties.items()}
    monkeypatch.setattr(concepts.ConceptRunner, "_proved_ideals", lambda self: {})
    full = {p: o.ideal for p, o in negotiate.solve(case, "kalai_smorodinsky").parties.items()}
    assert len(proved) == 1
    for p, want in full.items():
        assert abs(mine[p] - want) <= 1e-9 * max(1.0, abs(want)), p


def test_own_lps_are_no_longer_tried_once_they_keep_failing(monkeypatch):
    """asia_pacific_compact: no own LP proves an ideal (the reservations bind), so after
    OWN_LP_GIVE_UP failures the rest take the full LPs at once, with the same ideals."""
    from conftest import ROOT

    case = negotiate.load_case(ROOT / "cases" / "asia_pacific_compact.yaml")
    tried = []
    real = OwnLPs.solve

    def solve(self, party, time_limit=None):
        tried.append(party)
        return real(self, party, time_limit)

    monkeypatch.setattr(OwnLPs, "solve", solve)
    prop = negotiate.solve(case, "kalai_smorodinsky")
    assert prop.status == "optimal"
    assert tried == list(range(concepts.OWN_LP_GIVE_UP))
    assert len(prop.parties) > len(tried)


def test_a_warm_session_proves_the_same_ideals_as_a_cold_solve(proved_ideals):
    """A Negotiation that solves, moves reservations and a limit, and solves again gives the
    ideals and agreement of a cold solve of the changed case (the own LPs are read off the
    new model, never the old one), with some ideals proved on own LPs along the way."""
    from negotiate.whatif import Negotiation

    checked = 0
    for seed in range(10):
        data = reserved_case(seed)
        if ReferenceLP(data).ideals() is None:
            continue
        session = Negotiation(case_from_dict(data))
        if session.solve("kalai_smorodinsky").status != "optimal":
            continue
        first = next(iter(data["parties"]))
        change = {f"parties.{first}.reservation": 0.05, "constraints.budget":
                  data["constraints"]["budget"].replace("<=", "<= 0.9 *")}
        warm = session.update(change).solve("kalai_smorodinsky")
        cold = negotiate.solve(case_from_dict(data), "kalai_smorodinsky", changes=change)
        assert warm.status == cold.status
        if cold.status != "optimal":
            continue
        checked += 1
        for p, o in cold.parties.items():
            assert abs(warm.parties[p].ideal - o.ideal) <= 1e-9 * max(1.0, abs(o.ideal)), (seed, p)
            assert warm.parties[p].utility == pytest.approx(o.utility, abs=1e-7), (seed, p)
    assert checked >= 5 and sum(proved_ideals) > 0
