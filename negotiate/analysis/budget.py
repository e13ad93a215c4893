"""A time and work budget shared by every step of one analysis, and a HiGHS backend that keeps it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from negotiate.backends.base import LPResult
from negotiate.backends.highs import HighsBackend

DIAGNOSIS_SECONDS = 1.0  # the default budget of one whole diagnosis
DIAGNOSIS_GROUPS = 64  # at most this many groups checked


@dataclass
class Budget:
    """Seconds and group checks shared by every step of one diagnosis."""

    seconds: float = DIAGNOSIS_SECONDS
    groups: int = DIAGNOSIS_GROUPS
    started: float = field(default_factory=time.perf_counter)
    checked: int = 0  # groups checked so far

    def remaining(self) -> float:
        return self.seconds - (time.perf_counter() - self.started)

    @property
    def spent(self) -> bool:
        return self.remaining() <= 0


class BudgetedHighs(HighsBackend):
    """A HiGHS backend whose every solve stops when the diagnosis's budget ends."""

    def __init__(self, problem, budget: Budget, mip_gap: float = 1e-6, floor: float = 0.0):
        super().__init__(problem, mip_gap=mip_gap)
        self.budget = budget
        self.floor = floor  # seconds granted per solve even after the budget ended

    def _solve(self) -> LPResult:
        left = max(self.budget.remaining(), self.floor)
        if left <= 0:
            return LPResult("limit", message="the diagnosis's time budget ran out")
        self.h.setOptionValue("time_limit", float(left))
        return super()._solve()
