"""Expressions of case files (CASE_FORMAT.md section 2), parsed, never eval'd.

Python's `ast` parses the text; a whitelist walker turns it into linear forms
over decision variables (`linear`), or numbers and sampled curves
(`numeric`). Anything outside the language is an `ExprError` that quotes the
offending part of the text.

Decision variables are keyed by tuples `(issue, party, option)`: `party` is
None for a shared issue, `option` is None for a continuous issue (a discrete
issue's option is a 0/1 indicator).
"""

from __future__ import annotations

import ast
import bisect
import difflib
import math
import sys
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    import numpy as np

MAX_LENGTH = 10_000
MAX_EXPONENT = 100.0


class ExprError(Exception):
    """An expression outside the language; `part` is the text at fault."""

    def __init__(self, message: str, part: str | None = None, hint: str | None = None):
        self.message, self.part, self.hint = message, part, hint
        super().__init__(message + (f": `{part}`" if part else ""))


# -- values ----------------------------------------------------------------
@dataclass
class Lin:
    """`const + sum(coef * var)`: a scalar linear form."""

    terms: dict = field(default_factory=dict)
    const: float = 0.0

    @property
    def is_const(self) -> bool:
        return not any(self.terms.values())

    def scaled(self, k: float) -> "Lin":
        return Lin({v: c * k for v, c in self.terms.items() if c * k != 0.0}, self.const * k)

    def plus(self, other: "Lin", sign: float = 1.0) -> "Lin":
        terms = dict(self.terms)
        for v, c in other.terms.items():
            terms[v] = terms.get(v, 0.0) + sign * c
        return Lin(terms, self.const + sign * other.const)

    def value(self, x: Mapping) -> float:
        return self.const + sum(c * x[v] for v, c in self.terms.items())


@dataclass
class Vec:
    """A vector over parties (or over partners, for matrix data)."""

    items: dict  # party id -> Lin | Vec

    @property
    def is_const(self) -> bool:
        return all(v.is_const for v in self.items.values())


@dataclass
class Choice:
    """A discrete issue (of one party, or shared), before an option is picked."""

    issue: str
    party: str | None
    options: Sequence[str]


@dataclass
class Row:
    """A linear constraint `lo <= lin <= hi` (lin has no constant)."""

    lin: Lin
    lo: float
    hi: float
    label: str = ""  # party id for element-wise vector constraints


@dataclass
class Env:
    """What names mean in an expression of one case."""

    parameters: Mapping[str, float]
    issues: Mapping[str, Any]  # id -> schema Issue
    parties: Sequence[str]
    data: Mapping[str, Mapping[str, Any]]  # party -> name -> number | {party: number}
    self_party: str | None = None


# -- parsing ---------------------------------------------------------------
@lru_cache(maxsize=4096)
def parse(text: str) -> ast.expr:
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"not a valid expression ({e.msg})", _at(text.strip(), e.offset)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("the expression is too deeply nested") from None
    return tree.body


def _at(text: str, offset: int | None) -> str | None:
    if offset is None:
        return None
    return text[max(0, offset - 1):][:40] or text[-40:]


def _src(node: ast.AST, text: str) -> str:
    # offsets are those of the parsed text, which `parse` stripped
    return ast.get_source_segment(text.strip(), node) or ast.dump(node)[:60]


def _number(node: ast.Constant, err) -> float:
    """A literal as a finite float, or a located error (`1e999`, a 400-digit integer)."""
    try:
        value = float(node.value)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise err("this number is beyond the range of floating-point numbers", node,
                  "numbers must be finite and below about 1.8e308 in size")
    return value


def _finite(v) -> bool:
    """Every constant and coefficient of a value is a finite number."""
    if isinstance(v, Lin):
        return math.isfinite(v.const) and all(math.isfinite(c) for c in v.terms.values())
    if isinstance(v, Vec):
        return all(_finite(x) for x in v.items.values())
    return True


def _guard(fn):
    """Turn deep recursion in a walker into a clean ExprError."""

    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RecursionError:
            raise ExprError("the expression is too deeply nested", None,
                            "write long sums with sum(...) over a per-party issue or data") from None

    return wrapped


