"""Concessions in a negotiator's words and the case's units, checked by solving again.

A concession said as a parameter's new value is only right if setting the
parameter to that value really makes an agreement possible (and a little less
does not): each wording is checked that way, independently of how it was
derived from the row's bounds.
"""

import pytest

import negotiate
from conftest import ROOT
from negotiate.report.text import explanation_data
from negotiate.report.words import concession, describe_bound

PRICE_FLOOR = ROOT / "tests" / "data" / "price_floor.yaml"
CLIMATE = ROOT / "cases" / "climate_club.yaml"
EU = ROOT / "cases" / "eu_effort_sharing_2030.yaml"


def test_a_red_line_in_the_issues_unit_with_its_equally_small_alternative():
    case = negotiate.load_case(PRICE_FLOOR)
    prop = negotiate.solve(case)
    assert prop.status == "infeasible"
    d = prop.diagnosis
    words = [concession(c, case) for c in d["relaxations"]]
    alternatives = [[concession(c, case) for c in alt] for alt in d["alternatives"]]
    said = set(words) | {w for alt in alternatives for w in alt}
    assert said == {"lower NOR's price floor from 100 to 80 EUR/t (parameters.price_floor = 80)",
                    "raise EU's budget from 80 to 100 EUR/t"}
    # both are real: each alone makes an agreement possible
    assert negotiate.solve(case, changes={"parameters.price_floor": 80}).ok
    assert negotiate.solve(case, changes={"parties.EU.limits.budget": "price <= 100"}).ok
    assert not negotiate.solve(case, changes={"parameters.price_floor": 81}).ok


def test_a_collective_target_as_its_parameter_in_percent():
    case = negotiate.load_case(CLIMATE).update({"parameters.target": 60})
    prop = negotiate.solve(case)
    assert prop.status == "infeasible"
    (change,) = [c for c in prop.diagnosis["relaxations"] if c["id"] == "constraints.collective_cut"]
    text = concession(change, case)
    assert text.startswith("lower the collective cut from 60% to ") and "% below 2022 by 2035" in text
    new = float(text.split("(parameters.target = ")[1].rstrip(")"))
    assert 50 < new < 60
    if len(prop.diagnosis["relaxations"]) == 1:  # the target alone is the concession: check it by solving
        assert negotiate.solve(case, changes={"parameters.target": new - 0.01}).ok
        assert not negotiate.solve(case, changes={"parameters.target": new + 0.05}).ok


def test_model_parameters_take_the_models_unit():
    case = negotiate.load_case(EU)
    bound = describe_bound(case, "constraints.collective_target", None, "lower")
    assert bound.parameter == "parameters.target" and bound.unit == "%"
    total = sum(p.data["base"] for p in case.parties.values())
    assert bound.scale == pytest.approx(total)  # the row's bound is target * sum(base)
    change = {"id": "constraints.collective_target", "kind": "constraint", "party": None, "bound": "lower",
              "from": 40 * total, "to": 37.5 * total}
    assert concession(change, case) == "lower the collective target from 40% to 37.5% (parameters.target = 37.5)"


def test_reservations_and_unknown_rows():
    case = negotiate.load_case(ROOT / "tests" / "data" / "no_deal.yaml")
    change = {"id": "parties.seller.reservation", "kind": "reservation", "party": "seller", "bound": "lower",
              "from": 0.7, "to": 0.4, "text": "seller accepts a utility of 0.4 instead of 0.7"}
    assert concession(change, case).startswith("lower seller's reservation from 0.7 to 0.4")
    odd = {"id": "parties.seller.curve[3]", "kind": "limit", "party": "seller", "bound": "upper",
           "from": 1, "to": 2, "text": "as the diagnosis said it"}
    assert concession(odd, case) == "as the diagnosis said it"


def test_explanation_data_carries_the_words():
    data = explanation_data(negotiate.solve(PRICE_FLOOR), negotiate.load_case(PRICE_FLOOR))
    d = data["diagnosis"]
    assert d["relaxations"][0]["words"]
    assert d["alternatives_in_words"]


def test_red_line_cost_is_per_unit_of_the_issue_not_of_the_row():
    """Utilitarian benefit 2 * p/200 + (1 - p/200) rises by 1/200 per EUR/t of price: the buyer's red
    line `2 * price <= 160` costs 0.005 per EUR/t (0.0025 per unit of its row)."""
    from conftest import case_from_dict
    from negotiate.report.text import red_line_costs

    case = case_from_dict({
        "name": "price cap", "issues": {"price": {"range": [0, 200], "unit": "EUR/t"}},
        "parties": {
            "seller": {"weight": 2, "criteria": {"revenue": {"of": "price", "points": [[0, 0], [200, 1]]}}},
            "buyer": {"criteria": {"cost": {"of": "price", "points": [[0, 1], [200, 0]]}},
                      "limits": {"budget": "2 * price <= 160"}}}})
    prop = negotiate.solve(case, "utilitarian")
    assert prop.agreement["price"] == pytest.approx(80)
    (line,) = red_line_costs(prop, case)
    assert line == "relaxing buyer's budget by 1 EUR/t raises collective benefit by 0.005"
