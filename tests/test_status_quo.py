"""The status quo (CASE_FORMAT.md section 6): values, reservations at it, located errors.

Utilities at the status quo are checked against hand arithmetic on the small
case's piecewise-linear curves.
"""

import math

import pytest

import negotiate
from conftest import ROOT, case_from_dict
from negotiate.errors import CaseError

SMALL = ROOT / "tests" / "data" / "status_quo" / "small.yaml"


def by_hand(cut_a: float, cut_b: float, std_score: float) -> dict:
    """Utilities of the small case's parties, from its curves written out."""
    benefit = (cut_a + cut_b) / 20
    return {"A": ((1 - cut_a / 10) + benefit + std_score) / 3,
            "B": (2 * (1 - cut_b / 10) + benefit) / 3}


def test_reservation_is_the_utility_at_the_status_quo():
    case = negotiate.load_case(SMALL)
    want = by_hand(2, 1, 0.0)
    for p in ("A", "B"):
        assert case.parties[p].reservation == pytest.approx(want[p], abs=1e-12)


def test_status_quo_reservation_is_written_back_and_recomputed_on_change():
    case = negotiate.load_case(SMALL)
    assert case.model_dump()["parties"]["A"]["reservation"] == "status_quo"
    changed = case.update({"status_quo.cut.A": 5, "status_quo.std": "basic"})
    want = by_hand(5, 1, 0.5)
    assert changed.parties["A"].reservation == pytest.approx(want["A"], abs=1e-12)
    assert changed.parties["B"].reservation == pytest.approx(want["B"], abs=1e-12)
    # a number set explicitly replaces the computed reservation
    fixed = case.update({"parties.A.reservation": 0.1})
    assert fixed.parties["A"].reservation == 0.1


def test_what_if_session_moves_the_status_quo_reservation():
    n = negotiate.Negotiation(SMALL)
    before = n.solve("nash")
    n.set("status_quo.cut.B", 4)
    want = by_hand(2, 4, 0.0)
    assert n.case.parties["B"].reservation == pytest.approx(want["B"], abs=1e-12)
    after = n.solve("nash")
    assert after.parties["B"].reservation == pytest.approx(want["B"], abs=1e-12)
    assert after.parties["B"].utility >= want["B"] - 1e-7
    assert before.to_dict()["status_quo"]["B"] != after.to_dict()["status_quo"]["B"]


def test_proposal_reports_status_quo_utilities_as_a_new_key():
    prop = negotiate.solve(SMALL, "nash")
    d = prop.to_dict()
    want = by_hand(2, 1, 0.0)
    assert d["status_quo"] == pytest.approx(want, abs=1e-9)
    for key in ("case", "concept", "status", "agreement", "parties", "collective_benefit", "constraints",
                "diagnosis", "solver"):
        assert key in d
    assert d["parties"]["A"]["reservation"] == pytest.approx(want["A"], abs=1e-12)
    assert prop.parties["A"].gain == pytest.approx(prop.parties["A"].utility - want["A"], abs=1e-12)


def test_no_status_quo_gives_null():
    assert negotiate.solve(ROOT / "cases" / "bilateral_fta.yaml", "nash").to_dict()["status_quo"] is None


def _data(**over):
    data = {
        "name": "t",
        "issues": {"cut": {"per_party": True, "range": [0, 10]}, "std": {"options": ["none", "full"]}},
        "status_quo": {"cut": {"default": 3}, "std": "full"},
        "parties": {p: {"reservation": "status_quo",
                        "criteria": {"c": {"of": "cut[self]", "points": [[0, 1], [10, 0]]},
                                     "s": {"of": "std", "scores": {"none": 0, "full": 1}}}}
                    for p in ("A", "B")},
    }
    data.update(over)
    return data


def test_bare_value_for_a_per_party_issue_is_every_partys():
    case = case_from_dict(_data(status_quo={"cut": 3, "std": "full"}))
    assert case.parties["A"].reservation == pytest.approx((0.7 + 1) / 2)


@pytest.mark.parametrize("status_quo, path, needle", [
    ({"cut": {"default": 3}, "std": "fulll"}, "status_quo.std", "not an option"),
    ({"cut": {"default": 11}, "std": "full"}, "status_quo.cut.default", "outside the issue's range"),
    ({"cut": {"C": 1, "default": 1}, "std": "full"}, "status_quo.cut.C", "unknown party"),
    ({"cut": {"default": 1}, "std": "full", "tax": 1}, "status_quo.tax", "unknown issue"),
    ({"cut": {"A": 1}, "std": "full"}, "parties.B.reservation", "needs the status quo of `cut`"),
    ({"cut": {"default": 1}, "std": {"A": "full"}}, "status_quo.std", "shared issue"),
    ({}, "parties.A.reservation", "needs the case's `status_quo:`"),
    ({"cut": [1, 2], "std": "full"}, "status_quo.cut", "expected a number, an option id, or {PARTY"),
    ({"cut": {"A": True, "default": 1}, "std": "full"}, "status_quo.cut", "for `A`"),
])
def test_bad_status_quo_is_a_located_error(status_quo, path, needle):
    with pytest.raises(CaseError) as info:
        case_from_dict(_data(status_quo=status_quo))
    hits = [p for p in info.value.problems if p.path == path]
    assert hits and needle in hits[0].message, [str(p) for p in info.value.problems]


