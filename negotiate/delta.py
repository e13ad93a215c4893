"""From one compiled model to the next: a data-only delta keyed by case ids, or why to rebuild.

A change to a case compiles a new, self-consistent `Problem`. `model_delta(old,
new)` says what differs between the two models, by the names of their rows and
columns (case ids such as `parties.CHN.limits.max_cut` or `reduction[CHN]`):
column bounds and integrality, row bounds, coefficients, and the rows and
columns added or retired. A backend that can apply deltas (`capabilities.deltas`)
brings its live solver model to `new` with it; any other rebuilds. Nothing here
touches a solver: it is data, like linopy's `ModelDiff`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from negotiate.sparse import entry_rows


class RebuildReason(str, Enum):
    """Why a session rebuilt its solver model instead of applying a delta."""

    FIRST_BUILD = "first build"
    BACKEND_CANNOT_PATCH = "the backend does not apply deltas"
    SETTINGS = "solver settings changed (time limit or MIP gap)"
    COMPACTION = "retired rows and columns outweigh the live model"
    REQUESTED = "a fresh model was requested"
    TWO_LEVEL = "a two-level case (ratification and decision-rule rows are rebuilt)"

    def __str__(self) -> str:
        return self.value


@dataclass
class ModelDelta:
    """What changes from `old` to `new` (both compiled Problems), by row and column name.

    Names of columns/rows only in `new` are `added_*`, only in `old` `retired_*`;
    the dicts hold new values of what both share.
    """

    new: object  # the Problem the delta leads to
    added_cols: list[str] = field(default_factory=list)
    retired_cols: list[str] = field(default_factory=list)
    added_rows: list[str] = field(default_factory=list)
    retired_rows: list[str] = field(default_factory=list)
    col_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    col_integer: dict[str, bool] = field(default_factory=dict)
    row_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    coefficients: dict[tuple[str, str], float] = field(default_factory=dict)  # (row, column) -> value (0: gone)

    @property
    def empty(self) -> bool:
        return not (self.added_cols or self.retired_cols or self.added_rows or self.retired_rows
                    or self.col_bounds or self.col_integer or self.row_bounds or self.coefficients)

    @property
    def structural(self) -> bool:
        """Rows or columns come or go (a delta of bounds and coefficients is not)."""
        return bool(self.added_cols or self.retired_cols or self.added_rows or self.retired_rows)

    def summary(self) -> dict[str, int]:
        return {"added_cols": len(self.added_cols), "retired_cols": len(self.retired_cols),
                "added_rows": len(self.added_rows), "retired_rows": len(self.retired_rows),
                "col_bounds": len(self.col_bounds), "col_integer": len(self.col_integer),
                "row_bounds": len(self.row_bounds), "coefficients": len(self.coefficients)}

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in self.summary().items() if v)
        return f"ModelDelta({parts or 'empty'})"


def _match(old_names: list[str], new_index: dict[str, int]) -> np.ndarray:
    """For each old name: its index in the new model, or -1."""
    return np.fromiter((new_index.get(n, -1) for n in old_names), np.int64, len(old_names))


def model_delta(old, new) -> ModelDelta:
    """The delta that turns model `old` into model `new` (see the module docstring)."""
    d = ModelDelta(new)
    col_o2n = _match(old.col_names, new.col_index)
    row_o2n = _match(old.row_names, new.row_index)
    d.retired_cols = [old.col_names[j] for j in np.flatnonzero(col_o2n < 0)]
    d.retired_rows = [old.row_names[i] for i in np.flatnonzero(row_o2n < 0)]
    kept_c = np.flatnonzero(col_o2n >= 0)
    kept_r = np.flatnonzero(row_o2n >= 0)
    seen_c = np.zeros(new.n_cols, bool)
    seen_c[col_o2n[kept_c]] = True
    seen_r = np.zeros(new.n_rows, bool)
    seen_r[row_o2n[kept_r]] = True
    d.added_cols = [new.col_names[j] for j in np.flatnonzero(~seen_c)]
    d.added_rows = [new.row_names[i] for i in np.flatnonzero(~seen_r)]

    nc = col_o2n[kept_c]
    moved = (old.col_lb[kept_c] != new.col_lb[nc]) | (old.col_ub[kept_c] != new.col_ub[nc])
    for j in nc[moved]:
        d.col_bounds[new.col_names[j]] = (float(new.col_lb[j]), float(new.col_ub[j]))
    for j in nc[old.col_int[kept_c] != new.col_int[nc]]:
        d.col_integer[new.col_names[j]] = bool(new.col_int[j])
    nr = row_o2n[kept_r]
    moved = (old.row_lo[kept_r] != new.row_lo[nr]) | (old.row_hi[kept_r] != new.row_hi[nr])
    for i in nr[moved]:
        d.row_bounds[new.row_names[i]] = (float(new.row_lo[i]), float(new.row_hi[i]))
    _coefficients(old, new, row_o2n, col_o2n, d)
    return d


def _coefficients(old, new, row_o2n: np.ndarray, col_o2n: np.ndarray, d: ModelDelta) -> None:
    """Coefficients of the rows both models share, compared entry by entry (in new indices)."""
    o_rows = entry_rows(old.indptr)
    o_r, o_c = row_o2n[o_rows], np.where(col_o2n[old.indices] >= 0, col_o2n[old.indices], -1)
    shared = o_r >= 0
    # an old entry on a retired column of a kept row: it must go (value 0)
    gone_cols = shared & (o_c < 0)
    for r, c in zip(o_rows[gone_cols], old.indices[gone_cols]):
        d.coefficients[(old.row_names[r], old.col_names[c])] = 0.0
    keep = shared & (o_c >= 0)
    n_cols = max(new.n_cols, 1)
    o_key = o_r[keep] * n_cols + o_c[keep]
    o_val = old.values[keep]
    n_rows_of = entry_rows(new.indptr)
    kept_new_row = np.zeros(new.n_rows, bool)
    kept_new_row[row_o2n[row_o2n >= 0]] = True
    nk = kept_new_row[n_rows_of]
    n_key = n_rows_of[nk].astype(np.int64) * n_cols + new.indices[nk]
    n_val = new.values[nk]
    o_sum = _summed(o_key, o_val)
    n_sum = _summed(n_key, n_val)
    keys = np.union1d(o_sum[0], n_sum[0])
    ov = _lookup(o_sum, keys)
    nv = _lookup(n_sum, keys)
    for k in keys[ov != nv]:
        i, j = divmod(int(k), n_cols)
        d.coefficients[(new.row_names[i], new.col_names[j])] = float(_lookup(n_sum, np.array([k]))[0])


def _summed(keys: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inv, weights=vals, minlength=len(uniq))


def _lookup(table: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> np.ndarray:
    k, v = table
    pos = np.searchsorted(k, keys)
    pos = np.minimum(pos, max(len(k) - 1, 0))
    found = (len(k) > 0) & (k[pos] == keys) if len(k) else np.zeros(len(keys), bool)
    return np.where(found, v[pos] if len(k) else 0.0, 0.0)


def touched_delta(old, new, rows: np.ndarray, cols: np.ndarray) -> ModelDelta:
    """`model_delta(old, new)` for two models of the same rows and columns (same names, same
    order) that differ at most in `rows` and `cols` (negotiate.compile.recompile says which):
    only those are compared, so the delta costs what the change touched."""
    d = ModelDelta(new)
    cols = np.asarray(cols, np.int64)
    moved = cols[(old.col_lb[cols] != new.col_lb[cols]) | (old.col_ub[cols] != new.col_ub[cols])]
    for j in moved:
        d.col_bounds[new.col_names[j]] = (float(new.col_lb[j]), float(new.col_ub[j]))
    for j in cols[old.col_int[cols] != new.col_int[cols]]:
        d.col_integer[new.col_names[j]] = bool(new.col_int[j])
    rows = np.asarray(rows, np.int64)
    moved = rows[(old.row_lo[rows] != new.row_lo[rows]) | (old.row_hi[rows] != new.row_hi[rows])]
    for i in moved:
        d.row_bounds[new.row_names[i]] = (float(new.row_lo[i]), float(new.row_hi[i]))
    if old.values is not new.values:
        for i in rows:
            before = _summed_row(old, int(i))
            after = _summed_row(new, int(i))
            for j in sorted(before.keys() | after.keys()):
                if before.get(j, 0.0) != after.get(j, 0.0):
                    d.coefficients[(new.row_names[i], new.col_names[j])] = after.get(j, 0.0)
    return d


def _summed_row(problem, i: int) -> dict:
    """Row `i` as {column: coefficient}, repeated columns summed (as `model_delta` compares them)."""
    out: dict = {}
    cols, vals = problem.row(i)
    for j, v in zip(cols.tolist(), vals.tolist()):
        out[j] = out.get(j, 0.0) + v
    return out
