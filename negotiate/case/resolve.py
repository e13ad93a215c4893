"""Give a validated Case its meaning: expressions as linear forms, curves as points.

`resolve(case)` returns what the compiler needs, or raises CaseError with every
problem found; `check_case(case)` returns the problems (used by validation).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from negotiate.case import expr
from negotiate.case.env import PartyList, env_for  # noqa: F401  (resolve's names for them)
from negotiate.case.expr import Choice, Env, ExprError, Lin, Vec
from negotiate.case.schema import Case, Criterion
from negotiate.case.source import SourceMap, dotted
from negotiate.errors import CaseError, Finding

if TYPE_CHECKING:  # numpy only where a curve needs it (expr.curve): most cases validate without it
    import numpy as np

DEFAULT_PIECES = 20
MAX_CURVE_MAGNITUDE = 1e15  # curve points and scores beyond it overflow the curve rows' arithmetic


@dataclass
class Variable:
    key: tuple  # (issue, party | None, option | None)
    name: str  # reduction[CHN], grid_standard[interop], price_floor
    lb: float
    ub: float
    integer: bool


@dataclass
class ScoreCurve:
    """A criterion's score: piecewise linear in `lin` (xs, ys), or `lin` itself."""

    party: str
    id: str
    weight: float  # normalised: a party's criteria weights sum to 1
    lin: Lin
    # the curve's points as resolved: `points`, or a sampled `function` (tuples of floats,
    # made arrays on first use of xs/ys, so validation needs no numpy; a numpy array where
    # numpy sampled the function: exp, log, other powers, see expr.curve);
    # None: the score is exactly `lin` (discrete scores)
    x_points: np.ndarray | tuple | None = None
    y_points: np.ndarray | tuple | None = None
    issue: str | None = None  # discrete issue scored by option
    scores: dict | None = None

    @property
    def xs(self) -> np.ndarray | None:
        return self._array("x_points")

    @property
    def ys(self) -> np.ndarray | None:
        return self._array("y_points")

    def _array(self, name: str):
        points = getattr(self, name)
        if not isinstance(points, tuple):
            return points
        arrays = self.__dict__.setdefault("_arrays", {})
        if name not in arrays:
            import numpy as np

            arrays[name] = np.array(points)
        return arrays[name]

    def score_range(self) -> tuple[float, float]:
        """The lowest and highest score over all its points (or options, with the form's
        constant): the compiler's score columns and the two-level rows' bounds read this."""
        if self.x_points is None:
            vals = [v + self.lin.const for v in self.lin.terms.values()]
        else:
            vals = [float(y) for y in self.y_points]
        return min(vals), max(vals)

    def score(self, values: dict) -> float:
        e = self.lin.value(values)
        if self.x_points is None:
            return float(e)
        if isinstance(self.x_points, tuple) and isinstance(self.y_points, tuple):
            return float(expr.interp(e, self.x_points, self.y_points))  # numpy.interp's value, without numpy
        import numpy as np

        return float(np.interp(e, self.xs, self.ys))


@dataclass
class LinearRow:
    id: str  # case id: parties.CHN.limits.max_cut, constraints.global_cut[CHN]
    kind: str  # "limit" | "constraint"
    party: str | None
    lin: Lin
    lo: float
    hi: float
    text: str


@dataclass
class Resolved:
    case: Case
    parties: list[str]
    variables: list[Variable]
    criteria: dict[str, list[ScoreCurve]]
    rows: list[LinearRow]
    options: dict[str, dict] = field(default_factory=dict)  # name -> {key: fixed value}
    twolevel: object = None  # negotiate.formulation.ratification.TwoLevel (CASE_FORMAT.md section 7)
    status_quo: dict = field(default_factory=dict)  # variable key -> value with no agreement
    # (unit -> names its expressions use, name -> units using it): see `dependents`
    names: tuple | None = field(default=None, repr=False, compare=False)
    # what is derived from one party's criteria alone ((kind, party) -> value: its utility span,
    # its curves as arrays), made on first use; re_resolve keeps the parties' whose criteria it keeps
    per_party: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        """Pickled without `per_party`: it is derived data made again on first use, and the
        compiled curves kept there (compile's sections) would more than double a case sent to
        a process pool or a Dask worker (6.5 MB against 3.7 MB at 100 parties x 30 criteria)."""
        state = dict(self.__dict__)
        state["per_party"] = {}
        return state


