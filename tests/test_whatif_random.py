"""Warm equals cold, all of it: random what-if sequences against cold solves.

A seeded generator drives a session through random changes of every kind
(parameters, reservations, red lines added and replaced, criterion weights,
data, issue ranges, party weights, dropped and restored parties, scenarios,
resets) and, after each, compares the warm `Negotiation.solve` with a cold
`negotiate.solve(n.case)` for a random concept: the status, the utilities, the
agreement, the shadow prices and the diagnosis, and checks that the session's
compiled Problem is the one a cold compile of `n.case` gives.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from conftest import ROOT
from independent import concept_value

import negotiate
from negotiate.case.load import validate_data
from negotiate.compile import compile_case
from negotiate.errors import CaseError
from negotiate.whatif import Negotiation

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def small(path: str, keep: list[str]):
    """A shipped case restricted to a few parties (so a diagnosis stays quick)."""
    data = negotiate.load_case(ROOT / "cases" / path).model_dump(exclude_unset=True)
    data["parties"] = {p: v for p, v in data["parties"].items() if p in keep}
    return validate_data(data)


def cases():
    return {
        "asia": small("asia_pacific_compact.yaml", ["CHN", "JPN", "AUS"]),
        "trade": small("trade_standards.yaml", ["EU", "USA", "CHN"]),
        "bilateral": negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml"),
    }


# -- comparing -------------------------------------------------------------------------
def utility_tol(prop, concept: str) -> float:
    """How far apart two correct answers may be, in utility. Nash's is certified by its
    relative gap: sum w log(g) is strongly concave, so a gap e in the objective bounds
    the distance of the gains by g_max * sqrt(2 e / w_min)."""
    if concept != "nash":
        return 1e-6
    gains = [max(o.gain, 1e-12) for o in prop.parties.values()]
    weights = [o.weight for o in prop.parties.values()]
    gap = max(prop.solver.get("nash_gap", 0.0), 1e-10) * max(1.0, abs(concept_value_of(prop)))
    return max(1e-6, 2 * max(gains) * math.sqrt(2 * gap / min(weights)))


def concept_value_of(prop) -> float:
    return sum(o.weight * math.log(max(o.gain, 1e-300)) for o in prop.parties.values())


def same_diagnosis(a: dict | None, b: dict | None) -> None:
    assert (a is None) == (b is None)
    if a is None:
        return
    assert a["message"] == b["message"] and a["cause"] == b["cause"]
    ra, rb = a.get("relaxations") or [], b.get("relaxations") or []
    assert [(r["id"], r["bound"]) for r in ra] == [(r["id"], r["bound"]) for r in rb]
    for x, y in zip(ra, rb):
        assert x["to"] == pytest.approx(y["to"], rel=1e-6, abs=1e-6)
    assert a.get("iis") == b.get("iis")
    ga, gb = a.get("largest_group"), b.get("largest_group")
    assert (ga or {}).get("parties") == (gb or {}).get("parties")


def same_problem(n) -> None:
    """The session's Problem is the cold compile of its case, array for array."""
    p, q = n.problem, compile_case(n.case)
    assert p.col_names == q.col_names and p.row_names == q.row_names
    for f in ("col_lb", "col_ub", "col_int", "row_lo", "row_hi", "indptr", "indices", "values"):
        assert np.array_equal(getattr(p, f), getattr(q, f)), f
    assert p.case_rows == q.case_rows and p.reservation_row == q.reservation_row


def same_as_cold(n, concept: str) -> None:
    warm = n.solve(concept)
    cold = negotiate.solve(n.case, concept)
    assert warm.status == cold.status, (concept, warm.status, cold.status)
    same_diagnosis(warm.diagnosis, cold.diagnosis)
    if not cold.ok:
        return
    tol = max(utility_tol(cold, concept), utility_tol(warm, concept))
    for p in cold.parties:
        assert warm.parties[p].utility == pytest.approx(cold.parties[p].utility, abs=tol), (concept, p)
    if concept != "nash":
        assert concept_value(n.case, warm, concept) == pytest.approx(concept_value(n.case, cold, concept), abs=1e-6)
    try:
        # Nash: utilities agree to its certified gap; an issue that moves utilities little
        # (a transfer worth 1e-4 utility per unit) may then differ more: to 1e-3 of its range
        same_agreement(warm.agreement, cold.agreement, 1e-6, n.case if concept == "nash" else None)
        same_prices(n.case, warm, cold, concept)
    except AssertionError as e:
        raise AssertionError(f"{concept}: {e}") from e


