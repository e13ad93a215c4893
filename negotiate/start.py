"""A starting basis for a cold LP whose objective weighs every party's utility (utilitarian).

HiGHS's cold dual simplex starts from the slack basis and spends most of its
iterations putting one fill of every score curve into the basis. On the
compiled increment form (negotiate.compile: per curve, fills d_k in [0, dx_k]
and one position row `argument - sum d_k = x_0`; per party, a utility row
`u - sum w * slope_k * d_k = constant`) a basis that is already dual feasible
can be written down directly:

- every party's utility column is basic in its utility row, and a shared
  argument's column in the row defining it;
- in each position row, one fill is basic: the one where the curve's argument
  lands with every issue at the centre of its range; the fills before it are
  at their upper bounds, those after at 0;
- every issue value is at the end of its range its reduced cost points to
  (the objective's gradient with these fills basic), and every other row's
  slack is basic.

With the utilities' costs c_p, the position row's dual is c_p times the basic
fill's utility coefficient, so a fill before the basic one (a steeper slope
on a concave curve pushed up) has a reduced cost >= 0 at its upper bound and
one after it <= 0 at 0: the basis is dual feasible, and the dual simplex only
repairs primal infeasibilities (constraints, limits, reservations, issues
moved off the range's ends). It is only a start: HiGHS solves to the same
optimum from it (a start the structure does not fit is not made: `None`).

Measured (benchmarks/generate.py cases, 30 criteria x 10 points, HiGHS 1.16,
CPU seconds of the utilitarian LP, one 2-core machine under load ~1), cold
dual simplex vs from this basis (dual simplex, iterations in brackets), and
IPM + crossover where it was the cold method: 5 parties 0.0021 (251) vs 0.0012
(127); 20 parties 0.015 (991) vs 0.0059 (450); 50 parties 0.067 (2510) vs
0.022 (1221), IPM 0.075; 100 parties 0.24 (4834) vs 0.066 (2344), IPM 0.19;
200 parties 0.97 (9527) vs 0.23 (4888), IPM 0.49. Starting with every issue
at its lower end instead of its centre took more iterations than the slack
basis (5 parties 325, 50 parties 3012; the upper end 353 and 3437).
"""

from __future__ import annotations

import numpy as np

LOWER, BASIC, UPPER = 0, 1, 2  # HiGHS's HighsBasisStatus values kLower, kBasic, kUpper


