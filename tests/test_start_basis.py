"""negotiate.start: the written starting basis of the utilitarian LP.

It only changes where HiGHS's simplex starts: the optimum found from it equals scipy's linprog
(an independent solve of the compiled arrays) and HiGHS's own cold solve from the slack basis,
the basis is dual feasible as the module says, and models it does not fit get none.
"""

from __future__ import annotations

import sys
from pathlib import Path

import highspy
import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from negotiate import compile as compile_mod
from negotiate import start as start_mod
from negotiate.backends import make_backend
from negotiate.case.load import validate_data
from negotiate.compile import compile_case
from negotiate.proposal import utilities
from negotiate.start import BASIC, LOWER, UPPER, utilitarian_start
from negotiate.start import _landing as landing

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import make_case  # noqa: E402
from test_canonical import random_flat_case  # noqa: E402


def objective(problem) -> dict:
    """The utilitarian objective as a backend's set_objective takes it: every utility column at
    its party's weight."""
    return {problem.utility_col[p]: problem.case.parties[p].weight for p in problem.parties}


def weighed(problem) -> np.ndarray:
    """The utilitarian objective per column (`objective`), as utilitarian_start takes it."""
    cost = np.zeros(problem.n_cols)
    for j, weight in objective(problem).items():
        cost[j] = weight
    return cost


def utilitarian(problem, slack_start: bool):
    b = make_backend(problem, "highs", None)
    if slack_start:
        b.h.setOptionValue("presolve", "off")  # a caller's presolve: no written start
    b.set_objective(objective(problem))
    return b, b.solve()


def by_linprog(problem) -> float:
    A = csr_matrix((problem.values, problem.indices, problem.indptr), shape=(problem.n_rows, problem.n_cols))
    c = weighed(problem)
    eq = problem.row_lo == problem.row_hi
    up, down = ~eq & np.isfinite(problem.row_hi), ~eq & np.isfinite(problem.row_lo)
    bounds = [(None if not np.isfinite(a) else a, None if not np.isfinite(z) else z)
              for a, z in zip(problem.col_lb, problem.col_ub)]
    r = linprog(-c, A_ub=csr_matrix(np.vstack([A[up].toarray(), -A[down].toarray()])),
                b_ub=np.concatenate([problem.row_hi[up], -problem.row_lo[down]]),
                A_eq=A[eq], b_eq=problem.row_lo[eq], bounds=bounds, method="highs")
    assert r.status == 0
    return -r.fun


CASES = [("generated", n, seed) for n, seed in ((3, 0), (5, 1), (8, 2), (12, 3))] + \
        [("flat", 0, seed) for seed in range(8)]


def case_of(kind: str, n: int, seed: int):
    if kind == "generated":
        return validate_data(make_case(n, 6, 6, seed=seed))
    return random_flat_case(seed)


