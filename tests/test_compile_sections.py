"""A section's rows and columns (compile._sections, every party's curves placed as arrays) against
the same model written criterion by criterion (compile._curve adds one curve's fills, position
row and order rows to a builder, drawing that curve alone; compile._utility_terms sums a utility
row's forms in a dict), compared by name, bit for bit: this checks how the sections are assembled.
How a curve is drawn (clipped, collinear points dropped) is checked against plain Python here
for `_shapes`' gaps and slopes, and in tests/test_compile_arrays.py (`plain_curve`) for the rest.

The cases take each of _sections' ways: every criterion a curve, with no zero coefficient, no
shared argument and every curve a row (the benchmark's generated case, its usual way); linear
scores of a discrete issue's options, binaries, a flat curve (mixed); curves clipped to one point
(no fills, no row) and an argument's zero coefficient (clipped); shared argument columns (60
parties).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_compile_arrays import generated, mixed_case, plain_shape

from negotiate.case.load import validate_data
from negotiate.case.resolve import resolve
from negotiate.compile import _Builder, _curve, _shapes, _utility_terms, compile_case


def clipped_case() -> dict:
    """Curves clipped to one point (an argument `t - t + 3`, an issue of one value) beside drawn ones."""
    return {"name": "clipped", "issues": {"t": {"range": [0, 10]}, "u": {"range": [2, 2]}},
            "parties": {
                "A": {"criteria": {"none": {"of": "t - t + 3", "points": [[0, 0], [5, 1], [10, 0]]},
                                   "one": {"of": "u", "points": [[0, 0], [5, 1]]},
                                   "rise": {"of": "t", "points": [[0, 0], [10, 1]]}}},
                "B": {"criteria": {"cap": {"of": "t / 2 + 1", "weight": 3, "points": [[0, 0], [2, 1], [9, 1.5]]},
                                   "dip": {"of": "t", "points": [[0, 1], [5, 0], [10, 1]]}}}}}


def by_name(name, cols: list, vals: list) -> dict:
    """A row's entries as {its column's name: value}, in order."""
    return {name(j): v for j, v in zip(cols, vals)}


def plain_rows(problem) -> tuple[dict, dict]:
    """Every criterion's rows and columns, and every party's utility row, written one criterion
    at a time: row name -> ({column name: value}, lo, hi); column name -> (lb, ub, integer)."""
    r = problem.resolved
    bounds = {v.key: (v.lb, v.ub) for v in r.variables}
    b = _Builder(problem.n_cols)  # its own columns numbered after the model's
    rows, forms = {}, {p: [] for p in r.parties}
    for p in r.parties:
        for crit in r.criteria[p]:
            terms, const, _ = _curve(crit, problem.var_col, bounds, b, problem._shared_of.get((p, crit.id)))
            forms[p].append((crit.weight, (terms, const)))
    names = b.names.made()

    def name(j: int) -> str:
        return names[j - problem.n_cols] if j >= problem.n_cols else problem.col_names[j]

    indptr, indices, values = b.matrix()
    lo, hi = b.row_bounds()
    for k, row in enumerate(b.row_names.made()):
        a, z = indptr[k], indptr[k + 1]
        rows[row] = (by_name(name, indices[a:z].tolist(), values[a:z].tolist()), float(lo[k]), float(hi[k]))
    lb, ub, integer = b.columns()
    cols = {n: (float(lb[k]), float(ub[k]), bool(integer[k])) for k, n in enumerate(names)}
    for p in r.parties:
        u = problem.utility_col[p]
        coefs, const = _utility_terms(u, forms[p])
        entries = by_name(name, list(coefs), list(coefs.values()))
        rows[f"parties.{p}.utility"] = (entries, float(const), float(const))
    return rows, cols


@pytest.mark.parametrize("data", [generated(5, 30, 10), mixed_case(), clipped_case(), generated(60, 3)],
                         ids=["generated-5x30", "mixed", "clipped", "shared-60"])
def test_every_partys_rows_equal_those_written_criterion_by_criterion(data):
    problem = compile_case(validate_data(data))
    rows, cols = plain_rows(problem)
    names = problem.col_names
    drawn = [i for i, n in enumerate(problem.row_names) if n in rows]
    assert len(drawn) == len(rows)  # every row written one by one is in the model, and no other of theirs
    assert sum(n.startswith("parties.") and ".criteria." in n for n in problem.row_names) + len(problem.parties) \
        == len(rows)
    for i in drawn:
        c, v = problem.row(i)
        got = (by_name(names.__getitem__, c.tolist(), v.tolist()), float(problem.row_lo[i]),
               float(problem.row_hi[i]))
        want = rows[problem.row_names[i]]
        assert repr(got) == repr(want), problem.row_names[i]
    own = [j for j, n in enumerate(names) if n in cols]
    assert len(own) == len(cols)
    for j in own:
        got = (float(problem.col_lb[j]), float(problem.col_ub[j]), bool(problem.col_int[j]))
        assert repr(got) == repr(cols[names[j]]), names[j]


@pytest.mark.parametrize("seed", range(4))
def test_the_shapes_points_gaps_and_slopes_are_plain_pythons(seed):
    """_shapes hands _draw each point's curve and the gap and slope to the next point (no second
    diff): on curves clipped at random (to one point too), they are those of the points plain
    Python keeps (test_compile_arrays.plain_shape), bit for bit."""
    rng = np.random.default_rng(seed)
    r = resolve(validate_data(generated(5, 30, 10)))
    crits = [c for p in r.parties for c in r.criteria[p]]
    X = np.array([x for c in crits for x in c.x_points])
    Y = np.array([y for c in crits for y in c.y_points])
    pstart = np.concatenate(([0], np.cumsum([len(c.x_points) for c in crits])))
    first, last = X[pstart[:-1]], X[pstart[1:] - 1]
    lo = first + (last - first) * rng.uniform(-0.1, 0.6, len(crits))
    hi = np.where(rng.random(len(crits)) < 0.1, lo, lo + (last - first) * rng.uniform(0.0, 0.8, len(crits)))
    s = _shapes(X, Y, pstart, lo, hi)
    for q, c in enumerate(crits):
        px, py, _ = plain_shape(list(c.x_points), list(c.y_points), float(lo[q]), float(hi[q]))
        a, z = s.start[q], s.start[q + 1]
        assert s.x[a:z].tolist() == px and s.y[a:z].tolist() == py
        assert (s.own[a:z] == q).all()
        assert s.dx[a:z - 1].tolist() == [px[k + 1] - px[k] for k in range(len(px) - 1)]
        assert s.slope[a:z - 1].tolist() == [(py[k + 1] - py[k]) / (px[k + 1] - px[k]) for k in range(len(px) - 1)]