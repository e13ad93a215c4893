"""Case loading in three formats, frozen cases and `update`, Proposal views."""

import json

import pytest

import negotiate
from conftest import ROOT
from negotiate.errors import CaseError

CLIMATE = ROOT / "cases" / "climate_club.yaml"


def test_yaml_json_toml_give_the_same_case(tmp_path):
    import tomllib  # noqa: F401  (toml writing below is by hand)

    case = negotiate.load_case(CLIMATE)
    data = case.model_dump(exclude_unset=True)
    (tmp_path / "c.json").write_text(json.dumps(data))
    assert negotiate.load_case(tmp_path / "c.json") == case  # content, not origin
    toml = tmp_path / "c.toml"
    toml.write_text(_to_toml(data))
    assert negotiate.load_case(toml) == case


def _to_toml(data, prefix=()):
    lines, tables = [], []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append((k, v))
        else:
            lines.append(f"{k} = {json.dumps(v)}")
    out = []
    if prefix:
        out.append("[" + ".".join(prefix) + "]")
    out += lines
    for k, v in tables:
        out.append(_to_toml(v, prefix + (k,)))
    return "\n".join(out) + "\n"


def test_case_is_frozen_and_update_returns_a_validated_copy():
    case = negotiate.load_case(CLIMATE)
    with pytest.raises(Exception):
        case.name = "other"
    changed = case.update({"parameters.target": 35, "parties.IND.reservation": 0.5})
    assert changed.parameters["target"] == 35 and case.parameters["target"] == 30
    assert changed.parties["IND"].reservation == 0.5
    new_limit = case.update({"parties.CHN.limits.cap": "reduction[self] <= 50"})
    assert "cap" in new_limit.parties["CHN"].limits


def test_update_errors_are_located_at_the_change():
    case = negotiate.load_case(CLIMATE)
    with pytest.raises(CaseError) as info:
        case.update({"parties.CHN.limits.cap": "reduction[self] * finance[self] <= 5",
                     "parties.IND.reservation": "high"})
    text = str(info.value)
    assert "<change>: parties.CHN.limits.cap: this expression is not linear" in text
    assert "<change>: parties.IND.reservation: expected a number" in text


def test_solve_with_changes_equals_solve_of_updated_case():
    case = negotiate.load_case(CLIMATE)
    a = negotiate.solve(case, "egalitarian", changes={"parameters.target": 33})
    b = negotiate.solve(case.update({"parameters.target": 33}), "egalitarian")
    assert a.to_dict()["parties"] == b.to_dict()["parties"]


def test_proposal_views():
    prop = negotiate.solve(CLIMATE, "nash", ideals=True)
    d = prop.to_dict()
    assert json.loads(prop.to_json()) == d
    frame = prop.parties_frame()
    assert list(frame.index) == ["CHN", "USA", "EU", "IND", "IDN"]
    assert {"utility", "gain", "satisfaction", "criterion.climate"} <= set(frame.columns)
    agreement = prop.agreement_frame()
    assert set(agreement["issue"]) == {"reduction", "finance", "mrv"}
    cons = prop.constraints_frame()
    assert "constraints.collective_cut" in cons.index and "parties.CHN.reservation" in cons.index
    assert "nash" in repr(prop) and "CHN=" in repr(prop)
    assert "<table" in prop._repr_html_()


def test_concept_names_and_default():
    case = negotiate.load_case(CLIMATE)
    assert negotiate.solve(case).concept == "nash"  # the case's solve: default
    assert negotiate.solve(case, "ks").concept == "kalai_smorodinsky"
    with pytest.raises(ValueError):
        negotiate.solve(case, "rawls")


def test_equal_voice_by_default():
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    assert all(p.weight == 1 for p in case.parties.values())
