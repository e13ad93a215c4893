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
  lands with every issue at its landing estimate (below); the fills before it
  are at their upper bounds, those after at 0;
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
dual simplex vs from this basis with every issue at its centre (before the
landing estimate below, HiGHS's default options; iterations in brackets), and
IPM + crossover where it was the cold method: 5 parties 0.0021 (251) vs 0.0012
(127); 20 parties 0.015 (991) vs 0.0059 (450); 50 parties 0.067 (2510) vs
0.022 (1221), IPM 0.075; 100 parties 0.24 (4834) vs 0.066 (2344), IPM 0.19;
200 parties 0.97 (9527) vs 0.23 (4888), IPM 0.49. Starting with every issue
at its lower end instead of its centre took more iterations than the slack
basis (5 parties 325, 50 parties 3012; the upper end 353 and 3437).

Where the arguments land is the whole lever: the dual simplex's iterations
fall as the landing nears the optimum's issue values (5 / 20 / 50 parties,
measured with HiGHS's scaling and cost perturbation on at 5 parties: from the
centres 125 / 465 / 1231, half way to the optimum 83 / 323 / 814, at the
optimum itself 10 / 41 / 131). The landing estimate (`_landing`) is two
Gauss-Seidel sweeps of exact coordinate ascent from the centres, on the
curves' scores over the issues' ranges narrowed by the limits on one issue
alone. Iterations with the backend's options for the started run (HiGHS
1.16.0; below 180 rows, 5 parties, HiGHS's scaling and cost perturbation off:
backends/highs.py), 5 / 20 / 50 / 200 parties: 14 / 89 / 256 / 1276 (from the
centres 114 / 465 / 1231 / 5216); one sweep 20 / 157 / 403 / 2255; three 13 /
66 / 183 / 993, the third sweep costing about what it saves. CPU ms of the
start alone and of the backend's whole solve (the start in it), against the
centres (the same run, load 2-3): 5 parties 0.31 and 1.16 against 0.08 and
1.35; 20 parties 1.3 and 4.9 against 0.18 and 6.6; 50 parties 3.6 and 14.0
against 0.41 and 21.3; 200 parties 16 and 96 against 3.2 and 202. More
iterations than from the centres: the issues at the ends their reduced costs
point to, iterated to a fixed point; sign-subgradient steps on the box; Jacobi
sweeps (every issue at once: a price and the parties' own issues overshoot
each other from 20 parties). Walls for the constraints over several issues
jammed the one-issue-at-a-time ascent (random flat cases: more iterations than
without them). Writing the issues basic in the row of the kink their ascent
stopped at (sweeps in the issues' own order) took 14 / 53 / 136 iterations
against 17 / 70 / 185 after three sweeps (HiGHS's scaling and cost
perturbation on), but as many or more after one or two; not kept. Nor kept
(load 1-2, iterations at 5 / 20 / 50 / 200 parties against 15 / 89 / 256 /
1276 then, HiGHS's cost perturbation on at 5 parties): batches of issues
sharing no curve over two issues (the price, then every party's issues)
stepped at once by one weighted median per issue from one sort of the batch's
points, the curves over more issues (the public good) and the shared arguments
held fixed within a batch: 15 / 160 / 256 / 5803 (the parties' issues
overshoot each other through the public good from 20 parties), and no cheaper
at 5 parties (0.196 ms for the estimate against 0.167: sorting a batch's 1700
points and splitting them by issue costs more than five sorts of 340, and 6
issues leave little loop to save); one more step of the issue in the most
curves after the two sweeps: 14 / 66 / 181 / 1117, but the backend's solve no
faster at 5 to 20 parties (its cost about the iterations it saves there). Nor
kept (HiGHS 1.16, load 2-5): after the two sweeps, one step of exact ascent
along a direction keeping each issue on the kink it stopped at (the price up,
each party's issue stopped on a curve the price is also in moving so that
curve's argument stays: the sweeps stall there, one issue moved alone loses),
a weighted median of every moved curve's points: 11 / 64 / 154 / 1101
iterations at 5 / 20 / 50 / 200 parties (from the optimum's issue values
themselves 10 / 41 / 131 / 672; between the sweeps, the second without the
price, 13 / 102 / 257), but the step cost about 0.04 ms at 5 parties and
HiGHS's run was no faster: 0.406-0.409 ms against 0.406-0.415 (14 iterations)
at 5 parties, 1.94-1.96 against 2.04 at 20; from the optimal basis itself the
run takes 0.24 ms at 5 parties, so the last iterations' cost is mostly a fixed
one."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from negotiate.sparse import entry_rows, ranges, run_heads, run_starts

LOWER, BASIC, UPPER = np.int8(0), np.int8(1), np.int8(2)  # HiGHS's HighsBasisStatus values kLower, kBasic, kUpper
FILL, ISSUE, UTILITY, SHARED = 0, 1, 2, 3  # a column's kind
LANDING_SWEEPS = 2  # _landing's sweeps: the measurements are in the module docstring


def utilitarian_start(problem, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(column statuses, row statuses) in the Problem's columns and rows (LOWER, BASIC, UPPER) of
    the start described in the module docstring, for maximising `cost` (per column; nonzero on
    every utility column and on nothing else); None where the model is not that form.

    It runs once per solve, so it is written for few numpy calls, about 1 us each at 5 parties:
    array methods (argsort, searchsorted, repeat, nonzero) and add.accumulate rather than numpy's
    functions, whose Python wrappers cost about 0.6 us a call; count_nonzero for any/all (0.2 us
    against 0.7); the fills' bounds read on the fills found; no argument update for an issue
    that stays. Measured (benchmarks/generate.py cases, CPU, load 1-3): 5 parties 0.24 ms in a
    loop and 0.32-0.36 inside a solve (0.08 and 0.14 before the landing estimate, whose two
    sweeps take about 0.1; 0.27-0.33 and 0.43 before these fewer calls); 20 parties about 1.1
    ms; 200 parties 14.2-14.6 ms (3.2 before the landing estimate, 16 before these calls and
    _through's merged points). Sums over the argument entries alone (issues', shared
    arguments') or the fills' utility entries alone are those over every entry without its
    zero terms, so bit for bit the same."""
    from negotiate.compile import Problem

    p = problem
    if not isinstance(p, Problem):  # e.g. an ideal's own LP (formulation.ideals): no party maps
        return None
    n, m = p.n_cols, p.n_rows
    if not m or len(cost) != n or np.count_nonzero(p.col_int) or p.twolevel:
        return None
    issue = np.fromiter(p.var_col.values(), np.int64, len(p.var_col))
    ucol = np.fromiter(map(p.utility_col.__getitem__, p.parties), np.int64, len(p.parties))
    urow = np.fromiter(map(p.utility_row.__getitem__, p.parties), np.int64, len(p.parties))
    shared = np.fromiter(p.shared_cols.values(), np.int64, len(p.shared_cols))
    kind = np.zeros(n, np.int8)
    kind[issue], kind[ucol], kind[shared] = ISSUE, UTILITY, SHARED
    if np.count_nonzero(kind) != len(issue) + len(ucol) + len(shared):  # a column of two kinds
        return None
    centre = _centres(p.col_lb, p.col_ub, issue)
    if centre is None or np.count_nonzero(cost) != len(ucol) or np.count_nonzero(cost[ucol]) != len(ucol):
        return None  # cost: on every utility and nothing else
    cols, vals = p.indices.astype(np.intp), p.values  # numpy indexes by intp: by int32 it converts first
    rows = entry_rows(p.indptr)
    ucol_of = _unset(m)
    ucol_of[urow] = ucol
    u_entry = (cols == ucol_of[rows]).nonzero()[0]  # a utility in its own row
    if len(u_entry) != len(urow):
        return None
    is_urow = np.zeros(m, bool)
    is_urow[urow] = True
    on_kind = kind[cols]
    fills = _fills(cols, rows, vals, on_kind == FILL, is_urow[rows], n - len(issue) - len(ucol) - len(shared), n)
    if fills is None:
        return None
    fcol, prow, start, fill_u = fills
    width = _widths(p.col_lb[fcol], p.col_ub[fcol])
    if width is None:
        return None
    pos_row = prow[start]
    is_prow = np.zeros(m, bool)
    is_prow[pos_row] = True
    if np.count_nonzero(is_prow) != len(start):  # a position row's fills apart
        return None
    arg = (on_kind & 1).view(bool).nonzero()[0]  # the entries of issues and shared arguments (odd kinds)
    a_row, a_col, a_val = rows[arg], cols[arg], vals[arg]
    definitions = (_definitions(kind[a_col], a_row, a_col, a_val, is_prow, len(shared), n) if len(shared)
                   else (shared,) * 3)
    if definitions is None:
        return None
    drow, dcol, dval = definitions
    held = is_prow | is_urow  # rows whose slack is nonbasic: equalities only
    held[drow] = True
    if np.count_nonzero((p.row_lo != p.row_hi) & held) or np.count_nonzero(held) != len(ucol) + len(shared) + len(start):
        return None  # the second: as many basic columns (utilities, shared arguments, a fill per row) as held rows

    # per position row (its fills in column order, contiguous in CSR) the ends of its fills from
    # its first point; the utility rows' duals c_p / a and each fill's y_u * a_u (minus its gain)
    end = np.empty_like(start)
    end[:-1], end[-1] = start[1:], len(fcol)
    filled = np.add.accumulate(width)
    before = filled[start - 1]  # the fills' sum before the row's (start[0] is 0)
    before[0] = 0.0
    within = filled - before.repeat(end - start)
    y = np.zeros(m)
    y[rows[u_entry]] = cost[cols[u_entry]] / vals[u_entry]
    f_col, f_row, f_val = fill_u
    y_u = np.zeros(n)  # a fill's y_u * a_u
    y_u[f_col] = y[f_row] * f_val

    # the curves' arguments with every issue at the landing estimate (_landing)
    v = np.zeros(n)
    index = np.zeros(n, np.intp)  # an issue's place among the issues
    index[issue] = np.arange(len(issue))
    box = _box(p.col_lb[issue], p.col_ub[issue], p, cols, vals, kind, index, held)
    kinks = _kinks(p.row_lo[pos_row], within, -y_u[fcol], start, end)
    v[issue] = _landing(centre, box, kinks, *_terms(pos_row, m, a_row, a_col, a_val, kind, index, (drow, dcol, dval)))
    if len(drow):
        part = np.bincount(a_row, weights=a_val * v[a_col], minlength=m)
        v[dcol] = -part[drow] / dval  # column j - terms = 0
    act = np.bincount(a_row, weights=a_val * v[a_col], minlength=m)
    need = act[prow] - p.row_lo[prow]  # sum of the fills
    # per position row, the fill the argument lands in: the fills before it fit whole (a prefix of
    # the row's fills: widths >= 0, by _widths)
    full = within <= need
    basic_fill = fcol[np.minimum(start + np.add.reduceat(full, start, dtype=np.intp), end - 1)]
    col_status = np.zeros(n, np.int8)  # LOWER
    col_status[fcol] = _upper_where(full)
    col_status[basic_fill] = col_status[ucol] = col_status[shared] = BASIC

    # duals of this basis: utility rows as above; position rows from the basic fill (its reduced
    # cost 0 = -(y_r * -1 + y_u * a_u)); definitions from their shared argument's (0 as well)
    y[pos_row] = y_u[basic_fill]
    if len(drow):
        on_shared = (kind[a_col] == SHARED) & is_prow[a_row]
        through = np.bincount(a_col[on_shared], weights=y[a_row[on_shared]] * a_val[on_shared], minlength=n)
        y[drow] = -through[dcol] / dval
    priced = np.bincount(a_col, weights=y[a_row] * a_val, minlength=n)  # an issue's reduced cost is -priced
    col_status[issue] = _upper_where(priced[issue] < 0)
    return col_status, (~held).view(np.int8)  # BASIC (1) where not held, else LOWER (0)


def _unset(size: int) -> np.ndarray:
    """`size` places, each -1 (none) until set (np.full's Python wrapper costs ~1 us more)."""
    out = np.empty(size, np.intp)
    out.fill(-1)
    return out


def _upper_where(mask: np.ndarray) -> np.ndarray:
    """UPPER where `mask`, LOWER elsewhere: the mask's bytes (0, 1) doubled (UPPER is 2, LOWER
    0), without np.where's conversions of the two statuses (~0.8 us a call)."""
    return mask.view(np.int8) << 1


def _centres(lb: np.ndarray, ub: np.ndarray, issue: np.ndarray) -> np.ndarray | None:
    """The issues' centres, None unless every issue's range is finite (its ends' sum is)."""
    ends = lb[issue] + ub[issue]
    return ends / 2.0 if np.count_nonzero(np.isfinite(ends)) == len(ends) else None


def _widths(lb: np.ndarray, width: np.ndarray) -> np.ndarray | None:
    """The fills' widths (their upper bounds `width`), None unless each fill's range is
    [0, width], 0 <= width < inf (its lower bounds `lb`)."""
    if np.count_nonzero(lb) or not (np.minimum.reduce(width, initial=0.0) >= 0.0
                                    and np.maximum.reduce(width, initial=0.0) < np.inf):
        return None
    return width


def _fills(cols, rows, vals, on_fill, on_urow, n_fill: int, n_cols: int) -> tuple | None:
    """(fill columns, their position rows, where each row's fills start, (column, row, value) of
    the fills' utility entries) in CSR order; None unless each of the n_fill fills is -1 in one
    row outside the utility rows (its position row) and in at most one utility row."""
    at_pos = on_fill > on_urow
    fcol = cols[at_pos]
    at_u = on_fill & on_urow
    ufill = cols[at_u]
    if (len(fcol) != n_fill or not n_fill or np.count_nonzero(vals[at_pos] != -1.0)
            or not (_no_repeats(fcol, n_cols) and _no_repeats(ufill, n_cols))):
        return None
    prow = rows[at_pos]
    return fcol, prow, run_heads(prow).nonzero()[0], (ufill, rows[at_u], vals[at_u])


def _no_repeats(index: np.ndarray, size: int) -> bool:
    """Whether no index (each < size) is listed twice (a mark per index: np.unique sorts); at
    once where they increase, as compile lists the fills (1 us where the marks take 2.5 at 5
    parties)."""
    if not np.count_nonzero(index[1:] <= index[:-1]):
        return True
    seen = np.zeros(size, bool)
    seen[index] = True
    return np.count_nonzero(seen) == len(index)


def _definitions(a_kind, a_row, a_col, a_val, is_prow, n_shared: int, n_cols: int) -> tuple | None:
    """(row, column, coefficient) defining each shared argument: its one entry outside the
    position rows (among the argument entries a_*); None unless there is exactly one per shared
    argument (as many entries as shared arguments, no column twice), in rows of their own."""
    at_def = (a_kind == SHARED) > is_prow[a_row]
    drow, dcol, dval = a_row[at_def], a_col[at_def], a_val[at_def]
    if (len(drow) != n_shared or not _no_repeats(drow, len(is_prow)) or not _no_repeats(dcol, n_cols)
            or np.count_nonzero(dval) != len(dval)):
        return None
    return drow, dcol, dval


def _kinks(first: np.ndarray, within: np.ndarray, gain: np.ndarray, start: np.ndarray,
           end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The objective's kinks along each curve's argument, for _landing: (the points, the fall of
    the slope at each, the number of points of each curve), the curves one after the other. A
    curve q's points are its first (`first[q]`) and the end of each fill (`first` plus
    `within`, the fills' widths summed from the curve's start); its slopes (objective per unit
    of argument) are the fills' `gain`, and outside its range a wall as steep as all the curves
    together (`steep`: no fill holds the argument there)."""
    nq, nf = len(start), len(gain)
    steep = float(np.abs(gain).sum()) + 1.0
    count = end - start
    lead = start + np.arange(nq)  # a curve's first point, then one per fill
    at_fill = np.arange(nf) + np.arange(1, nq + 1).repeat(count)
    point, slope = np.empty(nf + nq), np.empty(nf + nq + 1)
    point[lead], point[at_fill] = first, first.repeat(count) + within
    slope[lead], slope[at_fill], slope[-1] = steep, gain, 0.0  # the slope before each point
    fall = slope[:-1] - slope[1:]
    last = lead + count
    fall[last] = slope[last] + steep  # after a curve's last point its wall
    return point, fall, count + 1


def _box(lo: np.ndarray, hi: np.ndarray, p, cols, vals, kind, index, held) -> tuple[list, list]:
    """The issues' ranges (lo, hi: arrays of the caller's own, narrowed in place), each narrowed
    by the rows over it alone (a party's limit `reduction[self] <= 45`), as lists, for _landing."""
    one = ((p.indptr[1:] - p.indptr[:-1] == 1) > held).nonzero()[0]
    one = one[kind[cols[p.indptr[one]]] == ISSUE]
    if len(one):
        at = p.indptr[one]
        j, a = index[cols[at]], vals[at]
        low, high = p.row_lo[one] / a, p.row_hi[one] / a
        flip = a < 0
        low, high = np.where(flip, high, low), np.where(flip, low, high)
        np.maximum.at(lo, j, low)
        np.minimum.at(hi, j, high)
    return lo.tolist(), hi.tolist()


def _landing(centre: np.ndarray, box: tuple, kinks: tuple, terms: tuple, shared: tuple | None) -> np.ndarray:
    """An estimate of the issues' values at the optimum, for the start to land the curves'
    arguments at: from the centres, LANDING_SWEEPS Gauss-Seidel sweeps of exact coordinate
    ascent on the objective sum_q score_q(argument_q) over the issues' `box` (the ranges and the
    limits on one issue alone; constraints over several issues and reservations are not seen:
    walls for them jammed the ascent, which moves one issue at a time). Along one issue the
    objective is concave and piecewise linear, its slope falling at each point of each curve the
    issue enters by |coefficient| times the curve's fall there (`kinks`): its maximum is the
    weighted median of those points, clipped to the box. The issues in the most curves go first
    in a sweep (a price all parties' curves hold, then each party's own issues). The curves on a
    shared argument are summed into one curve of it (`_through`)."""
    point, fall, count = kinks
    e_q, e_j, e_a = terms  # (curve, issue, coefficient), grouped by issue
    first = run_starts(count)
    # a pair per term and point of its curve, an issue's pairs together
    points_of = count[e_q]
    pair = ranges(first[e_q], points_of)
    p_q, p_a = e_q.repeat(points_of), e_a.repeat(points_of)
    p_at, p_w = point[pair] / p_a, fall[pair] * np.abs(p_a)
    inv = 1.0 / p_a
    n_issue = len(centre)
    bounds = np.arange(n_issue + 1)
    k_pair = e_j.repeat(points_of).searchsorted(bounds).tolist()
    k_term = e_j.searchsorted(bounds).tolist()
    through, at_shared = _through(shared, point, fall, first, count, centre)
    lines = [(j, p_at[a:b], p_q[a:b], inv[a:b], p_w[a:b], e_q[c:d], e_a[c:d], through[j])
             for j, a, b, c, d in zip(range(n_issue), k_pair, k_pair[1:], k_term, k_term[1:]) if a < b or through[j]]
    lines.sort(key=lambda line: -len(line[5]))  # stable: the issues in the most curves first
    x, (lo, hi) = centre.tolist(), box
    s = np.bincount(e_q, weights=e_a * centre[e_j], minlength=len(count))  # the curves' arguments
    s = s.astype(float, copy=False)  # bincount's ints where there are no terms
    steps = lines * LANDING_SWEEPS
    for left, (j, at, q, inv_a, w, terms_q, terms_a, via) in zip(range(len(steps) - 1, -1, -1), steps):
        place = s[q]  # each point, in this issue's value less its own: at - s[q] * inv_a
        place *= inv_a
        np.subtract(at, place, out=place)
        if via:
            place, w = _seen_through(place, w, via, at_shared, lo[j] - x[j], hi[j] - x[j])
        order = place.argsort()
        weight = np.add.accumulate(w[order])
        best = place.item(order.item(weight.searchsorted(0.5 * weight.item(-1)))) + x[j]
        best = min(max(best, lo[j]), hi[j])
        step = best - x[j]
        if step and left:  # the arguments for the steps left (5 parties: 2 of 12 issues stay)
            s[terms_q] += terms_a * step
            for k, c, *_ in via:
                at_shared[k] += c * step
        x[j] = best
    return np.array(x)


def _through(shared: tuple | None, point, fall, first, count, centre) -> tuple[list, list]:
    """Per issue, (shared argument, the issue's coefficient in it, the summed curve's points,
    their falls summed from the left, the falls) of each shared argument the issue enters; and
    the shared arguments' values with the issues at `centre`. A shared argument's curves (a
    public good every party weighs) are one concave curve of it, its points sorted once: along
    one issue only the few points within the issue's reach are seen one by one
    (`_seen_through`): at 200 parties the start took 16 ms, 26 with every issue's term in
    every such curve (40 000 terms) taken one by one. Equal points of the summed curve are
    merged (their falls summed; the weighted median is the same point): the parties' curves
    share their points (benchmarks/generate.py's: 10), so an issue sees 10 points where it saw
    10 per party. Where every party's curve has kinks within one issue's reach (a review's case:
    every party's public good with 3 kinks there, 21 distinct points), the start took 2.6 / 6.1
    / 15.3 / 46.8 ms at 100 / 200 / 400 / 800 parties unmerged, 2.3 / 4.2 / 8.5 / 17.4 merged
    (CPU, load 1-3; without sweeps 0.3-1.6), the same landing bit for bit (generated 5-200
    parties too)."""
    n_issue = len(centre)
    through = [[] for _ in range(n_issue)]
    if shared is None:
        return through, []
    (q, k, a), (d_k, d_j, d_c), n_shared = shared
    points_of = count[q]
    pair, a = ranges(first[q], points_of), a.repeat(points_of)
    v, w, of = point[pair] / a, fall[pair] * np.abs(a), k.repeat(points_of)
    order = np.lexsort((v, of))
    v, w, of = v[order], w[order], of[order]
    at = run_heads(v, of).nonzero()[0]  # equal points of one shared argument merged, their falls summed
    v, w, of = v[at], np.add.reduceat(w, at) if len(at) else w, of[at]
    ends = of.searchsorted(np.arange(n_shared + 1)).tolist()
    summed = np.concatenate(([0.0], np.add.accumulate(w)))
    curves = [(v[a:b], summed[a:b + 1] - summed[a], w[a:b]) for a, b in pairwise(ends)]
    for kk, j, c in zip(d_k.tolist(), d_j.tolist(), d_c.tolist()):
        if len(curves[kk][0]):
            through[j].append((kk, c) + curves[kk])
    return through, np.bincount(d_k, weights=d_c * centre[d_j], minlength=n_shared).tolist()


def _seen_through(place, w, via, at_shared, below: float, above: float) -> tuple[np.ndarray, np.ndarray]:
    """An issue's points and falls (`place` from its value, `w`) with those of the shared
    arguments it enters: the points within its reach (it moves `below` .. `above`) one by one,
    the others as one weight beyond each end."""
    places, weights = [place], [w]
    left = right = 0.0
    for k, c, v, summed, fall in via:
        ends = at_shared[k] + c * below, at_shared[k] + c * above
        i0, i1 = v.searchsorted(min(ends)), v.searchsorted(max(ends), "right")
        under, over = float(summed[i0]), float(summed[-1] - summed[i1])
        if c < 0:
            under, over = over, under
        left += under * abs(c)
        right += over * abs(c)
        places.append((v[i0:i1] - at_shared[k]) / c)
        weights.append(fall[i0:i1] * abs(c))
    places.append(_BEYOND)
    weights.append(np.array((left, right)))
    return np.concatenate(places), np.concatenate(weights)


_BEYOND = np.array((-np.inf, np.inf))  # where _seen_through's weights beyond the ends sit


def _terms(pos_row, m: int, a_row, a_col, a_val, kind, index, definitions) -> tuple[tuple, tuple | None]:
    """For _landing: (curve, issue's index, coefficient) of each issue in each curve's argument,
    grouped by issue; and the shared arguments': (curve, shared argument, coefficient) of each
    curve whose argument is one shared argument alone, (shared argument, issue's index,
    coefficient) of each issue in one (column = -terms / coefficient, its issues' terms alone),
    and their number (None without shared arguments). A curve holding a shared argument and
    more is not seen (compile writes none: a shared argument is a curve's whole argument)."""
    curve_of = _unset(m)  # a position row's curve
    curve_of[pos_row] = np.arange(len(pos_row))
    q = curve_of[a_row]
    on = q >= 0
    q, col, val = q[on], a_col[on], a_val[on]
    keep = (kind[col] == ISSUE) & (val != 0.0)
    drow, dcol, dval = definitions
    if len(drow):
        via = kind[col] == SHARED
        unseen = np.zeros(len(pos_row), bool)
        unseen[q[via]] = True
        alone = via & (val != 0.0) & (np.bincount(q, minlength=len(pos_row)) == 1)[q]
        unseen[q[alone]] = False  # a shared argument alone: seen through it
        keep &= ~unseen[q]
    kept = keep.nonzero()[0]
    j = index[col[kept]]
    order = j.argsort(kind="stable")
    kept = kept[order]
    terms = q[kept], j[order], val[kept]
    if not len(drow):
        return terms, None
    shared_of, col_shared = _unset(m), np.zeros(len(kind), np.intp)
    shared_of[drow] = col_shared[dcol] = np.arange(len(drow))
    in_def = (shared_of[a_row] >= 0) & (kind[a_col] == ISSUE)
    d_k = shared_of[a_row[in_def]]
    shared = ((q[alone], col_shared[col[alone]], val[alone]),
              (d_k, index[a_col[in_def]], a_val[in_def] / -dval[d_k]), len(drow))
    return terms, shared
