"""Small discrete cases solved by enumeration, against the MIP path and brute force.

The enumeration (negotiate.discrete) must give the MIP path's answers on
random cases, every concept: the same status, the same agreement where the
MIP path settles its ties (the first in outcome order), otherwise the same
concept value; the same tie count. The brute-force reference in
tests/independent.py (itertools, plain Python) checks the optimum itself.
"""

import math
import random

import pytest

import negotiate
from conftest import ROOT, case_from_dict
from independent import brute_force, lex_greater
from test_concepts_brute_force import random_case

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def richer_case(seed: int) -> dict:
    """3-4 parties, a per-party discrete issue, an integer issue scored by a curve,
    a collective constraint and red lines: 10^2 to 10^4 outcomes."""
    rng = random.Random(1000 + seed)
    n = rng.choice([3, 4])
    ids = [f"P{i}" for i in range(n)]
    issues = {
        "level": {"options": ["low", "mid", "high"]},
        "share": {"options": ["a", "b"], "per_party": True},
        "years": {"range": [0, rng.choice([4, 6])], "integer": True},
    }
    parties = {}
    for p in ids:
        parties[p] = {
            "weight": rng.choice([1, 2]),
            "reservation": round(rng.uniform(0.0, 0.5), 3),
            "criteria": {
                "level": {"of": "level", "weight": rng.choice([1, 2, 3]),
                          "scores": {o: round(rng.random(), 3) for o in ("low", "mid", "high")}},
                "share": {"of": "share[self]", "weight": rng.choice([1, 2]),
                          "scores": {"a": round(rng.random(), 3), "b": round(rng.random(), 3)}},
                "years": {"of": "years", "weight": 1,
                          "points": [[0, round(rng.random(), 3)], [3, round(rng.random(), 3)],
                                     [6, round(rng.random(), 3)]]},
            },
        }
    parties[ids[0]]["limits"] = {"red_line": "years >= 1"}
    constraints = {"some_b": f"sum(share[b]) >= {rng.choice([0, 1])}"}
    return {"name": f"richer {seed}", "issues": issues, "constraints": constraints, "parties": parties}


def concept_value(case, concept, prop):
    """The concept's objective at a proposal (leximin: the scaled gains), from its utilities."""
    u = {p: o.utility for p, o in prop.parties.items()}
    w = {p: case.parties[p].weight for p in case.parties}
    d = {p: case.parties[p].reservation for p in case.parties}
    free = [p for p in case.parties if not prop.parties[p].held]
    if concept == "utilitarian":
        return prop.collective_benefit
    if concept == "nash":
        return sum(w[p] * math.log(max(u[p] - d[p], 1e-300)) for p in free)
    if concept == "egalitarian":
        return [(u[p] - d[p]) / w[p] for p in free]
    return [(u[p] - d[p]) / (prop.parties[p].ideal - d[p]) for p in free]


def same_answer(case, concept, brute=True):
    fast = negotiate.solve(case, concept, enumerate=True)
    mip = negotiate.solve(case, concept, enumerate=False)
    assert fast.solver["backend"] == "enumeration" and mip.solver["backend"] == "highs"
    assert fast.status == mip.status
    if not mip.ok:
        assert fast.agreement is None
        return
    assert {p: o.held for p, o in fast.parties.items()} == {p: o.held for p, o in mip.parties.items()}
    if mip.ties is not None:  # the MIP path settled its ties: the same first tie, the same count
        assert fast.agreement == mip.agreement
        assert fast.ties == mip.ties
    ours, theirs = concept_value(case, concept, fast), concept_value(case, concept, mip)
    if isinstance(ours, list):
        assert lex_greater(ours, theirs, 1e-7) == 0
    else:
        assert ours == pytest.approx(theirs, abs=1e-7)
    if brute:  # and the optimum itself, from itertools and plain Python
        ref = brute_force(case, concept)
        if concept == "utilitarian":
            assert ours == pytest.approx(ref["value"], abs=1e-7)
        elif concept == "nash":
            assert sum(case.parties[p].weight * math.log(max(fast.parties[p].gain, 1e-300))
                       for p in ref["active"]) == pytest.approx(ref["value"], abs=1e-6)
        else:
            u = {p: o.utility for p, o in fast.parties.items()}
            d = {p: case.parties[p].reservation for p in case.parties}
            assert lex_greater([ref["scale"][p] * (u[p] - d[p]) for p in ref["scale"]], ref["leximin"], 1e-7) == 0


