"""The NegMAS bridge: utilities of random outcomes agree across case -> NegMAS -> case.

NegMAS evaluates its own LinearAdditiveUtilityFunction (its code, not ours);
the case side is evaluated by tests/independent.py. A short SAO run shows a
user can simulate alternating-offers agents on an exported case.
"""

import random

import pytest

negmas = pytest.importorskip("negmas")

import negotiate  # noqa: E402
from conftest import ROOT, case_from_dict  # noqa: E402
from independent import party_utility  # noqa: E402
from test_concepts_brute_force import random_case  # noqa: E402

HOLIDAY = ROOT / "tests" / "data" / "interop" / "genius_holiday"


def random_outcomes(case, rng, n=40):
    out = []
    for _ in range(n):
        a = {}
        for iid, issue in case.issues.items():
            a[iid] = rng.choice(issue.options) if issue.options else rng.randint(int(issue.range[0]), int(issue.range[1]))
        out.append(a)
    return out


def negmas_outcome(scenario, agreement: dict) -> tuple:
    return tuple(agreement[i.name] for i in scenario.outcome_space.issues)


def assert_same_utilities(case, scenario, back, rng):
    assert [u.name for u in scenario.ufuns] == list(case.parties)
    for a in random_outcomes(case, rng):
        for k, p in enumerate(case.parties):
            ours = party_utility(case, p, a)
            assert float(scenario.ufuns[k](negmas_outcome(scenario, a))) == pytest.approx(ours, abs=1e-9)
            assert party_utility(back, p, a) == pytest.approx(ours, abs=1e-9)
    for p in case.parties:
        assert back.parties[p].reservation == pytest.approx(case.parties[p].reservation, abs=1e-12)


def test_round_trip_of_an_imported_genius_domain():
    case = negotiate.import_domain(HOLIDAY).case
    scenario = negotiate.to_negmas(case)
    back = negotiate.from_negmas(scenario)
    assert_same_utilities(case, scenario, back, random.Random(1))
    assert [u.reserved_value for u in scenario.ufuns] == [case.parties[p].reservation for p in case.parties]


@pytest.mark.parametrize("seed", range(12))
def test_round_trip_of_random_discrete_cases(seed):
    data = random_case(seed)
    for party in data["parties"].values():
        party.pop("limits", None)  # a NegMAS outcome space has no red lines
    case = case_from_dict(data)
    scenario = negotiate.to_negmas(case)
    back = negotiate.from_negmas(scenario)
    assert_same_utilities(case, scenario, back, random.Random(seed))
    # the concepts agree on both sides (a NegMAS scenario has no party weights: equal voice)
    equal = case.update({f"parties.{p}.weight": 1 for p in case.parties})
    for concept in ("utilitarian", "nash", "kalai_smorodinsky"):
        ours, theirs = negotiate.solve(equal, concept), negotiate.solve(back, concept)
        assert ours.status == theirs.status
        if ours.ok:
            for p in case.parties:
                assert theirs.parties[p].utility == pytest.approx(ours.parties[p].utility, abs=1e-7)


def test_a_linear_criterion_over_several_issues_is_split_exactly():
    data = {"name": "mix", "issues": {"a": {"options": ["x", "y"]}, "b": {"options": ["p", "q", "r"]}},
            "parties": {"A": {"reservation": 0.1, "criteria": {
                "both": {"of": "0.5 * a[x] + 0.25 * b[q] + 0.2", "weight": 2,
                         "points": [[0, 0], [1, 1]]},
                "only_b": {"of": "b", "scores": {"p": 1, "q": 0, "r": 0.5}}}}}}
    case = case_from_dict(data)
    scenario = negotiate.to_negmas(case)
    back = negotiate.from_negmas(scenario)
    assert_same_utilities(case, scenario, back, random.Random(5))
    data["parties"]["A"]["criteria"]["both"]["points"] = [[0, 0], [0.5, 0.9], [1, 1]]  # a kink it reaches
    with pytest.raises(ValueError, match="parties.A.criteria.both: a non-linear curve"):
        negotiate.to_negmas(case_from_dict(data))


