"""Case -> Problem: the solver-neutral optimization model (DESIGN.md "The maths").

Columns: issue variables, each score curve's fills (bounded increments), one
utility per party. Rows: discrete one-hot choices, one row per score curve
placing its argument on the fills (a score is a linear form of its fills,
substituted into its party's utility row; binaries only where the fills would
not fill in order by themselves, `_curve`), utility definitions, limits,
collective constraints and acceptance.
Every row and column is named by the case id it comes from.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from negotiate.case.resolve import LinearRow, Resolved, ScoreCurve, resolve
from negotiate.case.schema import Case

INF = float("inf")
CONCAVE_TOL = 1e-9


@dataclass
class RowInfo:
    kind: str  # limit | constraint | reservation | utility | curve | choice
    case_id: str  # parties.CHN.limits.max_cut
    party: str | None = None


@dataclass
class Problem:
    """Columns, rows (CSR) and the maps back to the case."""

    resolved: Resolved
    col_names: list[str]
    col_lb: np.ndarray
    col_ub: np.ndarray
    col_int: np.ndarray  # bool
    row_names: list[str]
    row_lo: np.ndarray
    row_hi: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    var_col: dict  # variable key -> column
    utility_col: dict  # party -> column
    score_form: dict  # (party, criterion) -> ({column: coefficient}, constant): its score, in its utility row
    row_info: list[RowInfo]
    reservation_row: dict = field(default_factory=dict)  # party -> row
    utility_row: dict = field(default_factory=dict)  # party -> row defining its utility
    curve_cols: dict = field(default_factory=dict)  # (party, criterion) -> its columns (fills, then binaries)
    curve_rows: dict = field(default_factory=dict)  # (party, criterion) -> its rows
    case_rows: dict = field(default_factory=dict)  # case id -> row (limits, constraints)
    nonconcave: list[str] = field(default_factory=list)  # criteria modelled as MIP
    twolevel: dict = field(default_factory=dict)  # ratification/decision-rule columns (formulation.ratification)
    shared_cols: dict = field(default_factory=dict)  # column name -> column of a shared curve argument
    _blocks: dict = field(default_factory=dict, repr=False, compare=False)  # (party, criterion) -> _Block

    @functools.cached_property
    def col_index(self) -> dict[str, int]:
        """Column name (a case id) -> column."""
        return {name: j for j, name in enumerate(self.col_names)}

    @functools.cached_property
    def row_index(self) -> dict[str, int]:
        """Row name (a case id) -> row."""
        return {name: i for i, name in enumerate(self.row_names)}

    @property
    def case(self) -> Case:
        return self.resolved.case

    @property
    def parties(self) -> list[str]:
        return self.resolved.parties

    @property
    def is_mip(self) -> bool:
        return bool(self.col_int.any())

    @property
    def n_cols(self) -> int:
        return len(self.col_names)

    @property
    def n_rows(self) -> int:
        return len(self.row_names)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.indices[a:b], self.values[a:b]


class _Builder:
    """Columns and rows as they are made; row coefficients kept as chunks of
    one or more rows (`row_len` says how many entries each row has)."""

    def __init__(self, offset: int = 0):
        self.offset = offset  # index of the first column this builder adds
        self.names: list[str] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[bool] = []
        self.row_names: list[str] = []
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []
        self.row_len: list[int] = []
        self.col_chunks: list[np.ndarray] = []
        self.val_chunks: list[np.ndarray] = []
        self.row_info: list[RowInfo] = []

    def col(self, name, lb, ub, integer=False) -> int:
        self.names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        return self.offset + len(self.names) - 1

    def row(self, name, coefs: dict, lo, hi, info: RowInfo) -> int:
        self.row_names.append(name)
        self.col_chunks.append(np.fromiter(coefs.keys(), np.int64, len(coefs)))
        self.val_chunks.append(np.fromiter(coefs.values(), float, len(coefs)))
        self.row_len.append(len(coefs))
        self.row_lo.append(lo)
        self.row_hi.append(hi)
        self.row_info.append(info)
        return len(self.row_names) - 1

    def rows(self, names, cols: np.ndarray, vals: np.ndarray, lo, hi, info: RowInfo) -> None:
        """A block of rows on the same columns: vals[k] are row k's coefficients."""
        self.row_names.extend(names)
        self.col_chunks.append(np.tile(np.asarray(cols, np.int64), len(names)))
        self.val_chunks.append(np.asarray(vals, float).ravel())
        self.row_len.extend([len(cols)] * len(names))
        self.row_lo.extend(lo)
        self.row_hi.extend(hi)
        self.row_info.extend([info] * len(names))


BLOCK_COL = 1 << 30  # a criterion block numbers its own columns from here until placed


