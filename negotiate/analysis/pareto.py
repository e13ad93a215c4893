"""Pareto dominance among the rows of a comparison (per scenario)."""

from __future__ import annotations

from negotiate.results import Status, StatusGroup, status_of

WEAK_TOL = 1e-7  # "at least as much" up to this
STRICT_TOL = 1e-6  # "more" by at least this


def dominates(a: dict, b: dict, parties: list[str]) -> bool:
    """Row `a` gives every party at least what row `b` gives, and someone more."""
    ge = all(a[f"utility.{p}"] >= b[f"utility.{p}"] - WEAK_TOL for p in parties)
    return ge and any(a[f"utility.{p}"] > b[f"utility.{p}"] + STRICT_TOL for p in parties)


def mark_dominance(rows: list[dict], parties: list[str]) -> None:
    """Set each row's `dominated_by`: the rows of its scenario that dominate it (or None)."""
    by_scenario: dict[str, list[dict]] = {}
    for r in rows:
        if "collective_benefit" in r and status_of(r["status"]).group is StatusGroup.OK:
            by_scenario.setdefault(r["scenario"], []).append(r)
    for group in by_scenario.values():
        for r in group:
            better = [o["name"] for o in group if o is not r and dominates(o, r, parties)]
            r["dominated_by"] = ", ".join(better) or None


def frontier(rows: list[dict], parties: list[str]) -> list[dict]:
    """The rows no other row dominates (among those with utilities)."""
    rows = [r for r in rows if "collective_benefit" in r and status_of(r["status"]) is not Status.ERROR]
    return [r for r in rows if not any(dominates(o, r, parties) for o in rows if o is not r)]
