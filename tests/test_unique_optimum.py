"""HighsBackend's proof of a unique optimum reads the reduced costs as c - A'y on the matrix as
built (HighsBackend._reduced_costs): checked against HiGHS's own reduced costs, and HiGHS's are
what it reads once the matrix is no longer the built one. `is_mip`, kept as a flag, against the
integer columns themselves."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from negotiate.backends.highs import _floats
from negotiate.case.load import load_case, validate_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import make_case
from test_canonical import random_flat_case, utilitarian_backend

CASES = Path(__file__).resolve().parents[1] / "cases"


def reduced_costs(b):
    sol = b.h.getSolution()
    return b._reduced_costs(sol, _floats(sol.row_dual)), np.asarray(sol.col_dual, float)


def every_case():
    yield from (load_case(path) for path in sorted(CASES.glob("*.yaml")))
    yield from (validate_data(make_case(n, 30, 10, seed=seed)) for n, seed in ((5, 0), (5, 1), (12, 2)))
    yield from (random_flat_case(seed) for seed in range(10))


@pytest.mark.parametrize("slack_start", [False, True])
def test_reduced_costs_are_highs_own_and_flag_the_same_columns(slack_start):
    compared = 0
    for case in every_case():
        _, b, _ = utilitarian_backend(case, slack_start)
        if b.is_mip():
            continue
        ours, highs = reduced_costs(b)
        assert b._as_built
        assert np.abs(ours - highs).max() <= 1e-12, case.name
        flat = b.FLAT_REDUCED_COST
        assert np.array_equal(np.abs(ours) <= flat, np.abs(highs) <= flat), case.name
        compared += 1
    assert compared >= 15


def test_a_changed_coefficient_reads_highs_reduced_costs():
    problem, b, issues = utilitarian_backend(validate_data(make_case(5, 6, 6, seed=3)))
    i = problem.reservation_row[problem.parties[0]]
    cols, vals = problem.row(i)
    b.set_coef(i, int(cols[0]), float(vals[0]) * 1.5)
    assert b.solve().status == "optimal"
    assert not b._as_built
    ours, highs = reduced_costs(b)
    assert np.array_equal(ours, highs)  # HiGHS's own, read as they are
    b.unique_optimum(issues)  # (and the proof runs on them)


def test_is_mip_follows_the_integer_columns():
    problem, b, _ = utilitarian_backend(validate_data(make_case(3, 4, 4)))
    assert not b.is_mip()
    j = problem.var_col[problem.resolved.variables[0].key]
    b.set_col_integer(j, True)
    assert b.is_mip() and b._integer.any()
    b.set_col_integer(j, False)
    assert not b.is_mip() and not b._integer.any()
    mark = b.mark()
    b.add_cols([0.0], [1.0], ["helper"])
    b.set_col_integer(b.n_cols - 1, True)
    assert b.is_mip()
    b.rollback(mark)
    assert not b.is_mip() and not b._integer.any()
