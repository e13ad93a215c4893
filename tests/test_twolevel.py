"""Decision rules, ratification and stakeholders against brute force.

On small discrete cases every package is enumerated, and for each package
every acceptance pattern (which voting parties accept) and every consent
pattern of each party's constituencies (with the least side payments that buy
consent, within the budget). A package is in the agreement set when some
pattern that the decision rule passes is feasible. Each concept's optimum over
that set (README: "Two-level negotiation") is computed here in plain Python
and compared with the proposal. The decision rule is evaluated here with
exact fractions, independently of negotiate.formulation.rules.
"""

import itertools
import math
import random
from fractions import Fraction

import numpy as np
import pytest

import negotiate
from conftest import ROOT, case_from_dict
from independent import _holds, lex_greater, outcomes

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def crit_utility(criteria: dict, outcome: dict) -> float:
    total = sum(c.get("weight", 1) if isinstance(c, dict) else c.weight for c in criteria.values())
    u = 0.0
    for c in criteria.values():
        c = c if isinstance(c, dict) else c.model_dump()
        v = outcome[c["of"]]
        if c.get("scores") is not None:
            s = c["scores"][v]
        else:
            s = float(np.interp(v, [x for x, _ in c["points"]], [y for _, y in c["points"]]))
        u += c.get("weight", 1) * s
    return u / total


def rule_passes(data: dict, voters: list, accepting: set) -> bool:
    rule = data.get("decision_rule", "unanimity")
    if rule != "unanimity":
        veto = next(iter(rule.values())).get("veto", [])
        if not set(veto) <= accepting:
            return False
        voters = [p for p in voters if p not in veto]
        accepting = accepting - set(veto)
    n = len(voters)
    k = len(accepting)
    if rule == "unanimity":
        return k == n
    if "qualified_majority" in rule:
        q = rule["qualified_majority"]
        if Fraction(k) < Fraction(repr(float(q.get("parties", 0)))) * n:
            return False
        if "weight" not in q:
            return True
        field = q["weight"].split(".")[1]
        w = {p: Fraction(repr(float(data["parties"][p]["data"][field]))) for p in voters}
        heavy = sum(w[p] for p in accepting) >= Fraction(repr(float(q["weight_share"]))) * sum(w.values())
        against = n - k
        return heavy or ("blocking_minority" in q and against < q["blocking_minority"])
    q = rule["weighted_quota"]
    field = q["weight"].split(".")[1]
    w = {p: Fraction(repr(float(data["parties"][p]["data"][field]))) for p in voters}
    return sum(w[p] for p in accepting) >= Fraction(repr(float(q["quota"])))


def can_ratify(party: dict, outcome: dict) -> bool:
    cons = party.get("constituencies") or {}
    if not cons:
        return True
    rat = party.get("ratification", "all")
    rat = {} if rat == "all" else rat
    budget = rat.get("side_payment_budget", 0.0)
    need = {c: max(0.0, spec.get("reservation", 0.0) - crit_utility(spec["criteria"], outcome))
            for c, spec in cons.items()}
    weight = {c: spec.get("weight", 1.0) for c, spec in cons.items()}
    for r in range(len(cons) + 1):
        for consenting in itertools.combinations(cons, r):
            if sum(need[c] for c in consenting) > budget + 1e-12:
                continue
            if "at_least" in rat:
                ok = len(consenting) >= rat["at_least"]
            elif "share" in rat:
                ok = sum(weight[c] for c in consenting) >= rat["share"] * sum(weight.values()) - 1e-12
            else:
                ok = len(consenting) == len(cons)
            if ok:
                return True
    return False


def agreement_set(data: dict, case) -> list[dict]:
    """Utilities of every package that some acceptance pattern passes."""
    parties = data["parties"]
    voters = [p for p, s in parties.items() if s.get("role", "party") != "stakeholder"]
    rows = []
    for o in outcomes(case):
        texts = list(data.get("constraints", {}).values()) + \
            [t for s in parties.values() for t in (s.get("limits") or {}).values()]
        if not all(_holds(t, o) for t in texts):
            continue
        u = {p: crit_utility(s["criteria"], o) for p, s in parties.items()}
        able = {p for p in voters
                if u[p] >= parties[p].get("reservation", 0.0) - 1e-12 and can_ratify(parties[p], o)}
        passes = any(rule_passes(data, voters, set(pattern))
                     for r in range(len(voters) + 1) for pattern in itertools.combinations(voters, r)
                     if set(pattern) <= able)
        if passes:
            rows.append(u)
    return rows