def test_reservation_other_words_are_refused():
    with pytest.raises(CaseError) as info:
        case_from_dict(_data(parties={"A": {"reservation": "statusquo",
                                            "criteria": {"c": {"of": "cut[self]", "points": [[0, 1], [10, 0]]}}}}))
    assert any(p.path == "parties.A.reservation" for p in info.value.problems)


# -- sessions and diagnoses on a case with a status quo ---------------------------------
EU = ROOT / "cases" / "eu_effort_sharing_2030.yaml"


def test_session_moves_status_quo_reservations_with_a_parameter():
    n = negotiate.Negotiation(EU)
    n.set("parameters.w_climate", 4)
    cold = negotiate.load_case(EU).update({"parameters.w_climate": 4})
    for p in cold.parties:
        assert n.case.parties[p].reservation == pytest.approx(cold.parties[p].reservation, abs=1e-12)
    assert n.patches == 1 and n.rebuilds == 1  # patched in place, reservations moved with it
    warm, fresh = n.solve("nash"), negotiate.solve(cold, "nash")
    assert warm.collective_benefit == pytest.approx(fresh.collective_benefit, abs=1e-7)


def test_dropping_a_party_takes_its_status_quo_and_restoring_brings_it_back():
    n = negotiate.Negotiation(EU)
    before = n.solve("nash")
    n.drop_party("MT")
    assert "MT" not in n.case.status_quo["reduction"]
    assert n.solve("nash").ok
    n.restore_party("MT")
    assert n.case.status_quo["reduction"]["MT"] == 19
    assert n.case.model_dump(exclude_unset=True) == negotiate.load_case(EU).model_dump(exclude_unset=True)
    # The warm model (MT's rows retired, then added again) may stop at another point
    # inside Nash's certified gap: compare Nash's objective within that gap.
    after = n.solve("nash")
    gap = max(before.solver.nash_gap, after.solver.nash_gap)
    assert _nash_value(after) == pytest.approx(_nash_value(before), rel=gap)
    # sum w log(g) is strongly concave: a gap e bounds each gain's move by g_max * sqrt(2 e / w_min)
    gains = [o.gain for o in before.parties.values()]
    weights = [o.weight for o in before.parties.values()]
    tol = 2 * max(gains) * math.sqrt(2 * gap * abs(_nash_value(before)) / min(weights))
    for p, o in before.parties.items():
        assert after.parties[p].utility == pytest.approx(o.utility, abs=tol), p


def _nash_value(prop) -> float:
    return sum(o.weight * math.log(o.gain) for o in prop.parties.values())


def test_group_search_of_a_diagnosis_does_not_recurse():
    """Sub-cases solved by the group search used to diagnose themselves, recursively."""
    import time

    case = negotiate.load_case(ROOT / "cases" / "asia_pacific_compact.yaml")
    start = time.perf_counter()
    prop = negotiate.solve(case.update({"parameters.target": 35}), "utilitarian")
    assert prop.status == "infeasible"
    assert time.perf_counter() - start < 30
    group = prop.diagnosis["largest_group"]
    assert group["complete"] and group["without"] == ["IND"]


def test_a_sub_case_keeps_the_status_quo_of_its_parties():
    """The group search and dropped parties restate the case for fewer parties."""
    from negotiate.case.load import validate_data
    from negotiate.case.status_quo import for_parties, join_party, split_party

    case = negotiate.load_case(EU)
    data = case.model_dump(exclude_unset=True)
    group = [p for p in case.parties if p != "MT"]
    with pytest.raises(CaseError):  # the status quo names a party the sub-case lacks
        validate_data(dict(data, parties={p: data["parties"][p] for p in group}))
    sub = validate_data(dict(data, parties={p: data["parties"][p] for p in group},
                             status_quo=for_parties(data["status_quo"], group)))
    # the same status quo, less Malta's tiny share of the collective cut
    assert all(sub.parties[p].reservation == pytest.approx(case.parties[p].reservation, abs=1e-4) for p in group)
    rest, held = split_party(data["status_quo"], "MT")
    assert held == {"reduction": 19} and "MT" not in rest["reduction"] and rest["finance"] == 0
    assert join_party(rest, "MT", held)["reduction"] == data["status_quo"]["reduction"]


def test_status_quo_agreement_reads_like_a_proposal():
    from negotiate.analysis.status_quo import status_quo_agreement

    case = negotiate.load_case(SMALL)
    assert status_quo_agreement(case) == {"cut": {"A": 2.0, "B": 1.0}, "std": "none"}
    assert status_quo_agreement(negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")) is None
