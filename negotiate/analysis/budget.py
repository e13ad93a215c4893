"""A work budget shared by every step of one analysis, and a HiGHS backend that keeps it.

The budget counts work, not seconds, so the same case always gets the same
answer: a warm session and a cold solve of a case diagnose it alike, however
loaded the machine. Work is counted in units of about one model element
(a row or a nonzero) handled once, from what HiGHS reports after each solve
(its simplex, crossover and interior-point iterations, its branch-and-bound
nodes) and from the size of each model compiled for a group check; every
solve is given the work left as HiGHS's own iteration and node limits, which
stop it at the same point on every run. A wall-clock safety stop, far above
the work budget's time, bounds what a count cannot (one huge solve on a
starved machine); when it acts, the diagnosis says so (`Budget.stopped`).

Costs, measured with HiGHS 1.16 on benchmarks/generate.py cases made
infeasible by two contradictory red lines (10 to 200 parties, 5 or 30
criteria; S = rows + nonzeros; CPU seconds on the 2-core machine at load
1.5): a hot feasibility check of the deletion filter takes about
(S + 1250) x 80 ns (10 parties, S = 713: 0.17 ms; 50 x 30, S = 26.8k:
2.5 ms; 200 x 5, S = 12.4k: 1.0 ms), so one unit is about 80 ns; a simplex or
crossover iteration about S / 25 units (the cold relaxation of 200 x 5:
1260 crossover iterations, 48 ms); an interior-point iteration about 1.5 S
(50 x 30: 7 iterations, 29 ms); validating and compiling a group's case about
60 S + 100k units (10 parties: 15 ms; 200 x 5: 0.1 s).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy

from negotiate.backends.base import LPResult
from negotiate.backends.highs import HighsBackend

# The default work of one whole diagnosis: about 1.6-2 s of CPU on the machine the costs were
# measured on (10-12.5M units a second). Every shipped case with one reservation or red line made
# impossible uses at most 8.7M (EU effort sharing, 27 parties); benchmarks/generate.py with a
# status quo and two red lines in contradiction finishes its group search at 50 parties (x 5
# criteria) and stops it, the same on every run, at 200.
DIAGNOSIS_WORK = 20_000_000
DIAGNOSIS_GROUPS = 64  # at most this many groups checked
# The wall-clock safety stop: 15x the work budget's time, so a loaded machine (2-5x slower
# here) never reaches it on a case the work budget bounds; a diagnosis stopped by it says so.
DIAGNOSIS_SAFETY_SECONDS = 20.0

SOLVE_UNITS = 1250  # the fixed cost of one solve, beside its model's size
SIMPLEX_ITERATIONS_PER_SIZE = 25  # a simplex or crossover iteration costs S / 25 units
IPM_ITERATION_SIZES = 1.5  # an interior-point iteration costs 1.5 S units
NODE_SIZES = 1.0  # a branch-and-bound node is given S units (about 25 LP iterations) ...
COMPILE_SIZES = 60  # ... validating and compiling a case, 60 S units
COMPILE_UNITS = 100_000  # and a fixed 100k units (about 8 ms)

WORK = "work"  # Budget.stopped: the work budget ran out (the same on every run)
TIME = "time"  # Budget.stopped: the wall-clock safety stop acted (a slower run may stop earlier)


@dataclass
class Budget:
    """Work, group checks and a wall-clock safety stop shared by every step of one diagnosis.

    `work` and `groups` are counted (deterministic); `seconds` is the safety
    stop. `stopped` records the first of them that cut a step short.
    """

    work: float = DIAGNOSIS_WORK
    groups: int = DIAGNOSIS_GROUPS
    seconds: float = DIAGNOSIS_SAFETY_SECONDS
    started: float = field(default_factory=time.perf_counter)
    checked: int = 0  # groups checked so far
    used: float = 0.0  # work units spent so far
    stopped: str | None = None  # WORK | TIME, once a step was cut short

    def remaining(self) -> float:
        """Seconds left before the safety stop."""
        return self.seconds - (time.perf_counter() - self.started)

    def work_left(self) -> float:
        return self.work - self.used

    @property
    def spent(self) -> bool:
        """Whether the work is used up or the safety stop reached (and which, in `stopped`)."""
        if self.work_left() <= 0:
            self.stop(WORK)
        elif self.remaining() <= 0:
            self.stop(TIME)
        else:
            return False
        return True

    def stop(self, reason: str) -> None:
        if self.stopped is None:
            self.stopped = reason

    def charge(self, units: float) -> None:
        self.used += units

    def charge_compile(self, size: int) -> None:
        """A case validated and compiled (a group check), its model of `size` = rows + nonzeros."""
        self.charge(COMPILE_SIZES * size + COMPILE_UNITS)

    def grant(self, units: float) -> None:
        """At least `units` more work from now (a step the diagnosis must not leave out)."""
        self.work = max(self.work, self.used + units)


class BudgetedHighs(HighsBackend):
    """A HiGHS backend whose every solve stops where the analysis's budget ends.

    `floor` is work granted to each solve even after the budget ran out (math.inf:
    only the safety stop bounds it); its cost is still charged.
    """

    def __init__(self, problem, budget: Budget, mip_gap: float = 1e-6, floor: float = 0.0):
        super().__init__(problem, mip_gap=mip_gap)
        self.budget = budget
        self.floor = floor

    def size(self) -> int:
        """Rows + nonzeros of the model HiGHS holds (helpers included)."""
        return self.h.getNumRow() + self.h.getNumNz()

    def restart(self) -> None:
        """Forget the basis: HiGHS starts the next solve cold, and the backend knows it (its
        cold method, IPM + crossover for a large LP, not a hot simplex)."""
        self.h.clearSolver()
        self._has_basis = False

    def _solve(self) -> LPResult:
        budget = self.budget
        seconds = budget.remaining()
        if seconds <= 0:
            budget.stop(TIME)
            return LPResult("limit", message="the diagnosis's wall-clock safety stop was reached")
        allowed = max(budget.work_left(), self.floor)
        size = self.size() + 1
        if allowed <= SOLVE_UNITS:
            budget.stop(WORK)
            return LPResult("limit", message="the diagnosis's work budget ran out")
        self._limit(allowed - SOLVE_UNITS, size)
        self.time_limit = seconds  # HighsBackend._run passes it to HiGHS
        result = super()._solve()
        budget.charge(self._cost_of_last(size))
        if result.status == "limit":
            budget.stop(TIME if self.h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit else WORK)
        return result

    def _limit(self, units: float, size: int) -> None:
        h = self.h
        h.setOptionValue("simplex_iteration_limit", _count(units * SIMPLEX_ITERATIONS_PER_SIZE / size))
        h.setOptionValue("ipm_iteration_limit", _count(units / (IPM_ITERATION_SIZES * size)))
        if self.is_mip():
            h.setOptionValue("mip_max_nodes", _count(units / (NODE_SIZES * size)))

    def _cost_of_last(self, size: int) -> float:
        info = self.h.getInfo()
        iterations = max(info.simplex_iteration_count, 0) + max(info.crossover_iteration_count, 0)
        return (SOLVE_UNITS + size + size * iterations / SIMPLEX_ITERATIONS_PER_SIZE
                + IPM_ITERATION_SIZES * size * max(info.ipm_iteration_count, 0))


def _count(x: float) -> int:
    """An iteration or node limit HiGHS accepts: at least 1, at most its int range."""
    return int(min(max(x, 1.0), 2**31 - 1)) if math.isfinite(x) else 2**31 - 1
