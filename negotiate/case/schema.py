"""The case file as frozen pydantic models (CASE_FORMAT.md section 1).

Structure and types live here; expressions and cross-references are checked
by `negotiate.case.resolve`, which knows the whole case.
"""

from __future__ import annotations

import copy
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)

from negotiate.registry import NAMES
from negotiate.backends import DEFAULT_BACKEND, REGISTRY  # names only: no solver is imported

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# A number, or a constant expression over parameters and the party's data
# (`"data.max_cut[self]"`), evaluated per party when the case is resolved.
Number = float | str

BackendName = Literal[tuple(REGISTRY)]  # the backend registry's names, nothing hard-coded here
CONCEPTS = NAMES  # the registered concepts (negotiate.registry)
Concept = Literal[NAMES]


def _reservation(value: Any):
    """A number, or `status_quo` (its utility at the status quo, computed on resolve).

    A plain validator, not a union: errors stay at `parties.X.reservation`.
    """
    if value == "status_quo" or getattr(value, "from_status_quo", False):
        return value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            near = "status" in value.lower() or "quo" in value.lower()
            raise ValueError("expected a number" + (" or `status_quo`" if near else "")) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("expected a number")
    try:
        value = float(value)  # an int beyond float range (10**400 through the API) overflows here
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError("must be a finite number (not NaN or infinity)")
    return value


Reservation = Annotated[
    Any,
    PlainValidator(_reservation),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"const": "status_quo"}]}),
]



def _status_quo_value(value: Any):
    """One issue's status quo: a number, an option id, or {PARTY: value, default: value}.

    A plain validator, not a union: one message at `status_quo.ISSUE`, not one per member.
    """
    import re

    def one(v, where=""):
        if isinstance(v, bool):
            raise ValueError(f"expected a number or an option id{where}")
        if isinstance(v, (int, float)):
            try:
                finite = math.isfinite(v)
            except OverflowError:  # an integer beyond any float (10**400)
                finite = False
            if not finite:
                raise ValueError(f"must be a finite number (not NaN or infinity){where}")
            return float(v)
        if isinstance(v, str) and re.match(ID_PATTERN, v):
            return v
        raise ValueError(f"expected a number or an option id{where}")

    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or not re.match(ID_PATTERN, key):
                raise ValueError(f"`{key}` is not a party id (or `default`)")
        return {k: one(v, f" for `{k}`") for k, v in value.items()}
    try:
        return one(value)
    except ValueError:
        raise ValueError("expected a number, an option id, or {PARTY: value, default: value}") from None


