"""The proposal's build after a solve, against plain one-at-a-time computations.

- every curve's score (proposal._Curves, all curves in one set of arrays, divided only on the
  segments read) equals numpy.interp on that curve alone, bit for bit, at the breakpoints, between
  them, below the first and above the last, for curves of different lengths and linear scores;
- each constraint outcome's slack, binding flag and shadow price (proposal._outcome) equal the
  definitions written out (CASE_FORMAT.md section 5) for every kind of bound;
- the re-check (solving.verify) given the rows' values finds what it finds computing them itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_compile_arrays import generated, mixed_case

from negotiate.case.expr import Lin
from negotiate.case.load import validate_data
from negotiate.case.resolve import ScoreCurve
from negotiate.compile import compile_case, kept_section, utility_scales
from negotiate.proposal import (ACCEPT_TOL, BINDING_TOL, CHECK_TOL, _clean, _Curves, _every_curve, _outcome,
                                issue_values, row_values, utilities)
from negotiate.solving import verify


def _curve(rng, k: int, n_points: int | None) -> ScoreCurve:
    lin = Lin({("t", None, None): float(rng.uniform(0.5, 2)), ("d", f"P{k}", None): float(rng.uniform(-1, 1))},
              float(rng.uniform(-1, 1)))
    if n_points is None:  # a discrete issue's score: the argument itself
        return ScoreCurve(f"P{k}", f"c{k}", 1.0, lin)
    xs = np.cumsum(rng.uniform(0.1, 2, n_points)) - 3
    ys = rng.uniform(-1, 1, n_points)
    return ScoreCurve(f"P{k}", f"c{k}", 1.0, lin, tuple(xs.tolist()), tuple(ys.tolist()))


@pytest.mark.parametrize("lengths", [[5] * 12, [2, 7, 3, None, 5, 9, 2, None, 4]], ids=["same", "padded"])
def test_curves_score_as_numpy_interp_on_each_curve(lengths):
    rng = np.random.default_rng(11)
    criteria = [_curve(rng, k, m) for k, m in enumerate(lengths)]
    curves = _Curves(criteria)
    for trial in range(40):
        at = rng.uniform(-6, 14, len(criteria))
        if trial % 2:  # exactly on a breakpoint (the first, the last or between)
            at = np.array([rng.choice(c.x_points) if c.x_points else a for c, a in zip(criteria, at)])
        got = curves.scores(at).tolist()
        want = [float(a) if c.x_points is None else float(np.interp(a, c.x_points, c.y_points))
                for c, a in zip(criteria, at)]
        assert repr(got) == repr(want)


@pytest.mark.parametrize("lo, hi", [(-math.inf, 5.0), (2.0, math.inf), (2.0, 5.0), (3.0, 3.0),
                                    (-math.inf, math.inf), (-0.5, 0.25)])
@pytest.mark.parametrize("act", [3.0, 5.0, 2.0, 2.0 + 1e-9, 4.9999999, -7.0, 1e-7])
@pytest.mark.parametrize("dual", [None, 0.75, -1.25])
def test_constraint_outcome_is_the_definition(lo, hi, act, dual):
    out = _outcome("parties.A.limits.cap", "limit", "A", act, lo, hi, None if dual is None else np.array([dual]), 0)
    slacks = [s for s, finite in ((act - lo, math.isfinite(lo)), (hi - act, math.isfinite(hi))) if finite]
    slack = min(slacks) if slacks else math.inf
    scale = max([1.0] + [abs(b) for b in (lo, hi) if math.isfinite(b)])
    binding = slack <= BINDING_TOL * scale
    if dual is None:
        price = None
    elif not binding:
        price = 0.0
    elif lo == hi or (math.isfinite(hi) and hi - act <= BINDING_TOL * scale):
        price = _clean(dual, 12)  # an equality, or an upper bound reached: raising it relaxes
    else:
        price = _clean(-dual, 12)  # a lower bound reached: lowering it relaxes
    assert (out.value, out.slack, out.binding, out.shadow_price) == (act, slack, binding, price)
    assert (out.lower, out.upper) == (lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None)


@pytest.mark.parametrize("data", [mixed_case(), generated(6, 4)], ids=["mixed", "generated"])
def test_verify_with_the_rows_values_given_finds_the_same(data):
    problem = compile_case(validate_data(data))
    rng = np.random.default_rng(3)
    lb = np.maximum(problem.col_lb, -50.0)
    ub = np.minimum(problem.col_ub, 50.0)
    for _ in range(20):
        x = rng.uniform(lb - 1, ub + 1)  # some values outside their ranges, some rows broken
        values = issue_values(problem, x)
        utils = utilities(problem, values)[0]
        alone = verify(problem, x, values, utils, utility_scales(problem))
        given = verify(problem, x, values, utils, utility_scales(problem), True, row_values(problem, values))
        assert given == alone
        assert row_values(problem, values) == [r.lin.value(values) for r in problem.resolved.rows]


def _verify_written_out(problem, x, values: dict, utils: dict, uscale: dict) -> list[str]:
    """The re-check as its definition reads: every range and row widened by CHECK_TOL times its
    own scale, every reservation by ACCEPT_TOL times the party's utility scale."""
    out, reach = [], {}
    for v in problem.resolved.variables:
        raw = float(x[problem.var_col[v.key]])
        size = max(abs(v.lb), abs(v.ub), v.ub - v.lb)
        if not (v.lb - CHECK_TOL * size <= raw <= v.ub + CHECK_TOL * size):
            out.append(f"{v.name} = {raw:.6g} is outside its range [{v.lb:g}, {v.ub:g}]")
        reach[v.key] = max(abs(v.lb), abs(v.ub))
    for r in problem.resolved.rows:
        act = r.lin.value(values)
        size = max([abs(c) * max(abs(values[k]), reach[k]) for k, c in r.lin.terms.items()]
                   + [abs(r.lin.const)] + [abs(b) for b in (r.lo, r.hi) if math.isfinite(b)] + [1e-300])
        if not (r.lo - CHECK_TOL * size <= act <= r.hi + CHECK_TOL * size):
            out.append(f"{r.id} = {act:.6g} is outside [{r.lo:g}, {r.hi:g}]")
    for p in problem.parties:
        d = problem.case.parties[p].reservation
        if not utils[p] >= d - ACCEPT_TOL * uscale[p]:
            out.append(f"{p}'s utility {utils[p]:.6g} is below its reservation {d:g}")
    return out