@pytest.mark.parametrize("seed", range(12))
def test_enumeration_gives_the_mip_answer_on_random_cases(seed):
    case = case_from_dict(random_case(seed))
    for concept in CONCEPTS:
        same_answer(case, concept)


@pytest.mark.parametrize("seed", range(6))
def test_enumeration_gives_the_mip_answer_with_per_party_issues_and_constraints(seed):
    case = case_from_dict(richer_case(seed))
    for concept in CONCEPTS:
        same_answer(case, concept, brute=False)


@pytest.mark.parametrize("concept", CONCEPTS)
def test_bilateral_case_is_enumerated_by_default(concept):
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    prop = negotiate.solve(case, concept)
    assert prop.solver["backend"] == "enumeration" and prop.solver["outcomes"] == 2112
    assert prop.solver["solves"] == 0
    same_answer(case, concept)
    if concept == "nash":
        assert prop.solver["nash_gap"] == 0.0


def test_ideals_are_the_best_acceptable_utility():
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    fast = negotiate.solve(case, "utilitarian", ideals=True)
    mip = negotiate.solve(case, "utilitarian", ideals=True, enumerate=False)
    for p in case.parties:
        assert fast.parties[p].ideal == pytest.approx(mip.parties[p].ideal, abs=1e-9)
        assert fast.parties[p].ideal == pytest.approx(brute_force(case, "utilitarian")["ideal"][p], abs=1e-9)


def test_no_shadow_prices_on_a_discrete_case_and_the_proposal_says_why():
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    prop = negotiate.solve(case, "utilitarian")
    assert prop.shadow_prices["available"] is False
    assert any("shadow prices not available: every issue is discrete" in n for n in prop.notes)
    assert all(c.shadow_price is None for c in prop.constraints)


def test_infeasible_discrete_case_is_diagnosed():
    case = case_from_dict(random_case(3)).update({"parties.P0.reservation": 5.0})
    fast = negotiate.solve(case, "nash")
    mip = negotiate.solve(case, "nash", enumerate=False)
    assert fast.status == mip.status == "infeasible"
    assert fast.diagnosis is not None


def test_enumerate_true_on_a_continuous_case_is_refused():
    case = negotiate.load_case(ROOT / "cases" / "climate_club.yaml")
    with pytest.raises(ValueError, match="not solved by enumeration"):
        negotiate.solve(case, "utilitarian", enumerate=True)
    assert negotiate.solve(case, "utilitarian").solver["backend"] == "highs"


def test_pyomo_backend_is_not_replaced():
    case = case_from_dict(random_case(1))
    assert negotiate.solve(case, "utilitarian", backend="pyomo").solver["backend"] == "pyomo"


def test_session_enumerates_and_respects_fixed_options():
    """A what-if session answers as a cold solve; a drafted option's fixed issue is honoured."""
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    n = negotiate.Negotiation(case)
    for concept in CONCEPTS:
        warm = n.solve(concept)
        assert warm.solver["backend"] == "enumeration"
        assert warm.agreement == negotiate.solve(case, concept).agreement
    n.set("parties.EU.reservation", 0.5)
    assert n.solve("nash").agreement == negotiate.solve(n.case, "nash").agreement
    b, problem = n.backend, n.problem
    j = problem.var_col[("beef_quota", None, "kt99")]
    b.set_col_bounds(j, 1.0, 1.0)  # as compare does for a drafted package
    try:
        assert n.solve("utilitarian").agreement["beef_quota"] == "kt99"
    finally:
        b.set_col_bounds(j, 0.0, 1.0)