def did_you_mean(name: str, choices) -> str | None:
    """A "did you mean `x`?" hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


# -- numbers (constants and curve functions) -------------------------------
# numpy is imported only where a curve or a constant calls exp or log, or raises a curve to
# a power other than 2: other constants are plain floats with numpy's semantics (nan and
# inf, never an exception), and other curves are sampled on plain floats (`Samples`), so
# `negotiate validate` of the shipped cases starts without numpy (~80 ms of CPU).


class _NeedsNumpy(Exception):
    """A curve calls a function whose last bits only numpy computes as numpy does."""


class Samples:
    """A curve's values at its sample points, on plain floats, as numpy's float64 loops give them.

    Only the operations whose IEEE-754 result is exactly rounded, and so the same
    in every library, are done here: + - * / (a zero divisor gives inf or nan, as
    numpy does), negation, abs, sqrt, min and max (nan-propagating, the second
    operand on a tie, as numpy's minimum/maximum) and squaring (numpy squares
    `x ** 2` as x * x). exp, log and other powers raise _NeedsNumpy: `curve`
    samples those with numpy instead.
    """

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values

    @staticmethod
    def _pairs(a, b):
        if isinstance(a, Samples) and isinstance(b, Samples):
            return zip(a.values, b.values)
        if isinstance(a, Samples):
            return ((v, b) for v in a.values)
        return ((a, v) for v in b.values)

    def __add__(self, other):
        return Samples([a + b for a, b in Samples._pairs(self, other)])

    def __radd__(self, other):
        return Samples([a + b for a, b in Samples._pairs(other, self)])

    def __sub__(self, other):
        return Samples([a - b for a, b in Samples._pairs(self, other)])

    def __rsub__(self, other):
        return Samples([a - b for a, b in Samples._pairs(other, self)])

    def __mul__(self, other):
        return Samples([a * b for a, b in Samples._pairs(self, other)])

    def __rmul__(self, other):
        return Samples([a * b for a, b in Samples._pairs(other, self)])

    def __truediv__(self, other):
        return Samples([_ieee_div(a, b) for a, b in Samples._pairs(self, other)])

    def __rtruediv__(self, other):
        return Samples([_ieee_div(a, b) for a, b in Samples._pairs(other, self)])

    def __neg__(self):
        return Samples([-v for v in self.values])

    def __abs__(self):
        return Samples([abs(v) for v in self.values])

    def sqrt(self) -> "Samples":
        return Samples([math.sqrt(v) if v >= 0 else math.nan for v in self.values])

    def square(self) -> "Samples":
        return Samples([v * v for v in self.values])

    @staticmethod
    def extreme(name: str, a, b) -> "Samples":
        """numpy's minimum / maximum: nan if either is nan, else the smaller / larger, the second on a tie."""
        if name == "min":
            return Samples([a_ if a_ != a_ else b_ if b_ != b_ else a_ if a_ < b_ else b_
                            for a_, b_ in Samples._pairs(a, b)])
        return Samples([a_ if a_ != a_ else b_ if b_ != b_ else a_ if a_ > b_ else b_
                        for a_, b_ in Samples._pairs(a, b)])


def _ieee_div(a: float, b: float) -> float:
    """a / b as IEEE-754 (and numpy) divides: by zero, inf with the signs' product, or nan for 0/0."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def sample_points(lo: float, hi: float, pieces: int) -> tuple[float, ...]:
    """`pieces + 1` points from lo to hi, exactly as numpy.linspace(lo, hi, pieces + 1) places them:
    start + i * step, with the division first when the step underflows, and hi itself last."""
    delta = hi - lo
    step = delta / pieces
    if step == 0:
        points = [float(i) / pieces * delta + lo for i in range(pieces + 1)]
    else:
        points = [float(i) * step + lo for i in range(pieces + 1)]
    points[-1] = hi
    return tuple(points)


def interp(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """numpy.interp(x, xs, ys) for one x, step by step as numpy's compiled loop does it: the
    end values outside [xs[0], xs[-1]], ys[j] on a knot, else the slope form, retried from the
    right end of the segment when it gives nan."""
    n = len(xs)
    if n == 1:  # (numpy answers before looking for nan)
        return ys[0]
    if x != x:
        return x
    if x < xs[0]:
        return ys[0]
    if x > xs[-1]:
        return ys[-1]
    j = bisect.bisect_right(xs, x) - 1
    if j == n - 1 or xs[j] == x:
        return ys[j]
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
    y = slope * (x - xs[j]) + ys[j]
    if y != y:
        y = slope * (x - xs[j + 1]) + ys[j + 1]
        if y != y and ys[j] == ys[j + 1]:
            y = ys[j]
    return y


def _is_array(v) -> bool:
    """Sample values: `Samples`, or a numpy array (only possible once numpy has been imported)."""
    if isinstance(v, Samples):
        return True
    np_ = sys.modules.get("numpy")
    return np_ is not None and isinstance(v, np_.ndarray)


def _quiet():
    """numpy's errstate(all="ignore") when numpy is in use; plain floats never warn."""
    np_ = sys.modules.get("numpy")
    return np_.errstate(all="ignore") if np_ is not None else nullcontext()


