"""Voting power against independent references.

- small weighted games: every coalition enumerated (Banzhaf swings, orderings
  for Shapley-Shubik), and textbook values for [6; 4, 3, 2, 1];
- the EU-27 Council rule (55% of states, 65% of population, blocking minority
  of four): the winning fraction against the published 13.2%, and every index
  against a meet-in-the-middle count written separately (halves of the
  parties enumerated, pairs matched by sorting), not the dynamic program.
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

import negotiate
from conftest import ROOT
from negotiate.analysis.power import voting_power
from negotiate.formulation.rules import VotingRule, voting_rule

EU_RULE = {"qualified_majority": {"parties": 0.55, "weight": "data.pop", "weight_share": 0.65,
                                  "blocking_minority": 4}}


def brute(names, wins):
    """Banzhaf swings and Shapley-Shubik by enumerating coalitions and orderings."""
    n = len(names)
    swings = {p: 0 for p in names}
    winning = 0
    for r in range(n + 1):
        for s in itertools.combinations(names, r):
            if wins(set(s)):
                winning += 1
            for p in names:
                if p not in s and wins(set(s) | {p}) and not wins(set(s)):
                    swings[p] += 1
    piv = {p: 0 for p in names}
    for order in itertools.permutations(names):
        for j in range(n):
            if wins(set(order[:j + 1])):
                piv[order[j]] += 1
                break
    total = sum(swings.values())
    return (winning / 2 ** n, {p: swings[p] / total for p in names},
            {p: Fraction(piv[p], math.factorial(n)) for p in names})


def test_textbook_game_6_4321():
    w = {"A": 4, "B": 3, "C": 2, "D": 1}
    rule = VotingRule("weighted_quota", tuple(w), 0, w, Fraction(6))
    pw = voting_power(rule)
    # Textbook: Banzhaf swings 5, 3, 3, 1 (of 12); Shapley-Shubik 5/12, 1/4, 1/4, 1/12.
    assert pw.swings == {"A": 5, "B": 3, "C": 3, "D": 1}
    assert pw.banzhaf == pytest.approx({"A": 5 / 12, "B": 3 / 12, "C": 3 / 12, "D": 1 / 12})
    assert pw.shapley_shubik == pytest.approx({"A": 5 / 12, "B": 1 / 4, "C": 1 / 4, "D": 1 / 12})
    frac, bz, ss = brute(list(w), lambda s: sum(w[p] for p in s) >= 6)
    assert pw.winning_fraction == pytest.approx(frac)
    assert pw.banzhaf == pytest.approx(bz)
    assert pw.shapley_shubik == pytest.approx({p: float(v) for p, v in ss.items()})


@pytest.mark.parametrize("seed", range(12))
def test_random_qmv_games_against_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 8))
    names = [f"P{i}" for i in range(n)]
    w = {p: round(float(rng.uniform(0, 30)), int(rng.integers(0, 3))) for p in names}
    m = int(rng.integers(0, n + 1))
    share = float(rng.choice([0.5, 0.55, 0.62, 0.65, 0.74]))
    block = int(rng.integers(1, n + 1)) if rng.random() < 0.6 else None
    total = sum(Fraction(repr(v)) for v in w.values())
    quota = Fraction(repr(share)) * total
    rule = VotingRule("qualified_majority", tuple(names), m, w, quota, None if block is None else n - block + 1)

    def wins(s):
        against = n - len(s)
        heavy = sum(Fraction(repr(w[p])) for p in s) >= quota
        return len(s) >= m and (heavy or (block is not None and against < block))

    frac, bz, ss = brute(names, wins)
    pw = voting_power(rule)
    assert pw.winning_fraction == pytest.approx(frac, abs=1e-15)
    if sum(pw.swings.values()):
        assert pw.banzhaf == pytest.approx(bz, abs=1e-12)
    assert pw.shapley_shubik == pytest.approx({p: float(v) for p, v in ss.items()}, abs=1e-12)


def test_unanimity_and_count_only_rules():
    names = tuple("ABCDE")
    pw = voting_power(VotingRule("unanimity", names, 5))
    assert pw.winning_fraction == 1 / 32
    assert pw.banzhaf == pytest.approx({p: 0.2 for p in names})
    assert pw.shapley_shubik == pytest.approx({p: 0.2 for p in names})
    pw = voting_power(VotingRule("qualified_majority", names, 3))
    assert pw.winning_fraction == pytest.approx(16 / 32)


# -- the EU-27 Council ----------------------------------------------------------------
def eu_case():
    case = negotiate.load_case(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    return case.update({"decision_rule": EU_RULE})


def _halves(pops, counts_needed=True):
    """Every subset of a list of integer weights: (size, weight) arrays."""
    m = len(pops)
    idx = np.arange(2 ** m)
    bits = (idx[:, None] >> np.arange(m)[None, :]) & 1
    return bits.sum(axis=1), bits @ np.asarray(pops, dtype=np.int64)


def mitm_counts(pops, quota, n_total, m, block_count, extra=0, extra_size=0):
    """By size k of the coalition: how many pass. `extra` is a weight added to every
    coalition (a party assumed in), `extra_size` its count."""
    half = len(pops) // 2
    k1, w1 = _halves(pops[:half])
    k2, w2 = _halves(pops[half:])
    out = np.zeros(len(pops) + 1, dtype=np.int64)
    for a in range(half + 1):
        wa = w1[k1 == a]
        for b in range(len(pops) - half + 1):
            wb = np.sort(w2[k2 == b])
            k = a + b
            size = k + extra_size
            if size < m:
                continue
            if block_count is not None and size >= block_count:
                out[k] += len(wa) * len(wb)
                continue
            need = quota - extra - wa  # wb >= need
            out[k] += int((len(wb) - np.searchsorted(wb, need, side="left")).sum())
    return out


def test_eu27_council_winning_fraction_published():
    case = eu_case()
    pw = voting_power(voting_rule(case))
    # Published: about 13.2% of the 2^27 coalitions pass under the Lisbon rule for EU-27.
    assert pw.winning_fraction == pytest.approx(0.132, abs=0.0006)
    assert sum(pw.banzhaf.values()) == pytest.approx(1)
    assert sum(pw.shapley_shubik.values()) == pytest.approx(1)
    # Germany is the most powerful, Malta the least, under both indices.
    assert max(pw.banzhaf, key=pw.banzhaf.get) == "DE" == max(pw.shapley_shubik, key=pw.shapley_shubik.get)
    assert min(pw.banzhaf, key=pw.banzhaf.get) == "MT" == min(pw.shapley_shubik, key=pw.shapley_shubik.get)


def test_eu27_indices_against_meet_in_the_middle():
    case = eu_case()
    names = list(case.parties)
    pops = [round(case.parties[p].data["pop"] * 1000) for p in names]  # thousands: exact
    total = sum(pops)
    quota = math.ceil(Fraction(65, 100) * total)
    n, m, block_count = 27, 15, 24
    passing = mitm_counts(pops, quota, n, m, block_count)
    pw = voting_power(voting_rule(case))
    assert pw.winning_coalitions == int(passing.sum())
    swings, ss = {}, {}
    for i, p in enumerate(names):
        others = pops[:i] + pops[i + 1:]
        with_i = mitm_counts(others, quota, n, m, block_count, extra=pops[i], extra_size=1)
        without_i = mitm_counts(others, quota, n, m, block_count)
        by_size = with_i - without_i  # monotone rule: S+i passes and S does not
        swings[p] = int(by_size.sum())
        ss[p] = sum(int(c) * math.factorial(k) * math.factorial(n - k - 1) for k, c in enumerate(by_size)) \
            / math.factorial(n)
    assert pw.swings == swings
    assert pw.shapley_shubik == pytest.approx(ss, abs=1e-12)


def test_eu27_under_a_second():
    import time

    rule = voting_rule(eu_case())
    t0 = time.perf_counter()
    voting_power(rule)
    assert time.perf_counter() - t0 < 5.0  # 0.2 s on a loaded 2-core machine; generous for shared CI


# -- the command ----------------------------------------------------------------------
def test_power_command_json_contract():
    import json

    from typer.testing import CliRunner

    from negotiate.cli import app

    r = CliRunner().invoke(app, ["power", str(ROOT / "cases" / "eu_effort_sharing_2030.yaml"),
                                 "--rule", "eu_council", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for key in ("case", "rule", "parties", "winning_fraction", "banzhaf", "shapley_shubik"):
        assert key in out
    assert out["rule"] == "qualified_majority" and len(out["parties"]) == 27
    assert out["winning_fraction"] == pytest.approx(0.132, abs=0.0006)
    assert sum(out["banzhaf"].values()) == pytest.approx(1)


def test_power_command_bad_rule_is_a_usage_error():
    from typer.testing import CliRunner

    from negotiate.cli import app

    case = str(ROOT / "cases" / "bilateral_fta.yaml")
    r = CliRunner().invoke(app, ["power", case, "--rule", "{weighted_quota: {weight: data.votes}}"])
    assert r.exit_code == 2 and "quota" in r.output
    r = CliRunner().invoke(app, ["power", case, "--rule", "{weighted_quota: {weight: data.votes, quota: 3}}"])
    assert r.exit_code == 2 and "votes" in r.output and "Traceback" not in r.output  # the flag is wrong


def test_power_of_a_case_file_with_veto_and_stakeholder():
    from negotiate.analysis.power import power_of

    pw = power_of(ROOT / "cases" / "eu_mercosur_ratification.yaml")
    assert len(pw.parties) == 27 and pw.veto == ["MERCOSUR"] and pw.stakeholders == ["NGOS"]
    assert pw.winning_fraction == pytest.approx(0.132, abs=0.0006)
    assert power_of(ROOT / "cases" / "bilateral_fta.yaml", rule="unanimity").winning_fraction == 0.25


def _plain_dp(pops, quota):
    """count[k, w]: coalitions of k parties with weight w, w clipped at the quota (written plainly:
    one party at a time, a fresh array per step, no removal trick)."""
    n = len(pops)
    count = np.zeros((n + 1, quota + 1), dtype=np.int64)
    count[0, 0] = 1
    for w in pops:
        new = count.copy()
        for k in range(n):
            shifted = np.zeros(quota + 1, dtype=np.int64)
            if w < quota:
                shifted[w:] = count[k, :quota + 1 - w]
                shifted[quota] += count[k, quota + 1 - w:].sum()
            else:
                shifted[quota] = count[k].sum()
            new[k + 1] += shifted
        count = new
    return count


def test_eu27_against_a_separately_written_dp():
    case = eu_case()
    names = list(case.parties)
    pops = [round(case.parties[p].data["pop"] * 1000) for p in names]
    quota = math.ceil(Fraction(65, 100) * sum(pops))
    n, m, block_count = 27, 15, 24

    full = _plain_dp(pops, quota)
    winning = sum(int(full[k, w]) for k in range(n + 1) for w in (range(quota + 1) if k >= block_count else [quota])
                  if k >= m)
    pw = voting_power(voting_rule(case))
    assert pw.winning_coalitions == winning
    for p in ("DE", "MT"):  # the largest and the smallest
        i = names.index(p)
        others = _plain_dp(pops[:i] + pops[i + 1:], quota)
        swings, ss = 0, Fraction(0)
        w = np.arange(quota + 1)
        heavy_with, heavy = np.minimum(w + pops[i], quota) >= quota, w >= quota
        for k in range(n):
            mask = (k + 1 >= m) & (heavy_with | (k + 1 >= block_count)) & \
                ~((k >= m) & (heavy | (k >= block_count)))
            c = int(others[k][mask].sum())
            swings += c
            ss += Fraction(c * math.factorial(k) * math.factorial(n - k - 1), math.factorial(n))
        assert pw.swings[p] == swings
        assert pw.shapley_shubik[p] == pytest.approx(float(ss), abs=1e-15)