def flat(agreement: dict) -> dict:
    out = {}
    for k, v in agreement.items():
        out.update({f"{k}[{q}]": x for q, x in v.items()} if isinstance(v, dict) else {k: v})
    return out


def same_agreement(a: dict, b: dict, tol: float, ranges_of=None) -> None:
    """The same options, and values within `tol` relative to the issue's magnitude (or, given
    a case, within 1e-3 of the issue's range)."""
    fa, fb = flat(a), flat(b)
    assert fa.keys() == fb.keys()
    for k, v in fb.items():
        if isinstance(v, str):
            assert fa[k] == v, k
            continue
        allowed = tol * max(1.0, abs(v))
        if ranges_of is not None:
            lo, hi = resolve_range(ranges_of, k.split("[")[0])
            allowed = max(allowed, 1e-3 * (hi - lo))
        assert fa[k] == pytest.approx(v, abs=allowed), k


def resolve_range(case, issue: str) -> tuple[float, float]:
    from negotiate.case.resolve import issue_range

    return issue_range(case, issue)


def same_prices(case, warm, cold, concept: str) -> None:
    """Equal shadow prices; where they differ (a degenerate vertex has several valid duals)
    each must lie between the one-sided rates of the concept's objective, measured by
    cold solves with the reservation moved (an independent check)."""
    pw = {c.id: c.shadow_price for c in warm.constraints}
    for c in cold.constraints:
        a, b = pw[c.id], c.shadow_price
        if a is None or b is None:
            assert a is None and b is None
            continue
        if abs(a - b) <= 1e-6 * max(1.0, abs(b)):
            continue
        if concept == "kalai_smorodinsky":
            continue  # its prices hold the ideals fixed, which a moved bound also moves: no rate to compare
        rates = []
        for step in (1e-4, -1e-4):
            moved = negotiate.solve(relaxed(case, c.id, step), concept)
            if not moved.ok:  # tightened into no agreement: the objective falls without bound
                rates.append(math.inf if step < 0 else -math.inf)
                continue
            rates.append((objective(moved, concept) - objective(cold, concept)) / step)
        lo, hi = min(rates), max(rates)
        slack = 2e-2 * max(abs(r) for r in rates if math.isfinite(r)) + 1e-4
        assert lo - slack <= a <= hi + slack and lo - slack <= b <= hi + slack, (c.id, a, b, rates)


def relaxed(case, cid: str, step: float):
    """The case with row `cid` relaxed by `step` in its own units (reservations, and red
    lines and constraints of the form `expression <= number` or `>= number`)."""
    parts = cid.split(".")
    if parts[-1] == "reservation":
        return case.update({cid: case.parties[parts[1]].reservation - step})
    key = cid.split("[")[0]
    text = case.parties[parts[1]].limits[parts[3]] if parts[0] == "parties" else case.constraints[parts[1].split("[")[0]]
    op = next(o for o in ("<=", ">=", "==") if o in text)
    lhs, _, rhs = text.partition(op)
    delta = -step if op == ">=" else step  # an equality: its price is per unit increase
    return case.update({key: f"{lhs}{op} ({rhs.strip()}) + ({delta!r})"})  # a bound may be an expression


def objective(prop, concept: str) -> float:
    o = prop.parties
    if concept == "utilitarian":
        return prop.collective_benefit
    if concept == "nash":
        return sum(p.weight * math.log(p.gain) for p in o.values() if not p.held)
    if concept == "egalitarian":
        return min(p.gain / p.weight for p in o.values())
    return min(p.gain / (p.ideal - p.reservation) for p in o.values() if not p.held)