def reference(data: dict, case, concept: str) -> dict:
    rows = agreement_set(data, case)
    parties = list(data["parties"])
    w = {p: data["parties"][p].get("weight", 1) for p in parties}
    d = {p: data["parties"][p].get("reservation", 0.0) for p in parties}
    if not rows:
        return {"feasible": False}
    ideal = {p: max(u[p] for u in rows) for p in parties}

    def leximin(scale):
        best = None
        for u in rows:
            vec = [scale[p] * (u[p] - d[p]) for p in scale]
            if best is None or lex_greater(vec, best, 0.0) > 0:
                best = vec
        return {"feasible": True, "leximin": sorted(best), "scale": scale}

    if concept == "utilitarian":
        return {"feasible": True, "value": max(sum(w[p] * u[p] for p in parties) for u in rows)}
    if concept == "egalitarian":
        return leximin({p: 1.0 / w[p] for p in parties})
    active = [p for p in parties if ideal[p] - d[p] > 1e-9]
    if concept == "kalai_smorodinsky":
        return leximin({p: 1.0 / (ideal[p] - d[p]) for p in active})
    values = [sum(w[p] * math.log(u[p] - d[p]) for p in active) for u in rows
              if all(u[p] - d[p] > 1e-9 for p in active)]
    if values:
        return {"feasible": True, "value": max(values), "active": active}
    return leximin({p: 1.0 / w[p] for p in active})  # no positive Nash product: the egalitarian


def check(data: dict, concept: str):
    case = case_from_dict(data)
    ref = reference(data, case, concept)
    prop = negotiate.solve(case, concept)
    if not ref["feasible"]:
        assert prop.status == "infeasible"
        return prop
    assert prop.status == "optimal", (prop.status, prop.notes)
    u = {p: o.utility for p, o in prop.parties.items()}
    w = {p: case.parties[p].weight for p in case.parties}
    d = {p: case.parties[p].reservation for p in case.parties}
    assert prop.ratification is None or prop.ratification["passes"]
    if "value" in ref and concept == "utilitarian":
        assert prop.collective_benefit == pytest.approx(ref["value"], abs=1e-7)
    elif "value" in ref:
        ours = sum(w[p] * math.log(max(u[p] - d[p], 1e-300)) for p in ref["active"])
        assert ours == pytest.approx(ref["value"], abs=1e-6)
    else:
        ours = [ref["scale"][p] * (u[p] - d[p]) for p in ref["scale"]]
        assert lex_greater(ours, ref["leximin"], 1e-7) == 0, (sorted(ours), ref["leximin"])
    return prop


def random_twolevel(seed: int) -> dict:
    rng = random.Random(seed)
    n = rng.choice([3, 3, 4])
    issues = {"i0": {"options": ["a", "b", "c"]}, "i1": {"options": ["a", "b"]},
              "years": {"range": [0, rng.choice([2, 4])], "integer": True}}

    def criteria():
        out = {}
        for iid, issue in issues.items():
            if rng.random() < 0.25 and out:
                continue
            if "options" in issue:
                out[iid] = {"of": iid, "weight": rng.choice([1, 2, 3]),
                            "scores": {o: round(rng.random(), 3) for o in issue["options"]}}
            else:
                hi = issue["range"][1]
                out[iid] = {"of": iid, "weight": rng.choice([1, 2]),
                            "points": [[0, round(rng.random(), 3)], [hi / 2, round(rng.random(), 3)],
                                       [hi, round(rng.random(), 3)]]}
        return out

    parties = {}
    for i in range(n):
        p = {"weight": rng.choice([1, 1, 2]), "reservation": round(rng.uniform(0.1, 0.5), 3),
             "data": {"pop": round(rng.uniform(1, 60), 1)}, "criteria": criteria()}
        if rng.random() < 0.5:
            k = rng.choice([2, 3])
            p["constituencies"] = {f"c{j}": {"weight": rng.choice([1, 2, 3]),
                                             "reservation": round(rng.uniform(0.2, 0.7), 3),
                                             "criteria": criteria()} for j in range(k)}
            rat = rng.choice(["all", {"at_least": 1}, {"at_least": 2}, {"share": 0.5}, {"share": 0.6}])
            if rat != "all" and rng.random() < 0.5:
                rat = {**rat, "side_payment_budget": round(rng.uniform(0, 0.3), 3)}
            p["ratification"] = rat
        parties[f"P{i}"] = p
    if rng.random() < 0.4:
        parties["S"] = {"role": "stakeholder", "weight": rng.choice([0.5, 1]),
                        "reservation": round(rng.uniform(0.2, 0.6), 3), "criteria": criteria()}
    rule = rng.choice([
        "unanimity",
        {"qualified_majority": {"parties": 0.5}},
        {"qualified_majority": {"parties": 0.55, "weight": "data.pop", "weight_share": 0.65}},
        {"qualified_majority": {"parties": 0.5, "weight": "data.pop", "weight_share": 0.7,
                                "blocking_minority": 2}},
        {"weighted_quota": {"weight": "data.pop", "quota": 50}},
    ])
    if rule != "unanimity" and rng.random() < 0.3:
        rule = {kind: {**spec, "veto": ["P0"]} for kind, spec in rule.items()}
    return {"name": f"two-level {seed}", "issues": issues, "parties": parties, "decision_rule": rule}


