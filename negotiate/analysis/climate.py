"""Reference allocations for climate cases: the least-cost split and effort-sharing rules.

Beside the concepts' proposals an analyst wants the yardsticks of the
effort-sharing debate, each meeting the same collective target:

- `least_cost`: the cost-effective split (equal marginal abatement cost), a
  small LP over the case's own abatement-cost curves;
- `equal_cost_share`: every party pays the same share of its GDP;
- `gdp_per_capita`: the Commission's method for the Effort Sharing
  Regulation: cuts in proportion to GDP per capita (relative to the
  population-weighted mean), bounded to [rule_floor, rule_cap], scaled to meet
  the target;
- `equal_per_capita`: every party ends with the same emissions per person;
- `ability_to_pay`: cuts rising with the cube root of GDP per capita.

Costs are money (bn a year, the currency of `data.mac`), read off the case's
`abatement_cost` criterion: score `1 - cost / (cost_budget% of GDP)`, so
`cost = (1 - score) * cost_budget / 100 * gdp_pc * pop`. Works on any case on
the `climate_targets` model (or one with the same issue, data and criterion).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from negotiate.errors import CaseError, Problem

REQUIRED_DATA = ("base", "pop", "gdp_pc")
RULES = ("equal_cost_share", "gdp_per_capita", "equal_per_capita", "ability_to_pay")
RULE_TEXT = {
    "least_cost": "cost-effective split: equal marginal abatement cost",
    "equal_cost_share": "the same abatement cost as a share of GDP everywhere",
    "gdp_per_capita": "cuts in proportion to GDP per capita, bounded, scaled to the target (the Commission's method)",
    "equal_per_capita": "the same emissions per person everywhere after the cut",
    "ability_to_pay": "cuts rising with the cube root of GDP per capita",
    "official": "the case's data.official targets",
    "status_quo": "the case's status quo (no agreement)",
}
TOL = 1e-9


class NoReference(ValueError):
    """A reference that cannot be computed for this case; `path` is the case item at fault."""

    def __init__(self, message: str, path: tuple = ("parameters", "target")):
        super().__init__(message)
        self.path = path


# -- the case's cost curves ----------------------------------------------------
@dataclass(frozen=True)
class CostCurves:
    """Each party's abatement cost (bn a year) as a piecewise-linear curve of its cut (%)."""

    parties: list
    xs: dict  # party -> cuts, % below base
    cost: dict  # party -> cost at xs, bn a year
    lo: dict  # party -> smallest cut the case allows
    hi: dict  # party -> largest cut
    base: dict
    pop: dict
    gdp_pc: dict
    target: float  # % of base-year emissions, weighted by base

    def cost_of(self, party: str, cut: float) -> float:
        return float(np.interp(cut, self.xs[party], self.cost[party]))

    def costs(self, cuts: dict) -> dict:
        return {p: self.cost_of(p, cuts[p]) for p in self.parties}

    def collective(self, cuts: dict) -> float:
        """The emission-weighted cut, % of base-year emissions."""
        return sum(self.base[p] * cuts[p] for p in self.parties) / sum(self.base.values())

    def gdp(self, party: str) -> float:
        return self.gdp_pc[party] * self.pop[party]

    def mean_gdp_pc(self) -> float:
        """Population-weighted mean GDP per capita."""
        return sum(self.gdp(p) for p in self.parties) / sum(self.pop.values())


def cost_curves(case) -> CostCurves:
    """The money cost curves of a climate case; a located CaseError if it is not one."""
    from negotiate.case.resolve import resolve

    problems = _check_climate_case(case)
    if problems:
        raise CaseError(problems)
    resolved = resolve(case)
    budget = float(case.parameters["cost_budget"])
    bounds = {v.key[1]: (v.lb, v.ub) for v in resolved.variables if v.key[0] == "reduction"}
    xs, cost = {}, {}
    for p in case.parties:
        curve = next((c for c in resolved.criteria[p] if c.id == "abatement_cost"), None)
        path = ("parties", p, "criteria", "abatement_cost")
        if curve is None or curve.xs is None or curve.lin.terms != {("reduction", p, None): 1.0} \
                or curve.lin.const != 0:
            raise CaseError([_problem(case, path, "the least-cost and rule references need this party's "
                                      "`abatement_cost` criterion: a curve of `reduction[self]` with a weight > 0")])
        data = case.parties[p].data
        gdp = float(data["gdp_pc"]) * float(data["pop"])
        xs[p] = np.asarray(curve.xs, float)
        cost[p] = (1.0 - np.asarray(curve.ys, float)) * budget / 100.0 * gdp
    target = float(case.parameters["target"])
    return CostCurves(
        parties=list(case.parties), xs=xs, cost=cost,
        lo={p: bounds[p][0] for p in case.parties}, hi={p: bounds[p][1] for p in case.parties},
        base={p: float(case.parties[p].data["base"]) for p in case.parties},
        pop={p: float(case.parties[p].data["pop"]) for p in case.parties},
        gdp_pc={p: float(case.parties[p].data["gdp_pc"]) for p in case.parties},
        target=target,
    )