@pytest.mark.parametrize("data", [mixed_case(), generated(6, 4)], ids=["mixed", "generated"])
def test_verify_finds_what_the_check_written_out_finds(data):
    """`verify` scales only the values outside their bounds (inside them any tolerance passes):
    with values and rows at their bounds, just inside and outside the tolerance, beyond it and
    NaN, it finds the same."""
    problem = compile_case(validate_data(data))
    rows = problem.resolved.rows
    rng = np.random.default_rng(5)
    lb = np.maximum(problem.col_lb, -50.0)
    ub = np.minimum(problem.col_ub, 50.0)
    size = np.maximum(np.maximum(abs(lb), abs(ub)), ub - lb)
    uscale = utility_scales(problem)
    nudges = [-3.0, -0.5, 0.0, 0.5, 3.0]  # times the tolerance
    found = 0
    for trial in range(60):
        x = rng.uniform(lb, ub)
        at = rng.random(len(x)) < 0.5  # some at a bound, nudged in or out
        nudge = rng.choice(nudges, len(x)) * CHECK_TOL * size
        x = np.where(at, np.where(rng.random(len(x)) < 0.5, lb, ub) + nudge, x)
        if trial % 10 == 9:
            x[rng.integers(len(x))] = np.nan
        values = issue_values(problem, x)
        for r in rows:  # each row's bounds at its value, nudged in or out, or far off
            act, scale = r.lin.value(values), max(1.0, abs(r.lin.value(values)))
            r.lo, r.hi = act + rng.choice(nudges) * CHECK_TOL * scale, act + rng.choice(nudges) * CHECK_TOL * scale
            r.lo, r.hi = rng.choice([r.lo, -math.inf, act - 1.0]), rng.choice([r.hi, math.inf, act + 1.0])
        utils = utilities(problem, values)[0]
        want = _verify_written_out(problem, x, values, utils, uscale)
        assert verify(problem, x, values, utils, uscale) == want
        found += bool(want)
    assert 10 < found < 60  # (agreements passing and failing both met)


def _read_back(curves: _Curves, i: int) -> tuple:
    """Curve i as its arrays hold it: its terms (key, coefficient) in order (None when `long`: its
    Lin is summed by itself), constant, points and Lin."""
    k = len(curves.lins[i].terms)
    terms = None if i in curves.long else [(curves.keys[a], c) for a, c in zip(curves.at[i, :k].tolist(),
                                                                               curves.coef[i, :k].tolist())]
    n = int(curves.last[i]) + 1
    return (terms, float(curves.const[i]), curves.xs[i, :n].tolist(), curves.ys[i, :n].tolist(),
            curves.lins[i])


