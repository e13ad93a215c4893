"""Compressed sparse rows (CSR), as the compiled Problem and HiGHS keep a matrix: row pointers
`indptr` (row r's entries are indptr[r]:indptr[r + 1]), their columns and values."""

from __future__ import annotations

import numpy as np


def entry_rows(indptr: np.ndarray) -> np.ndarray:
    """The row of each entry of a CSR matrix with row pointers `indptr`."""
    return np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
