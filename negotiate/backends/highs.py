"""HiGHS through highspy directly: one persistent Highs object per model.

Built from the Problem's numpy arrays in one call each; later changes
(bounds, costs, helper rows) keep the basis, so re-solves hot start.
"""

from __future__ import annotations

import os
import time

import highspy
import numpy as np

from negotiate.backends.base import Backend, LPResult

_HINF = highspy.kHighsInf
_bannered = False
THREADS: int | None = None  # set in batch workers (one HiGHS thread per process)


def new_highs() -> highspy.Highs:
    """A silent Highs; the first construction in a process prints a banner
    straight to file descriptor 1, so it is sent to /dev/null (JSON on stdout
    must stay clean)."""
    global _bannered
    if _bannered:
        h = highspy.Highs()
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
            h = highspy.Highs()
        finally:
            if saved is not None:
                os.dup2(saved, 1)
                os.close(saved)
        _bannered = True
    h.setOptionValue("output_flag", False)
    if THREADS is not None:
        h.setOptionValue("threads", THREADS)
    return h


def _arr(values, dtype=float) -> np.ndarray:
    a = np.asarray(values, dtype=dtype)
    if dtype is float:
        a = np.clip(a, -_HINF, _HINF)
    return a


class HighsBackend(Backend):
    name = "highs"

    def __init__(self, problem, time_limit: float | None = None, mip_gap: float = 1e-7, threads: int | None = None):
        super().__init__(problem, time_limit, mip_gap)
        h = self.h = new_highs()
        if time_limit:
            h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("mip_feasibility_tolerance", 1e-9)
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        n = problem.n_cols
        h.addVars(n, _arr(problem.col_lb), _arr(problem.col_ub))
        ints = np.flatnonzero(problem.col_int)
        if len(ints):
            h.changeColsIntegrality(len(ints), ints.astype(np.int32),
                                    np.full(len(ints), highspy.HighsVarType.kInteger))
        m = problem.n_rows
        if m:
            h.addRows(m, _arr(problem.row_lo), _arr(problem.row_hi), len(problem.values),
                      problem.indptr[:-1].astype(np.int32), problem.indices.astype(np.int32),
                      problem.values.astype(float))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self._cost = np.zeros(n)
        self._ncols, self._nrows = n, m
        self._integer = problem.col_int.copy()
        self._lb, self._ub = problem.col_lb.astype(float).copy(), problem.col_ub.astype(float).copy()

    @property
    def n_cols(self) -> int:
        return self._ncols

    @property
    def n_rows(self) -> int:
        return self._nrows

    def add_cols(self, lb, ub, names) -> list[int]:
        k = len(lb)
        self.h.addVars(k, _arr(lb), _arr(ub))
        first = self._ncols
        self._ncols += k
        self._cost = np.concatenate([self._cost, np.zeros(k)])
        self._integer = np.concatenate([self._integer, np.zeros(k, bool)])
        self._lb = np.concatenate([self._lb, np.asarray(lb, float)])
        self._ub = np.concatenate([self._ub, np.asarray(ub, float)])
        return list(range(first, first + k))

    def add_rows(self, rows) -> list[int]:
        if not rows:
            return []
        starts, idx, val, lo, hi = [], [], [], [], []
        for coefs, l, u, _name in rows:
            starts.append(len(idx))
            idx.extend(coefs.keys())
            val.extend(coefs.values())
            lo.append(l)
            hi.append(u)
        self.h.addRows(len(rows), _arr(lo), _arr(hi), len(idx), np.array(starts, np.int32),
                       np.array(idx, np.int32), np.array(val, float))
        first = self._nrows
        self._nrows += len(rows)
        return list(range(first, first + len(rows)))

    def set_row_bounds(self, i, lo, hi) -> None:
        self.h.changeRowBounds(int(i), float(_arr(lo)), float(_arr(hi)))

    def set_col_bounds(self, j, lo, hi) -> None:
        self.h.changeColBounds(int(j), float(_arr(lo)), float(_arr(hi)))
        self._lb[j], self._ub[j] = lo, hi

    def col_bounds(self, j) -> tuple[float, float]:
        return float(self._lb[j]), float(self._ub[j])

    def is_integer(self, j) -> bool:
        return bool(self._integer[j])

    def set_col_integer(self, j, integer) -> None:
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        self.h.changeColIntegrality(int(j), kind)
        self._integer[j] = integer

    def prefer_primal(self, primal: bool) -> None:
        # 4: primal simplex, which continues from a primal feasible basis; 1: dual (HiGHS's default)
        self.h.setOptionValue("simplex_strategy", 4 if primal else 1)

    def set_coef(self, i, j, value) -> None:
        self.h.changeCoeff(int(i), int(j), float(value))

    def set_objective(self, coefs: dict) -> None:
        new = np.zeros(self._ncols)
        for j, c in coefs.items():
            new[j] += c
        changed = np.flatnonzero(new != self._cost)
        if len(changed):
            self.h.changeColsCost(len(changed), changed.astype(np.int32), new[changed])
        self._cost = new

    def rollback(self, mark) -> None:
        cols, rows = mark
        if self._nrows > rows:
            self.h.deleteRows(self._nrows - rows, np.arange(rows, self._nrows, dtype=np.int32))
            self._nrows = rows
        if self._ncols > cols:
            self.h.deleteCols(self._ncols - cols, np.arange(cols, self._ncols, dtype=np.int32))
            self._ncols = cols
            self._cost = self._cost[:cols]
            self._integer = self._integer[:cols]
            self._lb, self._ub = self._lb[:cols], self._ub[:cols]

    def is_mip(self) -> bool:
        return bool(self._integer.any())

    def _solve(self) -> LPResult:
        h = self.h
        t0 = time.perf_counter()
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")  # tell infeasible from unbounded
            h.run()
            h.setOptionValue("presolve", "choose")
            status = h.getModelStatus()
        seconds = time.perf_counter() - t0
        S = highspy.HighsModelStatus
        info = h.getInfo()
        feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if status == S.kOptimal:
            kind = "optimal"
        elif status == S.kInfeasible:
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
        x = np.array(sol.col_value)
        duals = np.array(sol.row_dual) if (not self.is_mip() and sol.dual_valid) else None
        return LPResult(kind, x, duals, info.objective_function_value, seconds, h.modelStatusToString(status))

    def set_start(self, x: np.ndarray) -> None:
        """A MIP start (a feasible agreement found earlier)."""
        if len(x) == self._ncols:
            sol = highspy.HighsSolution()
            sol.col_value = list(map(float, x))
            sol.value_valid = True
            self.h.setSolution(sol)

    def get_basis(self):
        basis = self.h.getBasis()
        return basis if basis.valid else None

    def set_basis(self, basis) -> None:
        if basis is not None:
            self.h.setBasis(basis)

    def solver_info(self) -> tuple[str, str]:
        return "highs", f"{self.h.versionMajor()}.{self.h.versionMinor()}.{self.h.versionPatch()}"
