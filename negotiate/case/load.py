"""Read case files (YAML, JSON, TOML) with positions, merge a model, validate.

Every problem becomes a located `Problem`; all of them are raised together
as one `CaseError`. Nothing here solves anything.
"""

from __future__ import annotations

import json
import re
import tomllib
import typing
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from negotiate.case.schema import Case
from negotiate.case.source import Path, SourceMap, dotted
from negotiate.errors import CaseError, Location, Problem

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NODES = 500_000  # values made by expanding aliases: stops "billion laughs" documents


# -- reading ---------------------------------------------------------------
def read_document(path: str | FsPath) -> tuple[dict, SourceMap]:
    """Plain data and positions of one case or model file."""
    path = FsPath(path)
    name = str(path)
    if not path.exists():
        raise CaseError([Problem("file not found", location=Location(name),
                                 hint="check the path; case files are YAML, JSON or TOML")])
    if path.is_dir():
        raise CaseError([Problem("this is a folder, not a case file", location=Location(name))])
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CaseError([Problem(f"cannot read the file ({e.strerror})", location=Location(name))]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise CaseError([Problem(f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB", location=Location(name))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CaseError([Problem(f"the file is not UTF-8 text (byte {e.start})", location=Location(name))]) from None
    return parse_document(text, name, path.suffix.lower())


def parse_document(text: str, name: str = "<case>", suffix: str = ".yaml") -> tuple[dict, SourceMap]:
    if not text.strip():
        raise CaseError([Problem("the file is empty", location=Location(name),
                                 hint="a case needs at least `name`, `issues` and `parties`")])
    if suffix == ".toml":
        data, source = _read_toml(text, name), _toml_positions(text, name)
    elif suffix == ".json":
        data, source = _read_json(text, name)
    else:
        data, source = _read_yaml(text, name)
    if not isinstance(data, dict):
        raise CaseError([Problem("the top level must be a mapping of keys (name, issues, parties, ...)",
                                 location=Location(name, 1, 1), value=type(data).__name__)])
    return data, source


def _read_toml(text: str, name: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        loc = Location(name, int(m.group(1)), int(m.group(2))) if m else Location(name)
        msg = re.sub(r"\s*\(at line.*\)", "", str(e))
        raise CaseError([Problem(f"TOML syntax error: {msg}", location=loc)]) from None


def _toml_positions(text: str, name: str) -> SourceMap:
    """Line:col of `[table]` headers and `key = value` lines (tomllib keeps none)."""
    source = SourceMap(name)
    table: tuple = ()
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if m:
            table = tuple(_toml_key(k) for k in m.group(1).split("."))
            source.positions.setdefault(table, (n, line.index("[") + 1))
            continue
        m = re.match(r"^([A-Za-z0-9_\-\.\"' ]+?)\s*=", stripped)
        if m and not stripped.startswith("#"):
            path = table + tuple(_toml_key(k) for k in m.group(1).split("."))
            col = line.index("=") + 2 + (len(line[line.index("=") + 1:]) - len(line[line.index("=") + 1:].lstrip()))
            source.positions.setdefault(path, (n, col))
    return source


def _toml_key(k: str) -> str:
    return k.strip().strip('"').strip("'")


def _read_json(text: str, name: str) -> tuple[Any, SourceMap]:
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise CaseError([Problem(f"JSON syntax error: {e.msg}", location=Location(name, e.lineno, e.colno))]) from None
    except RecursionError:
        raise CaseError([Problem("the JSON is nested too deeply", location=Location(name))]) from None
    try:  # JSON is YAML 1.2: read again for positions
        return _read_yaml(text, name)
    except CaseError:
        return json.loads(text), SourceMap(name)


def _read_yaml(text: str, name: str) -> tuple[Any, SourceMap]:
    """Valid documents: the C parser, positions read only if a problem needs them.
    Anything the fast reader is unsure of (errors, aliases, merge keys, duplicate
    or non-text keys, timestamps, unusual numbers) is read by ruamel as before."""
    from negotiate.case.fast_yaml import TOO_BIG, fast_load

    data = fast_load(text, MAX_NODES)
    if data is TOO_BIG:
        raise _too_big(name)
    if data is not _SLOW:
        return data, _LazySourceMap(name, text)
    return _read_yaml_located(text, name)


def _too_big(name: str) -> CaseError:
    return CaseError([Problem(
        f"the document expands to more than {MAX_NODES:,} values",
        location=Location(name), hint="YAML anchors/aliases nested many levels deep (an 'alias bomb')?",
    )])


def _read_yaml_located(text: str, name: str) -> tuple[Any, SourceMap]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        what = (e.problem or e.context or "invalid YAML").strip()
        hint = None
        if "duplicate key" in str(e).lower():
            what, hint = "a key appears twice in the same mapping", "each id may appear once"
        raise CaseError([Problem(f"YAML syntax error: {what}", location=loc, hint=hint)]) from None
    except (YAMLError, RecursionError, ValueError) as e:
        raise CaseError([Problem(f"YAML error: {str(e).splitlines()[0][:200]}", location=Location(name))]) from None
    source = SourceMap(name)
    budget = [MAX_NODES]
    try:
        data = _plain(doc, (), source, budget, set())
    except _TooBig:
        raise _too_big(name) from None
    except RecursionError:
        raise CaseError([Problem("the document is nested too deeply", location=Location(name))]) from None
    return data, source


class _TooBig(Exception):
    pass


_SLOW = None  # fast_load's answer when ruamel must read the document


class _LazySourceMap(SourceMap):
    """A SourceMap whose positions are read (by ruamel) the first time they are asked for."""

    def __init__(self, file: str, text: str):
        super().__init__(file)
        del self.positions  # reading it calls __getattr__ below, once
        self._text = text

    def __getattr__(self, attr: str):
        if attr != "positions":
            raise AttributeError(attr)
        text, self._text = self.__dict__.get("_text"), None
        self.positions = {}
        if text is not None:
            try:
                _, located = _read_yaml_located(text, self.file)
                self.positions = located.positions
            except CaseError:  # the fast reader read it: ruamel should too; without positions then
                pass
        return self.positions


def _plain(node: Any, path: Path, source: SourceMap, budget: list[int], seen: set,
           expanding: bool = False) -> Any:
    """ruamel's round-trip nodes -> plain dict/list/scalars, recording positions.

    `budget` counts the values made by expanding aliases (a mapping or list met
    a second time is an alias): a large case without aliases costs nothing."""
    if isinstance(node, (dict, list)):
        if id(node) in seen:
            expanding = True
        else:
            seen.add(id(node))
    if expanding:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooBig
    lc = getattr(node, "lc", None)
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            k = str(key) if not isinstance(key, (int, float)) or isinstance(key, bool) else str(key)
            sub = path + (k,)
            if lc is not None:
                try:
                    pos = lc.value(key) if not isinstance(value, (dict, list)) else lc.key(key)
                    source.positions.setdefault(sub, (pos[0] + 1, pos[1] + 1))
                except (KeyError, TypeError):
                    pass
            out[k] = _plain(value, sub, source, budget, seen, expanding)
        return out
    if isinstance(node, list):
        out_list = []
        for i, value in enumerate(node):
            sub = path + (str(i),)
            if lc is not None:
                try:
                    pos = lc.item(i)
                    source.positions.setdefault(sub, (pos[0] + 1, pos[1] + 1))
                except (KeyError, TypeError, IndexError):
                    pass
            out_list.append(_plain(value, sub, source, budget, seen, expanding))
        return out_list
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return str(node)  # dates and other YAML scalars: pydantic says what is wrong


# -- validation ------------------------------------------------------------
def load_case(path: str | FsPath) -> Case:
    """Read, merge its model, and fully validate a case file."""
    data, source = read_document(path)
    if "model" in data:
        from negotiate.case.models import apply_model

        data, source = apply_model(data, source, base_dir=FsPath(path).parent)
    return validate_data(data, source=source)


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
    from negotiate.case.resolve import check_case

    problems = check_case(case)
    if problems:
        raise CaseError(_sorted(_with_changed(problems, changed)))
    return case


def _sorted(problems: list[Problem]) -> list[Problem]:
    """In reading order (file, line, column), each distinct problem once.

    A mistake in a model's `every_party` block is inherited by every party:
    it is reported once, at its place in the model, with how many it affects.
    """
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        key = (p.location.file, p.location.line, p.location.col, p.message) if p.location.line else (id(p),)
        groups.setdefault(key, []).append(p)
    out = []
    for same in groups.values():
        p = same[0]
        if len(same) > 1:
            parties = sorted({q.path.split(".")[1] for q in same if q.path.startswith("parties.")})
            if len(parties) > 1:
                p = Problem(f"{p.message} (inherited by {len(parties)} parties: {', '.join(parties[:5])}"
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


def changed_error(problems: list[Problem], changed: list[str]) -> CaseError:
    return CaseError(_sorted(_with_changed(problems, changed)))


def _salvaged_problems(data: dict, error: ValidationError, source: SourceMap, seen: set) -> list[Problem]:
    """Problems of meaning in what is left once structurally broken parts are removed."""
    import copy

    from negotiate.case.resolve import check_case

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


def _with_changed(problems: list[Problem], changed: list[str] | None) -> list[Problem]:
    if not changed:
        return problems
    out = []
    for p in problems:
        if any(p.path == c or p.path.startswith(c + ".") for c in changed):
            p = Problem(p.message, p.path, Location("<change>"), p.value, p.hint)
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
                            changed: list[str] | None) -> list[Problem]:
    seen: dict[str, Problem] = {}
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


def _problem(e: dict, path: Path, data: dict, source: SourceMap) -> Problem:
    kind, loc = e["type"], source.locate(path)
    value = e.get("input")
    where = dotted(path)
    if kind == "extra_forbidden":
        allowed = _fields_at(path[:-1])
        from negotiate.case.expr import did_you_mean

        hint = did_you_mean(path[-1], allowed) if allowed else None
        if not hint and allowed:
            hint = "allowed here: " + ", ".join(allowed)
        return Problem(f"unknown key `{path[-1]}`", where, loc, None, hint)
    if kind == "missing":
        return Problem(f"missing required key `{path[-1]}`", where, source.locate(path[:-1]))
    if "[key]" in e["loc"] and kind == "string_pattern_mismatch":
        return Problem(f"`{value}` is not a valid id", where, loc, None,
                       "ids start with a letter and use only letters, digits and _")
    msg = _MESSAGES.get(kind)
    if kind in ("value_error", "assertion_error"):
        msg = re.sub(r"^(Value|Assertion) error, ", "", e["msg"])
    if msg is None:
        msg = e["msg"][0].lower() + e["msg"][1:]
    shown = None if isinstance(value, (dict, list)) else value
    return Problem(msg, where, loc, shown)


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