def issue_range(case: Case, iid: str) -> tuple[float, float]:
    lo, hi = (expr.constant(v, env_for(case)) for v in case.issues[iid].range)
    return lo, hi


def variables_of(case: Case, ranges: dict | None = None) -> list[Variable]:
    out = []
    for iid, issue in case.issues.items():
        owners = list(case.parties) if issue.per_party else [None]
        for p in owners:
            base = iid if p is None else f"{iid}[{p}]"
            if issue.options is not None:
                for o in issue.options:
                    out.append(Variable((iid, p, o), f"{base}[{o}]", 0.0, 1.0, True))
            else:
                lo, hi = ranges[iid] if ranges else issue_range(case, iid)
                out.append(Variable((iid, p, None), base, float(lo), float(hi), issue.integer))
    return out


class _Collector:
    def __init__(self, case: Case):
        self.case = case
        self.source: SourceMap = case._source or SourceMap()
        self.problems: list[Finding] = []

        self._shared: dict = {}

    def linear(self, text: str, env: Env):
        """expr.linear, parsed once for all parties when `self` is not used."""
        if "self" in text:
            return expr.linear(text, env)
        if text not in self._shared:
            self._shared[text] = expr.linear(text, env)
        return self._shared[text]

    def add(self, path: tuple, message: str, value=None, hint=None):
        self.problems.append(Finding(message, dotted(path), self.source.locate(path), value, hint))

    def expr_error(self, path: tuple, e: ExprError, text):
        quoted = e.part and e.part != str(text).strip() and f"`{e.part}`" not in e.message
        msg = e.message + (f" in `{e.part}`" if quoted else "")
        self.add(path, msg, text, e.hint)


def resolve(case: Case) -> Resolved:
    """The case's meaning; computed once per (frozen) Case and kept on it."""
    cached = getattr(case, "_resolved", None)
    if cached is not None:
        return cached
    resolved, problems = _resolve(case)
    if problems:
        raise CaseError(problems)
    case._resolved = resolved
    return resolved


def check_case(case: Case) -> list[Finding]:
    resolved, problems = _resolve(case)
    if not problems:
        case._resolved = resolved
    return problems


def _resolve(case: Case) -> tuple[Resolved, list[Finding]]:
    col = _Collector(case)
    _check_data(case, col)
    ranges = _ranges(case, col)
    criteria = {p: _criteria(case, p, col) for p in case.parties}
    rows: list[LinearRow] = []
    for cid, text in case.constraints.items():
        rows += _rows(case, ("constraints", cid), text, None, "constraint", col)
    for p, party in case.parties.items():
        for lid, text in party.limits.items():
            rows += _rows(case, ("parties", p, "limits", lid), text, p, "limit", col)
    options = {name: _option(case, name, values, col, ranges) for name, values in case.options.items()}
    _check_scenarios(case, col)
    status_quo = _status_quo(case, criteria, col, ranges)
    resolved = Resolved(case, list(case.parties), variables_of(case, ranges), criteria, rows, options,
                        status_quo=status_quo)
    resolved.twolevel = _twolevel(case, col)
    return resolved, col.problems


def _twolevel(case: Case, col: _Collector):
    """Decision rule, constituencies, stakeholders (negotiate.formulation.ratification)."""
    from negotiate.formulation.ratification import resolve_twolevel

    return resolve_twolevel(case, col, _criterion)


def _status_quo(case: Case, criteria: dict, col: _Collector, ranges: dict) -> dict:
    from negotiate.case.status_quo import settle_reservations, status_quo_values

    values = status_quo_values(case, col, ranges, _fix)
    settle_reservations(case, criteria, values, col)
    return values


def _check_data(case: Case, col: _Collector) -> None:
    """A data value that is a mapping is a row over party ids."""
    for p, party in case.parties.items():
        for name, value in party.data.items():
            if isinstance(value, dict):
                for q in value:
                    if q not in case.parties:
                        col.add(("parties", p, "data", name, q), f"`{q}` is not a party of this case", None,
                                expr.did_you_mean(q, case.parties) or "a data mapping is a row over party ids")


