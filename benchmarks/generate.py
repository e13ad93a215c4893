"""Synthetic climate-style cases of any size, for benchmarks.

`make_case(n_parties, n_criteria, n_points)` returns case data (a dict) with:
per-party reduction targets, a shared price, a collective target weighted by
emissions, a dense public-good criterion (every party's score depends on every
party's cut), concave cost curves and red lines. Every curve is concave, so
the case is a linear program of about n * (criteria * (points - 1)) rows.
"""

from __future__ import annotations

import numpy as np


def concave_points(rng, n_points: int, lo: float, hi: float) -> list[list[float]]:
    xs = np.linspace(lo, hi, n_points)
    peak = rng.uniform(lo, hi)
    ys = 1.0 - ((xs - peak) / (hi - lo)) ** 2 * rng.uniform(0.5, 1.0)
    return [[round(float(x), 6), round(float(y), 6)] for x, y in zip(xs, ys)]


def make_case(n_parties: int, n_criteria: int = 30, n_points: int = 10, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n_parties)]
    parties = {}
    for i, p in enumerate(ids):
        data = {"em": round(float(rng.lognormal(0, 1)), 4)}
        criteria = {
            "cost": {"of": "reduction[self]", "weight": 3,
                     "points": [[x, y] for x, y in zip(np.linspace(0, 60, n_points).round(6).tolist(),
                                                       (1 - (np.linspace(0, 60, n_points) / 60) ** 2).round(6).tolist())]},
            "climate": {"of": "sum(data.em * reduction) / sum(data.em)", "weight": 2,
                        "function": "min(1, x / 30)", "over": [0, 60], "pieces": n_points - 1},
        }
        for k in range(n_criteria - 2):
            data[f"s{k}"] = round(float(rng.uniform(0, 1)), 4)
            criteria[f"c{k}"] = {
                "of": f"reduction[self] / 2 + data.s{k}[self] * price / 4",
                "weight": round(float(rng.uniform(0.2, 1.0)), 3),
                "points": concave_points(rng, n_points, 0, 55),
            }
        parties[p] = {
            "data": data,
            "reservation": 0.2,
            "criteria": criteria,
            "limits": {"max_cut": f"reduction[self] <= {round(float(rng.uniform(30, 60)), 2)}"},
        }
    return {
        "name": f"synthetic {n_parties} parties x {n_criteria} criteria x {n_points} points",
        "parameters": {"target": 25},
        "issues": {"reduction": {"per_party": True, "range": [0, 60]}, "price": {"range": [0, 100]}},
        "constraints": {"collective": "sum(data.em * reduction) >= target * sum(data.em)"},
        "parties": parties,
    }
