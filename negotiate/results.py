"""Values every layer shares: the status of a result, and typed results read as JSON.

`Status` is one enum for proposals, comparison rows and sessions. Its values
are the JSON strings of CASE_FORMAT.md (a `str` enum: `Status.OPTIMAL ==
"optimal"`), and each belongs to one of four groups: an agreement was found
(`ok`), none exists (`no agreement`), the solver stopped before knowing
(`stopped`), or something failed (`error`).
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


class StatusGroup(str, enum.Enum):
    """What a status means for the user: the four outcomes a caller branches on."""

    OK = "ok"
    NO_AGREEMENT = "no agreement"
    STOPPED = "stopped"
    ERROR = "error"


class Status(str, enum.Enum):
    """The status of a proposal or a comparison row (its value is the JSON string)."""

    OPTIMAL = "optimal"  # an agreement, proved best under the concept
    FEASIBLE = "feasible"  # an agreement, the solver stopped at a limit before proving it best
    INFEASIBLE = "infeasible"  # no agreement every party accepts
    LIMIT = "limit"  # the solver stopped at a limit with no agreement found yet
    ERROR = "error"  # the solver or the evaluation failed
    INVALID = "invalid"  # the case or change was invalid (comparison rows)
    ACCEPTABLE = "acceptable"  # a drafted option every party accepts (comparison rows)
    REJECTED = "rejected"  # a drafted option some party rejects (comparison rows)

    def __str__(self) -> str:
        return self.value

    @property
    def group(self) -> StatusGroup:
        return _GROUPS[self]

    @property
    def ok(self) -> bool:
        """A result to read: an agreement (or an evaluated option)."""
        return self.group is StatusGroup.OK

    @property
    def failed(self) -> bool:
        """The result could not be computed (not: no agreement exists)."""
        return self.group is StatusGroup.ERROR


_GROUPS = {
    Status.OPTIMAL: StatusGroup.OK,
    Status.FEASIBLE: StatusGroup.OK,
    Status.ACCEPTABLE: StatusGroup.OK,
    Status.REJECTED: StatusGroup.OK,
    Status.INFEASIBLE: StatusGroup.NO_AGREEMENT,
    Status.LIMIT: StatusGroup.STOPPED,
    Status.ERROR: StatusGroup.ERROR,
    Status.INVALID: StatusGroup.ERROR,
}


def status_of(value: str | Status) -> Status:
    """The Status of a status string (a Status is returned as it is)."""
    return value if isinstance(value, Status) else Status(value)


class JsonMapping(Mapping):
    """A typed result that can also be read as its JSON mapping (`d["key"]`, `d.get`),
    for code written against the plain dictionaries results used to be."""

    @abstractmethod
    def to_dict(self) -> dict:
        """The result as JSON-ready data."""

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self):
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


@dataclass(frozen=True, eq=False)
class SolverInfo(JsonMapping):
    """How a proposal was computed: solver, backend, time and number of solves."""

    name: str
    version: str
    backend: str
    seconds: float
    solver_seconds: float
    solves: int
    mip: bool
    nash_gap: float | None = None  # nash only: the final relative gap of the outer approximation
    extra: dict = field(default_factory=dict)  # anything else a backend reports, serialised last

    def to_dict(self) -> dict:
        out = {"name": self.name, "version": self.version, "backend": self.backend, "seconds": self.seconds,
               "solver_seconds": self.solver_seconds, "solves": self.solves, "mip": self.mip}
        if self.nash_gap is not None:
            out["nash_gap"] = self.nash_gap
        out.update(self.extra)
        return out


    @classmethod
    def from_dict(cls, d: dict) -> "SolverInfo":
        """From the dictionary a solve reports (keys beyond the known ones are kept)."""
        known = ("name", "version", "backend", "seconds", "solver_seconds", "solves", "mip", "nash_gap")
        return cls(**{k: d[k] for k in known if k in d}, extra={k: v for k, v in d.items() if k not in known})


def trusted(cls):
    """A constructor of the frozen dataclass `cls` taking every field's value in field order, for
    values the library computed itself: the instance's attributes are set at once, not one by
    one through object.__setattr__ as the frozen __init__ sets them (the proposal of an
    enumerated agreement makes one per party and per row, on a solve of about 0.1 ms). No
    defaults and no __post_init__: the caller passes every field as __post_init__ leaves it."""
    names = tuple(f.name for f in fields(cls))
    new = object.__new__

    def made(*values):
        if len(values) != len(names):
            raise TypeError(f"{cls.__name__} takes {len(names)} values, got {len(values)}")
        obj = new(cls)
        obj.__dict__.update(zip(names, values))
        return obj

    made.__qualname__ = f"trusted({cls.__name__})"
    made.__doc__ = f"A {cls.__name__} from every field's value, in field order (values the library computed)."
    return made


solver_info = trusted(SolverInfo)
