"""Typed results: one Status enum, frozen dataclasses that serialise to the JSON
contract, and concepts registered once (every reader sees the registry)."""

import dataclasses
import json
import typing

import pytest
from typer.testing import CliRunner

import negotiate
from conftest import ROOT
from negotiate import registry
from negotiate.case.schema import SolveSettings
from negotiate.cli import app
from negotiate.results import Status, StatusGroup, status_of

NO_DEAL = ROOT / "tests" / "data" / "no_deal.yaml"
BILATERAL = ROOT / "cases" / "bilateral_fta.yaml"


def test_status_values_are_the_json_strings_and_grouped():
    assert [s.value for s in Status][:4] == ["optimal", "feasible", "infeasible", "limit"]
    assert Status.OPTIMAL == "optimal" and str(Status.INFEASIBLE) == "infeasible"
    assert {s for s in Status if s.group is StatusGroup.OK} == {
        Status.OPTIMAL, Status.FEASIBLE, Status.ACCEPTABLE, Status.REJECTED}
    assert Status.INFEASIBLE.group is StatusGroup.NO_AGREEMENT
    assert Status.LIMIT.group is StatusGroup.STOPPED
    assert Status.ERROR.failed and Status.INVALID.failed and not Status.INFEASIBLE.failed
    assert status_of("feasible") is Status.FEASIBLE
    with pytest.raises(ValueError):
        status_of("fine")


def test_a_proposal_carries_a_status_and_serialises_plain_strings():
    prop = negotiate.solve(BILATERAL)
    assert prop.status is Status.OPTIMAL
    data = json.loads(prop.to_json())
    assert data["status"] == "optimal" and isinstance(data["status"], str)
    assert list(data["solver"])[:7] == ["name", "version", "backend", "seconds", "solver_seconds", "solves", "mip"]
    assert "status='optimal'" in repr(prop)


def test_the_diagnosis_is_typed_and_serialises_to_the_contract():
    prop = negotiate.solve(NO_DEAL)
    d = prop.diagnosis
    assert prop.status is Status.INFEASIBLE
    assert dataclasses.is_dataclass(d) and dataclasses.is_dataclass(d.relaxations[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.message = "changed"
    data = json.loads(prop.to_json())["diagnosis"]
    # the contract's keys in their order; keys added later come after them
    assert list(data)[:6] == ["message", "cause", "relaxations", "total_scaled_relaxation", "largest_group", "iis"]
    assert list(data)[6:] == ["alternatives"]
    assert list(data["relaxations"][0]) == ["id", "kind", "party", "bound", "from", "to", "by", "scaled", "text"]
    assert data == d.to_dict() and data["relaxations"][0]["from"] == d.relaxations[0].old
    assert d["relaxations"][0]["id"] == d.relaxations[0].id  # still read as the mapping it serialises to
    assert list(data["iis"][0]) == ["id", "kind", "party"]


def test_groups_serialise_with_the_old_keys():
    case = negotiate.load_case(ROOT / "cases" / "asia_pacific_compact.yaml")
    group = negotiate.solve(case, changes={"parties.JPN.reservation": 0.99}).diagnosis.largest_group
    assert list(group.to_dict()) == ["parties", "without", "size", "searched", "complete", "alternatives",
                                     "agreement", "utilities"]


def test_every_reader_takes_the_concepts_from_the_registry():
    assert registry.NAMES == ("utilitarian", "egalitarian", "kalai_smorodinsky", "nash")
    assert typing.get_args(SolveSettings.model_fields["concept"].annotation) == registry.NAMES
    assert tuple(negotiate.CONCEPTS) == registry.NAMES
    assert registry.concept("ks").name == "kalai_smorodinsky" and registry.concept("ks").needs_ideals
    with pytest.raises(ValueError, match="utilitarian \\| egalitarian"):
        registry.concept("rawls")
    help_text = CliRunner().invoke(app, ["solve", "--help"], env={"COLUMNS": "200"}).output
    assert "kalai_smorodinsky (ks)" in " ".join(help_text.split())  # however the help is wrapped
    names = [r["name"] for r in negotiate.compare(BILATERAL, concepts="all", options=[], scenarios=[]).rows]
    assert tuple(names) == registry.NAMES
    prop = negotiate.solve(BILATERAL, "egalitarian")
    assert prop.shadow_prices["objective"] == registry.concept("egalitarian").prices
