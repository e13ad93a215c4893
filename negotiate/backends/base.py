"""The interface concepts are written against, once, for every backend.

Columns and rows are addressed by index, in the Problem's order; concepts add
their own helper columns and rows after a `mark()` and remove them with
`rollback(mark)`, so one built model serves many solves.

Dual convention (all backends): `row_dual[i]` is d(objective)/d(bound) of row
i's active bound, for the objective as posed (maximised).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the case schema reads the backend names without numpy
    import numpy as np

INF = float("inf")
# Seconds per MIP solve when nobody set a time limit: a MIP too large to prove optimal stops
# with status "feasible" and its gap. LPs finish on their own and get no default.
DEFAULT_MIP_TIME_LIMIT = 60.0


@dataclass
class LPResult:
    status: str  # optimal | infeasible | unbounded | limit | error
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    objective: float | None = None
    seconds: float = 0.0
    message: str = ""
    gap: float | None = None  # MIP: the relative gap between the solution and the best bound

    @property
    def has_solution(self) -> bool:
        return self.x is not None


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; callers ask these instead of probing for methods."""

    basis: bool = False  # get_basis/set_basis carry a warm start between solves
    mip_start: bool = False  # set_start seeds a MIP with a known feasible point
    iis: bool = False  # irreducible infeasible subsets of an LP
    deltas: bool = False  # apply(ModelDelta) changes the live model in place
    scaling: bool = False  # rows and columns are scaled before the solver sees them


@dataclass(frozen=True)
class Tolerances:
    """The solver's tolerances, in the scaled units it works in (see `Backend.scaled`)."""

    primal_feasibility: float = 1e-9
    dual_feasibility: float = 1e-9
    mip_feasibility: float = 1e-9
    mip_gap: float = 1e-7

    def to_dict(self) -> dict:
        return {"primal_feasibility": self.primal_feasibility, "dual_feasibility": self.dual_feasibility,
                "mip_feasibility": self.mip_feasibility, "mip_gap": self.mip_gap}


class Backend(ABC):
    name = "?"
    capabilities = Capabilities()
    takes_solver = False  # drives several solvers: make_backend passes `solver=`

    def __init__(self, problem, time_limit: float | None = None, mip_gap: float = 1e-7):
        self.problem = problem
        self.time_limit = time_limit
        self.mip_gap = mip_gap
        self.tolerances = Tolerances(mip_gap=mip_gap)
        self.solves = 0
        self.solver_seconds = 0.0

    def apply(self, delta) -> None:
        """Bring the live model to `delta.new` in place (only if `capabilities.deltas`)."""
        raise TypeError(f"the {self.name} backend does not apply deltas; rebuild it")

    def set_start(self, x) -> None:
        """A MIP start (only if `capabilities.mip_start`)."""

    # -- structure --------------------------------------------------------
    @property
    @abstractmethod
    def n_cols(self) -> int: ...

    @property
    @abstractmethod
    def n_rows(self) -> int: ...

    @abstractmethod
    def add_cols(self, lb, ub, names, scale=None) -> list[int]:
        """Helper columns. `scale`: each one's natural magnitude, for a free column whose
        rows do not tell it (a log is about 1 whatever the gains it bounds); a backend
        that does not scale ignores it."""

    @abstractmethod
    def add_rows(self, rows: list[tuple[dict, float, float, str]]) -> list[int]: ...

    @abstractmethod
    def set_row_bounds(self, i: int, lo: float, hi: float) -> None: ...

    @abstractmethod
    def set_col_bounds(self, j: int, lo: float, hi: float) -> None: ...

    @abstractmethod
    def set_col_integer(self, j: int, integer: bool) -> None: ...

    @abstractmethod
    def is_integer(self, j: int) -> bool: ...

    @abstractmethod
    def col_bounds(self, j: int) -> tuple[float, float]: ...

    @abstractmethod
    def set_coef(self, i: int, j: int, value: float) -> None:
        """Change one coefficient of a row added with `add_rows`."""

    @abstractmethod
    def set_objective(self, coefs: dict) -> None:
        """Maximise sum(coefs[j] * x_j)."""

    @abstractmethod
    def rollback(self, mark: tuple[int, int]) -> None:
        """Delete the columns and rows added since `mark()`."""

    def mark(self) -> tuple[int, int]:
        return self.n_cols, self.n_rows

    def get_basis(self):
        """The current basis, to start another solve of the same model from (or None)."""
        return

    def set_basis(self, basis) -> None:
        """Start the next solve from `basis` (from `get_basis` on the same model)."""

    def unique_optimum(self, cols=None) -> bool:
        """Whether the last solve, an LP, proved the values of `cols` (every column when None)
        the same at every optimum (False: not known)."""
        return False

    def prefer_primal(self, primal: bool) -> None:
        """A hint: the next solves start from a primal feasible point (only the
        objective changed, or columns were added). Backends may ignore it."""

    def cold_by_simplex(self, simplex: bool) -> None:
        """A hint: cold solves, until told otherwise, by the simplex method even where the
        backend would take an interior point (re-solves follow that continue from its vertex).
        Backends may ignore it."""

    def start_cold(self, always: bool = False) -> None:
        """A hint: the next solve is far from the last optimum; start it as if there were
        none (the backend's cold method). Backends may ignore it, or keep a warm start where
        it is faster unless `always` (a hot start was seen to fail)."""

    # -- solving ----------------------------------------------------------
    @abstractmethod
    def _solve(self) -> LPResult: ...

    def solve(self) -> LPResult:
        result = self._solve()
        self.solves += 1
        self.solver_seconds += result.seconds
        return result

    def solve_capped(self, max_iterations: int) -> LPResult | None:
        """A solve that gives up after `max_iterations` simplex iterations: None then (the
        caller solves again another way). Backends that cannot count them solve in full."""
        return self.solve()

    @abstractmethod
    def solver_info(self) -> tuple[str, str]: ...

    def is_mip(self) -> bool:
        return bool(self.problem.col_int.any())

    def effective_time_limit(self) -> float | None:
        """Seconds the next solve may take: the time limit set, else DEFAULT_MIP_TIME_LIMIT for a MIP."""
        if self.time_limit:
            return float(self.time_limit)
        return DEFAULT_MIP_TIME_LIMIT if self.is_mip() else None
