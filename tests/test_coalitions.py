"""Coalition analysis checked against independent references.

- The symmetric public-good game with linear benefits and quadratic costs
  (Barrett 1994; Carraro and Siniscalco 1993): a coalition of s maximises its
  members' joint payoff, outsiders play their dominant strategy (the status
  quo); the only stable coalitions have 3 members, for any number of players,
  and member and outsider payoffs have closed forms. With benefit b*Q and cost
  c*q^2/2 (b = c = 1) sampled at the integers, the piecewise-linear model has
  the same optimum as the smooth one: a member's marginal cost on [k, k+1] is
  k + 1/2, its coalition's marginal benefit the integer s, so q = s exactly.
- The Aumann-Maschler bankruptcy games written as negotiation cases: their
  nucleoli are the Talmud's divisions.
- Shapley value, least core and nucleolus recomputed from the reported worths
  by enumeration of orders and a separate scipy LP scheme (tests/test_games.py).
- Worths and outsiders' utilities on a small discrete case by brute force.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

import negotiate
from conftest import ROOT, case_from_dict
from negotiate.cli import app
from negotiate.analysis.coalitions import coalitions
from negotiate.analysis.games import Game
from negotiate.errors import CaseError
from test_games import least_core_epsilon_scipy, nucleolus_scipy, shapley_by_orders

PLAYERS = "ABCDEFGHIJKLMNOP"


def public_good_case(n: int) -> dict:
    """n symmetric countries, abatement q_i in [0, n]; payoff Q - q_i^2/2 (utility = payoff / 2)."""
    parties = {}
    for p in PLAYERS[:n]:
        parties[p] = {
            "reservation": "status_quo",
            "criteria": {
                "benefit": {"of": "sum(q)", "points": [[0, 0], [n * n, n * n]]},
                "cost": {"of": "q[self]", "points": [[k, -k * k / 2] for k in range(n + 1)]},
            },
        }
    return {"name": f"public good {n}", "issues": {"q": {"per_party": True, "range": [0, n]}},
            "status_quo": {"q": {"default": 1}},  # the dominant strategy b/c = 1
            "parties": parties, "solve": {"concept": "utilitarian"}}


def member_payoff(n: int, s: int) -> float:
    return s * s / 2 + n - s  # Q = s*s + (n - s), cost s^2/2


def outsider_payoff(n: int, s: int) -> float:
    return s * s + n - s - 0.5


@pytest.mark.parametrize("n", [4, 5, 6])
def test_public_good_game_stable_coalitions_have_three_members(n):
    case = case_from_dict(public_good_case(n))
    a = coalitions(case, "utilitarian", members="all")
    assert len(a.coalitions) == 2 ** n - 1
    for c in a.coalitions:
        s = len(c.members)
        assert c.status == "optimal"
        for p in case.parties:
            want = member_payoff(n, s) if p in c.members else outsider_payoff(n, s)
            assert 2 * c.utility[p] == pytest.approx(want, abs=1e-7), (c.members, p)
            assert c.agreement["q"][p] == pytest.approx(s if p in c.members else 1, abs=1e-7)
        # internal stability: pi_m(s) - pi_o(s - 1) = -(s - 1)(s - 3)/2 >= 0
        assert c.internally_stable == (s <= 3)
        # external stability: the size-(s+1) coalition is not internally stable (indifference joins)
        assert c.externally_stable == (s + 1 > 3)
    assert sorted(a.stable) == sorted(itertools.combinations(PLAYERS[:n], 3))


def test_public_good_transfers_cannot_stabilise_the_grand_coalition():
    # members' summed surplus over leaving: n * (pi_m(n) - pi_o(n-1)) / 2 in utility = -n(n-1)(n-3)/4
    n = 5
    a = coalitions(case_from_dict(public_good_case(n)), "utilitarian", members=[list(PLAYERS[:n])])
    grand = a.coalitions[0]
    assert grand.surplus == pytest.approx(-n * (n - 1) * (n - 3) / 4, abs=1e-7)
    assert grand.potentially_internally_stable is False and grand.transfers is None


def _bankruptcy_case(estate: float) -> dict:
    """No agreement pays nobody (award 0); a coalition's members share what is left of the
    estate once the claims of those outside are paid: with the `members` rule the sums of
    `estate` run over the members, so it reads sum_S award <= estate - claims outside S.
    A coalition left with less than nothing cannot agree and stays at 0: worth(S) =
    max(0, estate - claims outside S), Aumann and Maschler's bankruptcy game."""
    claims = {"A": 100, "B": 200, "C": 300}
    return {
        "name": f"bankruptcy {estate}",
        "parameters": {"estate": estate, "all_claims": 600},
        "issues": {"award": {"per_party": True, "range": [0, 300]}},
        "constraints": {"estate": "sum(award) <= estate - all_claims + sum(data.claim)"},
        "coalition_rules": {"estate": "members"},
        "status_quo": {"award": {"default": 0}},
        "parties": {p: {"data": {"claim": c},
                        "criteria": {"paid": {"of": "award[self]", "points": [[0, 0], [300, 300]]}},
                        "limits": {"claim": "award[self] <= data.claim[self]"}}
                    for p, c in claims.items()},
        "solve": {"concept": "utilitarian"},
    }


