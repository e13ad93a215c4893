"""What-if sessions: every answer equals a cold solve of `n.case`."""


import pytest

import negotiate
from conftest import ROOT
from independent import concept_value
from negotiate.errors import CaseError
from negotiate.whatif import Negotiation

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def same_as_cold(n, concepts=CONCEPTS):
    for concept in concepts:
        warm = n.solve(concept)
        cold = negotiate.solve(n.case, concept)
        assert warm.status == cold.status
        if cold.ok:
            # Nash is exact to its certified gap (1e-7 relative) on each side
            tol = dict(rel=2e-7, abs=1e-9) if concept == "nash" else dict(abs=1e-6)
            assert concept_value(n.case, warm, concept) == pytest.approx(concept_value(n.case, cold, concept),
                                                                         **tol), concept


EU = ROOT / "cases" / "eu_effort_sharing_2030.yaml"
EU_CHANGES = [
    ("parameters.target", 42),  # collective row bound
    ("parameters.w_ability_to_pay", 2),  # switches a criterion on for all
    ("parameters.max_cut", 70),  # issue range via a parameter (bounds, curves' reachable intervals)
    ("issues.reduction.range", [0, 65]),  # an issue range, directly
    ("parties.DE.reservation", 0.6),
    ("parties.PL.weight", 2.0),  # party weight: objectives only
    ("parties.FR.criteria.climate.weight", 6),
    ("parties.FR.criteria.abatement_cost.pieces", 10),  # a new curve
    ("parties.IT.data.mac", 150),
    ("parties.PL.limits.cap", "reduction[self] <= 15"),  # a new limit
    ("parties.PL.limits.cap", "reduction[self] <= 12"),  # its bound
    ("parties.PL.limits.cap", "reduction[self] + 0.5 * reduction[CZ] <= 20"),  # replaced expression
    ("constraints.collective_target", "sum(data.base * reduction) >= 41 * sum(data.base)"),
]


def test_every_kind_of_change_equals_a_cold_solve():
    n = Negotiation(EU)
    for path, v in EU_CHANGES:
        n.set(path, v)
        same_as_cold(n, ["utilitarian", "nash"])
    assert n.patches == len(EU_CHANGES)  # no change rebuilt the model ...
    assert n.rebuilds <= 2  # ... except one compaction once retired rows pile up (max_cut re-curves all)
    same_as_cold(n)


def test_small_changes_patch_in_place():
    n = Negotiation(EU)
    for path, v in [("parameters.target", 41), ("parties.DE.reservation", 0.6),
                    ("parties.PL.limits.cap", "reduction[self] <= 15")]:
        n.set(path, v)
    assert (n.rebuilds, n.patches) == (1, 3)


def test_mip_case_changes_equal_cold_solves():
    n = Negotiation(ROOT / "cases" / "digital_trade_standards.yaml")
    for path, v in [("parameters.min_average_cut", 45), ("parties.VNM.limits.protect_assembly",
                    "tariff_cut[self] <= 40"), ("parameters.w_fund", 0), ("parties.IND.reservation", 0.5),
                    ("parties.USA.data.exports", {"EU": 300, "JPN": 100})]:
        n.set(path, v)
        same_as_cold(n, ["utilitarian", "egalitarian", "nash"])


def test_drop_restore_reset_and_scenario():
    n = Negotiation(ROOT / "cases" / "asia_pacific_compact.yaml")
    base = n.solve("nash")
    n.drop_party("AUS")
    assert "AUS" not in n.case.parties
    same_as_cold(n)
    n.restore_party("AUS")
    assert list(n.case.parties) == list(negotiate.load_case(ROOT / "cases" / "asia_pacific_compact.yaml").parties)
    with n.scenario({"parameters.target": 30}, parties__JPN__reservation=0.55):
        assert n.case.parameters["target"] == 30 and n.case.parties["JPN"].reservation == 0.55
        same_as_cold(n, ["nash"])
    assert n.case.parameters["target"] == 25
    n.set("parameters.target", 20)
    n.reset()
    # Nash is exact to its certified gap (1e-7 relative), as in same_as_cold
    assert concept_value(n.case, n.solve("nash"), "nash") == pytest.approx(concept_value(n.case, base, "nash"),
                                                                            rel=2e-7, abs=1e-9)


def test_a_bad_change_is_located_and_leaves_the_session_usable():
    n = Negotiation(EU)
    before = n.solve("utilitarian").collective_benefit
    with pytest.raises(CaseError) as info:
        n.set("parties.PL.limits.cap", "reduction[self] * reduction[CZ] <= 20")
    assert "<change>: parties.PL.limits.cap: this expression is not linear" in str(info.value)
    with pytest.raises(CaseError):
        n.set("parties.PL.reservation", "a lot")
    with pytest.raises(CaseError):
        n.drop_party("XX")
    assert "cap" not in n.case.parties["PL"].limits
    assert n.solve("utilitarian").collective_benefit == pytest.approx(before, abs=1e-12)


def test_dropping_a_party_named_by_others_is_refused():
    n = Negotiation(ROOT / "cases" / "asia_pacific_compact.yaml")
    n.set("parties.KOR.limits.follow_japan", "reduction[self] >= reduction[JPN] - 10")
    with pytest.raises(CaseError) as info:
        n.drop_party("JPN")
    assert "unknown party `JPN`" in str(info.value)
    assert "JPN" in n.case.parties


def test_sweep_matches_cold_solves():
    n = Negotiation(ROOT / "cases" / "bilateral_fta.yaml")
    values = [0.4, 0.5, 0.6, 0.95]
    frame = n.sweep("parties.EU.reservation", values, "nash")
    assert list(frame["parties.EU.reservation"]) == values
    assert list(frame["status"]) == ["optimal", "optimal", "optimal", "infeasible"]
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    for (_, row), v in zip(frame.iterrows(), values[:3]):
        cold = negotiate.solve(case.update({"parties.EU.reservation": v}), "nash")
        assert row["collective_benefit"] == pytest.approx(cold.collective_benefit, abs=1e-6)
    assert n.case.parties["EU"].reservation == 0.45  # restored
    bad = n.sweep("parties.EU.reservation", ["high", 0.5])
    assert list(bad["status"]) == ["invalid", "optimal"]


def test_nash_fallback_leaves_the_model_clean():
    """Two drafts, each good for one side only: no agreement gives both a positive gain,
    so Nash proposes the egalitarian agreement; later solves must not feel its rows."""
    from conftest import case_from_dict

    case = case_from_dict({
        "name": "either or", "issues": {"deal": {"options": ["a_wins", "b_wins", "none"]}},
        "parties": {
            "A": {"reservation": 0.0,
                  "criteria": {"c": {"of": "deal", "scores": {"a_wins": 1, "b_wins": 0, "none": 0}}}},
            "B": {"reservation": 0.0, "weight": 2,
                  "criteria": {"c": {"of": "deal", "scores": {"a_wins": 0, "b_wins": 0.6, "none": 0}}}},
        },
    })
    n = Negotiation(case)
    nash = n.solve("nash")
    assert nash.ok and any("egalitarian agreement is proposed" in note for note in nash.notes)
    for concept in ("utilitarian", "egalitarian", "kalai_smorodinsky"):
        assert n.solve(concept).collective_benefit == pytest.approx(
            negotiate.solve(case, concept).collective_benefit, abs=1e-9)
