"""The backend contract (issue 8 part 8): every backend in the registry passes it.

Parametrized over `backend_names()`, so a backend added to the registry is
checked with no change here. Each check builds a backend from a compiled
Problem and compares what it says with an independent solve of the same
arrays by SciPy (HiGHS inside SciPy, but built from the Problem's column
bounds, CSR rows and integrality here, not by our code): status, objective,
primal values, the sign and size of row duals (by finite differences of the
optimal value), the structure edits (bounds, objective, added rows and
columns, rollback), and every declared capability, while an undeclared one is
refused the documented way.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from conftest import ROOT, case_from_dict
from negotiate.backends import Tolerances, backend_class, backend_names, capabilities_of, make_backend
from negotiate.case.load import load_case
from negotiate.compile import compile_case
from negotiate.delta import RebuildReason, model_delta
from negotiate.whatif import Negotiation

BACKENDS = backend_names()
INF = float("inf")
ATOL = 1e-6

LP_CASE = {
    "name": "contract lp",
    "issues": {"quota": {"range": [0, 10]}, "tariff": {"range": [0, 8]}},
    "constraints": {"cap": "quota + tariff <= 12"},
    "parties": {
        "A": {"reservation": 0.2, "criteria": {
            "gx": {"of": "quota", "points": [[0, 0], [5, 0.7], [10, 1]]},
            "gy": {"of": "tariff", "points": [[0, 1], [8, 0]]}}},
        "B": {"reservation": 0.3, "criteria": {
            "gy": {"of": "tariff", "points": [[0, 0], [4, 0.8], [8, 1]]},
            "gx": {"of": "quota", "points": [[0, 1], [10, 0.2]]}}},
    },
}

MIP_CASE = {
    "name": "contract mip",
    "issues": {"deal": {"options": ["light", "medium", "deep"]},
               "years": {"range": [0, 6], "integer": True},
               "quota": {"range": [0, 10]}},
    "constraints": {"deep_needs_time": "years >= 3 * deal[deep]"},
    "parties": {
        "A": {"reservation": 0.1, "criteria": {
            "d": {"of": "deal", "scores": {"light": 0.0, "medium": 0.6, "deep": 1.0}},
            "y": {"of": "years", "points": [[0, 1], [6, 0]]},
            "q": {"of": "quota", "points": [[0, 1], [10, 0]]}}},
        "B": {"reservation": 0.1, "criteria": {
            "d": {"of": "deal", "scores": {"light": 1.0, "medium": 0.5, "deep": 0.0}},
            "y": {"of": "years", "points": [[0, 0], [6, 1]]},
            "q": {"of": "quota", "points": [[0, 0], [10, 1]]}}},
    },
}

SHIPPED = ["climate_club.yaml", "bilateral_fta.yaml"]


# -- helpers -------------------------------------------------------------------
def lp_problem(**changes):
    data = copy.deepcopy(LP_CASE)
    for party, res in changes.items():
        data["parties"][party]["reservation"] = res
    return compile_case(case_from_dict(data))


def mip_problem():
    return compile_case(case_from_dict(copy.deepcopy(MIP_CASE)))


def shipped_problem(name):
    return compile_case(load_case(ROOT / "cases" / name))


def generic_objective(problem, seed=7):
    """Costs on every column, drawn at random: the optimum is a unique vertex (generically)."""
    rng = np.random.default_rng(seed)
    return {j: float(c) for j, c in enumerate(rng.uniform(-1, 1, problem.n_cols))}


def welfare_objective(problem):
    return {problem.utility_col[p]: float(problem.case.parties[p].weight) for p in problem.parties}


def arrays(problem):
    """The Problem as plain arrays: (A, row_lo, row_hi, col_lb, col_ub, integrality)."""
    a = sp.csr_matrix((problem.values, problem.indices, problem.indptr), shape=(problem.n_rows, problem.n_cols))
    return (a, problem.row_lo.astype(float).copy(), problem.row_hi.astype(float).copy(),
            problem.col_lb.astype(float).copy(), problem.col_ub.astype(float).copy(), problem.col_int.astype(int))


def scipy_solve(a, lo, hi, lb, ub, integrality, objective: dict):
    """Maximise objective . x subject to lo <= A x <= hi, lb <= x <= ub (SciPy's milp)."""
    c = np.zeros(a.shape[1])
    for j, v in objective.items():
        c[j] += v
    cons = [LinearConstraint(a, lo, hi)] if a.shape[0] else []
    res = milp(-c, constraints=cons, bounds=Bounds(lb, ub), integrality=integrality,
               options={"mip_rel_gap": 1e-9})
    if res.status == 2:
        return "infeasible", None, None
    assert res.status == 0, res.message
    return "optimal", res.x, -res.fun


def independent(problem, objective):
    return scipy_solve(*arrays(problem), objective)


def check_feasible(problem, x, a=None, lo=None, hi=None, lb=None, ub=None, integrality=None):
    a0, lo0, hi0, lb0, ub0, int0 = arrays(problem)
    a = a0 if a is None else a
    lo, hi = (lo0 if lo is None else lo), (hi0 if hi is None else hi)
    lb, ub = (lb0 if lb is None else lb), (ub0 if ub is None else ub)
    integrality = int0 if integrality is None else integrality
    act = a @ x
    assert np.all(act >= lo - ATOL) and np.all(act <= hi + ATOL)
    assert np.all(x >= lb - ATOL) and np.all(x <= ub + ATOL)
    ints = np.flatnonzero(integrality)
    assert np.allclose(x[ints], np.round(x[ints]), atol=ATOL)


def value_of(objective, x):
    return sum(v * x[j] for j, v in objective.items())


def built(problem, name, objective=None, **options):
    b = make_backend(problem, name, **options)
    b.set_objective(objective if objective is not None else generic_objective(problem))
    return b


def assert_same_optimum(result, problem, objective, expect_x=True, **arrays_override):
    a, lo, hi, lb, ub, integ = arrays(problem)
    a = arrays_override.get("a", a)
    lo, hi = arrays_override.get("lo", lo), arrays_override.get("hi", hi)
    lb, ub = arrays_override.get("lb", lb), arrays_override.get("ub", ub)
    integ = arrays_override.get("integrality", integ)
    status, x, obj = scipy_solve(a, lo, hi, lb, ub, integ, objective)
    assert result.status == status
    if status != "optimal":
        assert not result.has_solution
        return
    assert result.objective == pytest.approx(obj, abs=ATOL, rel=1e-7)
    assert value_of(objective, result.x) == pytest.approx(obj, abs=ATOL, rel=1e-7)
    check_feasible(problem, result.x, a, lo, hi, lb, ub, integ)
    if expect_x:
        np.testing.assert_allclose(result.x, x, atol=1e-5)


# -- building and solving ---------------------------------------------------------
@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("make", [lp_problem, mip_problem], ids=["lp", "mip"])
def test_build_and_solve_matches_scipy(name, make):
    problem = make()
    b = make_backend(problem, name)
    assert (b.n_cols, b.n_rows) == (problem.n_cols, problem.n_rows)
    assert b.is_mip() == problem.is_mip
    for j in range(problem.n_cols):
        assert b.col_bounds(j) == (problem.col_lb[j], problem.col_ub[j])
        assert b.is_integer(j) == bool(problem.col_int[j])
    objective = generic_objective(problem)
    b.set_objective(objective)
    r = b.solve()
    assert r.status == "optimal" and r.x.shape == (problem.n_cols,)
    assert_same_optimum(r, problem, objective)
    if problem.is_mip:
        assert r.row_dual is None  # a MIP has no row duals
        assert r.gap is None or r.gap <= b.tolerances.mip_gap + 1e-12
    else:
        assert r.row_dual.shape == (problem.n_rows,)
    assert b.solves == 1 and b.solver_seconds >= 0
    solver, version = b.solver_info()
    assert solver and version


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", SHIPPED)
def test_shipped_cases_match_scipy(name, case):
    problem = shipped_problem(case)
    for objective in (welfare_objective(problem), generic_objective(problem, seed=3)):
        r = built(problem, name, objective).solve()
        # welfare optima need not be unique: compare the value, and x is checked feasible
        assert_same_optimum(r, problem, objective, expect_x=False)


@pytest.mark.parametrize("name", BACKENDS)
def test_infeasible_status(name):
    problem = lp_problem(A=0.95, B=0.95)
    assert independent(problem, {})[0] == "infeasible"
    r = built(problem, name).solve()
    assert r.status == "infeasible" and not r.has_solution and r.objective is None


@pytest.mark.parametrize("name", BACKENDS)
def test_infeasible_mip_status(name):
    problem = mip_problem()
    b = built(problem, name)
    j = problem.col_index["years"]
    b.set_col_bounds(j, 0.2, 0.8)  # no integer in between
    assert b.solve().status == "infeasible"
    b.set_col_bounds(j, 0.0, 6.0)
    assert b.solve().status == "optimal"


# -- duals ---------------------------------------------------------------------------
def _optimum_with_row_bounds(b, i, lo, hi):
    b.set_row_bounds(i, lo, hi)
    r = b.solve()
    assert r.status == "optimal"
    return r.objective


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("seed", [7, 11])
def test_row_duals_are_d_objective_d_bound(name, seed):
    """row_dual[i] = d(optimal value)/d(row i's active bound), maximising: checked by moving
    each bound both ways. The optimal value is concave in a bound, so the dual lies between
    the right and the left difference quotients (equal to both away from degeneracy)."""
    problem = lp_problem()
    objective = generic_objective(problem, seed)
    b = built(problem, name, objective)
    r = b.solve()
    a = arrays(problem)[0]
    act = a @ r.x
    eps = 1e-4
    checked = 0
    for i in range(problem.n_rows):
        lo, hi = float(problem.row_lo[i]), float(problem.row_hi[i])
        if lo == hi:
            which = "both"
        elif np.isfinite(hi) and abs(act[i] - hi) <= 1e-7:
            which = "hi"
        elif np.isfinite(lo) and abs(act[i] - lo) <= 1e-7:
            which = "lo"
        else:  # inactive: no price
            assert r.row_dual[i] == pytest.approx(0.0, abs=1e-7)
            continue

        def moved(step):
            if which == "both":
                return _optimum_with_row_bounds(b, i, lo + step, hi + step)
            if which == "hi":
                return _optimum_with_row_bounds(b, i, lo, hi + step)
            return _optimum_with_row_bounds(b, i, lo + step, hi)

        right = (moved(eps) - r.objective) / eps
        left = (r.objective - moved(-eps)) / eps
        b.set_row_bounds(i, lo, hi)
        assert right - 1e-5 <= r.row_dual[i] <= left + 1e-5, (problem.row_names[i], which, right, left)
        if which == "hi":
            assert r.row_dual[i] >= -1e-9  # loosening an upper bound never hurts a maximum
        if which == "lo":
            assert r.row_dual[i] <= 1e-9  # nor does lowering a lower bound
        checked += 1
    assert checked >= 3
    assert b.solve().objective == pytest.approx(r.objective, abs=1e-9)  # every bound restored


# -- structure edits round trips -------------------------------------------------------
@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("make", [lp_problem, mip_problem], ids=["lp", "mip"])
def test_set_col_bounds_round_trip(name, make):
    problem = make()
    objective = generic_objective(problem)
    b = built(problem, name, objective)
    base = b.solve()
    a, lo, hi, lb, ub, integ = arrays(problem)
    j = problem.col_index["quota"]
    b.set_col_bounds(j, 2.5, 4.0)
    assert b.col_bounds(j) == (2.5, 4.0)
    lb[j], ub[j] = 2.5, 4.0
    assert_same_optimum(b.solve(), problem, objective, lb=lb, ub=ub)
    b.set_col_bounds(j, problem.col_lb[j], problem.col_ub[j])
    assert b.col_bounds(j) == (problem.col_lb[j], problem.col_ub[j])
    assert b.solve().objective == pytest.approx(base.objective, abs=1e-9)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("make", [lp_problem, mip_problem], ids=["lp", "mip"])
def test_set_row_bounds_round_trip(name, make):
    problem = make()
    objective = generic_objective(problem)
    b = built(problem, name, objective)
    base = b.solve()
    a, lo, hi, lb, ub, integ = arrays(problem)
    i = problem.row_index["parties.A.reservation"]
    new_lo = 0.55
    b.set_row_bounds(i, new_lo, INF)
    lo[i] = new_lo
    assert_same_optimum(b.solve(), problem, objective, lo=lo)
    b.set_row_bounds(i, problem.row_lo[i], problem.row_hi[i])
    assert b.solve().objective == pytest.approx(base.objective, abs=1e-9)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("make", [lp_problem, mip_problem], ids=["lp", "mip"])
def test_set_objective_round_trip(name, make):
    problem = make()
    b = make_backend(problem, name)
    welfare = welfare_objective(problem)
    for objective in (generic_objective(problem, 1), welfare, generic_objective(problem, 2)):
        b.set_objective(objective)
        assert_same_optimum(b.solve(), problem, objective, expect_x=objective is not welfare)
    b.set_objective({})  # a feasibility problem: any feasible point, value 0
    r = b.solve()
    assert r.status == "optimal" and r.objective == pytest.approx(0.0, abs=1e-12)
    check_feasible(problem, r.x)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("make", [lp_problem, mip_problem], ids=["lp", "mip"])
def test_add_rows_set_coef_and_rollback(name, make):
    problem = make()
    objective = generic_objective(problem)
    b = built(problem, name, objective)
    base = b.solve()
    mark = b.mark()
    q, u = problem.col_index["quota"], problem.utility_col["A"]
    rows = b.add_rows([({q: 1.0, u: 4.0}, -INF, 5.0, "helper.cut"), ({q: 1.0}, 1.0, 3.0, "helper.band")])
    assert rows == [problem.n_rows, problem.n_rows + 1] and b.n_rows == problem.n_rows + 2
    a, lo, hi, lb, ub, integ = arrays(problem)
    extra = np.zeros((2, problem.n_cols))
    extra[0, q], extra[0, u], extra[1, q] = 1.0, 4.0, 1.0
    a2 = sp.vstack([a, sp.csr_matrix(extra)]).tocsr()
    lo2, hi2 = np.append(lo, [-INF, 1.0]), np.append(hi, [5.0, 3.0])
    assert_same_optimum(b.solve(), problem, objective, a=a2, lo=lo2, hi=hi2)
    b.set_coef(rows[0], u, 2.0)  # a coefficient of an added row
    extra[0, u] = 2.0
    a2 = sp.vstack([a, sp.csr_matrix(extra)]).tocsr()
    assert_same_optimum(b.solve(), problem, objective, a=a2, lo=lo2, hi=hi2)
    b.set_row_bounds(rows[1], 2.0, 2.0)  # an added row's bounds
    lo2[-1] = hi2[-1] = 2.0
    assert_same_optimum(b.solve(), problem, objective, a=a2, lo=lo2, hi=hi2)
    b.rollback(mark)
    assert (b.n_cols, b.n_rows) == (problem.n_cols, problem.n_rows)
    again = b.solve()
    assert again.objective == pytest.approx(base.objective, abs=1e-9)
    np.testing.assert_allclose(again.x, base.x, atol=1e-6)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("make", [lp_problem, mip_problem], ids=["lp", "mip"])
def test_add_cols_round_trip(name, make):
    """A helper column t <= utility of each party, maximised (the egalitarian level)."""
    problem = make()
    b = built(problem, name, {})
    mark = b.mark()
    (t,) = b.add_cols([-INF], [INF], ["helper.level"])
    assert t == problem.n_cols and b.n_cols == problem.n_cols + 1
    assert b.col_bounds(t) == (-INF, INF) and not b.is_integer(t)
    rows = [({t: 1.0, problem.utility_col[p]: -1.0}, -INF, 0.0, f"helper.{p}") for p in problem.parties]
    b.add_rows(rows)
    objective = {t: 1.0}
    b.set_objective(objective)
    r = b.solve()
    a, lo, hi, lb, ub, integ = arrays(problem)
    extra = np.zeros((len(rows), problem.n_cols + 1))
    for k, p in enumerate(problem.parties):
        extra[k, t], extra[k, problem.utility_col[p]] = 1.0, -1.0
    a2 = sp.vstack([sp.hstack([a, sp.csr_matrix((problem.n_rows, 1))]), sp.csr_matrix(extra)]).tocsr()
    status, x, obj = scipy_solve(a2, np.append(lo, [-INF] * len(rows)), np.append(hi, [0.0] * len(rows)),
                                 np.append(lb, -INF), np.append(ub, INF), np.append(integ, 0), objective)
    assert r.status == status == "optimal" and r.x.shape == (problem.n_cols + 1,)
    assert r.objective == pytest.approx(obj, abs=ATOL)
    assert r.x[t] == pytest.approx(obj, abs=ATOL)
    b.set_col_bounds(t, -INF, obj / 2)  # a bound on the helper column binds
    assert b.solve().objective == pytest.approx(obj / 2, abs=ATOL)
    b.rollback(mark)
    assert (b.n_cols, b.n_rows) == (problem.n_cols, problem.n_rows)
    objective = generic_objective(problem)
    b.set_objective(objective)
    assert_same_optimum(b.solve(), problem, objective)


@pytest.mark.parametrize("name", BACKENDS)
def test_set_col_integer_round_trip(name):
    problem = lp_problem()
    objective = generic_objective(problem)
    b = built(problem, name, objective)
    j = problem.col_index["quota"]
    b.set_col_bounds(j, 0.0, 7.5)
    b.set_col_integer(j, True)
    assert b.is_integer(j) and b.is_mip()
    a, lo, hi, lb, ub, integ = arrays(problem)
    ub[j], integ[j] = 7.5, 1
    r = b.solve()
    assert_same_optimum(r, problem, objective, ub=ub, integrality=integ)
    assert r.row_dual is None
    b.set_col_integer(j, False)
    assert not b.is_integer(j) and not b.is_mip()
    integ[j] = 0
    assert_same_optimum(b.solve(), problem, objective, ub=ub, integrality=integ)


# -- capabilities ------------------------------------------------------------------------
def test_capabilities_are_declared_on_the_class():
    for name in BACKENDS:
        assert capabilities_of(name) == backend_class(name).capabilities
        assert backend_class(name).name == name


def _delta_pair():
    """Two compiled versions of the LP case: bounds, coefficients, added and retired rows."""
    old_data = copy.deepcopy(LP_CASE)
    new_data = copy.deepcopy(LP_CASE)
    new_data["constraints"]["cap"] = "quota + 0.5 * tariff <= 9"
    new_data["parties"]["B"]["reservation"] = 0.35
    new_data["parties"]["A"]["criteria"]["gx"]["points"] = [[0, 0], [3, 0.5], [6, 0.8], [10, 1]]
    new_data["parties"]["A"]["limits"] = {"most": "tariff <= 6"}
    new_data["issues"]["quota"]["range"] = [1, 10]
    old = compile_case(case_from_dict(old_data))
    new = compile_case(case_from_dict(new_data))
    return old, new


@pytest.mark.parametrize("name", BACKENDS)
def test_deltas_where_declared_else_refused(name):
    old, new = _delta_pair()
    delta = model_delta(old, new)
    assert delta.structural and delta.row_bounds and delta.coefficients and delta.col_bounds
    b = built(old, name)
    b.solve()
    if not capabilities_of(name).deltas:
        with pytest.raises(TypeError):
            b.apply(delta)
        return
    b.apply(delta)
    assert b.problem is new and (b.n_cols, b.n_rows) == (new.n_cols, new.n_rows)
    welfare = welfare_objective(new)
    for objective in (generic_objective(new), welfare):
        b.set_objective(objective)
        warm = b.solve()
        cold = built(new, name, objective).solve()
        assert warm.status == cold.status == "optimal"
        assert warm.objective == pytest.approx(cold.objective, abs=1e-7)
        assert_same_optimum(warm, new, objective, expect_x=objective is not welfare)
    back = model_delta(new, old)  # and back again
    b.apply(back)
    objective = generic_objective(old)
    b.set_objective(objective)
    assert_same_optimum(b.solve(), old, objective)


@pytest.mark.parametrize("name", BACKENDS)
def test_a_column_made_integer_is_integer_in_its_own_units(name):
    """A continuous column (scaled by its range where the backend scales) made integer,
    by set_col_integer and, where deltas are declared, by a delta: x itself is integer, not
    x divided by a scale (HighsBackend once made quota a multiple of 8 here)."""
    old = lp_problem()
    data = copy.deepcopy(LP_CASE)
    data["issues"]["quota"]["integer"] = True
    data["issues"]["quota"]["range"] = [0, 7]
    data["constraints"]["cap"] = "quota + tariff <= 9.5"
    new = compile_case(case_from_dict(data))
    assert new.is_mip and not old.is_mip
    objective = {new.col_index["quota"]: 1.0, new.col_index["tariff"]: 0.01}
    cold = built(new, name, objective).solve()
    assert_same_optimum(cold, new, objective, expect_x=False)
    assert cold.x[new.col_index["quota"]] == pytest.approx(7.0)
    if capabilities_of(name).deltas:
        b = built(old, name)
        b.solve()
        b.apply(model_delta(old, new))
        b.set_objective(objective)
        assert_same_optimum(b.solve(), new, objective, expect_x=False)


@pytest.mark.parametrize("name", BACKENDS)
def test_sessions_patch_only_backends_that_declare_deltas(name):
    n = Negotiation(ROOT / "cases" / "bilateral_fta.yaml", backend=name)
    n.set("parties.EU.reservation", 0.5)
    if capabilities_of(name).deltas:
        assert n.in_place == 1 and n.rebuilds == 1
    else:
        assert n.in_place == 0 and n.rebuild_reasons[RebuildReason.BACKEND_CANNOT_PATCH] == 1
    objective = welfare_objective(n.problem)
    n.backend.set_objective(objective)
    assert_same_optimum(n.backend.solve(), n.problem, objective, expect_x=False)


def _scipy_infeasible(problem, rows, cols):
    """Is the subsystem (these rows; bounds of these columns, the others free) infeasible?"""
    a, lo, hi, lb, ub, _ = arrays(problem)
    keep_lb, keep_ub = np.full(problem.n_cols, -INF), np.full(problem.n_cols, INF)
    keep_lb[cols], keep_ub[cols] = lb[cols], ub[cols]
    return scipy_solve(a[rows], lo[rows], hi[rows], keep_lb, keep_ub, np.zeros(problem.n_cols), {})[0] == "infeasible"


@pytest.mark.parametrize("name", BACKENDS)
def test_iis_where_declared_else_absent(name):
    problem = lp_problem(A=0.95, B=0.95)
    b = built(problem, name)
    if not capabilities_of(name).iis:
        assert not callable(getattr(b, "infeasible_subset", None))
        return
    assert b.solve().status == "infeasible"
    found = b.infeasible_subset()
    assert found is not None
    rows, cols = found
    assert rows and all(0 <= i < problem.n_rows for i in rows) and all(0 <= j < problem.n_cols for j in cols)
    assert _scipy_infeasible(problem, rows, cols)
    for k in range(len(rows)):  # irreducible: without any one of its rows it is feasible
        assert not _scipy_infeasible(problem, rows[:k] + rows[k + 1:], cols), problem.row_names[rows[k]]


@pytest.mark.parametrize("name", BACKENDS)
def test_mip_start_where_declared_else_harmless(name):
    problem = shipped_problem("bilateral_fta.yaml")
    objective = welfare_objective(problem)
    first = built(problem, name, objective).solve()
    b = built(problem, name, objective)
    b.set_start(first.x)  # a no-op where undeclared (the base class), a seed where declared
    r = b.solve()
    assert r.status == "optimal" and r.objective == pytest.approx(first.objective, abs=ATOL)
    check_feasible(problem, r.x)
    if capabilities_of(name).mip_start:
        # a start that is not feasible is not trusted: the optimum stays the optimum
        b = built(problem, name, objective)
        b.set_start(np.zeros(problem.n_cols))
        assert b.solve().objective == pytest.approx(first.objective, abs=ATOL)


@pytest.mark.parametrize("name", BACKENDS)
def test_basis_where_declared_else_none(name):
    problem = lp_problem()
    objective = generic_objective(problem)
    b = built(problem, name, objective)
    r = b.solve()
    basis = b.get_basis()
    if not capabilities_of(name).basis:
        assert basis is None
        return
    assert basis is not None
    other = built(problem, name, objective)
    other.set_basis(basis)
    r2 = other.solve()
    assert r2.objective == pytest.approx(r.objective, abs=1e-9)
    np.testing.assert_allclose(r2.x, r.x, atol=1e-7)


@pytest.mark.parametrize("name", BACKENDS)
def test_scaling_where_declared_keeps_values_unscaled(name):
    """Ranges far from 1 (a quota in millions): values, objective and duals come back in
    the Problem's units whether or not the backend scales."""
    data = copy.deepcopy(LP_CASE)
    data["issues"]["quota"]["range"] = [0, 1e7]
    data["constraints"]["cap"] = "quota + 1e6 * tariff <= 1.2e7"
    for p, pts in (("A", [[0, 0], [5e6, 0.7], [1e7, 1]]), ("B", [[0, 1], [1e7, 0.2]])):
        data["parties"][p]["criteria"]["gx"]["points"] = pts
    problem = compile_case(case_from_dict(data))
    objective = welfare_objective(problem)
    r = built(problem, name, objective).solve()
    assert_same_optimum(r, problem, objective, expect_x=False)


# -- tolerances ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("gap", [1e-7, 1e-3])
def test_tolerances_are_declared(name, gap):
    problem = mip_problem()
    b = make_backend(problem, name, mip_gap=gap)
    tol = b.tolerances
    assert isinstance(tol, Tolerances) and tol.mip_gap == gap and b.mip_gap == gap
    assert tol.to_dict() == dataclasses.asdict(tol)
    assert all(0 < v < 1e-2 for v in (tol.primal_feasibility, tol.dual_feasibility, tol.mip_feasibility))
    h = getattr(b, "h", None)  # a backend holding a Highs object: HiGHS has exactly these options
    if h is not None and hasattr(h, "getOptionValue"):
        def option(key):
            value = h.getOptionValue(key)
            return value[-1] if isinstance(value, tuple) else value  # (status, value) in some highspy

        assert option("mip_rel_gap") == gap
        assert option("primal_feasibility_tolerance") == tol.primal_feasibility
        assert option("dual_feasibility_tolerance") == tol.dual_feasibility
        assert option("mip_feasibility_tolerance") == tol.mip_feasibility
    b.set_objective(generic_objective(problem))
    r = b.solve()
    assert r.status == "optimal"
    assert r.gap is None or r.gap <= gap + 1e-12
    exact = independent(problem, generic_objective(problem))[2]
    assert r.objective >= exact - gap * max(1.0, abs(exact)) - ATOL
    check_feasible(problem, r.x)
