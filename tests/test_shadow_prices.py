"""Shadow prices against finite differences: move a bound by a small step,
solve again from scratch, and compare the change of the concept's objective."""

import math

import pytest

import negotiate
from conftest import ROOT

STEP = 1e-3


def objective(prop, concept):
    o = prop.parties
    if concept == "utilitarian":
        return prop.collective_benefit
    if concept == "nash":
        return sum(math.log(p.gain) for p in o.values() if not p.held)
    return min(p.gain / p.weight for p in o.values())  # egalitarian: the smallest weighted gain


CASE = ROOT / "cases" / "asia_pacific_compact.yaml"


def relaxed(case, cid: str, step: float):
    """The case with constraint `cid` relaxed by `step` in its own units."""
    parts = cid.split(".")
    if parts[-1] == "reservation":
        return case.update({cid: case.parties[parts[1]].reservation - step})
    text = case.parties[parts[1]].limits[parts[3]] if parts[0] == "parties" else case.constraints[parts[1]]
    lhs, op, rhs = text.partition("<=") if "<=" in text else text.partition(">=")
    move = step if op == "<=" else -step
    try:
        new = f"{lhs}{op} {float(rhs) + move}"
    except ValueError:  # a bound written as a constant expression (a model's limit)
        new = f"{lhs}{op} ({rhs.strip()}) + ({move})"
    return case.update({cid: new})


@pytest.mark.parametrize("concept", ["utilitarian", "egalitarian", "nash"])
def test_prices_match_finite_differences(concept):
    case = negotiate.load_case(CASE)
    base = negotiate.solve(case, concept)
    assert base.shadow_prices["available"] and not base.shadow_prices["conditional_on_discrete_choices"]
    checked = 0
    for c in base.constraints:
        if not c.binding or c.kind == "constraint" and "==" in case.constraints[c.id.split(".")[1]]:
            continue
        up = (objective(negotiate.solve(relaxed(case, c.id, STEP), concept), concept)
              - objective(base, concept)) / STEP
        down = (objective(base, concept)
                - objective(negotiate.solve(relaxed(case, c.id, -STEP), concept), concept)) / STEP
        # at a breakpoint of a piecewise-linear score the dual is a subgradient:
        # between the one-sided rates (which coincide away from breakpoints)
        lo, hi = min(up, down), max(up, down)
        tol = 2e-2 * max(abs(lo), abs(hi)) + 2e-4
        assert lo - tol <= c.shadow_price <= hi + tol, (c.id, c.shadow_price, up, down)
        checked += 1
    assert checked >= 2


def test_slack_constraints_have_zero_price():
    prop = negotiate.solve(CASE, "utilitarian")
    for c in prop.constraints:
        if not c.binding:
            assert c.shadow_price == 0 and c.slack > 0


def test_mip_prices_are_conditional_and_match_with_choices_fixed():
    case = negotiate.load_case(ROOT / "cases" / "climate_club.yaml")
    prop = negotiate.solve(case, "utilitarian")
    assert prop.shadow_prices["conditional_on_discrete_choices"]
    fixed = case.update({"constraints.keep_mrv": f"mrv[{prop.agreement['mrv']}] == 1"})
    c = next(c for c in prop.constraints if c.id == "parties.USA.limits.finance_cap")
    assert c.binding
    rates = []
    for step in (STEP, -STEP):
        moved = negotiate.solve(fixed.update({"parties.USA.limits.finance_cap": f"finance[self] <= {30 + step}"}),
                                "utilitarian")
        rates.append((moved.collective_benefit - prop.collective_benefit) / step)
    assert min(rates) - 1e-4 <= c.shadow_price <= max(rates) + 1e-4


@pytest.mark.parametrize("concept", ["utilitarian", "nash"])
def test_pyomo_prices_follow_the_same_convention(concept):
    """Where the price is unique both backends agree; at a breakpoint each may return a
    different subgradient, and both lie between the one-sided rates."""
    case = negotiate.load_case(CASE)
    a = negotiate.solve(case, concept)
    b = negotiate.solve(case, concept, backend="pyomo")
    for ca, cb in zip(a.constraints, b.constraints):
        assert ca.id == cb.id
        if not ca.binding:
            continue
        if ca.shadow_price == pytest.approx(cb.shadow_price, rel=1e-4, abs=1e-6):
            continue
        up = (objective(negotiate.solve(relaxed(case, ca.id, STEP), concept), concept) - objective(a, concept)) / STEP
        down = (objective(a, concept) - objective(negotiate.solve(relaxed(case, ca.id, -STEP), concept), concept)) / STEP
        lo, hi = min(up, down), max(up, down)
        for price in (ca.shadow_price, cb.shadow_price):
            assert lo - 2e-2 * abs(hi) - 2e-4 <= price <= hi + 2e-2 * abs(hi) + 2e-4
