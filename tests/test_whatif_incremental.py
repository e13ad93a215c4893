"""The incremental what-if paths against cold ones, after random changes.

A session validates only the parts a change touches (`validate_changed`),
re-resolves only the items naming what changed (`resolve.dependents`), compiles
from the previous Problem (`compile.recompile`), reads its delta off the rows
it rewrote (`delta.touched_delta`) and evaluates utilities with per-party curve
arrays (`proposal.utilities`). After every random change each is compared with
its cold counterpart: the Case with a cold validation of the changed data, the
Problem with a cold compile (every array and map), the delta with a diff of the
two whole Problems, the name index with one built afresh, the utilities with
each curve's own `ScoreCurve.score`, bit for bit.
"""

from __future__ import annotations

import importlib.util
import random

import numpy as np
import pytest
from conftest import ROOT

import negotiate
from negotiate.case.load import validate_data
from negotiate.case.resolve import dependents, resolve
from negotiate.compile import compile_case
from negotiate.delta import model_delta
from negotiate.errors import CaseError
from negotiate.proposal import utilities
from negotiate.whatif import Negotiation


def synthetic(parties: int, criteria: int, points: int) -> dict:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    return generate.make_case(parties, criteria, points, seed=3)


def cases() -> dict:
    return {
        "synthetic": validate_data(synthetic(8, 6, 6)),
        "club_status_quo": negotiate.load_case(ROOT / "cases" / "climate_club_status_quo.yaml"),
        "bilateral": negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml"),
    }


# -- the comparisons -------------------------------------------------------------------------
PROBLEM_ARRAYS = ("col_lb", "col_ub", "col_int", "row_lo", "row_hi", "indptr", "indices", "values")
PROBLEM_MAPS = ("col_names", "row_names", "var_col", "utility_col", "score_form", "reservation_row", "utility_row",
                "curve_cols", "curve_rows", "case_rows", "nonconcave", "shared_cols")


def same_case(n: Negotiation) -> None:
    cold = validate_data(n._data)  # a cold load of the changed data, resolved
    assert n.case == cold
    assert n.case.model_dump(exclude_unset=True) == cold.model_dump(exclude_unset=True)
    assert n.case.model_fields_set == cold.model_fields_set


def same_problem(n: Negotiation) -> None:
    p, q = n.problem, compile_case(validate_data(n._data))
    for f in PROBLEM_ARRAYS:
        a, b = getattr(p, f), getattr(q, f)
        assert a.dtype == b.dtype and np.array_equal(a, b), f
    for f in PROBLEM_MAPS:
        assert getattr(p, f) == getattr(q, f), f
    assert [(r.kind, r.case_id, r.party) for r in p.row_info] == [(r.kind, r.case_id, r.party) for r in q.row_info]
    assert p.col_index == q.col_index and p.row_index == q.row_index


def same_delta(n: Negotiation, before) -> None:
    if n.last_delta is None:  # rebuilt
        return
    full = model_delta(before, n.problem)
    d = n.last_delta
    assert (d.added_cols, d.retired_cols, d.added_rows, d.retired_rows) == \
        (full.added_cols, full.retired_cols, full.added_rows, full.retired_rows)
    assert d.col_bounds == full.col_bounds and d.col_integer == full.col_integer
    assert d.row_bounds == full.row_bounds and d.coefficients == full.coefficients


def same_index(n: Negotiation) -> None:
    carried = n.case._resolved.names
    if carried is None:
        return
    fresh = resolve(validate_data(n._data))
    dependents(fresh, "")
    assert carried[0] == fresh.names[0]
    assert {k: v for k, v in carried[1].items() if v} == fresh.names[1]


def same_utilities(n: Negotiation, rng: random.Random) -> None:
    problem = n.problem
    for at_points in (False, True):
        values = {}
        for v in problem.resolved.variables:
            if v.key[2] is not None:
                values[v.key] = float(rng.random() < 0.5)
            elif at_points:
                values[v.key] = rng.choice([v.lb, v.ub, round(rng.uniform(v.lb, v.ub))])
            else:
                values[v.key] = rng.uniform(v.lb - 1, v.ub + 1)
        utils, scores = utilities(problem, values)
        for p in problem.parties:
            curves = problem.resolved.criteria[p]
            assert scores[p] == {c.id: c.score(values) for c in curves}  # exactly
            assert utils[p] == sum(c.weight * c.score(values) for c in curves)
            from negotiate.compile import _span

            assert problem.resolved.per_party.get(("span", p), _span(curves)) == _span(curves)


