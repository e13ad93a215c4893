"""Validating plain data as a Case: structure (pydantic), then meaning (resolve).

Every problem becomes a located `Finding`; all of them are raised together
in one `CaseError`, in reading order.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from negotiate.case.expr import did_you_mean
from negotiate.case.resolve import check_case
from negotiate.case.schema import Case, freeze
from negotiate.case.source import Path, SourceMap, dotted
from negotiate.errors import CaseError, Finding, Location


def validate_data(data: dict, source: SourceMap | None = None, changed: list[str] | None = None) -> Case:
    """Validate plain data as a Case: structure (pydantic), then meaning (resolve).

    Structural problems do not hide the others: the parts at fault are set
    aside and what remains is checked for meaning too, so a user sees every
    problem in one run.
    """
    source = source or SourceMap()
    try:
        case = Case.model_validate(data)
    except ValidationError as e:
        problems = _problems_from_pydantic(e, data, source, changed)
        problems += _salvaged_problems(data, e, source, {p.path for p in problems})
        raise CaseError(_sorted(_with_changed(problems, changed))) from None
    case._source = source
    problems = check_case(case)
    if problems:
        raise CaseError(_sorted(_with_changed(problems, changed)))
    return case


def _sorted(problems: list[Finding]) -> list[Finding]:
    """In reading order (file, line, column), each distinct problem once.

    A mistake in a model's `every_party` block is inherited by every party:
    it is reported once, at its place in the model, with how many it affects.
    """
    groups: dict[tuple, list[Finding]] = {}
    for p in problems:
        key = (p.location.file, p.location.line, p.location.col, p.message) if p.location.line else (id(p),)
        groups.setdefault(key, []).append(p)
    out = []
    for same in groups.values():
        p = same[0]
        if len(same) > 1:
            parties = sorted({q.path.split(".")[1] for q in same if q.path.startswith("parties.")})
            if len(parties) > 1:
                p = Finding(f"{p.message} (inherited by {len(parties)} parties: {', '.join(parties[:5])}"
                            f"{', ...' if len(parties) > 5 else ''})", p.path, p.location, p.value, p.hint)
        out.append(p)
    big = 1 << 30
    return sorted(out, key=lambda p: (p.location.file or "", p.location.line or big, p.location.col or 0))


def validate_structure(data: dict, source: SourceMap | None, changed: list[str]) -> Case:
    """Structure only (pydantic), for changes whose meaning is checked incrementally."""
    try:
        case = Case.model_validate(data)
    except ValidationError as e:
        raise CaseError(_sorted(_problems_from_pydantic(e, data, source or SourceMap(), changed))) from None
    case._source = source
    return case


def changed_error(problems: list[Finding], changed: list[str]) -> CaseError:
    """One CaseError for the problems a change caused, located at the changed paths."""
    return CaseError(_sorted(_with_changed(problems, changed)))


def _salvaged_problems(data: dict, error: ValidationError, source: SourceMap, seen: set) -> list[Finding]:
    """Problems of meaning in what is left once structurally broken parts are removed."""
    import copy

    trimmed = copy.deepcopy(data)
    for _ in range(4):
        removed = False
        for e in error.errors(include_url=False):
            path = _data_path(e["loc"], trimmed, keep_last=False)
            removed |= _remove(trimmed, path)
        if not removed:
            return []
        try:
            case = Case.model_validate(trimmed)
        except ValidationError as again:
            error = again
            continue
        case._source = source
        return [p for p in check_case(case)
                if not any(p.path == s or p.path.startswith(s + ".") or s.startswith(p.path + ".") for s in seen)]
    return []


def _remove(data: dict, path: tuple) -> bool:
    if not path:
        return False
    node = data
    for step in path[:-1]:
        node = node[step] if isinstance(node, dict) else node[int(step)]
    if isinstance(node, dict) and path[-1] in node:
        del node[path[-1]]
        return True
    return _remove(data, path[:-1]) if isinstance(node, list) else False


def _with_changed(problems: list[Finding], changed: list[str] | None) -> list[Finding]:
    if not changed:
        return problems
    out = []
    for p in problems:
        if any(p.path == c or p.path.startswith(c + ".") for c in changed):
            p = Finding(p.message, p.path, Location("<change>"), p.value, p.hint)
        out.append(p)
    return out


_MESSAGES = {
    "missing": "missing required key",
    "finite_number": "must be a finite number (not NaN or infinity)",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "dict_type": "expected a mapping (key: value)",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "too_short": "too few entries",
    "too_long": "too many entries",
    "string_pattern_mismatch": "is not a valid id (ids start with a letter and use letters, digits and _)",
}


def _problems_from_pydantic(err: ValidationError, data: dict, source: SourceMap,
                            changed: list[str] | None) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for e in err.errors(include_url=False):
        path = _data_path(e["loc"], data, keep_last=e["type"] == "missing")
        key = dotted(path)
        if key in seen:  # one message per place (union members all complain)
            continue
        problem = _problem(e, path, data, source)
        seen[key] = problem
    return _with_changed(list(seen.values()), changed)


def _data_path(loc: tuple, data: Any, keep_last: bool) -> Path:
    """pydantic's loc without union tags: only steps that exist in the data."""
    path: list[str] = []
    node = data
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and str(step) in node:
            node = node[str(step)]
            path.append(str(step))
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            path.append(str(step))
        elif step == "[key]":
            continue
        elif last and keep_last:
            path.append(str(step))
    return tuple(path)