def _ranges(case: Case, col: _Collector) -> dict:
    out = {}
    for iid, issue in case.issues.items():
        if issue.range is None:
            continue
        try:
            lo, hi = issue_range(case, iid)
        except ExprError as e:
            col.expr_error(("issues", iid, "range"), e, e.part)
            lo, hi = 0.0, 0.0
        if lo > hi:
            col.add(("issues", iid, "range"), f"range lower end {lo:g} is above upper end {hi:g}")
        elif issue.integer and math.floor(hi + 1e-9) < math.ceil(lo - 1e-9):
            # no agreement exists, and no concession of a reservation, red line or constraint
            # makes one: the diagnosis could only report an empty conflicting set
            col.add(("issues", iid, "range"), f"an integer issue's range [{lo:g}, {hi:g}] holds no whole number",
                    [lo, hi], "widen the range to include a whole number, or drop `integer: true`")
        out[iid] = (lo, hi)
    return out


def _rows(case, path, text, party, kind, col) -> list[LinearRow]:
    try:
        rows = expr.constraint(text, env_for(case, party))
    except ExprError as e:
        col.expr_error(path, e, text)
        return []
    base = dotted(path)
    return [
        LinearRow(f"{base}[{r.label}]" if r.label else base, kind, party, r.lin, r.lo, r.hi, text)
        for r in rows
    ]


def _criteria(case: Case, p: str, col: _Collector, keep: dict | None = None) -> list[ScoreCurve]:
    party = case.parties[p]
    env = env_for(case, p)
    weights = {}
    for cid, crit in party.criteria.items():
        try:
            weights[cid] = expr.constant(crit.weight, env)
        except ExprError as e:
            col.expr_error(("parties", p, "criteria", cid, "weight"), e, crit.weight)
            weights[cid] = 0.0
        if weights[cid] < 0:
            col.add(("parties", p, "criteria", cid, "weight"), "a criterion weight must be >= 0", weights[cid])
    largest = max(weights.values(), default=0.0)
    if largest > 0 and math.isfinite(largest):  # relative weights: 1e308 twice must not overflow
        weights = {cid: w / largest for cid, w in weights.items()}
    total = sum(weights.values())
    if total <= 0:
        col.add(("parties", p, "criteria"), "criteria weights sum to 0: give at least one criterion a positive weight")
        return []
    out = []
    for cid, crit in party.criteria.items():
        if weights[cid] == 0:
            continue  # switched off (e.g. a model's optional criterion)
        path = ("parties", p, "criteria", cid)
        if keep and cid in keep:  # its curve names nothing that changed: only its weight is new
            old = keep[cid]
            out.append(ScoreCurve(old.party, old.id, weights[cid] / total, old.lin, old.x_points, old.y_points,
                                  old.issue, old.scores))
            continue
        try:
            curve = _criterion(case, p, cid, crit, path, col)
        except ExprError as e:
            col.expr_error(path + (_field_of(e, crit),), e, _text_of(e, crit))
            continue
        if curve is not None:
            curve.weight = weights[cid] / total
            out.append(curve)
    return out


def _field_of(e: ExprError, crit: Criterion) -> str:
    return getattr(e, "field", "of")


def _text_of(e: ExprError, crit: Criterion):
    return getattr(e, "text", crit.of)


def _tag(e: ExprError, field_name: str, text) -> ExprError:
    e.field, e.text = field_name, text  # type: ignore[attr-defined]
    return e


