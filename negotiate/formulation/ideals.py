"""Ideals proved on a party's own LP (Kalai-Smorodinsky's ideal points; ConceptRunner.ideals).

A party p's ideal is max u_p over the agreement set: every range, limit and constraint, and
every party at or above its reservation. Dropping the OTHER parties' reservations relaxes it to
an LP over p's own curves: the issue columns, the shared curve arguments, p's own columns (its
fills and utility) and every row that holds no other party's column ("p's own LP", a few hundred
columns where the full model has tens of thousands). Its optimum x* bounds the ideal from above.
Every other party q is then completed at x*: each of its curves placed at its argument with its
fills filled greedily, steepest first (the most utility those issue values allow, as the
re-check's curves give it), its utility row solved for u_q. When each argument lies on its curve
and each u_q meets q's reservation (to the solver's feasibility tolerance), x* so completed is
feasible for the full LP with u_p unchanged: relaxation >= ideal >= value at a feasible point,
so the own LP's value IS the ideal, without the full LP. Otherwise the caller solves the full LP.

The structure is read off the compiled Problem's arrays, never off the case: columns other than
the issues and shared arguments belong to the one party whose rows hold them; a party's rows are
then its utility row (an equality), rows on its utility alone (lower bounds: the reservation)
and curve rows (equalities whose own columns share one coefficient, with lower bound 0 and a
finite upper one, each in no other curve row). Anything else (a MIP, two-level rows, a row
holding two parties' columns) does not fit: `OwnLPs.of` gives None and every ideal takes the
full LP.
"""

from __future__ import annotations

import numpy as np

from negotiate.backends.base import INF
from negotiate.sparse import entries as _entries
from negotiate.sparse import entry_rows

FEASIBILITY = 1e-9  # a row met to this, relative to its own size (the solver's primal tolerance)
_KINDS = ("curve", "utility", "reservation")


class _View:
    """The arrays a HiGHS backend is built from: some rows and columns of a Problem (a party's
    own LP), numbered afresh."""

    def __init__(self, problem, rows: np.ndarray, cols: np.ndarray, col_at: np.ndarray):
        self.col_lb, self.col_ub = problem.col_lb[cols], problem.col_ub[cols]
        self.col_int = np.zeros(len(cols), bool)
        self.row_lo, self.row_hi = problem.row_lo[rows], problem.row_hi[rows]
        take = _entries(problem.indptr, rows)
        self.indptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(problem.indptr[rows + 1] - problem.indptr[rows], out=self.indptr[1:])
        self.indices = col_at[problem.indices[take]]
        self.values = problem.values[take]

    @property
    def n_cols(self) -> int:
        return len(self.col_lb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)


class _Part:
    """The entries of some rows on the issue and shared-argument columns, as (row, column,
    value) triples: their activities at an agreement by one bincount."""

    def __init__(self, problem, rows: np.ndarray, kept: np.ndarray):
        local, col, val = _row_entries(problem, rows)
        mine = kept[col]
        self.n = len(rows)
        self.row, self.col, self.val = local[mine], col[mine], val[mine]

    def at(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.row, self.val * x[self.col], minlength=self.n)

    def size(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.row, np.abs(self.val * x[self.col]), minlength=self.n)