def test_from_negmas_keeps_a_negmas_ufun_exactly():
    from negmas import LinearAdditiveUtilityFunction, make_issue, make_os
    from negmas.inout import Scenario
    from negmas.preferences.value_fun import TableFun

    space = make_os([make_issue(["red", "dark blue"], "colour"), make_issue((1, 6), "days")], name="orders")
    u1 = LinearAdditiveUtilityFunction(values=[TableFun({"red": 1.0, "dark blue": 0.3}),
                                               TableFun({d: 1 - d / 6 for d in range(1, 7)})],
                                       weights=[0.7, 0.5], bias=0.05, outcome_space=space, reserved_value=0.4,
                                       name="buyer")
    u2 = LinearAdditiveUtilityFunction(values=[TableFun({"red": 0.0, "dark blue": 1.0}),
                                               TableFun({d: (d / 6) ** 2 for d in range(1, 7)})],
                                       weights=[-0.2, 1.0], outcome_space=space, reserved_value=float("-inf"),
                                       name="seller")
    scenario = Scenario(outcome_space=space, ufuns=(u1, u2))
    case = negotiate.from_negmas(scenario)
    assert case.issues["colour"].options == ["red", "dark_blue"] and case.issues["days"].integer
    for colour, cid in (("red", "red"), ("dark blue", "dark_blue")):
        for d in range(1, 7):
            a = {"colour": cid, "days": d}
            assert party_utility(case, "buyer", a) == pytest.approx(float(u1((colour, d))), abs=1e-12)
            assert party_utility(case, "seller", a) == pytest.approx(float(u2((colour, d))), abs=1e-12)
    assert case.parties["buyer"].reservation == 0.4
    lowest = min(float(u2((c, d))) for c in ("red", "dark blue") for d in range(1, 7))
    assert case.parties["seller"].reservation == pytest.approx(lowest)


def test_refusals_are_clear():
    with pytest.raises(ValueError, match="no constraints"):
        negotiate.to_negmas(negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml"))
    with pytest.raises(ValueError, match="continuous"):
        negotiate.to_negmas(negotiate.load_case(ROOT / "cases" / "climate_club.yaml"))


def test_an_sao_negotiation_runs_on_an_exported_case():
    from negmas import AspirationNegotiator, SAOMechanism

    case = negotiate.import_domain(HOLIDAY).case
    scenario = negotiate.to_negmas(case)
    mechanism = SAOMechanism(outcome_space=scenario.outcome_space, n_steps=60)
    for ufun in scenario.ufuns:
        mechanism.add(AspirationNegotiator(name=ufun.name), ufun=ufun)
    state = mechanism.run()
    assert state.agreement is not None
    for ufun in scenario.ufuns:  # each agent accepted only what beats its reservation
        assert float(ufun(state.agreement)) >= ufun.reserved_value - 1e-9
    # the agreement, back in case terms, is acceptable to every party of the case
    agreement = dict(zip(case.issues, state.agreement))
    for p in case.parties:
        assert party_utility(case, p, agreement) >= case.parties[p].reservation - 1e-9


def test_per_party_issues_become_one_negmas_issue_per_party():
    data = {"name": "pp", "issues": {"share": {"options": ["low", "high"], "per_party": True},
                                     "years": {"range": [1, 4], "integer": True}},
            "parties": {p: {"reservation": 0.2, "criteria": {
                "own": {"of": "share[self]", "scores": {"low": 0.4, "high": 1}},
                "other": {"of": f"share[{q}]", "scores": {"low": 1, "high": 0.3}},
                "time": {"of": "years", "points": [[1, 0], [2, 0.8], [4, 1]]}}}
                        for p, q in (("A", "B"), ("B", "A"))}}
    case = case_from_dict(data)
    scenario = negotiate.to_negmas(case)
    assert [i.name for i in scenario.outcome_space.issues] == ["share[A]", "share[B]", "years"]
    back = negotiate.from_negmas(scenario)
    assert list(back.issues) == ["share_A", "share_B", "years"]
    own, other, time = {"low": 0.4, "high": 1}, {"low": 1, "high": 0.3}, {1: 0, 2: 0.8, 3: 0.9, 4: 1}
    for a, b, y in [(a, b, y) for a in ("low", "high") for b in ("low", "high") for y in range(1, 5)]:
        for k, (mine, theirs) in enumerate(((a, b), (b, a))):  # computed by hand from the case above
            expected = (own[mine] + other[theirs] + time[y]) / 3
            assert float(scenario.ufuns[k]((a, b, y))) == pytest.approx(expected, abs=1e-12)
            p = list(case.parties)[k]
            assert party_utility(back, p, {"share_A": a, "share_B": b, "years": y}) == pytest.approx(expected, abs=1e-12)


def test_make_session_reaches_an_acceptable_agreement():
    from negmas import AspirationNegotiator

    scenario = negotiate.to_negmas(negotiate.import_domain(HOLIDAY).case)
    agreement = scenario.make_session(AspirationNegotiator, n_steps=100).run().agreement
    assert agreement is not None and all(float(u(agreement)) >= u.reserved_value for u in scenario.ufuns)
