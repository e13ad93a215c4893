"""The score curves drawn as arrays (compile._draw, _sections) against plain Python.

- every curve drawn together with thousands of others equals the curve drawn alone by a
  plain-Python reading of the increment form (clip to the reachable interval with numpy's
  interpolation, drop collinear points, concave or convex by the weight's sign), bit for bit;
- so does every curve of the benchmark's generated cases read back from the compiled Problem
  (multi-term arguments, their intervals added term by term, shared argument columns);
- the array interpolation is `expr.interp` (numpy.interp's value) exactly, and a clipped
  curve's end is the criterion's own score there (compile interpolated with another formula,
  a last-bit apart in 12% of random clips);
- some parties drawn apart, in their places, equal the whole compile (what a what-if relies on);
- a what-if that moves only a weight rewrites only that party's utility row;
- the numbers check of a what-if rescales the rows holding a column whose bounds moved.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import random

import numpy as np
import pytest
from conftest import ROOT

from negotiate import whatif
from negotiate.backends.scaling import numeric_problems
from negotiate.case.expr import Lin, interp
from negotiate.case.load import validate_data
from negotiate.case.resolve import ScoreCurve, resolve
from negotiate.compile import (
    _Builder,
    _draw,
    _interp_at,
    _numbers_fine,
    _sections,
    _shape,
    _shared_arguments,
    compile_case,
)
from negotiate.whatif import Negotiation

KEY = ("t", None, None)


def plain_shape(xs: list, ys: list, lo: float, hi: float) -> tuple[list, list, list]:
    """Clip, drop collinear points; the slopes left and the steepest slope before the drop."""
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), xs[-1] - xs[0]):
        return [lo], [interp(lo, xs, ys)], []
    i, k = bisect.bisect_right(xs, lo), bisect.bisect_left(xs, hi)
    x = [lo] + xs[i:k] + [hi]
    y = [interp(lo, xs, ys)] + ys[i:k] + [interp(hi, xs, ys)]
    slopes = [(y[j + 1] - y[j]) / (x[j + 1] - x[j]) for j in range(len(x) - 1)]
    steepest = max(abs(s) for s in slopes)
    keep = [0] + [j for j in range(1, len(x) - 1) if abs(slopes[j - 1] - slopes[j]) > 1e-12 * steepest] + [len(x) - 1]
    kx, ky = [x[j] for j in keep], [y[j] for j in keep]
    kept = [(ky[j + 1] - ky[j]) / (kx[j + 1] - kx[j]) for j in range(len(kx) - 1)]
    return kx, ky, [kept, steepest]


def plain_interval(crit: ScoreCurve, bounds: dict) -> tuple[float, float]:
    """The reachable interval of a curve's argument over the issue ranges, its terms added one
    at a time in order (continuous issues)."""
    lo = hi = crit.lin.const
    for key, c in crit.lin.terms.items():
        a, z = bounds[key]
        lo += min(c * a, c * z)
        hi += max(c * a, c * z)
    return lo, hi


def plain_curve(crit: ScoreCurve, bounds: dict) -> dict:
    """One curve as bounded increments, read from its definition in plain Python."""
    const = crit.lin.const
    lo, hi = plain_interval(crit, bounds)
    kx, ky, rest = plain_shape(list(crit.x_points), list(crit.y_points), lo, hi)
    in_order = True
    if rest:
        kept, steepest = rest
        rises = [kept[j + 1] - kept[j] for j in range(len(kept) - 1)]
        if crit.weight >= 0:
            in_order = all(r <= 1e-9 * steepest for r in rises)
        else:
            in_order = all(-r <= 1e-9 * steepest for r in rises)
    dx = [kx[j + 1] - kx[j] for j in range(len(kx) - 1)]
    return {"m": len(kx) - 1, "dx": dx, "slope": [(ky[j + 1] - ky[j]) / dx[j] for j in range(len(dx))],
            "y0": ky[0], "position": kx[0] - const, "in_order": in_order}


def random_curve(rng: random.Random, q: int) -> ScoreCurve:
    n = rng.randint(1, 9)
    xs = sorted({round(rng.uniform(-20, 20), rng.choice([0, 2, 9])) for _ in range(n)} | {rng.uniform(-30, -20)})
    kind = rng.choice(["concave", "convex", "any", "line", "flat"])
    steps = [rng.uniform(-1, 1) for _ in xs[1:]]
    if kind == "concave":
        steps.sort(reverse=True)
    elif kind == "convex":
        steps.sort()
    elif kind == "line":
        steps = [steps[0]] * len(steps) if steps else []
    elif kind == "flat":
        steps = [0.0] * len(steps)
    ys = [rng.uniform(-1, 1)]
    for j, s in enumerate(steps):
        ys.append(ys[-1] + s * (xs[j + 1] - xs[j]))
    lin = Lin({KEY: rng.choice([1.0, -0.5, 2.0, 1e-3]), }, rng.choice([0.0, 1.5, -3.25]))
    weight = rng.choice([1.0, 0.3, -0.7])
    return ScoreCurve("A", f"c{q}", weight, lin, tuple(xs), tuple(round(y, rng.choice([3, 12])) for y in ys))


def test_curves_drawn_together_equal_each_drawn_alone_in_plain_python():
    rng = random.Random(7)
    for _ in range(20):
        bounds = rng.choice([(0.0, 10.0), (-25.0, 25.0), (3.0, 3.0), (-40.0, -35.0), (1.0, 1.0 + 1e-14)])
        curves = [random_curve(rng, q) for q in range(rng.randint(1, 300))]
        d = _draw(curves, {KEY: 0}, {KEY: bounds}, [None] * len(curves))
        for q, crit in enumerate(curves):
            want = plain_curve(crit, {KEY: bounds})
            f = slice(d.fill[q], d.fill[q + 1])
            got = {"m": int(d.m[q]), "dx": d.dx[f].tolist(), "slope": d.slope[f].tolist(), "y0": float(d.y0[q]),
                   "position": float(d.position[q]), "in_order": bool(d.in_order[q])}
            assert got == want, (crit, bounds)


@pytest.mark.parametrize("size", [(5, 30, 10), (20, 30, 10), (60, 3, 6)], ids=["5x30", "20x30", "60x3-shared"])
def test_every_compiled_curve_equals_its_plain_python_drawing(size):
    """The benchmark's cases (benchmarks/generate.py: multi-term arguments, a public good naming
    every party, shared argument columns at 60 parties) compiled whole: each criterion's fills,
    slopes, first score, position row and binaries in the Problem equal the curve drawn alone in
    plain Python from its definition, bit for bit."""
    case = validate_data(generated(*size))
    problem = compile_case(case)
    r = resolve(case)
    bounds = {v.key: (v.lb, v.ub) for v in r.variables}
    for p in r.parties:
        for crit in r.criteria[p]:
            want = plain_curve(crit, bounds)
            key = (p, crit.id)
            slopes, y0 = problem.score_form[key]
            fills = list(slopes)
            pos = problem.curve_rows[key][0]
            got = {"m": len(fills), "dx": problem.col_ub[fills].tolist(), "slope": list(slopes.values()),
                   "y0": y0, "position": float(problem.row_lo[pos]),
                   "in_order": len(problem.curve_cols[key]) == len(fills)}
            assert got == want, key
            assert problem.row_hi[pos] == problem.row_lo[pos] and not problem.col_lb[fills].any()


def test_the_array_interpolation_is_numpys():
    rng = random.Random(3)
    xs_all, ys_all, first, npts, vs = [], [], [], [], []
    for _ in range(3000):
        xs = sorted(rng.sample(range(-50, 50), rng.randint(1, 8)))
        xs = [x / 7 for x in xs]
        ys = [rng.choice([rng.random(), 0.5, -1e300]) for _ in xs]
        v = rng.choice([rng.uniform(-10, 10), rng.choice(xs), xs[0] - 1, xs[-1] + 1, math.nan])
        first.append(len(xs_all))
        npts.append(len(xs))
        xs_all += xs
        ys_all += ys
        vs.append(v)
    X, Y, first, npts, v = (np.array(a) for a in (xs_all, ys_all, first, npts, vs))
    right = np.array([bisect.bisect_right(xs_all[f:f + n], x) for f, n, x in zip(first, npts, vs)])
    got = _interp_at(v, X, Y, first, npts, right)
    for g, f, n, x in zip(got.tolist(), first.tolist(), npts.tolist(), vs):
        want = interp(x, xs_all[f:f + n], ys_all[f:f + n])
        assert g == want or (math.isnan(g) and math.isnan(want))


def test_a_clipped_curve_ends_at_the_criterions_own_score():
    rng = random.Random(0)
    for _ in range(2000):
        xs = [x / 3 for x in sorted(rng.sample(range(-50, 50), rng.randint(2, 12)))]
        ys = [rng.random() for _ in xs]
        lo = rng.uniform(xs[0], xs[-1])
        hi = rng.uniform(lo, xs[-1])
        kx, ky, _ = _shape(xs, ys, lo, hi)
        assert ky[0] == interp(lo, xs, ys) == float(np.interp(lo, xs, ys))
        assert len(kx) == 1 or ky[-1] == interp(hi, xs, ys)


def generated(parties: int, criteria: int, points: int = 6) -> dict:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    return generate.make_case(parties, criteria, points, seed=5)


def mixed_case() -> dict:
    """Curves pushed both ways, a non-concave one (binaries), a discrete issue scored by option."""
    return {"name": "mixed", "issues": {"t": {"range": [0, 10]}, "d": {"per_party": True, "range": [0, 4]},
                                        "o": {"options": ["x", "y"]}},
            "parties": {
                "A": {"criteria": {"bump": {"of": "t", "points": [[0, 0], [4, 0.1], [6, 0.9], [10, 1]]},
                                   "own": {"of": "d[self] + t / 4", "points": [[0, 0], [3, 0.8], [9, 1]]},
                                   "pick": {"of": "o", "scores": {"x": 0.2, "y": 1}}}},
                "B": {"criteria": {"line": {"of": "t", "weight": 2, "points": [[0, 1], [10, 0]]},
                                   "own": {"of": "d[self]", "points": [[0, 0], [1, 0.9], [4, 1]]}}},
                "C": {"criteria": {"flat": {"of": "t", "points": [[0, 0.5], [10, 0.5]]},
                                   "pick": {"of": "o", "scores": {"x": 1, "y": 0}}}}}}


@pytest.mark.parametrize("data", [mixed_case(), generated(7, 5), generated(60, 3)], ids=["mixed", "small", "shared"])
def test_parties_drawn_apart_equal_the_whole_compile(data):
    case = validate_data(data)
    problem = compile_case(case)
    r = resolve(case)
    bounds = {v.key: (v.lb, v.ub) for v in r.variables}
    shared, _ = _shared_arguments(r, problem.var_col, bounds, _Builder(len(r.variables)))
    assert shared == problem._shared_of
    some = r.parties[1::2]
    sec = _sections(r, some, problem.var_col, bounds, shared)
    at = np.array([problem._party_at[p][0] for p in some])
    rows_at = [problem._party_at[p][1] for p in some]
    indices = sec.placed(at)
    starts = np.concatenate(([0], np.cumsum(sec.row_len)))
    for k, p in enumerate(some):
        end = sec.party_row[k + 1] if k + 1 < len(some) else len(sec.row_names)
        for t in range(sec.party_row[k], end):
            i = rows_at[k] + t - sec.party_row[k]
            cols, vals = problem.row(i)
            assert problem.row_names[i] == sec.row_names[t]
            assert cols.tolist() == indices[starts[t]:starts[t + 1]].tolist()
            assert vals.tolist() == sec.values[starts[t]:starts[t + 1]].tolist()
            assert (problem.row_lo[i], problem.row_hi[i]) == (sec.row_lo[t], sec.row_hi[t])
    forms, curve_cols, _ = sec.maps(at, np.array(rows_at))
    assert all(problem.score_form[key] == form and problem.curve_cols[key] == curve_cols[key]
               for key, form in forms.items())


def test_a_weight_change_rewrites_only_its_partys_utility_row(monkeypatch):
    made = []

    def spy(previous, resolved):
        out = recompile(previous, resolved)
        made.append(out)
        return out

    recompile = whatif.recompile
    monkeypatch.setattr(whatif, "recompile", spy)
    n = Negotiation(validate_data(generated(6, 4)))
    n.solve("utilitarian")
    n.set("parties.P002.criteria.c0.weight", 0.9)
    n.solve("utilitarian")
    assert made and made[-1] is not None
    assert made[-1].rows.tolist() == [n.problem.utility_row["P002"]] and not len(made[-1].cols)
    cold = compile_case(validate_data(n._data))
    for f in ("col_lb", "col_ub", "row_lo", "row_hi", "indptr", "indices", "values"):
        assert np.array_equal(getattr(n.problem, f), getattr(cold, f)), f
    assert n.problem.score_form == cold.score_form


def test_the_numbers_check_of_a_what_if_rescales_rows_holding_a_moved_column():
    problem = compile_case(validate_data(mixed_case()))
    fills = np.array(problem.curve_cols[("B", "line")] + problem.curve_cols[("B", "own")])
    assert not numeric_problems(problem) and _numbers_fine(problem, np.zeros(0, np.int64), fills)
    lb, ub = problem.col_lb.copy(), problem.col_ub.copy()
    ub[fills] = 1e-300  # as if a what-if had drawn B's curves over vanishing ranges
    moved = dataclasses.replace(problem, col_lb=lb, col_ub=ub)  # (its fields only: nothing kept on it)
    assert numeric_problems(moved)  # B's utility row, scaled by its fills, has a bound beyond reach
    assert not _numbers_fine(moved, np.zeros(0, np.int64), fills)


def test_a_case_compiled_again_is_the_same_model_and_shares_nothing_writable():
    case = validate_data(mixed_case())
    first = compile_case(case)
    for f in ("col_lb", "col_ub", "row_lo", "row_hi", "indices", "values"):
        getattr(first, f)[:] = 7  # whatever a caller does to its copy
    first.col_names[0], first.row_names[0] = "x", "y"
    first.nonconcave.append("z")
    again, fresh = compile_case(case), compile_case(validate_data(mixed_case()))
    for f in ("col_lb", "col_ub", "col_int", "row_lo", "row_hi", "indptr", "indices", "values"):
        assert np.array_equal(getattr(again, f), getattr(fresh, f)), f
    for f in ("col_names", "row_names", "score_form", "curve_cols", "curve_rows", "nonconcave", "utility_row"):
        assert getattr(again, f) == getattr(fresh, f), f


@pytest.mark.parametrize("seed", range(5))
def test_sequential_sums_every_way_equal_python_sums(seed, monkeypatch):
    """compile._seq_add's three ways (a Python loop for few groups, a table of the terms padded
    with -0.0, numpy steps otherwise) each add each group's terms one at a time in order, as a
    plain Python loop does: bit for bit, the sign of a zero sum too."""
    import negotiate.compile as compile_module

    rng = random.Random(seed)
    counts = [rng.choice([0, 1, 2, 3, 30]) for _ in range(rng.randint(1, 12))]
    vals = [rng.choice([rng.uniform(-1e3, 1e3) * 10 ** rng.randint(-8, 8), 0.0, -0.0]) for _ in range(sum(counts))]
    acc = [rng.choice([rng.uniform(-1.0, 1.0), 0.0, -0.0]) for _ in counts]
    starts = [sum(counts[:g]) for g in range(len(counts))]
    want = []
    for a, s, c in zip(acc, starts, counts):
        for k in range(s, s + c):
            a += vals[k]
        want.append(a)
    args = (np.array(acc), np.array(vals), np.array(starts, np.int64), np.array(counts, np.int64))
    for loop, table in ((10**9, 0), (0, 10**9), (0, 0)):  # every call by the loop, the table, the steps
        monkeypatch.setattr(compile_module, "SEQ_ADD_LOOP", loop)
        monkeypatch.setattr(compile_module, "SEQ_ADD_TABLE", table)
        assert compile_module._seq_add(*args).tobytes() == np.array(want, float).tobytes()
