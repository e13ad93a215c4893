"""Voting power under a case's decision rule: exact Banzhaf and Shapley-Shubik indices.

Coalitions are counted, never enumerated: a dynamic program over the voting
parties fills `table[k, w]`, the number of coalitions with k members and total
weight w (weights scaled exactly to integers, weights at or above the quota
merged into one column, so the table is (n+1) x (quota+1)). A party's table
without it is recovered from the full one by running the recursion backwards
(one pass per party), and its swings are counted on it: coalitions S without
i that fail while S + i passes.

- `winning_fraction`: the share of all 2^n coalitions that pass;
- Banzhaf: swings_i / sum_j swings_j (normalised: sums to 1), and the absolute
  index swings_i / 2^(n-1) (the probability that i is decisive);
- Shapley-Shubik: sum over swing coalitions S of |S|! (n-|S|-1)! / n!, the
  share of orderings in which i is pivotal (sums to 1).

Counts are exact integers (n <= 62); weights must be decimals with at most nine
digits after the point whose scaled quota stays under `MAX_QUOTA_UNITS`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from negotiate.formulation.rules import VotingRule, decimal

MAX_PARTIES = 62  # counts of 2^n coalitions stay exact in int64
MAX_QUOTA_UNITS = 4_000_000  # columns of the table (one int64 per count and weight)


class PowerError(ValueError):
    """The rule's weights cannot be counted exactly within the limits."""


@dataclass(frozen=True)
class PowerIndices:
    """Voting power of each party under a decision rule (CASE_FORMAT.md section 8)."""

    case: str
    rule: str
    parties: list
    winning_fraction: float
    winning_coalitions: int
    banzhaf: dict
    banzhaf_absolute: dict
    shapley_shubik: dict
    swings: dict
    description: str = ""
    weights: dict | None = None
    seconds: float = 0.0
    stakeholders: list = field(default_factory=list)
    veto: list = field(default_factory=list)  # outside the vote, must accept as well

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "rule": self.rule,
            "parties": list(self.parties),
            "winning_fraction": self.winning_fraction,
            "banzhaf": dict(self.banzhaf),
            "shapley_shubik": dict(self.shapley_shubik),
            "banzhaf_absolute": dict(self.banzhaf_absolute),
            "swings": dict(self.swings),
            "winning_coalitions": self.winning_coalitions,
            "coalitions": 2 ** len(self.parties),
            "rule_description": self.description,
            "weights": dict(self.weights) if self.weights is not None else None,
            "stakeholders_without_vote": list(self.stakeholders),
            "veto_outside_the_vote": list(self.veto),
            "seconds": round(self.seconds, 6),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def frame(self):
        import pandas as pd

        rows = [{"party": p, "weight": (self.weights or {}).get(p), "banzhaf": self.banzhaf[p],
                 "banzhaf_absolute": self.banzhaf_absolute[p], "shapley_shubik": self.shapley_shubik[p],
                 "swings": self.swings[p]} for p in self.parties]
        return pd.DataFrame(rows).set_index("party")