@dataclass
class _Block:
    """One criterion's columns and rows, built once and placed at any column offset.

    Its rows name issue columns by their index and its own columns from
    BLOCK_COL up; `place` turns those into the model's indices.
    """

    curve: ScoreCurve
    bounds: tuple  # the issue bounds it was drawn over
    score: tuple  # the score as a linear form: ({column: coefficient}, constant), own columns local
    concave: bool  # no binaries: the model stays a linear program
    built: _Builder

    def __post_init__(self):
        src = self.built
        self.cols = np.concatenate(src.col_chunks) if src.col_chunks else np.zeros(0, np.int64)
        self.vals = np.concatenate(src.val_chunks) if src.val_chunks else np.zeros(0)
        self.own = self.cols >= BLOCK_COL
        self._at: int | None = None
        self._placed = self.cols

    def place(self, offset: int) -> np.ndarray:
        if self._at != offset:  # the last placement is kept: most blocks stay put
            self._at, self._placed = offset, np.where(self.own, self.cols - BLOCK_COL + offset, self.cols)
        return self._placed

    def score_at(self, offset: int) -> tuple[dict, float]:
        """The score's linear form with the block's own columns placed at `offset`."""
        terms, const = self.score
        return {j - BLOCK_COL + offset if j >= BLOCK_COL else j: c for j, c in terms.items()}, const


def compile_case(case: Case | Resolved, previous: Problem | None = None) -> Problem:
    """The case's model; criteria whose curve and issue bounds are those of `previous`
    reuse its blocks (a what-if change re-draws only the curves it touches)."""
    resolved = case if isinstance(case, Resolved) else resolve(case)
    b = _Builder()
    var_col = {}
    bounds = {}
    for v in resolved.variables:
        var_col[v.key] = b.col(v.name, v.lb, v.ub, v.integer)
        bounds[v.key] = (v.lb, v.ub)
    _choices(resolved, var_col, b)
    n_vars = len(resolved.variables)
    same_bounds = previous is not None and np.array_equal(previous.col_lb[:n_vars], b.lb) \
        and np.array_equal(previous.col_ub[:n_vars], b.ub)
    shared, shared_cols = _shared_arguments(resolved, var_col, bounds, b)
    reuse = previous._blocks if previous is not None and previous.var_col == var_col \
        and previous.shared_cols == shared_cols else {}
    same_bounds = same_bounds and bool(reuse)

    score_form, utility_col, utility_row, nonconcave = {}, {}, {}, []
    curve_cols, curve_rows, blocks = {}, {}, {}
    for p in resolved.parties:
        for crit in resolved.criteria[p]:
            old = reuse.get((p, crit.id))
            blk = old if same_bounds and old is not None and old.curve is crit else \
                _block(crit, var_col, bounds, old, shared.get((p, crit.id)))
            blocks[(p, crit.id)] = blk
            c0, r0 = len(b.names), len(b.row_names)
            _place(blk, b)
            score_form[(p, crit.id)] = blk.score_at(c0)
            curve_cols[(p, crit.id)] = list(range(c0, len(b.names)))
            curve_rows[(p, crit.id)] = list(range(r0, len(b.row_names)))
            if not blk.concave:
                nonconcave.append(f"parties.{p}.criteria.{crit.id}")
        u = b.col(f"parties.{p}.utility", -INF, INF)
        utility_col[p] = u
        coefs, const = _utility_terms(u, [(crit.weight, score_form[(p, crit.id)]) for crit in resolved.criteria[p]])
        utility_row[p] = b.row(f"parties.{p}.utility", coefs, const, const,
                               RowInfo("utility", f"parties.{p}.utility", p))

    case_rows = {}
    for r in resolved.rows:
        coefs = _coefs(r.lin.terms, var_col)
        case_rows[r.id] = b.row(r.id, coefs, r.lo, r.hi, RowInfo(r.kind, r.id, r.party))

    reservation_row = {}
    twolevel = _twolevel_rows(resolved, b, var_col, bounds, utility_col)
    if resolved.case.solve.require_acceptance:
        for p in resolved.parties:
            if p in twolevel.get("handled", ()):
                continue  # accepted by a binary, or a stakeholder without a veto
            d = resolved.case.parties[p].reservation
            cid = f"parties.{p}.reservation"
            reservation_row[p] = b.row(cid, {utility_col[p]: 1.0}, d, INF, RowInfo("reservation", cid, p))

    indptr = np.zeros(len(b.row_len) + 1, dtype=np.int32)
    indptr[1:] = np.cumsum(b.row_len)
    indices = np.concatenate(b.col_chunks).astype(np.int32) if b.col_chunks else np.zeros(0, np.int32)
    values = np.concatenate(b.val_chunks).astype(float) if b.val_chunks else np.zeros(0)
    problem = Problem(
        resolved=resolved,
        col_names=b.names,
        col_lb=np.array(b.lb, float),
        col_ub=np.array(b.ub, float),
        col_int=np.array(b.integer, bool),
        row_names=b.row_names,
        row_lo=np.array(b.row_lo, float),
        row_hi=np.array(b.row_hi, float),
        indptr=indptr,
        indices=indices,
        values=values,
        var_col=var_col,
        utility_col=utility_col,
        score_form=score_form,
        row_info=b.row_info,
        reservation_row=reservation_row,
        utility_row=utility_row,
        curve_cols=curve_cols,
        curve_rows=curve_rows,
        case_rows=case_rows,
        nonconcave=nonconcave,
        twolevel=twolevel,
        shared_cols=shared_cols,
    )
    problem._blocks = blocks
    _check_numbers(problem)
    return problem


