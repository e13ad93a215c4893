"""Concepts on continuous cases against an independent solver (cvxpy + Clarabel).

The climate club case is written again here directly in cvxpy, from its data
(points, weights, reservations) but not through negotiate's expressions,
compiler or backends; its discrete MRV standard is enumerated. Nash's log is
handled by Clarabel's exponential cone; the leximin reference uses the
"test every party" scheme rather than our dual-based one.
"""

import math

import numpy as np
import pytest

cp = pytest.importorskip("cvxpy")

import negotiate  # noqa: E402
from conftest import ROOT  # noqa: E402

CASE = ROOT / "cases" / "climate_club.yaml"


def concave_pl(x, points):
    """A concave piecewise-linear curve as the minimum of its segments' lines."""
    pts = [(float(a), float(b)) for a, b in points]
    lines = []
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        s = (y1 - y0) / (x1 - x0)
        lines.append(y0 + s * (x - x0))
    return cp.minimum(*lines) if len(lines) > 1 else lines[0]


class ClimateModel:
    """The climate club in cvxpy for one MRV option."""

    def __init__(self, case, mrv: str):
        ps = list(case.parties)
        self.parties = ps
        e = np.array([case.parties[p].data["emissions"] for p in ps])
        self.r = cp.Variable(len(ps))
        self.f = cp.Variable(len(ps))
        r, f = self.r, self.f
        x = (e @ r) / e.sum()
        cons = [r >= 0, r <= 60, f >= -40, f <= 40,
                e @ r >= case.parameters["target"] * e.sum(), cp.sum(f) == 0]
        idx = {p: i for i, p in enumerate(ps)}
        cons += [f[idx["CHN"]] <= 10, f[idx["USA"]] <= 30, r[idx["EU"]] >= 40,
                 r[idx["IND"]] <= 30, f[idx["IND"]] <= 0, f[idx["IDN"]] <= 0]
        self.u = {}
        for p in ps:
            c = case.parties[p].criteria
            total = sum(k.weight for k in c.values())
            i = idx[p]
            s = (c["abatement_cost"].weight * concave_pl(r[i], c["abatement_cost"].points)
                 + c["climate"].weight * cp.minimum(1, x / 40)
                 + c["finance"].weight * concave_pl(f[i], c["finance"].points)
                 + c["mrv"].weight * c["mrv"].scores[mrv])
            self.u[p] = s / total
        self.d = {p: case.parties[p].reservation for p in ps}
        self.base = cons + [self.u[p] >= self.d[p] for p in ps]

    def maximise(self, objective, extra=()):
        prob = cp.Problem(cp.Maximize(objective), self.base + list(extra))
        prob.solve(solver=cp.CLARABEL)
        if prob.status not in ("optimal", "optimal_inaccurate"):
            return None
        return prob.value


@pytest.fixture(scope="module")
def climate():
    case = negotiate.load_case(CASE)
    models = {m: ClimateModel(case, m) for m in case.issues["mrv"].options}
    return case, models


def test_utilitarian_matches_cvxpy(climate):
    case, models = climate
    ref = max(v for m in models.values() if (v := m.maximise(sum(m.u.values()))) is not None)
    prop = negotiate.solve(case, "utilitarian")
    assert prop.collective_benefit == pytest.approx(ref, abs=1e-6)


def test_ideals_match_cvxpy(climate):
    case, models = climate
    prop = negotiate.solve(case, "nash", ideals=True)
    for p in case.parties:
        ref = max(v for m in models.values() if (v := m.maximise(m.u[p])) is not None)
        assert prop.parties[p].ideal == pytest.approx(ref, abs=1e-6)


def test_nash_matches_exponential_cone(climate):
    case, models = climate
    best = -math.inf
    for m in models.values():
        v = m.maximise(sum(cp.log(m.u[p] - m.d[p]) for p in m.parties))
        if v is not None:
            best = max(best, v)
    prop = negotiate.solve(case, "nash")
    ours = sum(math.log(o.gain) for o in prop.parties.values())
    assert ours == pytest.approx(best, abs=1e-6)
    assert prop.solver["nash_gap"] <= 1e-7


