"""Tie sets against brute force: every concept, random small discrete cases.

The reference enumerates outcomes with itertools and evaluates utilities with
plain Python (tests/independent.py); the optimum of each concept and the set
of outcomes reaching it are recomputed here, and the proposal must report that
many ties and propose the first of them in outcome order.
"""

import math
import random

import pytest

import negotiate
from conftest import ROOT, case_from_dict
from independent import brute_force, feasible_utilities, lex_greater
from test_concepts_brute_force import random_case

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]
TOL = 1e-7


def reference_ties(case, concept) -> list[dict]:
    """The outcomes reaching the concept's optimum, in itertools.product order."""
    ref = brute_force(case, concept)
    if not ref["feasible"]:
        return []
    rows = feasible_utilities(case)
    w = {p: case.parties[p].weight for p in case.parties}
    d = {p: case.parties[p].reservation for p in case.parties}
    if concept == "utilitarian":
        return [o for o, u in rows if abs(sum(w[p] * u[p] for p in u) - ref["value"]) <= TOL]
    if concept == "nash":
        active = ref["active"]
        if ref["value"] > -math.inf:
            return [o for o, u in rows if all(u[p] - d[p] > 1e-12 for p in active)
                    and abs(sum(w[p] * math.log(u[p] - d[p]) for p in active) - ref["value"]) <= TOL]
        scale = {p: 1.0 / w[p] for p in active}  # Nash product 0 everywhere: egalitarian fallback
        best = None
        for _, u in rows:
            vec = [scale[p] * (u[p] - d[p]) for p in scale]
            if best is None or lex_greater(vec, best, 0.0) > 0:
                best = vec
        return [o for o, u in rows if lex_greater([scale[p] * (u[p] - d[p]) for p in scale], best, TOL) == 0]
    scale = ref["scale"]
    if not scale:
        return reference_ties(case, "utilitarian")
    return [o for o, u in rows if lex_greater([scale[p] * (u[p] - d[p]) for p in scale], ref["leximin"], TOL) == 0]


def as_agreement(outcome: dict) -> dict:
    return {k: (int(v) if isinstance(v, float) else v) for k, v in outcome.items()}


def tied_case(seed: int) -> dict:
    """A random case made tie-prone: an issue nobody scores and repeated scores."""
    data = random_case(seed)
    rng = random.Random(1000 + seed)
    data["issues"]["venue"] = {"options": ["geneva", "vienna", "nairobi"][: rng.choice([2, 3])]}
    for party in data["parties"].values():
        for crit in party["criteria"].values():
            if "scores" in crit and rng.random() < 0.5:
                crit["scores"] = {o: 0.5 for o in crit["scores"]}
    return data


def check(case, concept):
    expected = [as_agreement(o) for o in reference_ties(case, concept)]
    prop = negotiate.solve(case, concept)
    if not expected:
        assert prop.agreement is None
        return
    assert prop.ties == len(expected), (concept, prop.ties, len(expected))
    assert prop.agreement == expected[0], "the first tie in outcome order is proposed"
    assert prop.tie_set() == expected[:1000]
    listed = negotiate.ties(case, concept)
    assert listed.count == len(expected) and listed.agreements == expected[:1000]
    assert prop.to_dict()["ties"] == len(expected)


@pytest.mark.parametrize("seed", range(25))
def test_random_cases_ties_match_brute_force(seed):
    case = case_from_dict(random_case(seed))
    for concept in CONCEPTS:
        check(case, concept)


@pytest.mark.parametrize("seed", range(25))
def test_tie_prone_cases_match_brute_force(seed):
    case = case_from_dict(tied_case(seed))
    for concept in CONCEPTS:
        check(case, concept)


def test_an_issue_nobody_scores_multiplies_the_ties():
    data = {"name": "venue", "issues": {"deal": {"options": ["a", "b"]}, "venue": {"options": ["x", "y", "z"]}},
            "parties": {"A": {"criteria": {"deal": {"of": "deal", "scores": {"a": 1, "b": 0.2}}}},
                        "B": {"criteria": {"deal": {"of": "deal", "scores": {"a": 0.6, "b": 1}}}}}}
    case = case_from_dict(data)
    for concept in CONCEPTS:
        prop = negotiate.solve(case, concept)
        assert prop.ties == 3 and prop.agreement == {"deal": "a", "venue": "x"}
        assert [a["venue"] for a in prop.tie_set()] == ["x", "y", "z"]


def test_per_party_discrete_issue_is_enumerated():
    data = {"name": "pp", "issues": {"share": {"options": ["low", "high"], "per_party": True}},
            "parties": {p: {"criteria": {"own": {"of": "share[self]", "scores": {"low": 0.4, "high": 1}},
                                         "other": {"of": f"share[{q}]", "scores": {"low": 1, "high": 0.4}}}}
                        for p, q in (("A", "B"), ("B", "A"))}}
    case = case_from_dict(data)
    t = negotiate.ties(case, "utilitarian")
    assert t.outcomes == 4 and t.count == 4  # every outcome gives the same total
    assert t.agreements[0] == {"share": {"A": "low", "B": "low"}}
    assert negotiate.solve(case, "egalitarian").ties == 2  # both low or both high


def test_continuous_case_is_not_enumerated():
    case = negotiate.load_case(ROOT / "cases" / "climate_club.yaml")
    assert negotiate.solve(case, "utilitarian").ties is None
    with pytest.raises(ValueError, match="continuous"):
        negotiate.ties(case, "utilitarian")


