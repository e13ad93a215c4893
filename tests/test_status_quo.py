"""The status quo (CASE_FORMAT.md section 6): values, reservations at it, located errors.

Utilities at the status quo are checked against hand arithmetic on the small
case's piecewise-linear curves.
"""

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
    ({"cut": {"A": 1}, "std": "full"}, "parties.B.reservation", "needs the status quo of `cut[B]`"),
    ({"cut": {"default": 1}, "std": {"A": "full"}}, "status_quo.std", "shared issue"),
    ({}, "parties.A.reservation", "needs the case's `status_quo:`"),
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
