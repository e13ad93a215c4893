"""Immutable cases and one grammar of changes (issue 8 part 4, issue 12 part 5)."""

import copy
import pickle

import pytest
from conftest import ROOT

import negotiate
from negotiate.case.changes import (
    ACCEPTANCE,
    CURVES,
    ROWS,
    STRUCTURE,
    VALUES,
    parse_change,
)
from negotiate.errors import CaseError
from negotiate.whatif import Negotiation

EU = ROOT / "cases" / "eu_effort_sharing_2030.yaml"
BILATERAL = ROOT / "cases" / "bilateral_fta.yaml"


@pytest.fixture(scope="module")
def eu():
    return negotiate.load_case(EU)


# -- immutability -------------------------------------------------------------------
@pytest.mark.parametrize("mutate", [
    lambda c: c.parameters.__setitem__("target", 30),
    lambda c: c.parameters.update(target=30),
    lambda c: c.parties.pop("PL"),
    lambda c: c.parties["PL"].data.__setitem__("base", 1.0),
    lambda c: c.parties["PL"].criteria["climate"].points.append([1, 1]) if c.parties["PL"].criteria[
        "climate"].points is not None else c.issues.clear(),
    lambda c: c.constraints.__setitem__("x", "reduction[PL] <= 1"),
    lambda c: c.scenarios["target_35"].__setitem__("parameters.target", 1),
])
def test_a_loaded_case_cannot_be_changed_in_place(eu, mutate):
    before = eu.model_dump()
    with pytest.raises(TypeError, match="immutable"):
        mutate(eu)
    assert eu.model_dump() == before


def test_attributes_are_frozen_too(eu):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="frozen"):
        eu.name = "other"
    with pytest.raises(ValidationError, match="frozen"):
        eu.parties["PL"].reservation = 1.0


def test_frozen_cases_copy_pickle_and_update(eu):
    assert pickle.loads(pickle.dumps(eu)) == eu
    assert copy.deepcopy(eu) == eu
    changed = eu.update({"parameters.target": 30})
    assert changed.parameters["target"] == 30 and eu.parameters["target"] != 30
    assert negotiate.solve(changed, "utilitarian").ok


# -- one grammar, located at the change ---------------------------------------------------
def _problem(excinfo):
    (p,) = excinfo.value.problems
    assert str(p.location) == "<change>"
    return p


def test_a_path_below_a_number_is_a_located_error_in_update_and_set():
    case = negotiate.load_case(BILATERAL)
    with pytest.raises(CaseError) as a:
        case.update({"parties.EU.reservation.x": 1})
    with pytest.raises(CaseError) as b:
        Negotiation(case).set("parties.EU.reservation.x", 1)
    assert str(a.value) == str(b.value)
    p = _problem(a)
    assert p.path == "parties.EU.reservation.x" and "cannot go deeper" in p.message


@pytest.mark.parametrize("path,message,hint", [
    ("parameters.targte", "unknown parameter `targte`", "did you mean `target`?"),
    ("parties.PLL.reservation", "unknown party `PLL`", "did you mean `PL`?"),
    ("parties.PL.criteria.climat.weight", "unknown criterion `climat`", "did you mean `climate`?"),
    ("parties.PL.reservaton", "unknown party field `reservaton`", "did you mean `reservation`?"),
    ("parties.PL.data.bse", "unknown data field `bse`", "did you mean `base`?"),
    ("issues.reduktion.range", "unknown issue `reduktion`", "did you mean `reduction`?"),
    ("constraints.collective_targt", "unknown constraint `collective_targt`", "collective_target"),
    ("solve.concpt", "unknown solve setting `concpt`", "did you mean `concept`?"),
])
def test_unknown_names_in_a_change_say_did_you_mean(eu, path, message, hint):
    for attempt in (lambda: eu.update({path: 1}), lambda: Negotiation(eu).set(path, 1)):
        with pytest.raises(CaseError) as info:
            attempt()
        p = _problem(info)
        assert p.message == message and hint in p.hint, (p.message, p.hint)
        assert "eu_effort_sharing" not in str(info.value) and "models/" not in str(info.value)


def test_a_new_parameter_needs_create(eu):
    with pytest.raises(CaseError) as info:
        eu.update({"parameters.new_knob": 3})
    assert "create=True" in _problem(info).hint
    assert eu.update({"parameters.new_knob": 3}, create=True).parameters["new_knob"] == 3
    n = Negotiation(eu)
    n.set("parameters.new_knob", 3, create=True)
    assert n.case.parameters["new_knob"] == 3


def test_a_new_red_line_is_fine_but_a_near_miss_is_a_typo(eu):
    assert "cap" in eu.update({"parties.PL.limits.cap": "reduction[self] <= 15"}).parties["PL"].limits
    typo = eu.update({"constraints.new_floor": "reduction[PL] >= 1"})
    with pytest.raises(CaseError) as info:
        typo.update({"constraints.new_flor": "reduction[PL] >= 2"})
    assert "new_floor" in _problem(info).hint


def test_unknown_scenarios_and_sweep_paths_are_located(eu):
    n = Negotiation(eu)
    with pytest.raises(CaseError) as info, n.scenario("target_53"):
        pass
    assert "did you mean `target_35`?" in _problem(info).hint
    with n.scenario("target_35"):
        assert n.case.parameters["target"] == 35
    with pytest.raises(CaseError) as info:
        n.sweep("parameters.tagret", [30, 40])
    assert _problem(info).message == "unknown parameter `tagret`"


def test_a_change_says_what_it_touches(eu):
    assert parse_change(eu, "parameters.target", 40).touches == {VALUES}
    assert parse_change(eu, "parties.PL.reservation", 0.5).touches == {ACCEPTANCE}
    assert parse_change(eu, "parties.PL.limits.cap", "reduction[self] <= 3").touches == {ROWS}
    assert parse_change(eu, "parties.PL.criteria.climate.weight", 2).touches == {CURVES}
    assert parse_change(eu, "issues.reduction.per_party", False).touches == {STRUCTURE}
    change = parse_change(eu, "parties.PL.limits.cap", "reduction[self] <= 3")
    assert (change.kind, change.party, change.item, change.new) == ("limit", "PL", "cap", True)


def test_removing_a_red_line_with_none(eu):
    with_cap = eu.update({"parties.PL.limits.cap": "reduction[self] <= 15"})
    assert "cap" not in with_cap.update({"parties.PL.limits.cap": None}).parties["PL"].limits


def test_the_cli_refuses_an_unknown_parameter_and_adds_one_with_set_new():
    from typer.testing import CliRunner

    from negotiate.cli import app

    runner = CliRunner()
    typo = runner.invoke(app, ["solve", str(EU), "--set", "parameters.targte=42", "-c", "utilitarian"])
    assert typo.exit_code == 1
    assert "<change>" in typo.output and "did you mean `target`?" in typo.output
    added = runner.invoke(app, ["solve", str(EU), "--set-new", "parameters.knob=42", "-c", "utilitarian",
                                "-f", "json"])
    assert added.exit_code == 0, added.output
