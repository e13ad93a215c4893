"""The NegMAS bridge: a discrete, linear-additive case as a NegMAS scenario, and back.

    scenario = negotiate.to_negmas(case)        # negmas.inout.Scenario
    mechanism = scenario.make_session(AspirationNegotiator, n_steps=100)   # from negmas import ...
    mechanism.run().agreement
    case = negotiate.from_negmas(scenario)

`to_negmas`: one NegMAS issue per discrete issue (per-party issues: one per
party, `share[A]`), integer ranges as NegMAS integer issues; per party a
`LinearAdditiveUtilityFunction` whose value tables reproduce the case's
utility exactly on every outcome, and `reserved_value` = the reservation.
Refused (ValueError, naming the part): continuous issues, red lines and
collective constraints (a NegMAS outcome space has none), and criteria whose
score is a non-linear curve of several issues (not additive). Party weights
(voice) are not part of a NegMAS scenario.

`from_negmas`: categorical and integer issues; `LinearAdditiveUtilityFunction`s
(value functions, weights, bias) become one criterion per issue. The case's
utility is a weighted mean, so scores are `W * f_i(v) + bias` with criterion
weights |w_i| / W (W = sum |w_i|): the case's utility equals NegMAS's on every
outcome; a reserved value of -inf (accept anything) becomes the lowest utility.
Needs `pip install negotiate-optimizer[negmas]`.
"""

from __future__ import annotations

import math

import numpy as np

from negotiate.case.resolve import resolve
from negotiate.case.schema import Case
from negotiate.interop.common import make_id

MAX_INTEGER_VALUES = 100_000


def _negmas():
    try:
        import negmas  # noqa: F401
    except ImportError:
        raise ImportError("the NegMAS bridge needs negmas: pip install 'negotiate-optimizer[negmas]'") from None
    import negmas

    return negmas


def axis_name(issue: str, party: str | None) -> str:
    return issue if party is None else f"{issue}[{party}]"


# -- case -> NegMAS ------------------------------------------------------------------
def to_negmas(case: Case):
    """A NegMAS Scenario (outcome space, one LinearAdditiveUtilityFunction per party)."""
    negmas = _negmas()
    from negmas.inout import Scenario
    from negmas.preferences.value_fun import TableFun

    from negotiate.tie_sets import outcome_axes

    resolved = resolve(case)
    axes = outcome_axes(resolved)
    if isinstance(axes, str):
        raise ValueError(f"a NegMAS scenario here is discrete: {axes}")
    if resolved.rows:
        raise ValueError("a NegMAS outcome space has no constraints; this case has "
                         + ", ".join(r.id for r in resolved.rows[:5]) + (" ..." if len(resolved.rows) > 5 else ""))
    big = [axis_name(a.issue, a.party) for a in axes if a.options is None and a.size > MAX_INTEGER_VALUES]
    if big:
        raise ValueError(f"integer issues with more than {MAX_INTEGER_VALUES:,} values: {', '.join(big)}")
    issues = []
    for a in axes:
        name = axis_name(a.issue, a.party)
        if a.options is not None:
            issues.append(negmas.make_issue(list(a.options), name=name))
        else:
            issues.append(negmas.make_issue((int(a.values[0]), int(a.values[-1])), name=name))
    space = negmas.make_os(issues, name=case.name)
    ufuns = []
    for p in resolved.parties:
        tables, weights, bias = _party_tables(resolved, p, axes)
        ufuns.append(negmas.LinearAdditiveUtilityFunction(
            values=[TableFun(t) for t in tables], weights=weights, bias=bias, outcome_space=space,
            reserved_value=float(case.parties[p].reservation), name=p))
    return Scenario(outcome_space=space, ufuns=tuple(ufuns), name=case.name)


def _axis_values(a) -> list:
    return list(a.options) if a.options is not None else [int(v) for v in a.values]