@pytest.mark.parametrize("estate, expected", [
    (100, (100 / 3, 100 / 3, 100 / 3)),
    (200, (50, 75, 75)),
    (300, (50, 100, 150)),
])
def test_bankruptcy_cases_have_the_talmud_nucleoli(estate, expected):
    case = case_from_dict(_bankruptcy_case(estate))
    a = coalitions(case, "utilitarian", members="all", shapley=True, nucleolus=True, core=True)
    claims = {"A": 100, "B": 200, "C": 300}
    worths = np.zeros(8)
    for c in a.coalitions:
        outside = sum(v for p, v in claims.items() if p not in c.members)
        assert c.worth == pytest.approx(max(0.0, estate - outside), abs=1e-6), c.members
        worths[sum(1 << "ABC".index(p) for p in c.members)] = c.worth
    assert not a.nucleolus.prenucleolus
    assert [a.nucleolus.allocation[p] for p in "ABC"] == pytest.approx(expected, abs=1e-6)
    # recomputed from the reported worths by separate implementations
    game = Game(("A", "B", "C"), worths)
    assert [a.shapley[p] for p in "ABC"] == pytest.approx(list(shapley_by_orders(game).values()), abs=1e-9)
    assert [a.nucleolus.allocation[p] for p in "ABC"] == pytest.approx(nucleolus_scipy(game), abs=1e-6)
    assert a.least_core.epsilon == pytest.approx(least_core_epsilon_scipy(game), abs=1e-7)
    d = a.to_dict()
    assert set(d) >= {"case", "concept", "outsiders", "parties", "coalitions", "stable", "grand", "shapley",
                      "nucleolus", "least_core"}
    # bankruptcy games are convex: the core is not empty; the utilitarian split is checked against it
    assert d["least_core"]["epsilon"] <= 1e-7
    blocking = [tuple(b["members"]) for b in d["grand"]["blocking"]]
    brute = [S for r in (1, 2) for S in itertools.combinations("ABC", r)
             if game.v(S) - sum(a.grand.utility[p] for p in S) > 1e-6]
    assert sorted(blocking) == sorted(brute)
    assert d["grand"]["in_core"] == (not brute)


# -- brute force on a small discrete case -------------------------------------------------
SMALL = {
    "name": "small discrete",
    "issues": {"cut": {"per_party": True, "range": [0, 3], "integer": True},
               "std": {"options": ["none", "basic", "full"]}},
    "constraints": {"total": "sum(cut) <= 5"},
    "status_quo": {"cut": {"default": 0}, "std": "basic"},
    "parties": {
        "A": {"criteria": {"own": {"of": "cut[self]", "points": [[0, 1], [3, 0.1]]},
                           "all": {"of": "sum(cut)", "points": [[0, 0], [9, 1]], "weight": 2},
                           "std": {"of": "std", "scores": {"none": 0.2, "basic": 0.5, "full": 1}}}},
        "B": {"weight": 2,
              "criteria": {"own": {"of": "cut[self]", "points": [[0, 1], [1, 0.9], [3, 0]]},
                           "all": {"of": "sum(cut)", "points": [[0, 0], [4, 0.8], [9, 1]]},
                           "std": {"of": "std", "scores": {"none": 1, "basic": 0.6, "full": 0}}},
              "limits": {"cap": "cut[self] <= 2"}},
        "C": {"criteria": {"own": {"of": "cut[self]", "points": [[0, 1], [3, 0.4]]},
                           "all": {"of": "sum(cut)", "points": [[0, 0], [2, 0.7], [9, 1]], "weight": 3}}},
    },
}