def _sqrt(v):
    if isinstance(v, Samples):
        return v.sqrt()
    if _is_array(v):
        return sys.modules["numpy"].sqrt(v)
    return math.nan if v < 0 else math.sqrt(v)


def _numpy_ufunc(name: str):
    """exp and log as numpy computes them (its last bits can differ from the math module's)."""
    def f(v):
        if isinstance(v, Samples):
            raise _NeedsNumpy
        import numpy as np

        with np.errstate(all="ignore"):
            out = getattr(np, name)(v)
        return out if isinstance(out, np.ndarray) else float(out)  # a float: later arithmetic never warns
    return f


def _extreme(name: str):
    """numpy's minimum/maximum: elementwise on arrays, nan-propagating on floats."""
    def f(a, b):
        if isinstance(a, Samples) or isinstance(b, Samples):
            return Samples.extreme(name, a, b)
        if _is_array(a) or _is_array(b):
            np_ = sys.modules["numpy"]
            return (np_.minimum if name == "min" else np_.maximum)(a, b)
        if math.isnan(a) or math.isnan(b):
            return math.nan
        return min(a, b) if name == "min" else max(a, b)
    return f


_FUNCS = {
    "abs": abs,
    "sqrt": _sqrt,
    "exp": _numpy_ufunc("exp"),
    "log": _numpy_ufunc("log"),
}