def _indicator(a, v) -> dict:
    """The case's variable values when axis `a` takes value `v`."""
    if a.options is not None:
        return {(a.issue, a.party, o): (1.0 if o == v else 0.0) for o in a.options}
    return {(a.issue, a.party, None): float(v)}


def _party_tables(resolved, p: str, axes) -> tuple[list[dict], list[float], float]:
    """Per axis a table of values, the weights and a constant: utility = bias + sum w * table."""
    key_axis = {}
    for k, a in enumerate(axes):
        for key in _indicator(a, _axis_values(a)[0]):
            key_axis[key] = k
    tables = [dict.fromkeys(_axis_values(a), 0.0) for a in axes]
    weights = [0.0] * len(axes)
    owners: list[list] = [[] for _ in axes]
    bias = 0.0
    for c in resolved.criteria[p]:
        touched = sorted({key_axis[k] for k, coef in c.lin.terms.items() if coef})
        line = None
        if c.xs is not None and len(touched) > 1:
            line = _straight(c, axes, touched, key_axis)
            if line is None:
                raise ValueError(f"parties.{p}.criteria.{c.id}: a non-linear curve of several issues "
                                 "is not linear-additive")
        if not touched:
            bias += c.weight * c.score({})
            continue
        for k in touched:
            owners[k].append(c)
        if c.xs is None or line is not None:  # the score is linear: split it issue by issue
            a0, slope = line or (0.0, 1.0)
            bias += c.weight * (a0 + slope * c.lin.const)
            for k in touched:
                a = axes[k]
                for v in tables[k]:
                    ind = _indicator(a, v)
                    tables[k][v] += c.weight * slope * sum(coef * ind.get(key, 0.0) for key, coef in c.lin.terms.items()
                                                           if key_axis.get(key) == k)
        else:
            k = touched[0]
            for v in tables[k]:
                tables[k][v] += c.weight * c.score(_indicator(axes[k], v))
    for k in range(len(axes)):
        if len(owners[k]) == 1 and owners[k][0].weight > 0 and _alone(owners[k][0], k, key_axis):
            w = owners[k][0].weight  # one criterion scores this issue alone: keep its weight and scores
            tables[k] = {v: s / w for v, s in tables[k].items()}
            weights[k] = w
        elif owners[k]:
            weights[k] = 1.0
    return tables, weights, bias


def _straight(c, axes, touched, key_axis) -> tuple[float, float] | None:
    """(a, b) with score = a + b * e over every value e the criterion's expression reaches, or None."""
    lo = hi = c.lin.const
    for k in touched:
        vals = [sum(coef * _indicator(axes[k], v).get(key, 0.0) for key, coef in c.lin.terms.items()
                    if key_axis.get(key) == k) for v in _axis_values(axes[k])]
        lo, hi = lo + min(vals), hi + max(vals)
    xs = [lo] + [x for x in c.xs if lo < x < hi] + [hi]
    ys = [float(np.interp(x, c.xs, c.ys)) for x in xs]
    if hi - lo <= 0:
        return ys[0], 0.0
    slope = (ys[-1] - ys[0]) / (hi - lo)
    if any(abs(y - (ys[0] + slope * (x - lo))) > 1e-12 * max(1.0, abs(y)) for x, y in zip(xs, ys)):
        return None
    return ys[0] - slope * lo, slope


def _alone(c, k, key_axis) -> bool:
    return all(key_axis[key] == k for key, coef in c.lin.terms.items() if coef) and not c.lin.const