def _check_climate_case(case) -> list[Problem]:
    problems = []
    issue = case.issues.get("reduction")
    if issue is None or not issue.per_party or issue.range is None:
        problems.append(_problem(case, ("issues",), "the climate references need a per-party `reduction` issue "
                                 "(% below the base year)", "use `model: climate_targets`"))
    for name in ("target", "cost_budget"):
        if name not in case.parameters:
            problems.append(_problem(case, ("parameters",), f"the climate references need the parameter `{name}`",
                                     "use `model: climate_targets`"))
    for p, party in case.parties.items():
        missing = [d for d in REQUIRED_DATA if not isinstance(party.data.get(d), (int, float))]
        if missing:
            problems.append(_problem(case, ("parties", p, "data"), "the climate references need the data "
                                     + ", ".join(f"`{m}`" for m in missing)))
    return problems


def _problem(case, path: tuple, message: str, hint: str | None = None) -> Problem:
    from negotiate.case.source import SourceMap, dotted

    source = case._source or SourceMap()
    return Problem(message, dotted(path), source.locate(path), None, hint)


# -- least cost ------------------------------------------------------------------
def least_cost(case_or_curves, target: float | None = None) -> dict:
    """The cuts that meet the collective target at the least total abatement cost.

    A linear program over the convex piecewise-linear cost curves (an epigraph
    variable per party), solved with HiGHS through scipy. Returns {party: cut}.
    """
    from scipy.optimize import linprog

    curves = _curves(case_or_curves)
    target = curves.target if target is None else float(target)
    parties = curves.parties
    n = len(parties)
    a_ub, b_ub = [], []
    for i, p in enumerate(parties):
        xs, cs = curves.xs[p], curves.cost[p]
        slopes = np.diff(cs) / np.diff(xs)
        if np.any(np.diff(slopes) < -1e-9 * max(1.0, float(np.max(np.abs(slopes))))):
            raise NoReference(f"{p}'s abatement cost is not convex in its cut: least cost is not a linear program",
                              ("parties", p, "criteria", "abatement_cost"))
        for k, s in enumerate(slopes):  # c_p >= cs[k] + s (r_p - xs[k])
            row = np.zeros(2 * n)
            row[i], row[n + i] = s, -1.0
            a_ub.append(row)
            b_ub.append(s * xs[k] - cs[k])
    row = np.zeros(2 * n)
    row[:n] = [-curves.base[p] for p in parties]
    a_ub.append(row)
    b_ub.append(-target * sum(curves.base.values()))
    bounds = [(max(curves.lo[p], curves.xs[p][0]), min(curves.hi[p], curves.xs[p][-1])) for p in parties]
    bounds += [(None, None)] * n
    res = linprog(np.r_[np.zeros(n), np.ones(n)], A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds,
                  method="highs")
    if res.status != 0:
        raise NoReference(f"no split meets a {target:g}% collective cut within the parties' ranges")
    return {p: _clean(res.x[i]) for i, p in enumerate(parties)}


# -- effort-sharing rules ----------------------------------------------------------
def equal_cost_share(case_or_curves, target: float | None = None) -> dict:
    """Cuts that cost every party the same share of its GDP."""
    curves = _curves(case_or_curves)

    def cuts(share):
        return {p: _clip(float(np.interp(share * curves.gdp(p), *_increasing(curves.cost[p], curves.xs[p]))),
                         curves, p) for p in curves.parties}

    top = max(curves.cost_of(p, curves.hi[p]) / curves.gdp(p) for p in curves.parties)
    return _calibrate(cuts, 0.0, top, curves, target)


def gdp_per_capita(case_or_curves, target: float | None = None, floor: float | None = None,
                   cap: float | None = None) -> dict:
    """Cuts proportional to GDP per capita relative to the mean, within [floor, cap], meeting the target."""
    curves = _curves(case_or_curves)
    params = getattr(case_or_curves, "parameters", {}) or {}
    floor = float(params.get("rule_floor", 0.0)) if floor is None else float(floor)
    cap = float(params.get("rule_cap", max(curves.hi.values()))) if cap is None else float(cap)
    mean = curves.mean_gdp_pc()

    def cuts(k):
        return {p: _clip(min(cap, max(floor, k * curves.gdp_pc[p] / mean)), curves, p) for p in curves.parties}

    return _calibrate(cuts, 0.0, cap * mean / min(curves.gdp_pc.values()), curves, target)