def _check_numbers(problem: Problem) -> None:
    """Values no scaling brings within a solver's reach are the case's error, located."""
    from negotiate.backends.scaling import numeric_problems
    from negotiate.case.source import SourceMap
    from negotiate.errors import CaseError, Location
    from negotiate.errors import Problem as CaseProblem

    found = numeric_problems(problem)
    if not found:
        return
    source = problem.case._source or SourceMap()
    out, seen = [], set()
    for kind, k, what in found:
        path = _case_path(problem, kind, k)
        if path in seen:
            continue
        seen.add(path)
        out.append(CaseProblem(
            f"{what}: beyond what the solver can represent, even with rows and columns scaled",
            ".".join(path), source.locate(path) if source.positions else Location(source.file), None,
            "use units that keep the case's numbers within about 12 orders of magnitude of each other "
            "(e.g. millions instead of units), and keep expressions finite"))
    raise CaseError(out)


def _case_path(problem: Problem, kind: str, k: int) -> tuple:
    """The case path a row or column of the model comes from."""
    if kind == "col":
        name = problem.col_names[k]
        if not name.startswith("parties."):  # an issue's column: reduction[CHN]
            return ("issues", name.split("[")[0], "range")
        parts = name.split(".")
        return tuple(parts[:4]) if parts[2] == "criteria" else (parts[0], parts[1], "criteria")
    parts = problem.row_info[k].case_id.split("[")[0].split(".")
    if parts[0] == "issues":
        return tuple(parts[:2])
    if parts[0] == "parties" and parts[2] == "utility":
        return (parts[0], parts[1], "criteria")
    return tuple(parts[:4]) if parts[0] == "parties" else tuple(parts[:2])


def _block(crit: ScoreCurve, var_col: dict, bounds: dict, old: _Block | None, argument: int | None = None) -> _Block:
    key = (tuple(bounds[k] for k in crit.lin.terms), argument)
    if old is not None and old.curve is crit and old.bounds == key:
        return old
    built = _Builder(BLOCK_COL)
    terms, const, concave = _curve(crit, var_col, bounds, built, argument)
    return _Block(crit, key, (terms, const), concave, built)


def _utility_terms(u: int, scores: list[tuple[float, tuple[dict, float]]]) -> tuple[dict, float]:
    """A utility row `u - sum w * score = sum w * constant`, each score's linear form
    substituted (no score columns: measured, HiGHS solves the model 1.3-2x faster without
    them at 20-100 parties, benchmarks/generate.py cases)."""
    coefs, const = {u: 1.0}, 0.0
    for w, (terms, c) in scores:
        const += w * c
        for j, v in terms.items():
            if v:  # a flat segment's fill has no say in the utility
                coefs[j] = coefs.get(j, 0.0) - w * v
    return coefs, const


# A curve's argument with at least this many terms, shared by at least two criteria (a public
# good every party scores, `sum(data.em * reduction) / sum(data.em)`), gets one column and one
# row defining it; each curve's position row then holds that column instead of every term, when
# that saves at least SHARED_MIN_SAVED nonzeros. Measured on benchmarks/generate.py cases (30
# criteria x 10 points, increment form, HiGHS 1.16, shared vs direct, the faster of simplex and
# IPM): 10 parties 0.019 vs 0.025 s and 30 parties 0.085 vs 0.092 (within noise); 40 parties
# (1.5k saved) 0.21 vs 0.19; 50 (2.4k saved) 0.22 vs 0.34; 100 (9.8k) 0.74 vs 0.80; 200 (40k)
# 2.5 vs 3.5. Small models keep the direct form (what the tests of shipped cases pin).
SHARED_MIN_TERMS = 3
SHARED_MIN_SAVED = 1000


def _terms_key(crit: ScoreCurve):
    if crit.xs is None or len(crit.lin.terms) < SHARED_MIN_TERMS:
        return None
    return tuple((k, c) for k, c in crit.lin.terms.items() if c)