# -- NegMAS -> case ------------------------------------------------------------------
def from_negmas(scenario, name: str | None = None) -> Case:
    """A case from a NegMAS Scenario of categorical / integer issues and linear-additive ufuns."""
    _negmas()
    from negotiate.case.load import validate_data

    space = scenario.outcome_space
    issues, ids, values = {}, [], []
    taken: set = set()
    for issue in space.issues:
        iid = make_id(issue.name, "i", taken, reserved=True)
        ids.append(iid)
        if issue.is_continuous():
            raise ValueError(f"issue {issue.name!r} is continuous: only discrete NegMAS issues are imported")
        vals = list(issue.all)
        values.append(vals)
        if type(issue).__name__ == "ContiguousIssue":
            issues[iid] = {"range": [int(vals[0]), int(vals[-1])], "integer": True,
                           "description": f"NegMAS issue {issue.name!r}"}
        else:
            local: set = set()
            opts = [make_id(str(v), "v", local) for v in vals]
            renamed = [f"{o} = {v!r}" for o, v in zip(opts, vals) if o != str(v)]
            issues[iid] = {"options": opts, "description": f"NegMAS issue {issue.name!r}"
                           + (f"; options: {', '.join(renamed)}" if renamed else "")}
    parties = {}
    ptaken: set = set()
    for k, ufun in enumerate(scenario.ufuns):
        label = ufun.name or f"P{k + 1}"
        pid = make_id(label, "P", ptaken)
        parties[pid] = _party(ufun, ids, values, issues, label)
    data = {"name": name or scenario.name or space.name or "NegMAS scenario",
            "description": "Imported from a NegMAS scenario.", "issues": issues, "parties": parties}
    return validate_data(data)


def _party(ufun, ids, values, issues, label) -> dict:
    kind = type(ufun).__name__
    if not hasattr(ufun, "values") or not hasattr(ufun, "weights") or kind not in (
            "LinearAdditiveUtilityFunction", "LinearUtilityAggregationFunction"):
        raise ValueError(f"ufun {label!r} is a {kind}: only LinearAdditiveUtilityFunction is imported exactly")
    funs, ws = list(ufun.values), [float(w) for w in ufun.weights]
    bias = float(getattr(ufun, "_bias", 0.0) or 0.0)
    total = sum(abs(w) for w in ws)
    if total <= 0:
        raise ValueError(f"ufun {label!r}: every weight is 0")
    criteria, lowest = {}, bias
    for iid, f, w, vals in zip(ids, funs, ws, values):
        raw = [float(f(v)) for v in vals]
        if not all(math.isfinite(x) for x in raw):
            raise ValueError(f"ufun {label!r}, issue {iid}: a value function is not finite")
        lowest += min(w * x for x in raw)
        scores = [math.copysign(1.0, w) * total * x + bias for x in raw]
        crit = {"of": iid, "weight": abs(w) / total}
        if "options" in issues[iid]:
            crit["scores"] = dict(zip(issues[iid]["options"], scores))
        else:
            xs = [int(v) for v in vals]
            crit["points"] = _compress(list(zip(xs, scores))) if len(xs) > 1 else [[xs[0], scores[0]],
                                                                                   [xs[0] + 1, scores[0]]]
        criteria[iid] = crit
    reserved = ufun.reserved_value
    if reserved is None or not math.isfinite(float(reserved)):
        reserved = lowest  # accept anything: the lowest utility
    return {"name": str(label), "reservation": float(reserved), "criteria": criteria}


def _compress(points: list) -> list:
    """Drop the points on a straight line through their neighbours (exactly the same curve)."""
    out = [list(points[0])]
    for k in range(1, len(points) - 1):
        (x0, y0), (x1, y1), (x2, y2) = out[-1], points[k], points[k + 1]
        if abs((y1 - y0) * (x2 - x0) - (y2 - y0) * (x1 - x0)) > 1e-12 * max(1.0, abs(y2 - y0)) * (x2 - x0):
            out.append([x1, y1])
    out.append(list(points[-1]))
    return out


def negmas_utility_table(scenario) -> np.ndarray:
    """Every outcome's utility for every ufun (outcomes in the space's order): for checks."""
    outcomes = list(scenario.outcome_space.enumerate_or_sample())
    return np.array([[float(u(o)) for u in scenario.ufuns] for o in outcomes])