@pytest.mark.parametrize("kind,n,seed", CASES)
def test_the_optimum_from_the_written_start_is_linprogs_and_the_cold_ones(kind, n, seed):
    problem = compile_case(case_of(kind, n, seed))
    b, started = utilitarian(problem, slack_start=False)
    _, cold = utilitarian(problem, slack_start=True)
    assert started.status == cold.status == "optimal"
    reference = by_linprog(problem)
    assert started.objective == pytest.approx(reference, rel=1e-9, abs=1e-9)
    assert started.objective == pytest.approx(cold.objective, rel=1e-12, abs=1e-12)
    issues = [problem.var_col[v.key] for v in problem.resolved.variables]
    if b.unique_optimum(issues):  # then the issue values are the only optimal ones: the same agreement
        assert np.allclose(started.x[issues], cold.x[issues], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind,n,seed", CASES)
def test_the_written_basis_is_dual_feasible_and_complete(kind, n, seed):
    problem = compile_case(case_of(kind, n, seed))
    cost = weighed(problem)
    cols, rows = utilitarian_start(problem, cost)
    assert int((cols == BASIC).sum() + (rows == BASIC).sum()) == problem.n_rows
    b = make_backend(problem, "highs", None)
    b.set_objective(objective(problem))
    assert b._started_utilitarian()  # the backend wrote it
    b.h.setOptionValue("simplex_iteration_limit", 0)
    b.h.run()  # no iteration: HiGHS reports on the start itself
    info = b.h.getInfo()
    assert info.num_dual_infeasibilities == 0
    assert b.h.getBasis().valid


@pytest.mark.parametrize("kind,n,seed", CASES)
def test_the_written_basis_is_nonsingular(kind, n, seed):
    """The backend passes the basis as not alien (HiGHS takes it unchecked): given as alien
    instead, HiGHS factorises it and would swap a logical in for any dependent column, so every
    status coming back unchanged says the basis matrix has full rank, and the rank of the basic
    columns of [A -I] computed by numpy says the same."""
    problem = compile_case(case_of(kind, n, seed))
    cost = weighed(problem)
    cols, rows = utilitarian_start(problem, cost)
    b = make_backend(problem, "highs", None)
    alien = b._written_basis(cols, rows)
    alien.alien = True
    assert b.h.setBasis(alien) == highspy.HighsStatus.kOk
    back = b.h.getBasis()
    assert [s.value for s in back.col_status] == cols.tolist()
    assert [s.value for s in back.row_status] == rows.tolist()
    A = csr_matrix((problem.values, problem.indices, problem.indptr),
                   shape=(problem.n_rows, problem.n_cols)).toarray()
    B = np.hstack([A[:, cols == BASIC], -np.eye(problem.n_rows)[:, rows == BASIC]])
    assert B.shape == (problem.n_rows, problem.n_rows)
    assert np.linalg.matrix_rank(B) == problem.n_rows


def test_the_backend_passes_the_written_basis_as_it_is():
    problem = compile_case(validate_data(make_case(5, 30, 10)))
    b = make_backend(problem, "highs", None)
    b.set_objective(objective(problem))
    assert b._started_utilitarian()
    cost = weighed(problem)
    cols, rows = utilitarian_start(problem, cost)
    basis = b.h.getBasis()
    assert basis.valid and not basis.alien
    assert [s.value for s in basis.col_status] == cols.tolist()
    assert [s.value for s in basis.row_status] == rows.tolist()


def landings(problem, landing: np.ndarray) -> tuple[list, set]:
    """Per curve, read in plain Python from compile's own maps (curve_cols, curve_rows,
    shared_cols): (its fills, the sum of its fills with the issues at `landing` (in var_col's
    order), the fills' widths summed so far); and the rows whose slack the module docstring holds
    nonbasic."""
    centre = dict(zip(problem.var_col.values(), landing.tolist()))
    value = dict(centre)
    held = {problem.utility_row[p] for p in problem.parties}
    for j in problem.shared_cols.values():  # its defining row: the one row of its own name
        r = problem.row_index[problem.col_names[j]]
        cols, vals = problem.row(r)
        terms = sum(a * centre[int(c)] for c, a in zip(cols, vals) if c != j)
        value[j] = (problem.row_lo[r] - terms) / vals[list(cols).index(j)]
        held.add(r)
    curves = []
    for key, fills in problem.curve_cols.items():
        (r,) = problem.curve_rows[key]
        held.add(r)
        cols, vals = problem.row(r)
        need = sum(a * value[int(c)] for c, a in zip(cols, vals) if int(c) not in fills) - problem.row_lo[r]
        curves.append((fills, need, np.cumsum(problem.col_ub[fills])))
    return curves, held


def shared_case(seed: int):
    return validate_data(make_case(8, 5, 5, seed=seed))


@pytest.mark.parametrize("kind,n,seed", CASES + [("shared", 8, seed) for seed in range(3)])
def test_each_curve_starts_where_its_argument_lands(kind, n, seed, monkeypatch):
    """Against a curve-by-curve reading of compile's maps: in each position row the fill where
    the argument lands (issues at the start's landing estimate) is basic, those before it full,
    those after empty; utilities and shared arguments basic; the slacks of position, utility and
    definition rows nonbasic, every other slack basic."""
    if kind == "shared":
        monkeypatch.setattr(compile_mod, "SHARED_MIN_SAVED", 0)
    problem = compile_case(shared_case(seed) if kind == "shared" else case_of(kind, n, seed))
    assert bool(problem.shared_cols) == (kind == "shared")
    landed = []
    monkeypatch.setattr(start_mod, "_landing", lambda *a: landed.append(landing(*a)) or landed[-1])
    cols, rows = utilitarian_start(problem, weighed(problem))
    curves, held = landings(problem, landed[0])
    assert curves
    for fills, need, ends in curves:
        status = cols[fills].tolist()
        assert status.count(BASIC) == 1
        k = status.index(BASIC)
        assert status == [UPPER] * k + [BASIC] + [LOWER] * (len(fills) - k - 1)
        assert k == 0 or ends[k - 1] <= need + 1e-9  # the fills before it fit whole (a tie: either)
        assert k == len(fills) - 1 or ends[k] >= need - 1e-9  # and it is not full (unless the last)
    assert all(cols[problem.utility_col[p]] == BASIC for p in problem.parties)
    assert all(cols[j] == BASIC for j in problem.shared_cols.values())
    assert set(np.flatnonzero(rows != BASIC).tolist()) == held


@pytest.mark.parametrize("seed", range(3))
def test_a_shared_argument_start_is_dual_feasible_and_reaches_linprogs_optimum(seed, monkeypatch):
    monkeypatch.setattr(compile_mod, "SHARED_MIN_SAVED", 0)
    problem = compile_case(shared_case(seed))
    assert problem.shared_cols
    b = make_backend(problem, "highs", None)
    b.set_objective(objective(problem))
    assert b._started_utilitarian()
    b.h.setOptionValue("simplex_iteration_limit", 0)
    b.h.run()
    assert b.h.getInfo().num_dual_infeasibilities == 0
    _, started = utilitarian(problem, slack_start=False)
    assert started.status == "optimal"
    assert started.objective == pytest.approx(by_linprog(problem), rel=1e-9, abs=1e-9)


def test_no_start_for_a_fill_of_negative_width():
    """An empty fill range (upper bound below 0, an infeasible model) gets no start: the full
    fills of a position row would not be the first ones."""
    problem = compile_case(validate_data(make_case(3, 4, 4)))
    cost = weighed(problem)
    assert utilitarian_start(problem, cost) is not None
    fills = next(iter(problem.curve_cols.values()))
    problem.col_ub = problem.col_ub.copy()
    problem.col_ub[fills[0]] = -1.0
    assert utilitarian_start(problem, cost) is None


def test_no_start_where_one_shared_argument_has_two_definitions_and_another_none(monkeypatch):
    """A shared argument defined in two rows and another in none (no compiled model has that
    form: the basis would be singular) gets no start."""
    monkeypatch.setattr(compile_mod, "SHARED_MIN_SAVED", 0)
    monkeypatch.setattr(compile_mod, "SHARED_MIN_TERMS", 2)
    curve = [[0, 0], [10, 1], [20, 1.5]]
    problem = compile_case(validate_data({
        "name": "two shared arguments",
        "issues": {k: {"range": [0, 10]} for k in ("tariff", "quota", "levy")},
        "parties": {p: {"criteria": {"a": {"of": "tariff + quota", "weight": 1, "points": curve},
                                     "b": {"of": "quota + levy", "weight": 1, "points": curve}}} for p in "ABC"},
    }))
    a, b = list(problem.shared_cols.values())
    assert utilitarian_start(problem, weighed(problem)) is not None
    r = problem.row_index[problem.col_names[b]]  # b's defining row names a in b's place
    row = slice(problem.indptr[r], problem.indptr[r + 1])
    assert a not in problem.indices[row]
    problem.indices = problem.indices.copy()
    problem.indices[row][problem.indices[row] == b] = a
    assert utilitarian_start(problem, weighed(problem)) is None


def test_fewer_iterations_than_from_the_slack_basis():
    problem = compile_case(validate_data(make_case(5, 30, 10)))
    iterations = []
    for slack_start in (False, True):
        b, r = utilitarian(problem, slack_start)
        assert r.status == "optimal"
        iterations.append(b.h.getInfo().simplex_iteration_count)
    assert 0 < iterations[0] < iterations[1]  # 14 against 260 (HiGHS 1.16.0, the backend's started options)


@pytest.mark.parametrize("n", [5, 12])
def test_the_landing_takes_fewer_iterations_than_the_centres(n, monkeypatch):
    """Issue 9's cases (30 criteria x 10 points): from the landing estimate the dual simplex
    takes under a third of the iterations it takes with every curve landed at the issues'
    centres (no sweep: the start before the estimate), to the same optimum (5 / 12 parties: 14 /
    60 against 114 / 298, HiGHS 1.16.0 with the backend's options for the started run)."""
    problem = compile_case(validate_data(make_case(n, 30, 10)))
    counts, objectives = [], []
    for sweeps in (0, start_mod.LANDING_SWEEPS):
        monkeypatch.setattr(start_mod, "LANDING_SWEEPS", sweeps)
        b, r = utilitarian(problem, slack_start=False)
        assert r.status == "optimal"
        counts.append(b.h.getInfo().simplex_iteration_count)
        objectives.append(r.objective)
    assert counts[1] < counts[0] / 3
    assert objectives[1] == pytest.approx(objectives[0], rel=1e-12)


def test_no_start_where_the_form_does_not_fit():
    problem = compile_case(validate_data(make_case(3, 4, 4)))
    cost = np.zeros(problem.n_cols)
    for p in problem.parties:
        cost[problem.utility_col[p]] = 1.0
    assert utilitarian_start(problem, cost) is not None
    one = cost.copy()
    one[problem.utility_col[problem.parties[0]]] = 0.0  # an ideal: not every utility weighed
    assert utilitarian_start(problem, one) is None
    issue = cost.copy()
    issue[next(iter(problem.var_col.values()))] = 1.0  # a cost on an issue
    assert utilitarian_start(problem, issue) is None
    discrete = compile_case(validate_data({
        "name": "options",
        "issues": {"site": {"options": ["a", "b"]}, "cut": {"range": [0, 10]}},
        "parties": {"A": {"criteria": {"cut": {"of": "cut", "weight": 1, "points": [[0, 0], [10, 1]]},
                                       "site": {"of": "site", "weight": 1, "scores": {"a": 1, "b": 0}}}}},
    }))
    cost = np.zeros(discrete.n_cols)
    cost[discrete.utility_col["A"]] = 1.0
    assert utilitarian_start(discrete, cost) is None  # a MIP


def test_a_free_issue_gets_no_start():
    problem = compile_case(validate_data({
        "name": "free",
        "issues": {"cut": {"range": [0, 10]}},
        "parties": {"A": {"criteria": {"cut": {"of": "cut", "weight": 1, "points": [[0, 0], [5, 1], [10, 1.5]]}}},
                    "B": {"criteria": {"cut": {"of": "cut", "weight": 1, "points": [[0, 1], [10, 0]]}}}},
    }))
    cost = np.zeros(problem.n_cols)
    for p in problem.parties:
        cost[problem.utility_col[p]] = 1.0
    lb = problem.col_lb.copy()
    problem.col_lb = lb.copy()
    problem.col_lb[problem.var_col[("cut", None, None)]] = -np.inf
    assert utilitarian_start(problem, cost) is None
    problem.col_lb = lb
    assert utilitarian_start(problem, cost) is not None
    assert highspy.HighsBasisStatus.kBasic.value == BASIC


def welfare(problem, x: np.ndarray) -> float:
    """The utilitarian objective at issue values `x` (in var_col's order), from the case's own
    curves (negotiate.proposal.utilities), not from the compiled rows the start reads."""
    utils, _ = utilities(problem, dict(zip(problem.var_col.keys(), x.tolist())))
    return sum(problem.case.parties[p].weight * utils[p] for p in problem.parties)


def landed(problem, monkeypatch) -> np.ndarray:
    """The start's landing estimate (issue values in var_col's order)."""
    got = []
    monkeypatch.setattr(start_mod, "_landing", lambda *a: got.append(landing(*a)) or got[-1])
    assert utilitarian_start(problem, weighed(problem)) is not None
    return got[0]


LANDING_CASES = [("generated", n, seed) for n, seed in ((3, 0), (5, 1), (8, 2), (12, 3))] + \
                [("shared", 8, seed) for seed in range(3)] + [("large", 5, 0)]


def landing_case(kind: str, n: int, seed: int, monkeypatch):
    if kind == "shared":
        monkeypatch.setattr(compile_mod, "SHARED_MIN_SAVED", 0)
        return compile_case(shared_case(seed))
    if kind == "large":  # issue 9's 5-party case
        return compile_case(validate_data(make_case(5, 30, 10, seed=seed)))
    return compile_case(case_of(kind, n, seed))


@pytest.mark.parametrize("kind,n,seed", LANDING_CASES + [("flat", 0, seed) for seed in range(8)])
def test_the_landing_climbs_from_the_centres(kind, n, seed, monkeypatch):
    """Each step of the ascent takes an issue to its best value along its range: the welfare
    at the landing is at least the centres' (no case here has a limit on one issue that the
    centres break)."""
    problem = landing_case(kind, n, seed, monkeypatch)
    issues = np.array(list(problem.var_col.values()))
    centre = (problem.col_lb[issues] + problem.col_ub[issues]) / 2
    x = landed(problem, monkeypatch)
    assert ((problem.col_lb[issues] <= x) & (x <= problem.col_ub[issues])).all()
    assert welfare(problem, x) >= welfare(problem, centre) - 1e-9


@pytest.mark.parametrize("kind,n,seed", LANDING_CASES)
def test_the_landing_is_near_the_lps_optimum(kind, n, seed, monkeypatch):
    """Against the optimum HiGHS reaches (its objective linprog's): where the optimal issue values
    are unique, the landing is nearer them than the centres are (the largest distance, as a
    share of the issue's range), and its welfare closes at least half the centres' gap to the optimum."""
    problem = landing_case(kind, n, seed, monkeypatch)
    issues = np.array(list(problem.var_col.values()))
    lo, hi = problem.col_lb[issues], problem.col_ub[issues]
    x = landed(problem, monkeypatch)
    b, r = utilitarian(problem, slack_start=False)
    assert r.objective == pytest.approx(by_linprog(problem), rel=1e-9, abs=1e-9)
    best, centre = r.x[issues], (lo + hi) / 2
    assert welfare(problem, best) == pytest.approx(r.objective, rel=1e-9, abs=1e-9)
    gap = r.objective - welfare(problem, centre)
    assert r.objective - welfare(problem, x) <= 0.5 * gap + 1e-9  # 0.43 at most here; beyond 0: reservations broken
    if b.unique_optimum(list(issues)):
        assert np.max(np.abs(x - best) / (hi - lo)) < np.max(np.abs(centre - best) / (hi - lo))


def one_issue_case(seed: int):
    """2-4 parties whose 1-3 criteria each read `a * cut + b` (a of either sign) through a random
    concave curve over more than the argument's reach, and a limit on the issue alone (no
    reservation binds)."""
    rng = np.random.default_rng(seed)
    parties = {}
    for i in range(int(rng.integers(2, 5))):
        criteria = {}
        for k in range(int(rng.integers(1, 4))):
            a = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 2.0))
            b = float(rng.uniform(-3.0, 3.0))
            ends = np.floor(min(b, 10 * a + b)) - 1.0, np.ceil(max(b, 10 * a + b)) + 1.0  # beyond the reach
            xs = np.unique(np.concatenate([ends, np.round(rng.uniform(*ends, int(rng.integers(1, 5))), 3)]))
            slopes = np.sort(rng.uniform(-1.0, 1.0, len(xs) - 1))[::-1]
            ys = np.concatenate([[0.0], np.cumsum(slopes * np.diff(xs))])
            criteria[f"c{k}"] = {"of": f"{a} * cut + {b}", "weight": float(rng.uniform(0.5, 2.0)),
                                 "points": [[float(u), float(v)] for u, v in zip(xs, ys)]}
        parties[f"P{i}"] = {"criteria": criteria, "reservation": -1000.0}  # never binding
    parties["P0"]["limits"] = {"cap": f"cut <= {float(rng.uniform(4.0, 10.0))}"}
    return validate_data({"name": f"one issue {seed}", "issues": {"cut": {"range": [0, 10]}}, "parties": parties})


