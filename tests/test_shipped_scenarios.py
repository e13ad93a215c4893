"""Every shipped scenario moves something: a scenario whose proposal equals the
base proposal under the case's default concept is a broken exhibit."""

import pytest

import negotiate
from conftest import CASES, ROOT

SCENARIOS = [(path, name) for path in CASES for name in negotiate.load_case(path).scenarios]


@pytest.fixture(scope="module")
def base_proposals():
    return {path: negotiate.solve(path) for path in CASES}


def same(a, b, tol=1e-6) -> bool:
    if a.status != b.status:
        return False
    if a.agreement is None or b.agreement is None:
        return a.agreement is b.agreement
    for iid, v in a.agreement.items():
        w = b.agreement[iid]
        pairs = [(v[p], w[p]) for p in v] if isinstance(v, dict) else [(v, w)]
        for x, y in pairs:
            if isinstance(x, str) or isinstance(y, str):
                if x != y:
                    return False
            elif abs(x - y) > tol * max(1.0, abs(x)):
                return False
    return True


@pytest.mark.parametrize("path, name", SCENARIOS, ids=lambda v: v.stem if hasattr(v, "stem") else v)
def test_every_shipped_scenario_changes_the_proposal(path, name, base_proposals):
    case = negotiate.load_case(path)
    prop = negotiate.solve(case.update(case.scenarios[name]))
    assert not same(prop, base_proposals[path]), f"{path.name}: scenario `{name}` changes nothing"


def test_eu_target_sweep_moves_the_split():
    """The benefit keeps rewarding cuts: each target from 31% to 40% gives its own split."""
    n = negotiate.Negotiation(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    seen = []
    for target in range(31, 41):
        n.set("parameters.target", target)
        prop = n.solve()
        assert prop.status == "optimal"
        base = {p: q.data["base"] for p, q in n.case.parties.items()}
        cut = sum(base[p] * prop.agreement["reduction"][p] for p in base) / sum(base.values())
        assert cut == pytest.approx(target, abs=1e-6)  # the target binds
        assert all(not same(prop, other) for other in seen)
        seen.append(prop)
