"""Scaling a compiled model by powers of two (exact in floating point), and what no scaling saves.

A column is scaled by the magnitude of its finite bounds (integer columns keep
1), a free column by the rows it appears in, and each row by its largest
scaled coefficient; so ranges, scores and weights from 1e-6 to 1e9 reach a
solver as numbers near 1. `numeric_problems` names the rows and columns that
stay beyond what a double-precision solver can work with even so.
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np

from negotiate.sparse import rows_of

MAX_SCALED = 1e15  # beyond this after scaling a value is not a number a solver can work with


def _nearest(m):
    """The power of two nearest in log scale (positive finite magnitudes: an array or one number).
    (np.rint is the ufunc np.round calls for 0 decimals, without its Python wrapper: 1 us a call.)"""
    return np.exp2(np.rint(np.log2(m)))


def _pow2(m: np.ndarray) -> np.ndarray:
    """The power of two nearest each magnitude (1 where it is 0 or not finite: the nearest
    power of two of 1 put there, not an array of ones filled through masks, 1-2 us less on the
    1.1k column scales of a 5-party benchmarks/generate.py case, five of them free)."""
    m = np.asarray(m, float)
    return _nearest(np.where((m > 0) & (m < math.inf), m, 1.0))  # (NaN fails both)


# A mantissa f (0.5 <= f < 1) is nearer 1 than 0.5 in log scale from sqrt(1/2) on; within this
# of sqrt(1/2), and at exponents near the ends of a double's, `_pow2_one` leaves it to numpy's
# log2 (the rounding there is numpy's: the result is `_pow2`'s, bit for bit).
_ROOT_HALF = math.sqrt(0.5)
_NEAR_ROOT_HALF = 1e-9


def _pow2_one(m: float) -> float:
    """`_pow2` of one magnitude, from its binary exponent (math.frexp): 0.2 us, where numpy's
    ufuncs on one element took 5-10 (a 5-party utilitarian objective's scale)."""
    if not 0 < m < math.inf:
        return 1.0
    f, e = math.frexp(m)  # m = f * 2**e
    if abs(f - _ROOT_HALF) > _NEAR_ROOT_HALF and -1000 < e < 1000:
        return math.ldexp(1.0, e if f > _ROOT_HALF else e - 1)
    return float(_nearest(np.float64(m)))


def column_scales(lb: np.ndarray, ub: np.ndarray, integer: np.ndarray) -> np.ndarray:
    """A column's scale: the magnitude of its finite bounds (1 for integer columns,
    and 0 for free ones until their rows say)."""
    finite_lb, finite_ub = np.isfinite(lb), np.isfinite(ub)
    mag = np.maximum(np.where(finite_lb, np.abs(lb), 0.0), np.where(finite_ub, np.abs(ub), 0.0))
    c = _pow2(mag)
    c[integer] = 1.0
    c[~(finite_lb | finite_ub)] = 0.0
    return c


class _RowMax:
    """The largest of each row's entries of a CSR model (0 for an empty row), its rows read once."""

    def __init__(self, indptr: np.ndarray):
        self.indptr = indptr
        self.n = len(indptr) - 1
        self.lengths = indptr[1:] - indptr[:-1]  # (np.diff's wrapper costs more than the subtraction)
        # None: no row is empty (the usual case), and one reduceat gives every row's largest
        self.nonempty = None if self.lengths.all() else np.flatnonzero(self.lengths)
        self.starts = indptr[:-1] if self.nonempty is None else indptr[self.nonempty]

    def __call__(self, mag: np.ndarray) -> np.ndarray:
        if not len(self.starts):
            return np.zeros(self.n)
        top = np.maximum.reduceat(mag, self.starts)
        if self.nonempty is None:
            return top
        out = np.zeros(self.n)
        out[self.nonempty] = top
        return out


def scale_model(indptr, indices, values, lb, ub, integer) -> tuple[np.ndarray, np.ndarray]:
    """Column and row scales (powers of two) of a CSR model; see the module docstring. Each
    row's largest scaled entry is computed once per set of column scales (it was twice to
    four times: 0.135 ms of a 5-party benchmarks/generate.py case, 1.1k columns, now 0.06)."""
    return _scales(_RowMax(indptr), indices, values, lb, ub, integer)


def _scales(row_max: _RowMax, indices, values, lb, ub, integer) -> tuple[np.ndarray, np.ndarray]:
    c = column_scales(lb, ub, integer)
    a = np.abs(values)
    entry_scale = c[indices]
    big = row_max(a * entry_scale)  # each row's largest entry scaled by the columns' scales c
    free = np.flatnonzero(entry_scale == 0)  # the entries of free columns (utilities: a few)
    finite = bool(np.isfinite(a[free]).all())  # (an infinite one gave NaN times scale 0 above)
    for _ in range(2):  # free columns take the scale their rows give them
        if not len(free):
            break
        rows = rows_of(row_max.indptr, free)
        known = big[rows] > 0
        guess = np.zeros(len(c))
        np.maximum.at(guess, indices[free[known]], a[free[known]] * (1.0 / _pow2(big[rows[known]])))
        fill = (c == 0) & (guess > 0)
        c[fill] = 1.0 / _pow2(guess[fill])
        # Only the free entries changed (from 0), so each row's largest is the larger of its last
        # and theirs: max is exact, the same numbers as reading every row again, when they are
        # finite (NaN, from inf times 0, would stay). 0.01 ms less of 0.06 at 5 parties
        # (benchmarks/generate.py, 2.6k entries, 10 of them free).
        scale = c[indices[free]]
        if finite:
            np.maximum.at(big, rows, a[free] * scale)
        else:  # (numeric_problems refuses such a model, but scale_model is called without it too)
            big = row_max(a * c[indices])
        free = free[scale == 0]
    if len(free):  # columns no row measured take scale 1
        np.maximum.at(big, rows_of(row_max.indptr, free), a[free])
    c[c == 0] = 1.0  # (and columns in no row: a row's largest entry is unchanged by them)
    return c, 1.0 / _pow2(big)


class _Scaled(NamedTuple):
    """A compiled Problem's scales and scaled coefficients, kept on it (`_kept`)."""

    made: list  # the Problem's arrays they were made from
    cs: np.ndarray  # column scales
    rs: np.ndarray  # row scales
    values: np.ndarray  # each coefficient scaled: values[k] * rs[row] * cs[column], in CSR order
    lengths: np.ndarray  # each row's count of coefficients (np.repeat spreads a value per row over them)


def _kept(problem) -> _Scaled:
    """The Problem's `_Scaled`, kept on it (see `model_scales`)."""
    made = [problem.indptr, problem.indices, problem.values, problem.col_lb, problem.col_ub, problem.col_int]
    kept = problem.__dict__.get("_model_scales")
    if kept is None or not all(map(operator.is_, kept[0], made)):  # (a generator's any(): 1 us more a call)
        row_max = _RowMax(problem.indptr)
        cs, rs = _scales(row_max, *made[1:])
        scaled = problem.values * np.repeat(rs, row_max.lengths) * cs[problem.indices]
        kept = problem.__dict__["_model_scales"] = _Scaled(made, cs, rs, scaled, row_max.lengths)
    return kept


def model_scales(problem) -> tuple[np.ndarray, np.ndarray]:
    """`scale_model` of a compiled Problem, kept on it (the compile's check of its numbers and
    the HiGHS backend built next both read them: 0.1, 0.25 and 0.5 ms at 5, 20 and 50 parties,
    benchmarks/generate.py cases, of solves taking 5, 26 and 95 ms); fresh
    copies each call, the backend scales helper columns in place. A Problem's arrays are never
    written (a what-if copies them, compile._Patch): the arrays it was made from are checked."""
    kept = _kept(problem)
    return kept.cs.copy(), kept.rs.copy()


def scaled_values(problem) -> np.ndarray:
    """The Problem's coefficients (CSR order) with its rows and columns scaled by `model_scales`,
    kept with them (the numbers check and the HiGHS backend both read them); never written."""
    return _kept(problem).values


def _found(mask: np.ndarray) -> np.ndarray | tuple:
    """The positions where `mask` holds, the first 20 (none found is the usual case, told by any())."""
    return np.flatnonzero(mask)[:20] if mask.any() else ()


def numeric_problems(problem) -> list[tuple[str, int, str]]:
    """("row" | "col", index, what) for every value a solver cannot represent, even scaled:
    not finite, or beyond MAX_SCALED once rows and columns are scaled."""
    out = []
    for k in _found(~np.isfinite(problem.values)):
        out.append(("row", _row_of(problem, k), f"a coefficient is {problem.values[k]}"))
    for name, lo, hi in (("col", problem.col_lb, problem.col_ub), ("row", problem.row_lo, problem.row_hi)):
        for j in _found(~((lo < math.inf) & (hi > -math.inf))):  # NaN, a lower bound +inf or an upper -inf
            out.append((name, int(j), f"a bound is not a number ({lo[j]}, {hi[j]})"))
    if out:
        return out
    kept = _kept(problem)
    cs, rs, scaled = kept.cs, kept.rs, kept.values
    for k in _found(np.abs(scaled) > MAX_SCALED):
        col = problem.col_names[problem.indices[k]]
        out.append(("row", _row_of(problem, k), f"a coefficient of {problem.values[k]:.3g} on `{col}`"))
    inv = 1.0 / cs
    bounds = (("row", problem.row_lo, rs), ("row", problem.row_hi, rs), ("col", problem.col_lb, inv),
              ("col", problem.col_ub, inv))
    # the four tested at once (the usual case: none is out of reach), then each where one is
    if _beyond(np.concatenate([b for _, b, _ in bounds]), np.concatenate([b * sc for _, b, sc in bounds])).any():
        for name, b, sc in bounds:
            for j in _found(_beyond(b, b * sc)):
                out.append((name, int(j), f"a bound of {b[j]:.3g}"))
    return out


def _beyond(given: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Where a finite value given is, scaled, beyond what a solver works with (MAX_SCALED)."""
    return np.isfinite(given) & (np.abs(scaled) > MAX_SCALED)


def _row_of(problem, k: int) -> int:
    """The row of the Problem's k-th coefficient (CSR order)."""
    return int(rows_of(problem.indptr, k))