def test_values_no_scaling_can_save_are_the_same_located_error_when_enumerated():
    """Before: the enumeration compiled nothing, so a bound no solver can represent (which the
    MIP path refuses, located) was silently used."""
    from negotiate.errors import CaseError

    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    case = case.update({"parties.EU.limits.far": "transition <= 1e30"})
    for enumerate_ in (None, False):
        with pytest.raises(CaseError) as info:
            negotiate.solve(case, "nash", enumerate=enumerate_)
        problem = info.value.problems[0]
        assert problem.path == "parties.EU.limits.far" and "solver can represent" in problem.message


@pytest.mark.parametrize("transform", ["scores", "weights"])
@pytest.mark.parametrize("concept", CONCEPTS)
def test_enumeration_tolerances_are_relative_to_the_utility_scale(transform, concept):
    """Before: ties and acceptance were judged within 1e-9 absolute, so scores times 1e-9 made
    agreements below a reservation acceptable (then refused by the re-check: status error) and
    weights times 1e8 made every leximin level a tie (the first outcome proposed)."""
    import rescale

    data = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml").model_dump(exclude_unset=True)
    k = {"scores": 1e-9, "weights": 1e8}[transform]
    scaled = (rescale.scores_times if transform == "scores" else rescale.party_weights_times)(data, k)
    natural = negotiate.solve(rescale.case_of(data), concept)
    got = negotiate.solve(rescale.case_of(scaled), concept)
    assert got.solver["backend"] == "enumeration"
    assert got.status == natural.status == "optimal"
    assert got.agreement == natural.agreement and got.ties == natural.ties


def larger_tied_case(seed: int) -> dict:
    """4-5 parties, 10^3 to 10^4 outcomes, made tie-prone: scores from a few levels (many
    agreements give a party the same utility), twin options every party scores alike, an
    issue nobody scores (every optimum comes once per venue), a red line, a collective
    constraint across two issues; every third case a party that can gain nothing."""
    rng = random.Random(7000 + seed)
    ids = [f"P{i}" for i in range(rng.choice([4, 5]))]
    levels = [0.0, 0.25, 0.5, 1.0]
    issues = {f"i{k}": {"options": [f"o{j}" for j in range(m)]}
              for k, m in enumerate(rng.choice([[4, 4, 3, 3], [3, 3, 3, 3, 2], [4, 4, 4, 3], [4, 4, 3, 3, 3]]))}
    issues["years"] = {"range": [0, rng.choice([3, 5])], "integer": True}
    issues["venue"] = {"options": ["geneva", "vienna", "nairobi"][: rng.choice([2, 3])]}
    parties = {}
    for p in ids:
        crit = {iid: {"of": iid, "weight": rng.choice([1, 2]),
                      "scores": {o: rng.choice(levels) for o in issue["options"]}}
                for iid, issue in issues.items() if iid.startswith("i")}
        hi = issues["years"]["range"][1]
        crit["years"] = {"of": "years", "weight": 1,
                         "points": [[0, rng.choice(levels)], [hi, rng.choice(levels)]]}
        last = crit[f"i{len(issues) - 3}"]["scores"]
        last["o1"] = last["o0"]  # twin options: every party scores o1 of the last issue as o0
        parties[p] = {"weight": rng.choice([1, 1, 2]), "reservation": rng.choice([0.0, 0.1, 0.2, 0.4]),
                      "criteria": crit}
    if seed % 3 == 1:  # a party that cannot gain above its reservation: held there by KS and Nash
        for crit in parties[ids[-1]]["criteria"].values():
            crit.update({"scores": dict.fromkeys(crit["scores"], 0.0)} if "scores" in crit
                        else {"points": [[x, 0.0] for x, _ in crit["points"]]})
        parties[ids[-1]]["reservation"] = 0.0
    parties[ids[0]]["limits"] = {"red_line": "i0[o0] == 0"}
    return {"name": f"larger tied {seed}", "issues": issues, "parties": parties,
            "constraints": {"late_if_o1": "years >= 2 * i1[o1]"}}


