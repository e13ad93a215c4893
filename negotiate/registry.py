"""The solution concepts, registered once: names, aliases, how each is solved, its prices.

The schema (`solve.concept`), the CLI, the reports and `compare(concepts="all")`
read this registry; adding a concept means adding one `Concept` here (and its
method on `ConceptRunner`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Concept:
    """A solution concept of CASE_FORMAT.md section 3."""

    name: str
    title: str  # in words, for reports and help
    aliases: tuple[str, ...]
    solve: Callable  # ConceptRunner -> Outcome: the concept's own solves on a built model
    prices: str  # what its shadow prices are the sensitivity of
    needs_ideals: bool = False  # every party's ideal is computed first

    def __str__(self) -> str:
        return self.name


def _egalitarian(runner):
    return runner.leximin({p: 1.0 / runner.weight[p] for p in runner.parties})


CONCEPTS: dict[str, Concept] = {c.name: c for c in (
    Concept("utilitarian", "utilitarian (largest weighted sum of utilities)", (),
            lambda runner: runner.utilitarian(), "collective benefit"),
    Concept("egalitarian", "egalitarian (leximin of weighted gains)", (),
            _egalitarian, "the smallest weighted gain"),
    Concept("kalai_smorodinsky", "Kalai-Smorodinsky (leximin of satisfactions)", ("ks", "kalai-smorodinsky"),
            lambda runner: runner.kalai_smorodinsky(), "the smallest satisfaction", needs_ideals=True),
    Concept("nash", "Nash bargaining (largest weighted sum of log gains)", (),
            lambda runner: runner.nash(), "the Nash objective (weighted sum of log gains)"),
)}
NAMES: tuple[str, ...] = tuple(CONCEPTS)
ALIASES: dict[str, str] = {a: c.name for c in CONCEPTS.values() for a in c.aliases}


def concept(name: str) -> Concept:
    """The registered concept called `name` (or one of its aliases); ValueError otherwise."""
    found = CONCEPTS.get(ALIASES.get(name, name))
    if found is None:
        raise ValueError(f"unknown concept {name!r}; choose one of {choices()}")
    return found


def choices() -> str:
    """`utilitarian | egalitarian | kalai_smorodinsky (ks) | nash`, for help and errors."""
    return " | ".join(c.name + (f" ({', '.join(a for a in c.aliases if '-' not in a)})"
                                if any('-' not in a for a in c.aliases) else "") for c in CONCEPTS.values())