@pytest.mark.parametrize("data", [generated(5, 30, 10), generated(12, 4), generated(34, 2), mixed_case()],
                         ids=["5 parties", "long arguments", "a shared argument's column", "discrete scores"])
def test_curves_from_compiles_arrays_hold_each_criterion_as_read_alone(data):
    """`utilities` after a compile makes its curves from the arrays compile drew them from
    (`_Curves.drawn`) when every criterion is a curve; either way each curve holds its criterion's
    own terms, constant and points, and the scores and utilities are each `ScoreCurve.score` and
    the weighted sum of them in order, bit for bit."""
    problem = compile_case(validate_data(data))
    resolved = problem.resolved
    criteria = [c for p in resolved.parties for c in resolved.criteria[p]]
    drawn = kept_section(resolved).read is not None
    assert drawn == all(c.x_points is not None for c in criteria)
    rng = np.random.default_rng(7)
    x = rng.uniform(np.maximum(problem.col_lb, -50.0), np.minimum(problem.col_ub, 50.0))
    values = issue_values(problem, x)
    utils, scores = utilities(problem, values)
    curves = _every_curve(resolved, resolved.parties)[0]
    if drawn:  # (the drawn curves' keys are in column order)
        cols = [problem.var_col[k] for k in curves.keys]
        assert cols == sorted(cols)
    for i, c in enumerate(criteria):
        terms, const, xs, ys, lin = _read_back(curves, i)
        assert (terms, const, lin) == (None if len(c.lin.terms) > 8 else list(c.lin.terms.items()), c.lin.const, c.lin)
        if c.x_points is not None:
            assert (xs, ys) == (list(c.x_points), list(c.y_points))
    alone = _Curves(criteria)  # from the criteria: the same arrays, keys numbered as met
    assert [_read_back(alone, i) for i in range(len(criteria))] == [_read_back(curves, i) for i in range(len(criteria))]
    for name in ("xs", "ys", "last", "linear", "const", "top", "start"):
        assert np.array_equal(getattr(alone, name), getattr(curves, name)), name
    for p in resolved.parties:
        want = {c.id: c.score(values) for c in resolved.criteria[p]}
        assert repr(scores[p]) == repr(want)
        total = 0.0
        for c in resolved.criteria[p]:
            total += c.weight * want[c.id]
        assert repr(utils[p]) == repr(total)


def test_utilities_need_only_the_variables_the_curves_use():
    """Drawn curves number the variables their terms use (every variable's column as is when they
    use them all): an issue no criterion reads may be missing from the values, and the scores are
    each curve's own, as when every variable is used."""
    data = generated(3, 4)
    data["issues"]["spare"] = {"range": [0, 5]}  # read by a red line only
    data["constraints"]["spare_cap"] = "spare <= 4"
    problem = compile_case(validate_data(data))
    assert kept_section(problem.resolved).read is not None
    rng = np.random.default_rng(2)
    x = rng.uniform(np.maximum(problem.col_lb, -50.0), np.minimum(problem.col_ub, 50.0))
    values = issue_values(problem, x)
    del values[("spare", None, None)]
    utils, scores = utilities(problem, values)
    for p in problem.parties:
        assert repr(scores[p]) == repr({c.id: c.score(values) for c in problem.resolved.criteria[p]})
    curves = _every_curve(problem.resolved, problem.parties)[0]
    assert ("spare", None, None) not in curves.keys
    assert [problem.var_col[k] for k in curves.keys] == sorted(problem.var_col[k] for k in curves.keys)


@pytest.mark.parametrize("data", [mixed_case(), generated(4, 5)], ids=["mixed", "generated"])
def test_a_solves_proposal_is_what_its_constructor_makes(data):
    """The solve builds its Proposal with every field as __post_init__ leaves it (proposal_made):
    the same as the constructor makes from the status string and the solver's report (a dict)."""
    import dataclasses

    from negotiate.proposal import Proposal
    from negotiate.results import SolverInfo, Status
    from negotiate.solving import solve

    made = solve(validate_data(data), "utilitarian")
    fields = {f.name: getattr(made, f.name) for f in dataclasses.fields(Proposal)}
    built = Proposal(**{**fields, "status": made.status.value, "solver": made.solver.to_dict()})
    assert type(made.status) is Status and type(made.solver) is SolverInfo
    assert made.to_json() == built.to_json() and repr(made) == repr(built)
    assert {k: v for k, v in fields.items() if k != "solver"} == {
        f.name: getattr(built, f.name) for f in dataclasses.fields(Proposal) if f.name != "solver"}