def _shared_arguments(resolved: Resolved, var_col: dict, bounds: dict, b: _Builder) -> tuple[dict, dict]:
    """Columns (and defining rows) for multi-term curve arguments several criteria share.

    Returns {(party, criterion): column} and {column name: column}. The column is named after the
    criteria using it (`criteria.climate.argument`); its bounds are the argument's
    reachable range without the constant (each curve adds its own)."""
    seen: dict = {}
    for p in resolved.parties:
        for crit in resolved.criteria[p]:
            key = _terms_key(crit)
            if key is not None:
                seen.setdefault(key, []).append((p, crit.id))
    shared, names = {}, {}
    for key, users in seen.items():
        saved = len(users) * (len(key) - 1) - len(key)  # one position row per curve holds the terms
        if len(users) < 2 or saved < SHARED_MIN_SAVED:
            continue
        terms = dict(key)
        lo, hi = reachable(terms, 0.0, bounds)
        ids = sorted({c for _, c in users})  # named by criterion id: stable when parties come and go
        name = f"criteria.{'+'.join(ids)}.argument"
        if name in names:  # the same criteria over different terms (parties grouped): still distinct
            name = f"{name}{len(names)}"
        j = b.col(name, lo, hi)
        coefs = {j: 1.0}
        for jj, c in _coefs(terms, var_col).items():
            coefs[jj] = coefs.get(jj, 0.0) - c
        b.row(name, coefs, 0.0, 0.0, RowInfo("curve", name, None))
        names[name] = j
        shared.update({user: j for user in users})
    return shared, names


def _place(blk: _Block, b: _Builder) -> None:
    """Append a criterion block to the model being built."""
    src = blk.built
    offset = len(b.names)
    b.names.extend(src.names)
    b.lb.extend(src.lb)
    b.ub.extend(src.ub)
    b.integer.extend(src.integer)
    b.row_names.extend(src.row_names)
    b.col_chunks.append(blk.place(offset))
    b.val_chunks.append(blk.vals)
    b.row_len.extend(src.row_len)
    b.row_lo.extend(src.row_lo)
    b.row_hi.extend(src.row_hi)
    b.row_info.extend(src.row_info)


def utility_scales(problem: Problem) -> dict[str, float]:
    """Each party's utility scale: the span its criteria can give (or its reservation's size).
    Tolerances on gains and acceptance are relative to it, so scores in any unit behave alike.
    Computed once per model (a compiled Problem never changes: a what-if compiles a new one);
    callers get a copy."""
    scales = problem.__dict__.get("_utility_scales")
    if scales is None:
        scales = problem.__dict__["_utility_scales"] = resolved_utility_scales(problem.resolved)
    return dict(scales)


def resolved_utility_scales(resolved: Resolved) -> dict[str, float]:
    """`utility_scales` of a resolved case (the enumeration of small cases compiles nothing)."""
    spans = resolved.per_party  # the criteria's part, once per party (what-if changes keep it)
    out = {}
    for p in resolved.parties:
        span = spans.get(("span", p))
        if span is None:
            span = spans[("span", p)] = _span(resolved.criteria[p])
        size = max(span, abs(resolved.case.parties[p].reservation))
        out[p] = float(size) if size > 0 and math.isfinite(size) else 1.0
    return out


def _span(criteria: list) -> float:
    """What a party's criteria can give, from least to most."""
    span = 0.0
    for c in criteria:
        vals = list(c.lin.terms.values()) if c.xs is None else _floats(c.ys)
        span += c.weight * (max(vals) - min(vals))
    return span


def _twolevel_rows(resolved, b, var_col, bounds, utility_col) -> dict:
    """Ratification, decision-rule and stakeholder rows (CASE_FORMAT.md section 7)."""
    from negotiate.formulation.ratification import add_twolevel_rows

    return add_twolevel_rows(resolved, b, var_col, bounds, utility_col, _score, RowInfo)


def _coefs(terms: dict, var_col: dict) -> dict:
    out: dict[int, float] = {}
    for key, c in terms.items():
        if c:
            j = var_col[key]
            out[j] = out.get(j, 0.0) + c
    return out


def _choices(resolved: Resolved, var_col: dict, b: _Builder) -> None:
    for iid, issue in resolved.case.issues.items():
        if issue.options is None:
            continue
        for p in (resolved.parties if issue.per_party else [None]):
            cols = {var_col[(iid, p, o)]: 1.0 for o in issue.options}
            name = f"issues.{iid}.choice" + (f"[{p}]" if p else "")
            b.row(name, cols, 1.0, 1.0, RowInfo("choice", name, p))


def reachable(terms: dict, const: float, bounds: dict) -> tuple[float, float]:
    """Interval of a linear form over the issue ranges (one-hot aware)."""
    lo = hi = const
    groups: dict[tuple, list[float]] = {}
    for key, c in terms.items():
        if key[2] is not None:  # discrete option indicator: one option per choice
            groups.setdefault(key[:2], []).append(c)
            continue
        a, z = bounds[key]
        lo += min(c * a, c * z)
        hi += max(c * a, c * z)
    for key, cs in groups.items():
        n_options = sum(1 for k in bounds if k[:2] == key)
        if len(cs) < n_options:
            cs = cs + [0.0]
        lo += min(cs)
        hi += max(cs)
    return lo, hi