@pytest.mark.parametrize("seed", range(30))
def test_random_twolevel_cases_match_enumeration(seed):
    data = random_twolevel(seed)
    for concept in CONCEPTS:
        check(data, concept)


# -- shapes of results, errors and voice ---------------------------------------------
SMALL = {
    "name": "small qmv",
    "issues": {"a": {"options": ["x", "y", "z"]}, "t": {"range": [0, 4], "integer": True}},
    "decision_rule": {"qualified_majority": {"parties": 0.6, "weight": "data.pop", "weight_share": 0.6,
                                             "blocking_minority": 2}},
    "parties": {
        "A": {"data": {"pop": 50}, "reservation": 0.5,
              "criteria": {"c1": {"of": "a", "scores": {"x": 1, "y": 0.5, "z": 0}},
                           "c2": {"of": "t", "points": [[0, 0], [4, 1]]}},
              "constituencies": {
                  "farmers": {"reservation": 0.6, "criteria": {"f": {"of": "a", "scores": {"x": 0.2, "y": 0.9, "z": 0.6}}}},
                  "industry": {"weight": 2, "reservation": 0.5, "criteria": {"g": {"of": "t", "points": [[0, 1], [4, 0]]}}}},
              "ratification": {"share": 0.6, "side_payment_budget": 0.1}},
        "B": {"data": {"pop": 30}, "reservation": 0.4,
              "criteria": {"c1": {"of": "a", "scores": {"x": 0, "y": 0.7, "z": 1}},
                           "c2": {"of": "t", "points": [[0, 1], [4, 0.2]]}}},
        "C": {"data": {"pop": 20}, "reservation": 0.3,
              "criteria": {"c1": {"of": "a", "scores": {"x": 0.3, "y": 0.2, "z": 1}}}},
        "NGO": {"role": "stakeholder", "weight": 0.5, "reservation": 0.5,
                "criteria": {"c1": {"of": "a", "scores": {"x": 1, "y": 0, "z": 0.5}}}},
    },
}


def test_result_reports_ratification_and_the_outvoted():
    prop = negotiate.solve(case_from_dict(SMALL), "utilitarian")
    out = prop.to_dict()
    r = out["ratification"]
    assert r["passes"] and r["outvoted"] == ["A"] and r["stakeholders"] == ["NGO"]
    assert out["parties"]["A"]["accepts"] is False and out["parties"]["B"]["accepts"] is True
    assert r["constituencies"]["A"]["industry"]["consents"] is False
    # the outvoted party's utility still counts
    assert prop.collective_benefit == pytest.approx(sum(
        SMALL["parties"][p].get("weight", 1) * o.utility for p, o in prop.parties.items()))


def test_plain_cases_have_no_ratification_key():
    prop = negotiate.solve(ROOT / "cases" / "bilateral_fta.yaml", "utilitarian")
    assert "ratification" not in prop.to_dict()