def _brute_worth(data: dict, members: tuple) -> tuple[float, dict]:
    parties = data["parties"]
    best = (-math.inf, None)
    for cuts in itertools.product(range(4), repeat=len(members)):
        cut = {p: 0 for p in parties}
        cut.update(dict(zip(members, cuts)))
        if sum(cut.values()) > 5 or ("B" in members and cut["B"] > 2):
            continue
        for std in ("none", "basic", "full"):
            u = {}
            for p in members:
                u[p] = _party_utility(parties[p], cut, p, std)
            total = sum(parties[p].get("weight", 1) * u[p] for p in members)
            if total > best[0] + 1e-12:
                best = (total, {"cut": cut, "std": std})
    return best


def _party_utility(party: dict, cut: dict, p: str, std: str) -> float:
    total = weights = 0.0
    for cid, c in party["criteria"].items():
        w = c.get("weight", 1)
        if cid == "std":
            s = c["scores"][std]
        else:
            x = cut[p] if cid == "own" else sum(cut.values())
            xs, ys = zip(*c["points"])
            s = float(np.interp(x, xs, ys))
        total += w * s
        weights += w
    return total / weights


def test_worths_and_outsiders_utilities_by_brute_force():
    case = case_from_dict(SMALL)
    a = coalitions(case, "utilitarian", members="all")
    for c in a.coalitions:
        want, _ = _brute_worth(SMALL, c.members)
        assert c.worth == pytest.approx(want, abs=1e-7), c.members
        # every party's utility on the reported mixed outcome, outsiders reading std at the status quo
        cut = {p: c.agreement["cut"][p] for p in "ABC"}
        for p in "ABC":
            if p not in c.members:
                assert cut[p] == 0
            std = c.agreement["std"] if p in c.members else "basic"
            assert c.utility[p] == pytest.approx(_party_utility(SMALL["parties"][p], cut, p, std), abs=1e-9)


def test_coalition_rules_for_a_collective_constraint():
    # u_i = ((1 - cut_i/3) + 2 * sum(cut)/9) / 3: cutting pays for a coalition of two or more,
    # so the cap `sum(cut) <= 4` binds; the status quo is a cut of 1 each (u = 4/9)
    def case(rule):
        data = {
            "name": "rules", "parameters": {"cap": 4},
            "issues": {"cut": {"per_party": True, "range": [0, 3]}},
            "constraints": {"cap": "sum(cut) <= cap"},
            "status_quo": {"cut": {"default": 1}},
            "parties": {p: {"criteria": {"cost": {"of": "cut[self]", "points": [[0, 1], [3, 0]]},
                                         "all": {"of": "sum(cut)", "points": [[0, 0], [9, 1]], "weight": 2}}}
                        for p in "ABC"},
        }
        if rule:
            data["coalition_rules"] = {"cap": rule}
        return case_from_dict(data)

    def pair(rule):
        return coalitions(case(rule), "utilitarian", members=[["A", "B"]]).coalitions[0]

    # status_quo (default): A + B <= 4 - 1 (C at its status quo) -> Q = 4 -> (2 - 1 + 16/9)/3
    assert pair(None).worth == pytest.approx(25 / 27, abs=1e-9)
    assert pair("status_quo").worth == pytest.approx(25 / 27, abs=1e-9)
    assert sum(pair(None).agreement["cut"][p] for p in "AB") == pytest.approx(3, abs=1e-7)
    # members: A + B <= 4 -> Q = 5 -> (2 - 4/3 + 20/9)/3
    assert pair("members").worth == pytest.approx(26 / 27, abs=1e-9)
    # none: both cut 3 -> Q = 7 -> 28/27
    assert pair("none").worth == pytest.approx(28 / 27, abs=1e-9)
    # the grand coalition is bound by the constraint as written, whatever the rule: Q = 4
    for rule in (None, "members", "none"):
        g = coalitions(case(rule), "utilitarian", members=[["A", "B", "C"]]).coalitions[0]
        assert g.worth == pytest.approx(13 / 9, abs=1e-9)
    # alone, a cut helps a party less than it costs: it drops to 0 (Q = 2) -> (1 + 4/9)/3
    alone = coalitions(case(None), "utilitarian", members=[["A"]]).coalitions[0]
    assert alone.worth == pytest.approx(13 / 27, abs=1e-9)
    # not agreeing is always open: with the cap at 2 a pair cannot keep even the status quo's
    # cuts (C's 1 leaves them 1), so its worth is the status quo's 8/9, above any agreement
    tight = coalitions(case(None).update({"parameters.cap": 2}), "utilitarian", members=[["A", "B"]])
    assert tight.coalitions[0].worth == pytest.approx(8 / 9, abs=1e-9)
    assert tight.coalitions[0].worth_status == "status_quo"


