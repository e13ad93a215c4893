"""No agreement: the diagnosis against brute force on small discrete cases.

- the relaxations, applied to the case, make it solvable;
- no smaller relaxation does: the total scaled relaxation equals the minimum,
  over every outcome, of what that outcome would need (computed here);
- the largest agreeing group equals the largest by enumeration of groups.
"""

import itertools

import pytest

import negotiate
from conftest import case_from_dict
from independent import acceptable, outcomes, utility
from test_concepts_brute_force import random_case


def infeasible_cases(count=12):
    found, seed = [], 1000
    while len(found) < count and seed < 1400:
        data = random_case(seed)
        for p in data["parties"].values():
            p["reservation"] = round(min(0.95, p["reservation"] + 0.35), 3)
        case = case_from_dict(data)
        if not any(acceptable(case, o)[0] for o in outcomes(case)):
            found.append(case)
        seed += 1
    return found


CASES = infeasible_cases()


def utility_span(case, p):
    crit = case.parties[p].criteria
    total = sum(c.weight for c in crit.values())
    span = 0.0
    for c in crit.values():
        vals = list(c.scores.values()) if c.scores is not None else [float(y) for _, y in c.points]
        span += c.weight * (max(vals) - min(vals))
    return span / total


def needed(case, outcome):
    """The scaled relaxation an outcome needs (reservations; limits `X[o] == 0` span 1)."""
    total = 0.0
    for p, party in case.parties.items():
        total += max(0.0, party.reservation - utility(case, p, outcome)) / max(utility_span(case, p), 1e-9)
        for text in party.limits.values():
            issue, option = text.split("[")[0], text.split("[")[1].split("]")[0]
            total += 1.0 if outcome[issue] == option else 0.0
    return total


def test_there_are_cases_to_check():
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_relaxations_are_minimal_and_sufficient(case):
    prop = negotiate.solve(case, "utilitarian")
    assert prop.status == "infeasible"
    d = prop.diagnosis
    best = min(needed(case, o) for o in outcomes(case))
    assert d["total_scaled_relaxation"] == pytest.approx(best, abs=1e-6)
    changes = {}
    for c in d["relaxations"]:
        if c["kind"] == "reservation":
            changes[c["id"]] = c["to"] - 1e-9
        else:  # a limit `X[o] == 0` relaxed: at most its new bound
            p, lid = c["id"].split(".")[1], c["id"].split(".")[3]
            text = case.parties[p].limits[lid].replace("== 0", f"<= {c['to'] + 1e-9}")
            changes[c["id"]] = text
    assert negotiate.solve(case.update(changes), "utilitarian").status == "optimal"


@pytest.mark.parametrize("case", [c for c in CASES if len(c.parties) >= 3], ids=lambda c: c.name)
def test_largest_group_matches_enumeration(case):
    parties = list(case.parties)
    best = 0
    for size in range(len(parties) - 1, 1, -1):
        for group in itertools.combinations(parties, size):
            ok = False
            for o in outcomes(case):
                if all(utility(case, p, o) >= case.parties[p].reservation - 1e-12 for p in group) and all(
                        not (o[t.split("[")[0]] == t.split("[")[1].split("]")[0])
                        for p in group for t in case.parties[p].limits.values()):
                    ok = True
                    break
            if ok:
                best = size
                break
        if best:
            break
    group = negotiate.solve(case, "nash").diagnosis["largest_group"]
    if best == 0:
        assert group["parties"] is None
    else:
        assert len(group["parties"]) == best
        for p in group["parties"]:
            assert group["utilities"][p] >= case.parties[p].reservation - 1e-9


def test_iis_names_the_conflict():
    from conftest import ROOT

    prop = negotiate.solve(ROOT / "tests" / "data" / "no_deal.yaml")
    ids = {i["id"] for i in prop.diagnosis["iis"]}
    assert {"parties.seller.reservation", "parties.buyer.reservation"} <= ids
    assert prop.diagnosis["relaxations"][0]["text"]
