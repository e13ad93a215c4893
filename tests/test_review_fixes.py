"""Defects found by the review of issue 9's merged work, each with the check that found it."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import negotiate
from negotiate.case.load import validate_data
from negotiate.errors import CaseError

ROOT = Path(__file__).resolve().parents[1]
STATUS_QUO_CASE = ROOT / "cases" / "climate_club_status_quo.yaml"


def _data():
    return negotiate.load_case(STATUS_QUO_CASE).model_dump(exclude_unset=True)


@pytest.mark.parametrize("per_party", [False, True])
def test_huge_integer_status_quo_is_a_located_error(per_party):
    """An integer beyond any float (10**400) in the status quo raised OverflowError from
    math.isfinite (a reservation of the same size was already a CaseError)."""
    d = _data()
    issues = [k for k, v in d["issues"].items() if "range" in v]
    party = next(iter(d["parties"]))
    value = {party: 10**400, "default": 0} if per_party else 10**400
    d.setdefault("status_quo", {})[issues[0]] = value
    with pytest.raises(CaseError) as err:
        validate_data(d)
    assert f"status_quo.{issues[0]}" in str(err.value)
    assert "finite" in str(err.value) or not per_party  # a bare number on a per-party issue: its form


def test_huge_integer_status_quo_from_a_file_exits_1(tmp_path):
    d = _data()
    issue = next(k for k, v in d["issues"].items() if "range" in v)
    path = tmp_path / "big.yaml"
    d.setdefault("status_quo", {})[issue] = {next(iter(d["parties"])): 10**400, "default": 0}
    import yaml

    path.write_text(yaml.safe_dump(d))
    run = subprocess.run([sys.executable, "-m", "negotiate", "solve", str(path)], capture_output=True,
                         text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=False)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in (run.stdout + run.stderr)
    assert "status_quo" in run.stdout + run.stderr


def test_a_solved_case_pickles_without_its_compiled_curves():
    """A resolved case keeps its compiled curves for the next compile; they must not travel
    with the case to a process pool or a Dask worker (the pickle more than doubled)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import make_case

    case = validate_data(make_case(30, 10, 6))
    fresh = len(pickle.dumps(case))
    first = negotiate.solve(case, "utilitarian")
    solved = pickle.dumps(case)
    assert len(solved) <= 1.5 * fresh  # the resolution travels (1.4x); with the curves it was 3.1x
    again = negotiate.solve(pickle.loads(solved), "utilitarian")
    assert again.agreement == first.agreement


def test_the_diagnosis_runs_with_the_collector_on(monkeypatch):
    """The solve pauses the cyclic collector (nothing of the solve's needs it), but a diagnosis
    makes restricted cases by the dozen, each a cycle only the collector frees: with the pause
    over it too, their memory piled up until the solve returned."""
    import gc

    import negotiate.diagnose as diagnose_module

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import make_case

    data = make_case(8, 4, 4, seed=0)
    party = next(iter(data["parties"]))
    data["parties"][party]["limits"]["floor"] = "reduction[self] >= 58"
    data["parties"][party]["limits"]["max_cut"] = "reduction[self] <= 20"
    seen = []
    real = diagnose_module.diagnose

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(diagnose_module, "diagnose", spy)
    assert gc.isenabled()
    prop = negotiate.solve(validate_data(data), "utilitarian")
    assert prop.status == "infeasible" and prop.diagnosis is not None
    assert seen == [True] and gc.isenabled()
    gc.disable()  # a caller who turned the collector off keeps it off
    try:
        seen.clear()
        negotiate.solve(validate_data(data), "utilitarian")
        assert seen == [False] and not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_pause_is_counted_across_threads():
    """Solves in two threads: the collector stays off until the last solve ends (the first to
    end used to turn it back on under the other's pause), and is on again after; a caller who
    turned it off keeps it off."""
    import gc
    import threading

    from negotiate.solving import collector_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def solve_in_a_thread():
        with collector_paused():
            inside.set()
            release.wait(10)

    other = threading.Thread(target=solve_in_a_thread)
    with collector_paused():
        other.start()
        inside.wait(10)
    assert not gc.isenabled()  # the other thread's solve is still running
    release.set()
    other.join(10)
    assert gc.isenabled()
    with collector_paused():  # and the other order: the first to start ends last
        other = threading.Thread(target=solve_in_a_thread)
        inside.clear(), release.clear()
        other.start()
        inside.wait(10)
        release.set()
        other.join(10)
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_party_outcomes_made_by_field_order_keep_their_order():
    """solving._proposal and discrete.py make PartyOutcome by `trusted` (values in field order,
    no keywords): a reordered dataclass would swap gain and satisfaction silently; this pins the
    order those call sites write, and a solved outcome's fields against a keyword construction."""
    from dataclasses import fields

    from negotiate.proposal import PartyOutcome

    assert [f.name for f in fields(PartyOutcome)] == [
        "utility", "reservation", "ideal", "gain", "satisfaction", "criteria", "weight", "accepts", "held"]
    prop = negotiate.solve(ROOT / "cases" / "bilateral_fta.yaml", "nash")
    for o in prop.parties.values():
        again = PartyOutcome(utility=o.utility, reservation=o.reservation, ideal=o.ideal, gain=o.gain,
                             satisfaction=o.satisfaction, criteria=o.criteria, weight=o.weight,
                             accepts=o.accepts, held=o.held)
        assert again == o
        assert o.gain == pytest.approx(o.utility - o.reservation)
        assert o.satisfaction == pytest.approx(o.gain / (o.ideal - o.reservation))
