"""Nash bargaining as one exponential-cone program, solved by Clarabel on sparse matrices.

    maximise  sum_p w_p t_p   subject to  the compiled model's rows and bounds,
              (t_p, 1, (u_p - d_p) / s_p) in K_exp  (i.e. exp(t_p) <= (u_p - d_p) / s_p)

for the parties that can gain; t_p is then log(u_p - d_p) - log(s_p), which
moves the objective by a constant only. The model is read generically from
the compiled Problem's CSR arrays (no row or column is recognised by name),
so any formulation of the score curves is handled alike.

Why an earlier attempt did not converge at 200 parties, and what is done here
(measured with Clarabel 0.11 on benchmarks/generate.py cases, 30 criteria x 10
points, 200 parties: 44.7k rows, 6.4k columns, 57k nonnegative-cone rows after
the bounds, 201 equality rows, 200 exponential cones; iterations, seconds):
- the model as compiled (no scaling of our own) stops with InsufficientProgress
  after 4 iterations: the line search finds no step (step length 0) while the
  residuals are still 1e-2. Rows and columns mix magnitudes (issue ranges of 60,
  a price of 100, scores near 1, emissions-weighted sums) that Clarabel's Ruiz
  equilibration (bounded to [1e-4, 1e4]) does not bring together. Turning its
  equilibration off happened to solve (44 iterations, 1.1 s), but larger
  regularisation (1e-7), smaller steps (0.9), more equilibration passes or wider
  equilibration bounds each failed again (InsufficientProgress at 4-32);
- scaled here first by the HiGHS backend's powers of two (negotiate.backends.
  scaling: a column by its bounds, a free one by its rows, a row by its largest
  scaled coefficient), each gain by its party's utility scale and the party
  weights by the largest (weights of 1e8 stopped it too), with Clarabel's
  equilibration on: Solved in 31 iterations, 0.3-0.5 s, and Solved with each of
  the settings above (29-33 iterations); scaled but not equilibrated fails
  (InsufficientProgress at 6) unless the step fraction is 0.9 (33 iterations);
- fixed columns (lb == ub) are substituted into the right-hand side, empty rows
  and rows with no finite bound are dropped, a ranged row becomes two one-sided
  rows, an equality row a zero-cone row, and column bounds rows of the
  nonnegative cone (Clarabel has no bounds of its own); Clarabel's presolve
  (which drops infinite rows) then changes nothing measurable (0.29 s off,
  31 iterations either way);
- sizes 5, 20, 50 and 100 parties, 3 random cases each: the default settings
  solved 11 (20-46 iterations) and stopped AlmostSolved on one (20 parties:
  still a good seed, accepted); a step fraction of 0.9 solved that one and
  failed on another (100 parties, InsufficientProgress), so the two are tried
  in turn (CLARABEL_RETRIES) before the cut path takes over.
The point Clarabel returns is not the proposal: negotiate.formulation.concepts
puts tangent cuts at its gains into the LP and solves that, so the agreement is
a vertex that verify() accepts and the gap is certified the same way as the
cut path's. Clarabel's duals of the model's rows come back too (`row_dual`, in
the units of sum(w log gain)): with them and its point the cut LP is started by
crossover instead of a cold solve (HighsBackend.start_from_point).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from negotiate.backends.scaling import _pow2, _pow2_one, scale_model
from negotiate.sparse import entry_rows

# Clarabel settings. Its tolerances are looser than its defaults (1e-8): the point only seeds the
# tangent cuts, whose LP certifies the gap (NASH_TOL), so Clarabel's slow last iterations buy
# nothing the LP does not redo. Iterations and Nash CPU seconds end to end, benchmarks/generate.py
# 200 parties x 30 criteria x 10 points, seeds 0-2, with the crossover start (HighsBackend.
# START_BOUND_TOL 1e-3), one run each, load 1-2 (faer, see below): at 1e-8 31-38
# iterations, 0.64-0.75 s; 1e-5 21-24, 0.52-0.64 (4 LPs); 3e-5 16-19, 0.44-0.53 (4-5 LPs);
# 1e-4 16-18, 0.46-0.67 (4-14 LPs: the cut LP's rounds stalled near the gap, each round 30-60
# ms, about four Clarabel iterations); 1e-2 13, 1.2 (the crossover then ended 5k simplex
# iterations away). With the cut seeds widened (concepts.CONIC_SEEDS) and the canonical probes
# proved away, 3e-5 vs 5e-5 vs 1e-4 (gap; feasibility 3e-5), best of 2: 0.35-0.38 vs 0.33-0.41
# vs 0.34-0.56 s (1e-4: 10-12 LPs on two of the three).
# At 1e-8, 1e-10 stopped AlmostSolved after 50 iterations (0.74 s). Every run certified the
# same gap (below NASH_TOL) and the same utilities within sqrt(gap) (7e-5).
# The faer direct solver instead of Clarabel's own qdldl: at 1e-8 fewer iterations (200 parties
# 30-38 vs 37-40; 50 parties 19-30 vs 26-39); at 3e-5, setup and solve, seeds 0-4, iterations
# and CPU seconds: 200 parties 16-19, 0.24-0.29 vs 16-22, 0.24-0.29, and the whole Nash
# 0.37-0.47 vs 0.37-0.49 (2, 2, 2, 2, 3 LPs vs 2, 2, 2, 3, 3: a point further off costs a cut
# round); 100 parties 17-23, 0.11-0.14 vs 16-19, 0.10-0.11; 50 parties 14-18, 0.043-0.058 vs
# 14-17, 0.040-0.046. Faer for the large cases the cone program is for; one thread, so that the
# point (and a warm answer) does not depend on how threads are scheduled.
# Equilibration on (see the module docstring); fewer passes (1, 3, 5 of 10) or a step fraction of
# 0.995 were no faster at 200 parties (16-25 iterations). max_iter bounds a failing run (a party
# that cannot gain makes the optimum -inf, and Clarabel iterates until it gives up): healthy runs
# took 12-73 iterations.
# Iterative refinement of each KKT solve off: the point only seeds the cut LP's crossover, and
# without refinement Clarabel solved every benchmarks/generate.py case tried (30 criteria x 10
# points, seeds 0-2 at 5, 20, 50, 100 and 200 parties) in 0.3-0.7 of the time, with as many LP
# solves after it and the same certified gaps; CPU seconds of Clarabel, refinement on vs off,
# under load 8-10: 50 parties 0.29-0.40 vs 0.14-0.17, 100 0.74-1.56 vs 0.43-0.46, 200 1.7-2.5
# vs 0.89-1.08 (Nash end to end at 200: 1.5-1.9 vs 1.1-1.2). The retries turn it back on.
CLARABEL_TOL = 3e-5
CLARABEL_SETTINGS = {
    "verbose": False,
    "max_iter": 200,
    "presolve_enable": True,
    "equilibrate_enable": True,
    "iterative_refinement_enable": False,
    "direct_solve_method": "faer",
    "max_threads": 1,
    "tol_gap_abs": CLARABEL_TOL,
    "tol_gap_rel": CLARABEL_TOL,
    "tol_feas": CLARABEL_TOL,
}
# Tried in turn while Clarabel stops with a status of RETRY_ON (the module docstring's measurements,
# made with iterative refinement on: every failure seen on healthy cases was InsufficientProgress
# within a few iterations, and a step fraction of 0.9 solved the one the defaults did not); the
# retries use qdldl, Clarabel's own solver, which is also the one left where a build of Clarabel
# refuses faer (BadSettings).
CLARABEL_RETRIES = ({}, {"direct_solve_method": "qdldl", "iterative_refinement_enable": True},
                    {"direct_solve_method": "qdldl", "iterative_refinement_enable": True,
                     "max_step_fraction": 0.9})
RETRY_ON = ("InsufficientProgress", "NumericalError", "BadSettings")
# A gain this small relative to its party's utility scale, at Clarabel's point, means the party
# may not be able to gain at all: the caller then asks the LP which parties are held.
CONIC_GAIN_FLOOR = 1e-6


@dataclass(frozen=True)
class ConicNash:
    """Clarabel's Nash point: the agreement's columns and each active party's gain, or why not."""

    solved: bool
    x: np.ndarray | None
    gains: dict
    seconds: float  # Clarabel's setup and solve
    build_seconds: float
    iterations: int
    status: str  # Clarabel's status, e.g. Solved, AlmostSolved, MaxIterations
    message: str = ""
    # duals of the Problem's rows for max sum(w_p log gain_p) (positive: the row's upper bound
    # binds, negative: its lower bound), 0 where the program has no such row
    row_dual: np.ndarray | None = None
    model: ConicModel | None = None  # the program solved, for a retry with other settings


