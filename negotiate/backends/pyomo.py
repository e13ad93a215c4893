"""The Problem as a Pyomo ConcreteModel, solved by any Pyomo solver.

Components are named for the negotiation and indexed by case ids:
`m.issue["reduction[CHN]"]`, `m.score["CHN", "own_cost"]`, `m.utility["CHN"]`,
`m.limit["parties.CHN.limits.max_cut"]`, `m.collective[...]`,
`m.reservation["CHN"]`, ... A user can export it (`m.write("case.lp")`),
inspect it, or add to it. Default solver: appsi_highs (HiGHS through highspy,
no binary needed); any other Pyomo solver name works.
"""

from __future__ import annotations

import math
import time

import numpy as np

from negotiate.backends.base import Backend, Capabilities, LPResult

_KIND_COMPONENT = {
    "limit": "limit",
    "constraint": "collective",
    "reservation": "reservation",
    "utility": "utility_definition",
    "curve": "curve",
    "choice": "choice",
}


HIGHS_SOLVERS = ("appsi_highs", "highs")  # Pyomo's names of HiGHS, which takes our tolerance options


def _bound(v: float):
    return None if not math.isfinite(v) else float(v)


class PyomoBackend(Backend):
    name = "pyomo"
    capabilities = Capabilities()  # no basis, start, IIS or deltas: sessions rebuild it
    takes_solver = True

    def __init__(self, problem, solver: str | None = None, time_limit: float | None = None,
                 mip_gap: float = 1e-7):
        super().__init__(problem, time_limit, mip_gap)
        import pyomo.environ as pyo

        self.pyo = pyo
        self.solver_name = solver or "appsi_highs"
        self.m, self.cols, self.rows = build_model(problem)
        self._integer = list(problem.col_int)
        self._cost: dict = {}
        self._row_coefs: dict[int, dict] = {}  # rows added by concepts, for set_coef

    # -- structure ----------------------------------------------------------
    @property
    def n_cols(self) -> int:
        return len(self.cols)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    def add_cols(self, lb, ub, names, scale=None) -> list[int]:
        out = []
        for l, u in zip(lb, ub):
            v = self.m.extra_var.add()
            v.setlb(_bound(l))
            v.setub(_bound(u))
            self.cols.append(v)
            self._integer.append(False)
            out.append(len(self.cols) - 1)
        return out

    def add_rows(self, rows) -> list[int]:
        out = []
        for coefs, lo, hi, _name in rows:
            body = sum(c * self.cols[j] for j, c in coefs.items())
            con = self.m.extra_row.add((_bound(lo), body, _bound(hi)))
            self.rows.append(con)
            out.append(len(self.rows) - 1)
            self._row_coefs[out[-1]] = dict(coefs)
        return out

    def set_coef(self, i, j, value) -> None:
        coefs = self._row_coefs[i]
        coefs[j] = float(value)
        con = self.rows[i]
        body = sum(c * self.cols[k] for k, c in coefs.items() if c)
        con.set_value((con.lower, body, con.upper))

    def set_row_bounds(self, i, lo, hi) -> None:
        con = self.rows[i]
        con.set_value((_bound(lo), con.body, _bound(hi)))

    def set_col_bounds(self, j, lo, hi) -> None:
        self.cols[j].setlb(_bound(lo))
        self.cols[j].setub(_bound(hi))

    def col_bounds(self, j) -> tuple[float, float]:
        v = self.cols[j]
        return (-math.inf if v.lb is None else float(v.lb)), (math.inf if v.ub is None else float(v.ub))

    def is_integer(self, j) -> bool:
        return bool(self._integer[j])

    def set_col_integer(self, j, integer) -> None:
        v = self.cols[j]
        v.domain = self.pyo.Integers if integer else self.pyo.Reals
        self._integer[j] = integer

    def set_objective(self, coefs: dict) -> None:
        self._cost = dict(coefs)
        m = self.m
        if m.component("objective") is not None:
            m.del_component("objective")
        expr = sum(c * self.cols[j] for j, c in coefs.items()) if coefs else 0.0
        m.objective = self.pyo.Objective(expr=expr, sense=self.pyo.maximize)

    def rollback(self, mark) -> None:
        cols, rows = mark
        while len(self.rows) > rows:
            self._row_coefs.pop(len(self.rows) - 1, None)
            con = self.rows.pop()
            idx = con.index()
            del self.m.extra_row[idx]
        while len(self.cols) > cols:
            v = self.cols.pop()
            self._integer.pop()
            del self.m.extra_var[v.index()]

    def is_mip(self) -> bool:
        return any(self._integer)

    # -- solving ----------------------------------------------------------------
    def _solve(self) -> LPResult:
        pyo = self.pyo
        from pyomo.opt import TerminationCondition as TC

        if self.m.component("objective") is None:
            self.set_objective({})
        opt = pyo.SolverFactory(self.solver_name)
        if not opt.available(exception_flag=False):
            return LPResult("error", message=f"Pyomo solver {self.solver_name!r} is not available")
        options = {}
        if self.solver_name in HIGHS_SOLVERS:
            tol = self.tolerances
            options = {"mip_rel_gap": self.mip_gap, "primal_feasibility_tolerance": tol.primal_feasibility,
                       "dual_feasibility_tolerance": tol.dual_feasibility,
                       "mip_feasibility_tolerance": tol.mip_feasibility}
            if self.effective_time_limit():
                options["time_limit"] = self.effective_time_limit()
        mip = self.is_mip()
        if mip and self.m.component("dual") is not None:  # MIP solvers have no duals to import
            self.m.del_component("dual")
        elif not mip and self.m.component("dual") is None:
            self.m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        t0 = time.perf_counter()
        try:
            for k, v in options.items():
                opt.options[k] = v
            res = opt.solve(self.m, load_solutions=False)
        except Exception as e:  # the external solver's own failure
            return LPResult("error", seconds=time.perf_counter() - t0, message=str(e).splitlines()[0])
        seconds = time.perf_counter() - t0
        tc = res.solver.termination_condition
        if tc in (TC.infeasible, TC.infeasibleOrUnbounded, TC.invalidProblem):
            return LPResult("infeasible", seconds=seconds)
        if tc == TC.unbounded:
            return LPResult("unbounded", seconds=seconds)
        limit = tc in (TC.maxTimeLimit, TC.maxIterations, TC.maxEvaluations, TC.userInterrupt)
        if tc != TC.optimal and not limit:
            return LPResult("error", seconds=seconds, message=str(tc))
        try:
            self.m.solutions.load_from(res)
        except Exception:
            return LPResult("limit" if limit else "error", seconds=seconds, message=str(tc))
        x = np.array([v.value if v.value is not None else 0.0 for v in self.cols], float)
        duals = None
        if not mip:
            d = self.m.dual
            duals = np.array([d.get(con, 0.0) or 0.0 for con in self.rows], float)
        objective = float(pyo.value(self.m.objective))
        return LPResult("limit" if limit else "optimal", x, duals, objective, seconds, str(tc))

    def solver_info(self) -> tuple[str, str]:
        opt = self.pyo.SolverFactory(self.solver_name)
        try:
            version = opt.version()
            version = ".".join(map(str, version)) if isinstance(version, tuple) else str(version)
        except Exception:
            version = "?"
        return self.solver_name, version


