"""The model's power-of-two scales and the numbers check, against their plain definitions.

- `scale_model` (each row's largest scaled entry computed once per set of column scales) equals
  the definition computed step by step (a column by its bounds, a free column by the rows it is
  in, each row by its largest scaled coefficient), bit for bit, on shipped and generated cases
  and on random CSR models with free, integer and empty columns and empty rows;
  and on models where most columns are free (free columns measured only by rows of other free
  columns: the second round of measuring, and columns no row measures);
- `_pow2` equals math's nearest power of two in log scale, element by element; on one number
  (`_pow2_one`) and on a whole array it gives what it gives on each element alone, bit for bit,
  also at magnitudes within a few ulps of sqrt(2) times a power of two (where log2 rounds to .5)
  and at the ends of a double's exponents (where `_pow2_one` leaves its binary exponent);
- `numeric_problems` finds what the plain masks find, in the same order, on models with
  non-finite coefficients, NaN or inverted infinite bounds, and values beyond reach;
- `scaled_values` are the coefficients times their row's and column's scales.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ROOT
from test_compile_arrays import generated, mixed_case

from negotiate.backends.scaling import MAX_SCALED, _pow2, _pow2_one, model_scales, numeric_problems, scale_model, scaled_values
from negotiate.case.load import load_case, validate_data
from negotiate.compile import compile_case


def pow2_one(m: float) -> float:
    return 2.0 ** round(math.log2(m)) if math.isfinite(m) and m > 0 else 1.0


def row_max(indptr, mag):
    return np.array([mag[a:b].max() if b > a else 0.0 for a, b in zip(indptr[:-1], indptr[1:])])


def reference_scales(indptr, indices, values, lb, ub, integer):
    """The scales as defined, step by step (the loop `scale_model` was before it was made lean)."""
    c = np.array([pow2_one(max(abs(lo) if math.isfinite(lo) else 0.0, abs(hi) if math.isfinite(hi) else 0.0))
                  for lo, hi in zip(lb, ub)])
    c[integer] = 1.0
    c[~(np.isfinite(lb) | np.isfinite(ub))] = 0.0
    a = np.abs(values)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    for _ in range(2):
        r = np.array([1.0 / pow2_one(v) for v in row_max(indptr, a * c[indices])])
        free = c[indices] == 0
        if not free.any():
            break
        known = row_max(indptr, a * c[indices]) > 0
        guess = np.zeros(len(c))
        for k in np.flatnonzero(free & known[rows]):
            guess[indices[k]] = max(guess[indices[k]], a[k] * r[rows[k]])
        fill = (c == 0) & (guess > 0)
        c[fill] = [1.0 / pow2_one(g) for g in guess[fill]]
    c[c == 0] = 1.0
    return c, np.array([1.0 / pow2_one(v) for v in row_max(indptr, a * c[indices])])


def random_model(rng, n_rows: int, n_cols: int):
    lengths = rng.integers(0, min(5, n_cols) + 1, n_rows)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([rng.choice(n_cols, k, replace=False) for k in lengths]).astype(np.int64)
    values = rng.choice([-1.0, 1.0], len(indices)) * 10.0 ** rng.uniform(-6, 9, len(indices))
    values[rng.random(len(values)) < 0.05] = 0.0
    lb = -(10.0 ** rng.uniform(-6, 9, n_cols))
    ub = 10.0 ** rng.uniform(-6, 9, n_cols)
    lb[rng.random(n_cols) < 0.3] = 0.0
    lb[rng.random(n_cols) < 0.2] = -np.inf
    ub[rng.random(n_cols) < 0.2] = np.inf
    integer = rng.random(n_cols) < 0.1
    return indptr, indices, values, lb, ub, integer


def shipped_and_generated():
    yield from ((p.name, load_case(p)) for p in sorted((ROOT / "cases").glob("*.yaml")))
    yield "generated", validate_data(generated(12, 8))
    yield "mixed", validate_data(mixed_case())


@pytest.mark.parametrize("name, case", list(shipped_and_generated()))
def test_scales_of_cases_are_the_definitions(name, case):
    p = compile_case(case)
    made = (p.indptr, p.indices, p.values, p.col_lb, p.col_ub, p.col_int)
    want = reference_scales(*made)
    got = scale_model(*made)
    assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()
    rows = np.repeat(np.arange(p.n_rows), np.diff(p.indptr))
    assert scaled_values(p).tobytes() == (p.values * want[1][rows] * want[0][p.indices]).tobytes()


@pytest.mark.parametrize("seed", range(40))
def test_scales_of_random_models_are_the_definitions(seed):
    rng = np.random.default_rng(seed)
    made = random_model(rng, int(rng.integers(1, 30)), int(rng.integers(1, 40)))
    want = reference_scales(*made)
    got = scale_model(*made)
    assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()


@pytest.mark.parametrize("seed", range(40))
def test_scales_of_mostly_free_models_are_the_definitions(seed):
    rng = np.random.default_rng(500 + seed)
    indptr, indices, values, lb, ub, integer = random_model(rng, int(rng.integers(1, 30)), int(rng.integers(1, 40)))
    free = rng.random(len(lb)) < 0.7
    lb, ub = np.where(free, -np.inf, lb), np.where(free, np.inf, ub)
    want = reference_scales(indptr, indices, values, lb, ub, integer)
    got = scale_model(indptr, indices, values, lb, ub, integer)
    assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_scales_of_models_with_coefficients_not_finite_are_the_definitions(seed):
    """scale_model is called without numeric_problems' check too (the cone program): an infinite
    or NaN coefficient, free column's or not, gives the scales the definition gives."""
    rng = np.random.default_rng(900 + seed)
    indptr, indices, values, lb, ub, integer = random_model(rng, int(rng.integers(1, 30)), int(rng.integers(1, 40)))
    free = rng.random(len(lb)) < 0.5
    lb, ub = np.where(free, -np.inf, lb), np.where(free, np.inf, ub)
    odd = rng.random(len(values)) < 0.15
    values[odd] = rng.choice([np.inf, -np.inf, np.nan], int(odd.sum()))
    want = reference_scales(indptr, indices, values, lb, ub, integer)
    got = scale_model(indptr, indices, values, lb, ub, integer)
    assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()