# -- random operations -----------------------------------------------------------------------
class Driver:
    """Random changes of every kind, drawn from what the current case holds."""

    def __init__(self, n: Negotiation, rng: random.Random):
        self.n, self.rng = n, rng
        self.kinds = {"parameter": 3, "reservation": 3, "limit_add": 2, "limit_replace": 2, "weight": 2,
                      "data": 2, "range": 2, "party_weight": 1, "drop": 1, "restore": 1, "scenario": 2,
                      "reset": 1, "require_acceptance": 1}

    def step(self, check) -> str:
        kind = self.rng.choices(list(self.kinds), weights=list(self.kinds.values()))[0]
        if kind == "scenario":
            changes = dict(self.change() for _ in range(self.rng.randint(1, 2)))
            try:
                with self.n.scenario(changes):
                    check()
            except CaseError:
                pass
            return f"scenario {changes}"
        if kind == "drop":
            case = self.n.case
            if len(case.parties) > 2:
                p = self.rng.choice(list(case.parties))
                try:
                    self.n.drop_party(p)
                except CaseError:  # another party's red line names it
                    pass
                return f"drop {p}"
        if kind == "restore" and self.n._dropped:
            p = self.rng.choice(sorted(self.n._dropped))
            self.n.restore_party(p)
            return f"restore {p}"
        if kind == "reset":
            self.n.reset()
            return "reset"
        path, value = self.change(kind)
        try:
            self.n.set(path, value)
        except CaseError:
            with pytest.raises(CaseError):  # a cold update refuses it too
                self.n.case.update({path: value})
        return f"set {path}={value!r}"

    def change(self, kind: str | None = None) -> tuple[str, object]:
        rng, case = self.rng, self.n.case
        kind = kind if kind in self.kinds and kind not in ("scenario", "drop", "restore", "reset") \
            else rng.choice(["parameter", "reservation", "limit_add", "weight", "data", "range"])
        party = rng.choice(list(case.parties))
        if kind == "parameter" and case.parameters:
            name = rng.choice(sorted(case.parameters))
            return f"parameters.{name}", round(case.parameters[name] * rng.uniform(0.6, 1.4), 3)
        if kind == "reservation":
            return f"parties.{party}.reservation", round(case.parties[party].reservation + rng.uniform(-0.15, 0.2), 3)
        ranged = [i for i, issue in case.issues.items() if issue.range is not None]
        if kind in ("limit_add", "limit_replace") and ranged:
            iid = rng.choice(ranged)
            lo, hi = (float(v) if not isinstance(v, str) else None for v in case.issues[iid].range)
            if lo is None or hi is None:
                lo, hi = 0.0, 50.0
            target = f"{iid}[self]" if case.issues[iid].per_party else iid
            sense = rng.choice(["<=", ">="])
            bound = round(lo + rng.uniform(0.1, 0.9) * (hi - lo), 2)
            limits = list(case.parties[party].limits)
            name = rng.choice(limits) if kind == "limit_replace" and limits else f"red_line_{rng.randint(0, 3)}"
            return f"parties.{party}.limits.{name}", f"{target} {sense} {bound}"
        if kind == "weight":
            crit = rng.choice(list(case.parties[party].criteria))
            return f"parties.{party}.criteria.{crit}.weight", rng.choice([0, 0.5, 1, 2, 4])
        if kind == "data" and case.parties[party].data:
            name = rng.choice(sorted(case.parties[party].data))
            value = case.parties[party].data[name]
            if isinstance(value, dict):
                return f"parties.{party}.data.{name}", {q: round(v * rng.uniform(0.5, 1.5), 3) for q, v in value.items()}
            return f"parties.{party}.data.{name}", round(value * rng.uniform(0.5, 1.5), 3)
        if kind == "range" and ranged:
            iid = rng.choice(ranged)
            lo, hi = case.issues[iid].range
            if isinstance(lo, str) or isinstance(hi, str):
                return f"issues.{iid}.range", [0, rng.choice([30, 45, 60])]
            return f"issues.{iid}.range", [lo, round(lo + (hi - lo) * rng.uniform(0.5, 1.3), 2)]
        if kind == "party_weight":
            return f"parties.{party}.weight", rng.choice([0.5, 1, 2, 3])
        if kind == "require_acceptance":
            return "solve.require_acceptance", rng.random() < 0.8
        return f"parties.{party}.reservation", round(case.parties[party].reservation + rng.uniform(-0.1, 0.1), 3)


def run(seed: int, steps: int, names=None) -> dict:
    rng = random.Random(seed)
    stats = {"ops": 0, "infeasible": 0}
    for name, case in cases().items():
        if names and name not in names:
            continue
        n = Negotiation(case)
        driver = Driver(n, rng)

        def check(n=n):
            same_problem(n)
            concept = rng.choice(CONCEPTS)
            same_as_cold(n, concept)

        for _ in range(steps):
            what = driver.step(check)
            try:
                check()
            except AssertionError as e:
                raise AssertionError(f"{name}, seed {seed}, after {what}: {e}") from e
            stats["ops"] += 1
        stats["infeasible"] += 0
        stats[name] = n.stats()
    return stats


def test_random_whatif_sequences_equal_cold_solves():
    stats = run(seed=8, steps=35)
    assert stats["ops"] >= 100
    for name in ("asia", "trade", "bilateral"):
        assert stats[name]["in_place"] > 0  # deltas were applied, not only rebuilds


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 6))
def test_random_whatif_sequences_equal_cold_solves_long(seed):
    run(seed=seed * 101, steps=120)