# -- exact integer weights ----------------------------------------------------------
def integer_weights(rule: VotingRule) -> tuple[list[int], int]:
    """Weights scaled to integers with the same passing coalitions, and the integer quota.

    Each weight is read as the decimal it was written as; all are multiplied by the
    smallest power of ten that makes them whole, then divided by their gcd; the
    quota becomes the smallest integer at or above the scaled exact quota.
    """
    if rule.weights is None:
        return [0] * rule.n, 0
    exact = [decimal(rule.weights[p]) for p in rule.voters]
    scale = 1
    for f in exact + [rule.quota]:
        while f * scale != int(f * scale):
            scale *= 10
            if scale > 10 ** 9:
                raise PowerError("voting weights need more than nine decimals to be counted exactly; "
                                 "round the weight data (e.g. population in thousands)")
    ints = [int(f * scale) for f in exact]
    g = math.gcd(*ints) if any(ints) else 1
    g = math.gcd(g, int(rule.quota * scale)) or 1
    ints = [w // g for w in ints]
    quota = math.ceil(rule.quota * scale / g)
    if quota > MAX_QUOTA_UNITS:
        raise PowerError(f"the quota is {quota:,} weight units after exact scaling (limit {MAX_QUOTA_UNITS:,}); "
                         "round the weight data to fewer decimals")
    return ints, quota


def coalition_table(weights: list[int], cap: int) -> np.ndarray:
    """table[k, w]: coalitions with k members and weight w (w = cap: weight >= cap)."""
    n = len(weights)
    f = np.zeros((n + 1, cap + 1), dtype=np.int32 if n <= 30 else np.int64)  # 2^30 fits int32
    f[0, 0] = 1
    for j, wj in enumerate(weights):
        for k in range(j + 1, 0, -1):  # downwards: row k-1 still holds the coalitions without j
            _shift_add(f[k], f[k - 1], wj, cap)
    return f


def _shift_add(row: np.ndarray, prev: np.ndarray, wj: int, cap: int, sign: int = 1) -> None:
    """row[min(w + wj, cap)] += sign * prev[w] for every w."""
    if wj == 0:
        row += sign * prev
    elif wj <= cap:
        if sign > 0:
            row[wj:cap] += prev[:cap - wj]
        else:
            row[wj:cap] -= prev[:cap - wj]
        row[cap] += sign * int(prev[cap - wj:].sum(dtype=np.int64))
    else:
        row[cap] += sign * int(prev.sum(dtype=np.int64))


class _Others:
    """The coalitions of the other parties (without party i), by size t and weight, read
    from the full table without building theirs: below the merged column,

        others[t, w] = sum_j (-1)^j table[t - j, w - j w_i]

    (the recursion table[t] = others[t] + others[t-1] shifted by w_i, unrolled), so a
    sum over a band of weights is an alternating sum of prefix sums of the table: O(n)
    per band instead of a pass over the table per party. A whole row is C(n-1, t)."""

    def __init__(self, prefix: np.ndarray, wi: int, n: int):
        self.prefix = prefix  # prefix[k, w] = table[k, 0..w] summed
        self.wi = wi
        self.n = n

    def total(self, t: int) -> int:
        return math.comb(self.n - 1, t)

    def band(self, t: int, a: int, b: int) -> int:
        """Coalitions of t others with weight in [a, b] (b below the merged column)."""
        a = max(a, 0)
        if b < a:
            return 0
        out = 0
        for j in range(t + 1):
            hi = b - j * self.wi
            if hi < 0:
                break
            lo = a - j * self.wi
            row = self.prefix[t - j]
            part = int(row[hi]) - (int(row[lo - 1]) if lo > 0 else 0)
            out += -part if j % 2 else part
        return out


def _swings_by_size(h: _Others, wi: int, cap: int, rule: VotingRule) -> list[int]:
    """Coalitions S without i, by size k, that fail while S + i passes."""
    n = h.n
    out = []
    for k in range(n):
        count_ok_with = k + 1 >= rule.min_count
        if not count_ok_with:
            out.append(0)
            continue
        if rule.weights is None:  # only the count matters
            out.append(h.total(k) if k < rule.min_count else 0)
            continue
        waived_with = rule.block_count is not None and k + 1 >= rule.block_count
        waived = rule.block_count is not None and k >= rule.block_count
        heavy_from = max(cap - wi, 0)  # S + i reaches the quota from this weight of S
        if k < rule.min_count:  # S fails on the count whatever its weight
            out.append(h.total(k) if waived_with else h.total(k) - h.band(k, 0, heavy_from - 1))
        elif waived:  # S passes already
            out.append(0)
        else:  # S fails exactly when it is below the quota
            out.append(h.band(k, 0, cap - 1) if waived_with else h.band(k, heavy_from, cap - 1))
    return out


def _winning_against(prefix: np.ndarray, slack: int, rule: VotingRule) -> int:
    """Passing coalitions, counted on the table of the parties against (k of them)."""
    n = prefix.shape[0] - 1
    out = 0
    for k in range(n + 1):
        yes = n - k
        if yes < rule.min_count:
            continue
        waived = rule.block_count is not None and yes >= rule.block_count
        out += int(prefix[k, -1]) if waived else int(prefix[k, slack])  # weight against <= slack
    return out


def _swings_against(h: _Others, wi: int, slack: int, rule: VotingRule) -> list[int]:
    """Swings of i by the size of S, counted on T = the others against (S = N - T - i).

    S + i passes iff |S|+1 >= m and (w(T) <= slack or |S|+1 >= block);
    S fails iff |S| < m or (w(T) + w_i > slack and |S| < block).
    """
    n = h.n
    block = rule.block_count if rule.block_count is not None else n + 1
    out = [0] * n
    for t in range(n):  # |T| = t, |S| = n - 1 - t
        size = n - 1 - t
        if size + 1 < rule.min_count:
            continue
        if size < rule.min_count:  # S fails on the count
            out[size] = h.total(t) if size + 1 >= block else h.band(t, 0, slack)
        elif size >= block:  # S passes already
            continue
        else:  # S fails iff w(T) > slack - w_i
            lo = max(slack - wi + 1, 0)
            out[size] = h.total(t) - h.band(t, 0, lo - 1) if size + 1 >= block else h.band(t, lo, slack)
    return out


def _winning(prefix: np.ndarray, cap: int, rule: VotingRule) -> int:
    """Passing coalitions, counted on the table of the parties in favour (column cap: >= quota)."""
    n = prefix.shape[0] - 1
    out = 0
    for k in range(rule.min_count, n + 1):
        waived = rule.weights is None or (rule.block_count is not None and k >= rule.block_count)
        row = prefix[k]
        out += int(row[-1]) if waived else int(row[-1]) - (int(row[cap - 1]) if cap > 0 else 0)
    return out


def voting_power(rule: VotingRule, case_name: str = "", stakeholders=()) -> PowerIndices:
    """Exact winning fraction, Banzhaf and Shapley-Shubik indices of `rule`'s voters."""
    t0 = time.perf_counter()
    n = rule.n
    if n > MAX_PARTIES:
        raise PowerError(f"{n} voting parties: exact counting is limited to {MAX_PARTIES}")
    weights, cap = integer_weights(rule)
    slack = sum(weights) - cap  # the most the parties against may weigh for a heavy enough coalition
    against = rule.weights is not None and 0 <= slack and slack + 1 < cap
    if against:  # count the parties against: a narrower table (weights above `slack` merged)
        cap = slack + 1
    f = coalition_table(weights, cap)
    prefix = f.astype(np.int64)
    np.cumsum(prefix, axis=1, out=prefix)
    winning = _winning_against(prefix, slack, rule) if against else _winning(prefix, cap, rule)
    swings, ss = {}, {}
    nfact = math.factorial(n)
    order_weight = [math.factorial(k) * math.factorial(n - k - 1) for k in range(n)]
    for i, p in enumerate(rule.voters):
        h = _Others(prefix, weights[i], n)
        per_size = _swings_against(h, weights[i], slack, rule) if against else \
            _swings_by_size(h, weights[i], cap, rule)
        swings[p] = sum(per_size)
        ss[p] = float(Fraction(sum(c * order_weight[k] for k, c in enumerate(per_size)), nfact))
    total = sum(swings.values())
    banzhaf = {p: (swings[p] / total if total else 0.0) for p in rule.voters}
    absolute = {p: swings[p] / 2 ** (n - 1) for p in rule.voters}
    return PowerIndices(case_name, rule.kind, list(rule.voters), winning / 2 ** n, winning, banzhaf, absolute, ss,
                        swings, rule.describe(), dict(rule.weights) if rule.weights is not None else None,
                        time.perf_counter() - t0, list(stakeholders), list(rule.veto))


def power_of(case, rule=None) -> PowerIndices:
    """Voting power under `case`'s decision rule (or `rule`, a `decision_rule` value);
    `case` is a Case or a case file path."""
    from negotiate.case.schema import Case
    from negotiate.formulation.rules import voting_rule
    from negotiate.solving import as_case

    case = as_case(case) if not isinstance(case, Case) else case
    if rule is not None:
        case = case.update({"decision_rule": rule})
    stakeholders = [p for p, party in case.parties.items() if party.role == "stakeholder"]
    return voting_power(voting_rule(case), case.name, stakeholders)
