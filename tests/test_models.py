"""Models: merge semantics, data-driven curves, matrix data, located errors."""

import pytest

import negotiate
from conftest import ROOT
from negotiate.case.load import parse_document
from negotiate.case.models import apply_model, available_models
from negotiate.errors import CaseError

MODELS = ROOT / "tests" / "data" / "models"


def load_text(tmp_path, text, name="case.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return negotiate.load_case(path)


def tiny_case(tmp_path, parties_yaml: str, extra: str = ""):
    (tmp_path / "tiny.yaml").write_text((MODELS / "tiny.yaml").read_text())
    return load_text(tmp_path, f"name: T\nmodel: tiny.yaml\n{extra}parties:\n{parties_yaml}")


def test_shipped_models_are_found():
    assert {"climate_targets", "trade_standards"} <= set(available_models())


def test_every_party_is_inherited_and_case_wins_key_by_key(tmp_path):
    case = tiny_case(tmp_path, """
  A: {data: {knee: 10}}
  B:
    data: {knee: 20}
    reservation: 0.3
    criteria:
      cost: {points: [[0, 1], [50, 0.5]]}
      bonus: {of: "level[B]", points: [[0, 0], [50, 1]]}
    limits: {own_cap: null}
""")
    a, b = case.parties["A"], case.parties["B"]
    assert a.reservation == 0.1 and b.reservation == 0.3
    assert a.criteria["cost"].points[1] == ("data.knee[self]", 0.8)
    assert b.criteria["cost"].points == [(0.0, 1.0), (50.0, 0.5)]  # replaced, `of` inherited
    assert b.criteria["cost"].of == "level[self]"
    assert "bonus" in b.criteria and "bonus" not in a.criteria
    assert "own_cap" in a.limits and "own_cap" not in b.limits  # dropped with null
    assert case.parameters == {"cap": 50, "w_extra": 0} and case.model == "tiny.yaml"


def test_parameters_override_and_drop_a_criterion(tmp_path):
    case = tiny_case(tmp_path, "  A: {data: {knee: 10}, criteria: {extra: null}}\n  B: {data: {knee: 20}}\n",
                     extra="parameters: {cap: 40, w_extra: 2}\n")
    assert case.parameters["cap"] == 40
    assert "extra" not in case.parties["A"].criteria and "extra" in case.parties["B"].criteria
    prop = negotiate.solve(case, "utilitarian")
    assert prop.parties["B"].criteria["extra"] == pytest.approx(prop.agreement["level"]["B"] / 40)
    assert "extra" not in prop.parties["A"].criteria
    assert all(0 <= v <= 40 for v in prop.agreement["level"].values())  # range [0, cap] follows cap


def test_data_driven_curves_give_each_party_its_own_curve(tmp_path):
    case = tiny_case(tmp_path, "  A: {data: {knee: 10}}\n  B: {data: {knee: 30}}\n")
    prop = negotiate.solve(case, "egalitarian")
    for p, knee in (("A", 10), ("B", 30)):
        x = prop.agreement["level"][p]
        import numpy as np

        assert prop.parties[p].criteria["cost"] == pytest.approx(np.interp(x, [0, knee, 50], [1, 0.8, 0]))
        assert x <= knee + 20 + 1e-9


def test_matrix_data_weights_partners(tmp_path):
    case = load_text(tmp_path, """
name: matrix
issues:
  cut: {per_party: true, range: [0, 100]}
parties:
  A:
    data: {exports: {B: 3, C: 1}}
    criteria:
      access: {of: "sum(data.exports[self] * cut) / sum(data.exports[self])", points: [[0, 0], [100, 1]]}
      own: {of: "cut[self]", points: [[0, 1], [100, 0]]}
  B:
    data: {exports: {A: 1}}
    criteria:
      access: {of: "sum(data.exports[self] * cut)", points: [[0, 0], [100, 1]]}
      own: {of: "cut[self]", points: [[0, 1], [100, 0]]}
  C:
    data: {exports: {A: 2, B: 2}}
    criteria:
      own: {of: "cut[self]", points: [[0, 1], [100, 0]]}
""")
    from negotiate.compile import compile_case

    problem = compile_case(case)
    access = next(c for c in problem.resolved.criteria["A"] if c.id == "access")
    assert {k[1]: v for k, v in access.lin.terms.items()} == {"B": 0.75, "C": 0.25}


def test_matrix_data_with_unknown_partner_is_located(tmp_path):
    with pytest.raises(CaseError) as info:
        load_text(tmp_path, """
name: matrix
issues: {cut: {per_party: true, range: [0, 100]}}
parties:
  A:
    data: {exports: {B: 3, ZZ: 1}}
    criteria: {own: {of: "cut[self]", points: [[0, 1], [100, 0]]}}
  B:
    criteria: {own: {of: "cut[self]", points: [[0, 1], [100, 0]]}}
""")
    assert "case.yaml:6:" in str(info.value) and "`ZZ` is not a party" in str(info.value)


def test_errors_inside_a_model_point_into_the_model(tmp_path):
    (tmp_path / "broken_model.yaml").write_text((MODELS / "broken_model.yaml").read_text())
    with pytest.raises(CaseError) as info:
        load_text(tmp_path, "name: T\nmodel: broken_model.yaml\nparties:\n  A: {}\n")
    text = str(info.value)
    assert "broken_model.yaml:3:" in text and "meening" in text and "did you mean `meaning`" in text
    (tmp_path / "broken_model.yaml").write_text(
        (MODELS / "broken_model.yaml").read_text().replace("meening", "meaning"))
    with pytest.raises(CaseError) as info:
        load_text(tmp_path, "name: T\nmodel: broken_model.yaml\nparties:\n  A: {}\n  B: {}\n")
    (problem,) = info.value.problems
    assert problem.location.file.endswith("broken_model.yaml") and problem.location.line == 9
    assert "not linear" in problem.message and "inherited by 2 parties" in problem.message


def test_errors_of_the_case_stay_in_the_case(tmp_path):
    with pytest.raises(CaseError) as info:
        tiny_case(tmp_path, "  A: {data: {knee: 10}, reservaton: 0.2}\n")
    (problem,) = info.value.problems
    assert problem.location.file.endswith("case.yaml") and "did you mean `reservation`" in str(problem)


def test_unknown_model_suggests(tmp_path):
    with pytest.raises(CaseError) as info:
        load_text(tmp_path, "name: T\nmodel: climate_target\nparties: {A: {}}\n")
    assert "no model `climate_target`" in str(info.value) and "climate_targets" in str(info.value)


def test_a_model_cannot_name_parties(tmp_path):
    data, src = parse_document("name: T\nmodel: m.yaml\nparties: {A: {}}\n", str(tmp_path / "c.yaml"))
    (tmp_path / "m.yaml").write_text("issues: {x: {range: [0, 1]}}\nparties: {B: {}}\n")
    with pytest.raises(CaseError) as info:
        apply_model(data, src, tmp_path)
    assert "without its parties" in str(info.value)


def test_eu_case_meets_the_collective_cut():
    case = negotiate.load_case(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    assert len(case.parties) == 27
    base = {p: case.parties[p].data["base"] for p in case.parties}
    official = sum(base[p] * case.parties[p].data["official"] for p in base) / sum(base.values())
    assert official == pytest.approx(39.9, abs=0.05)
    for concept in ("utilitarian", "egalitarian", "kalai_smorodinsky", "nash"):
        prop = negotiate.solve(case, concept)
        cut = sum(base[p] * prop.agreement["reduction"][p] for p in base) / sum(base.values())
        assert cut >= 40 - 1e-6, concept
        assert all(o.accepts for o in prop.parties.values())


def test_models_ship_in_the_wheel(root):
    import tomllib

    config = tomllib.loads((root / "pyproject.toml").read_text())
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]["models"] == "negotiate/models"
