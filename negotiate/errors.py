"""User-facing errors: located problems in case files, and solver failures.

A `CaseError` carries every problem found at once; each `Finding` says where
(file:line:col and the dotted path), what, the offending value and a hint.
Internal bugs are ordinary exceptions and are never dressed up as these.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    file: str | None = None
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based

    def __str__(self) -> str:
        parts = [self.file or "<case>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a case, located and explained.

    (Named `Finding`, not `Problem`: `compile.Problem` is the compiled model.)
    """

    message: str
    path: str = ""  # dotted path in the case: parties.CHN.limits.max_cut
    location: Location = field(default_factory=Location)
    value: object = None  # the offending value, quoted back to the user
    hint: str | None = None

    @property
    def shown_value(self) -> str | None:
        """The offending value, quoted and shortened for display."""
        return None if self.value is None else _short(self.value)

    def __str__(self) -> str:
        head = f"{self.location}"
        if self.path:
            head += f": {self.path}"
        text = f"{head}: {self.message}"
        if self.value is not None:
            text += f" (got {self.shown_value})"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "path": self.path,
            "message": self.message,
            "value": self.shown_value,
            "hint": self.hint,
        }


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class NegotiateError(Exception):
    """Base of every error negotiate raises on purpose."""


class CaseError(NegotiateError):
    """A case (file, model or change) is invalid; holds every problem found."""

    def __init__(self, problems: list[Finding]):
        self.problems = list(problems)
        n = len(self.problems)
        summary = f"{n} problem{'s' if n != 1 else ''} in the case"
        super().__init__(summary + ":\n" + "\n".join(str(p) for p in self.problems))


# The old name, for code written before the rename; new code says `Finding`.
Problem = Finding


class SolveError(NegotiateError):
    """The solver failed (not: no agreement exists, which is a status)."""