def _interp(v: float, xs, ys) -> float:
    if v <= xs[0]:
        return ys[0]
    if v >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_right(xs, v) - 1
    return ys[i] + (ys[i + 1] - ys[i]) * (v - xs[i]) / (xs[i + 1] - xs[i])


def _floats(v) -> list:
    """A curve's coordinates as a list of Python floats (numpy's tolist when it is an array)."""
    return v.tolist() if hasattr(v, "tolist") else [float(a) for a in v]


def _shape(xs, ys, lo: float, hi: float) -> tuple[list, list, bool]:
    """Clip a curve to [lo, hi], drop collinear points, and say whether it is concave.

    Plain Python on purpose: curves have a few dozen points, where numpy's call
    overhead costs more than the arithmetic (this runs once per criterion).
    """
    xs, ys = _floats(xs), _floats(ys)
    # tolerances relative to the curve's own units: x by its magnitude, slopes by the steepest
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), xs[-1] - xs[0]):
        return [lo], [_interp(lo, xs, ys)], True
    # xs strictly increase (validated): the points inside (lo, hi) are a slice, their values
    # are the curve's own; only the two ends are interpolated
    i, k = bisect.bisect_right(xs, lo), bisect.bisect_left(xs, hi)
    x = [lo] + xs[i:k] + [hi]
    y = [_interp(lo, xs, ys)] + ys[i:k] + [_interp(hi, xs, ys)]
    slopes = [(y[i + 1] - y[i]) / (x[i + 1] - x[i]) for i in range(len(x) - 1)]
    steepest = max(abs(v) for v in slopes)
    keep_x, keep_y, kept = [x[0]], [y[0]], []
    for i in range(1, len(x) - 1):
        a, b = slopes[i - 1], slopes[i]
        if abs(a - b) > 1e-12 * steepest:
            keep_x.append(x[i])
            keep_y.append(y[i])
    keep_x.append(x[-1])
    keep_y.append(y[-1])
    kept = [(keep_y[i + 1] - keep_y[i]) / (keep_x[i + 1] - keep_x[i]) for i in range(len(keep_x) - 1)]
    concave = all(kept[i + 1] - kept[i] <= CONCAVE_TOL * steepest for i in range(len(kept) - 1))
    return keep_x, keep_y, concave


def _score(crit: ScoreCurve, var_col: dict, bounds: dict, b: _Builder,
           argument: int | None = None) -> tuple[int, bool]:
    """A score column for one criterion, defined by one row from its curve (`_curve`), and
    whether the model stays a linear program. For scores read as columns (a constituency's
    utility row, formulation.ratification); a party's utility row takes `_curve`'s form directly."""
    terms, const, lp = _curve(crit, var_col, bounds, b, argument)
    base = f"parties.{crit.party}.criteria.{crit.id}"
    lo, hi = _score_range(crit, bounds)
    s = b.col(base, lo, hi)
    coefs = {s: 1.0}
    for j, c in terms.items():
        coefs[j] = coefs.get(j, 0.0) - c
    b.row(f"{base}.value", coefs, const, const, RowInfo("curve", base, crit.party))
    return s, lp


def _score_range(crit: ScoreCurve, bounds: dict) -> tuple[float, float]:
    """The scores a criterion can give over the issue ranges (a score column's bounds)."""
    if crit.xs is None:  # one option's score, plus the form's constant (as `_curve` has it)
        vals = list(crit.lin.terms.values())
        return min(vals) + crit.lin.const, max(vals) + crit.lin.const
    lo, hi = reachable(crit.lin.terms, crit.lin.const, bounds)
    _, yl, _ = _shape(crit.xs, crit.ys, lo, hi)
    return min(yl), max(yl)


