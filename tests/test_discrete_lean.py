"""The lean path of small discrete cases: the outcome table, and the proposal read off data
arranged once per case.

negotiate.discrete reports an enumerated agreement that passes the re-check
at once without the solver layer's general builder (negotiate.solving._proposal,
which recomputes everything from the agreed values through `issue_values`,
`utilities` party by party, `verify` and `constraint_outcomes`). That builder
is the reference here: on random and shipped cases, every concept, the lean
proposal must be the same Proposal, field by field and float for float, and
an agreement that fails the re-check must still be refused.
"""

import dataclasses
import random

import numpy as np
import pytest

import negotiate
from conftest import ROOT, case_from_dict
from negotiate import discrete, tie_sets
from test_concepts_brute_force import random_case
from test_discrete import CONCEPTS, richer_case


def wide_case(seed: int, acceptance: bool = True) -> dict:
    """10 parties, a per-party choice (a criterion over all of them: an argument of 10 terms,
    summed once for every party), an integer issue, an issue fixed at a number of many digits,
    status-quo reservations for some parties, a red line, and a constraint over several issues."""
    rng = random.Random(500 + seed)
    ids = [f"P{i}" for i in range(10)]
    issues = {
        "share": {"options": ["a", "b"], "per_party": True},
        "level": {"options": ["low", "mid", "high"]},
        "years": {"range": [0, 3], "integer": True},
        "rate": {"range": [0.1234567891234, 0.1234567891234]},
    }
    parties = {}
    for p in ids:
        parties[p] = {
            "weight": rng.choice([1, 2, 3]),
            "reservation": "status_quo" if rng.random() < 0.3 else round(rng.uniform(0.0, 0.15), 3),
            "criteria": {
                "mine": {"of": "share[self]", "scores": {"a": round(rng.random(), 3), "b": round(rng.random(), 3)}},
                "many_b": {"of": "sum(share[b])", "weight": 2,
                           "points": [[0, round(rng.random(), 3)], [10, round(rng.random(), 3)]]},
                "level": {"of": "level", "scores": {o: round(rng.random(), 3) for o in ("low", "mid", "high")}},
                "years": {"of": "years + 2 * level[high]",
                          "points": [[0, round(rng.random(), 3)], [2, round(rng.random(), 3)],
                                     [5, round(rng.random(), 3)]]},
                "rate": {"of": "rate", "points": [[0, 0], [1, round(rng.random(), 3)]]},
                "late": {"of": "years", "points": [[0.5, round(rng.random(), 3)], [1.5, round(rng.random(), 3)],
                                                   [2.5, round(rng.random(), 3)]]},  # years 0 and 3 outside
            },
        }
    parties["P0"]["limits"] = {"red_line": "years >= 1"}
    return {"name": f"wide {seed}", "issues": issues, "parties": parties,
            "status_quo": {"share": "a", "level": "low", "years": 0, "rate": 0.1234567891234},
            "constraints": {"some_b": "sum(share[b]) >= 2", "late_if_high": "years >= 2 * level[high]"},
            "solve": {"require_acceptance": acceptance}}


def cases():
    yield from (case_from_dict(random_case(seed)) for seed in range(12))
    yield from (case_from_dict(richer_case(seed)) for seed in range(6))
    yield from (case_from_dict(wide_case(seed, acceptance)) for seed in range(3) for acceptance in (True, False))
    yield negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")


def same_proposal(lean, general) -> None:
    """Every field equal (floats exactly), the solver's report but its clock too."""
    for f in dataclasses.fields(lean):
        ours, theirs = getattr(lean, f.name), getattr(general, f.name)
        if f.name == "solver":
            ours, theirs = ours.to_dict(), theirs.to_dict()
        assert ours == theirs, f.name
    assert lean.to_dict()["parties"] == general.to_dict()["parties"]


@pytest.mark.parametrize("ideals", [False, True])
def test_the_lean_proposal_is_the_general_builders(monkeypatch, ideals):
    lean_made = []
    real = discrete._proposal_of

    def spy(*args, **kwargs):
        made = real(*args, **kwargs)
        lean_made.append(made is not None)
        return made

    def general_only(*args, **kwargs):
        return None

    solved = 0
    for case in cases():
        for concept in CONCEPTS:
            monkeypatch.setattr(discrete, "_proposal_of", spy)
            lean = negotiate.solve(case, concept, ideals=ideals)
            monkeypatch.setattr(discrete, "_proposal_of", general_only)
            general = negotiate.solve(case, concept, ideals=ideals)
            assert lean.solver["backend"] == general.solver["backend"] == "enumeration"
            object.__setattr__(general.solver, "seconds", lean.solver.seconds)  # (the clocks differ)
            object.__setattr__(general.solver, "solver_seconds", lean.solver.solver_seconds)
            same_proposal(lean, general)
            solved += lean.ok
    assert solved > 80 and sum(lean_made) == solved  # every agreement found was reported the lean way


def test_the_lean_proposal_reads_status_quo_and_long_arguments():
    """The wide cases exercise what the others do not: status-quo utilities, a criterion over
    every party's choice (an argument summed once), a number reported as `agreement_of` reports it."""
    prop = negotiate.solve(case_from_dict(wide_case(0)), "nash")
    assert prop.ok and prop.status_quo is not None
    assert prop.agreement["rate"] == 0.1234567891 and prop.tie_set()[0]["rate"] == 0.1234567891234