@dataclass(frozen=True)
class ConicModel:
    """The exponential-cone program in Clarabel's form: min q'v s.t. b - A v in cones."""

    P: object
    q: np.ndarray
    A: object
    b: np.ndarray
    cones: list
    n_cols: int  # the Problem's columns
    keep: np.ndarray  # Problem columns that are variables (the others are fixed)
    fixed_value: np.ndarray  # value of every Problem column that is fixed (0 elsewhere)
    col_scale: np.ndarray  # x_keep = col_scale * v[:len(keep)]
    parties: list
    row_scale: np.ndarray  # the Problem's row i is multiplied by row_scale[i]
    obj_scale: float  # the program minimises -sum(w_p t_p) / obj_scale
    rows_eq: np.ndarray  # Problem rows of the zero cone, then of each nonnegative block
    rows_up: np.ndarray
    rows_down: np.ndarray


def build(problem, active: list[str], weight: dict, reservation: dict, uscale: dict,
          scales: tuple[np.ndarray, np.ndarray] | None = None) -> ConicModel:
    """The exponential-cone program of the Nash product over `active`, from the compiled model;
    `scales` (column, row) are scale_model's for this Problem when the caller has them already.
    Assembled with numpy from the Problem's CSR arrays (no scipy: importing scipy.sparse alone
    costs 0.16 s CPU, more than the whole cone program below 20 parties)."""
    import clarabel

    n, n_rows = problem.n_cols, problem.n_rows
    lb, ub = problem.col_lb.astype(float), problem.col_ub.astype(float)
    fixed = np.isfinite(lb) & (lb == ub)
    keep = np.flatnonzero(~fixed)
    fixed_value = np.where(fixed, lb, 0.0)
    row_of = entry_rows(problem.indptr)
    col_of, value = np.asarray(problem.indices, np.int64), np.asarray(problem.values, float)
    shift = np.bincount(row_of, weights=value * fixed_value[col_of], minlength=n_rows)  # the fixed columns' part
    cs, rs = scales if scales is not None else problem_scales(problem)
    new_col = np.full(n, -1, np.int64)
    new_col[keep] = np.arange(len(keep))
    kept = ~fixed[col_of] & (value != 0)
    row_of, col_of = row_of[kept], col_of[kept]
    value = value[kept] * rs[row_of] * cs[col_of]
    col_of = new_col[col_of]
    lo, hi = (problem.row_lo - shift) * rs, (problem.row_hi - shift) * rs
    nonempty = np.bincount(row_of, minlength=n_rows) > 0
    eq = nonempty & np.isfinite(lo) & (lo == hi)
    up = nonempty & ~eq & np.isfinite(hi)
    down = nonempty & ~eq & np.isfinite(lo)
    k = len(keep)
    clb, cub = lb[keep] / cs[keep], ub[keep] / cs[keep]
    cup, cdown = np.isfinite(cub), np.isfinite(clb)
    m = len(active)
    # zero cone: A_eq v = lo; nonnegative: hi - A v >= 0, A v - lo >= 0, ub - v >= 0, v - lb >= 0
    rows, cols, vals, first = [], [], [], 0
    for block, sign in ((eq, 1.0), (up, 1.0), (down, -1.0)):
        at = np.cumsum(block) - 1 + first  # the block's row of each Problem row in it
        mine = block[row_of]
        rows.append(at[row_of[mine]])
        cols.append(col_of[mine])
        vals.append(sign * value[mine])
        first += int(block.sum())
    for bound, sign in ((cup, 1.0), (cdown, -1.0)):
        at = np.flatnonzero(bound)
        rows.append(first + np.arange(len(at)))
        cols.append(at)
        vals.append(np.full(len(at), sign))
        first += len(at)
    rhs = [lo[eq], hi[up], -lo[down], cub[cup], -clb[cdown]]
    # exponential cones: (t_p, 1, (u_p - d_p)/s_p) = b - A v
    s = _pow2(np.array([uscale[p] for p in active], float))
    j = np.array([problem.utility_col[p] for p in active], np.int64)
    cone_rows = first + 3 * np.arange(m)
    rows += [cone_rows, cone_rows + 2]
    cols += [k + np.arange(m), new_col[j]]
    vals += [np.full(m, -1.0), -cs[j] / s]
    eb = np.zeros(3 * m)
    eb[1::3] = 1.0
    eb[2::3] = -np.array([reservation[p] for p in active], float) / s
    A = Csc.from_entries(first + 3 * m, k + m, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals))
    b = np.concatenate(rhs + [eb])
    w = np.array([weight[p] for p in active], float)
    W = _pow2_one(float(w.max()))
    q = np.concatenate([np.zeros(k), -w / W])  # the argmax is the same
    P = Csc.from_entries(k + m, k + m, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    n_zero = int(eq.sum())
    n_nonneg = first - n_zero
    cones = ([clarabel.ZeroConeT(n_zero)] if n_zero else []) + \
        ([clarabel.NonnegativeConeT(n_nonneg)] if n_nonneg else []) + [clarabel.ExponentialConeT()] * m
    return ConicModel(P, q, A, b, cones, n, keep, fixed_value, cs[keep], list(active), rs, W,
                      np.flatnonzero(eq), np.flatnonzero(up), np.flatnonzero(down))


@dataclass(frozen=True)
class Csc:
    """A sparse matrix in compressed-column form, with the attributes Clarabel reads of a scipy
    csc_matrix (shape, indptr, indices, data, has_canonical_format: sorted rows, no duplicates),
    built with numpy; `scipy()` gives the scipy matrix, should a Clarabel refuse this one."""

    shape: tuple[int, int]
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    has_canonical_format: bool = True

    @classmethod
    def from_entries(cls, n_rows: int, n_cols: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> Csc:
        """From (row, column, value) entries, no two at the same place."""
        order = np.lexsort((rows, cols))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n_cols))]).astype(np.int64)
        return cls((n_rows, n_cols), indptr, rows[order].astype(np.int64), vals[order].astype(float))

    def scipy(self):
        from scipy import sparse

        return sparse.csc_matrix((self.data, self.indices, self.indptr), shape=self.shape)


