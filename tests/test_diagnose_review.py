"""Inputs a review of the diagnosis and what-if code found wanting, each a regression test.

- a reservation given through the API as an integer beyond float range
  (`10**400`) raised OverflowError from `Case.update` and `Negotiation.set`;
  it is a located CaseError, as a float infinity is;
- an integer issue whose range holds no whole number (`[0.2, 0.8]`) gave
  "infeasible" with an empty conflicting set and no concessions (nothing a
  party can concede makes an agreement); it is a located CaseError, from a
  case file and from a what-if change;
- the deletion filter returned an empty conflicting set when the conflict
  lay in what it cannot drop; it now says it found none (None).
"""

from __future__ import annotations

import pytest
from conftest import ROOT, case_from_dict

import negotiate
from negotiate.case.resolve import _resolve
from negotiate.case.schema import Case
from negotiate.compile import compile_case
from negotiate.diagnose import conflicting_set
from negotiate.errors import CaseError
from negotiate.whatif import Negotiation

ASIA = ROOT / "cases" / "asia_pacific_compact.yaml"


@pytest.mark.parametrize("value", [10**400, -(10**400)])
def test_a_reservation_beyond_float_range_is_a_located_case_error(value):
    case = negotiate.load_case(ASIA)
    with pytest.raises(CaseError) as cold:
        case.update({"parties.JPN.reservation": value})
    with pytest.raises(CaseError) as warm:
        Negotiation(case).set("parties.JPN.reservation", value)
    for e in (cold.value, warm.value):
        (problem,) = e.problems
        assert problem.path == "parties.JPN.reservation" and "finite" in problem.message


def integer_case(lo: float, hi: float):
    return case_from_dict({
        "name": "whole numbers",
        "issues": {"share": {"range": [0, 10]}, "seats": {"range": [lo, hi], "integer": True}},
        "parties": {p: {"reservation": 0.1,
                        "criteria": {"s": {"of": "share", "points": [[0, k % 2], [10, 1 - k % 2]]},
                                     "n": {"of": "seats", "points": [[0, 0], [1, 1]]}}}
                    for k, p in enumerate("ABC")},
    })


def test_an_integer_range_without_a_whole_number_is_a_located_case_error():
    with pytest.raises(CaseError) as e:
        integer_case(0.2, 0.8)
    (problem,) = e.value.problems
    assert problem.path == "issues.seats.range" and "no whole number" in problem.message
    assert negotiate.solve(integer_case(0.2, 1.0)).status == "optimal"  # 1 is in it
    n = Negotiation(integer_case(0, 1))
    assert n.solve().status == "optimal"
    with pytest.raises(CaseError) as e:
        n.set("issues.seats.range", [0.3, 0.6])
    assert e.value.problems[0].path == "issues.seats.range"
    assert n.solve().status == "optimal"  # the session is where it was


def test_no_conflicting_set_is_not_an_empty_one():
    """The model of a range without a whole number (resolved past its error, as the old code
    let it be): nothing the filter can drop is needed, and it says it found no set rather
    than an empty one."""
    data = integer_case(0, 1).model_dump(exclude_unset=True)
    data["issues"]["seats"]["range"] = [0.2, 0.8]
    case = Case.model_validate(data)
    resolved, problems = _resolve(case)
    assert [p.path for p in problems] == ["issues.seats.range"]
    case._resolved = resolved
    problem = compile_case(case)
    assert conflicting_set(problem) is None
