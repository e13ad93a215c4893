"""Climate references: least cost, effort-sharing rules, eligibility, the EU status quo.

Checked against closed forms for quadratic abatement cost (linear marginal
cost: C_i(r) = a_i r^2 with a_i = base_i mac_i / (2 mac_reference 100 1000)),
scipy on the exact quadratic programme, and the case's own expressions
evaluated independently (tests/independent.py).
"""

import json
import subprocess
import sys

import numpy as np
import pytest

import negotiate
from conftest import ROOT
from independent import party_utility
from negotiate.analysis.climate import (ability_to_pay, cost_curves, eligibility_warnings, equal_cost_share,
                                        equal_per_capita, gdp_per_capita, least_cost, references)
from negotiate.errors import CaseError

EU = ROOT / "cases" / "eu_effort_sharing_2030.yaml"
# Regulation (EU) 2018/842, Annex I: 2030 targets, % below 2005
ESR_2018 = dict(BE=35, BG=0, CZ=14, DK=39, DE=38, EE=13, IE=30, EL=16, ES=26, FR=37, HR=7, IT=33, CY=24, LV=6,
                LT=9, LU=40, HU=7, MT=19, NL=36, AT=36, PL=7, PT=17, RO=2, SI=15, SK=12, FI=39, SE=40)

SMALL = """
name: four economies
model: climate_targets
parameters: {target: 30, max_cut: 70}
every_party:
  criteria:
    abatement_cost: {pieces: 1400}
parties:
  A: {data: {base: 100, pop: 10, gdp_pc: 40, mac: 50}}
  B: {data: {base: 300, pop: 60, gdp_pc: 10, mac: 150}}
  C: {data: {base: 50, pop: 5, gdp_pc: 60, mac: 300}}
  D: {data: {base: 200, pop: 30, gdp_pc: 25, mac: 80}}
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("climate") / "small.yaml"
    path.write_text(SMALL)
    return negotiate.load_case(path)


def quadratic(case):
    """a_i of C_i(r) = a_i r^2 (bn), from the model's documented formula."""
    ref = case.parameters["mac_reference"]
    return {p: party.data["base"] * party.data["mac"] / (2 * ref * 100 * 1000) for p, party in case.parties.items()}


def weighted(case, cuts):
    base = {p: party.data["base"] for p, party in case.parties.items()}
    return sum(base[p] * cuts[p] for p in base) / sum(base.values())


def bisect(f, lo, hi):
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def test_least_cost_equalises_marginal_cost_closed_form(small):
    a, base = quadratic(small), {p: q.data["base"] for p, q in small.parties.items()}
    hi = small.parameters["max_cut"]

    def cuts_at(lam):  # marginal cost 2 a_i r_i / base_i (bn per Mt) equal to lam, within [0, max_cut]
        return {p: min(hi, lam * base[p] / (2 * a[p])) for p in a}

    lam = bisect(lambda l: weighted(small, cuts_at(l)) - 30, 0, 10)
    want = cuts_at(lam)
    got = least_cost(small)
    for p in want:
        assert got[p] == pytest.approx(want[p], abs=0.06)  # the curves are sampled every 0.05 points
    assert weighted(small, got) == pytest.approx(30, abs=1e-6)


def test_least_cost_matches_scipy_on_the_exact_quadratic(small):
    from scipy.optimize import minimize

    a, parties = quadratic(small), list(small.parties)
    base = np.array([small.parties[p].data["base"] for p in parties])
    coef = np.array([a[p] for p in parties])
    res = minimize(lambda r: float(coef @ r**2), np.full(4, 30.0), jac=lambda r: 2 * coef * r,
                   bounds=[(0, 70)] * 4, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda r: base @ r - 30 * base.sum()}], tol=1e-12)
    got = least_cost(small)
    exact = float(coef @ res.x**2)
    ours = float(coef @ np.array([got[p] for p in parties]) ** 2)
    assert ours == pytest.approx(exact, rel=1e-4)


def test_eu_least_cost_is_the_uniform_cut_with_equal_curves():
    case = negotiate.load_case(EU)
    got = least_cost(case)
    assert all(v == pytest.approx(40, abs=1e-6) for v in got.values())
    a = quadratic(case)
    curves = cost_curves(case)
    # 40 is a breakpoint of the sampled curves (every 2 points): exact there
    assert sum(curves.costs(got).values()) == pytest.approx(sum(a[p] * 40**2 for p in a), rel=1e-9)


