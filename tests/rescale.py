"""Rescaled copies of a case: the same negotiation in other units (for numerical tests).

Each transformation leaves every concept's agreement unchanged (up to the
unit change of the rescaled issue): scores times k scale every utility and
reservation by k; an issue in units k times smaller has its range times k and
every expression reads it divided by k; party weights and criterion weights
times k change nothing after normalisation (criteria) or scale every
objective alike (parties).
"""

from __future__ import annotations

import re

from negotiate.case.load import validate_data


def _times(v, k: float):
    return v * k if isinstance(v, (int, float)) else f"({v}) * {k!r}"


def scores_times(data: dict, k: float) -> dict:
    data = _copy(data)
    for party in data["parties"].values():
        party["reservation"] = party.get("reservation", 0.0) * k
        for crit in party["criteria"].values():
            if crit.get("points") is not None:
                crit["points"] = [[x, _times(y, k)] for x, y in crit["points"]]
            if crit.get("function") is not None:
                crit["function"] = f"({crit['function']}) * {k!r}"
            if crit.get("scores") is not None:
                crit["scores"] = {o: s * k for o, s in crit["scores"].items()}
    return data


def issue_times(data: dict, issue: str, k: float) -> dict:
    """`issue` in units k times smaller: its range times k, read as issue / k everywhere."""
    data = _copy(data)
    spec = data["issues"][issue]
    spec["range"] = [_times(v, k) for v in spec["range"]]
    pattern = re.compile(rf"\b{issue}\b(\[[^\]]*\])?")

    def reread(text: str) -> str:
        return pattern.sub(lambda m: f"({m.group(0)} / {k!r})", text)

    for party in data["parties"].values():
        for crit in party["criteria"].values():
            crit["of"] = reread(crit["of"])
        party["limits"] = {lid: reread(t) for lid, t in party.get("limits", {}).items()}
    data["constraints"] = {cid: reread(t) for cid, t in data.get("constraints", {}).items()}
    return data


def party_weights_times(data: dict, k: float) -> dict:
    data = _copy(data)
    for party in data["parties"].values():
        party["weight"] = party.get("weight", 1.0) * k
    return data


def criterion_weights_times(data: dict, k: float) -> dict:
    data = _copy(data)
    for party in data["parties"].values():
        for crit in party["criteria"].values():
            crit["weight"] = _times(crit.get("weight", 1.0), k)
    return data


def _copy(data: dict) -> dict:
    import copy

    out = copy.deepcopy(data)
    out.pop("options", None)  # drafted packages and scenarios are in the old units
    out.pop("scenarios", None)
    return out


def case_of(data: dict):
    return validate_data(data)