# -- random changes ------------------------------------------------------------------------------
def random_change(case, rng: random.Random) -> tuple[str, object]:
    party = rng.choice(list(case.parties))
    me = case.parties[party]
    kind = rng.choice(["parameter", "reservation", "limit", "limit", "limit_new", "weight", "points", "points",
                       "data", "party_weight", "status_quo", "range"])
    if kind == "parameter" and case.parameters:
        name = rng.choice(sorted(case.parameters))
        return f"parameters.{name}", round(case.parameters[name] * rng.uniform(0.7, 1.3), 3)
    if kind == "reservation":
        if case.status_quo and rng.random() < 0.3:
            return f"parties.{party}.reservation", "status_quo"
        return f"parties.{party}.reservation", round(rng.uniform(0.05, 0.5), 3)
    ranged = [i for i, issue in case.issues.items() if issue.range is not None]
    if kind in ("limit", "limit_new") and ranged:
        iid = rng.choice(ranged)
        lo, hi = (float(v) for v in case.issues[iid].range) if not any(
            isinstance(v, str) for v in case.issues[iid].range) else (0.0, 50.0)
        target = f"{iid}[self]" if case.issues[iid].per_party else iid
        name = rng.choice(list(me.limits)) if kind == "limit" and me.limits else f"red_line_{rng.randint(0, 2)}"
        bound = round(lo + rng.uniform(0.2, 1.0) * (hi - lo), 2)
        return f"parties.{party}.limits.{name}", f"{target} {rng.choice(['<=', '>='])} {bound}"
    curved = [c for c, crit in me.criteria.items() if crit.points is not None]
    if kind == "points" and curved:
        cid = rng.choice(curved)
        old = me.criteria[cid].points
        xs = [x for x, _ in old]
        if rng.random() < 0.25:  # another number of points: the curve's block changes shape
            xs = sorted({*xs, round(rng.uniform(xs[0], xs[-1]), 3)})
        ys = sorted((round(rng.uniform(0, 1), 3) for _ in xs), reverse=rng.random() < 0.5)
        return f"parties.{party}.criteria.{cid}.points", [[x, y] for x, y in zip(xs, ys)]
    if kind == "weight":
        cid = rng.choice(list(me.criteria))
        return f"parties.{party}.criteria.{cid}.weight", rng.choice([0, 0.5, 1, 2, 3])
    if kind == "data" and me.data:
        name = rng.choice(sorted(me.data))
        value = me.data[name]
        if isinstance(value, dict):
            return f"parties.{party}.data.{name}", {q: round(v * rng.uniform(0.5, 1.5), 3) for q, v in value.items()}
        return f"parties.{party}.data.{name}", round(value * rng.uniform(0.5, 1.5), 4)
    if kind == "party_weight":
        return f"parties.{party}.weight", rng.choice([0.5, 1, 2])
    if kind == "status_quo" and case.status_quo:
        iid = rng.choice([i for i in case.status_quo if case.issues[i].range is not None])
        lo, hi = case.issues[iid].range
        if case.issues[iid].per_party:
            return f"status_quo.{iid}.{party}", round(rng.uniform(lo, hi), 2)
        return f"status_quo.{iid}", round(rng.uniform(lo, hi), 2)
    if kind == "range" and ranged:
        iid = rng.choice(ranged)
        lo, hi = case.issues[iid].range
        return f"issues.{iid}.range", [lo, round(hi * rng.uniform(0.8, 1.2), 2)]
    return f"parties.{party}.reservation", round(rng.uniform(0.05, 0.4), 3)


def run(seed: int, steps: int) -> dict:
    rng = random.Random(seed)
    counts = {"changes": 0, "recompiled": 0, "refused": 0}
    for name, case in cases().items():
        n = Negotiation(case)
        n.solve("utilitarian")
        for _ in range(steps):
            path, value = random_change(n.case, rng)
            before_case, before_dump, before = n.case, n.case.model_dump(), n.problem
            recompiled = n.recompiled
            try:
                n.set(path, value)
            except CaseError:
                counts["refused"] += 1
                with pytest.raises(CaseError):
                    before_case.update({path: value})
                continue
            try:
                assert before_case.model_dump() == before_dump  # the previous case (a snapshot) is untouched
                same_case(n)
                same_problem(n)
                same_delta(n, before)
                same_index(n)
                same_utilities(n, rng)
            except AssertionError as e:
                raise AssertionError(f"{name}, seed {seed}, after {path} = {value!r}: {e}") from e
            counts["changes"] += 1
            counts["recompiled"] += n.recompiled - recompiled
    return counts


def test_incremental_paths_equal_cold_ones():
    counts = run(seed=11, steps=30)
    # the incremental compile is what most of these changes take (a shape change takes the full one)
    assert counts["recompiled"] >= counts["changes"] // 2, counts


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 4))
def test_incremental_paths_equal_cold_ones_long(seed):
    run(seed=seed * 37, steps=120)


# -- what each incremental step leaves alone -------------------------------------------------------------
def test_a_change_to_one_party_keeps_the_others_validated_parts():
    case = validate_data(synthetic(6, 4, 5))
    n = Negotiation(case)
    n.set("parties.P002.reservation", 0.31)
    assert all(n.case.parties[p] is case.parties[p] for p in case.parties if p != "P002")
    assert n.case.parties["P002"].reservation == 0.31
    assert n.last_stages.keys() == {"validate", "resolve", "compile", "delta", "apply"}
    assert n.last_delta.summary()["row_bounds"] == 1 and not n.last_delta.coefficients