def test_side_payment_buys_consent():
    """Farmers need 0.1 more than the agreement gives them: a budget of 0.1 buys it, 0.05 does not."""
    data = {
        "name": "side payments",
        "issues": {"a": {"options": ["x", "y"]}},
        "parties": {
            "A": {"criteria": {"c": {"of": "a", "scores": {"x": 1, "y": 0}}},
                  "constituencies": {"farmers": {"reservation": 0.5,
                                                 "criteria": {"f": {"of": "a", "scores": {"x": 0.4, "y": 1}}}}},
                  "ratification": {"side_payment_budget": 0.1}},
            "B": {"reservation": 0.0, "criteria": {"c": {"of": "a", "scores": {"x": 0.6, "y": 0.5}}}},
        },
    }
    prop = negotiate.solve(case_from_dict(data), "utilitarian")
    assert prop.agreement == {"a": "x"}
    assert prop.ratification["constituencies"]["A"]["farmers"]["side_payment"] == pytest.approx(0.1)
    data["parties"]["A"]["ratification"]["side_payment_budget"] = 0.05
    prop = negotiate.solve(case_from_dict(data), "utilitarian")
    assert prop.agreement == {"a": "y"}  # unanimity: A must ratify, so the farmers get their way


def test_bad_two_level_input_is_located():
    from negotiate.errors import CaseError

    data = {
        "name": "bad",
        "issues": {"a": {"options": ["x", "y"]}},
        "decision_rule": {"qualified_majority": {"parties": 0.5, "weight": "data.popu", "weight_share": 0.6}},
        "parties": {
            "A": {"data": {"pop": 1}, "criteria": {"c": {"of": "a", "scores": {"x": 1, "y": 0}}},
                  "constituencies": {"f": {"criteria": {"g": {"of": "b", "scores": {"x": 1, "y": 0}}}}},
                  "ratification": {"at_least": 3}},
            "B": {"data": {"pop": 1}, "criteria": {"c": {"of": "a", "scores": {"x": 1, "y": 0}}},
                  "ratification": {"share": 0.5}},
            "S": {"role": "stakeholder", "criteria": {"c": {"of": "a", "scores": {"x": 1, "y": 0}}},
                  "constituencies": {"f": {"criteria": {"g": {"of": "a", "scores": {"x": 1, "y": 0}}}}}},
        },
    }
    with pytest.raises(CaseError) as e:
        negotiate.solve(case_from_dict(data), "utilitarian")
    paths = {p.path for p in e.value.problems}
    assert paths == {"decision_rule.qualified_majority.weight", "parties.A.constituencies.f.criteria.g.of",
                     "parties.A.ratification.at_least", "parties.B.ratification", "parties.S.constituencies"}
    with pytest.raises(CaseError):
        case_from_dict({**SMALL, "decision_rule": {"qualified_majority": {"weight": "data.pop"}}})
    with pytest.raises(CaseError):
        case_from_dict({**SMALL, "decision_rule": {"weighted_quota": {"weight": "data.pop"}}})