def problem_scales(problem) -> tuple[np.ndarray, np.ndarray]:
    """scale_model's column and row scales of a compiled Problem (an LP: no integer column),
    the HiGHS backend's own; kept on the Problem, which never changes (a what-if compiles anew)."""
    scales = problem.__dict__.get("_conic_scales")
    if scales is None:
        scales = problem.__dict__["_conic_scales"] = scale_model(
            problem.indptr, problem.indices, problem.values, problem.col_lb.astype(float),
            problem.col_ub.astype(float), np.zeros(problem.n_cols, bool))
    return scales


def row_duals(model: ConicModel, z: np.ndarray, n_rows: int) -> np.ndarray:
    """Duals of the Problem's rows from Clarabel's z (q + A'z = 0, z in the dual cones), in
    the units of max sum(w_p log gain_p): the zero cone's rows as they are, an upper side's
    minus a lower side's, unscaled by the row's scale and the objective's."""
    y = np.zeros(n_rows)
    ne, nu, nd = len(model.rows_eq), len(model.rows_up), len(model.rows_down)
    y[model.rows_eq] = z[:ne]
    y[model.rows_up] += z[ne:ne + nu]
    y[model.rows_down] -= z[ne + nu:ne + nu + nd]
    return y * model.row_scale * model.obj_scale