def test_a_parameter_reaches_only_the_items_naming_it():
    case = validate_data(synthetic(6, 4, 5))
    n = Negotiation(case)
    assert dependents(n.case._resolved, "target") == {("row", "constraints", "collective")}
    before = n.case._resolved
    n.set("parameters.target", 20)
    after = n.case._resolved
    assert all(after.criteria[p] is before.criteria[p] for p in after.parties)  # no curve resolved again
    assert n.recompiled == 1


def test_a_refused_change_leaves_the_session_as_it_was():
    case = validate_data(synthetic(5, 4, 5))
    n = Negotiation(case)
    problem = n.problem
    with pytest.raises(CaseError) as e:
        n.set("parties.P001.reservation", "high")
    assert "<change>" in str(e.value)
    assert n.case is case and n.problem is problem


def test_a_status_quo_reservation_is_computed_again_for_the_new_case_only():
    case = negotiate.load_case(ROOT / "cases" / "climate_club_status_quo.yaml")
    n = Negotiation(case)
    before = case.parties["CHN"].reservation
    n.set("status_quo.reduction.CHN", 15)
    assert case.parties["CHN"].reservation == before  # the old case keeps its own value
    cold = case.update({"status_quo.reduction.CHN": 15})
    assert n.case.parties["CHN"].reservation == cold.parties["CHN"].reservation != before
    same_problem(n)


@pytest.mark.parametrize("path", sorted((ROOT / "cases").glob("*.yaml")), ids=lambda p: p.stem)
def test_utilities_are_each_curves_own_score(path):
    """The per-party arrays give every criterion's `ScoreCurve.score` (np.interp of `Lin.value`)
    exactly: inside segments, at their points, at and beyond the curves' ends."""
    problem = compile_case(negotiate.load_case(path))
    rng = random.Random(path.stem)
    xs = {x for p in problem.parties for c in problem.resolved.criteria[p] if c.xs is not None for x in c.xs}
    for step in range(30):
        values = {}
        for v in problem.resolved.variables:
            if v.key[2] is not None:
                values[v.key] = float(rng.random() < 0.5)
            elif step % 3 == 0:
                values[v.key] = rng.choice(sorted(xs | {v.lb, v.ub}))
            else:
                values[v.key] = rng.uniform(v.lb - 0.1 * (v.ub - v.lb), v.ub + 0.1 * (v.ub - v.lb))
        utils, scores = utilities(problem, values)
        for p in problem.parties:
            curves = problem.resolved.criteria[p]
            assert scores[p] == {c.id: c.score(values) for c in curves}
            assert utils[p] == sum(c.weight * c.score(values) for c in curves)


@pytest.mark.parametrize("path, value", [("parties.P000.reservation", 1e30),
                                         ("parties.P001.limits.max_cut", "reduction[self] <= 1e200")])
def test_a_number_no_solver_can_take_is_refused_as_a_cold_compile_refuses_it(path, value):
    """The incremental compile checks the rows it rewrote (and the rows scaling them); what it
    finds goes to the whole check, so the message is the cold one, located at the change."""
    case = validate_data(synthetic(5, 4, 5))
    n = Negotiation(case)
    with pytest.raises(CaseError) as warm:
        n.set(path, value)
    with pytest.raises(CaseError) as cold:
        compile_case(case.update({path: value}))
    assert [(p.message, p.path) for p in warm.value.problems] == [(p.message, p.path) for p in cold.value.problems]
    assert "<change>" in str(warm.value) and n.case is case


def test_a_partys_own_data_reaches_its_own_items_unless_others_read_it():
    """`data.s0[self]` in every party's criterion: P002's value reaches P002's criteria only;
    `data.em` summed over parties in everyone's climate criterion reaches them all."""
    case = validate_data(synthetic(6, 4, 5))
    n = Negotiation(case)
    before = n.case._resolved
    n.set("parties.P002.data.s0", 0.77)
    after = n.case._resolved
    assert [p for p in after.parties if after.criteria[p] is not before.criteria[p]] == ["P002"]
    same_case(n)
    same_problem(n)
    before = after
    n.set("parties.P002.data.em", 3.5)
    after = n.case._resolved
    assert all(after.criteria[p] is not before.criteria[p] for p in after.parties)
    same_case(n)
    same_problem(n)


def test_a_new_parameter_named_as_an_issue_is_refused_as_cold():
    """The incremental validation gave Case's name check only the changed entries, so a new
    parameter named as an untouched issue was accepted warm and refused by a cold load."""
    from negotiate.errors import CaseError

    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    issue = list(case.issues)[-1]  # not the first: that one is given to the check as it stands
    with pytest.raises(CaseError, match="both a parameter and an issue"):
        Negotiation(case).update({f"parameters.{issue}": 3}, create=True)
    with pytest.raises(CaseError, match="both a parameter and an issue"):
        case.update({f"parameters.{issue}": 3}, create=True)
