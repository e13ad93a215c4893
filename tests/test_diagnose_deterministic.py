"""The diagnosis is the same on every run: its budget counts work, not seconds.

- a machine ten times slower (a clock running ten times faster) gives the
  same diagnosis as a quiet one (the old wall-clock budget of 1 s cut the
  conflicting set and the group search short there);
- a warm session, after what-if steps, and cold solves of its case (the same
  case object, and the case validated again from its data) give identical
  diagnoses under every work budget, from none at all to the default,
  including where the budget cuts the conflicting set, the group search or
  the alternatives short (said in the diagnosis's `stopped`);
- the wall-clock safety stop is reported as such;
- a feasibility check retried cold after HiGHS gave up runs as the backend's
  cold method (the backend's basis flag is cleared with HiGHS's basis).
"""

from __future__ import annotations

import functools
import time

import pytest
from conftest import ROOT

import negotiate
from negotiate import diagnose as diagnose_module
from negotiate.analysis import budget as budget_module
from negotiate.analysis.budget import Budget, BudgetedHighs
from negotiate.case.load import load_case, validate_data
from negotiate.compile import compile_case
from negotiate.diagnose import _feasible, conflicting_set, diagnose
from negotiate.whatif import Negotiation

ASIA = ROOT / "cases" / "asia_pacific_compact.yaml"
EU = ROOT / "cases" / "eu_effort_sharing_2030.yaml"


class FastClock:
    """`time` as a machine `factor` times slower sees it: every real second counts `factor`."""

    def __init__(self, factor: float):
        self.factor, self.t0 = factor, time.perf_counter()

    def perf_counter(self) -> float:
        return self.t0 + (time.perf_counter() - self.t0) * self.factor


def test_a_slow_machine_gives_the_same_diagnosis(monkeypatch):
    case = load_case(EU).update({"parties.BE.reservation": 0.99})
    quiet = negotiate.solve(case, "nash").diagnosis.to_dict()
    assert quiet["iis"] and quiet["largest_group"]["complete"] and "stopped" not in quiet
    monkeypatch.setattr(budget_module, "time", FastClock(10.0))
    slow = negotiate.solve(case, "nash").diagnosis.to_dict()
    assert slow == quiet


def session_made_infeasible() -> Negotiation:
    """Asia-Pacific, after what-if steps of several kinds, with no agreement left."""
    n = Negotiation(ASIA)
    n.solve("nash")
    n.set("parameters.target", 0.3)
    n.drop_party("IDN")
    n.solve("egalitarian")
    n.restore_party("IDN")
    n.set("parties.JPN.limits.impossible", "reduction[self] >= 1000")
    n.set("parties.AUS.reservation", 0.99)
    return n


WORK = [0, 200_000, 1_500_000, budget_module.DIAGNOSIS_WORK]


def test_warm_equals_cold_under_every_work_budget(monkeypatch):
    n = session_made_infeasible()
    again = validate_data(n.case.model_dump(exclude_unset=True))
    stopped = set()
    for work in WORK:
        monkeypatch.setattr(diagnose_module, "Budget", functools.partial(Budget, work=work))
        for concept in ("nash", "kalai_smorodinsky"):
            warm = n.solve(concept)
            assert warm.status == "infeasible"
            d = warm.diagnosis.to_dict()
            assert negotiate.solve(n.case, concept).diagnosis.to_dict() == d, (work, concept)
            assert negotiate.solve(again, concept).diagnosis.to_dict() == d, (work, concept)
            assert d["relaxations"], work  # the core is never cut
            stopped.add(d.get("stopped", {}).get("by"))
            if work == 0:
                assert d["stopped"]["by"] == "work" and d["iis"] is None
            if work == budget_module.DIAGNOSIS_WORK:
                assert "stopped" not in d and d["iis"] and d["largest_group"]["complete"]
    assert stopped == {"work", None}


def test_the_cut_is_where_the_work_ends():
    """More work never gives less: a budget that lets the conflicting set finish gives the
    set the default budget gives, and one that does not gives none."""
    problem = compile_case(load_case(ASIA).update({"parties.JPN.reservation": 0.99}))
    full = diagnose(problem, "nash").to_dict()
    seen_none = seen_set = False
    for work in (50_000, 150_000, 400_000, 1_000_000, 3_000_000):
        d = diagnose(problem, "nash", Budget(work=work)).to_dict()
        assert d["relaxations"] == full["relaxations"]
        if d["iis"] is None:
            assert d["stopped"]["by"] == "work"
            assert not seen_set, "a larger budget lost the conflicting set"
            seen_none = True
        else:
            assert d["iis"] == full["iis"]
            seen_set = True
    assert seen_none and seen_set


def test_the_safety_stop_is_reported():
    problem = compile_case(load_case(ASIA).update({"parties.JPN.reservation": 0.99}))
    d = diagnose(problem, "nash", Budget(seconds=0.0)).to_dict()
    assert d["stopped"]["by"] == "time" and "safety stop" in d["stopped"]["text"]
    assert d["iis"] is None