def _problem(e: dict, path: Path, data: dict, source: SourceMap) -> Finding:
    kind, loc = e["type"], source.locate(path)
    value = e.get("input")
    where = dotted(path)
    if kind == "extra_forbidden":
        allowed = _fields_at(path[:-1])
        hint = did_you_mean(path[-1], allowed) if allowed else None
        if not hint and allowed:
            hint = "allowed here: " + ", ".join(allowed)
        return Finding(f"unknown key `{path[-1]}`", where, loc, None, hint)
    if kind == "missing":
        return Finding(f"missing required key `{path[-1]}`", where, source.locate(path[:-1]))
    if "[key]" in e["loc"] and kind == "string_pattern_mismatch":
        return Finding(f"`{value}` is not a valid id", where, loc, None,
                       "ids start with a letter and use only letters, digits and _")
    msg = _MESSAGES.get(kind)
    if kind in ("value_error", "assertion_error"):
        msg = re.sub(r"^(Value|Assertion) error, ", "", e["msg"])
    if msg is None:
        msg = e["msg"][0].lower() + e["msg"][1:]
    shown = None if isinstance(value, (dict, list)) else value
    return Finding(msg, where, loc, shown)


def _fields_at(path: Path) -> list[str]:
    """Field names of the schema model at a data path (for "did you mean")."""
    cls: Any = Case
    steps = list(path)
    while steps:
        step = steps.pop(0)
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or step not in cls.model_fields:
            return []
        ann = cls.model_fields[step].annotation
        cls = _model_in(ann)
        if cls is None:
            return []
        if _is_mapping(ann):
            if not steps:
                return []
            steps.pop(0)  # the id
    return list(cls.model_fields) if isinstance(cls, type) and issubclass(cls, BaseModel) else []


def _model_in(ann: Any):
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _is_mapping(ann: Any) -> bool:
    return typing.get_origin(ann) is dict


# -- what-if changes: only the changed parts validated -----------------------------------
_MODEL_MAPS = ("parties", "issues")  # top-level mappings of models: an untouched entry is taken as validated
_MODELS = ("solve", "decision_rule")  # top-level models: taken as validated when untouched


