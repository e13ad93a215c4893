"""Independent reference computations for tests.

Nothing here uses negotiate's expression parser, compiler or backends: cases
used with these helpers keep expressions in a small, known form that the
tests evaluate themselves (Python arithmetic over plain dicts), and the
concepts are computed by brute force over every outcome.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

TOL = 1e-6


def outcomes(case) -> list[dict]:
    """Every agreement of a case whose issues are discrete or small integer ranges.

    An outcome maps issue -> option name (discrete) or integer value.
    """
    axes = []
    for iid, issue in case.issues.items():
        assert not issue.per_party, "brute force here covers shared issues"
        if issue.options is not None:
            axes.append([(iid, o) for o in issue.options])
        else:
            assert issue.integer, "brute force needs discrete or integer issues"
            lo, hi = issue.range
            axes.append([(iid, float(v)) for v in range(int(math.ceil(lo)), int(math.floor(hi)) + 1)])
    return [dict(combo) for combo in itertools.product(*axes)]


def utility(case, party: str, outcome: dict) -> float:
    """Weighted mean of criterion scores; criteria are `of: ISSUE` only."""
    crit = case.parties[party].criteria
    total = sum(c.weight for c in crit.values())
    u = 0.0
    for c in crit.values():
        value = outcome[c.of]
        if c.scores is not None:
            s = c.scores[value]
        else:
            xs = [float(x) for x, _ in c.points]
            ys = [float(y) for _, y in c.points]
            s = float(np.interp(value, xs, ys))
        u += c.weight * s
    return u / total


class _Indicator:
    def __init__(self, chosen):
        self.chosen = chosen

    def __getitem__(self, option):
        return 1.0 if option == self.chosen else 0.0


class _Names(dict):
    def __missing__(self, key):
        return key


def acceptable(case, outcome: dict) -> tuple[bool, dict]:
    utils = {p: utility(case, p, outcome) for p in case.parties}
    ok = all(utils[p] >= case.parties[p].reservation - 1e-12 for p in case.parties)
    for text in list(case.constraints.values()) + [t for p in case.parties.values() for t in p.limits.values()]:
        ok = ok and _holds(text, outcome)
    return ok, utils


def _holds(text: str, outcome: dict) -> bool:
    env = _Names()
    for iid, v in outcome.items():
        env[iid] = _Indicator(v) if isinstance(v, str) else v
    # option names used as subscripts evaluate to their own names
    return bool(eval(text, {"__builtins__": {}}, env))


def feasible_utilities(case) -> list[tuple[dict, dict]]:
    out = []
    for o in outcomes(case):
        ok, utils = acceptable(case, o)
        if ok:
            out.append((o, utils))
    return out


def leximin_key(values: list[float]) -> list[float]:
    return sorted(values)


def lex_greater(a: list[float], b: list[float], tol: float = TOL) -> int:
    """+1 if sorted a beats sorted b lexicographically (with tolerance), -1, or 0."""
    for x, y in zip(sorted(a), sorted(b)):
        if x > y + tol:
            return 1
        if x < y - tol:
            return -1
    return 0


def brute_force(case, concept: str) -> dict:
    """The concept's optimal value(s) by enumeration: what any optimum must reach."""
    rows = feasible_utilities(case)
    parties = list(case.parties)
    w = {p: case.parties[p].weight for p in parties}
    d = {p: case.parties[p].reservation for p in parties}
    if not rows:
        return {"feasible": False}
    ideal = {p: max(u[p] for _, u in rows) for p in parties}
    if concept == "utilitarian":
        return {"feasible": True, "value": max(sum(w[p] * u[p] for p in parties) for _, u in rows), "ideal": ideal}
    if concept in ("egalitarian", "kalai_smorodinsky"):
        if concept == "egalitarian":
            scale = {p: 1.0 / w[p] for p in parties}
        else:
            scale = {p: 1.0 / (ideal[p] - d[p]) for p in parties if ideal[p] - d[p] > 1e-12}
        best = None
        for _, u in rows:
            vec = [scale[p] * (u[p] - d[p]) for p in scale]
            if best is None or lex_greater(vec, best, 0.0) > 0:
                best = vec
        return {"feasible": True, "leximin": sorted(best), "scale": scale, "ideal": ideal}
    if concept == "nash":
        active = [p for p in parties if ideal[p] - d[p] > 1e-12]
        best = -math.inf
        for _, u in rows:
            if all(u[p] - d[p] > 0 for p in active):
                best = max(best, sum(w[p] * math.log(u[p] - d[p]) for p in active))
        return {"feasible": True, "value": best, "active": active, "ideal": ideal}
    raise ValueError(concept)