@pytest.mark.parametrize("seed", range(12))
def test_enumeration_settles_ties_as_the_mip_path_on_larger_cases(seed):
    """10^3-10^4 outcomes, many ties, every concept: the enumeration proposes the MIP path's
    agreement (the first tie in outcome order, which the MIP path settles by its own tie
    search after its solve) with the same tie count, and both match the optimum and the
    tie set recomputed by itertools and plain Python (tests/independent.py)."""
    from negotiate.tie_sets import AUTO_CAP
    from test_ties import as_agreement, reference_ties

    case = case_from_dict(larger_tied_case(seed))
    n = math.prod(len(i.options) if i.options else int(i.range[1] - i.range[0]) + 1 for i in case.issues.values())
    assert 1_000 <= n <= 10_000 <= AUTO_CAP
    for concept in CONCEPTS:
        fast = negotiate.solve(case, concept)
        mip = negotiate.solve(case, concept, enumerate=False)
        assert fast.solver["backend"] == "enumeration" and fast.solver["outcomes"] == n
        assert fast.status == mip.status
        if not mip.ok:
            continue
        assert mip.ties is not None, "the MIP path enumerates the ties of a case this small"
        assert (fast.agreement, fast.ties) == (mip.agreement, mip.ties), concept
        assert {p: o.held for p, o in fast.parties.items()} == {p: o.held for p, o in mip.parties.items()}
        expected = [as_agreement(o) for o in reference_ties(case, concept)]
        assert fast.ties == len(expected) and fast.agreement == expected[0], concept


def test_enumeration_compiles_the_case_once_to_check_its_numbers(monkeypatch):
    """Before: every enumerated solve compiled the MIP model only to check the case's numbers
    (two thirds of a solve at 10^3 outcomes); the check is case-constant, so it is made once
    per case; a what-if change (a new case) is checked again."""
    import negotiate.compile as compile_module

    calls = []
    real = compile_module.compile_case
    monkeypatch.setattr(compile_module, "compile_case", lambda *a, **k: calls.append(1) or real(*a, **k))
    case = case_from_dict(larger_tied_case(0))
    for concept in CONCEPTS * 2:
        assert negotiate.solve(case, concept).solver["backend"] == "enumeration"
    assert len(calls) == 1
    negotiate.solve(case.update({"parties.P0.reservation": 0.05}), "nash")
    assert len(calls) == 2


@pytest.mark.parametrize("concept", CONCEPTS)
def test_cases_above_the_former_cap_are_enumerated_with_the_mip_answer(concept):
    """131,072 outcomes, above the former 100,000 cap (benchmarks/bench_discrete.py measured
    the enumeration faster than the MIP for every concept up to 10^6 outcomes): enumerated,
    the MIP path's answer."""
    rng = random.Random(42)
    issues = {f"i{k}": {"options": [f"o{j}" for j in range(4)]} for k in range(7)}
    issues["years"] = {"range": [0, 7], "integer": True}
    parties = {}
    for i in range(3):
        crit = {iid: {"of": iid, "weight": rng.choice([1, 2, 3]),
                      "scores": {o: round(rng.random(), 3) for o in issue["options"]}}
                for iid, issue in issues.items() if "options" in issue}
        crit["years"] = {"of": "years", "weight": 1, "points": [[0, round(rng.random(), 3)], [7, round(rng.random(), 3)]]}
        parties[f"P{i}"] = {"weight": rng.choice([1, 2]), "reservation": 0.3, "criteria": crit}
    parties["P0"]["limits"] = {"red_line": "i0[o0] == 0"}
    case = case_from_dict({"name": "above the former cap", "issues": issues, "parties": parties,
                           "constraints": {"late_if_o1": "years >= 2 * i1[o1]"}})
    fast = negotiate.solve(case, concept)
    assert fast.solver["backend"] == "enumeration" and fast.solver["outcomes"] == 131_072
    mip = negotiate.solve(case, concept, enumerate=False)
    assert fast.status == mip.status == "optimal"
    assert fast.agreement == mip.agreement
    assert {p: o.held for p, o in fast.parties.items()} == {p: o.held for p, o in mip.parties.items()}