def build_model(problem):
    """ConcreteModel + column and row objects in the Problem's order."""
    import pyomo.environ as pyo

    m = pyo.ConcreteModel(name=problem.case.name)
    n_issue = len(problem.resolved.variables)
    utility_of = {j: p for p, j in problem.utility_col.items()}
    issue_names = problem.col_names[:n_issue]
    aux_names = [problem.col_names[j] for j in range(n_issue, problem.n_cols) if j not in utility_of]

    def domain(j):
        if problem.col_int[j]:
            return pyo.Binary if (problem.col_lb[j], problem.col_ub[j]) == (0.0, 1.0) else pyo.Integers
        return pyo.Reals

    col_index = {name: j for j, name in enumerate(problem.col_names)}
    m.issue = pyo.Var(issue_names, within=lambda m, n: domain(col_index[n]),
                      bounds=lambda m, n: (_bound(problem.col_lb[col_index[n]]), _bound(problem.col_ub[col_index[n]])))
    m.utility = pyo.Var(problem.parties)
    m.aux = pyo.Var(aux_names, within=lambda m, n: domain(col_index[n]),
                    bounds=lambda m, n: (_bound(problem.col_lb[col_index[n]]), _bound(problem.col_ub[col_index[n]])))
    cols = []
    for j, name in enumerate(problem.col_names):
        if j < n_issue:
            cols.append(m.issue[name])
        elif j in utility_of:
            cols.append(m.utility[utility_of[j]])
        else:
            cols.append(m.aux[name])

    # a criterion's score, as its utility row holds it (a linear form of its curve's fills)
    m.score = pyo.Expression(list(problem.score_form), rule=lambda m, p, c: problem.score_form[p, c][1] + sum(
        float(v) * cols[j] for j, v in problem.score_form[p, c][0].items()))
    groups: dict[str, list[int]] = {}
    for i, info in enumerate(problem.row_info):
        groups.setdefault(_KIND_COMPONENT[info.kind], []).append(i)
    row_objs: list = [None] * problem.n_rows
    for comp, idxs in groups.items():
        keys = [_row_key(problem, i, comp) for i in idxs]
        by_key = dict(zip(keys, idxs))

        def rule(m, key, by_key=by_key):
            i = by_key[key]
            cols_i, vals = problem.row(i)
            body = sum(float(v) * cols[int(j)] for j, v in zip(cols_i, vals))
            lo, hi = problem.row_lo[i], problem.row_hi[i]
            if lo == hi:
                return body == float(lo)
            return (_bound(lo), body, _bound(hi))

        setattr(m, comp, pyo.Constraint(keys, rule=rule))
        component = getattr(m, comp)
        for key, i in by_key.items():
            row_objs[i] = component[key]
    m.extra_var = pyo.VarList()
    m.extra_row = pyo.ConstraintList()
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    return m, cols, row_objs


def _row_key(problem, i: int, comp: str) -> str:
    info = problem.row_info[i]
    if comp in ("reservation", "utility_definition"):
        return info.party
    return problem.row_names[i]


def to_pyomo(case, concept: str | None = None):
    """The case's model as a Pyomo ConcreteModel, objective: collective benefit."""
    from negotiate.case.load import load_case
    from negotiate.case.schema import Case
    from negotiate.compile import compile_case

    case = case if isinstance(case, Case) else load_case(case)
    problem = compile_case(case)
    backend = PyomoBackend(problem)
    backend.set_objective({problem.utility_col[p]: case.parties[p].weight for p in problem.parties})
    return backend.m