def test_an_enumerated_agreement_that_fails_the_recheck_is_not_proposed(monkeypatch):
    """The re-check is not skipped: an enumeration that picked an outcome breaking P0's red line
    (forced here) is refused by the lean re-check and reported as an error by the full one."""
    case = case_from_dict(wide_case(0))
    real = tie_sets.optimal_outcomes

    def wrong(concept, U, acceptable, *args, **kwargs):
        _, value = real(concept, U, acceptable, *args, **kwargs)
        return np.array([0]), value  # the first outcome: years = 0, against P0's red line

    monkeypatch.setattr(tie_sets, "optimal_outcomes", wrong)
    prop = negotiate.solve(case, "utilitarian")
    assert prop.status == "error" and prop.agreement is None
    assert any("parties.P0.limits.red_line" in note for note in prop.notes)


def test_tie_sets_list_the_ties_in_outcome_order():
    """Many ties (an issue nobody scores): every one listed, as `tie_sets._agreement` lists them."""
    data = random_case(3)
    data["issues"]["venue"] = {"options": [f"v{k}" for k in range(7)]}
    case = case_from_dict(data)
    prop = negotiate.solve(case, "utilitarian")
    assert prop.ties == 7 * (prop.ties // 7) and prop.ties >= 7
    resolved = negotiate.case.resolve.resolve(case)
    axes = discrete.enumerable(resolved)
    U, ok = tie_sets._table(resolved, axes)
    plan = tie_sets._plan(resolved, axes)
    mask, _ = tie_sets.concept_mask("utilitarian", U, ok, plan["w"], plan["d"], plan["uscale"])
    assert prop.tie_set() == [tie_sets._agreement(resolved, axes, int(i)) for i in np.flatnonzero(mask)]
    assert [a["venue"] for a in prop.tie_set()[:7]] == [f"v{k}" for k in range(7)]


@pytest.mark.parametrize("joint_cells", [tie_sets.JOINT_CELLS, 0])
def test_the_outcome_table_is_every_outcome_evaluated_one_by_one(monkeypatch, joint_cells):
    """The broadcast table (rows over a few axes as joint masks, or with JOINT_CELLS = 0 summed
    over the grid; acceptance compared only for parties whose lowest utility may reject) against
    `tie_sets.evaluate` on every outcome's issue variables, built one by one."""
    monkeypatch.setattr(tie_sets, "JOINT_CELLS", joint_cells)
    from negotiate.case.resolve import resolve

    checked, pruned, compared = 0, 0, 0
    for case in list(cases())[::2]:
        resolved = resolve(case)
        axes = tie_sets.outcome_axes(resolved)
        n = tie_sets.space_size(axes)
        plan = tie_sets._build_plan(resolved, axes)
        monkeypatch.setitem(resolved.__dict__, "_last_plan", (axes, plan))
        U, ok = tie_sets.outcome_table(resolved, axes)
        X, _ = tie_sets._indicator_block(resolved, axes, 0, n)
        V, fine = tie_sets.evaluate(resolved, X)
        if case.solve.require_acceptance:
            fine &= (V >= plan["d"] - tie_sets.GAIN_TOL * plan["uscale"]).all(axis=1)
        assert np.allclose(U, V, rtol=0, atol=1e-12)
        assert (ok == fine).all()
        checked += bool(plan["joint"]) if joint_cells else not plan["joint"]
        if case.solve.require_acceptance:  # parties whose lowest utility accepts are not compared
            pruned += len(resolved.parties) - len(plan["may_reject"])
            compared += len(plan["may_reject"])
    assert checked >= 3  # (the richer and wide cases have a row over several axes)
    assert pruned >= 5 and compared >= 5


def test_trusted_results_equal_the_dataclasses_own():
    from negotiate.proposal import ConstraintOutcome, PartyOutcome, constraint_outcome, party_outcome
    from negotiate.results import SolverInfo, solver_info

    for cls, made, values in [
        (PartyOutcome, party_outcome, (0.5, 0.2, 0.9, 0.3, 0.42, {"c": 0.5}, 2.0, True, False)),
        (ConstraintOutcome, constraint_outcome, ("parties.A.reservation", "reservation", "A", 0.5, 0.2, None,
                                                 0.3, False, None)),
        (SolverInfo, solver_info, ("enumeration", "2", "enumeration", 0.1, 0.1, 0, True, None, {"outcomes": 4})),
    ]:
        ours, theirs = made(*values), cls(*values)
        assert ours == theirs and type(ours) is cls and repr(ours) == repr(theirs)
        with pytest.raises(dataclasses.FrozenInstanceError):
            ours.weight = 1.0
        with pytest.raises(TypeError):
            made(*values[:-1])


def test_outcome_axes_are_made_once_per_case(monkeypatch):
    """Before: every MIP solve's tie settling (tie_sets.settle) rebuilt the case's outcome axes;
    they are case-constant, kept on the resolved case; a what-if change makes new ones."""
    made = []
    real = tie_sets._outcome_axes
    monkeypatch.setattr(tie_sets, "_outcome_axes", lambda resolved: made.append(1) or real(resolved))
    case = case_from_dict(random_case(2))
    first = [negotiate.solve(case, concept, enumerate=False) for concept in CONCEPTS]
    first += [negotiate.solve(case, concept) for concept in CONCEPTS]
    assert len(made) == 1 and all(p.ties is not None for p in first if p.ok)
    changed = case.update({"parties.P0.reservation": 0.0})
    assert negotiate.solve(changed, "nash").ok and len(made) == 2