def equal_per_capita(case_or_curves, target: float | None = None) -> dict:
    """Cuts that leave every party the same emissions per person (within its range)."""
    curves = _curves(case_or_curves)
    top = max(curves.base[p] / curves.pop[p] for p in curves.parties)

    def cuts(k):  # k: how far per-capita emissions fall from the highest, 0..1
        level = (1.0 - k) * top
        return {p: _clip(100.0 * (1.0 - level * curves.pop[p] / curves.base[p]), curves, p) for p in curves.parties}

    return _calibrate(cuts, 0.0, 1.0, curves, target)


def ability_to_pay(case_or_curves, target: float | None = None) -> dict:
    """Cuts proportional to the cube root of GDP per capita relative to the mean."""
    curves = _curves(case_or_curves)
    mean = curves.mean_gdp_pc()

    def cuts(k):
        return {p: _clip(k * (curves.gdp_pc[p] / mean) ** (1 / 3), curves, p) for p in curves.parties}

    top = max(curves.hi.values()) * max((mean / g) ** (1 / 3) for g in curves.gdp_pc.values())
    return _calibrate(cuts, 0.0, top, curves, target)


RULE_FUNCTIONS = {"equal_cost_share": equal_cost_share, "gdp_per_capita": gdp_per_capita,
                  "equal_per_capita": equal_per_capita, "ability_to_pay": ability_to_pay}


def _curves(case_or_curves) -> CostCurves:
    return case_or_curves if isinstance(case_or_curves, CostCurves) else cost_curves(case_or_curves)


def _clip(cut: float, curves: CostCurves, p: str) -> float:
    return min(curves.hi[p], max(curves.lo[p], cut))


def _increasing(cost: np.ndarray, xs: np.ndarray) -> tuple:
    """(cost, xs) with cost made strictly increasing, so it can be inverted by interpolation."""
    c = np.maximum.accumulate(cost) + np.arange(len(cost)) * 1e-15
    return c, xs


def _calibrate(cuts_of, lo: float, hi: float, curves: CostCurves, target: float | None) -> dict:
    """The rule's cuts at the parameter where they meet the target (bisection; cuts rise with it)."""
    target = curves.target if target is None else float(target)
    if curves.collective(cuts_of(hi)) < target - 1e-9:
        raise NoReference(f"the rule cannot reach a {target:g}% collective cut within the parties' ranges")
    if curves.collective(cuts_of(lo)) >= target:
        return {p: _clean(v) for p, v in cuts_of(lo).items()}
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if curves.collective(cuts_of(mid)) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return {p: _clean(v) for p, v in cuts_of(hi).items()}


def _clean(v: float) -> float:
    r = round(float(v), 9)
    return 0.0 if r == 0 else r


# -- finance eligibility ------------------------------------------------------------
def eligibility_warnings(case) -> list[str]:
    """Where the case lets a poorer party pay a richer one, or a recipient pay into its own fund."""
    out = []
    data = {p: party.data for p, party in case.parties.items()}
    donors = [p for p in case.parties if data[p].get("donor", 0)]
    recipients = [p for p in case.parties if data[p].get("recipient", 0)]
    for d in donors:
        for r in recipients:
            g_d, g_r = data[d].get("gdp_pc"), data[r].get("gdp_pc")
            if d != r and isinstance(g_d, (int, float)) and isinstance(g_r, (int, float)) and g_d < g_r:
                out.append(f"{d} may pay (donor) though poorer per person ({g_d:g}) than {r}, who may receive "
                           f"({g_r:g})")
        if isinstance(data[d].get("capacity_need"), (int, float)) and data[d]["capacity_need"] > 0:
            out.append(f"{d} may pay into the capacity fund though it needs capacity building "
                       f"(capacity_need {data[d]['capacity_need']:g})")
    return out


# -- the references beside the concepts -----------------------------------------------
@dataclass(frozen=True)
class Allocation:
    """One split of the collective cut and what it costs."""

    name: str
    kind: str  # least_cost | rule | official | status_quo | concept
    status: str  # optimal | infeasible | unreachable
    cuts: dict | None = None  # party -> % below base
    cost: dict | None = None  # party -> bn a year
    collective_cut: float | None = None
    total_cost: float | None = None
    extra_cost: float | None = None  # over the least-cost split of the case's target, bn a year
    extra_cost_same_cut: float | None = None  # over the least-cost split of this allocation's own collective cut
    description: str = ""
    finance: dict | None = None  # concepts: party -> payment (bn a year, positive = pays)

    def to_dict(self) -> dict:
        return {k: _round(getattr(self, k)) for k in (
            "name", "kind", "status", "description", "collective_cut", "total_cost", "extra_cost",
            "extra_cost_same_cut", "cuts", "cost", "finance")}


