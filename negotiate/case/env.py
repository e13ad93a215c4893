"""The names of a case as an expression sees them: parameters, issues, parties and their data.

Its own module so that resolve and the two-level formulation (decision rules,
ratification) both read names the same way without importing each other.
"""

from __future__ import annotations

from negotiate.case.expr import Env
from negotiate.case.schema import Case


class PartyList(list):
    """The party ids in case order, with set-speed `in` (resolve asks it per name)."""

    def __init__(self, ids):
        super().__init__(ids)
        self._ids = frozenset(self)

    def __contains__(self, party) -> bool:
        return party in self._ids


_ENV_PARTS: dict = {}  # id(case) -> (case, parties, data): built once per case, not per criterion


def env_for(case: Case, party: str | None = None) -> Env:
    """The names of `case` as an expression sees them (for `party`'s own criteria and limits).

    The party list and data map are built once per case: resolve stays linear in parties."""
    kept = _ENV_PARTS.get(id(case))
    if kept is None or kept[0] is not case:
        if len(_ENV_PARTS) > 8:
            _ENV_PARTS.clear()
        kept = _ENV_PARTS[id(case)] = (case, PartyList(case.parties),
                                       {p: party_.data for p, party_ in case.parties.items()})
    return Env(parameters=case.parameters, issues=case.issues, parties=kept[1], data=kept[2], self_party=party)