def utilitarian_start(problem, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(column statuses, row statuses) in the Problem's columns and rows (LOWER, BASIC, UPPER) of
    the start described in the module docstring, for maximising `cost` (per column; nonzero on
    every utility column and on nothing else); None where the model is not that form."""
    from negotiate.compile import Problem

    p = problem
    if not isinstance(p, Problem):  # e.g. an ideal's own LP (formulation.ideals): no party maps
        return None
    n, m = p.n_cols, p.n_rows
    if not m or len(cost) != n or p.col_int.any() or p.twolevel:
        return None
    issue = np.fromiter(p.var_col.values(), np.int64, len(p.var_col))
    ucol = np.fromiter(map(p.utility_col.__getitem__, p.parties), np.int64, len(p.parties))
    urow = np.fromiter(map(p.utility_row.__getitem__, p.parties), np.int64, len(p.parties))
    shared = np.fromiter(p.shared_cols.values(), np.int64, len(p.shared_cols))
    kind = np.zeros(n, np.int8)  # 0: a fill, 1: an issue, 2: a utility, 3: a shared argument
    kind[issue], kind[ucol], kind[shared] = 1, 2, 3
    if len(set(issue.tolist()) | set(ucol.tolist()) | set(shared.tolist())) != len(issue) + len(ucol) + len(shared):
        return None
    lb, ub = p.col_lb, p.col_ub
    fill = kind == 0
    if not (np.all(lb[fill] == 0.0) and np.all(np.isfinite(ub[fill])) and np.all(np.isfinite(lb[issue]))
            and np.all(np.isfinite(ub[issue]))):
        return None
    on_utility = np.zeros(n, bool)
    on_utility[ucol] = True
    if np.any(cost[~on_utility] != 0) or np.any(cost[ucol] == 0):
        return None
    indptr, cols, vals = p.indptr, p.indices.astype(np.int64), p.values
    rows = np.repeat(np.arange(m), np.diff(indptr))
    is_urow = np.zeros(m, bool)
    is_urow[urow] = True
    ucol_of = np.full(m, -1, np.int64)
    ucol_of[urow] = ucol

    # each fill: -1 in its position row, and at most one entry in a utility row (its slope)
    at_pos = fill[cols] & ~is_urow[rows]
    fcol, prow = cols[at_pos], rows[at_pos]
    if (len(fcol) != int(fill.sum()) or np.any(vals[at_pos] != -1.0)
            or np.any(np.bincount(fcol, minlength=n)[fill] != 1)):
        return None
    at_u = fill[cols] & is_urow[rows]
    if np.any(np.bincount(cols[at_u], minlength=n) > 1):
        return None
    slope_u = np.zeros(n)  # a fill's coefficient in its utility row
    urow_of = np.full(n, -1, np.int64)
    slope_u[cols[at_u]], urow_of[cols[at_u]] = vals[at_u], rows[at_u]
    is_prow = np.zeros(m, bool)
    is_prow[prow] = True
    # a shared argument: defined by the one row it is in that is not a position row
    at_def = (kind[cols] == 3) & ~is_prow[rows]
    drow, dcol = rows[at_def], cols[at_def]
    is_drow = np.zeros(m, bool)
    is_drow[drow] = True
    if len(drow) != len(shared) or int(is_drow.sum()) != len(drow) or np.any(vals[at_def] == 0):
        return None
    held = is_prow | is_urow | is_drow  # rows whose slack is nonbasic: equalities only
    if np.any(is_prow & (is_urow | is_drow)) or np.any(p.row_lo[held] != p.row_hi[held]):
        return None
    u_entry = (cols == ucol_of[rows]) & is_urow[rows]
    if int(u_entry.sum()) != len(urow):
        return None

    # the curves' arguments with every issue at the centre of its range
    v = np.zeros(n)
    v[issue] = (lb[issue] + ub[issue]) / 2.0
    part = np.bincount(rows, weights=vals * v[cols], minlength=m)
    v[dcol] = -part[drow] / vals[at_def]  # column j - terms = 0
    act = np.bincount(rows, weights=vals * v[cols], minlength=m)
    # per position row (its fills in column order, contiguous in CSR), the fill the argument lands in
    # (np.concatenate, not np.r_: 10-30 us a call of np.r_'s index parsing, 0.1 of the 0.29 ms this
    # took at 5 parties; np.unique: 0.18 ms of 0.25 there)
    if not len(prow):
        return None
    head = np.ones(len(prow), bool)
    np.not_equal(prow[1:], prow[:-1], out=head[1:])
    start = np.flatnonzero(head)
    if int(is_prow.sum()) != len(start):  # a position row's fills apart
        return None
    size = np.diff(np.append(start, len(prow)))
    group = np.repeat(np.arange(len(start)), size)
    filled = np.cumsum(ub[fcol])
    before = np.concatenate(([0.0], filled))[start]
    within = filled - before[group]
    need = act[prow] - p.row_lo[prow]  # sum of the fills
    k_basic = np.minimum(np.bincount(group, weights=(within <= need).astype(float)).astype(np.int64), size - 1)
    rank = np.arange(len(fcol)) - start[group]
    col_status = np.full(n, LOWER, np.int8)
    col_status[fcol] = np.where(rank < k_basic[group], UPPER, np.where(rank == k_basic[group], BASIC, LOWER))
    col_status[ucol] = col_status[shared] = BASIC

    # duals of this basis: utility rows c_p / a; position rows from the basic fill; definitions after
    y = np.zeros(m)
    y[rows[u_entry]] = cost[cols[u_entry]] / vals[u_entry]
    basic_fill = fcol[rank == k_basic[group]]
    has_u = urow_of[basic_fill] >= 0
    y_pos = np.zeros(len(basic_fill))
    y_pos[has_u] = y[urow_of[basic_fill[has_u]]] * slope_u[basic_fill[has_u]]  # 0 = -(y_r * -1 + y_u * a_u)
    y[prow[start]] = y_pos
    on_shared = (kind[cols] == 3) & is_prow[rows]
    through = np.bincount(cols[on_shared], weights=y[rows[on_shared]] * vals[on_shared], minlength=n)
    y[drow] = -through[dcol] / vals[at_def]
    reduced = cost - np.bincount(cols, weights=y[rows] * vals, minlength=n)
    col_status[issue] = np.where(reduced[issue] > 0, UPPER, LOWER)

    row_status = np.full(m, BASIC, np.int8)
    row_status[held] = LOWER
    if int((col_status == BASIC).sum() + (row_status == BASIC).sum()) != m:
        return None
    return col_status, row_status