def _criterion(case, p, cid, crit: Criterion, path, col) -> ScoreCurve | None:
    env = env_for(case, p)
    try:
        target = col.linear(crit.of, env)
    except ExprError as e:
        raise _tag(e, "of", crit.of)
    if isinstance(target, Choice):
        if crit.scores is None:
            col.add(path + ("of",), f"`{crit.of}` is a discrete issue: score its options with `scores:`",
                    crit.of, f"scores: {{{', '.join(o + ': ...' for o in target.options)}}}")
            return None
        missing = [o for o in target.options if o not in crit.scores]
        unknown = [o for o in crit.scores if o not in target.options]
        for o in unknown:
            col.add(path + ("scores", o), f"`{o}` is not an option of `{target.issue}`", None,
                    expr.did_you_mean(o, target.options) or f"options: {', '.join(target.options)}")
        if missing:
            col.add(path + ("scores",), f"every option must be scored; missing: {', '.join(missing)}")
        if missing or unknown:
            return None
        lin = Lin({(target.issue, target.party, o): float(crit.scores[o]) for o in target.options})
        return ScoreCurve(p, cid, 0.0, lin, issue=target.issue, scores=dict(crit.scores))
    if isinstance(target, Vec):
        col.add(path + ("of",), "this is a vector over parties; a criterion needs one number",
                crit.of, "pick one party with [self], or add them up with sum(...)")
        return None
    if crit.scores is not None:
        col.add(path + ("scores",), "`scores` go with a discrete issue; this criterion is of a number",
                None, "use `points` or `function` for a continuous expression")
        return None
    xs, ys = _curve_points(crit, env, path, col)
    if xs is None:
        return None
    return ScoreCurve(p, cid, 0.0, target, xs, ys)


def _curve_points(crit: Criterion, env: Env, path, col):
    xs, ys = _curve_samples(crit, env, path, col)
    if xs is None:
        return None, None
    for what, values, key in (("x", xs, "over" if crit.points is None else "points"),
                              ("score", ys, "function" if crit.points is None else "points")):
        big = _largest_magnitude(values)
        if big > MAX_CURVE_MAGNITUDE:
            col.add(path + (key,), f"a curve {what} of {big:.3g} is beyond what the solver can represent "
                                   f"(at most {MAX_CURVE_MAGNITUDE:g} in size)", None,
                    "express the issue or the score in larger units (thousands, millions)")
            return None, None
    return xs, ys


def _largest_magnitude(values) -> float:
    if isinstance(values, tuple):  # `points`, or a curve sampled on plain floats: nan wins, as in np.max
        sizes = [abs(v) for v in values]
        return math.nan if any(v != v for v in sizes) else max(sizes)
    import numpy as np

    return float(np.max(np.abs(values)))


def _curve_samples(crit: Criterion, env: Env, path, col):
    if crit.points is not None:
        try:
            xs = tuple(expr.constant(x, env) for x, _ in crit.points)
            ys = tuple(expr.constant(y, env) for _, y in crit.points)
        except ExprError as e:
            col.expr_error(path + ("points",), e, e.part)
            return None, None
        bad = [i for i in range(1, len(xs)) if not xs[i] > xs[i - 1]]
        if bad:
            i = bad[0]
            col.add(path + ("points", str(i)), f"points must have strictly increasing x; {xs[i]:g} follows {xs[i-1]:g}")
            return None, None
        return xs, ys
    try:
        lo, hi = (expr.constant(v, env) for v in crit.over)
    except ExprError as e:
        col.expr_error(path + ("over",), e, e.part)
        return None, None
    if not hi > lo:
        col.add(path + ("over",), "`over` must be an interval [lo, hi] with lo < hi", [lo, hi])
        return None, None
    xs = expr.sample_points(lo, hi, crit.pieces or DEFAULT_PIECES)  # numpy.linspace's points, as a tuple
    try:
        ys = expr.curve(crit.function, xs, env)
    except ExprError as e:
        col.expr_error(path + ("function",), e, crit.function)
        return None, None
    return xs, ys


def _option(case: Case, name: str, values: dict, col: _Collector, ranges: dict) -> dict:
    """A drafted package: {variable key: value}; discrete options as indicators."""
    fixed: dict = {}
    for iid, value in values.items():
        path = ("options", name, iid)
        issue = case.issues.get(iid)
        if issue is None:
            col.add(path, f"unknown issue `{iid}`", None, expr.did_you_mean(iid, case.issues))
            continue
        if issue.per_party:
            if not isinstance(value, dict):
                col.add(path, f"`{iid}` is per party: give {{PARTY: value}}", value)
                continue
            for p, v in value.items():
                if p not in case.parties:
                    col.add(path + (p,), f"unknown party `{p}`", None, expr.did_you_mean(p, case.parties))
                    continue
                _fix(fixed, issue, iid, p, v, path + (p,), col, ranges)
        else:
            _fix(fixed, issue, iid, None, value, path, col, ranges)
    return fixed