def leximin_reference(model, scale):
    """Leximin of scale[p]*(u_p - d_p) by max-min, then test every free party."""
    gains = {p: scale[p] * (model.u[p] - model.d[p]) for p in model.parties}
    fixed, free = {}, list(model.parties)
    levels = []
    while free:
        t = cp.Variable()
        extra = [gains[p] >= t for p in free] + [gains[p] >= v - 1e-9 for p, v in fixed.items()]
        level = model.maximise(t, extra)
        if level is None:
            return None
        floor = [gains[p] >= level - 1e-9 for p in free] + [gains[p] >= v - 1e-9 for p, v in fixed.items()]
        stuck = [p for p in free if model.maximise(gains[p], floor) <= level + 1e-6]
        for p in stuck or free:
            fixed[p] = level
            free.remove(p)
            levels.append(level)
    return sorted(levels)


def lex_compare(a, b, tol=1e-5):
    for x, y in zip(a, b):
        if abs(x - y) > tol:
            return x - y
    return 0


@pytest.mark.parametrize("concept", ["egalitarian", "kalai_smorodinsky"])
def test_leximin_matches_reference(climate, concept):
    case, models = climate
    prop = negotiate.solve(case, concept, ideals=True)
    if concept == "egalitarian":
        scale = {p: 1.0 / case.parties[p].weight for p in case.parties}
    else:
        scale = {p: 1.0 / (prop.parties[p].ideal - prop.parties[p].reservation) for p in case.parties}
    refs = [r for m in models.values() if (r := leximin_reference(m, scale)) is not None]
    best = refs[0]
    for r in refs[1:]:
        if lex_compare(r, best) > 0:
            best = r
    ours = sorted(scale[p] * prop.parties[p].gain for p in case.parties)
    assert lex_compare(ours, best) == 0, (ours, best)


@pytest.mark.parametrize("concept", ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"])
def test_no_acceptable_agreement_dominates(climate, concept):
    """Pareto: nobody can gain without someone losing (checked in cvxpy)."""
    case, models = climate
    prop = negotiate.solve(case, concept)
    ours = {p: prop.parties[p].utility for p in case.parties}
    for m in models.values():
        v = m.maximise(sum(m.u.values()), [m.u[p] >= ours[p] - 1e-9 for p in m.parties])
        if v is not None:
            assert v <= sum(ours.values()) + 1e-6


def test_nonconcave_continuous_curve_matches_fine_grid():
    """A continuous issue with a non-concave score (an exact MIP) vs a fine grid."""
    from conftest import case_from_dict

    points_a = [[0, 0.2], [30, 0.9], [60, 0.3], [100, 1.0]]  # neither concave nor convex
    points_b = [[0, 1.0], [50, 0.4], [70, 0.6], [100, 0.0]]
    case = case_from_dict({
        "name": "non-concave", "issues": {"level": {"range": [0, 100]}},
        "parties": {
            "A": {"reservation": 0.3, "criteria": {"c": {"of": "level", "points": points_a}}},
            "B": {"reservation": 0.2, "criteria": {"c": {"of": "level", "points": points_b}}},
        },
    })
    xs = np.linspace(0, 100, 200_001)
    ua = np.interp(xs, *zip(*points_a))
    ub = np.interp(xs, *zip(*points_b))
    ok = (ua >= 0.3) & (ub >= 0.2)
    grid_util = (ua + ub)[ok].max()
    grid_egal = np.minimum(ua - 0.3, ub - 0.2)[ok].max()
    grid_nash = (np.log(ua[ok] - 0.3 + 1e-300) + np.log(ub[ok] - 0.2 + 1e-300)).max()
    u = negotiate.solve(case, "utilitarian")
    assert u.collective_benefit == pytest.approx(grid_util, abs=1e-5)
    assert u.collective_benefit >= grid_util - 1e-9
    e = negotiate.solve(case, "egalitarian")
    assert min(o.gain for o in e.parties.values()) == pytest.approx(grid_egal, abs=1e-5)
    n = negotiate.solve(case, "nash")
    assert sum(math.log(o.gain) for o in n.parties.values()) == pytest.approx(grid_nash, abs=1e-4)
    assert any("non-concave" in note for note in u.notes)
