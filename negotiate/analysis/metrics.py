"""How evenly a proposal satisfies the parties: smallest satisfaction, range, Gini."""

from __future__ import annotations

import numpy as np


def satisfaction_spread(values: list[float]) -> dict:
    """`min_satisfaction`, `satisfaction_range` and `satisfaction_gini` of some satisfactions."""
    if not values:
        return {"min_satisfaction": None, "satisfaction_range": None, "satisfaction_gini": None}
    x = np.asarray(values, float)
    mean = x.mean()
    gini = float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * mean)) if mean > 0 else 0.0
    return {"min_satisfaction": float(x.min()), "satisfaction_range": float(x.max() - x.min()),
            "satisfaction_gini": gini}