@pytest.mark.filterwarnings("ignore:overflow encountered in exp2")  # 2**1024 is inf either way
def test_pow2_of_one_number_from_its_exponent_is_numpys():
    """The binary exponent's answer (`_pow2_one`) against numpy's log2 on each number alone, over
    every exponent of a double and at a few ulps from the midpoint sqrt(1/2) of each mantissa."""
    rng = np.random.default_rng(3)
    m = [math.ldexp(f, e) for e in range(-1074, 1025, 3) for f in rng.uniform(0.5, 1.0, 4)]
    m += [math.ldexp(math.sqrt(0.5) * (1 + j * 2.0 ** -52), e) for e in range(-1070, 1025, 11) for j in range(-4, 5)]
    m += [math.ldexp(math.sqrt(0.5) * (1 + j * 1e-9), e) for e in (-3, 0, 5) for j in (-1.01, -0.99, 0.99, 1.01)]
    m += [5e-324, 2.0 ** -1022, 1.7976931348623157e308, 2.0 ** 1023, 0.5, 1.0, 3.0]
    m = [v for v in m if 0 < v < math.inf]
    assert [_pow2_one(v) for v in m] == [float(_pow2(np.array([v]))[0]) for v in m]


def test_pow2_is_the_nearest_power_of_two_in_log_scale():
    rng = np.random.default_rng(1)
    m = np.concatenate([10.0 ** rng.uniform(-300, 300, 997), [0.0, -3.0, np.inf, np.nan, 1.0, 0.75, 2 ** -1074]])
    want = [pow2_one(v) for v in m]
    assert _pow2(m).tolist() == want
    assert _pow2(m[:997]).tolist() == want[:997]  # every magnitude positive: the short way


