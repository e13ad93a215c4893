"""HiGHS through highspy directly: one persistent, scaled Highs object per model.

Built from the Problem's numpy arrays in one call each. Rows and columns are
scaled by powers of two before HiGHS sees them (a column by the magnitude of
its bounds, a row by its largest scaled coefficient), so ranges, scores and
weights from 1e-6 to 1e9 reach the solver as numbers near 1 and its
tolerances act relative to the problem's own scale; values come back
unscaled. A `ModelDelta` is applied in place (`apply`): retired rows are freed
and retired columns fixed at 0 where they are, added ones appended, so the
basis survives and HiGHS hot starts. Callers address rows and columns by the
Problem's indices; the map to HiGHS's positions is kept here, and nowhere else.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from contextlib import contextmanager

import highspy
import numpy as np

from negotiate.backends.base import Backend, Capabilities, LPResult
from negotiate.backends.scaling import (
    _kept,
    _pow2,
    _pow2_one,
    _RowMax,
    column_scales,
    model_scales,
    scaled_values,
)
from negotiate.sparse import entry_rows

_HINF = highspy.kHighsInf
_bannered = False
THREADS: int | None = None  # set in batch workers (one HiGHS thread per process)


# highspy's `Highs` is its core class plus Python-side callbacks (one HighsCallback object per
# callback type, made at every construction) and an expression API, none of which negotiate uses
# (it calls run(), not the interruptible solve()): the core class is made 3x faster. CPU us a
# construction, one 2-core machine under load 2.5: Highs() 88, the core class 29 (0.17 vs 0.05 ms
# in a 5-party utilitarian solve, fresh data); run() times alike (0.83 vs 0.84 ms, 125 iterations,
# the same x).
_CORE = getattr(getattr(highspy, "_core", None), "_Highs", highspy.Highs)


class _HIGHS(_CORE):
    """The core class with an instance dictionary (tests and tools patch an object's methods)."""


def new_highs() -> _HIGHS:
    """A silent Highs (the core class, `_HIGHS`); the first construction in a process prints a
    banner straight to file descriptor 1, so it is sent to /dev/null (JSON on stdout must stay
    clean)."""
    global _bannered
    if _bannered:
        h = _HIGHS()
    else:
        try:
            saved = os.dup(1)
        except OSError:  # no stdout at all
            saved = None
        try:
            if saved is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.close(devnull)
            h = _HIGHS()
        finally:
            if saved is not None:
                os.dup2(saved, 1)
                os.close(saved)
        _bannered = True
    h.setOptionValue("output_flag", False)
    if THREADS is not None:
        h.setOptionValue("threads", THREADS)
    return h


def _floats(values: list) -> np.ndarray:
    """A list of floats from highspy (a solution's values or duals) as a new array: np.array()
    reads a list in 15 us a thousand floats, fromiter in 10."""
    return np.fromiter(values, float, len(values))


def _reduced(cost: np.ndarray, cols_of: np.ndarray, values: np.ndarray, entry_dual: np.ndarray) -> np.ndarray:
    """c - A'y: the columns' reduced costs at the row duals y, A's entries given by their columns
    and values, and `entry_dual` the dual of each entry's row."""
    return cost - np.bincount(cols_of, weights=values * entry_dual, minlength=len(cost))


def _arr(values, dtype=float) -> np.ndarray:
    a = np.asarray(values, dtype=dtype)
    if dtype is float and _HINF != math.inf:  # HiGHS's infinity is IEEE's (1.16): nothing to clip (6 us a call)
        a = np.clip(a, -_HINF, _HINF)
    return a


# Cold LP solves (no basis yet; the utilitarian LP excepted, which starts from negotiate.start's
# basis at every size) of at least this many rows run HiGHS's interior point method
# with crossover (a basis comes out, so duals are exact and every later solve is a hot simplex
# re-solve: leximin rounds, Nash cuts, ideals and what-if changes continue from the basis).
# Measured with HiGHS 1.16 on benchmarks/generate.py cases (30 criteria x 10 points, the
# increment form of compile._curve, 6.6 rows per party), seconds, simplex vs IPM+crossover:
# 10 parties (332 rows) 0.019 vs 0.022; 20 (662) 0.100 vs 0.115; 30 (992) 0.085 vs 0.123;
# 40 (1.3k) 0.23 vs 0.21; 50 (1.7k) 0.35 vs 0.22; 100 (3.3k) 1.10 vs 0.74; 200 (6.6k) 4.8 vs 2.5
# (a loaded machine: the ratios, not the seconds). Below the threshold the difference is noise.
IPM_MIN_ROWS = 1200
# A cold LP solve by simplex (below IPM_MIN_ROWS) of the compiled model alone (no helper rows or
# columns: the first ideal; the utilitarian LP's where negotiate.start writes no basis, e.g. a
# two-level case) runs without HiGHS's presolve, unless the caller
# set presolve (diagnose does): on the increment form presolve removes little and costs more than
# it saves. Models with helpers keep HiGHS's default: Nash's tangent cuts start from the vertex
# presolve leads to, and where its optimum is flat in the issue values within the certified gap
# another start proposes another agreement (the README's EU table: BE and CZ 40 instead of 38).
# benchmarks/generate.py cases, the utilitarian LP, HiGHS 1.16, CPU seconds of run(), best of
# 3-5, presolve on (HiGHS's default) vs off, one 2-core machine under load 8:
# 5 parties (166 rows) 0.0039 vs 0.0020; 20 (661) 0.022 vs 0.014; 30 (991) 0.036 vs 0.028;
# 50 (1.7k) 0.077 vs 0.067 (IPM + crossover 0.073); 70 (2.3k) 0.134 vs 0.114 (IPM 0.123);
# 100 (3.3k) 0.24 vs 0.23 (IPM 0.18); 200 (6.6k) 0.95 vs 0.92 (IPM 0.47, without presolve 0.59).
# Hot re-solves start from the basis and never presolve.
COLD_SIMPLEX_PRESOLVE = "off"
# Kalai-Smorodinsky's first leximin round after the ideals starts cold (HighsBackend.start_cold:
# IPM + crossover) from this many rows; below it, hot from the last ideal's basis. CPU seconds
# of the whole leximin after primal ideals (its first round is the one that differs), hot vs
# cold, benchmarks/generate.py cases on the increment form, one 2-core machine under load 2-2.7
# (`python benchmarks/bench_thresholds.py --what ks --sizes ...`): 50 parties (1.7k rows)
# 0.14 vs 0.25; 100 (3.3k) 0.68 vs 0.80; 150 (5.0k) 1.70 vs 1.76-1.83; 200 (6.6k) 3.27-3.38
# vs 3.17-3.34; 400 (13.2k) 15.5 vs 14.1. (On the earlier hypograph form cold won from 4.5k
# rows, 20 parties: 200 parties, 45k rows, 8.5 vs 2.6 for the first round.)
START_COLD_MIN_ROWS = 6000
# The utilitarian LP from negotiate.start's basis runs the dual simplex with Devex edge weights (1)
# rather than HiGHS's default choice (dual steepest edge): a few more iterations, each cheaper.
# benchmarks/generate.py cases, CPU ms of the solve, median of 30/15/7/2 interleaved runs, one
# 2-core machine under load 2.2, default vs Devex (iterations): 5 parties 1.61 (127) vs 1.45 (125);
# 20 parties 7.15 (450) vs 6.07 (480); 50 parties 25.0 (1221) vs 20.8 (1248); 200 parties 255
# (4888) vs 182 (5117); Dantzig's pricing lost everywhere (200 parties 482 ms, 9391 iterations).
STARTED_DUAL_EDGE_WEIGHTS = 1
# The started utilitarian run of a model of fewer rows than this runs without HiGHS's own simplex
# scaling (simplex_scale_strategy 0, as `without_simplex_scaling`; the model reaches HiGHS scaled by
# powers of two already): HiGHS's equilibration on top costs its own set-up and, on small models,
# iterations. benchmarks/generate.py cases (seeds 0-5), CPU ms of the run, median of 300 / 60 /
# 15-30 / 3-10 interleaved runs, one 2-core machine under load 1-2, scaling off / default: 5 parties
# (166 rows) 0.82-0.99 (6 seeds, median 0.92; seed 0, the benchmarks' case, 0.984 vs 1.001 ms over
# 600 solves, 114 vs 125 iterations); 6 (199) 0.83-0.98; 7 (232) 0.87-1.05; 8 (265) 0.86-1.05;
# 9 (298) 0.87-0.98; 10 (331) 0.90-1.20; 12 (397) 0.92-1.01; 15 (496) 0.89-1.12; 20 (661) 0.95-0.96;
# 25 (826) 1.06-1.08; 30 (991) 0.94-1.03; 35 (1.2k) 1.06-1.24; 40 (1.3k) 1.05-1.30; 50 (1.7k) 1.27;
# 70 (2.3k) 1.34; 100 (3.3k) 1.51; 200 (6.6k, another run) 263 vs 186 ms. HiGHS's other scaling
# strategies (2-5) did no better than its default at 5 parties. The gain ends near 300 rows; the
# threshold is below that, at 180, for the shipped eu_effort_sharing_2030 (191 rows), where scaling
# off gains nothing (1.00) and its canonical utilitarian agreement (47 LPs on a flat optimum) moved
# by up to 2e-8 relative (reduction ES 40.00000008 to 40.0, finance ES/FR/IE in the 8th digit);
# asia_pacific_compact (61 rows) 0.95, its answer the same within 1e-9. A hot re-solve after the
# run (a what-if change) scales the LP afresh: 5 parties, a reservation raised, 79 iterations
# either way, 1.10 vs 1.03-1.05 ms. Re-measured from negotiate.start's landing estimate (10-100
# iterations below 20 parties), median of 40 / 10 / 4 interleaved runs, load 1-1.5, scaling off /
# default: 6 parties (199 rows, 3 seeds) 0.78-0.96; 7 (232) 0.78-0.81; 8 (265) 0.77-0.83; 10 (331)
# 0.80-1.00; 12 (397) 0.79; 15 (496) 0.72; 20 (661) 0.79; 30 (991) 0.81-1.03; 50 (1.7k) 0.85-1.29;
# 100 (3.3k) 0.88-1.18; 200 (6.6k) 1.45. The gain now reaches 20 parties, but with the threshold at
# 700 eu_effort_sharing_2030 (191 rows, 0.90 there) still moves beyond 1e-9 (finance ES -0.7043591719
# to -0.7043591565, reduction ES 40.00000008 to 40.0), with the cost perturbation on or off: 180 kept.
STARTED_UNSCALED_MAX_ROWS = 180
# The started run below STARTED_UNSCALED_MAX_ROWS (HiGHS's scaling off) also runs with HiGHS's dual
# cost perturbation off (dual_simplex_cost_perturbation_multiplier 0). From the landing estimate it
# takes few iterations, and where removing the perturbation at the end leaves a dual infeasibility
# HiGHS sets up the primal simplex to clean it up, a fixed cost of ~0.1 ms (5 parties, seed 0, the
# benchmarks' case: 15 iterations, the last the cleanup's, against 14). benchmarks/generate.py cases,
# CPU ms of the run, median of 30-100 interleaved runs, load 1-1.5, off / on (iterations):
# 5 parties seed 0 0.455 vs 0.549 (14 vs 15); seeds 6-8 0.93-0.95 (seed 8 31 vs 35 iterations); the
# other 16 of seeds 0-19 0.96-1.03 (median 0.99), seed 5 46 vs 45 iterations; 3 and 4 parties
# (100, 133 rows) 0.98-0.99; tests/test_canonical.py's random flat cases (seeds 0-7, 17-25 rows, ties
# everywhere) 0.97-1.01, 1-8 iterations either way; asia_pacific_compact (61 rows) 1.00. Not above
# the threshold: there it gains nothing on generated cases (10 / 20 / 50 / 100 / 200 parties
# 0.98-1.01 / 1.00 / 0.97-1.01 / 1.01 / 0.93, as many iterations) and on the degenerate
# eu_effort_sharing_2030 (191 rows, scaled) the dual simplex stalls: 1.18, 122 vs 95 iterations.
# Other options of the run's fixed part gained nothing at 5 parties (seeds 0, 1, 6; 0.96-1.01,
# the same iterations): simplex_unscaled_solution_strategy 0, simplex_price_strategy 1,
# simplex_update_limit 100000, max_dual_simplex_cleanup_level 0, simplex_max_concurrency 1,
# rebuild_refactor_solution_error_tolerance -1, no time limit.
STARTED_SMALL_COST_PERTURBATION = 0.0


class HighsBackend(Backend):
    name = "highs"
    capabilities = Capabilities(basis=True, mip_start=True, iis=True, deltas=True, scaling=True)

    def __init__(self, problem, time_limit: float | None = None, mip_gap: float = 1e-7,
                 threads: int | None = None, scaling: bool = True):
        super().__init__(problem, time_limit, mip_gap)
        h = self.h = new_highs()
        tol = self.tolerances
        if time_limit:
            h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("mip_feasibility_tolerance", tol.mip_feasibility)
        h.setOptionValue("primal_feasibility_tolerance", tol.primal_feasibility)
        h.setOptionValue("dual_feasibility_tolerance", tol.dual_feasibility)
        self.scaling = scaling
        n, m = problem.n_cols, problem.n_rows
        if scaling:
            cs, rs = model_scales(problem)
            vals = scaled_values(problem)  # kept with the scales (the compile's numbers check made them)
        else:
            cs, rs, vals = np.ones(n), np.ones(m), problem.values
        self._cs, self._rs = cs, rs  # per HiGHS position: x = cs * y, row i is multiplied by rs[i]
        h.addVars(n, _arr(problem.col_lb / cs), _arr(problem.col_ub / cs))
        if problem.col_int.any():
            ints = np.flatnonzero(problem.col_int)
            h.changeColsIntegrality(len(ints), ints.astype(np.int32),
                                    np.full(len(ints), highspy.HighsVarType.kInteger))
        if m:
            h.addRows(m, _arr(problem.row_lo * rs), _arr(problem.row_hi * rs), len(vals),
                      problem.indptr[:-1].astype(np.int32), problem.indices.astype(np.int32), vals)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self._cost = np.zeros(n)  # as HiGHS has it: scaled by the columns' scales and _obj_scale
        self._obj_scale = 1.0
        self._set_integers(problem.col_int.copy())
        self._lb, self._ub = problem.col_lb.astype(float), problem.col_ub.astype(float)  # (copies)
        # the Problem's columns and rows at HiGHS positions; helpers follow the model's positions
        self._col_at = np.arange(n)
        self._row_at = np.arange(m)
        self._in_place = True  # every model position is live and the Problem's own (see _to_problem)
        self._model_cols, self._model_rows = n, m  # HiGHS positions of the model (live or retired)
        self._ncols, self._nrows = n, m  # HiGHS positions in all, helpers included
        self.retired = 0  # retired rows and columns still held by HiGHS
        self._unscaled: set[int] = set()  # helper columns waiting for a row to measure them by
        self._has_basis = False  # after the first LP solve: hot re-solves by simplex
        self._as_built = scaling  # HiGHS's model columns and rows hold scaled_values(problem), as built

    # -- positions ------------------------------------------------------------
    @property
    def n_cols(self) -> int:
        return self.problem.n_cols + self._ncols - self._model_cols

    @property
    def n_rows(self) -> int:
        return self.problem.n_rows + self._nrows - self._model_rows

    # Built in place (`_in_place`), HiGHS's position of column j or row i is j or i itself, helpers'
    # included: read so, a 5-party utilitarian solve's dozen look-ups took 0.1 us each, not 0.4.
    def _c(self, j: int) -> int:
        if self._in_place:
            return int(j)
        n = self.problem.n_cols
        return int(self._col_at[j]) if j < n else self._model_cols + (j - n)

    def _r(self, i: int) -> int:
        if self._in_place:
            return int(i)
        m = self.problem.n_rows
        return int(self._row_at[i]) if i < m else self._model_rows + (i - m)

    def _cols_of(self, virtual: np.ndarray) -> np.ndarray:
        virtual = np.asarray(virtual, np.int64)
        if self._in_place:  # HiGHS's positions are the Problem's, helpers' included
            return virtual
        n = self.problem.n_cols
        return np.where(virtual < n, self._col_at[np.minimum(virtual, max(n - 1, 0))] if n else 0,
                        self._model_cols + virtual - n)

    def _to_problem(self, v: np.ndarray, at: np.ndarray, model: int) -> np.ndarray:
        """Values at HiGHS positions (`at`: the Problem's, `model` of them, helpers after) in the
        Problem's order: `v` itself where the positions are the Problem's (as built)."""
        return v if self._in_place else np.concatenate([v[at], v[model:]])

    # -- structure ----------------------------------------------------------------
    def add_cols(self, lb, ub, names, scale=None) -> list[int]:
        """Helper columns; one without a bound to measure it by takes its scale from the
        first row it appears in (a leximin level is in the units of the gains it bounds),
        unless the caller states it (`scale`: a Nash log-gain is about 1; scaled by its first
        tangent cut, HiGHS's scaled tolerance let every cut be overshot and the cuts stalled)."""
        first = self.n_cols
        lb, ub = np.asarray(lb, float), np.asarray(ub, float)
        if scale is not None:
            stated = _pow2(np.asarray(scale, float)) if self.scaling else np.ones(len(lb))
            self._append_cols(lb, ub, np.zeros(len(lb), bool), stated)
            return list(range(first, first + len(lb)))
        scale = column_scales(lb, ub, np.zeros(len(lb), bool)) if self.scaling else np.ones(len(lb))
        mag = np.maximum(np.where(np.isfinite(lb), np.abs(lb), 0.0), np.where(np.isfinite(ub), np.abs(ub), 0.0))
        pending = np.flatnonzero(mag == 0) if self.scaling else []
        scale[scale == 0] = 1.0
        at = self._ncols
        self._append_cols(lb, ub, np.zeros(len(lb), bool), scale)
        self._unscaled.update(at + int(k) for k in pending)
        return list(range(first, first + len(lb)))

    def _append_cols(self, lb, ub, integer, scale) -> None:
        k = len(lb)
        self.h.addVars(k, _arr(lb / scale), _arr(ub / scale))
        ints = np.flatnonzero(integer)
        if len(ints):
            self.h.changeColsIntegrality(len(ints), (self._ncols + ints).astype(np.int32),
                                         np.full(len(ints), highspy.HighsVarType.kInteger))
        self._ncols += k
        self._cost = np.concatenate([self._cost, np.zeros(k)])
        self._set_integers(np.concatenate([self._integer, integer]))
        self._lb = np.concatenate([self._lb, lb])
        self._ub = np.concatenate([self._ub, ub])
        self._cs = np.concatenate([self._cs, scale])

    def add_rows(self, rows) -> list[int]:
        if not rows:
            return []
        first = self.n_rows
        self._append_rows([({self._c(j): v for j, v in coefs.items()}, lo, hi) for coefs, lo, hi, _ in rows])
        return list(range(first, first + len(rows)))

    def _append_rows(self, rows: list[tuple[dict, float, float]]) -> None:
        """Rows given by HiGHS positions and unscaled coefficients; each scaled on its own. Helper
        columns still unscaled take their scale from the first of these rows they are in (set
        for every row before any is scaled: a helper's scale, once set, is not set again)."""
        if self._unscaled:
            for coefs, _, _ in rows:
                self._scale_helpers(coefs)
        starts = np.zeros(len(rows) + 1, np.int64)
        np.cumsum([len(coefs) for coefs, _, _ in rows], out=starts[1:])
        at = np.fromiter(itertools.chain.from_iterable(c for c, _, _ in rows), np.int64, int(starts[-1]))
        vals = np.fromiter(itertools.chain.from_iterable(c.values() for c, _, _ in rows), float, int(starts[-1]))
        self._add_scaled_rows(starts, at, vals, np.array([lo for _, lo, _ in rows], float),
                              np.array([hi for _, _, hi in rows], float))

    def _add_scaled_rows(self, starts: np.ndarray, at: np.ndarray, vals: np.ndarray, lo: np.ndarray,
                         hi: np.ndarray) -> None:
        """Rows whose entries are at HiGHS positions at[starts[i]:starts[i + 1]] with unscaled
        vals, given to HiGHS each scaled on its own: by the power of two nearest its largest
        scaled coefficient (1 without the model's scaling)."""
        k = len(starts) - 1
        scaled = vals * self._cs[at]
        big = _RowMax(starts)
        r = 1.0 / _pow2(big(np.abs(scaled))) if self.scaling else np.ones(k)
        self.h.addRows(k, _arr(lo * r), _arr(hi * r), len(at), starts[:-1].astype(np.int32),
                       at.astype(np.int32), scaled * np.repeat(r, big.lengths))
        self._nrows += k
        self._rs = np.concatenate([self._rs, r])

    def _scale_helpers(self, coefs: dict) -> None:
        """Give unscaled helper columns of this row the scale of its other entries (once: a
        column's scale is fixed by the first row it appears in, as rows already added hold
        their coefficients scaled by it)."""
        mine = [k for k in coefs if k in self._unscaled]
        known = [abs(v) * self._cs[k] for k, v in coefs.items() if k not in self._unscaled and v]
        if not mine:
            return
        if not known:  # a row of helpers only: they keep scale 1, which this row's coefficients now assume
            self._unscaled.difference_update(k for k in mine if coefs[k])
            return
        for k in mine:
            if coefs[k]:
                c = _pow2_one(max(known) / abs(coefs[k]))
                self._cs[k] = c
                lo, hi = self._lb[k], self._ub[k]
                self.h.changeColBounds(int(k), float(_arr(lo / c)), float(_arr(hi / c)))
                if self._cost[k]:
                    self.h.changeColCost(int(k), float(self._cost[k] * c))
                    self._cost[k] *= c
            self._unscaled.discard(k)

    def set_row_bounds(self, i, lo, hi) -> None:
        self._set_row_bounds_at(self._r(i), lo, hi)

    def _set_row_bounds_at(self, k: int, lo: float, hi: float) -> None:
        r = self._rs[k]
        self.h.changeRowBounds(int(k), float(_arr(lo * r)), float(_arr(hi * r)))

    def set_col_bounds(self, j, lo, hi) -> None:
        self._set_col_bounds_at(self._c(j), lo, hi)

    def _set_col_bounds_at(self, k: int, lo: float, hi: float) -> None:
        c = self._cs[k]
        self.h.changeColBounds(int(k), float(_arr(lo / c)), float(_arr(hi / c)))
        self._lb[k], self._ub[k] = lo, hi

    def col_bounds(self, j) -> tuple[float, float]:
        k = self._c(j)
        return float(self._lb[k]), float(self._ub[k])

    def is_integer(self, j) -> bool:
        return bool(self._integer[self._c(j)])

    def set_col_integer(self, j, integer) -> None:
        self._set_integer_at(self._c(j), integer)

    def _set_integer_at(self, k: int, integer: bool) -> None:
        if integer:
            self._unscale_col(k)  # HiGHS makes its own variable integer: x itself, not x / scale
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        self.h.changeColIntegrality(int(k), kind)
        self._integer[k] = integer
        self._set_integers(self._integer)

    def _unscale_col(self, k: int) -> None:
        """Give HiGHS position `k` the scale 1 (integer columns are never scaled)."""
        self._unscaled.discard(k)  # nor scaled later by the first row they appear in
        c = float(self._cs[k])
        if c == 1.0:
            return
        self._as_built = False
        _, rows, vals = self.h.getColEntries(int(k))
        for i, v in zip(rows, vals):
            self.h.changeCoeff(int(i), int(k), float(v) / c)
        self._cs[k] = 1.0
        self.h.changeColBounds(int(k), float(_arr(self._lb[k])), float(_arr(self._ub[k])))
        if self._cost[k]:
            self._cost[k] /= c
            self.h.changeColCost(int(k), float(self._cost[k]))

    def prefer_primal(self, primal: bool) -> None:
        # 4: primal simplex, which continues from a primal feasible basis; 1: dual (HiGHS's default).
        # Primal runs without HiGHS's random bound perturbation: on a hot continuation (leximin
        # rounds, ideals) its cleanup undid most of the work. Egalitarian rounds after the first,
        # benchmarks/generate.py, seconds in one run each, perturbed vs not: 100 parties (23k
        # rows) 11.1 s, 5215 iterations vs 3.1 s, 2751; 200 (45k rows) 106 s, 20041 iterations
        # vs 48 s, 12190 (a loaded machine); the same levels.
        self.h.setOptionValue("simplex_strategy", 4 if primal else 1)
        self.h.setOptionValue("primal_simplex_bound_perturbation_multiplier", 0.0 if primal else 1.0)

    _simplex_cold = False  # cold_by_simplex

    def cold_by_simplex(self, simplex: bool) -> None:
        # Leximin rounds (ConceptRunner._leximin_lp): the first round cold by HiGHS's dual simplex
        # rather than IPM + crossover halves the whole egalitarian solve, the later rounds
        # included (they continue from its vertex in fewer iterations). CPU seconds, one run each,
        # benchmarks/generate.py cases, simplex vs IPM: 50 parties (1.7k rows) 0.32 vs 0.56;
        # 100 (3.3k) 1.05 vs 1.93; 200 (6.6k) 4.5 vs 8.8 (first round 0.63 vs 1.78, 25.8k vs
        # 21.7k iterations in all); 400 (13.2k) 14.7 vs 34.2. Kalai-Smorodinsky, every cold
        # solve by simplex, 200 parties: 13.3 vs 13.4 (the ideals dominate).
        self._simplex_cold = simplex

    def start_cold(self, always: bool = False) -> None:
        # From START_COLD_MIN_ROWS rows (and only where the cold method is IPM + crossover,
        # IPM_MIN_ROWS; below it a cold solve is the same simplex from a worse start).
        if not self.is_mip() and (always or self.n_rows >= max(IPM_MIN_ROWS, START_COLD_MIN_ROWS)):
            self.h.clearSolver()
            self._has_basis = False

    def set_coef(self, i, j, value) -> None:
        self._set_coef_at(self._r(i), self._c(j), value)

    def _set_coef_at(self, k: int, q: int, value: float) -> None:
        self._as_built = False
        self.h.changeCoeff(int(k), int(q), float(value * self._rs[k] * self._cs[q]))

    def set_objective(self, coefs: dict) -> None:
        """Maximise sum(coefs[j] x_j); HiGHS sees it scaled to a largest cost near 1 (its
        optimality tolerance is absolute), and objective values and duals come back unscaled."""
        new = np.zeros(self._ncols)
        at = self._cols_of(np.fromiter(coefs, np.int64, len(coefs)))
        new[at] += np.fromiter(coefs.values(), float, len(coefs)) * self._cs[at]  # (distinct positions)
        big = np.abs(new[at]).max() if len(at) else 0.0  # (the other costs are 0)
        self._obj_scale = 1.0 / _pow2_one(big) if self.scaling else 1.0
        new *= self._obj_scale
        changed = np.flatnonzero(new != self._cost)
        if len(changed):
            self.h.changeColsCost(len(changed), changed.astype(np.int32), new[changed])
        self._cost = new

    def rollback(self, mark) -> None:
        cols, rows = mark
        self._truncate(self._c(cols) if cols < self.n_cols else self._ncols,
                       self._r(rows) if rows < self.n_rows else self._nrows)

    def _truncate(self, cols: int, rows: int) -> None:
        """Delete HiGHS positions from `cols` and `rows` on (helpers only)."""
        if self._nrows > rows:
            self.h.deleteRows(self._nrows - rows, np.arange(rows, self._nrows, dtype=np.int32))
            self._nrows = rows
            self._rs = self._rs[:rows]
        if self._ncols > cols:
            self.h.deleteCols(self._ncols - cols, np.arange(cols, self._ncols, dtype=np.int32))
            self._ncols = cols
            self._cost = self._cost[:cols]
            self._set_integers(self._integer[:cols])
            self._lb, self._ub = self._lb[:cols], self._ub[:cols]
            self._cs = self._cs[:cols]
            self._unscaled = {k for k in self._unscaled if k < cols}

    def is_mip(self) -> bool:
        return self._mip

    def _set_integers(self, integer: np.ndarray) -> None:
        """The integer flags of HiGHS's positions, and whether any is set: `is_mip` is asked six
        times in a 5-party utilitarian solve, 0.8 us each as `.any()`."""
        self._integer = integer
        self._mip = bool(integer.any())

    # -- deltas ---------------------------------------------------------------------
    def apply(self, delta) -> None:
        """Bring the live model to `delta.new` (see negotiate.delta)."""
        old, new = self.problem, delta.new
        self._as_built = False  # (`new`'s own scaled values are not those HiGHS holds)
        if not delta.structural and new.col_names is old.col_names and new.row_names is old.row_names:
            self._apply_in_place(delta)
            return
        self._truncate(self._model_cols, self._model_rows)  # helpers go: they belong to `old`
        col_at = {name: int(self._col_at[j]) for name, j in old.col_index.items()}
        row_at = {name: int(self._row_at[i]) for name, i in old.row_index.items()}
        for name in delta.retired_rows:
            k = row_at.pop(name)
            self.h.changeRowBounds(k, -_HINF, _HINF)
        for name in delta.retired_cols:
            k = col_at.pop(name)
            self._set_col_bounds_at(k, 0.0, 0.0)
            if self._integer[k]:
                self._set_integer_at(k, False)
            if self._cost[k]:
                self.h.changeColCost(k, 0.0)
                self._cost[k] = 0.0
        self.retired += len(delta.retired_rows) + len(delta.retired_cols)
        if delta.added_cols:
            js = np.array([new.col_index[n] for n in delta.added_cols])
            lb, ub, integer = new.col_lb[js], new.col_ub[js], new.col_int[js]
            scale = np.ones(len(js))
            if self.scaling:
                scale = column_scales(lb, ub, integer)
                scale[scale == 0] = self._free_column_scale(new, js)[scale == 0]
            first = self._ncols
            self._append_cols(lb, ub, integer, scale)
            col_at.update((n, first + k) for k, n in enumerate(delta.added_cols))
        if delta.added_rows:
            first = self._nrows
            rows = []
            for name in delta.added_rows:
                cols, vals = new.row(new.row_index[name])
                rows.append(({col_at[new.col_names[j]]: float(v) for j, v in zip(cols, vals)},
                             float(new.row_lo[new.row_index[name]]), float(new.row_hi[new.row_index[name]])))
            self._append_rows(rows)
            row_at.update((n, first + k) for k, n in enumerate(delta.added_rows))
        self._model_cols, self._model_rows = self._ncols, self._nrows
        for name, (lo, hi) in delta.col_bounds.items():
            self._set_col_bounds_at(col_at[name], lo, hi)
        for name, integer in delta.col_integer.items():
            self._set_integer_at(col_at[name], integer)
        for name, (lo, hi) in delta.row_bounds.items():
            self._set_row_bounds_at(row_at[name], lo, hi)
        for (rname, cname), v in delta.coefficients.items():
            if rname in row_at and cname in col_at:
                self._set_coef_at(row_at[rname], col_at[cname], v)
        self._col_at = np.fromiter((col_at[n] for n in new.col_names), np.int64, new.n_cols)
        self._row_at = np.fromiter((row_at[n] for n in new.row_names), np.int64, new.n_rows)
        self._in_place = (np.array_equal(self._col_at, np.arange(self._model_cols))
                          and np.array_equal(self._row_at, np.arange(self._model_rows)))
        self.problem = new

    def _apply_in_place(self, delta) -> None:
        """A delta of bounds and coefficients between two models of the same rows and columns
        (a what-if change that reshapes nothing): each written where it is, nothing renumbered."""
        old = self.problem
        self._truncate(self._model_cols, self._model_rows)  # helpers go: they belong to `old`
        cols, rows = old.col_index, old.row_index
        for name, (lo, hi) in delta.col_bounds.items():
            self._set_col_bounds_at(int(self._col_at[cols[name]]), lo, hi)
        for name, integer in delta.col_integer.items():
            self._set_integer_at(int(self._col_at[cols[name]]), integer)
        for name, (lo, hi) in delta.row_bounds.items():
            self._set_row_bounds_at(int(self._row_at[rows[name]]), lo, hi)
        for (rname, cname), v in delta.coefficients.items():
            self._set_coef_at(int(self._row_at[rows[rname]]), int(self._col_at[cols[cname]]), v)
        self.problem = delta.new

    def _free_column_scale(self, new, js: np.ndarray) -> np.ndarray:
        """Scales of added free columns (utilities): from the other columns of their rows."""
        out = np.ones(len(js))
        want = {int(j): k for k, j in enumerate(js)}
        for i in range(new.n_rows):
            cols, vals = new.row(i)
            hit = [(want[int(j)], abs(v)) for j, v in zip(cols, vals) if int(j) in want]
            if not hit:
                continue
            known = [abs(v) * self._scale_of(new, int(j)) for j, v in zip(cols, vals) if int(j) not in want]
            if known:
                for k, a in hit:
                    if a > 0:
                        out[k] = max(out[k], _pow2_one(max(known) / a))
        return out

    def _scale_of(self, new, j: int) -> float:
        name = new.col_names[j]
        old = self.problem.col_index.get(name)
        if old is not None:
            return float(self._cs[self._col_at[old]])
        lb, ub = new.col_lb[j], new.col_ub[j]
        mag = max(abs(v) for v in (lb, ub) if math.isfinite(v)) if (math.isfinite(lb) or math.isfinite(ub)) else 1.0
        return _pow2_one(mag)

    # -- solving --------------------------------------------------------------------
    def _cold_ipm(self) -> bool:
        """Whether this solve runs IPM + crossover (see IPM_MIN_ROWS)."""
        return not self._has_basis and not self.is_mip() and self.n_rows >= IPM_MIN_ROWS and not self._simplex_cold

    def _cold_bare_lp(self) -> bool:
        """Whether this solve is a cold LP on the compiled model alone, no helper rows or columns
        (utilitarian's, an ideal's first): see COLD_SIMPLEX_PRESOLVE."""
        return (not self._has_basis and not self.is_mip() and self._ncols == self._model_cols
                and self._nrows == self._model_rows)

    def _run(self) -> None:
        h = self.h
        limit = self.effective_time_limit()
        h.setOptionValue("time_limit", float(limit) if limit else highspy.kHighsInf)
        if self._started_utilitarian():  # dual simplex from the written basis (HiGHS does not presolve from a basis)
            self._run_with(self._started_options())
        elif self._cold_ipm():
            self._run_with({"solver": "ipm", "run_crossover": "on"})
        elif self._cold_bare_lp() and h.getOptionValue("presolve")[1] == "choose":
            self._run_with({"presolve": COLD_SIMPLEX_PRESOLVE})
        else:
            h.run()  # hot: HiGHS starts from the basis, without presolve

    def _started_options(self) -> dict:
        """HiGHS's options for the started utilitarian run: Devex edge weights
        (STARTED_DUAL_EDGE_WEIGHTS), and below STARTED_UNSCALED_MAX_ROWS rows where the model
        reaches HiGHS scaled, HiGHS's own scaling and its dual cost perturbation off
        (STARTED_SMALL_COST_PERTURBATION; a backend built without scaling keeps HiGHS's both)."""
        options = {"simplex_dual_edge_weight_strategy": STARTED_DUAL_EDGE_WEIGHTS}
        if self.n_rows < STARTED_UNSCALED_MAX_ROWS and self.scaling:
            options.update(self._simplex_scaling_off(),
                           dual_simplex_cost_perturbation_multiplier=STARTED_SMALL_COST_PERTURBATION)
        return options

    def _started_utilitarian(self) -> bool:
        """A cold LP on the compiled model alone whose objective weighs every utility (utilitarian),
        HiGHS's presolve not set by the caller: given the dual feasible basis of negotiate.start
        (True), which beats both a cold dual simplex and IPM + crossover at every size measured
        (5 to 200 parties: the numbers are in negotiate.start)."""
        from negotiate.start import utilitarian_start

        if not self._cold_bare_lp() or self.retired or self.h.getOptionValue("presolve")[1] != "choose":
            return False
        p = self.problem
        if not self._in_place or self._ncols != p.n_cols or self._nrows != p.n_rows:
            return False  # HiGHS's positions are the Problem's, and no helper is there
        start = utilitarian_start(p, self._cost / self._cs)
        if start is None:
            return False
        return self.h.setBasis(self._written_basis(*start)) == highspy.HighsStatus.kOk

    @staticmethod
    def _written_basis(col_status: np.ndarray, row_status: np.ndarray) -> highspy.HighsBasis:
        """A HighsBasis of negotiate.start's statuses (LOWER, BASIC, UPPER), not alien: HiGHS takes
        it as it is, where setBasis factorises an alien basis to check its rank (and scales the LP,
        which the run does otherwise) and throws that factorisation away before the run makes its
        own: 0.03 ms of the 1.3 ms solve at 5 parties, 0.06 of 6 ms at 20 (the written basis is
        nonsingular: tests/test_start_basis.py). The enums come from a table by numpy's indexing
        (25 us at 5 parties, 35 converting each status in Python)."""
        status = np.array((highspy.HighsBasisStatus.kLower, highspy.HighsBasisStatus.kBasic,
                           highspy.HighsBasisStatus.kUpper), dtype=object)
        basis = highspy.HighsBasis()
        basis.col_status = status[col_status].tolist()
        basis.row_status = status[row_status].tolist()
        basis.alien = False
        basis.valid = True
        return basis

    @contextmanager
    def _options(self, options: dict):
        """HiGHS's `options` set for the body, each given back its value after (not HiGHS's
        default: a caller's setting, such as diagnose's presolve off, must outlive the body)."""
        kept = self._values_of(options)
        try:
            self._set_options(options)
            yield
        finally:
            self._set_options(kept)

    def _values_of(self, options) -> dict:
        """HiGHS's values of the options named, to give back after the body."""
        return {k: self.h.getOptionValue(k)[1] for k in options}

    def _set_options(self, options: dict) -> None:
        for k, v in options.items():
            self.h.setOptionValue(k, v)

    def _run_with(self, options: dict) -> None:
        """One run with `options` set, each given back its value after (as `_options` does,
        without a generator's context: a few us of a 5-party solve's run)."""
        kept = self._values_of(options)
        try:
            self._set_options(options)
            self.h.run()
        finally:
            self._set_options(kept)

    def _solve(self) -> LPResult:
        h = self.h
        t0 = time.perf_counter()
        self._run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            status = self._infeasible_or_unbounded()
        if status == highspy.HighsModelStatus.kUnknown and not self.is_mip():
            status = self._retry_unknown()
        seconds = time.perf_counter() - t0
        S = highspy.HighsModelStatus
        feasible = h.getInfoValue("primal_solution_status")[1] == 2  # kSolutionStatusFeasible
        if status == S.kOptimal:
            kind = "optimal"
        elif status == S.kInfeasible:
            # Simplex proves infeasibility from a basis (dual simplex: its dual ray's), and HiGHS
            # keeps it valid: the next solve continues hot from it, as from an optimum (any valid
            # basis is a sound start; only the path differs). Without this a diagnosis's deletion
            # filter ran IPM on every check of a large LP until the first feasible one.
            if not self.is_mip() and h.getBasis().valid:
                self._has_basis = True
            return LPResult("infeasible", seconds=seconds)
        elif status == S.kUnbounded:
            return LPResult("unbounded", seconds=seconds, message="the objective is unbounded")
        elif status in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt,
                        S.kObjectiveBound, S.kObjectiveTarget):
            kind = "limit"
        else:
            return LPResult("error", seconds=seconds, message=h.modelStatusToString(status))
        if not feasible:
            return LPResult(kind if kind == "limit" else "error", seconds=seconds,
                            message=h.modelStatusToString(status))
        sol = h.getSolution()
        x = _floats(sol.col_value)
        x *= self._cs
        x = self._to_problem(x, self._col_at, self._model_cols)
        duals = None
        mip = self.is_mip()
        if not mip and kind == "optimal":
            self._has_basis = True
        if not mip and sol.dual_valid:
            duals = _floats(sol.row_dual)
            duals *= self._rs
            duals /= self._obj_scale
            duals = self._to_problem(duals, self._row_at, self._model_rows)
        objective = h.getInfoValue("objective_function_value")[1] / self._obj_scale
        gap = None
        if mip:
            gap = float(h.getInfoValue("mip_gap")[1])
            gap = gap if math.isfinite(gap) else None
        return LPResult(kind, x, duals, objective, seconds, h.modelStatusToString(status), gap)

    def solve_capped(self, max_iterations: int) -> LPResult | None:
        """A solve that gives up after `max_iterations` simplex iterations (None), the option
        given back after. A count, not a time: the same solve gives up alike on every machine."""
        with self._options({"simplex_iteration_limit": int(max_iterations)}):
            result = self.solve()
            capped = self.h.getModelStatus() == highspy.HighsModelStatus.kIterationLimit
        return None if capped else result

    def _infeasible_or_unbounded(self):
        """An LP HiGHS calls "infeasible or unbounded" (a presolve verdict, or simplex's when
        allow_unbounded_or_infeasible is set), solved again without presolve and with that
        distinction asked for. The options are given back as they were, not set to HiGHS's
        defaults: diagnose.conflicting_set runs its checks with presolve off, and a session's
        later solves must run as they did before (warm as cold)."""
        self._run_with({"presolve": "off", "allow_unbounded_or_infeasible": False})
        return self.h.getModelStatus()

    def _retry_unknown(self):
        """An LP HiGHS ends without a verdict ("Unknown"), solved again: by HiGHS's default dual
        simplex from the same basis, then cold. Seen on a hot primal continuation without bound
        perturbation (prefer_primal): an ideal of benchmarks/generate.py's 50-party case (P044)."""
        h = self.h
        with self._options({"simplex_strategy": 1, "primal_simplex_bound_perturbation_multiplier": 1.0}):
            h.run()
            if h.getModelStatus() == highspy.HighsModelStatus.kUnknown:
                h.clearSolver()
                h.run()
        return h.getModelStatus()

    def set_start(self, x: np.ndarray) -> None:
        """A MIP start (a feasible agreement found earlier), in the Problem's columns."""
        if len(x) != self.n_cols:
            return
        y = np.zeros(self._ncols)
        y[self._cols_of(np.arange(len(x)))] = np.asarray(x, float)
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, y / self._cs))
        sol.value_valid = True
        self.h.setSolution(sol)

    def get_basis(self):
        basis = self.h.getBasis()
        return basis if basis.valid else None

    def set_basis(self, basis) -> None:
        if basis is not None:
            self.h.setBasis(basis)

    # A reduced cost this small (HiGHS's scaled units: objective and columns near 1) is a flat direction.
    FLAT_REDUCED_COST = 1e-7
    # An entry of a flat direction's tableau column this small (scaled units) moves no column asked about.
    FLAT_MOVE = 1e-10
    # Flat directions followed (one FTRAN each) before giving up the proof (the caller then probes the
    # face with two hot LPs). An FTRAN costs 0.025 ms at 20 parties and 0.2-0.25 ms at 200
    # (benchmarks/generate.py, 661 and 6.6k rows), a probe LP 8-12 ms at 200: 100 directions cost
    # about the two probes, and both grow with the model. The utilitarian optimum at 200 parties
    # has 13 (a score curve flat beyond the point where its argument sits); at 800, fewer than 50.
    MAX_FLAT_DIRECTIONS = 100

    def unique_optimum(self, cols=None) -> bool:
        """Whether the last LP's optimum is the only one in the values of `cols` (every column
        when None). Its optimal face is the feasible points complementary to the duals: the
        nonbasic columns and rows with a nonzero reduced cost stay at their bounds, so the face
        moves only along the nonbasic ones that are flat (reduced cost about 0) and can move
        (not fixed, not equalities), each carrying the basic variables along its tableau column
        B^-1 a_j. The optimum is unique in `cols` when no flat direction moves one of them: none
        of `cols` is itself a flat nonbasic, and no flat direction's tableau column has an entry
        on a basic one (a curve's fill column with a flat score, whose only entry is its
        position row's slack, moves no issue). A sufficient test: False means not proved."""
        h = self.h
        if self.is_mip() or h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        sol = h.getSolution()
        if not h.getBasis().valid or not sol.dual_valid:
            return False
        if not hasattr(h, "getBasicVariables"):  # highspy < 1.10: not proved, the probes decide
            return False
        status, basic = h.getBasicVariables()
        if status != highspy.HighsStatus.kOk:
            return False
        basic = np.asarray(basic, np.int64)
        row_dual = _floats(sol.row_dual)
        flat_col = np.abs(self._reduced_costs(sol, row_dual)) <= self.FLAT_REDUCED_COST
        flat_col[basic[basic >= 0]] = False  # the nonbasic ones only
        flat_row = np.abs(row_dual) <= self.FLAT_REDUCED_COST
        flat_row[-1 - basic[basic < 0]] = False
        flat_cols = np.flatnonzero(flat_col & (self._ub > self._lb))
        flat_rows = np.flatnonzero(flat_row)
        if len(flat_rows):
            _, _, lo, hi, _ = h.getRows(len(flat_rows), flat_rows.astype(np.int32))
            flat_rows = flat_rows[np.asarray(hi) > np.asarray(lo)]  # an equality row's slack cannot move
        if not len(flat_cols) and not len(flat_rows):
            return True  # dual nondegenerate: the optimum is the only one in every column
        if cols is None or len(flat_cols) + len(flat_rows) > self.MAX_FLAT_DIRECTIONS:
            return False
        asked = self._cols_of(np.asarray(list(cols), np.int64))
        if np.isin(asked, flat_cols).any():
            return False  # a column asked about is itself free to move along the face
        watched = np.zeros(len(basic), bool)  # the basis positions of the basic columns asked about
        where = np.full(self._ncols, -1, np.int64)
        where[basic[basic >= 0]] = np.flatnonzero(basic >= 0)
        at = where[asked]
        watched[at[at >= 0]] = True
        if not watched.any():
            return True
        directions = [(h.getReducedColumnSparse, int(k)) for k in flat_cols]
        directions += [(h.getBasisInverseColSparse, int(i)) for i in flat_rows]
        for tableau_column, k in directions:
            status, values, nnz, index = tableau_column(k)
            if status != highspy.HighsStatus.kOk:
                return False
            index = np.asarray(index[:nnz], np.int64)
            moved = index[watched[index]]
            if len(moved) and (np.abs(np.asarray(values)[moved]) > self.FLAT_MOVE).any():
                return False
        return True

    def _reduced_costs(self, sol, row_dual: np.ndarray) -> np.ndarray:
        """The last LP's reduced costs at HiGHS's positions (its scaled units), c - A'y from its
        `row_dual` (y) on the matrix as built where HiGHS holds that one (no helper, no coefficient
        changed), else HiGHS's own (`sol`'s). HiGHS gives them as a Python list: 21 us to an array
        at 5 parties (benchmarks/generate.py, 1.1k columns), against 12 us so (166 rows); the two
        agree to 2e-16 there, FLAT_REDUCED_COST being 1e-7 (tests/test_unique_optimum.py)."""
        if not self._as_built or self._ncols != self._model_cols or self._nrows != self._model_rows:
            return _floats(sol.col_dual)
        kept = _kept(self.problem)  # (each entry's row dual by np.repeat: no gather over the entries' rows)
        return _reduced(self._cost, self.problem.indices, kept.values, np.repeat(row_dual, kept.lengths))

    def infeasible_subset(self) -> tuple[list[int], list[int]] | None:
        """HiGHS's irreducible infeasible subset: (rows, columns) in the Problem's indices."""
        try:
            self.h.setOptionValue("iis_strategy", 4)
            self.set_objective({})
            self.h.run()
            _, iis = self.h.getIis()
            if not iis.valid_:
                return None
        except (AttributeError, RuntimeError, TypeError):  # an older HiGHS without IIS support
            return None
        row_of = {int(k): i for i, k in enumerate(self._row_at)}
        col_of = {int(k): j for j, k in enumerate(self._col_at)}
        return ([row_of[int(k)] for k in np.asarray(iis.row_index_, int) if int(k) in row_of],
                [col_of[int(k)] for k in np.asarray(iis.col_index_, int) if int(k) in col_of])

    def solver_info(self) -> tuple[str, str]:
        return "highs", f"{self.h.versionMajor()}.{self.h.versionMinor()}.{self.h.versionPatch()}"

    # -- a start from a primal-dual point (Nash after the cone program) ------------------------
    # A dual this small (HiGHS's scaled units: objective, rows and columns near 1) is taken as 0,
    # and a column this close to the bound its reduced cost points to is put on that bound.
    # The bound's distance: an interior point stops short of its bounds by about its own accuracy,
    # and a column left off its bound is one crossover has to push (and it then ends far from
    # optimal). Simplex iterations of the first Nash cut LP after crossover from Clarabel's point
    # (Clarabel's tolerances 3e-5, benchmarks/generate.py 30 criteria x 10 points, seeds 0-2),
    # this at 1e-5 / 1e-4 / 1e-3 / 1e-2: 50 parties 927-1040 / 6-54 / 3-9 / 26-86; 200 parties
    # 4.5k-4.9k / 228-351 / 32-48 / 320-677. At Clarabel's default tolerances (1e-8) 1e-7 took
    # 4957 iterations at 200 parties, seed 2 (1.3 s of the Nash's 1.3), 1e-3 took 24.
    START_DUAL_TOL = 1e-9
    START_BOUND_TOL = 1e-3

    def start_from_point(self, x: np.ndarray, row_dual: np.ndarray) -> bool:
        """Start the next LP solve from the nearly optimal primal-dual point (x, row_dual) of the
        objective set (the Problem's columns and rows, helpers included; duals as LPResult
        gives them): IPX crossover from it gives a basis, so that solve is a hot simplex instead
        of a cold IPM. The point is first made complementary as crossover requires (a dual is
        kept only where its column is put on its bound, or its row is an equality or at or past
        its one bound). True when crossover gave a basis; else nothing is changed for the solve."""
        if self.is_mip() or len(x) != self.n_cols or len(row_dual) != self.n_rows:
            return False
        h = self.h
        self._setup_lp()
        lp = h.getLp()
        rows_of, cols_of, vals = self._matrix(lp)

        def times(v):  # A @ v
            return np.bincount(rows_of, weights=vals * v[cols_of], minlength=self._nrows)
        lb, ub = np.asarray(lp.col_lower_, float), np.asarray(lp.col_upper_, float)
        lo, hi = np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float)
        xs = np.zeros(self._ncols)
        xs[self._cols_of(np.arange(len(x)))] = np.asarray(x, float)
        xs = np.clip(xs / self._cs, lb, ub)
        y = np.zeros(self._nrows)
        rows = np.concatenate([self._row_at, np.arange(self._model_rows, self._nrows)])
        y[rows] = np.asarray(row_dual, float) * self._obj_scale / self._rs[rows]
        act = times(xs)
        one_up, one_down = np.isinf(lo) & np.isfinite(hi), np.isfinite(lo) & np.isinf(hi)
        keep = (lo == hi) | ((y > 0) & one_up & (act >= hi)) | ((y < 0) & one_down & (act <= lo))
        y[(np.abs(y) <= self.START_DUAL_TOL) | ~keep] = 0.0
        z = _reduced(np.asarray(lp.col_cost_, float), cols_of, vals, y[rows_of])
        z[np.abs(z) <= self.START_DUAL_TOL] = 0.0
        near = self.START_BOUND_TOL * np.maximum(1.0, np.abs(xs))
        to_ub, to_lb = (z > 0) & (ub - xs <= near), (z < 0) & (xs - lb <= near)
        xs[to_ub], xs[to_lb] = ub[to_ub], lb[to_lb]
        z[~(to_ub | to_lb) & (lb != ub)] = 0.0
        sol = highspy.HighsSolution()
        sol.col_value, sol.col_dual = xs.tolist(), z.tolist()
        sol.row_value, sol.row_dual = times(xs).tolist(), y.tolist()
        sol.value_valid = sol.dual_valid = True
        status = h.crossover(sol)
        if status == highspy.HighsStatus.kError or not h.getBasis().valid:
            h.clearSolver()
            return False
        self._has_basis = True
        return True

    def _setup_lp(self) -> None:
        """HiGHS 1.16's crossover reads solver data that only a run sets up (without one it
        crashed the process): a run that stops before its first iteration."""
        self._run_with({"simplex_iteration_limit": 0, "presolve": "off", "solver": "simplex"})

    @staticmethod
    def _matrix(lp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The LP's constraint matrix (HiGHS's scaled units) as its entries' rows, columns and
        values (numpy alone: importing scipy.sparse costs 0.16 s, more than a small Nash)."""
        a = lp.a_matrix_
        start = np.asarray(a.start_, np.int64)
        end = int(start[-1])
        major = entry_rows(start)
        minor, value = np.asarray(a.index_, np.int64)[:end], np.asarray(a.value_, float)[:end]
        if a.format_ == highspy.MatrixFormat.kRowwise:
            return major, minor, value
        return minor, major, value

    def model_col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The live bounds of the Problem's columns (what col_bounds gives, for all at once)."""
        return self._lb[self._col_at].copy(), self._ub[self._col_at].copy()

    def start_afresh(self) -> None:
        """HiGHS's state as just built on the live model: the same LP given to it again, so that
        nothing of earlier solves steers the next ones (not the basis, nor what clearSolver()
        keeps: after it, a Nash that other solves preceded still took a simplex path other than
        a new backend's from the same crossover start). 1-3 ms at 200 parties. An LP only: a
        MIP keeps its start."""
        if self.is_mip():
            return
        self.h.passModel(self.h.getLp())
        self._has_basis = False

    def add_rows_arrays(self, starts, cols, vals, lo, hi) -> list[int]:
        """Rows as add_rows makes them (each scaled on its own by its largest scaled coefficient),
        given as arrays: row i's entries are cols[starts[i]:starts[i + 1]] (Problem columns and
        helpers) and their vals. For many rows at once: Nash's 2.2k tangent cuts at 200 parties
        took 20 ms as dicts, about 2 ms so. A row on a helper column still unscaled goes by
        add_rows (its scale is set by the first row it appears in)."""
        starts = np.asarray(starts, np.int64)
        cols, vals = np.asarray(cols, np.int64), np.asarray(vals, float)
        k = len(starts) - 1
        if k <= 0:
            return []
        at = self._cols_of(cols)
        if self._unscaled and not self._unscaled.isdisjoint(at.tolist()):
            return self.add_rows([(dict(zip(cols[a:b].tolist(), vals[a:b].tolist())), float(lo[i]), float(hi[i]), "")
                                  for i, (a, b) in enumerate(itertools.pairwise(starts))])
        first = self.n_rows
        self._add_scaled_rows(starts, at, vals, np.asarray(lo, float), np.asarray(hi, float))
        return list(range(first, first + k))

    @contextmanager
    def without_simplex_scaling(self):
        """HiGHS's own scaling of the simplex LP off for the body (simplex_scale_strategy 0), the
        caller's setting given back after: the model reaches HiGHS scaled already (powers of two,
        `model_scales`), and on the hot chains of Kalai-Smorodinsky (ConceptRunner.ideals and the
        leximin after them) HiGHS's equilibration on top cost iterations. Measured there
        (ConceptRunner.kalai_smorodinsky). A backend built without its own scaling keeps HiGHS's."""
        with self._options(self._simplex_scaling_off()):
            yield

    def _simplex_scaling_off(self) -> dict:
        """The option that turns HiGHS's own simplex scaling off where the model reaches it scaled
        by our powers of two (none on a backend built without them: HiGHS's is then the only one)."""
        return {"simplex_scale_strategy": 0} if self.scaling else {}

    def model_row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The live bounds of the Problem's rows (unscaled: the scales are powers of two, so they
        are given back exactly)."""
        lp = self.h.getLp()
        at = self._row_at
        rs = self._rs[at]
        return np.asarray(lp.row_lower_, float)[at] / rs, np.asarray(lp.row_upper_, float)[at] / rs