def test_warm_model_answers_as_a_fresh_one():
    from negotiate.analysis.coalition_view import CoalitionView

    case = case_from_dict(public_good_case(5))
    warm = CoalitionView(case)
    order = [("A",), ("A", "B", "C"), ("B", "D"), ("A", "B", "C", "D", "E"), ("C",), ("A", "E")]
    for S in order * 2:
        warm.acceptance_binds(len(S) % 2 == 0)  # worths with acceptance freed once, or around each solve
        mark = warm.enter(S)
        w1, _ = warm.worth(S)
        e1 = warm.agree(S, "nash")
        warm.leave(mark)
        cold = CoalitionView(case)
        mark = cold.enter(S)
        w2, _ = cold.worth(S)
        e2 = cold.agree(S, "nash")
        cold.leave(mark)
        assert w1 == pytest.approx(w2, abs=1e-8)
        assert e1.utility == pytest.approx(e2.utility, abs=1e-6)


def test_blocs_partition_and_what_the_grand_coalition_adds():
    data = public_good_case(5)
    data["blocs"] = {"north": ["A", "B", "C"], "south": ["D", "E"]}
    a = coalitions(case_from_dict(data), "utilitarian", blocs=True)
    north, south = a.blocs.blocs["north"], a.blocs.blocs["south"]
    assert north.stable and not south.externally_stable
    # partition: north cuts 3 each, south 2 each: Q = 13
    want = {p: (13 - (9 if p in "ABC" else 4) / 2) / 2 for p in "ABCDE"}
    assert a.blocs.partition == pytest.approx(want, abs=1e-7)
    grand = (member_payoff(5, 5)) / 2
    assert a.blocs.grand_adds == pytest.approx({p: grand - want[p] for p in "ABCDE"}, abs=1e-7)


def test_case_without_status_quo_is_a_located_error():
    with pytest.raises(CaseError) as info:
        coalitions(negotiate.load_case("cases/bilateral_fta.yaml"))
    assert "status quo" in str(info.value)


@pytest.mark.parametrize("extra, path, needle", [
    ({"blocs": {"x": ["A", "Z"]}}, "blocs.x.1", "unknown party `Z`"),
    ({"blocs": {"x": ["A", "A"]}}, "blocs.x", "listed twice"),
    ({"coalition_rules": {"flor": "members"}}, "coalition_rules.flor", "unknown constraint"),
])
def test_bad_blocs_and_rules_are_located(extra, path, needle):
    data = dict(SMALL, **extra)
    with pytest.raises(CaseError) as info:
        coalitions(case_from_dict(data))
    assert any(p.path == path and needle in p.message for p in info.value.problems), str(info.value)


def test_bad_rule_value_is_refused_at_load():
    with pytest.raises(CaseError) as info:
        case_from_dict(dict(SMALL, coalition_rules={"total": "everyone"}))
    assert any(p.path.startswith("coalition_rules.total") for p in info.value.problems)


def test_status_quo_change_paths():
    case = case_from_dict(SMALL)
    assert case.update({"status_quo.std": "full"}).status_quo["std"] == "full"
    with pytest.raises(CaseError) as info:
        case.update({"status_quo.stdd": "full"})
    assert "unknown issue `stdd`" in str(info.value)


@pytest.mark.parametrize("path", ["cases/climate_club_status_quo.yaml", "tests/data/status_quo/small.yaml"])
def test_vectorised_utilities_equal_the_criteria_one_by_one(path):
    from negotiate.analysis.coalition_view import Scorer
    from negotiate.compile import compile_case
    from negotiate.proposal import utilities

    problem = compile_case(negotiate.load_case(path))
    scorer = Scorer(problem)
    rng = np.random.default_rng(0)
    for _ in range(50):
        values = {}
        for v in problem.resolved.variables:
            lo, hi = max(v.lb, -1e3), min(v.ub, 1e3)
            values[v.key] = float(rng.uniform(lo - 5, hi + 5))  # beyond the ends too: flat there
        want, _ = utilities(problem, values)
        got = scorer.utilities(scorer.vector(values))
        assert list(got) == pytest.approx([want[p] for p in problem.parties], abs=1e-12)