class _Numeric:
    """Constant arithmetic; with `x` bound, a curve over sample points."""

    def __init__(self, text: str, env: Env | None, x: np.ndarray | None):
        self.text, self.env, self.x = text, env, x

    def err(self, msg: str, node: ast.AST, hint: str | None = None) -> ExprError:
        return ExprError(msg, _src(node, self.text), hint)

    def visit(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.err("only numbers are allowed here", node)
            return _number(node, self.err)
        if self.x is not None and self.env is not None and not _mentions_x(node):
            # no x below: a constant of the whole language (data, sums, parameters)
            return _Linear(self.text, self.env).constant(node)
        if isinstance(node, ast.Name):
            if node.id == "x" and self.x is not None:
                return self.x
            if self.env is not None and node.id in self.env.parameters:
                return float(self.env.parameters[node.id])
            known = (["x"] if self.x is not None else []) + list(self.env.parameters if self.env else [])
            raise self.err(f"unknown name `{node.id}`", node, did_you_mean(node.id, known))
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            if self.env is None:
                raise self.err("data is not available here", node)
            value = _lookup_data(node, self.env, self.text)
            if isinstance(value, Vec):
                raise self.err("this is a vector over parties; pick one with [PARTY] or [self]", node)
            return value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.visit(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.err("this is not allowed in a number or curve expression", node)

    def binop(self, node: ast.BinOp):
        a, b = self.visit(node.left), self.visit(node.right)
        op = node.op
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            if not _is_array(b) and b == 0:
                raise self.err("division by zero", node)
            return a / b
        if isinstance(op, ast.Pow):
            if _is_array(b):
                raise self.err("an exponent must be a constant, not depend on x", node.right)
            if abs(b) > MAX_EXPONENT:
                raise self.err(f"exponent {b:g} is too large (at most {MAX_EXPONENT:g} in size)", node)
            if _is_array(a) and b == 2.0:
                return a.square() if isinstance(a, Samples) else a * a  # numpy >= 2.3's power loop does in1 * in1
            if isinstance(a, Samples):
                raise _NeedsNumpy
            if _is_array(a):
                return sys.modules["numpy"].power(a, b)
            try:
                return math.pow(a, b)
            except (OverflowError, ValueError):
                raise self.err("this power has no finite real value", node) from None
        raise self.err("only + - * / and ** are allowed", node)

    def call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.err("only min, max, abs, sqrt, exp and log can be called", node)
        name = node.func.id
        args = [self.visit(a) for a in node.args]
        if name in ("min", "max"):
            if len(args) < 2:
                raise self.err(f"{name}() takes two or more arguments here", node)
            f = _extreme(name)
            out = args[0]
            for a in args[1:]:
                out = f(out, a)
            return out if _is_array(out) else float(out)
        if name in _FUNCS:
            if len(args) != 1:
                raise self.err(f"{name}() takes one argument", node)
            with _quiet():
                out = _FUNCS[name](args[0])
            return out if _is_array(out) else float(out)
        raise self.err(
            f"unknown function `{name}`", node, did_you_mean(name, ["min", "max", *_FUNCS])
        )


def _mentions_x(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "x" for n in ast.walk(node))


@_guard
def constant(text: str | float, env: Env | None) -> float:
    """The value of a constant expression: numbers, parameters, data, sum(...)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    tree = parse(text)
    if env is None:
        with _quiet():
            value = _Numeric(text, None, None).visit(tree)
    else:
        value = _Linear(text, env).constant(tree)
    if not math.isfinite(value):
        raise ExprError("the expression has no finite value", text)
    return float(value)


# Plain floats up to this many sample points, numpy beyond: the EU model's curve (9 operations)
# costs 30 us plain / 33 us numpy at 11 points, 41 / 38 us at 41, 55 / 36 us at 65, 126 / 46 us
# at 201; the 200-party x 30-criteria x 10-point synthetic case validates in 0.20 s either way.
# Importing numpy costs ~80 ms of CPU, paid only where a curve needs it.
PLAIN_SAMPLES_MAX = 41


@_guard
def curve(text: str, xs: Sequence[float], env: Env | None) -> tuple[float, ...] | np.ndarray:
    """Sample `function:` text in `x` at the points xs: a tuple of floats, or a numpy array
    where numpy computes it (exp, log, powers other than 2, many points); the same values."""
    tree = parse(text)
    if len(xs) <= PLAIN_SAMPLES_MAX:
        try:
            ys = _Numeric(text, env, Samples(list(xs))).visit(tree)
        except _NeedsNumpy:
            pass
        else:
            ys = ys.values if isinstance(ys, Samples) else [float(ys)] * len(xs)
            bad = next((i for i, y in enumerate(ys) if not math.isfinite(y)), None)
            if bad is not None:
                raise _no_finite_value(text, xs[bad])
            return tuple(ys)
    import numpy as np

    with np.errstate(all="ignore"):
        ys = _Numeric(text, env, np.asarray(xs, float)).visit(tree)
    ys = np.broadcast_to(np.asarray(ys, float), np.shape(xs)).copy()
    bad = ~np.isfinite(ys)
    if bad.any():
        raise _no_finite_value(text, float(np.asarray(xs)[bad][0]))
    return ys


def _no_finite_value(text: str, x: float) -> ExprError:
    return ExprError(f"the function has no finite value at x = {x:g}", text,
                     "keep `over` inside the function's domain (log and sqrt need positive arguments)")


# -- data lookups ----------------------------------------------------------
def _party_index(node: ast.AST, env: Env, text: str, what: str) -> str:
    if isinstance(node, ast.Name):
        if node.id == "self":
            if env.self_party is None:
                raise ExprError("`self` means the party whose criterion or limit this is; "
                                "it has no meaning here", _src(node, text))
            return env.self_party
        if node.id in env.parties:
            return node.id
        raise ExprError(f"unknown party `{node.id}`", _src(node, text),
                        did_you_mean(node.id, env.parties) or f"parties: {', '.join(env.parties)}")
    raise ExprError(f"{what} takes a party id or `self` in [...]", _src(node, text))


def _lookup_data(node: ast.AST, env: Env, text: str):
    """`data.NAME` (a vector over parties) or `data.NAME[P]` / `[P][Q]`."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
            and isinstance(node.value.value, ast.Name) and node.value.value.id == "data":
        party = _party_index(node.slice, env, text, "data")  # data.NAME[P]: no vector needed
        name = node.value.attr
        row = env.data.get(party, {})
        if name not in row:
            known = sorted({k for p in env.parties for k in env.data.get(p, {})})
            raise ExprError(f"`{party}` has no data `{name}`", _src(node, text),
                            did_you_mean(name, known) if name not in known else None)
        v = row[name]
        return Vec({q: Lin({}, float(w)) for q, w in v.items()}) if isinstance(v, dict) else float(v)
    if isinstance(node, ast.Subscript):
        base = _lookup_data(node.value, env, text)
        if not isinstance(base, Vec):
            raise ExprError("this is a number, it cannot be indexed", _src(node, text))
        key = _party_index(node.slice, env, text, "data")
        if key not in base.items:
            raise ExprError(f"no value for `{key}` here", _src(node, text))
        item = base.items[key]
        return item if isinstance(item, Vec) else item.const
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "data":
        name = node.attr
        missing = [p for p in env.parties if name not in env.data.get(p, {})]
        if missing and len(missing) == len(env.parties):
            known = sorted({k for p in env.parties for k in env.data.get(p, {})})
            raise ExprError(f"no party has data `{name}`", _src(node, text), did_you_mean(name, known))
        items = {}
        for p in env.parties:
            if p in missing:
                continue
            v = env.data[p][name]
            items[p] = Vec({q: Lin({}, float(w)) for q, w in v.items()}) if isinstance(v, dict) else Lin({}, float(v))
        vec = Vec(items)
        vec.missing = missing  # type: ignore[attr-defined]
        vec.source = f"data.{name}"  # type: ignore[attr-defined]
        return vec
    raise ExprError("write data as `data.NAME`, `data.NAME[PARTY]` or `data.NAME[self]`", _src(node, text))


# -- linear expressions ----------------------------------------------------
class _Linear:
    def __init__(self, text: str, env: Env):
        self.text, self.env = text, env

    def err(self, msg: str, node: ast.AST, hint: str | None = None) -> ExprError:
        return ExprError(msg, _src(node, self.text), hint)

    def known_names(self) -> list[str]:
        return [*self.env.parameters, *self.env.issues, "data"]

    def constant(self, node: ast.AST) -> float:
        v = self.visit(node)
        if isinstance(v, Vec):
            raise self.err("this is a vector over parties; pick one with [PARTY] or [self], or sum(...) it", node)
        if not isinstance(v, Lin) or not v.is_const:
            raise self.err("this must be a constant (numbers, parameters, data), not depend on the issues", node)
        return v.const

    def visit(self, node: ast.AST):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.err("only numbers, names and operators are allowed", node)
            return Lin({}, _number(node, self.err))
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Attribute):
            return self.complete(_lookup_data(node, self.env, self.text), node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.visit(node.operand)
            _no_choice(v, node.operand, self)
            return _scale(v, -1.0) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            return self.checked(self.binop(node), node)
        if isinstance(node, ast.Call):
            return self.checked(self.call(node), node)
        if isinstance(node, ast.Compare):
            raise self.err("a comparison is only allowed as a whole limit or constraint", node)
        raise self.err("this is not allowed in an expression", node)

    def checked(self, v, node):
        """A computed value must stay finite (`1e300 * 1e300`, `1e308 - -1e308`)."""
        if not _finite(v):
            raise self.err("this expression has no finite value", node,
                           "numbers must stay below about 1.8e308 in size; rescale the units")
        return v

    def complete(self, vec, node):
        missing = getattr(vec, "missing", [])
        if missing:
            raise self.err(
                f"`{vec.source}` is missing for {', '.join(missing)}", node,
                "give every party this data, or index one party: data.NAME[PARTY]",
            )
        return vec

    def name(self, node: ast.Name):
        n, env = node.id, self.env
        if n in env.parameters:
            return Lin({}, float(env.parameters[n]))
        if n in env.issues:
            issue = env.issues[n]
            if issue.options is not None:
                return Choice(n, None, issue.options) if not issue.per_party else Vec(
                    {p: Choice(n, p, issue.options) for p in env.parties})
            if issue.per_party:
                return Vec({p: Lin({(n, p, None): 1.0}) for p in env.parties})
            return Lin({(n, None, None): 1.0})
        if n == "self":
            raise self.err("`self` is only used as an index: `reduction[self]`, `data.gdp[self]`", node)
        if n == "data":
            raise self.err("write data as `data.NAME`", node)
        raise self.err(f"unknown name `{n}`", node, did_you_mean(n, self.known_names()))

    def subscript(self, node: ast.Subscript):
        one = self._one_party_issue(node)
        if one is not None:
            return one
        if isinstance(node.value, (ast.Attribute,)) or (
            isinstance(node.value, ast.Subscript) and _is_data(node.value)
        ):
            v = _lookup_data(node, self.env, self.text)
            return self.complete(v, node) if isinstance(v, Vec) else Lin({}, float(v))
        base = self.visit(node.value)
        if isinstance(base, Choice):
            opt = node.slice
            if not isinstance(opt, ast.Name):
                raise self.err("pick an option by name: issue[option]", node)
            if opt.id not in base.options:
                raise self.err(f"`{opt.id}` is not an option of `{base.issue}`", node,
                               did_you_mean(opt.id, base.options) or f"options: {', '.join(base.options)}")
            return Lin({(base.issue, base.party, opt.id): 1.0})
        if isinstance(base, Vec):
            if isinstance(node.slice, ast.Name) and node.slice.id not in self.env.parties and node.slice.id != "self":
                first = next(iter(base.items.values()), None)
                if isinstance(first, Choice):  # per-party discrete issue: issue[option] is a vector
                    inner = ast.Subscript(value=node.value, slice=node.slice)
                    opt = node.slice.id
                    if opt not in first.options:
                        raise self.err(f"`{opt}` is neither a party nor an option of `{first.issue}`", inner)
                    return Vec({p: Lin({(c.issue, c.party, opt): 1.0}) for p, c in base.items.items()})
            key = _party_index(node.slice, self.env, self.text, "this vector")
            if key not in base.items:
                raise self.err(f"this vector has no value for `{key}`", node,
                               f"it has values for: {', '.join(base.items) or 'no party'}")
            return base.items[key]
        if isinstance(node.value, ast.Name) and node.value.id in self.env.issues:
            raise self.err(f"`{node.value.id}` is shared: it has one value for all parties", node,
                           "only per-party issues (per_party: true) and data take [PARTY]")
        raise self.err("only vectors over parties and discrete issues can be indexed", node)

    def _one_party_issue(self, node: ast.Subscript):
        """`issue[self]` / `issue[PARTY]` of a per-party issue, without the vector over all
        parties (what `name` then indexing would build: quadratic in parties over a case)."""
        if not (isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Name)):
            return None
        n, env = node.value.id, self.env
        issue = env.issues.get(n)
        if issue is None or not issue.per_party or n in env.parameters:
            return None
        if node.slice.id != "self" and node.slice.id not in env.parties:
            return None  # issue[option]: a vector, as before
        p = _party_index(node.slice, env, self.text, "this vector")
        return Choice(n, p, issue.options) if issue.options is not None else Lin({(n, p, None): 1.0})

    def binop(self, node: ast.BinOp):
        a, b = self.visit(node.left), self.visit(node.right)
        for v, n in ((a, node.left), (b, node.right)):
            _no_choice(v, n, self)
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            return _combine(a, b, 1.0 if isinstance(op, ast.Add) else -1.0, self, node)
        if isinstance(op, ast.Mult):
            if _const(a):
                return _mul(b, a, self, node)
            if _const(b):
                return _mul(a, b, self, node)
            raise self.err("this expression is not linear", node,
                           "a product needs one side that is constant (numbers, parameters, data)")
        if isinstance(op, ast.Div):
            if not _const(b):
                raise self.err("this expression is not linear", node, "a division needs a constant divisor")
            return _mul(a, _invert(b, self, node), self, node)
        if isinstance(op, ast.Pow):
            if _const(a) and _const(b) and isinstance(a, Lin) and isinstance(b, Lin):
                if abs(b.const) > MAX_EXPONENT:
                    raise self.err(f"exponent {b.const:g} is too large (at most {MAX_EXPONENT:g} in size)", node)
                try:
                    return Lin({}, math.pow(a.const, b.const))
                except (OverflowError, ValueError):
                    raise self.err("this power has no finite real value", node) from None
            raise self.err("this expression is not linear", node, "** is only allowed between constants")
        raise self.err("only + - * / are allowed", node)

    def call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.err("only sum, mean, min, max, abs, sqrt, exp and log can be called", node)
        name = node.func.id
        if name in ("sum", "mean"):
            if len(node.args) != 1:
                raise self.err(f"{name}() takes one vector", node)
            v = self.visit(node.args[0])
            if not isinstance(v, Vec):
                raise self.err(f"{name}() takes a vector over parties", node,
                               "per-party issues and data.NAME are vectors")
            _no_choice(v, node.args[0], self)
            if name == "mean" and not v.items:
                raise self.err("mean() of an empty vector (no party has a value here)", node,
                               "give the data row a value for at least one party, or use sum()")
            total = Lin()
            for item in v.items.values():
                if isinstance(item, Vec):
                    raise self.err(f"{name}() of a matrix: index a row first, e.g. data.NAME[self]", node)
                total = total.plus(item)
            return total.scaled(1.0 / len(v.items)) if name == "mean" else total
        if name in ("min", "max", "abs", "sqrt", "exp", "log"):
            args = [self.visit(a) for a in node.args]
            if not all(isinstance(a, Lin) and a.is_const for a in args):
                raise self.err("this expression is not linear", node,
                               f"{name}() is only allowed on constants; use a score curve for non-linear effects")
            vals = [a.const for a in args]
            if name in ("min", "max"):
                if len(vals) < 2:
                    raise self.err(f"{name}() takes two or more arguments here", node)
                return Lin({}, min(vals) if name == "min" else max(vals))
            if len(vals) != 1:
                raise self.err(f"{name}() takes one argument", node)
            with _quiet():
                out = float(_FUNCS[name](vals[0]))
            if not math.isfinite(out):
                raise self.err(f"{name}() has no finite value here", node)
            return Lin({}, out)
        raise self.err(f"unknown function `{name}`", node,
                       did_you_mean(name, ["sum", "mean", "min", "max", "abs", "sqrt", "exp", "log"]))


def _no_choice(v, node, walker) -> None:
    """A discrete issue (or a vector of them) cannot enter arithmetic without an option."""
    if isinstance(v, Choice) or (isinstance(v, Vec) and any(isinstance(x, Choice) for x in v.items.values())):
        raise walker.err("a discrete issue needs an option: issue[option] is its 0/1 indicator", node)


def _is_data(node: ast.AST) -> bool:
    while isinstance(node, ast.Subscript):
        node = node.value
    return isinstance(node, ast.Attribute)


def _const(v) -> bool:
    return isinstance(v, (Lin, Vec)) and v.is_const


def _scale(v, k: float):
    if isinstance(v, Lin):
        return v.scaled(k)
    if isinstance(v, Vec):
        return Vec({p: _scale(x, k) for p, x in v.items.items()})
    raise TypeError(v)


def _combine(a, b, sign, walker, node):
    if isinstance(a, Lin) and isinstance(b, Lin):
        return a.plus(b, sign)
    if isinstance(a, Vec) and isinstance(b, Vec):
        if set(a.items) != set(b.items):
            if not ((a.is_const and set(a.items) <= set(b.items)) or (b.is_const and set(b.items) <= set(a.items))):
                raise walker.err("these vectors are over different parties", node)
            zero = Lin({}, 0.0)
            keys = list(a.items) if len(a.items) >= len(b.items) else list(b.items)
            return Vec({p: _combine(a.items.get(p, zero), b.items.get(p, zero), sign, walker, node) for p in keys})
        return Vec({p: _combine(a.items[p], b.items[p], sign, walker, node) for p in a.items})
    if isinstance(a, Vec) and isinstance(b, Lin):
        return Vec({p: _combine(x, b, sign, walker, node) for p, x in a.items.items()})
    if isinstance(a, Lin) and isinstance(b, Vec):
        return Vec({p: _combine(a, x, sign, walker, node) for p, x in b.items.items()})
    raise walker.err("these cannot be added", node)


def _mul(v, k, walker, node):
    """v times the constant k (scalar or vector, element-wise).

    A row of matrix data (`data.exports[self]`) may leave partners out
    (itself, say): a missing entry of a constant vector counts 0.
    """
    if isinstance(k, Lin):
        return _scale(v, k.const)
    if isinstance(v, Lin):
        return Vec({p: _mul(v, x, walker, node) for p, x in k.items.items()})
    if set(v.items) != set(k.items):
        if not (k.is_const and set(k.items) <= set(v.items)):
            raise walker.err("element-wise product of vectors over different parties", node)
        zero = Lin({}, 0.0)
        return Vec({p: _mul(v.items[p], k.items.get(p, zero), walker, node) for p in v.items})
    return Vec({p: _mul(v.items[p], k.items[p], walker, node) for p in v.items})


def _invert(k, walker, node):
    if isinstance(k, Lin):
        if k.const == 0:
            raise walker.err("division by zero", node)
        return Lin({}, 1.0 / k.const)
    return Vec({p: _invert(x, walker, node) for p, x in k.items.items()})


@_guard
def linear(text: str, env: Env):
    """A linear form (Lin), a vector of them (Vec) or a discrete issue (Choice)."""
    return _Linear(text, env).visit(parse(text))


@_guard
def constraint(text: str, env: Env) -> list[Row]:
    """Rows of a limit or constraint: `a <= b`, `a == b`, `lo <= e <= hi`."""
    node = parse(text)
    if not isinstance(node, ast.Compare):
        raise ExprError("a limit or constraint must compare: use <=, >= or ==", text.strip())
    walker = _Linear(text, env)
    sides = [walker.visit(n) for n in [node.left, *node.comparators]]
    for side, n in zip(sides, [node.left, *node.comparators]):
        if isinstance(side, Choice) or (isinstance(side, Vec) and any(isinstance(v, Choice) for v in side.items.values())):
            raise walker.err("a discrete issue needs an option: issue[option] is its 0/1 indicator", n)
    rows: list[Row] = []
    for i, op in enumerate(node.ops):
        if isinstance(op, (ast.Lt, ast.Gt)):
            raise walker.err("strict < and > are not allowed", node, "use <= or >=")
        if not isinstance(op, (ast.LtE, ast.GtE, ast.Eq)):
            raise walker.err("only <=, >= and == are allowed", node)
        diff = _combine(sides[i], sides[i + 1], -1.0, walker, node)  # left - right
        items = diff.items.items() if isinstance(diff, Vec) else [("", diff)]
        for label, d in items:
            if isinstance(d, Vec):
                raise walker.err("a comparison of matrices; index a row first", node)
            lin = Lin(d.terms, 0.0)
            lo, hi = -math.inf, math.inf
            if isinstance(op, ast.LtE):
                hi = -d.const
            elif isinstance(op, ast.GtE):
                lo = -d.const
            else:
                lo = hi = -d.const
            rows.append(Row(lin, lo, hi, label))
    return _merge_ranges(rows)


def _merge_ranges(rows: list[Row]) -> list[Row]:
    """`lo <= e <= hi` gives two rows on the same terms: make them one ranged row.

    Rows are first oriented so their first coefficient is positive (`55 >= x`
    and `x <= 55` are the same row, read as written in the usual direction).
    """
    out: list[Row] = []
    for r in rows:
        terms = {v: c for v, c in r.lin.terms.items() if c != 0.0}
        if terms and next(iter(terms.values())) < 0:
            r = Row(Lin({v: -c for v, c in terms.items()}), -r.hi, -r.lo, r.label)
        else:
            r = Row(Lin(terms), r.lo, r.hi, r.label)
        for o in out:
            if o.label == r.label and o.lin.terms == r.lin.terms:
                o.lo, o.hi = max(o.lo, r.lo), min(o.hi, r.hi)
                break
        else:
            out.append(r)
    return out