def _curve(crit: ScoreCurve, var_col: dict, bounds: dict, b: _Builder,
           argument: int | None = None) -> tuple[dict, float, bool]:
    """One criterion's score as a linear form `({column: coefficient}, constant)` over the
    columns and rows added here (its argument's terms, or the one column `argument` standing
    for them), and True when no binaries were needed.

    A curve is drawn as bounded increments: fill columns d_k in [0, dx_k] and one row placing
    the argument, `e = x_0 + sum d_k`; the score is `y_0 + sum slope_k d_k`. The score enters
    the model only through a utility, with its weight's sign, and every utility is only ever
    maximised or bounded below (concepts, reservations, ratification, diagnosis, tie
    searches): a score is pushed up when its weight is positive, down when it is negative (a
    constituency may weigh a criterion negatively). The fills fill in order by themselves
    when the slopes fall in the direction pushed (a concave curve pushed up, a convex one
    pushed down); any other curve adds binaries z_k with d_k >= dx_k z_k and
    d_{k+1} <= dx_{k+1} z_k, so the segments fill in order whatever the push (an exact MIP).
    """
    base = f"parties.{crit.party}.criteria.{crit.id}"
    terms = _coefs(crit.lin.terms, var_col) if argument is None else {argument: 1.0}
    if crit.xs is None:  # scores of a discrete issue's options: exactly linear
        return terms, crit.lin.const, True
    lo, hi = reachable(crit.lin.terms, crit.lin.const, bounds)
    xl, yl, concave = _shape(crit.xs, crit.ys, lo, hi)
    if len(xl) == 1:
        return {}, yl[0], True
    info = RowInfo("curve", base, crit.party)
    in_order = concave if crit.weight >= 0 else _shape(crit.xs, [-y for y in _floats(crit.ys)], lo, hi)[2]
    c0, m = crit.lin.const, len(xl) - 1
    dx = [xl[k + 1] - xl[k] for k in range(m)]
    first = b.offset + len(b.names)
    fills = range(first, first + m)
    b.names.extend([f"{base}.fill{k}" for k in range(m)])
    b.lb.extend([0.0] * m)
    b.ub.extend(dx)
    b.integer.extend([False] * m)
    coefs = dict(terms)
    coefs.update(dict.fromkeys(fills, -1.0))
    b.row(f"{base}.position", coefs, xl[0] - c0, xl[0] - c0, info)
    score = {d: (yl[k + 1] - yl[k]) / dx[k] for k, d in enumerate(fills)}
    if in_order:
        return score, yl[0], True
    fills = list(fills)
    z = [b.col(f"{base}.past{k}", 0.0, 1.0, True) for k in range(m - 1)]
    for k in range(m - 1):
        b.row(f"{base}.order{k}a", {fills[k]: -1.0, z[k]: dx[k]}, -INF, 0.0, info)
        b.row(f"{base}.order{k}b", {fills[k + 1]: 1.0, z[k]: -dx[k + 1]}, -INF, 0.0, info)
    return score, yl[0], False


# -- what-if: a new Problem from the previous one, at the cost of what changed ------------------
@dataclass(frozen=True)
class Recompiled:
    """A Problem made from the previous one by rewriting only the rows and columns a change
    moved (`rows`, `cols`: their indices, the same in both: the model's shape is unchanged)."""

    problem: Problem
    rows: np.ndarray
    cols: np.ndarray


def recompile(previous: Problem, resolved: Resolved) -> Recompiled | None:
    """`compile_case(resolved)` made from `previous` (a compile of a case with the same parties,
    issues, issue ranges and rows), rewriting only what moved: the curves, utility rows and
    red lines of what `negotiate.case.resolve.re_resolve` resolved again (found by identity:
    it keeps every other resolved item) and the reservations. Arrays are the previous ones,
    copied and patched; names and maps are shared. None when the change reshapes the model
    (a curve gains a segment, a red line becomes two rows, a range moves, two-level rows, a
    number the solver cannot take): `compile_case(resolved, previous)` then does it all."""
    from negotiate.formulation.ratification import twolevel_of

    old = previous.resolved
    case = resolved.case
    if (resolved.parties != old.parties or twolevel_of(resolved) is not None or twolevel_of(old) is not None
            or previous.twolevel or case.solve.require_acceptance != old.case.solve.require_acceptance
            or len(resolved.rows) != len(old.rows) or not _same_variables(resolved, old)):
        return None
    patch = _Patch(previous)
    bounds = {v.key: (v.lb, v.ub) for v in resolved.variables} if _moved_criteria(resolved, old) else None
    blocks = previous._blocks
    for p in resolved.parties:
        new, was = resolved.criteria[p], old.criteria[p]
        if new is was:
            continue
        if [c.id for c in new] != [c.id for c in was]:
            return None
        if blocks is previous._blocks:
            blocks = dict(blocks)
        for crit, before in zip(new, was):
            if not _redraw(patch, crit, before, previous, bounds, blocks):
                return None
        patch.utility_row(p, new)
    for r, before in zip(resolved.rows, old.rows):
        if r is not before and not patch.case_row(r, before):
            return None
    patch.reservations(case, resolved.parties)
    problem = patch.problem(resolved, blocks)
    if not _numbers_fine(problem, patch.touched_rows()):
        return None
    return Recompiled(problem, patch.touched_rows(), patch.touched_cols())


def _same_variables(new: Resolved, old: Resolved) -> bool:
    return len(new.variables) == len(old.variables) and all(
        a.key == b.key and a.lb == b.lb and a.ub == b.ub and a.integer == b.integer
        for a, b in zip(new.variables, old.variables))


def _moved_criteria(new: Resolved, old: Resolved) -> bool:
    return any(new.criteria[p] is not old.criteria[p] for p in new.parties)