StatusQuoValue = Annotated[
    Any,
    PlainValidator(_status_quo_value),
    WithJsonSchema({"anyOf": [
        {"type": "number"}, {"type": "string", "pattern": ID_PATTERN},
        {"type": "object", "patternProperties": {ID_PATTERN: {
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": ID_PATTERN}]}},
         "additionalProperties": False},
    ]}),
]

# a collective constraint, for a coalition S: bind S's agreement with the outsiders at the
# status quo, restrict its sums to the members, or not apply
CoalitionRule = Literal["status_quo", "members", "none"]
RESERVED_NAMES = frozenset(
    {"self", "data", "sum", "mean", "min", "max", "abs", "sqrt", "exp", "log", "x"}
)


IMMUTABLE = "a Case is immutable: use case.update({\"dotted.path\": value}) for a changed copy"


class FrozenDict(dict):
    """A mapping of a loaded case: reads like a dict, refuses every change."""

    def _refuse(self, *args, **kwargs):
        raise TypeError(IMMUTABLE)

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self  # nothing inside can change


class FrozenList(list):
    """A list of a loaded case (points, options): reads like a list, refuses every change."""

    def _refuse(self, *args, **kwargs):
        raise TypeError(IMMUTABLE)

    __setitem__ = __delitem__ = append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __iadd__ = __imul__ = _refuse

    def __reduce__(self):
        return (FrozenList, (list(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def freeze(value: Any) -> Any:
    """Dicts and lists (at any depth) as their frozen twins; models are frozen already."""
    if isinstance(value, dict):
        if isinstance(value, FrozenDict):
            return value
        return FrozenDict({k: v if isinstance(v, _LEAVES) else freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        if isinstance(value, FrozenList):
            return value
        return FrozenList([v if isinstance(v, _LEAVES) else freeze(v) for v in value])
    if isinstance(value, tuple) and not all(isinstance(v, _LEAVES) for v in value):
        return tuple(freeze(v) for v in value)
    return value


_LEAVES = (str, int, float, bool, type(None), BaseModel)  # nothing inside to freeze


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _freeze(self):
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, list) and value and isinstance(value[0], tuple):
                object.__setattr__(self, name, FrozenList(value))  # points: pairs of numbers
            elif isinstance(value, (dict, list)):  # (tuples of the schema hold numbers)
                object.__setattr__(self, name, freeze(value))
        return self


class Issue(_Strict):
    """One negotiated issue: continuous/integer (`range`) or discrete (`options`)."""

    range: tuple[Number, Number] | None = None
    options: list[Id] | None = None
    per_party: bool = False
    integer: bool = False
    unit: str | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _kind(self) -> "Issue":
        if (self.range is None) == (self.options is None):
            raise ValueError("give exactly one of `range: [lo, hi]` or `options: [...]`")
        if self.range is not None and all(isinstance(v, float) for v in self.range) \
                and self.range[0] > self.range[1]:
            raise ValueError(f"range lower end {self.range[0]} is above upper end {self.range[1]}")
        if self.options is not None:
            if not self.options:
                raise ValueError("`options` must list at least one option")
            dup = sorted({o for o in self.options if self.options.count(o) > 1})
            if dup:
                raise ValueError(f"options listed twice: {', '.join(dup)}")
            if self.integer:
                raise ValueError("`integer: true` applies to a `range` issue, not to `options`")
        return self

    @property
    def discrete(self) -> bool:
        return self.options is not None


class Criterion(_Strict):
    """One criterion of a party's utility: a score curve of an expression."""

    of: str
    weight: Number = 1.0  # a number >= 0, or a constant expression (a parameter)
    points: list[tuple[Number, Number]] | None = None
    function: str | None = None
    over: tuple[Number, Number] | None = None
    pieces: int | None = Field(None, ge=1, le=10_000)
    scores: dict[Id, float] | None = None
    description: str | None = None

    @field_validator("weight")
    @classmethod
    def _weight(cls, value):
        if isinstance(value, float) and value < 0:
            raise ValueError("a criterion weight must be >= 0")
        return value

    @model_validator(mode="after")
    def _one_curve(self) -> "Criterion":
        given = [k for k in ("points", "function", "scores") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `points`, `function` (with `over` and `pieces`) or `scores`"
                + (f"; found {', '.join(given)}" if given else "")
            )
        if self.function is not None and self.over is None:
            raise ValueError("`function` needs `over: [lo, hi]` (and `pieces`, default 20)")
        if self.function is None and (self.over is not None or self.pieces is not None):
            raise ValueError("`over` and `pieces` go with `function`")
        if self.points is not None:
            if len(self.points) < 2:
                raise ValueError("`points` needs at least two [x, score] pairs")
            xs = [p[0] for p in self.points]
            if all(isinstance(x, float) for x in xs):
                for a, b in zip(xs, xs[1:]):
                    if not b > a:
                        raise ValueError(f"points must have strictly increasing x; {b} follows {a}")
        return self


class Party(_Strict):
    """A negotiating party: its voice, data, reservation, criteria and red lines."""

    name: str | None = None
    weight: float = Field(1.0, gt=0)
    data: dict[Id, float | dict[Id, float]] = Field(default_factory=dict)
    # a number, or `status_quo`: the party's utility at the case's status quo
    # (computed when the case is resolved; see negotiate.case.status_quo)
    reservation: Reservation = 0.0
    criteria: dict[Id, Criterion] = Field(min_length=1)
    limits: dict[Id, str] = Field(default_factory=dict)
    description: str | None = None
    # two-level negotiation (CASE_FORMAT.md section 7; negotiate.twolevel)
    role: Literal["party", "stakeholder"] = "party"
    constituencies: dict[Id, "Constituency"] = Field(default_factory=dict, max_length=12)
    ratification: "Literal['all'] | Ratification" = "all"

    @model_validator(mode="after")
    def _some_weight(self) -> "Party":
        weights = [c.weight for c in self.criteria.values()]
        if all(isinstance(w, float) for w in weights) and sum(weights) <= 0:
            raise ValueError("criteria weights sum to 0: give at least one criterion a positive weight")
        return self

    @field_serializer("reservation")
    def _reservation_as_written(self, value):
        # a computed status-quo reservation is written back as `status_quo`, so a
        # changed copy of the case computes it again
        return "status_quo" if getattr(value, "from_status_quo", False) else value


# -- two-level negotiation (CASE_FORMAT.md section 7) ---------------------------------
class Constituency(_Strict):
    """A domestic group whose consent a party needs to ratify: farmers, industry, a green party."""

    name: str | None = None
    weight: float = Field(1.0, gt=0)  # its say in a `share` ratification rule
    reservation: float = 0.0  # it consents when its utility (plus any side payment) reaches this
    criteria: dict[Id, Criterion] = Field(min_length=1)
    description: str | None = None


class Ratification(_Strict):
    """How a party ratifies: every constituency (default), `at_least` k of them, or a weighted `share`."""

    at_least: int | None = Field(None, ge=1)
    share: float | None = Field(None, gt=0, le=1)
    side_payment_budget: float = Field(0.0, ge=0)  # utility a government can pay its constituencies in total

    @model_validator(mode="after")
    def _one_rule(self) -> "Ratification":
        if self.at_least is not None and self.share is not None:
            raise ValueError("give one of `at_least: k` or `share: s` (neither: every constituency must ratify)")
        return self


class QualifiedMajority(_Strict):
    """Passes with a share of the voting parties and (optionally) a share of a data weight.

    `blocking_minority: b`: a coalition also passes (whatever its weight) when fewer
    than b voting parties are against it (the EU Council's clause: b = 4).
    """

    parties: float = Field(0.0, ge=0, le=1)
    weight: str | None = None  # data.pop, or a constant expression per party: sqrt(data.pop[self])
    weight_share: float | None = Field(None, gt=0, le=1)
    blocking_minority: int | None = Field(None, ge=1)
    veto: list[Id] = Field(default_factory=list)  # parties outside the vote whose acceptance is always needed

    @model_validator(mode="after")
    def _pair(self) -> "QualifiedMajority":
        if (self.weight is None) != (self.weight_share is None):
            raise ValueError("`weight` and `weight_share` go together (e.g. weight: data.pop, weight_share: 0.65)")
        if self.blocking_minority is not None and self.weight is None:
            raise ValueError("`blocking_minority` relaxes the weight condition: give `weight` and `weight_share`")
        return self


class WeightedQuota(_Strict):
    """Passes when the members' total weight reaches `quota` (or `share` of the total weight)."""

    weight: str  # data.votes, or a constant expression per party
    quota: float | None = Field(None, ge=0)
    share: float | None = Field(None, gt=0, le=1)
    veto: list[Id] = Field(default_factory=list)  # parties outside the vote whose acceptance is always needed

    @model_validator(mode="after")
    def _one(self) -> "WeightedQuota":
        if (self.quota is None) == (self.share is None):
            raise ValueError("give exactly one of `quota` (total weight) or `share` (of the total weight)")
        return self


class DecisionRule(_Strict):
    """A non-unanimous decision rule; `decision_rule: unanimity` is the default."""

    qualified_majority: QualifiedMajority | None = None
    weighted_quota: WeightedQuota | None = None

    @model_validator(mode="after")
    def _one(self) -> "DecisionRule":
        if (self.qualified_majority is None) == (self.weighted_quota is None):
            raise ValueError("give exactly one of `qualified_majority: {...}` or `weighted_quota: {...}` "
                             "(or `decision_rule: unanimity`)")
        return self

    @property
    def kind(self) -> str:
        return "qualified_majority" if self.qualified_majority is not None else "weighted_quota"


Party.model_rebuild()


class SolveSettings(_Strict):
    """Defaults for solving; CLI flags and API arguments override them."""

    concept: Concept = "nash"
    require_acceptance: bool = True
    backend: BackendName = DEFAULT_BACKEND  # type: ignore[valid-type]
    solver: str | None = None
    time_limit: float | None = Field(None, gt=0)
    mip_gap: float = Field(1e-7, ge=0, le=1)
    ideals: bool = False
    # how Nash is solved: tangent cuts on the LP/MIP, an exponential-cone program (Clarabel) then
    # one LP to certify it, or auto (the faster for the case: negotiate.formulation.concepts)
    nash_method: Literal["auto", "cuts", "conic"] = "auto"


class Case(_Strict):
    """A whole negotiation case. Frozen: `update` returns a validated copy."""

    name: str
    description: str | None = None
    model: str | None = None
    parameters: dict[Id, float] = Field(default_factory=dict)
    issues: dict[Id, Issue] = Field(min_length=1)
    constraints: dict[Id, str] = Field(default_factory=dict)
    parties: dict[Id, Party] = Field(min_length=1)
    solve: SolveSettings = Field(default_factory=SolveSettings)
    options: dict[Id, dict[Id, Any]] = Field(default_factory=dict)
    scenarios: dict[Id, dict[str, Any]] = Field(default_factory=dict)
    decision_rule: Literal["unanimity"] | DecisionRule = "unanimity"  # CASE_FORMAT.md section 7
    # each issue's value with no agreement (CASE_FORMAT.md section 6): a shared
    # issue one value (an option id if discrete), a per-party issue
    # {PARTY: value, default: value}
    status_quo: dict[Id, StatusQuoValue] = Field(default_factory=dict)
    # named coalitions to analyse (CASE_FORMAT.md section 6): bloc id -> its members
    blocs: dict[Id, list[Id]] = Field(default_factory=dict)
    # how a collective constraint binds a coalition short of all parties
    # (negotiate.analysis.coalitions): status_quo (default) | members | none
    coalition_rules: dict[Id, CoalitionRule] = Field(default_factory=dict)

    _source: Any = PrivateAttr(default=None)
    _resolved: Any = PrivateAttr(default=None)  # the case's meaning, once computed

    @field_validator("parameters", "issues")
    @classmethod
    def _not_reserved(cls, value: dict) -> dict:
        bad = sorted(k for k in value if k in RESERVED_NAMES)
        if bad:
            raise ValueError(f"{', '.join(bad)} is a reserved word in expressions; choose another id")
        return value

    @model_validator(mode="after")
    def _names_distinct(self) -> "Case":
        clash = sorted(set(self.parameters) & set(self.issues))
        if clash:
            raise ValueError(f"{', '.join(clash)} is both a parameter and an issue; ids must be distinct")
        return self

    def __eq__(self, other: object) -> bool:
        """Cases are equal when their content is (not where they were read from)."""
        if not isinstance(other, Case):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # mutable containers inside: not hashable

    # -- what-if copies -------------------------------------------------
    def update(self, changes: dict[str, Any], create: bool = False) -> "Case":
        """A validated copy with `{"dotted.path": value}` changes applied.

        Paths follow `negotiate.case.changes`; an unknown parameter, party,
        criterion, ... is a `CaseError` located at `<change>` (new parameters
        need `create=True`), as is a copy that is invalid.
        """
        from negotiate.case.changes import apply_changes, parse_changes
        from negotiate.case.validate import validate_data  # late: validation imports the schema

        parsed = parse_changes(self, changes, create)
        data = apply_changes(self.model_dump(exclude_unset=True), parsed)
        return validate_data(data, source=self._source, changed=list(changes))

    # -- short views (the full content is `model_dump()`) -------------------------
    def __repr__(self) -> str:
        from negotiate.report.notebook import case_repr

        return case_repr(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from negotiate.report.notebook import case_html

        return case_html(self)


def case_json_schema() -> dict:
    """JSON Schema of case files, generated from the pydantic models."""
    schema = Case.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "negotiate case file",
        **schema,
    }
