"""A what-if shares the untouched status-quo parties unless it may move their reservation.

A reservation at the status quo is set on its party when a case is resolved;
an untouched party of a changed case used to be copied on every what-if (200
copies a change at 200 parties), so the old case kept its own value. Now it
is copied only when the change may move that value: a parameter or another
party's `data.F` its criteria (curves or weights) name, the status quo, an
issue. Checked for every kind of change: the new case's reservations equal
those of the case validated cold from its data, the old case (the session's
snapshot) keeps the values it had, and parties nothing moved are shared.
"""

from __future__ import annotations

import pytest
from conftest import case_from_dict

from negotiate.case.load import validate_data
from negotiate.whatif import Negotiation


def sq_case():
    curve = [[0, 1], [10, 0]]
    return case_from_dict({
        "name": "status quo, shared",
        "parameters": {"k": 2, "target": 3, "scale": 1},
        "issues": {"cut": {"per_party": True, "range": [0, 10]}, "std": {"options": ["none", "full"]}},
        "status_quo": {"cut": {"A": 2, "default": 1}, "std": "none"},
        "constraints": {"total": "sum(cut) >= target"},
        "parties": {
            "A": {"reservation": "status_quo", "data": {"em": 2.0, "own": 1.0},
                  "criteria": {"c": {"of": "cut[self]", "points": curve, "weight": "k"},
                               "s": {"of": "std", "scores": {"none": 0.2, "full": 1}}}},
            "B": {"reservation": "status_quo", "data": {"em": 1.0, "own": 3.0},
                  "criteria": {"c": {"of": "cut[self] * scale", "points": curve},
                               "g": {"of": "sum(data.em * cut) / sum(data.em)", "points": [[0, 0], [10, 1]]}}},
            "C": {"reservation": "status_quo", "data": {"em": 4.0, "own": 2.0},
                  "criteria": {"c": {"of": "cut[self] + data.own[self]", "points": [[0, 1], [20, 0]]}},
                  "limits": {"cap": "cut[self] <= 9"}},
        },
    })


# change -> the untouched parties whose reservation it may move (the rest are shared)
CHANGES = [
    ({"parameters.target": 4}, set()),  # read by a constraint only
    ({"parameters.k": 3}, {"A"}),  # a criterion weight of A
    ({"parameters.scale": 2}, {"B"}),  # a curve's argument of B
    ({"parties.C.limits.cap": "cut[self] <= 8"}, set()),
    ({"parties.C.reservation": 0.1}, set()),
    ({"parties.A.criteria.c.weight": 5}, set()),
    ({"parties.C.data.own": 5.0}, set()),  # read as data.own[self]: C's own items only
    ({"parties.C.data.em": 9.0}, {"B"}),  # read as data.em by B
    ({"constraints.total": "sum(cut) >= 2"}, set()),
    ({"status_quo.std": "full"}, {"A", "B", "C"}),
    ({"issues.cut.range": [0, 12]}, {"A", "B", "C"}),
]


@pytest.mark.parametrize("change,moves", CHANGES, ids=[next(iter(c)) for c, _ in CHANGES])
def test_each_case_keeps_its_own_status_quo_reservations(change, moves):
    n = Negotiation(sq_case())
    n.solve("nash")
    old = n.case
    before = {p: float(party.reservation) for p, party in old.parties.items()}
    n.update(change)
    new = n.case
    cold = validate_data(new.model_dump(exclude_unset=True))
    for p in new.parties:
        assert float(new.parties[p].reservation) == pytest.approx(float(cold.parties[p].reservation), abs=1e-12), p
        assert float(old.parties[p].reservation) == before[p], p  # the snapshot is untouched
    changed_party = next(iter(change)).split(".")[1] if next(iter(change)).startswith("parties.") else None
    for p in new.parties:
        if p == changed_party:
            continue
        shared = new.parties[p] is old.parties[p]
        assert shared == (p not in moves), p
    # and back: the old values return, on the session and on its old snapshot
    n.reset()
    assert {p: float(n.case.parties[p].reservation) for p in n.case.parties} == before
    assert {p: float(old.parties[p].reservation) for p in old.parties} == before