def _same_curve(a: ScoreCurve, b: ScoreCurve) -> bool:
    """The same points of the same argument (re_resolve keeps these objects when only a weight
    moved), pushed the same way (a weight's sign decides whether the fills need binaries, `_curve`)."""
    return a is b or (a.lin is b.lin and a.x_points is b.x_points and a.y_points is b.y_points
                      and a.scores is b.scores and (a.weight >= 0) == (b.weight >= 0))


def _points(crit: ScoreCurve) -> int:
    return -1 if crit.xs is None else len(crit.xs)


def _redraw(patch: _Patch, crit: ScoreCurve, before: ScoreCurve, previous: Problem, bounds: dict,
            blocks: dict) -> bool:
    """The block of `crit` in place of `before`'s: False when it does not fit in its place."""
    key = (crit.party, crit.id)
    old = previous._blocks.get(key)
    if old is None:
        return False
    if _same_curve(crit, before):
        return True  # its block stays (only the criterion's weight, in the utility row, may move)
    if _terms_key(crit) != _terms_key(before) or _points(crit) != _points(before):
        return False  # which arguments get a shared column is decided again (`_shared_arguments`)
    argument = old.bounds[1]
    blk = _block(crit, previous.var_col, bounds, None, argument)
    if blk.built.names != old.built.names or blk.built.row_names != old.built.row_names \
            or blk.built.integer != old.built.integer:
        return False
    c0 = previous.curve_cols[key][0] if previous.curve_cols[key] else 0  # a linear score owns no column
    if len(blk.built.names):
        patch.cols(c0, blk.built.lb, blk.built.ub)
    if len(blk.built.row_names):
        r0 = previous.curve_rows[key][0]
        patch.rows(r0, blk.built.row_len, blk.place(c0), blk.vals, blk.built.row_lo, blk.built.row_hi)
    patch.score(key, blk.score_at(c0))
    blocks[key] = blk
    return True