def test_stratified_shapley_covers_the_exact_value():
    from negotiate.analysis.games import shapley, shapley_stratified
    from test_games import random_game

    rng = np.random.default_rng(5)
    game = random_game(rng, 7)
    exact = shapley(game)
    inside = 0
    for seed in range(20):
        est = shapley_stratified(game.parties, lambda m: game.worth[m], tolerance=0.05, seed=seed)
        assert est.converged
        inside += sum(abs(est.value[p] - exact[p]) <= est.half_width[p] for p in game.parties)
    assert inside >= 120  # 95% intervals: about 133 of 140


def test_sampled_shapley_of_a_16_party_public_good_case():
    # beyond 15 parties the Shapley value is sampled; the game is symmetric, so every value is
    # v(N)/16, and a member's marginal contribution depends only on the coalition's size: the
    # size-stratified sampler is exact after its first rounds
    n = 16
    data = public_good_case(n)
    a = coalitions(case_from_dict(data), "utilitarian", members=[list(data["parties"])], shapley=True)
    assert a.shapley_sampled is not None and a.shapley_sampled.converged
    grand = n * member_payoff(n, n) / 2
    assert a.grand.worth == pytest.approx(grand, abs=1e-6)
    for value in a.shapley.values():
        assert value == pytest.approx(grand / n, abs=1e-6)
    assert a.to_dict()["shapley_sampling"]["coalitions_evaluated"] > 0


def test_best_responding_outsiders_reach_the_barrett_equilibrium():
    # status quo: nobody abates; outsiders that best-respond abate b/c = 1 whatever the others do,
    # so the closed forms of the non-cooperative outsiders hold again (and differ from the status quo's)
    n = 5
    data = public_good_case(n)
    data["status_quo"] = {"q": {"default": 0}}
    case = case_from_dict(data)
    br = coalitions(case, "utilitarian", members="all", outsiders="best_response")
    assert br.to_dict()["outsiders"] == "best_response"
    for c in br.coalitions:
        s = len(c.members)
        for p in case.parties:
            want = member_payoff(n, s) if p in c.members else outsider_payoff(n, s)
            assert 2 * c.utility[p] == pytest.approx(want, abs=1e-7), (c.members, p)
            assert c.agreement["q"][p] == pytest.approx(s if p in c.members else 1, abs=1e-7)
    assert sorted(br.stable) == sorted(itertools.combinations(PLAYERS[:n], 3))
    sq = coalitions(case, "utilitarian", members=[list("ABC")])
    assert sq.coalitions[0].utility["D"] == pytest.approx(9 / 2, abs=1e-7)  # Q = 9, outsiders at 0


def test_best_responses_that_do_not_settle_are_a_clear_failure():
    from negotiate.analysis.coalition_view import CoalitionView

    data = public_good_case(4)
    data["status_quo"] = {"q": {"default": 0}}
    view = CoalitionView(case_from_dict(data))
    S = ("A", "B")
    mark = view.enter(S)
    try:
        ev = view.best_response(S, "utilitarian", max_rounds=1)
        assert ev.status == "error" and "did not settle in 1 rounds" in ev.message
        again = view.best_response(S, "utilitarian")
        assert again.ok and again.values[("q", "C", None)] == pytest.approx(1)
    finally:
        view.leave(mark)
    # the model is back at the status quo view: the plain agreement is unaffected
    mark = view.enter(S)
    plain = view.agree(S, "utilitarian")
    view.leave(mark)
    assert plain.values[("q", "C", None)] == 0


def test_members_rule_on_a_constraint_naming_an_outsider_is_located():
    data = dict(SMALL, constraints={"total": "cut[C] + sum(cut) <= 5"}, coalition_rules={"total": "members"})
    with pytest.raises(CaseError) as info:
        coalitions(case_from_dict(data), "utilitarian", members=[["A", "B"]])
    problem = info.value.problems[0]
    assert problem.path == "coalition_rules.total" and "cannot restrict" in problem.message
    assert "outsider" in problem.hint


def test_a_vector_constraint_binds_members_rows_only():
    # `cut >= 1` is a row per party; the status quo (0) breaks C's row, which must not stop A and B
    data = dict(SMALL, constraints={"floor": "cut >= 1"})
    a = coalitions(case_from_dict(data), "utilitarian", members=[["A", "B"]])
    pair = a.coalitions[0]
    assert pair.formed and pair.agreement["cut"]["C"] == 0
    assert pair.agreement["cut"]["A"] >= 1 - 1e-9 and pair.agreement["cut"]["B"] >= 1 - 1e-9
    want, _ = _brute_worth_floor(data, ("A", "B"))
    assert pair.worth == pytest.approx(want, abs=1e-7)