def test_equal_cost_share_closed_form(small):
    a = quadratic(small)
    gdp = {p: q.data["gdp_pc"] * q.data["pop"] for p, q in small.parties.items()}
    got = equal_cost_share(small)
    share = bisect(lambda s: weighted(small, {p: min(70, (s * gdp[p] / a[p]) ** 0.5) for p in a}) - 30, 0, 1)
    for p in a:
        assert got[p] == pytest.approx(min(70, (share * gdp[p] / a[p]) ** 0.5), abs=0.05)
        assert a[p] * got[p] ** 2 / gdp[p] == pytest.approx(share, rel=5e-3)


def test_rules_meet_the_target_and_follow_their_principle(small):
    g = {p: q.data["gdp_pc"] for p, q in small.parties.items()}
    pop = {p: q.data["pop"] for p, q in small.parties.items()}
    base = {p: q.data["base"] for p, q in small.parties.items()}
    mean = sum(g[p] * pop[p] for p in g) / sum(pop.values())
    for rule in (gdp_per_capita, equal_per_capita, ability_to_pay):
        assert weighted(small, rule(small)) == pytest.approx(30, abs=1e-6), rule.__name__
    gpc = gdp_per_capita(small, floor=5, cap=45)
    inside = [p for p in g if 5 < gpc[p] < 45]
    k = {p: gpc[p] / (g[p] / mean) for p in inside}
    assert len(inside) >= 2 and max(k.values()) == pytest.approx(min(k.values()), rel=1e-9)
    assert all(5 - 1e-9 <= v <= 45 + 1e-9 for v in gpc.values())
    epc = equal_per_capita(small)
    per_person = {p: base[p] * (1 - epc[p] / 100) / pop[p] for p in g if 0 < epc[p] < 70}
    assert max(per_person.values()) == pytest.approx(min(per_person.values()), rel=1e-9)
    atp = ability_to_pay(small)
    ratio = [atp[p] / g[p] ** (1 / 3) for p in g if 0 < atp[p] < 70]
    assert max(ratio) == pytest.approx(min(ratio), rel=1e-9)


def test_egalitarian_reproduces_equal_cost_share():
    """With equal reservations and no transfers, leximin of gains equalises cost/GDP."""
    case = negotiate.load_case(EU)
    changes = {"parameters.max_finance": 0, "parameters.w_finance": 0}
    changes.update({f"parties.{p}.reservation": 0.3 for p in case.parties})
    case = case.update(changes)
    prop = negotiate.solve(case, "egalitarian")
    cuts = prop.agreement["reduction"]
    rule = equal_cost_share(case, target=weighted(case, cuts))
    for p in case.parties:
        assert cuts[p] == pytest.approx(rule[p], abs=1e-5), p
    a = quadratic(case)
    gdp = {p: q.data["gdp_pc"] * q.data["pop"] for p, q in case.parties.items()}
    shares = [a[p] * cuts[p] ** 2 / gdp[p] for p in case.parties]  # the exact quadratic, not our curves
    assert max(shares) == pytest.approx(min(shares), rel=0.03)


def test_references_report_extra_cost_in_money():
    case = negotiate.load_case(EU)
    refs = references(case, concepts=["nash", "egalitarian"])
    a = quadratic(case)
    floor = sum(a[p] * 40**2 for p in a)
    for alloc in refs.allocations:
        exact = sum(a[p] * alloc.cuts[p] ** 2 for p in a)
        assert alloc.total_cost == pytest.approx(exact, abs=0.03)  # sampled curves: within 0.03 bn
        assert alloc.extra_cost == pytest.approx(exact - floor, abs=0.03)
    assert refs["least_cost"].extra_cost == 0
    assert all(refs[r].extra_cost > 0.5 for r in ("gdp_per_capita", "equal_per_capita", "official"))
    assert refs["status_quo"].collective_cut == pytest.approx(weighted(case, ESR_2018), abs=1e-9)
    d = json.loads(refs.to_json())
    assert [r["name"] for r in d["rules"]] == ["equal_cost_share", "gdp_per_capita", "equal_per_capita",
                                                "ability_to_pay"]
    assert d["concepts"][0]["cuts"]["DE"] == pytest.approx(refs["nash"].cuts["DE"])
    assert refs.cuts_frame().shape == (27, len(refs.allocations))
    assert refs.summary_frame().loc["nash", "extra_cost"] == pytest.approx(refs["nash"].extra_cost)


