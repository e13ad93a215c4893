"""Every concept against brute-force enumeration of every outcome.

On the shipped bilateral case (2,112 outcomes) and on random small discrete
cases, the proposal must reach the optimum found by enumeration, and the
utilitarian, egalitarian and Kalai-Smorodinsky proposals must not be
Pareto-dominated by any acceptable outcome.
"""

import math
import random

import pytest

import negotiate
from conftest import ROOT, case_from_dict
from independent import brute_force, lex_greater, pareto_dominated

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def check(case, concept, backend="highs"):
    ref = brute_force(case, concept)
    prop = negotiate.solve(case, concept, backend=backend)
    if not ref["feasible"]:
        assert prop.status == "infeasible" and prop.agreement is None
        return prop
    assert prop.status == "optimal", prop.notes
    u = {p: o.utility for p, o in prop.parties.items()}
    w = {p: case.parties[p].weight for p in case.parties}
    d = {p: case.parties[p].reservation for p in case.parties}
    for p in case.parties:
        assert u[p] >= d[p] - 1e-9, "every party accepts"
    if concept == "utilitarian":
        assert prop.collective_benefit == pytest.approx(ref["value"], abs=1e-7)
    elif concept == "nash":
        active = ref["active"]
        ours = sum(w[p] * math.log(max(u[p] - d[p], 1e-300)) for p in active)
        assert ours == pytest.approx(ref["value"], abs=1e-6)
    else:
        scale = ref["scale"]
        ours = [scale[p] * (u[p] - d[p]) for p in scale]
        assert lex_greater(ours, ref["leximin"], 1e-7) == 0, (sorted(ours), ref["leximin"])
    if concept != "nash":
        assert not pareto_dominated(case, u)
    return prop


@pytest.mark.parametrize("concept", CONCEPTS)
def test_bilateral_case_matches_enumeration(concept):
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    check(case, concept)


def random_case(seed: int) -> dict:
    """2-3 parties, 2-3 discrete issues, maybe an integer issue, a red line."""
    rng = random.Random(seed)
    n_parties = rng.choice([2, 2, 3])
    issues = {}
    for k in range(rng.choice([2, 3])):
        issues[f"i{k}"] = {"options": [f"o{j}" for j in range(rng.choice([2, 3, 4]))]}
    if rng.random() < 0.5:
        issues["years"] = {"range": [0, rng.choice([3, 5])], "integer": True}
    parties = {}
    for p in range(n_parties):
        crit = {}
        for iid, issue in issues.items():
            if "options" in issue:
                crit[iid] = {"of": iid, "weight": rng.choice([1, 2, 3]),
                             "scores": {o: round(rng.random(), 3) for o in issue["options"]}}
            else:
                hi = issue["range"][1]
                crit[iid] = {"of": iid, "weight": rng.choice([1, 2]),
                             "points": [[0, round(rng.random(), 3)], [hi / 2, round(rng.random(), 3)],
                                        [hi, round(rng.random(), 3)]]}
        parties[f"P{p}"] = {
            "weight": rng.choice([1, 1, 2]),
            "reservation": round(rng.uniform(0.0, 0.75 if seed % 5 == 0 else 0.45), 3),
            "criteria": crit,
        }
    if rng.random() < 0.5:
        parties["P0"]["limits"] = {"red_line": "i0[o0] == 0"}
    return {"name": f"random {seed}", "issues": issues, "parties": parties}


@pytest.mark.parametrize("seed", range(40))
def test_random_discrete_cases_match_enumeration(seed):
    case = case_from_dict(random_case(seed))
    for concept in CONCEPTS:
        check(case, concept)


@pytest.mark.parametrize("seed", range(6))
def test_random_discrete_cases_pyomo_backend(seed):
    case = case_from_dict(random_case(seed))
    for concept in CONCEPTS:
        check(case, concept, backend="pyomo")


def test_party_whose_ideal_is_its_reservation_is_held():
    """Nash and KS hold a party that cannot gain at all at its reservation."""
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    ideal = brute_force(case, "utilitarian")["ideal"]["MERCOSUR"]
    case = case.update({"parties.MERCOSUR.reservation": ideal})
    for concept in CONCEPTS:
        prop = check(case, concept)
        if concept in ("nash", "kalai_smorodinsky"):
            assert prop.parties["MERCOSUR"].held
            assert prop.parties["MERCOSUR"].utility == pytest.approx(ideal, abs=1e-9)
            assert any("MERCOSUR" in n for n in prop.notes)
