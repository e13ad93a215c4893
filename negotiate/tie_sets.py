"""Tie sets: every agreement a concept finds equally good, by enumeration.

In small discrete domains several agreements often reach a concept's optimum
(an issue nobody cares about, symmetric scores). For a case whose issues are
all discrete or integer ranges and whose outcome space is small enough, every
outcome is evaluated at once with numpy (utilities, red lines, collective
constraints, acceptance), the concept's optimum is found on that table, and
the tie set is every acceptable outcome that reaches it (within `TIE_TOL`,
relative). The proposed agreement is the first tie in outcome order — issues
in case order, options in listed order, integers ascending, per-party values
by party order — so the answer does not depend on the solver's pick.

Cases with a continuous issue are not enumerated (`ties(...)` raises
ValueError saying why); beyond the enumeration cap `ties(...)` searches the
MIP with no-good cuts (negotiate.tie_search), up to a limit it reports, and a
proposal's `ties` is null (with a note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from negotiate.case.resolve import resolve
from negotiate.case.schema import Case
from negotiate.compile import resolved_utility_scales

TIE_TOL = 1e-9  # relative to the concept value's scale (built from the parties' utility scales)
GAIN_TOL = 1e-9  # as the concepts: a gain this small, relative to the party's utility scale, is zero
ROW_TOL = 1e-9  # red lines and collective constraints, relative to their bound
AUTO_CAP = 20_000  # outcomes enumerated on every solve
API_CAP = 2_000_000  # outcomes `ties()` enumerates when asked
CHUNK = 50_000  # outcomes evaluated at once (memory bound)
BLOCK_CELLS = 2_000_000  # or more outcomes, while a block of multi-issue forms holds at most this many numbers
LISTED = 1_000  # tied agreements kept in a result


@dataclass(frozen=True)
class TieSet:
    """Every agreement optimal for `concept`; `agreements[0]` is the one proposed."""

    case: str
    concept: str
    count: int  # how many agreements tie at the optimum
    outcomes: int  # the size of the enumerated outcome space
    agreements: list = field(default_factory=list)  # the first LISTED ties, in outcome order
    utilities: list = field(default_factory=list)  # {party: utility} per listed tie
    value: list = field(default_factory=list)  # the concept's optimum (sorted gains for leximin)
    method: str = "enumeration"  # enumeration | mip (no-good cuts, beyond the enumeration cap)
    complete: bool = True  # False: the search stopped at its limit, `count` is a lower bound

    @property
    def capped(self) -> bool:
        return not self.complete

    @property
    def listed_all(self) -> bool:
        return len(self.agreements) == self.count

    def to_dict(self) -> dict:
        return {"case": self.case, "concept": self.concept, "ties": self.count, "complete": self.complete,
                "method": self.method, "outcomes": self.outcomes, "value": self.value,
                "agreements": self.agreements, "utilities": self.utilities, "listed_all": self.listed_all}

    def frame(self):
        """pandas: one row per listed tie, its issue values and every party's utility."""
        import pandas as pd

        rows = []
        for a, u in zip(self.agreements, self.utilities):
            row = {}
            for iid, v in a.items():
                if isinstance(v, dict):
                    row.update({f"{iid}[{p}]": x for p, x in v.items()})
                else:
                    row[iid] = v
            row.update({f"utility.{p}": x for p, x in u.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        more = "" if self.complete else " (at least: the search stopped at its limit)"
        return (f"TieSet({self.case!r}, concept={self.concept!r}, ties={self.count}{more}, "
                f"outcomes={self.outcomes}, method={self.method!r})")


# -- the outcome space ---------------------------------------------------------
@dataclass
class _Axis:
    issue: str
    party: str | None
    options: list | None  # discrete: option names
    values: np.ndarray | None  # integer range: the whole numbers in it
    size: int = field(init=False)  # its positions (read on every solve: kept, not recounted)

    def __post_init__(self):
        self.size = len(self.options) if self.options is not None else len(self.values)


def outcome_axes(resolved) -> list[_Axis] | str:
    """One axis per (issue, party) choice, or the reason the space is not enumerable.

    Case-constant: made once per resolved case (kept on it, as a frozen case keeps its
    Resolved; a what-if change resolves anew), so every solve, tie set and enumeration of
    the case reads the same axes (callers do not change them)."""
    kept = resolved.__dict__.get("_outcome_axes")
    if kept is None:
        kept = resolved.__dict__["_outcome_axes"] = _outcome_axes(resolved)
    return kept


def _outcome_axes(resolved) -> list[_Axis] | str:
    from negotiate.formulation.ratification import twolevel_of

    if twolevel_of(resolved) is not None:  # acceptance is ratification and a rule over binaries
        return "it is a two-level case (ratification and a decision rule are solved as a MIP)"
    case = resolved.case
    by_key = {v.key: v for v in resolved.variables}
    axes = []
    for iid, issue in case.issues.items():
        for p in (resolved.parties if issue.per_party else [None]):
            if issue.options is not None:
                axes.append(_Axis(iid, p, list(issue.options), None))
                continue
            v = by_key[(iid, p, None)]
            if v.lb == v.ub:
                axes.append(_Axis(iid, p, None, np.array([v.lb])))
            elif not v.integer:
                return f"issue {iid} is continuous"
            else:
                lo, hi = math.ceil(v.lb - 1e-9), math.floor(v.ub + 1e-9)
                axes.append(_Axis(iid, p, None, np.arange(lo, hi + 1, dtype=float)))
    return axes


def space_size(axes: list[_Axis]) -> int:
    return math.prod(a.size for a in axes)


def _indicator_block(resolved, axes, start: int, stop: int) -> tuple[np.ndarray, list]:
    """Variable values for outcomes start..stop-1 (C order: the first axis slowest)."""
    keys = [v.key for v in resolved.variables]
    col = {k: j for j, k in enumerate(keys)}
    X = np.zeros((stop - start, len(keys)))
    idx = np.unravel_index(np.arange(start, stop), [a.size for a in axes])
    for a, i in zip(axes, idx):
        if a.options is not None:
            for k, o in enumerate(a.options):
                X[:, col[(a.issue, a.party, o)]] = i == k
        else:
            X[:, col[(a.issue, a.party, None)]] = a.values[i]
    return X, idx


def _lin_value(lin, X, col) -> np.ndarray:
    out = np.full(X.shape[0], float(lin.const))
    for key, c in lin.terms.items():
        if c:
            out += c * X[:, col[key]]
    return out


def evaluate(resolved, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Utilities (outcomes x parties) and whether red lines and constraints hold."""
    col = {v.key: j for j, v in enumerate(resolved.variables)}
    U = np.zeros((X.shape[0], len(resolved.parties)))
    for i, p in enumerate(resolved.parties):
        for c in resolved.criteria[p]:
            e = _lin_value(c.lin, X, col)
            U[:, i] += c.weight * (e if c.xs is None else np.interp(e, c.xs, c.ys))
    ok = np.ones(X.shape[0], bool)
    for r in resolved.rows:
        v = _lin_value(r.lin, X, col)
        if math.isfinite(r.lo):
            ok &= v >= r.lo - ROW_TOL * max(1.0, abs(r.lo))
        if math.isfinite(r.hi):
            ok &= v <= r.hi + ROW_TOL * max(1.0, abs(r.hi))
    return U, ok


# -- the concepts on the table -------------------------------------------------
def _leximin_rows(gains, mask: np.ndarray, unit: float) -> tuple[np.ndarray, list]:
    """Rows of `mask` (their indices, ascending) whose sorted gains equal the leximin optimum
    (within TIE_TOL of `unit`, the size of a scaled gain: the concepts' leximin level unit).

    `gains(rows)`: the scaled gains of those outcomes (rows x parties). Only the rows of
    `mask` are sorted, and each level is read on the outcomes still at the best levels
    before it: the same outcomes as filtering every row level by level, with less work.
    Once one outcome is left, its next levels are the optimum's (each the maximum over that
    outcome alone): read at once, not one by one."""
    rows = np.flatnonzero(mask)
    S = np.sort(gains(rows), axis=1)
    keep = np.arange(len(rows))
    best = []
    for k in range(S.shape[1]):
        if len(keep) == 1:
            best += S[keep[0], k:].tolist()
            break
        level = S[keep, k]
        m = float(level.max())
        best.append(m)
        keep = keep[level >= m - TIE_TOL * unit]
    return rows[keep], best


def party_scales(resolved) -> np.ndarray:
    """Each party's utility scale (negotiate.compile.utility_scales), in party order."""
    scales = resolved_utility_scales(resolved)
    return np.array([scales[p] for p in resolved.parties])


def concept_mask(concept: str, U: np.ndarray, acceptable: np.ndarray, w: np.ndarray,
                 d: np.ndarray, uscale: np.ndarray, gathered: tuple | None = None) -> tuple[np.ndarray, list]:
    """Which outcomes are optimal for the concept (a mask of the outcomes), and the optimum:
    `optimal_outcomes` as a mask."""
    found, value = optimal_outcomes(concept, U, acceptable, w, d, uscale, gathered)
    mask = np.zeros(len(acceptable), bool)
    mask[found] = True
    return mask, value


def optimal_outcomes(concept: str, U: np.ndarray, acceptable: np.ndarray, w: np.ndarray,
                     d: np.ndarray, uscale: np.ndarray, gathered: tuple | None = None) -> tuple[np.ndarray, list]:
    """The outcomes optimal for the concept (indices, ascending), and the optimum, as the
    concepts define them.

    `uscale`: each party's utility scale (`party_scales`). Tolerances are relative to it, as
    the solver path's are, so scores and weights in any unit give the same tie set.
    `gathered`: `acceptable_rows(U, acceptable)` if the caller has it (else made here)."""
    if not acceptable.any():
        return np.flatnonzero(acceptable), []
    if concept in ("kalai_smorodinsky", "nash"):
        rows, UA, ideal = gathered or acceptable_rows(U, acceptable)
        held = ideal - d <= GAIN_TOL * uscale
    if concept == "utilitarian":
        v = U @ w
        best = float(v[acceptable].max())
        return np.flatnonzero(acceptable & (v >= best - TIE_TOL * float(np.abs(w) @ uscale))), [best]
    if concept == "egalitarian":
        return _leximin_rows(lambda rows: (U.compress(acceptable, axis=0) - d) / w, acceptable,
                             float((uscale / w).max()))
    if concept == "kalai_smorodinsky":
        free = ~held
        if not free.any():
            return optimal_outcomes("utilitarian", U, acceptable, w, d, uscale)
        span = ideal[free] - d[free]  # (the leximin reads the acceptable rows: UA holds them)
        return _leximin_rows(lambda _: (_parties(UA, free) - d[free]) / span, acceptable,
                             float((uscale[free] / span).max()))
    if concept == "nash":
        active = ~held
        if not active.any():
            return optimal_outcomes("utilitarian", U, acceptable, w, d, uscale)
        everyone = not held.any()  # (then no copy of a column or a bound: the same numbers)
        gains = UA - d if everyone else UA[:, active] - d[active]
        weights = w if everyone else w[active]
        # an outcome where some active party gains no more than GAIN_TOL has a log sum of -inf
        # (log 0, as the log is not taken there, times a positive weight), so it is never the
        # best: the same outcomes as testing every party's column for a gain, in 3 operations
        # on the whole table instead of 2 per party
        logs = np.full(gains.shape, -np.inf)
        np.log(gains, out=logs, where=gains > GAIN_TOL * (uscale if everyone else uscale[active]))
        v = logs @ weights
        best = float(v.max())  # a sum of logs: TIE_TOL is a relative change of the weighted product
        if best == -np.inf:  # the Nash product is 0 everywhere: egalitarian over the active parties
            return _leximin_rows(lambda _: (_parties(UA, active) - d[active]) / w[active], acceptable,
                                 float((uscale[active] / w[active]).max()))
        return rows[v >= best - TIE_TOL * max(float(weights.sum()), abs(best))], [best]
    raise ValueError(f"unknown concept {concept!r}")


def _parties(UA: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The columns of the parties in `keep` (all of them: UA itself, no copy)."""
    return UA if keep.all() else UA[:, keep]


def acceptable_rows(U: np.ndarray, acceptable: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The acceptable outcomes' indices, their utilities, and the ideals (each party's best there)."""
    rows = np.flatnonzero(acceptable)
    UA = U.compress(acceptable, axis=0)  # (the same rows as U[rows]: 2 us against 5 at 683 of 1,296 x 9)
    return rows, UA, _column_max(UA)


# -- the public entry points -----------------------------------------------------
def _table(resolved, axes) -> tuple[np.ndarray, np.ndarray]:
    """Utilities (outcomes x parties) and acceptability of every outcome, in outcome order."""
    U, ok = outcome_table(resolved, axes)
    return U, ok


def outcome_table(resolved, axes) -> tuple[np.ndarray, np.ndarray]:
    """Every outcome at once, by broadcasting one small table per axis.

    A linear form over the issue variables is a sum over axes of a per-axis
    vector (an option's coefficient, or the coefficient times each whole
    number); summing those over the outcome grid gives its value on every
    outcome without building the outcomes themselves. Criteria scored by
    option fold into their party's utility directly, and so do curves of a
    form on one axis (interpolated once per value of that axis); red lines
    and constraints on one axis become a mask of that axis. Only curves and
    rows that mix several axes are summed over the grid first.
    """
    plan = _plan(resolved, axes)
    u_tab, u_const, mixed, e_tab, e_const = plan["u"], plan["u0"], plan["mixed"], plan["e"], plan["e0"]
    masks, allowed, spread, r_tab, r_const = plan["masks"], plan["allowed"], plan["spread"], plan["r"], plan["r0"]
    lo, hi, d, case = plan["lo"], plan["hi"], plan["d"], resolved.case
    n = plan["n"]
    U = _grid_sum(axes, u_tab, u_const)  # the whole table by broadcasting: it is kept whole anyway
    ok = _grid_all(axes, masks, joint=plan["joint"])
    if not allowed:
        ok[:] = False
    if mixed or spread:  # forms over several axes: on the grid, a block of outcomes at a time (memory)
        step = max(CHUNK, BLOCK_CELLS // max(len(mixed), len(spread)))
        for start in range(0, n, step):
            block = None if n <= step else (start, min(n, start + step))
            part = slice(start, min(n, start + step))
            if mixed:
                E = _grid_sum(axes, e_tab, e_const, block)
                for j, (i, c, _) in enumerate(mixed):
                    U[part, i] += c.weight * np.interp(E[:, j], c.xs, c.ys)
            if spread:
                R = _grid_sum(axes, r_tab, r_const, block)
                for j in range(R.shape[1]):
                    ok[part] &= _within(R[:, j], lo[j], hi[j])
    if case.solve.require_acceptance:
        bound, check = plan["acceptance"], plan["may_reject"]
        if len(check) > FEW_COLUMNS:  # many parties: along the rows, at once
            ok &= _every_column(np.greater_equal, U, bound)
        else:
            for j in check:
                ok &= U[:, j] >= bound[j]
    return U, ok


FEW_COLUMNS = 16  # up to this many parties, reductions across them go column by column (below)


def _every_column(compare, X: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """(rows,): compare(X[:, j], bound[j]) for every column j. With a few columns, column by
    column: `compare(X, bound).all(axis=1)` reduces along short rows, ~10x slower (measured
    at 9,216 x 9: 485 us against 40 us); with many, along the rows."""
    if X.shape[1] > FEW_COLUMNS:
        return compare(X, bound).all(axis=1)
    out = compare(X[:, 0], bound[0])
    for j in range(1, X.shape[1]):
        out &= compare(X[:, j], bound[j])
    return out


BLOCK_ROWS = 32  # `_column_max`: rows read side by side


def _column_max(X: np.ndarray) -> np.ndarray:
    """Each column's maximum. X.max(axis=0) reduces rows of a few numbers one row at a time
    (slow: 16 us at 683 x 9), column by column is one reduction per party (10 us); here blocks
    of BLOCK_ROWS rows are read as one long row, so the reduction runs along rows 32 times as
    long, then over the blocks' maxima (5 us; 12 us against 21 and 108 at 5,000 x 9; 31 us
    against 48 and 265 at 1,000 x 200). A maximum is exact, so any grouping gives the same
    numbers. Below 256 rows, X.max(axis=0) (3 us at 100 x 9, the blocks 4)."""
    m, width = X.shape
    if m < 8 * BLOCK_ROWS:
        return X.max(axis=0)
    whole = m - m % BLOCK_ROWS
    best = X[:whole].reshape(-1, width * BLOCK_ROWS).max(axis=0).reshape(BLOCK_ROWS, width).max(axis=0)
    return np.maximum(best, X[whole:].max(axis=0)) if whole < m else best


def _axes_key(axes) -> tuple:
    return tuple((a.issue, a.party, tuple(a.options) if a.options is not None else a.values.tobytes())
                 for a in axes)


def _plan(resolved, axes) -> dict:
    """The per-axis tables of `outcome_table`, kept on the resolved case per set of axes."""
    last = resolved.__dict__.get("_last_plan")
    if last is not None and last[0] is axes:  # the same axes object as the last solve (discrete.enumerable's)
        return last[1]
    cache = resolved.__dict__.setdefault("_outcome_plans", {})
    key = _axes_key(axes)
    plan = cache.get(key)
    if plan is None:
        if len(cache) > 64:
            cache.clear()
        plan = cache[key] = _build_plan(resolved, axes)
    resolved.__dict__["_last_plan"] = (axes, plan)
    return plan


def _build_plan(resolved, axes) -> dict:
    case = resolved.case
    parties = resolved.parties
    P, A = len(parties), len(axes)
    place = {(a.issue, a.party): k for k, a in enumerate(axes)}
    where = [({o: i for i, o in enumerate(a.options)} if a.options is not None else None) for a in axes]

    def per_axis(lin) -> dict:
        """axis -> the form's value on each of its positions (the constant left out)."""
        out: dict = {}
        for key, c in lin.terms.items():
            if not c:
                continue
            k = place[key[:2]]
            vec = out.get(k)
            if vec is None:
                vec = out[k] = np.zeros(axes[k].size)
            if key[2] is None:
                vec += c * axes[k].values
            else:
                i = where[k].get(key[2])
                if i is not None:  # an option cut away by the current bounds is never chosen
                    vec[i] += c
        return out

    u_tab, u_const = [None] * A, np.zeros(P)

    def fold(k, i, vec):
        if u_tab[k] is None:
            u_tab[k] = np.zeros((axes[k].size, P))
        u_tab[k][:, i] += vec

    mixed = []  # (party index, criterion, its per-axis vectors): curves over several axes
    for i, p in enumerate(parties):
        for c in resolved.criteria[p]:
            parts, const = per_axis(c.lin), float(c.lin.const)
            if c.xs is None:
                u_const[i] += c.weight * const
                for k, vec in parts.items():
                    fold(k, i, c.weight * vec)
            elif len(parts) <= 1:
                if not parts:
                    u_const[i] += c.weight * float(np.interp(const, c.xs, c.ys))
                for k, vec in parts.items():
                    fold(k, i, c.weight * np.interp(const + vec, c.xs, c.ys))
            else:
                mixed.append((i, c, parts))
    e_tab, e_const = [None] * A, np.zeros(len(mixed))
    for j, (_, c, parts) in enumerate(mixed):
        e_const[j] = float(c.lin.const)
        _put(e_tab, axes, j, parts, len(mixed))
    masks = [None] * A  # rows on one axis: which of its positions they allow
    joint = []  # rows over a few axes of few positions together: which of those positions they allow
    spread = []  # rows over several axes, on the grid
    allowed = True
    n = space_size(axes)
    for r in resolved.rows:
        parts = per_axis(r.lin)
        if len(parts) <= 1:
            for k, vec in (parts.items() or [(None, np.zeros(1))]):
                fine = _within(float(r.lin.const) + vec, r.lo, r.hi)
                if k is None:
                    allowed &= bool(fine.all())
                else:
                    masks[k] = fine if masks[k] is None else masks[k] & fine
        elif _few_positions(axes, parts, n):
            joint.append(_joint_mask(axes, r, parts))
        else:
            spread.append((r, parts))
    r_tab, r_const = [None] * A, np.zeros(len(spread))
    for j, (r, parts) in enumerate(spread):
        r_const[j] = float(r.lin.const)
        _put(r_tab, axes, j, parts, len(spread))
    lo = np.array([r.lo for r, _ in spread])
    hi = np.array([r.hi for r, _ in spread])
    d = np.array([case.parties[p].reservation for p in parties])
    w = np.array([case.parties[p].weight for p in parties])
    uscale = party_scales(resolved)
    acceptance = d - GAIN_TOL * uscale  # (a party accepts an outcome where its utility reaches this)
    return {"shape": [a.size for a in axes], "n": n, "acceptance": acceptance,
            "may_reject": _may_reject(u_tab, u_const, mixed, acceptance), "w": w, "u": u_tab, "u0": u_const, "mixed": mixed, "e": e_tab, "e0": e_const, "masks": masks,
            "joint": joint, "allowed": allowed, "spread": spread, "r": r_tab, "r0": r_const, "lo": lo, "hi": hi, "d": d,
            "uscale": party_scales(resolved)}


# A row over several axes is a mask of those axes when their positions together are at most
# JOINT_CELLS and an eighth of the outcomes: made once per plan, like the per-axis tables, and
# only and-ed over the grid on each solve (a red line or constraint linking two or three issues:
# at 1,296 outcomes, 1.5 us against 14 us for its values summed over the grid and compared).
JOINT_CELLS = 65_536


def _few_positions(axes, parts: dict, n: int) -> bool:
    cells = math.prod(axes[k].size for k in parts)
    return cells <= JOINT_CELLS and 8 * cells <= n


def _joint_mask(axes, r, parts: dict) -> np.ndarray:
    """Where the row holds, over the positions of its axes (size 1 along the others, to
    broadcast over the grid): its constant plus each axis's vector, in axis order -- the
    same sums as `_grid_sum` makes on the grid, so the same outcomes pass."""
    A = len(axes)
    value = np.full([1] * A, float(r.lin.const))
    for k in sorted(parts):
        value = value + parts[k].reshape([1] * k + [axes[k].size] + [1] * (A - k - 1))
    return _within(value, r.lo, r.hi)


def _may_reject(u_tab, u_const, mixed, acceptance) -> list[int]:
    """The parties some outcome may leave below their reservation: not those whose lowest utility
    accepts. `_grid_sum` adds each outcome's per-axis rows to the constant in axis order, and a
    rounded sum never decreases when an addend grows, so no outcome's utility is below the
    same sums made of each axis's smallest row: where that reaches the acceptance bound, the
    party accepts every outcome (exactly, for the table as computed) and its column is not
    compared (at 1,296 outcomes x 9 parties, 5 of 9 in `benchmarks/bench_discrete.py`).
    Parties scored by a curve over several axes (added afterwards) are always compared."""
    lowest = np.array(u_const, float)
    for t in u_tab:
        if t is not None:
            lowest = lowest + t.min(axis=0)
    curved = {i for i, _, _ in mixed}
    return [j for j in range(len(lowest)) if j in curved or not lowest[j] >= acceptance[j]]


def _put(tables, axes, column, parts: dict, width: int) -> None:
    for k, vec in parts.items():
        if tables[k] is None:
            tables[k] = np.zeros((axes[k].size, width))
        tables[k][:, column] += vec


def _within(v, lo, hi) -> np.ndarray:
    """v inside [lo, hi] up to ROW_TOL relative to the bounds (infinite bounds allowed)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    with np.errstate(invalid="ignore"):
        return (v >= lo - ROW_TOL * np.maximum(1.0, np.abs(lo))) & (v <= hi + ROW_TOL * np.maximum(1.0, np.abs(hi)))


def _grid_all(axes, masks, block=None, joint=()) -> np.ndarray:
    """(outcomes,): every per-axis mask holds at the outcome's position on its axis, and every
    joint mask (`_joint_mask`) at its positions on its axes."""
    shape = [a.size for a in axes]
    if block is not None:
        idx = np.unravel_index(np.arange(*block), shape)
        ok = np.ones(block[1] - block[0], bool)
        for k, m in enumerate(masks):
            if m is not None:
                ok &= m[idx[k]]
        for m in joint:
            ok &= m[tuple(i if m.shape[k] > 1 else 0 for k, i in enumerate(idx))]
        return ok
    ok = np.ones(shape, bool)
    n = len(axes)
    for k, m in enumerate(masks):
        if m is not None:
            ok &= m.reshape([1] * k + [shape[k]] + [1] * (n - k - 1))
    for m in joint:
        ok &= m
    return ok.reshape(-1)


def _grid_sum(axes, tables, const, block=None) -> np.ndarray:
    """(outcomes x columns): const plus each axis's table row at the outcome's position on it.

    The whole grid by broadcasting (block None), or outcomes start..stop-1 by gathering.
    """
    shape = [a.size for a in axes]
    m = len(const)
    if block is not None:
        idx = np.unravel_index(np.arange(*block), shape)
        out = np.empty((block[1] - block[0], m))
        out[...] = const
        for k, t in enumerate(tables):
            if t is not None:
                out += t[idx[k]]
        return out
    # Axis by axis, first to last: the sums over the first k axes (prod(shape[:k]) x m), then each
    # with every row of axis k added. Only the last step touches the whole grid, so the table
    # costs about one pass over it, not one per axis; each outcome's sum is still
    # const + t_0 + t_1 + ... in axis order, the same numbers as adding the axes over the grid.
    # (t_0 + const, element by element, is const + t_0: the same sums in one operation; the
    # constant alone is copied, as the plan keeps it)
    first = tables[0] if tables else None
    out = np.array(const, float).reshape(1, m) if first is None else first + const
    for size, t in zip(shape[first is not None:], tables[first is not None:]):
        if t is None:
            out = np.repeat(out, size, axis=0)
        else:
            out = (out[:, None, :] + t[None, :, :]).reshape(-1, m)
    return out


def _agreement(resolved, axes, index: int) -> dict:
    idx = np.unravel_index(index, [a.size for a in axes])
    out: dict = {}
    for a, i in zip(axes, idx):
        v = a.options[int(i)] if a.options is not None else _number(a.values[int(i)], resolved.case.issues[a.issue])
        if a.party is None:
            out[a.issue] = v
        else:
            out.setdefault(a.issue, {})[a.party] = v
    return out


def agreements(resolved, axes, plan: dict, positions: list, reported: bool = False) -> list[dict]:
    """`_agreement` of outcomes given by their `positions` (one list per axis), the values of
    each axis's positions read once per plan. `reported`: as a proposal reports an agreement
    (negotiate.proposal.agreement_of: a number of an issue that is not integer keeps 9
    significant digits), not as a tie set."""
    name = "reported labels" if reported else "labels"
    labels = plan.get(name)
    if labels is None:
        issues = resolved.case.issues
        number = _reported if reported else _number
        labels = plan[name] = [a.options if a.options is not None else
                               [number(v, issues[a.issue]) for v in a.values] for a in axes]
    out = []
    for picked in zip(*[[values[i] for i in at] for values, at in zip(labels, positions)]):
        agreement: dict = {}
        for a, v in zip(axes, picked):
            if a.party is None:
                agreement[a.issue] = v
            else:
                agreement.setdefault(a.issue, {})[a.party] = v
        out.append(agreement)
    return out


def _number(v: float, issue):
    return int(v) if issue.integer else float(v)


def _reported(v: float, issue):
    from negotiate.proposal import _clean

    return int(v) if issue.integer else _clean(float(v))


def _tie_set(resolved, axes, concept: str) -> tuple[TieSet, np.ndarray]:
    U, acceptable = _table(resolved, axes)
    plan = _plan(resolved, axes)
    found, value = optimal_outcomes(concept, U, acceptable, plan["w"], plan["d"], plan["uscale"])
    listed = found[:LISTED]
    tied = TieSet(
        case=resolved.case.name, concept=concept, count=int(found.size), outcomes=plan["n"],
        agreements=agreements(resolved, axes, plan, [at.tolist() for at in np.unravel_index(listed, plan["shape"])]),
        utilities=[dict(zip(resolved.parties, row)) for row in U[listed].tolist()],
        value=[float(v) for v in value],
    )
    mask = np.zeros(len(acceptable), bool)
    mask[found] = True
    return tied, mask


def _within_bounds(problem, axes, backend) -> list[_Axis]:
    """The axes cut to the backend's current column bounds (drafted options fix some)."""
    out = []
    for a in axes:
        if a.options is not None:
            bounds = {o: backend.col_bounds(problem.var_col[(a.issue, a.party, o)]) for o in a.options}
            keep = [o for o in a.options if bounds[o][1] > 0.5]
            forced = [o for o in keep if bounds[o][0] > 0.5]  # an option fixed at 1 leaves no other
            keep = forced or keep
            out.append(_Axis(a.issue, a.party, keep, None))
        else:
            lo, hi = backend.col_bounds(problem.var_col[(a.issue, a.party, None)])
            out.append(_Axis(a.issue, a.party, None, a.values[(a.values >= lo - 1e-9) & (a.values <= hi + 1e-9)]))
    return out


def _position(problem, axes, x) -> int | None:
    """The solver's agreement as an index into the enumerated outcomes."""
    idx = []
    for a in axes:
        if a.options is not None:
            vals = [x[problem.var_col[(a.issue, a.party, o)]] for o in a.options]
            k = int(np.argmax(vals)) if vals else -1
            if k < 0 or vals[k] < 0.5:
                return None
        else:
            v = x[problem.var_col[(a.issue, a.party, None)]]
            hits = np.flatnonzero(np.abs(a.values - v) <= 1e-6)
            if not hits.size:
                return None
            k = int(hits[0])
        idx.append(k)
    return int(np.ravel_multi_index(idx, [a.size for a in axes]))


def settle(problem, concept: str, out, backend) -> tuple[TieSet | None, bool, str | None]:
    """On a small discrete case: the concept's tie set, and `out.x` moved to its first tie.

    Returns (tie set or None, whether the agreement moved, a note or None).
    Called by `solve_problem` after the concept ran, on the backend's current
    bounds; leaves `out` alone when the space is not enumerable, or when the
    solver's agreement is not among the enumerated optima (then says so).
    """
    resolved = problem.resolved
    axes = outcome_axes(resolved)
    if isinstance(axes, str):
        return None, False, None
    axes = _within_bounds(problem, axes, backend)
    n = space_size(axes)
    if n > AUTO_CAP:
        count = f"{n:,}" if n < 10**15 else f"about {float(n):.1e}"
        return None, False, (f"tie set not computed: {count} outcomes, above the {AUTO_CAP:,} enumerated on every "
                             "solve (negotiate.ties(case, concept) enumerates up to 2,000,000)")
    found, mask = _tie_set(resolved, axes, concept)
    here = _position(problem, axes, out.x)
    if here is None or not mask[here]:
        return None, False, "tie set not computed: the solver's agreement is not among the enumerated optima"
    first = found.agreements[0]
    x = np.array(out.x, dtype=float, copy=True)
    for a in axes:
        v = first[a.issue] if a.party is None else first[a.issue][a.party]
        if a.options is not None:
            for o in a.options:
                x[problem.var_col[(a.issue, a.party, o)]] = 1.0 if o == v else 0.0
        else:
            x[problem.var_col[(a.issue, a.party, None)]] = float(v)
    out.x = x
    return found, here != int(np.flatnonzero(mask)[0]), None