def test_gdp_rule_is_close_to_the_2023_regulation():
    """The Commission's method, bounded to [10, 50], lands near the official 2023 targets."""
    case = negotiate.load_case(EU)
    rule = gdp_per_capita(case)
    official = {p: q.data["official"] for p, q in case.parties.items()}
    assert min(rule.values()) >= 10 - 1e-9 and max(rule.values()) <= 50 + 1e-9
    assert np.mean([abs(rule[p] - official[p]) for p in rule]) < 5
    assert np.corrcoef([rule[p] for p in rule], [official[p] for p in rule])[0, 1] > 0.9


def test_not_a_climate_case_is_a_located_error():
    with pytest.raises(CaseError) as info:
        references(negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml"))
    paths = {p.path for p in info.value.problems}
    assert "issues" in paths and "parameters" in paths


# -- the EU status quo ------------------------------------------------------------
def test_eu_status_quo_is_the_2018_regulation_and_reservations_its_utility():
    case = negotiate.load_case(EU)
    assert case.status_quo["reduction"] == ESR_2018
    for p, party in case.parties.items():
        at_2018 = party_utility(case, p, {"reduction": ESR_2018, "finance": {q: 0 for q in case.parties}})
        assert party.reservation == pytest.approx(at_2018, abs=1e-9), p
    prop = negotiate.solve(case)
    assert prop.to_dict()["status_quo"] == pytest.approx({p: q.reservation for p, q in case.parties.items()})


# -- finance eligibility --------------------------------------------------------------
def test_shipped_cases_let_no_poorer_party_pay_a_richer_one():
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        assert eligibility_warnings(negotiate.load_case(path)) == [], path.name


def test_eligibility_warns_of_a_poorer_donor():
    case = negotiate.load_case(EU).update({"parties.BG.data.donor": 1})
    warnings = eligibility_warnings(case)
    assert warnings and all(w.startswith("BG may pay") for w in warnings)


@pytest.mark.parametrize("path", ["eu_effort_sharing_2030.yaml", "asia_pacific_compact.yaml"])
@pytest.mark.parametrize("concept", ["utilitarian", "nash"])
def test_climate_finance_flows_from_richer_to_poorer(path, concept):
    case = negotiate.load_case(ROOT / "cases" / path)
    prop = negotiate.solve(case, concept)
    flows = prop.agreement["finance"]
    g = {p: q.data["gdp_pc"] for p, q in case.parties.items()}
    payers = [p for p, f in flows.items() if f > 1e-7]
    receivers = [p for p, f in flows.items() if f < -1e-7]
    assert payers and receivers
    assert min(g[p] for p in payers) > max(g[p] for p in receivers)
    for p, f in flows.items():
        assert f <= 1e-7 or case.parties[p].data.get("donor") == 1
        assert f >= -1e-7 or case.parties[p].data.get("recipient") == 1


@pytest.mark.parametrize("concept", ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"])
def test_no_recipient_pays_into_its_own_capacity_fund(concept):
    case = negotiate.load_case(ROOT / "cases" / "digital_trade_standards.yaml")
    prop = negotiate.solve(case, concept)
    for p, party in case.parties.items():
        if party.data["capacity_need"] > 0:
            assert prop.agreement["fund"][p] == 0, (concept, p)
    assert sum(prop.agreement["fund"].values()) > 0


# -- CLI ----------------------------------------------------------------------------------
def run(*args, width=80):
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS=str(width), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "negotiate", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT)


def test_cli_references_text_fits_80_columns_without_cutting_numbers():
    r = run("references", str(EU), "--concepts", "nash")
    assert r.returncode == 0, r.stderr
    assert "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    refs = references(negotiate.load_case(EU), concepts=["nash"])
    assert f"{refs['gdp_per_capita'].extra_cost:+.2f}" in r.stdout
    assert f"{refs['gdp_per_capita'].cuts['BG']:.1f}" in r.stdout


def test_cli_references_json_and_csv():
    r = run("references", str(EU), "--concepts", "none", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["concepts"] == [] and d["least_cost"]["cuts"]["DE"] == pytest.approx(40)
    r = run("references", str(EU), "--concepts", "none", "--format", "csv", "--set", "parameters.target=35")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("party,least_cost,equal_cost_share")
    assert lines[-4].startswith("collective_cut,35.0") and lines[-1].startswith("extra_cost_same_cut,0.0")


def test_cli_references_bad_case_and_usage():
    r = run("references", str(ROOT / "cases" / "bilateral_fta.yaml"))
    assert r.returncode == 1 and "reduction" in r.stderr and "Traceback" not in r.stderr
    r = run("references", str(EU), "--format", "xml")
    assert r.returncode == 2
    r = run("references", str(EU), "--set", "parameters.target=85")  # above every party's largest cut
    assert r.returncode == 1 and "parameters.target" in r.stderr and "no split meets" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