@pytest.mark.parametrize("seed", range(12))
def test_on_one_issue_the_landing_is_the_optimum(seed, monkeypatch):
    """One issue: one step of the ascent is exact, so the landing's welfare is the best over
    every kink of every curve and the ends of the issue's range narrowed by its limit (a
    brute force over those candidates, by proposal.utilities), and the LP's optimum."""
    problem = compile_case(one_issue_case(seed))
    monkeypatch.setattr(start_mod, "LANDING_SWEEPS", 1)
    (x,) = landed(problem, monkeypatch)
    (limit,) = problem.case_rows.values()  # P0's cap: cut <= top
    top = min(10.0, float(problem.row_hi[limit]))
    candidates = [0.0, top]
    for criterion in (c for p in problem.case.parties.values() for c in p.criteria.values()):
        a, b = (float(t) for t in criterion.of.replace(" * cut + ", " ").split())
        candidates += [(u - b) / a for u, _ in criterion.points]
    best = max(welfare(problem, np.array([c])) for c in candidates if 0.0 <= c <= top)
    assert 0.0 <= x <= top + 1e-12
    assert welfare(problem, np.array([x])) == pytest.approx(best, rel=1e-9, abs=1e-9)
    _, r = utilitarian(problem, slack_start=False)
    assert r.objective == pytest.approx(best, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_a_shared_arguments_summed_curve_has_each_point_once(seed, monkeypatch):
    """The curves on one shared argument are summed into one (start._through) whose equal points
    are merged, their falls summed: the parties' climate curves share their points, so each is
    seen once along an issue (the work per step does not grow with the parties). The landing is
    the same as without merging (a weighted median over equal points is the same point):
    test_each_curve_starts_where_its_argument_lands reads it curve by curve."""
    monkeypatch.setattr(compile_mod, "SHARED_MIN_SAVED", 0)
    problem = compile_case(shared_case(seed))
    assert problem.shared_cols
    seen = []
    through = start_mod._through
    monkeypatch.setattr(start_mod, "_through", lambda *a: seen.append(through(*a)) or seen[-1])
    assert utilitarian_start(problem, weighed(problem)) is not None
    curves = {kk: (v, summed, fall) for per_issue in seen[0][0] for kk, _, v, summed, fall in per_issue}
    assert curves
    for v, summed, fall in curves.values():
        assert (np.diff(v) > 0).all()  # each point once
        assert summed[-1] == pytest.approx(fall.sum())


def test_no_repeats_against_a_set():
    """start._no_repeats (increasing indices at once, others by marks) against Python's set."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        index = rng.integers(0, 12, int(rng.integers(0, 8)))
        if rng.uniform() < 0.5:
            index = np.sort(index)
        assert start_mod._no_repeats(index, 12) == (len(set(index.tolist())) == len(index))