def _fix(fixed, issue, iid, party, value, path, col, ranges):
    if issue.options is not None:
        if value not in issue.options:
            col.add(path, f"`{value}` is not an option of `{iid}`", value,
                    expr.did_you_mean(str(value), issue.options) or f"options: {', '.join(issue.options)}")
            return
        for o in issue.options:
            fixed[(iid, party, o)] = 1.0 if o == value else 0.0
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        col.add(path, "expected a number", value)
        return
    lo, hi = ranges[iid]
    if not lo <= value <= hi:
        col.add(path, f"outside the issue's range [{lo:g}, {hi:g}]", value)
        return
    if issue.integer and value != int(value):
        col.add(path, "this issue takes whole numbers", value)
        return
    fixed[(iid, party, None)] = float(value)


def _check_scenarios(case: Case, col: _Collector) -> None:
    """Each scenario's paths read by the grammar of changes (negotiate.case.changes), so a
    scenario names parameters, parties and criteria exactly as `--set` and `Case.update` do."""
    from negotiate.case.changes import parse_change

    for name, changes in case.scenarios.items():
        for key, value in changes.items():
            try:
                parse_change(case, str(key), value)
            except CaseError as e:
                for p in e.problems:
                    col.add(("scenarios", name, str(key)), p.message, None, p.hint)


# -- incremental resolution (what-if sessions) --------------------------------------
def item_texts(case: Case, unit: tuple) -> list[str]:
    """The expression texts of one unit: ("criteria", party) or ("row", path...)."""
    if unit[0] == "criteria":
        out = []
        for c in case.parties[unit[1]].criteria.values():
            out.append(c.of)
            out += [v for v in (c.function, c.weight) if isinstance(v, str)]
            for pair in (c.points or []):
                out += [v for v in pair if isinstance(v, str)]
            out += [v for v in (c.over or ()) if isinstance(v, str)]
        return out
    path = unit[1:]
    if path[0] == "constraints":
        return [case.constraints[path[1]]]
    return [case.parties[path[1]].limits[path[3]]]


def names_in(text: str) -> frozenset:
    """Parameter-like names and `data.FIELD`s an expression refers to; a field read only as
    `data.FIELD[self]` (the item's own party's value) is named `data.FIELD[self]`, so a change
    of another party's value of it does not reach the item."""
    return _names_in(text)


@functools.lru_cache(maxsize=8192)
def _names_in(text: str) -> frozenset:
    import ast

    try:
        tree = expr.parse(text)
    except ExprError:
        return frozenset()
    out = set()
    own = set()  # the `data.FIELD` nodes read as `data.FIELD[self]`
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _data_field(node.value) and isinstance(node.slice, ast.Name) \
                and node.slice.id == "self":
            own.add(id(node.value))
            out.add(f"data.{node.value.attr}[self]")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif _data_field(node) and id(node) not in own:
            out.add("data." + node.attr)
    return frozenset(out)


def _data_field(node) -> bool:
    import ast

    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "data"


def unit_party(unit: tuple) -> str | None:
    """The party whose criteria or red line a unit is (None: a collective constraint)."""
    if unit[0] == "criteria":
        return unit[1]
    return unit[2] if unit[1] == "parties" else None


def units_of(case: Case) -> list[tuple]:
    units = [("criteria", p) for p in case.parties]
    units += [("row", "constraints", c) for c in case.constraints]
    units += [("row", "parties", p, "limits", l) for p, party in case.parties.items() for l in party.limits]
    return units