def settings(**overrides):
    """Clarabel's settings for the Nash program (CLARABEL_SETTINGS, then `overrides`)."""
    import clarabel

    s = clarabel.DefaultSettings()
    for key, value in {**CLARABEL_SETTINGS, **overrides}.items():
        setattr(s, key, value)
    return s


def _solver(model: ConicModel, chosen):
    """Clarabel's solver of `model`, given its matrices as built (Csc) or, where a Clarabel reads
    them otherwise (its own conversion of scipy's matrices, not a published interface), as scipy's."""
    import clarabel

    try:
        return clarabel.DefaultSolver(model.P, model.q, model.A, model.b, model.cones, chosen)
    except (AttributeError, TypeError):
        return clarabel.DefaultSolver(model.P.scipy(), model.q, model.A.scipy(), model.b, model.cones, chosen)


def solve(problem, active: list[str], weight: dict, reservation: dict, uscale: dict,
          model: ConicModel | None = None, scales=None, **overrides) -> ConicNash:
    """Clarabel's Nash point over `active` (see the module docstring), on `model` when given
    (a retry: the same program) or on the one built here (`scales` as for build); `overrides`
    are Clarabel settings (tests force a failure with a tiny max_iter)."""
    t0 = time.perf_counter()
    if model is None:
        model = build(problem, active, weight, reservation, uscale, scales)
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    try:
        solver = _solver(model, settings(**overrides))
    except Exception as e:  # noqa: BLE001 - Clarabel raises a bare Exception for settings it refuses
        # most often its settings (a build without faer): the retries change them; the note says
        # only what is known, since a matrix it cannot read raises the same way
        return ConicNash(False, None, {}, time.perf_counter() - t1, built, 0, "BadSettings",
                         f"Clarabel could not be set up ({type(e).__name__}: {e})", model=model)
    sol = solver.solve()
    seconds = time.perf_counter() - t1
    status = str(sol.status).split(".")[-1]
    if status not in ("Solved", "AlmostSolved"):  # almost: a seed still, the LP certifies
        return ConicNash(False, None, {}, seconds, built, int(sol.iterations), status,
                         f"Clarabel stopped with status {status} after {sol.iterations} iterations",
                         model=model)
    v = np.asarray(sol.x, float)
    x = model.fixed_value.copy()
    x[model.keep] = model.col_scale * v[:len(model.keep)]
    gains = {p: float(x[problem.utility_col[p]] - reservation[p]) for p in active}
    if not all(math.isfinite(g) for g in gains.values()):
        return ConicNash(False, None, {}, seconds, built, int(sol.iterations), status,
                         "Clarabel returned a point that is not finite", model=model)
    duals = row_duals(model, np.asarray(sol.z, float), problem.n_rows)
    return ConicNash(True, x, gains, seconds, built, int(sol.iterations), status,
                     row_dual=duals if np.isfinite(duals).all() else None, model=model)
