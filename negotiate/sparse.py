"""Compressed sparse rows (CSR), as the compiled Problem and HiGHS keep a matrix: row pointers
`indptr` (row r's entries are indptr[r]:indptr[r + 1]), their columns and values."""

from __future__ import annotations

import numpy as np


def entry_rows(indptr: np.ndarray) -> np.ndarray:
    """The row of each entry of a CSR matrix with row pointers `indptr`."""
    return np.arange(len(indptr) - 1).repeat(indptr[1:] - indptr[:-1])  # methods: see `ranges`


def rows_of(indptr: np.ndarray, entries):
    """The row of each of `entries` (positions in the CSR arrays; or of one) of a matrix with row
    pointers `indptr` (`entry_rows` gives every entry's; this, a few entries')."""
    return np.searchsorted(indptr, entries, side="right") - 1


def run_starts(count: np.ndarray) -> np.ndarray:
    """Where each of runs of `count` places laid one after the other starts."""
    return np.add.accumulate(count) - count


def ranges(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Every place of runs of `count` consecutive places from `first` each, the runs one after
    the other (array methods, not numpy's function wrappers: see negotiate.start)."""
    return (first - run_starts(count)).repeat(count) + np.arange(int(count.sum()))


def run_heads(*keys: np.ndarray) -> np.ndarray:
    """Where each run of equal entries begins: the first entry, and each that differs from the
    one before it in any of `keys` (arrays of one length)."""
    head = np.empty(len(keys[0]), bool)
    head[:1] = True
    np.not_equal(keys[0][1:], keys[0][:-1], out=head[1:])
    for key in keys[1:]:
        head[1:] |= key[1:] != key[:-1]
    return head


def entries(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions in the CSR arrays of the entries of `rows` (in order)."""
    starts = indptr[rows].astype(np.int64)
    return ranges(starts, indptr[rows + 1].astype(np.int64) - starts)