@pytest.mark.parametrize("seed", range(12))
def test_mip_search_finds_the_enumerated_ties(seed):
    """Beyond the enumeration cap, no-good cuts on the MIP: the same set, checked on small cases."""
    case = case_from_dict(tied_case(seed))
    for concept in CONCEPTS:
        expected = [as_agreement(o) for o in reference_ties(case, concept)]
        found = negotiate.ties(case, concept, cap=1)
        assert found.method == "mip" and found.complete
        assert found.count == len(expected) and found.agreements == expected, concept


def test_mip_search_says_when_it_stops_at_its_limit():
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    data = case.model_dump(exclude_unset=True)
    data["issues"]["venue"] = {"options": ["geneva", "vienna", "nairobi", "rome"]}
    wide = case_from_dict(data)
    full = negotiate.ties(wide, "nash")
    assert full.count == 4 and full.method == "enumeration"
    capped = negotiate.ties(wide, "nash", cap=100, limit=2)
    assert capped.count == 2 and not capped.complete and capped.capped
    assert "at least" in repr(capped)
    assert all(a in full.agreements for a in capped.agreements)
    # an outcome space over the per-solve enumeration cap: the proposal says so
    data["issues"]["seat"] = {"range": [0, 60], "integer": True}  # above negotiate.discrete.ENUMERATE_CAP too
    big = case_from_dict(data)
    prop = negotiate.solve(big, "utilitarian")
    assert prop.solver["backend"] == "highs"
    assert prop.ties is None and any("tie set not computed: 515,328 outcomes" in n for n in prop.notes)


def test_tie_frame_and_json():
    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    t = negotiate.ties(case, "utilitarian")
    frame = t.frame()
    assert len(frame) == t.count and "utility.EU" in frame.columns
    assert t.to_dict()["listed_all"] is True


@pytest.mark.parametrize("seed", range(4))
def test_the_proposed_tie_does_not_depend_on_the_backend(seed):
    case = case_from_dict(tied_case(seed))
    for concept in CONCEPTS:
        a = negotiate.solve(case, concept, backend="highs")
        b = negotiate.solve(case, concept, backend="pyomo")
        assert a.agreement == b.agreement and a.ties == b.ties


def test_cli_lists_the_ties(tmp_path):
    import json

    from typer.testing import CliRunner

    from negotiate.cli import app

    path = tmp_path / "venue.json"
    path.write_text(json.dumps({"name": "venue", "issues": {"deal": {"options": ["a", "b"]},
                                                            "venue": {"options": ["x", "y", "z"]}},
                                "parties": {"A": {"criteria": {"deal": {"of": "deal", "scores": {"a": 1, "b": 0.2}}}},
                                            "B": {"criteria": {"deal": {"of": "deal", "scores": {"a": 0.6, "b": 1}}}}}}))
    runner = CliRunner()
    result = runner.invoke(app, ["ties", str(path), "-c", "ks", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ties"] == 3 and [a["venue"] for a in data["agreements"]] == ["x", "y", "z"]
    text = runner.invoke(app, ["ties", str(path)])
    assert text.exit_code == 0 and "3 equally good agreements" in text.stdout
    assert runner.invoke(app, ["ties", str(ROOT / "cases" / "climate_club.yaml")]).exit_code == 2


def test_a_moved_agreement_is_priced_at_the_proposed_tie():
    """When the solver picks another tie, the agreement moves to the first and the prices
    are computed again with the first tie's discrete choices fixed."""
    from negotiate.backends import make_backend
    from negotiate.compile import compile_case
    from negotiate.formulation.concepts import ConceptRunner
    from negotiate.proposal import issue_values, utilities
    from negotiate.solving import _settle_ties

    data = {"name": "moved", "issues": {"deal": {"options": ["a", "b"]}, "venue": {"options": ["x", "y"]}},
            "constraints": {"cap": "deal[a] + venue[y] <= 2"},
            "parties": {"A": {"reservation": 0.1, "criteria": {"deal": {"of": "deal", "scores": {"a": 1, "b": 0.2}}},
                              "limits": {"red": "deal[b] <= 1"}},
                        "B": {"criteria": {"deal": {"of": "deal", "scores": {"a": 0.6, "b": 1}}}}}}
    case = case_from_dict(data)
    problem = compile_case(case)
    backend = make_backend(problem, "highs", None)
    runner = ConceptRunner(backend, problem, lambda x: utilities(problem, issue_values(problem, x))[0])
    out = runner.run("utilitarian")
    x = out.x.copy()  # the solver's pick, moved by hand to the other tie (venue y)
    x[problem.var_col[("venue", None, "x")]], x[problem.var_col[("venue", None, "y")]] = 0.0, 1.0
    out.x = x
    tied = _settle_ties(problem, "utilitarian", out, runner)
    assert tied.count == 2 and tied.agreements[0] == {"deal": "a", "venue": "x"}
    assert out.x[problem.var_col[("venue", None, "x")]] == 1.0
    assert out.prices is not None and out.prices_conditional


@pytest.mark.parametrize("k", [1e-9, 1e9])
@pytest.mark.parametrize("concept", CONCEPTS)
def test_mip_search_finds_the_enumerated_ties_whatever_the_score_unit(k, concept):
    """The no-good-cut search judges ties relative to the parties' utility scales, as the
    enumeration does: scores times 1e-9 or 1e9 give the same tie set."""
    import rescale
    from negotiate.case.load import validate_data

    case = case_from_dict(tied_case(0))
    scaled = validate_data(rescale.scores_times(case.model_dump(exclude_unset=True), k))
    expected = negotiate.ties(scaled, concept)
    found = negotiate.ties(scaled, concept, cap=1)
    assert expected.method != "mip" and found.method == "mip" and found.complete
    assert found.count == expected.count == negotiate.ties(case, concept).count
    assert found.agreements == expected.agreements
