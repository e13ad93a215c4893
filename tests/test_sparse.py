"""negotiate.sparse: its CSR indexing against plain Python loops over the rows."""

from __future__ import annotations

import numpy as np
import pytest

from negotiate.sparse import entries, entry_rows, ranges, rows_of, run_heads, run_starts


@pytest.mark.parametrize("seed", range(5))
def test_ranges_and_entries_are_the_loops(seed):
    rng = np.random.default_rng(seed)
    count = rng.integers(0, 4, 7)
    first = rng.integers(0, 20, 7)
    assert ranges(first, count).tolist() == [f + i for f, c in zip(first, count) for i in range(c)]
    assert run_starts(count).tolist() == [int(count[:k].sum()) for k in range(len(count))]
    indptr = np.concatenate(([0], np.cumsum(rng.integers(0, 4, 9)))).astype(np.int32)
    rows = rng.choice(9, 5, replace=False)
    assert entries(indptr, rows).tolist() == [e for r in rows for e in range(indptr[r], indptr[r + 1])]
    assert entry_rows(indptr).tolist() == [r for r in range(9) for _ in range(indptr[r], indptr[r + 1])]
    some = rng.integers(0, indptr[-1], 6) if indptr[-1] else np.zeros(0, np.int64)
    assert rows_of(indptr, some).tolist() == [r for k in some for r in range(9) if indptr[r] <= k < indptr[r + 1]]
    assert [int(rows_of(indptr, k)) for k in some] == rows_of(indptr, some).tolist()  # one entry alone


def test_no_runs():
    assert ranges(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []


@pytest.mark.parametrize("seed", range(5))
def test_run_heads_are_where_a_loop_sees_a_new_run(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 3, 12), rng.integers(0, 2, 12).astype(float)
    assert run_heads(a).tolist() == [k == 0 or a[k] != a[k - 1] for k in range(12)]
    assert run_heads(a, b).tolist() == [k == 0 or (a[k], b[k]) != (a[k - 1], b[k - 1]) for k in range(12)]
    assert run_heads(np.zeros(0)).tolist() == []