def re_resolve(case: Case, previous: Resolved, units: set,
               changed_names: set | None = None) -> tuple[Resolved, list[Finding]]:
    """Resolve `case` again, re-computing only `units`; the rest comes from `previous`.

    `previous` must be the meaning of a case with the same parties and issues.
    With `changed_names` (parameters and `data.FIELD`s that changed), a criterion
    of a unit whose texts name none of them keeps its curve (weights are always
    evaluated again).
    """
    col = _Collector(case)
    _check_data(case, col)
    ranges = _ranges(case, col)
    criteria = {}
    for p in case.parties:
        if ("criteria", p) in units or p not in previous.criteria:
            keep = None
            if changed_names is not None and ranges == _previous_ranges(previous):
                old = {c.id: c for c in previous.criteria.get(p, [])}
                keep = {cid: old[cid] for cid, c in case.parties[p].criteria.items()
                        if cid in old and not (_curve_names(c) & changed_names)}
            criteria[p] = _criteria(case, p, col, keep)
        else:
            criteria[p] = previous.criteria[p]
    old_rows: dict[tuple, list[LinearRow]] = {}
    for r in previous.rows:
        old_rows.setdefault(_row_unit(r), []).append(r)
    rows: list[LinearRow] = []
    for cid, text in case.constraints.items():
        unit = ("row", "constraints", cid)
        rows += _rows(case, unit[1:], text, None, "constraint", col) if unit in units or unit not in old_rows \
            else old_rows[unit]
    for p, party in case.parties.items():
        for lid, text in party.limits.items():
            unit = ("row", "parties", p, "limits", lid)
            rows += _rows(case, unit[1:], text, p, "limit", col) if unit in units or unit not in old_rows \
                else old_rows[unit]
    options = {name: _option(case, name, values, col, ranges) for name, values in case.options.items()}
    _check_scenarios(case, col)
    status_quo = _status_quo(case, criteria, col, ranges)
    resolved = Resolved(case, list(case.parties), variables_of(case, ranges), criteria, rows, options,
                        status_quo=status_quo)
    resolved.twolevel = _twolevel(case, col)
    if previous.names is not None:
        resolved.names = _carried_names(previous.names, case, units)
    resolved.per_party = {k: v for k, v in previous.per_party.items()
                          if k[1] in criteria and criteria[k[1]] is previous.criteria.get(k[1])}
    return resolved, col.problems


def _curve_names(c: Criterion) -> frozenset:
    texts = [c.of] + [v for v in (c.function,) if isinstance(v, str)]
    for pair in (c.points or []):
        texts += [v for v in pair if isinstance(v, str)]
    texts += [v for v in (c.over or ()) if isinstance(v, str)]
    out: set = set()
    for t in texts:
        out |= names_in(t)
    return frozenset(out)


def _previous_ranges(previous: Resolved) -> dict:
    return {v.key[0]: (v.lb, v.ub) for v in previous.variables if v.key[2] is None}


def _row_unit(r: LinearRow) -> tuple:
    base = r.id.split("[")[0]
    return ("row", *base.split("."))


# -- which units name what (a what-if change of a parameter re-resolves only its users) ---------
def dependents(resolved: Resolved, name: str) -> frozenset:
    """The units (as `units_of`) whose expressions name `name` (a parameter or `data.F`).

    The index is built once per session's first case (every text parsed once) and carried
    by `re_resolve` to the next case, updated for the units it resolved again: a change
    costs what it touches, not a scan of every criterion and red line."""
    if resolved.names is None:
        case = resolved.case
        by_unit = {u: _unit_names(case, u) for u in units_of(case)}
        users: dict = {}
        for u, names in by_unit.items():
            for n in names:
                users.setdefault(n, set()).add(u)
        resolved.names = (by_unit, {n: frozenset(us) for n, us in users.items()})
    return resolved.names[1].get(name, frozenset())


def _unit_names(case: Case, unit: tuple) -> frozenset:
    out: frozenset = frozenset()
    for t in item_texts(case, unit):
        out |= names_in(t)
    return out


def _unit_exists(case: Case, unit: tuple) -> bool:
    if unit[0] == "criteria":
        return unit[1] in case.parties
    if unit[1] == "constraints":
        return unit[2] in case.constraints
    return unit[2] in case.parties and unit[4] in case.parties[unit[2]].limits


def _carried_names(names: tuple, case: Case, units: set) -> tuple:
    """The index of `names` for `case`, whose units other than `units` have the same texts."""
    by_unit, users = dict(names[0]), dict(names[1])
    for u in units:
        old = by_unit.pop(u, frozenset())
        new = _unit_names(case, u) if _unit_exists(case, u) else frozenset()
        if _unit_exists(case, u):
            by_unit[u] = new
        for n in old - new:
            users[n] = users[n] - {u}
        for n in new - old:
            users[n] = users.get(n, frozenset()) | {u}
    return by_unit, users