def _brute_worth_floor(data, members):
    parties = data["parties"]
    best = (-math.inf, None)
    for cuts in itertools.product(range(1, 4), repeat=len(members)):
        cut = {p: 0 for p in parties}
        cut.update(dict(zip(members, cuts)))
        if "B" in members and cut["B"] > 2:
            continue
        for std in ("none", "basic", "full"):
            total = sum(parties[p].get("weight", 1) * _party_utility(parties[p], cut, p, std) for p in members)
            best = max(best, (total, None), key=lambda t: t[0])
    return best


def test_stratified_shapley_in_batches_gives_the_same_estimate():
    from negotiate.analysis.games import shapley_stratified
    from test_games import random_game

    game = random_game(np.random.default_rng(9), 6)
    calls = []

    def batch(masks):
        calls.append(len(masks))
        return [game.worth[m] for m in masks]

    one = shapley_stratified(game.parties, lambda m: game.worth[m], tolerance=0.05, seed=3)
    many = shapley_stratified(game.parties, lambda m: game.worth[m], tolerance=0.05, seed=3, batch=batch)
    assert many.value == one.value and many.half_width == one.half_width and calls


@pytest.mark.parametrize("text, additive", [
    ("sum(cut) <= 5", True),
    ("2 <= sum(cut) + 1 <= 6", True),
    ("mean(cut) <= 2", False),  # a mean is not the full constraint less each outsider's share
])
def test_members_rule_rows_without_parsing_equal_parsing(text, additive):
    from negotiate.analysis.coalition_view import CoalitionView, _same_rows

    data = dict(SMALL, constraints={"total": text}, coalition_rules={"total": "members"})
    view = CoalitionView(case_from_dict(data))
    for r in range(1, 3):
        for S in itertools.combinations("ABC", r):
            rows = view._member_rows(frozenset(S))
            assert _same_rows(rows, view._restricted("total", list(S)))
    assert (view._additive["total"] is not None) == additive


def test_stratified_shapley_with_a_control_covers_the_exact_value_and_narrows():
    from negotiate.analysis.games import Game, shapley, shapley_stratified

    # heterogeneous parties (lognormal sizes W, as emissions) whose contribution grows with the
    # size of the coalition they join, saturating as a club's shared benefit does; the control
    # is each party's marginal contribution to the grand coalition
    rng = np.random.default_rng(11)
    n = 12
    w = rng.lognormal(0, 1, n)
    worth = np.zeros(1 << n)
    for mask in range(1, 1 << n):
        members = [i for i in range(n) if mask >> i & 1]
        W = w[members].sum()
        worth[mask] = 0.1 * len(members) + W * min(1.0, W / (0.7 * w.sum()))
    game = Game(tuple(PLAYERS[:n]), worth)
    exact = shapley(game)
    control = [game.grand - game.worth[(1 << n) - 1 - (1 << i)] for i in range(n)]
    inside = plain_width = controlled_width = 0
    for seed in range(10):
        kwargs = dict(tolerance=1e-9, seed=seed, max_worths=3000)
        plain = shapley_stratified(game.parties, lambda m: game.worth[m], **kwargs)
        est = shapley_stratified(game.parties, lambda m: game.worth[m], control=control, **kwargs)
        inside += sum(abs(est.value[p] - exact[p]) <= est.half_width[p] for p in game.parties)
        plain_width += sum(plain.half_width.values())
        controlled_width += sum(est.half_width.values())
    assert inside >= 0.88 * 10 * n  # 95% intervals (approximate for the regression estimator)
    assert controlled_width < 0.5 * plain_width


def test_coalition_rules_and_blocs_are_change_paths():
    data = dict(SMALL, coalition_rules={"total": "members"})
    case = case_from_dict(data)
    assert case.update({"coalition_rules.total": "none"}).coalition_rules["total"] == "none"
    assert case.update({"blocs.west": ["A", "B"]}).blocs == {"west": ["A", "B"]}
    with pytest.raises(CaseError) as info:
        case.update({"coalition_rules.total": "everyone"})
    assert any(p.path.startswith("coalition_rules.total") for p in info.value.problems)
    r = CliRunner().invoke(app, ["coalitions", str(ROOT / "cases" / "climate_club_status_quo.yaml"), "--members",
                                 "USA,EU", "--set", "coalition_rules.collective_cut=none", "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["rules"]["collective_cut"] == "none"
