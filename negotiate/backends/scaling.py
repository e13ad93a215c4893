"""Scaling a compiled model by powers of two (exact in floating point), and what no scaling saves.

A column is scaled by the magnitude of its finite bounds (integer columns keep
1), a free column by the rows it appears in, and each row by its largest
scaled coefficient; so ranges, scores and weights from 1e-6 to 1e9 reach a
solver as numbers near 1. `numeric_problems` names the rows and columns that
stay beyond what a double-precision solver can work with even so.
"""

from __future__ import annotations

import math

import numpy as np

MAX_SCALED = 1e15  # beyond this after scaling a value is not a number a solver can work with


def _pow2(m: np.ndarray) -> np.ndarray:
    """The power of two nearest each magnitude (1 where it is 0 or not finite)."""
    m = np.asarray(m, float)
    ok = np.isfinite(m) & (m > 0)
    out = np.ones_like(m)
    out[ok] = np.exp2(np.round(np.log2(m[ok])))
    return out


def column_scales(lb: np.ndarray, ub: np.ndarray, integer: np.ndarray) -> np.ndarray:
    """A column's scale: the magnitude of its finite bounds (1 for integer columns,
    and 0 for free ones until their rows say)."""
    mag = np.maximum(np.where(np.isfinite(lb), np.abs(lb), 0.0), np.where(np.isfinite(ub), np.abs(ub), 0.0))
    c = _pow2(mag)
    c[integer] = 1.0
    c[~(np.isfinite(lb) | np.isfinite(ub))] = 0.0
    return c


def _row_max(indptr: np.ndarray, mag: np.ndarray) -> np.ndarray:
    n = len(indptr) - 1
    out = np.zeros(n)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if len(nonempty):
        out[nonempty] = np.maximum.reduceat(mag, indptr[nonempty])
    return out


def scale_model(indptr, indices, values, lb, ub, integer) -> tuple[np.ndarray, np.ndarray]:
    """Column and row scales (powers of two) of a CSR model; see the module docstring."""
    c = column_scales(lb, ub, integer)
    a = np.abs(values)
    for _ in range(2):  # free columns (utilities) take the scale their rows give them
        r = 1.0 / _pow2(_row_max(indptr, a * c[indices]))
        free = c[indices] == 0
        if not free.any():
            break
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        guess = np.zeros(len(c))
        has_known = _row_max(indptr, a * c[indices]) > 0
        use = free & has_known[rows]
        np.maximum.at(guess, indices[use], a[use] * r[rows[use]])
        fill = (c == 0) & (guess > 0)
        c[fill] = 1.0 / _pow2(guess[fill])
    c[c == 0] = 1.0
    r = 1.0 / _pow2(_row_max(indptr, a * c[indices]))
    return c, r


def model_scales(problem) -> tuple[np.ndarray, np.ndarray]:
    """`scale_model` of a compiled Problem, kept on it (the compile's check of its numbers and
    the HiGHS backend built next both read them: 0.1, 0.25 and 0.5 ms at 5, 20 and 50 parties,
    benchmarks/generate.py cases, of solves taking 5, 26 and 95 ms); fresh
    copies each call, the backend scales helper columns in place. A Problem's arrays are never
    written (a what-if copies them, compile._Patch): the arrays it was made from are checked."""
    made = [problem.indptr, problem.indices, problem.values, problem.col_lb, problem.col_ub, problem.col_int]
    kept = problem.__dict__.get("_model_scales")
    if kept is None or any(a is not b for a, b in zip(kept[0], made)):
        kept = problem.__dict__["_model_scales"] = (made, scale_model(*made))
    cs, rs = kept[1]
    return cs.copy(), rs.copy()


def numeric_problems(problem) -> list[tuple[str, int, str]]:
    """("row" | "col", index, what) for every value a solver cannot represent, even scaled:
    not finite, or beyond MAX_SCALED once rows and columns are scaled."""
    out = []
    bad = ~np.isfinite(problem.values)
    for k in np.flatnonzero(bad)[:20]:
        i = int(np.searchsorted(problem.indptr, k, side="right") - 1)
        out.append(("row", i, f"a coefficient is {problem.values[k]}"))
    for name, lo, hi in (("col", problem.col_lb, problem.col_ub), ("row", problem.row_lo, problem.row_hi)):
        nan = np.isnan(lo) | np.isnan(hi) | (lo == math.inf) | (hi == -math.inf)
        for j in np.flatnonzero(nan)[:20]:
            out.append((name, int(j), f"a bound is not a number ({lo[j]}, {hi[j]})"))
    if out:
        return out
    cs, rs = model_scales(problem)
    rows = np.repeat(np.arange(problem.n_rows), np.diff(problem.indptr))
    scaled = np.abs(problem.values * rs[rows] * cs[problem.indices])
    for k in np.flatnonzero(scaled > MAX_SCALED)[:20]:
        col = problem.col_names[problem.indices[k]]
        out.append(("row", int(rows[k]), f"a coefficient of {problem.values[k]:.3g} on `{col}`"))
    for name, lo, hi, sc in (("row", problem.row_lo, problem.row_hi, rs),
                             ("col", problem.col_lb, problem.col_ub, 1.0 / cs)):
        for b in (lo, hi):
            big = np.isfinite(b) & (np.abs(b * sc) > MAX_SCALED)
            for j in np.flatnonzero(big)[:20]:
                out.append((name, int(j), f"a bound of {b[j]:.3g}"))
    return out