def validate_changed(data: dict, old: Case, changed: list[tuple], paths: list[str]) -> Case:
    """Structure of `data`, which is `old`'s data with changes at the key paths `changed`
    (negotiate.case.changes): the changed parties, issues and fields are validated, the
    untouched ones are `old`'s validated models, which pydantic takes as they are (so 199
    parties are not validated again because one moved its red line). The Case is the one
    `validate_structure(data, ...)` gives, field for field; a problem is reported by it
    (the whole data validated, the same messages)."""
    if _case_checks() != _CASE_CHECKS:  # a check of the whole Case this function does not know of
        return validate_structure(data, old._source, paths)
    params, issues = data.get("parameters"), data.get("issues")
    if isinstance(params, dict) and isinstance(issues, dict) and set(params) & set(issues):
        # _names_distinct compares every parameter with every issue: given only the changed
        # entries below, it would miss a new parameter named as an untouched issue
        return validate_structure(data, old._source, paths)
    given, merged = dict(data), {}
    for key in _MODEL_MAPS:
        mine = data.get(key)
        kept = getattr(old, key)
        if not isinstance(mine, dict) or (key,) in changed:
            continue
        moved = {k[1] for k in changed if k[0] == key and len(k) > 1}
        settled = _settled_again(changed, old) if key == "parties" else None
        merged[key] = {i: _kept(kept[i], settled is None or i in settled) if i in kept and i not in moved else v
                       for i, v in mine.items()}
        # the mapping is validated with its changed entries only (a model's own validators run
        # again on a model instance given to pydantic: 200 parties' would cost milliseconds);
        # the untouched entries join it after (no check of the Case reads them: _CASE_CHECKS)
        given[key] = {i: v for i, v in merged[key].items() if not isinstance(v, BaseModel)} \
            or dict([next(iter(merged[key].items()))] if merged[key] else [])
    for key in _MODELS:
        if key in data and not any(k[0] == key for k in changed) and isinstance(getattr(old, key), BaseModel):
            given[key] = getattr(old, key)
    try:
        case = Case.model_validate(given)
    except ValidationError:
        return validate_structure(data, old._source, paths)
    if merged:
        validated = {key: getattr(case, key) for key in merged}
        case = case.model_copy(update={key: freeze({i: validated[key].get(i, v) for i, v in entries.items()})
                                       for key, entries in merged.items()})
    case._source = old._source
    return case


# Case's own validators: parameter and issue ids not reserved, parameters and issues apart,
# mappings frozen. Only _names_distinct reads the issues (all of them: `validate_changed` checks
# that clash itself on the whole data); none reads the parties, so those can be validated with
# only their changed entries (`validate_changed`); a new check sends it the slow way.
_CASE_CHECKS = frozenset({"_not_reserved", "_names_distinct", "_freeze"})


def _case_checks() -> frozenset:
    found = Case.__pydantic_decorators__
    return frozenset(found.field_validators) | frozenset(found.model_validators)


def _kept(model: BaseModel, may_move: bool = True) -> BaseModel:
    """An untouched part of the old case for the new one. A party whose reservation is computed
    at the status quo gets its own copy when the change may move that value (`may_move`):
    resolving the new case sets the value on it, and the old case (a session's snapshot) keeps
    its own. Otherwise resolving sets the same value again, and the party is shared."""
    if may_move and getattr(getattr(model, "reservation", None), "from_status_quo", False):
        return model.model_copy()
    return model


# Top-level parts of a case that no party's utility reads: a change there moves no reservation.
_NOT_IN_UTILITIES = frozenset({"name", "description", "constraints", "solve", "options", "scenarios",
                               "decision_rule"})


def _settled_again(changed: list[tuple], old: Case) -> set | None:
    """The untouched parties whose reservation at the status quo the changes at `changed` may
    move: those whose criteria (curves or weights) name a changed parameter or another party's
    changed `data.F`. None: any party (a change of the status quo, an issue, a whole party...).
    A changed party itself is validated again, never kept; nobody else reads its criteria,
    limits, reservation or weight."""
    from negotiate.case.resolve import dependents

    resolved = getattr(old, "_resolved", None)
    out: set = set()
    for keys in changed:
        if keys[0] in _NOT_IN_UTILITIES or (keys[0] == "parties" and len(keys) >= 3 and keys[2] != "data"):
            continue
        if keys[0] == "parameters" and len(keys) == 2:
            name = keys[1]
        elif keys[0] == "parties" and len(keys) == 4 and keys[2] == "data":
            name = "data." + keys[3]  # its `data.F[self]` is its own items' only
        else:
            return None
        if resolved is None:
            return None
        out |= {u[1] for u in dependents(resolved, name) if u[0] == "criteria"}
    return out
