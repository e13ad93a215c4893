"""One grammar of changes: a dotted path and a value, parsed into a typed `Change`.

`Case.update`, `Negotiation.set`/`update`/`scenario`/`sweep`, the CLI's `--set`
and compare's scenarios and sweeps all go through `parse_changes`, so a path is
understood, checked and reported the same way everywhere:

    parameters.NAME                      a parameter (new ones need create=True)
    parties.P.reservation | .weight | .name | .description
    parties.P.criteria.C[.FIELD]         a criterion, or one of its fields
    parties.P.limits.L                   a red line (a new one is fine; a near miss of
                                         an existing name is taken for a typo)
    parties.P.data.F[.Q]                 a data value, or one entry of a data row
    constraints.C                        a collective constraint (as limits)
    issues.I.FIELD                       an issue's range, unit, ...
    solve.FIELD, name, description, options.O, scenarios.S
    status_quo.I[.P]                     the status quo of an issue (of one party's, or `default`)
    blocs.B, coalition_rules.C           a bloc's members, a constraint's coalition rule
    decision_rule[...]                   the case's decision rule (two-level cases)
    parties.P.role | .constituencies.K[...] | .ratification[...]   a party's part in ratification

A path that names an unknown parameter, party, criterion, limit, data field,
issue or field is a `CaseError` located at `<change>` (never the case or model
file), with "did you mean". `Change.touches` says which parts of the model the
change reaches; `units` which resolved items must be computed again.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from negotiate.case.expr import did_you_mean
from negotiate.errors import CaseError, Location, Problem

CHANGE = Location("<change>")

# what a change reaches in the compiled model
BOUNDS = "column bounds"  # issue ranges
ROWS = "rows"  # limits and constraints
CURVES = "score curves"  # criteria
OBJECTIVE = "objectives"  # party weights: concepts' objectives only
ACCEPTANCE = "reservation rows"
VALUES = "every expression naming it"  # parameters and data
STRUCTURE = "the model's structure"  # parties, discrete issues
SETTINGS = "solver settings"
NOTHING = "nothing solved"

_PARTY_LEAVES = {"reservation": ACCEPTANCE, "weight": OBJECTIVE, "name": NOTHING, "description": NOTHING}
_TWO_LEVEL = ("role", "constituencies", "ratification")  # a party's part in ratification (CASE_FORMAT section 7)
_ISSUE_FIELDS = {"range": BOUNDS, "unit": NOTHING, "description": NOTHING, "options": STRUCTURE,
                 "per_party": STRUCTURE, "integer": STRUCTURE}
_TOP = ("name", "description", "parameters", "issues", "constraints", "parties", "solve", "options", "scenarios",
        "status_quo", "blocs", "coalition_rules", "decision_rule")


@dataclass(frozen=True)
class Change:
    """One change: where (`keys`), what (`value`), what it is (`kind`) and what it reaches."""

    path: str
    keys: tuple[str, ...]
    value: Any
    kind: str  # parameter | reservation | party | criterion | limit | constraint | data | issue | solve | case
    touches: frozenset
    party: str | None = None
    item: str | None = None  # the parameter, criterion, limit, constraint, data field or issue id
    new: bool = False  # adds what the case did not have

    def __str__(self) -> str:
        return f"{self.path} = {self.value!r}"

    @property
    def structural(self) -> bool:
        return STRUCTURE in self.touches

    def names(self) -> set[str] | None:
        """Names an expression would use to refer to what changed: parameters and `data.F`
        (empty: no expression can name it; None: not a value change)."""
        if self.kind == "parameter":
            return {self.item}
        if self.kind == "data":  # (read as `data.F[self]`, by the party's own items)
            return {"data." + self.item, f"data.{self.item}[self]"}
        if VALUES in self.touches:
            return None
        return set()


def _err(path: str, message: str, value: Any = None, hint: str | None = None) -> CaseError:
    return CaseError([Problem(message, path, CHANGE, value, hint)])


def _known(path: str, what: str, name: str, choices: Iterable[str], extra_hint: str | None = None) -> None:
    choices = list(choices)
    if name in choices:
        return
    hint = did_you_mean(name, choices)
    if hint is None and choices:
        hint = f"{what}s: {', '.join(choices[:12])}{', ...' if len(choices) > 12 else ''}"
    if extra_hint:
        hint = f"{hint}; {extra_hint}" if hint else extra_hint
    raise _err(path, f"unknown {what} `{name}`", None, hint)


def _fields(model) -> list[str]:
    return list(model.model_fields)


def parse_change(case, path: str, value: Any, create: bool = False) -> Change:
    """The typed change of `path` on `case` (a Case), or a CaseError located at `<change>`."""
    from negotiate.case.schema import Criterion, Issue, SolveSettings

    if not isinstance(path, str) or not path.strip():
        raise _err(str(path), "a change needs a dotted path, e.g. parameters.target", None)
    keys = tuple(path.split("."))
    if any(not k for k in keys):
        raise _err(path, "empty step in the path", None, "paths look like parties.EU.reservation")
    head, rest = keys[0], keys[1:]
    _known(path, "top-level key", head, _TOP)

    def leaf(depth: int, what: str) -> None:
        if len(keys) > depth:
            raise _err(path, f"`{what}` holds a single value: the path cannot go deeper than "
                             f"`{'.'.join(keys[:depth])}`", value)

    def need(depth: int, what: str) -> None:
        if len(keys) < depth:
            raise _err(path, f"the path must name {what}", value)

    if head in ("name", "description"):
        leaf(1, head)
        return Change(path, keys, value, "case", frozenset({NOTHING}))
    if head == "parameters":
        need(2, "a parameter: parameters.NAME")
        leaf(2, "parameters." + rest[0])
        name = rest[0]
        new = name not in case.parameters
        if new and not create:
            _known(path, "parameter", name, case.parameters,
                   "a new parameter needs create=True (--set-new on the command line)")
        return Change(path, keys, value, "parameter", frozenset({VALUES}), item=name, new=new)
    if head == "issues":
        need(2, "an issue: issues.ID.FIELD")
        iid = rest[0]
        if iid not in case.issues:
            if not (create and len(keys) == 2):
                _known(path, "issue", iid, case.issues, "a new issue needs create=True")
            return Change(path, keys, value, "issue", frozenset({STRUCTURE}), item=iid, new=True)
        if len(keys) == 2:
            return Change(path, keys, value, "issue", frozenset({STRUCTURE}), item=iid)
        _known(path, "issue field", keys[2], _fields(Issue))
        leaf(3, keys[2])
        return Change(path, keys, value, "issue", frozenset({_ISSUE_FIELDS.get(keys[2], STRUCTURE)}), item=iid)
    if head == "constraints":
        need(2, "a constraint: constraints.ID")
        leaf(2, "constraints." + rest[0])
        return _named_row(case.constraints, path, keys, value, "constraint", None, rest[0], create)
    if head == "solve":
        need(2, "a setting: solve.FIELD")
        _known(path, "solve setting", rest[0], _fields(SolveSettings))
        leaf(2, rest[0])
        touched = SETTINGS if rest[0] in ("time_limit", "mip_gap") else \
            ACCEPTANCE if rest[0] == "require_acceptance" else NOTHING
        return Change(path, keys, value, "solve", frozenset({touched}), item=rest[0])
    if head == "status_quo":
        # the no-agreement point: it moves the reservations written `status_quo`
        need(2, "an issue: status_quo.ISSUE[.PARTY]")
        _known(path, "issue", rest[0], case.issues)
        if len(keys) == 3:
            _known(path, "party", keys[2], list(case.parties) + ["default"])
        leaf(3, ".".join(keys[:3]))
        return Change(path, keys, value, "status_quo", frozenset({ACCEPTANCE}), item=rest[0])
    if head in ("blocs", "coalition_rules"):
        # read by coalition analysis only (negotiate.analysis.coalitions): nothing solved changes
        need(2, f"a name: {head}.NAME")
        leaf(2, f"{head}.{rest[0]}")
        return Change(path, keys, value, "case", frozenset({NOTHING}), item=rest[0])
    if head == "decision_rule":
        # the rule's rows and binaries are rebuilt with it (a two-level case is never patched)
        return Change(path, keys, value, "case", frozenset({STRUCTURE}), item="decision_rule")
    if head in ("options", "scenarios"):
        if len(keys) == 1:  # all of them at once (a mapping of name -> package or changes)
            return Change(path, keys, value, "case", frozenset({NOTHING}), item=head)
        return Change(path, keys, value, "case", frozenset({NOTHING}), item=rest[0])
    # parties
    need(2, "a party: parties.ID...")
    p = rest[0]
    if p not in case.parties:
        if create and len(keys) == 2:
            return Change(path, keys, value, "party", frozenset({STRUCTURE}), party=p, new=True)
        _known(path, "party", p, case.parties)
    if len(keys) == 2:
        return Change(path, keys, value, "party", frozenset({STRUCTURE}), party=p)
    party = case.parties[p]
    sub = keys[2]
    _known(path, "party field", sub, list(_PARTY_LEAVES) + ["criteria", "limits", "data"] + list(_TWO_LEVEL))
    if sub in _TWO_LEVEL:  # ratification is rebuilt with the case (a two-level case is never patched)
        if sub == "constituencies" and len(keys) >= 4 and not create and not isinstance(value, dict):
            _known(path, "constituency", keys[3], party.constituencies)
        if sub == "role":
            leaf(3, sub)
        return Change(path, keys, value, "party", frozenset({STRUCTURE}), party=p, item=sub)
    if sub in _PARTY_LEAVES:
        leaf(3, sub)
        kind = "reservation" if sub == "reservation" else "party"
        return Change(path, keys, value, kind, frozenset({_PARTY_LEAVES[sub]}), party=p, item=sub)
    need(4, f"an id: parties.{p}.{sub}.ID")
    item = keys[3]
    if sub == "limits":
        leaf(4, f"parties.{p}.limits.{item}")
        return _named_row(party.limits, path, keys, value, "limit", p, item, create)
    if sub == "criteria":
        if item not in party.criteria:
            if not (len(keys) == 4 and (create or isinstance(value, dict))):
                _known(path, "criterion", item, party.criteria,
                       "a new criterion takes a whole mapping (of, points/function/scores, weight)")
            return Change(path, keys, value, "criterion", frozenset({CURVES}), party=p, item=item, new=True)
        if len(keys) >= 5:
            _known(path, "criterion field", keys[4], _fields(Criterion))
            leaf(5, keys[4])
        return Change(path, keys, value, "criterion", frozenset({CURVES}), party=p, item=item)
    # data
    if item not in party.data and not create:
        everyone = sorted({f for q in case.parties.values() for f in q.data})
        _known(path, "data field", item, everyone or list(party.data),
               "a new data field needs create=True")
    if len(keys) >= 5:
        row = party.data.get(item)
        if not isinstance(row, dict):
            raise _err(path, f"`data.{item}` of {p} is a number, not a row over parties", value)
        _known(path, "party", keys[4], case.parties)
        leaf(5, f"data.{item}.{keys[4]}")
    return Change(path, keys, value, "data", frozenset({VALUES}), party=p, item=item,
                  new=item not in party.data)


def _named_row(existing, path, keys, value, kind, party, item, create) -> Change:
    """A limit or constraint: changed, removed (None) or added. A new name close to an
    existing one is taken for a typo unless `create`."""
    new = item not in existing
    if new:
        if value is None:
            _known(path, kind, item, existing)
        close = did_you_mean(item, existing)
        if close and not create:
            raise _err(path, f"unknown {kind} `{item}`", None,
                       f"{close} (to add a new {kind} with this name, use create=True)")
    return Change(path, keys, value, kind, frozenset({ROWS}), party=party, item=item, new=new)


def parse_changes(case, changes: dict[str, Any], create: bool = False) -> list[Change]:
    """Every change of `changes` parsed; all problems reported together."""
    out, problems = [], []
    for path, value in changes.items():
        try:
            out.append(parse_change(case, path, value, create))
        except CaseError as e:
            problems += e.problems
    if problems:
        raise CaseError(problems)
    return out


def apply_changes(data: dict, changes: list[Change]) -> dict:
    """A copy of plain case `data` with the changes (copy on write along each path;
    a value of None removes a limit, constraint, criterion, option or scenario)."""
    out = copy.copy(data)
    for ch in changes:
        node = out
        for key in ch.keys[:-1]:
            child = node.get(key) if isinstance(node, dict) else None
            child = copy.copy(child) if isinstance(child, dict) else {}
            node[key] = child
            node = child
        if ch.value is None and _removable(ch):
            node.pop(ch.keys[-1], None)
        else:
            node[ch.keys[-1]] = _plain(ch.value)
    return out


def _removable(ch: Change) -> bool:
    """A whole limit, constraint, criterion, option or scenario: None removes it."""
    whole = {"limit": 4, "criterion": 4, "constraint": 2}.get(ch.kind)
    if whole is not None:
        return len(ch.keys) == whole
    return ch.keys[0] in ("options", "scenarios") and len(ch.keys) == 2


def _plain(value: Any) -> Any:
    """A deep, mutable copy (frozen containers of a Case become dicts and lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def units(changes: list[Change], old, new) -> set | None:
    """The resolved items (criteria of a party, limit and constraint rows) to compute
    again for `new`, or None when everything must be (structure changed)."""
    from negotiate.case.resolve import _unit_names, dependents, unit_party, units_of

    if list(new.parties) != list(old.parties) or _issues_shape(new) != _issues_shape(old):
        return None
    out: set = set()
    for ch in changes:
        if ch.structural:
            return None
        if ch.kind in ("parameter", "data"):
            name = ch.item if ch.kind == "parameter" else "data." + ch.item
            own = f"{name}[self]" if ch.kind == "data" else None  # read by a party's own items only
            if getattr(old, "_resolved", None) is not None:
                # the old case's users of the name (units whose texts this batch changes are
                # added below, by their own changes)
                out |= dependents(old._resolved, name)
                if own is not None:
                    out |= {u for u in dependents(old._resolved, own) if unit_party(u) == ch.party}
                continue
            for u in units_of(new):
                used = _unit_names(new, u)
                if name in used or (own in used and unit_party(u) == ch.party):
                    out.add(u)
        elif ch.kind == "criterion":
            out.add(("criteria", ch.party))
        elif ch.kind == "limit":
            out.add(("row", "parties", ch.party, "limits", ch.item))
        elif ch.kind == "constraint":
            out.add(("row", "constraints", ch.item))
    return out


def changed_names(changes: list[Change]) -> set | None:
    """Parameters and `data.F`s that changed (None: a change that is not about values)."""
    out: set = set()
    for ch in changes:
        names = ch.names()
        if names is None or ch.kind == "criterion" or ch.structural:
            return None
        out |= names
    return out


def _issues_shape(case) -> list:
    """What of the issues fixes the model's structure (not their ranges, units or descriptions)."""
    return [(i, list(issue.options or ()), issue.per_party, issue.integer) for i, issue in case.issues.items()]