def test_pow2_of_one_number_and_of_an_array_is_that_of_each_element_alone():
    rng = np.random.default_rng(2)
    edges = [math.sqrt(2.0) * 2.0 ** k * (1 + j * 2.0 ** -52) for k in range(-60, 60, 7) for j in range(-4, 5)]
    m = np.concatenate([10.0 ** rng.uniform(-300, 300, 500), edges, [0.0, -1.0, np.inf, np.nan, 5e-324]])
    alone = [float(_pow2(np.array([v]))[0]) for v in m]
    assert [_pow2_one(float(v)) for v in m] == alone
    assert _pow2(m).tolist() == alone
    assert _pow2(m[:500 + len(edges)]).tolist() == alone[:500 + len(edges)]  # all positive: the short way


class _Model:
    """A Problem's arrays alone (what numeric_problems reads)."""

    def __init__(self, made, row_lo, row_hi):
        self.indptr, self.indices, self.values, self.col_lb, self.col_ub, self.col_int = made
        self.row_lo, self.row_hi = row_lo, row_hi
        self.n_rows, self.n_cols = len(row_lo), len(self.col_lb)
        self.col_names = [f"x{j}" for j in range(self.n_cols)]


def reference_problems(m) -> list:
    out = []
    for k in np.flatnonzero(~np.isfinite(m.values))[:20]:
        out.append(("row", int(np.searchsorted(m.indptr, k, side="right") - 1), f"a coefficient is {m.values[k]}"))
    for name, lo, hi in (("col", m.col_lb, m.col_ub), ("row", m.row_lo, m.row_hi)):
        for j in np.flatnonzero(np.isnan(lo) | np.isnan(hi) | (lo == math.inf) | (hi == -math.inf))[:20]:
            out.append((name, int(j), f"a bound is not a number ({lo[j]}, {hi[j]})"))
    if out:
        return out
    cs, rs = reference_scales(m.indptr, m.indices, m.values, m.col_lb, m.col_ub, m.col_int)
    rows = np.repeat(np.arange(m.n_rows), np.diff(m.indptr))
    scaled = np.abs(m.values * rs[rows] * cs[m.indices])
    for k in np.flatnonzero(scaled > MAX_SCALED)[:20]:
        out.append(("row", int(rows[k]), f"a coefficient of {m.values[k]:.3g} on `{m.col_names[m.indices[k]]}`"))
    for name, lo, hi, sc in (("row", m.row_lo, m.row_hi, rs), ("col", m.col_lb, m.col_ub, 1.0 / cs)):
        for b in (lo, hi):
            for j in np.flatnonzero(np.isfinite(b) & (np.abs(b * sc) > MAX_SCALED))[:20]:
                out.append((name, int(j), f"a bound of {b[j]:.3g}"))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_numeric_problems_are_the_plain_masks(seed):
    rng = np.random.default_rng(100 + seed)
    made = list(random_model(rng, 20, 25))
    n_rows = len(made[0]) - 1
    row_lo = np.where(rng.random(n_rows) < 0.5, -np.inf, -(10.0 ** rng.uniform(-3, 20, n_rows)))
    row_hi = np.where(rng.random(n_rows) < 0.5, np.inf, 10.0 ** rng.uniform(-3, 20, n_rows))
    kind = seed % 3
    if kind == 0 and len(made[2]):  # a coefficient not finite
        made[2] = made[2].copy()
        made[2][rng.integers(0, len(made[2]))] = rng.choice([np.inf, -np.inf, np.nan])
    elif kind == 1:  # a bound not a number, or an infinite bound on the wrong side
        made[3] = made[3].copy()
        made[3][rng.integers(0, len(made[3]))] = rng.choice([np.nan, np.inf])
        row_hi[rng.integers(0, n_rows)] = rng.choice([np.nan, -np.inf])
    m = _Model(made, row_lo, row_hi)
    assert numeric_problems(m) == reference_problems(m)


def test_model_scales_are_fresh_copies_of_the_kept_ones():
    p = compile_case(validate_data(generated(6, 5)))
    cs, rs = model_scales(p)
    cs[:] = 0.0
    rs[:] = 0.0
    again = model_scales(p)
    assert again[0].tobytes() == scale_model(p.indptr, p.indices, p.values, p.col_lb, p.col_ub, p.col_int)[0].tobytes()
    assert (again[1] > 0).all()