def test_voice_weights_from_population():
    from negotiate.formulation.rules import voice_weights

    case = negotiate.load_case(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    pop = {p: case.parties[p].data["pop"] for p in case.parties}
    w = voice_weights(case, "population")
    assert sum(w.values()) == pytest.approx(27)
    assert w["DE"] / w["MT"] == pytest.approx(pop["DE"] / pop["MT"])
    w = voice_weights(case, "sqrt_population")
    assert w["DE"] / w["MT"] == pytest.approx(math.sqrt(pop["DE"] / pop["MT"]))
    assert set(voice_weights(case, "equal").values()) == {1.0}


def test_voice_on_the_command_line():
    import json

    from typer.testing import CliRunner

    from negotiate.cli import app

    eu = str(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    r = CliRunner().invoke(app, ["solve", eu, "-c", "utilitarian", "--voice", "population", "-f", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["parties"]["DE"]["weight"] > 5 > out["parties"]["MT"]["weight"]
    r = CliRunner().invoke(app, ["solve", str(ROOT / "cases" / "bilateral_fta.yaml"), "--voice", "population"])
    assert r.exit_code == 1 and "population" in r.output
    r = CliRunner().invoke(app, ["solve", eu, "--voice", "loud"])
    assert r.exit_code == 2


# -- win-sets and pivots ---------------------------------------------------------------
def _issue_ranges(rows):
    out = {}
    for o in rows:
        for k, v in o.items():
            out.setdefault(k, set()).add(v)
    return out


@pytest.mark.parametrize("seed", [0, 3, 5, 8, 11, 17])
def test_winset_matches_enumeration(seed):
    from negotiate.analysis.winset import winset

    data = random_twolevel(seed)
    case = case_from_dict(data)
    party = "P0"
    spec = data["parties"][party]
    mine, passing = [], []
    passable = {tuple(sorted(u.items())) for u in agreement_set(data, case)}
    for o in outcomes(case):
        texts = list(data.get("constraints", {}).values()) + \
            [t for s in data["parties"].values() for t in (s.get("limits") or {}).values()]
        if not all(_holds(t, o) for t in texts):
            continue
        u = {p: crit_utility(s["criteria"], o) for p, s in data["parties"].items()}
        if u[party] >= spec.get("reservation", 0.0) - 1e-12 and can_ratify(spec, o):
            mine.append(o)
        if tuple(sorted(u.items())) in passable:
            passing.append(o)
    w = winset(case, party)
    for label, rows in (("ratifiable", mine), ("passable", passing)):
        got = getattr(w, label)
        if not rows:
            assert got is None
            continue
        ref = _issue_ranges(rows)
        assert set(got["i0"]["options"]) == ref["i0"] and set(got["i1"]["options"]) == ref["i1"]
        assert (got["years"]["min"], got["years"]["max"]) == (min(ref["years"]), max(ref["years"]))


def test_winset_binding_constituency_and_pivots():
    from negotiate.analysis.winset import pivots, winset

    case = case_from_dict(SMALL)
    w = winset(case, "A")
    # A ratifies only with industry (weight 2 of 3 >= 60%): t <= 2.4 with a 0.1 side payment
    assert w.ratifiable["t"] == {"min": 0.0, "max": 2.0}
    assert w.ratifiable["a"] == {"options": ["x", "y"]}
    assert w.passable["t"]["max"] == 4.0 and set(w.passable["a"]["options"]) == {"x", "y", "z"}
    assert list(w.binding) == ["industry"]
    prop = negotiate.solve(case, "kalai_smorodinsky")
    piv = pivots(prop, case)
    assert piv["accepting"] == ["A", "B", "C"]
    assert piv["pivotal_parties"] == []  # one against is fewer than the blocking minority of 2
    assert piv["pivotal_constituencies"] == {"A": ["industry"]}


def test_winset_and_pivotal_commands():
    import json

    from typer.testing import CliRunner

    from negotiate.cli import app

    fta = str(ROOT / "cases" / "bilateral_fta.yaml")
    r = CliRunner().invoke(app, ["winset", fta, "--party", "EU", "-f", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert "kt200" not in out["ratifiable"]["beef_quota"]["options"]  # the EU's red line
    r = CliRunner().invoke(app, ["winset", fta, "--party", "XX"])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["explain", fta, "--pivotal"])
    assert r.exit_code == 0 and "pivotal parties" in r.output


def test_whatif_session_rebuilds_two_level_cases():
    """A session's warm model agrees with a cold solve after a change (regression: an outvotable
    party's reservation sits in a big-M row the in-place patch did not know, 2.35 against 2.325)."""
    case = case_from_dict(SMALL)
    for concept in ("utilitarian", "kalai_smorodinsky"):
        for changes in ({"parties.B.reservation": 0.65},
                        {"parties.A.constituencies.industry.reservation": 0.9},
                        {"decision_rule": "unanimity"}):
            session = negotiate.Negotiation(case)
            session.solve(concept)
            session.update(changes)
            warm = session.solve(concept)
            cold = negotiate.solve(case.update(changes), concept)
            assert warm.status == cold.status
            if cold.ok:
                assert warm.collective_benefit == pytest.approx(cold.collective_benefit, abs=1e-9)


def test_compare_judges_drafted_packages_by_the_rule():
    """A package one party refuses still passes a qualified majority; one a winning set refuses does not."""
    from negotiate.compare import compare

    data = {**SMALL, "options": {"outvotes_A": {"a": "z", "t": 4}, "fails": {"a": "y", "t": 4}}}
    case = case_from_dict(data)
    # reference: enumerate acceptance patterns for these two packages
    passable = agreement_set(data, case)
    u = {name: {p: crit_utility(s["criteria"], o) for p, s in data["parties"].items()}
         for name, o in (("outvotes_A", {"a": "z", "t": 4}), ("fails", {"a": "y", "t": 4}))}
    expect = {name: any(all(abs(v[p] - w[p]) < 1e-12 for p in v) for w in passable) for name, v in u.items()}
    assert expect == {"outvotes_A": True, "fails": False}
    rows = {r["name"]: r for r in compare(case, concepts=["utilitarian"]).rows if r["kind"] == "option"}
    assert rows["outvotes_A"]["status"] == "acceptable"
    assert rows["fails"]["status"] == "rejected" and "decision rule" in rows["fails"]["rejected_by"]


@pytest.mark.parametrize("seed", [1, 2, 4, 6, 9, 13])
def test_package_verdicts_match_enumeration(seed):
    """Every package's verdict (passes or not, best use of side payments) against the reference."""
    from negotiate.compile import compile_case
    from negotiate.formulation.ratification import evaluate
    from negotiate.proposal import utilities

    data = random_twolevel(seed)
    case = case_from_dict(data)
    problem = compile_case(case)
    parties = data["parties"]
    voters = [p for p, s in parties.items() if s.get("role", "party") != "stakeholder"]
    for o in outcomes(case):
        values = {}
        for v in problem.resolved.variables:
            iid, _, option = v.key
            values[v.key] = (1.0 if o[iid] == option else 0.0) if option is not None else float(o[iid])
        utils, _ = utilities(problem, values)
        found = evaluate(problem, values, utils)
        able = {p for p in voters if utils[p] >= parties[p].get("reservation", 0.0) - 1e-12
                and can_ratify(parties[p], o)}
        assert set(found.accepting) == able
        assert found.passes == rule_passes(data, voters, able)


def test_stakeholder_contributes_without_a_veto():
    """A business association's own finance counts in the collective target; it has no veto:
    the utilitarian optimum (enumerated over every contribution) may leave it below its reservation."""
    data = {
        "name": "finance with a contributing stakeholder",
        "issues": {"finance": {"per_party": True, "range": [0, 6], "integer": True}},
        "constraints": {"target": "sum(finance) >= 9"},
        "parties": {
            "A": {"reservation": 0.3, "criteria": {"cost": {"of": "finance[self]", "points": [[0, 1], [6, 0]]}}},
            "B": {"reservation": 0.3, "criteria": {"cost": {"of": "finance[self]", "points": [[0, 1], [6, 0.2]]}}},
            "BIZ": {"role": "stakeholder", "weight": 0.5, "reservation": 0.9,
                    "criteria": {"cost": {"of": "finance[self]", "points": [[0, 1], [6, 0.7]]}}},
        },
    }
    case = case_from_dict(data)
    prop = negotiate.solve(case, "utilitarian")
    cost = {"A": lambda f: 1 - f / 6, "B": lambda f: 1 - 0.8 * f / 6, "BIZ": lambda f: 1 - 0.3 * f / 6}
    best = None
    for fa, fb, fz in itertools.product(range(7), repeat=3):
        if fa + fb + fz < 9 or cost["A"](fa) < 0.3 or cost["B"](fb) < 0.3:
            continue  # BIZ's reservation does not count: no veto
        value = cost["A"](fa) + cost["B"](fb) + 0.5 * cost["BIZ"](fz)
        best = value if best is None else max(best, value)
    assert prop.collective_benefit == pytest.approx(best, abs=1e-9)
    assert prop.agreement["finance"]["BIZ"] == 6  # it contributes the most (its cost is the flattest)
    assert prop.parties["BIZ"].utility < 0.9  # below its reservation, and still an agreement
    assert prop.ratification["stakeholders"] == ["BIZ"] and prop.ratification["passes"]


def test_winset_on_the_shipped_two_level_case():
    """Regression: scenarios naming a constituency's budget made the domestic copy invalid."""
    from negotiate.analysis.winset import winset

    case = negotiate.load_case(ROOT / "cases" / "eu_mercosur_ratification.yaml")
    w = winset(case, "FR")
    assert "kt150" not in w.ratifiable["beef_quota"]["options"]
    # kt150 does not pass either: France, Italy, Poland and Austria (4 states, 39% of
    # the population) then form a blocking minority; kt99 passes without Italy's consent
    assert w.passable["beef_quota"]["options"] == ["kt50", "kt99"]
    assert "kt150" in w.binding["farmers"]["beef_quota"]["options"]
    italy = winset(case, "IT")
    assert italy.ratifiable["beef_quota"]["options"] == ["kt50"]
    assert "kt99" in italy.passable["beef_quota"]["options"]  # Italy can be outvoted on beef