def big_infeasible_problem():
    """A generated LP of more than IPM_MIN_ROWS rows, two red lines in contradiction."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import make_case

    data = make_case(200, 5, 6)
    data["parties"]["P001"]["limits"]["floor"] = "price >= 70"
    data["parties"]["P002"]["limits"]["cap"] = "price <= 20"
    return compile_case(validate_data(data))


def test_a_retried_check_starts_cold_by_the_backends_cold_method():
    """_feasible retries a check HiGHS gave up on (status error) cold: HiGHS's basis and the
    backend's flag are cleared together, so a large LP runs IPM + crossover (the old code
    cleared HiGHS alone and the flag said a basis was there: a simplex from nothing)."""
    from negotiate.backends.highs import IPM_MIN_ROWS
    from negotiate.backends.base import LPResult

    problem = big_infeasible_problem()
    assert problem.n_rows >= IPM_MIN_ROWS
    b = BudgetedHighs(problem, Budget())
    b.set_objective({})
    b.h.setOptionValue("presolve", "off")
    b.set_row_bounds(problem.case_rows["parties.P002.limits.cap"], -float("inf"), float("inf"))
    assert b.solve().status == "optimal" and b._has_basis  # a hot model, as in the deletion filter
    real = BudgetedHighs._solve
    calls = []

    def gives_up_once(self):
        calls.append(1)
        return LPResult("error", message="Unknown") if len(calls) == 1 else real(self)

    b._solve = gives_up_once.__get__(b)
    assert _feasible(b) is True
    assert len(calls) == 2
    assert b.h.getInfo().ipm_iteration_count > 0  # the cold method ran
    assert b.h.getOptionValue("presolve")[-1] == "off"


def test_the_text_report_says_the_diagnosis_was_cut_short(monkeypatch):
    from typer.testing import CliRunner

    from negotiate.cli import app

    monkeypatch.setattr(diagnose_module, "Budget", functools.partial(Budget, work=0))
    r = CliRunner().invoke(app, ["solve", str(ASIA), "--set", "parties.JPN.reservation=0.99"],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 3, r.output
    assert "work budget ran out" in r.output
    assert "smallest concessions" in r.output  # the core is never cut


def test_the_status_quo_group_search_is_counted_too(monkeypatch):
    """With a status quo the group search keeps the others at it (analysis.coalitions): its
    groups are charged to the same work, so a small budget stops it, warm and cold alike."""
    path = ROOT / "cases" / "climate_club_status_quo.yaml"
    first = next(iter(load_case(path).parties))
    n = Negotiation(path)
    n.solve("nash")
    n.set("parameters.target", 25)
    n.set(f"parties.{first}.reservation", 0.999)
    seen = {}
    for work in (300_000, budget_module.DIAGNOSIS_WORK):
        monkeypatch.setattr(diagnose_module, "Budget", functools.partial(Budget, work=work))
        d = n.solve("nash").diagnosis.to_dict()
        assert negotiate.solve(n.case, "nash").diagnosis.to_dict() == d, work
        assert d["largest_group"]["outsiders"] == "status_quo"
        seen[work] = d
    small, full = seen[300_000], seen[budget_module.DIAGNOSIS_WORK]
    assert small["stopped"]["by"] == "work" and not small["largest_group"]["complete"]
    assert "stopped" not in full and full["largest_group"]["complete"] and full["largest_group"]["parties"]


def test_the_deletion_filter_continues_hot_after_an_infeasible_check(monkeypatch):
    """Simplex proves infeasibility from a basis and HiGHS keeps it valid: the backend says
    so (`_has_basis`), and the deletion filter's checks start cold by simplex, so no check of a
    large LP runs IPM. Before: the first check ran IPM (which leaves no basis after an
    infeasible model) and the flag was set only after an optimum, so every check up to the
    first feasible one ran IPM again (200 parties x 5 criteria: 50 IPM runs, 3.5 s against
    1.6 s CPU). The set found is the two red lines the case was built to contradict."""
    from negotiate.backends.highs import IPM_MIN_ROWS, HighsBackend

    problem = big_infeasible_problem()
    assert problem.n_rows >= IPM_MIN_ROWS
    b = BudgetedHighs(problem, Budget())
    b.set_objective({})
    b.cold_by_simplex(True)
    assert b.solve().status == "infeasible"
    assert b.h.getBasis().valid and b._has_basis
    b.cold_by_simplex(False)
    assert not b._cold_ipm()  # the next check continues from that basis

    ipm = []
    real = HighsBackend._run

    def counted(self):
        ipm.append(self._cold_ipm())
        return real(self)

    monkeypatch.setattr(HighsBackend, "_run", counted)
    found = conflicting_set(problem)
    assert found is not None and not any(ipm)
    ids = {m.id for m in found}
    assert ids == {"parties.P001.limits.floor", "parties.P002.limits.cap"}