@dataclass(frozen=True)
class References:
    """The least-cost split, the effort-sharing rules and the concepts, side by side."""

    case: str
    target: float
    least_cost: Allocation
    rules: list
    others: list  # official targets and the status quo, when the case has them
    concepts: list
    parties: list
    eligibility: list = field(default_factory=list)

    @property
    def allocations(self) -> list:
        return [self.least_cost, *self.rules, *self.others, *self.concepts]

    def __getitem__(self, name: str) -> Allocation:
        for a in self.allocations:
            if a.name == name:
                return a
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {"case": self.case, "target": self.target, "unit": "bn a year (the currency of data.mac)",
                "parties": list(self.parties), "least_cost": self.least_cost.to_dict(),
                "rules": [a.to_dict() for a in self.rules], "others": [a.to_dict() for a in self.others],
                "concepts": [a.to_dict() for a in self.concepts], "eligibility_warnings": list(self.eligibility)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def cuts_frame(self):
        """Parties x allocations: each one's cut, % below base."""
        import pandas as pd

        return pd.DataFrame({a.name: a.cuts or {} for a in self.allocations}, index=self.parties)

    def summary_frame(self):
        """One row per allocation: collective cut, total cost and extra cost over least cost."""
        import pandas as pd

        rows = [{"name": a.name, "kind": a.kind, "status": a.status, "collective_cut": a.collective_cut,
                 "total_cost": a.total_cost, "extra_cost": a.extra_cost,
                 "extra_cost_same_cut": a.extra_cost_same_cut} for a in self.allocations]
        return pd.DataFrame(rows).set_index("name")

    def __repr__(self) -> str:
        parts = ", ".join(f"{a.name}={a.extra_cost:+.2f}" for a in self.allocations if a.extra_cost is not None)
        return f"References({self.case!r}, target={self.target:g}%, extra cost over least cost (bn): {parts})"


def references(case, concepts=None, target: float | None = None) -> References:
    """The least-cost split, the four rules, the case's official targets and status quo,
    and each concept's proposal, each with its cost and extra cost over least cost.

    `concepts`: names (default all four; `[]` for none). Raises CaseError if the
    case is not a climate-targets case.
    """
    from negotiate.case.schema import CONCEPTS
    from negotiate.solving import solve

    curves = cost_curves(case)
    target = curves.target if target is None else float(target)
    try:
        cheapest = least_cost(curves, target)
    except NoReference as e:
        raise CaseError([_problem(case, e.path, str(e), "the references need a target the parties can meet "
                                                        "within their ranges")]) from None
    floor_cost = sum(curves.costs(cheapest).values())

    def make(name, kind, cuts, **extra) -> Allocation:
        costs = curves.costs(cuts)
        total = sum(costs.values())
        own = curves.collective(cuts)
        try:
            same = total - sum(curves.costs(least_cost(curves, own)).values())
        except ValueError:
            same = None
        return Allocation(name, kind, "optimal", cuts, costs, own, total, total - floor_cost, same,
                          RULE_TEXT.get(name, extra.pop("description", "")), **extra)

    rules = []
    for name, fn in RULE_FUNCTIONS.items():
        try:
            rules.append(make(name, "rule", fn(case, target)))
        except ValueError as e:
            rules.append(Allocation(name, "rule", "unreachable", description=str(e)))
    others = []
    if all(isinstance(party.data.get("official"), (int, float)) for party in case.parties.values()):
        others.append(make("official", "official", {p: float(party.data["official"])
                                                    for p, party in case.parties.items()}))
    sq = _status_quo_cuts(case)
    if sq is not None:
        others.append(make("status_quo", "status_quo", sq))
    rows = []
    for concept in (list(CONCEPTS) if concepts is None else list(concepts)):
        prop = solve(case, concept)
        if prop.agreement is None:
            rows.append(Allocation(concept, "concept", prop.status, description="no acceptable agreement"))
            continue
        finance = prop.agreement.get("finance") if isinstance(prop.agreement.get("finance"), dict) else None
        rows.append(make(concept, "concept", dict(prop.agreement["reduction"]),
                         description=f"the {concept} proposal", finance=finance))
    return References(case.name, target, make("least_cost", "least_cost", cheapest), rules, others, rows,
                      list(case.parties), eligibility_warnings(case))


def _status_quo_cuts(case) -> dict | None:
    from negotiate.case.resolve import resolve

    values = resolve(case).status_quo
    keys = {p: ("reduction", p, None) for p in case.parties}
    if not all(k in values for k in keys.values()):
        return None
    return {p: values[k] for p, k in keys.items()}


def _round(v):
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, 9)
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    return v