def pareto_dominated(case, utils: dict, tol: float = 1e-7) -> bool:
    """Is some acceptable outcome at least as good for all and better for one?"""
    for _, u in feasible_utilities(case):
        if all(u[p] >= utils[p] - tol for p in utils) and any(u[p] > utils[p] + 1e-6 for p in utils):
            return True
    return False


# -- evaluating case expressions at an agreement, independently ------------------
def namespace(case, agreement: dict, party: str | None = None) -> dict:
    """Names of a case's expressions at an agreement: vectors are pandas Series."""
    import types

    import pandas as pd

    ids = list(case.parties)
    ns = {"sum": lambda v: float(v.sum()) if hasattr(v, "sum") else sum(v),
          "mean": lambda v: float(v.mean()), "min": min, "max": max, "abs": abs}
    ns.update({p: p for p in ids})
    if party is not None:
        ns["self"] = party
    ns.update(case.parameters)
    fields = {k for p in case.parties.values() for k in p.data}

    def entry(v):  # a row of matrix data: a Series over partners, a missing partner 0
        return pd.Series(v, dtype=float).reindex(ids, fill_value=0.0) if isinstance(v, dict) else v

    ns["data"] = types.SimpleNamespace(**{
        f: pd.Series({p: entry(case.parties[p].data.get(f)) for p in ids if f in case.parties[p].data},
                     dtype=object if any(isinstance(case.parties[p].data.get(f), dict) for p in ids) else float)
        for f in fields})
    for iid, issue in case.issues.items():
        value = agreement[iid]
        if issue.options is not None:
            ns[iid] = ({p: _Indicator(v) for p, v in value.items()} if issue.per_party else _Indicator(value))
        else:
            ns[iid] = pd.Series(value).reindex(ids) if issue.per_party else value
    for opts in (i.options for i in case.issues.values() if i.options):
        ns.update({o: o for o in opts})
    return ns


def holds(text: str, ns: dict, tol: float = 1e-6) -> bool:
    """A constraint string, evaluated with Python's own comparison chaining."""
    import ast

    tree = ast.parse(text, mode="eval").body
    left = eval(compile(ast.Expression(tree.left), "<c>", "eval"), {"__builtins__": {}}, ns)
    for op, right_node in zip(tree.ops, tree.comparators):
        right = eval(compile(ast.Expression(right_node), "<c>", "eval"), {"__builtins__": {}}, ns)
        if isinstance(op, ast.LtE) and not left <= right + tol * max(1, abs(right)):
            return False
        if isinstance(op, ast.GtE) and not left >= right - tol * max(1, abs(right)):
            return False
        if isinstance(op, ast.Eq) and not abs(left - right) <= tol * max(1, abs(right)):
            return False
        left = right
    return True


def party_utility(case, party: str, agreement: dict) -> float:
    """A party's utility at an agreement, from its criteria, computed here."""
    ns = namespace(case, agreement, party)
    crit = case.parties[party].criteria
    weights = {k: float(eval(str(c.weight), {"__builtins__": {}}, ns)) for k, c in crit.items()}
    total = sum(weights.values())
    u = 0.0
    for k, c in crit.items():
        if weights[k] == 0:
            continue
        if c.scores is not None:
            chosen = agreement[c.of] if c.of in agreement else None
            if chosen is None:  # `issue[self]` of a per-party discrete issue
                iid = c.of.split("[")[0]
                chosen = agreement[iid][party]
            s = c.scores[chosen]
        else:
            x = float(eval(c.of, {"__builtins__": {}}, ns))
            if c.points is not None:
                xs = [float(eval(str(a), {"__builtins__": {}}, ns)) for a, _ in c.points]
                ys = [float(eval(str(b), {"__builtins__": {}}, ns)) for _, b in c.points]
            else:
                lo, hi = (float(eval(str(v), {"__builtins__": {}}, ns)) for v in c.over)
                xs = np.linspace(lo, hi, (c.pieces or 20) + 1)
                fns = {**ns, "x": xs, "min": np.minimum, "max": np.maximum, "sqrt": np.sqrt, "log": np.log,
                       "exp": np.exp, "abs": np.abs}
                ys = np.broadcast_to(eval(c.function, {"__builtins__": {}}, fns), xs.shape)
            s = float(np.interp(x, xs, ys))
        u += weights[k] * s
    return u / total


def concept_value(case, prop, concept):
    """What a concept defines uniquely (the agreement itself may have ties)."""
    o = prop.parties
    if concept == "utilitarian":
        return [prop.collective_benefit]
    if concept == "egalitarian":
        return sorted(o[p].gain / case.parties[p].weight for p in o)
    if concept == "kalai_smorodinsky":
        return sorted(o[p].satisfaction for p in o if o[p].satisfaction is not None)
    return [sum(case.parties[p].weight * math.log(o[p].gain) for p in o if not o[p].held)]
