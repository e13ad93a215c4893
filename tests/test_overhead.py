"""What a small solve computes outside HiGHS, in arrays, against plain Python one item at a time.

- a proposal's utilities and scores (every party's curves as one set of arrays, proposal._Curves)
  equal each criterion's own `ScoreCurve.score` (expr.interp or numpy.interp on one curve) and
  the weighted sum a Python loop makes, bit for bit, on shipped and generated cases; a what-if
  that changes a party's curve is scored with its new curve;
- the utility scales' spans of every party at once (compile._spans), and those a compile reads
  off the points it draws, equal `_span` party by party;
- the model's scales kept on a Problem (scaling.model_scales) equal `scale_model` and are copies.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT
from test_compile_arrays import generated, mixed_case

from negotiate.backends.scaling import model_scales, scale_model
from negotiate.case.load import load_case, validate_data
from negotiate.case.resolve import resolve
from negotiate.compile import _span, _spans, compile_case
from negotiate.proposal import utilities

SHIPPED = sorted((ROOT / "cases").glob("*.yaml"))


def cases():
    yield from ((p.name, load_case(p)) for p in SHIPPED)
    yield "generated", validate_data(generated(12, 8))
    yield "mixed", validate_data(mixed_case())


def random_values(problem, rng) -> dict:
    out = {}
    for v in problem.resolved.variables:
        lo, hi = max(v.lb, -1e3), min(v.ub, 1e3)
        out[v.key] = float(rng.integers(0, 2)) if v.key[2] is not None else float(rng.uniform(lo, hi))
    return out


def one_by_one(problem, values: dict) -> tuple[dict, dict]:
    """Each criterion scored alone, each party's utility summed in a Python loop."""
    utils, scores = {}, {}
    for p in problem.parties:
        crit = {c.id: c.score(values) for c in problem.resolved.criteria[p]}
        scores[p] = crit
        utils[p] = sum(c.weight * crit[c.id] for c in problem.resolved.criteria[p])
    return utils, scores


@pytest.mark.parametrize("name, case", list(cases()))
def test_utilities_equal_each_curve_scored_alone(name, case):
    problem = compile_case(case)
    rng = np.random.default_rng(7)
    for _ in range(5):
        values = random_values(problem, rng)
        assert repr(utilities(problem, values)) == repr(one_by_one(problem, values))


def test_a_changed_curve_is_scored_with_its_new_points():
    case = validate_data(generated(6, 5))
    problem = compile_case(case)
    values = random_values(problem, np.random.default_rng(3))
    utilities(problem, values)  # the curves' arrays are now kept on the resolved case
    party = problem.parties[2]
    crit = next(iter(case.parties[party].criteria))
    points = [[x, 1.0 - y] for x, y in case.parties[party].criteria[crit].points]
    changed = compile_case(case.update({f"parties.{party}.criteria.{crit}.points": points}))
    assert repr(utilities(changed, values)) == repr(one_by_one(changed, values))
    assert utilities(changed, values)[1][party][crit] != utilities(problem, values)[1][party][crit]


@pytest.mark.parametrize("name, case", list(cases()))
def test_spans_at_once_equal_party_by_party(name, case):
    resolved = compile_case(case).resolved
    groups = [resolved.criteria[p] for p in resolved.parties]
    assert repr(_spans(groups)) == repr([_span(g) for g in groups])


@pytest.mark.parametrize("name, case", list(cases()) + [("generated 5x30", validate_data(generated(5, 30, 10)))])
def test_spans_a_compile_keeps_equal_party_by_party(name, case):
    """utility_scales reads the spans compile_case keeps (none made before it here)."""
    resolved = resolve(case)
    for key in [k for k in resolved.per_party if k[0] in ("span", "sections")]:
        del resolved.per_party[key]
    compile_case(case)
    for p in resolved.parties:
        assert repr(resolved.per_party[("span", p)]) == repr(_span(resolved.criteria[p]))


def test_model_scales_are_scale_models_and_copies():
    problem = compile_case(validate_data(generated(6, 5)))
    want = scale_model(problem.indptr, problem.indices, problem.values, problem.col_lb, problem.col_ub,
                       problem.col_int)
    cs, rs = model_scales(problem)
    assert np.array_equal(cs, want[0]) and np.array_equal(rs, want[1])
    cs[:] = 0.0  # a backend scales helper columns in place: the kept scales stay
    again = model_scales(problem)
    assert np.array_equal(again[0], want[0]) and np.array_equal(again[1], want[1])