class OwnLPs:
    """Each party's own LP and the completion of the others (see the module docstring)."""

    def __init__(self, problem, kept: np.ndarray, col_owner: np.ndarray,
                 row_owner: np.ndarray, curve: np.ndarray, coef: np.ndarray, utility_row: np.ndarray,
                 floor: np.ndarray):
        self.problem = problem
        n = len(problem.parties)
        self.shared_cols = np.flatnonzero(col_owner < 0)
        self.shared_rows = np.flatnonzero(row_owner < 0)
        self.own_cols = _groups(col_owner, n)
        self.own_rows = _groups(row_owner, n)
        self.ucols = np.array([problem.utility_col[p] for p in problem.parties])
        self.floor = floor  # per party: the lowest utility its rows on it alone allow (-inf: none)
        # curve rows: their issue and shared-argument part, and their own columns steepest first
        self.curve_lo = problem.row_lo[curve]
        self.coef = coef  # the coefficient a curve row's own columns share
        self.curve_k = _Part(problem, curve, kept)
        self.u_lo = problem.row_lo[utility_row]
        self.u_k = _Part(problem, utility_row, kept)
        _, u_col, u_val = _row_entries(problem, utility_row)
        ucoef = np.zeros(problem.n_cols)  # each column's coefficient in its party's utility row
        ucoef[u_col] = u_val
        self.u_self = ucoef[self.ucols]
        local, col, _ = _row_entries(problem, curve)
        own = ~kept[col]
        r, j = local[own], col[own]
        party = col_owner[j]
        gain = -ucoef[j] / self.u_self[party]
        order = np.lexsort((-gain, r))  # per curve row, steepest first
        r, j, party = r[order], j[order], party[order]
        ub = problem.col_ub[j]
        before = np.cumsum(ub) - ub
        first = np.searchsorted(r, np.arange(len(curve)))
        before = before - before[first[r]]
        self.f_row, self.f_ub, self.f_before, self.f_coef, self.f_party = r, ub, before, ucoef[j], party
        self.span = np.bincount(r, ub, minlength=len(curve))  # the most a curve row's fills hold
        self.curve_party = np.zeros(len(curve), np.int64)
        self.curve_party[r] = party

    # -- the structure ----------------------------------------------------------------------
    @classmethod
    def of(cls, problem) -> OwnLPs | None:
        """The own LPs of `problem`, made once and kept on it; None when its structure does not
        fit (see the module docstring)."""
        kept = problem.__dict__.get("_own_lps")
        made = (problem.indptr, problem.indices, problem.values, problem.row_lo, problem.row_hi,
                problem.col_lb, problem.col_ub)
        if kept is not None and all(a is b for a, b in zip(kept[0], made)):
            return kept[1]
        found = cls._read(problem)
        problem.__dict__["_own_lps"] = (made, found)
        return found

    @classmethod
    def _read(cls, problem) -> OwnLPs | None:
        if problem.is_mip or problem.twolevel or not problem.parties:
            return None
        n, m = len(problem.parties), problem.n_rows
        party_of = {p: k for k, p in enumerate(problem.parties)}
        row_party = np.array([party_of.get(ri.party, -1) if ri.kind in _KINDS else -2 for ri in problem.row_info],
                             np.int64).reshape(m)
        kept = np.zeros(problem.n_cols, bool)  # the issues and shared arguments: in every own LP
        kept[list(problem.var_col.values())] = True
        kept[list(problem.shared_cols.values())] = True
        rows_of = entry_rows(problem.indptr)
        theirs = ~kept[problem.indices]  # entries on a party's own column
        owners = row_party[rows_of[theirs]]
        if (owners < 0).any():  # a party's column in a row of no party, or of another kind
            return None
        col_owner = np.full(problem.n_cols, -1, np.int64)
        cols = problem.indices[theirs]
        col_owner[cols] = owners
        if (col_owner[cols] != owners).any():  # one column in two parties' rows
            return None
        row_owner = np.full(m, -1, np.int64)
        row_owner[rows_of[theirs]] = owners
        ucols = np.array([problem.utility_col[p] for p in problem.parties])
        if (col_owner[ucols] != np.arange(n)).any() or np.isfinite(problem.col_lb[ucols]).any() \
                or np.isfinite(problem.col_ub[ucols]).any():
            return None
        is_u = np.zeros(problem.n_cols, bool)
        is_u[ucols] = True
        has_u = np.zeros(m, bool)
        has_u[rows_of[is_u[problem.indices]]] = True
        length = np.diff(problem.indptr)
        utility = has_u & (length > 1)
        if utility.sum() != n or np.bincount(row_owner[utility], minlength=n).max() > 1:
            return None
        utility_row = np.flatnonzero(utility)[np.argsort(row_owner[utility])]
        curve = np.flatnonzero((row_owner >= 0) & ~has_u)
        if (problem.row_lo[utility_row] != problem.row_hi[utility_row]).any() \
                or (problem.row_lo[curve] != problem.row_hi[curve]).any():
            return None
        floor = cls._floors(problem, np.flatnonzero(has_u & (length == 1)), row_owner, n)
        coef = cls._curve_coefs(problem, curve, (col_owner >= 0) & ~is_u)
        if floor is None or coef is None:
            return None
        return cls(problem, kept, col_owner, row_owner, curve, coef, utility_row, floor)

    @staticmethod
    def _floors(problem, rows: np.ndarray, row_owner, n: int) -> np.ndarray | None:
        """Per party the lowest utility its single-entry rows allow (they may only bound it below)."""
        floor = np.full(n, -INF)
        for i in rows.tolist():
            a = float(problem.values[problem.indptr[i]])
            lo, hi = float(problem.row_lo[i]), float(problem.row_hi[i])
            if a > 0 and hi == INF:
                bound = lo / a
            elif a < 0 and lo == -INF:
                bound = hi / a
            else:
                return None
            q = row_owner[i]
            floor[q] = max(floor[q], bound)
        return floor

    @staticmethod
    def _curve_coefs(problem, curve: np.ndarray, own: np.ndarray) -> np.ndarray | None:
        """Each curve row's one coefficient on its own columns; None when a row has two, a column
        is in two curve rows or in none, or a column's bounds are not [0, finite]."""
        local, col, val = _row_entries(problem, curve)
        mine = own[col]
        r, j, v = local[mine], col[mine], val[mine]
        if len(np.unique(j)) != len(j) or len(j) != int(own.sum()):
            return None
        if (problem.col_lb[j] != 0).any() or not np.isfinite(problem.col_ub[j]).all():
            return None
        coef = np.zeros(len(curve))
        coef[r] = v
        if (coef[r] != v).any() or (coef == 0).any():
            return None
        return coef

    # -- one party --------------------------------------------------------------------------
    def solve(self, party: int, time_limit: float | None = None):
        """The own LP of party number `party`, solved: (LPResult, its columns in the Problem)."""
        from negotiate.backends.highs import HighsBackend

        pr = self.problem
        cols = np.concatenate([self.shared_cols, self.own_cols[party]])
        rows = np.concatenate([self.shared_rows, self.own_rows[party]])
        col_at = np.full(pr.n_cols, -1, np.int64)
        col_at[cols] = np.arange(len(cols))
        b = HighsBackend(_View(pr, rows, cols, col_at), time_limit=time_limit)
        b.set_objective({int(col_at[self.ucols[party]]): 1.0})
        return b.solve(), cols

    def completes(self, party: int, x: np.ndarray, uscale: np.ndarray) -> bool:
        """Whether every other party, completed at `x` (`completed`), has each argument on its
        curve and reaches its floor (its reservation), to FEASIBILITY."""
        on_curve, u = self.completed(x)
        on_curve[party] = True
        short = u < self.floor - FEASIBILITY * uscale
        short[party] = False
        return bool(on_curve.all()) and not short.any()

    def completed(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every party completed at `x` (the Problem's columns; only the issues and shared
        arguments are read): per party, whether each of its arguments lies on its curve (to
        FEASIBILITY, relative to the row's size), and the most utility those values allow (its
        fills filled steepest first, each argument clipped to its curve)."""
        n = len(self.u_lo)
        k_act = self.curve_k.at(x)
        size = np.abs(self.curve_lo) + self.curve_k.size(x) + np.abs(self.coef) * self.span
        fill = (self.curve_lo - k_act) / self.coef  # what the fills must hold
        off = np.maximum(-fill, fill - self.span) * np.abs(self.coef) > FEASIBILITY * size
        on_curve = np.ones(n, bool)
        on_curve[self.curve_party[off]] = False
        d = np.clip(fill[self.f_row] - self.f_before, 0.0, self.f_ub)
        u = (self.u_lo - self.u_k.at(x) - np.bincount(self.f_party, self.f_coef * d, minlength=n)) / self.u_self
        return on_curve, u


def _groups(owner: np.ndarray, n: int) -> list[np.ndarray]:
    """The indices owned by each of n parties, in order."""
    order = np.argsort(owner, kind="stable")
    start = np.searchsorted(owner[order], np.arange(n + 1))
    return [order[start[k]:start[k + 1]] for k in range(n)]


def _row_entries(problem, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of `rows` (in order): each one's row as a position in `rows`, its column and
    its value."""
    take = _entries(problem.indptr, rows)
    local = np.repeat(np.arange(len(rows)), problem.indptr[rows + 1] - problem.indptr[rows])
    return local, problem.indices[take], problem.values[take]