class _Patch:
    """The previous Problem's arrays, copied on the first write, and the rows and columns written."""

    def __init__(self, previous: Problem):
        self.prev = previous
        self.col_lb, self.col_ub = previous.col_lb, previous.col_ub
        self.row_lo, self.row_hi = previous.row_lo, previous.row_hi
        self.score_form = previous.score_form
        self.new_rows: dict[int, tuple] = {}  # first row -> (row lengths, columns, values)
        self._cols: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []

    def cols(self, c0: int, lb, ub) -> None:
        k = np.arange(c0, c0 + len(lb))
        lb, ub = np.asarray(lb, float), np.asarray(ub, float)
        if np.array_equal(self.col_lb[k], lb) and np.array_equal(self.col_ub[k], ub):
            return
        if self.col_lb is self.prev.col_lb:
            self.col_lb, self.col_ub = self.col_lb.copy(), self.col_ub.copy()
        self.col_lb[k], self.col_ub[k] = lb, ub
        self._cols.append(k)

    def rows(self, r0: int, lens, cols, vals, lo, hi) -> None:
        k = np.arange(r0, r0 + len(lens))
        if self.row_lo is self.prev.row_lo:
            self.row_lo, self.row_hi = self.row_lo.copy(), self.row_hi.copy()
        self.row_lo[k], self.row_hi[k] = lo, hi
        self.new_rows[r0] = (np.asarray(lens, np.int64), np.asarray(cols, np.int32), np.asarray(vals, float))
        self._rows.append(k)

    def utility_row(self, p: str, criteria: list) -> None:
        prev = self.prev
        coefs, const = _utility_terms(prev.utility_col[p], [(crit.weight, self.score_form[(p, crit.id)])
                                                             for crit in criteria])  # as compile_case writes it
        self.rows(prev.utility_row[p], [len(coefs)], list(coefs), list(coefs.values()), [const], [const])

    def score(self, key: tuple, form: tuple) -> None:
        """A redrawn curve's score (its linear form, placed), read by its party's utility row."""
        if self.score_form is self.prev.score_form:
            self.score_form = dict(self.score_form)
        self.score_form[key] = form

    def case_row(self, r: LinearRow, before: LinearRow) -> bool:
        i = self.prev.case_rows.get(r.id)
        if r.id != before.id or i is None or r.kind != before.kind or r.party != before.party:
            return False
        coefs = _coefs(r.lin.terms, self.prev.var_col)
        self.rows(i, [len(coefs)], list(coefs), list(coefs.values()), [r.lo], [r.hi])
        return True

    def reservations(self, case: Case, parties: list) -> None:
        prev = self.prev
        if not prev.reservation_row:
            return
        at = np.fromiter(prev.reservation_row.values(), np.int64, len(prev.reservation_row))
        want = np.fromiter((case.parties[p].reservation for p in prev.reservation_row), float, len(at))
        moved = at[prev.row_lo[at] != want]  # (the rows' upper bounds stay infinite)
        if len(moved):
            if self.row_lo is prev.row_lo:
                self.row_lo, self.row_hi = self.row_lo.copy(), self.row_hi.copy()
            self.row_lo[moved] = want[prev.row_lo[at] != want]
            self._rows.append(moved)

    def touched_rows(self) -> np.ndarray:
        return np.unique(np.concatenate(self._rows)) if self._rows else np.zeros(0, np.int64)

    def touched_cols(self) -> np.ndarray:
        return np.unique(np.concatenate(self._cols)) if self._cols else np.zeros(0, np.int64)

    def _matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The previous CSR arrays with the rewritten rows: written over in place when every row
        keeps its columns, else spliced (numpy copies, no loop over the model's rows)."""
        prev = self.prev
        indptr, indices, values = prev.indptr, prev.indices, prev.values
        if not self.new_rows:
            return indptr, indices, values
        same = all(np.array_equal(np.diff(indptr[r0:r0 + len(lens) + 1]), lens)
                   and np.array_equal(indices[indptr[r0]:indptr[r0 + len(lens)]], cols)
                   for r0, (lens, cols, _) in self.new_rows.items())
        if same:
            values = values.copy()
            for r0, (lens, _, vals) in self.new_rows.items():
                values[indptr[r0]:indptr[r0 + len(lens)]] = vals
            return indptr, indices, values
        lengths = np.diff(indptr).astype(np.int64)
        idx_parts, val_parts, at = [], [], 0
        for r0 in sorted(self.new_rows):
            lens, cols, vals = self.new_rows[r0]
            a = indptr[r0]
            idx_parts += [indices[indptr[at]:a], cols]
            val_parts += [values[indptr[at]:a], vals]
            lengths[r0:r0 + len(lens)] = lens
            at = r0 + len(lens)
        idx_parts.append(indices[indptr[at]:])
        val_parts.append(values[indptr[at]:])
        indptr = np.zeros(len(lengths) + 1, dtype=indptr.dtype)
        indptr[1:] = np.cumsum(lengths)
        return indptr, np.concatenate(idx_parts).astype(np.int32), np.concatenate(val_parts).astype(float)

    def problem(self, resolved: Resolved, blocks: dict) -> Problem:
        prev = self.prev
        indptr, indices, values = self._matrix()
        out = dataclasses.replace(prev, resolved=resolved, col_lb=self.col_lb, col_ub=self.col_ub,
                                  row_lo=self.row_lo, row_hi=self.row_hi, indptr=indptr, indices=indices,
                                  values=values, score_form=self.score_form)
        out._blocks = blocks
        out.__dict__["col_index"], out.__dict__["row_index"] = prev.col_index, prev.row_index  # the same names
        return out


def _numbers_fine(problem: Problem, rows: np.ndarray) -> bool:
    """`_check_numbers` on what a change rewrote: the rewritten rows, with every row holding a
    free column of theirs (whose scale those rows give it), and every column. The rest was
    checked with the previous Problem and is unchanged. False: the whole check must say."""
    from negotiate.backends.scaling import numeric_problems

    if not len(rows):
        return True
    free = ~(np.isfinite(problem.col_lb) | np.isfinite(problem.col_ub))
    for _ in range(3):  # a free column's scale comes from its rows (and theirs, for free-only rows)
        cols = problem.indices[_entries(problem.indptr, rows)]
        reach = np.unique(cols[free[cols]])
        if not len(reach):
            break
        holding = np.searchsorted(problem.indptr, np.flatnonzero(np.isin(problem.indices, reach)), side="right") - 1
        more = np.union1d(rows, holding)
        if len(more) == len(rows):
            break
        rows = more
    else:
        return False
    sub = _SubRows(problem, rows, _entries(problem.indptr, rows), problem.indptr[rows + 1] - problem.indptr[rows])
    return not numeric_problems(sub)


def _entries(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions in the CSR arrays of the entries of `rows` (in order)."""
    starts = indptr[rows].astype(np.int64)
    lengths = indptr[rows + 1].astype(np.int64) - starts
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + shift


class _SubRows:
    """Some rows of a Problem with all its columns: what `numeric_problems` reads."""

    def __init__(self, problem: Problem, rows: np.ndarray, take: np.ndarray, lengths: np.ndarray):
        self.indptr = np.zeros(len(rows) + 1, np.int64)
        self.indptr[1:] = np.cumsum(lengths)
        self.indices, self.values = problem.indices[take], problem.values[take]
        self.row_lo, self.row_hi = problem.row_lo[rows], problem.row_hi[rows]
        self.col_lb, self.col_ub, self.col_int = problem.col_lb, problem.col_ub, problem.col_int
        self.col_names = problem.col_names
        self.n_rows = len(rows)
