"""Reading case and model files: YAML, JSON or TOML to plain data, with positions.

Only regular files are read, with a size cap that holds while reading; YAML
aliases are expanded under a node budget. Nothing here knows the schema.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path as FsPath
from typing import Any

from negotiate.case.source import Path, SourceMap
from negotiate.errors import CaseError, Finding, Location

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NODES = 500_000  # values made by expanding aliases: stops "billion laughs" documents


def read_document(path: str | FsPath) -> tuple[dict, SourceMap]:
    """Plain data and positions of one case or model file.

    Only regular files are read (a FIFO would block, a device never ends),
    and at most MAX_FILE_BYTES of them: the cap holds while reading, whatever
    the file claims to be.
    """
    path = FsPath(path)
    name = str(path)
    raw = read_capped(path, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CaseError([Finding(f"the file is not UTF-8 text (byte {e.start})", location=Location(name))]) from None
    return parse_document(text, name, path.suffix.lower())


def read_capped(path: FsPath, name: str, limit: int | None = None) -> bytes:
    """The bytes of a regular file, refused beyond `limit` (read at most limit + 1 bytes)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    here = Location(name)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CaseError([Finding("file not found", location=here,
                                 hint="check the path; case files are YAML, JSON or TOML")]) from None
    except OSError as e:
        raise CaseError([Finding(f"cannot read the file ({e.strerror})", location=here)]) from None
    if stat.S_ISDIR(mode):
        raise CaseError([Finding("this is a folder, not a case file", location=here)])
    if not stat.S_ISREG(mode):
        raise CaseError([Finding("this is not a regular file (a pipe, socket or device); give a case file",
                                 location=here)])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced since the check
                raise CaseError([Finding("this is not a regular file", location=here)])
            raw = fh.read(limit + 1)
    except OSError as e:
        raise CaseError([Finding(f"cannot read the file ({e.strerror})", location=here)]) from None
    if len(raw) > limit:
        raise CaseError([Finding(f"the file is larger than {limit / 2**20:g} MiB", location=here)])
    return raw


def parse_document(text: str, name: str = "<case>", suffix: str = ".yaml") -> tuple[dict, SourceMap]:
    """Plain data and positions of a document's text (`suffix` chooses YAML, JSON or TOML)."""
    if not text.strip():
        raise CaseError([Finding("the file is empty", location=Location(name),
                                 hint="a case needs at least `name`, `issues` and `parties`")])
    if suffix == ".toml":
        data, source = _read_toml(text, name), _toml_positions(text, name)
    elif suffix == ".json":
        data, source = _read_json(text, name)
    else:
        data, source = _read_yaml(text, name)
    if not isinstance(data, dict):
        raise CaseError([Finding("the top level must be a mapping of keys (name, issues, parties, ...)",
                                 location=Location(name, 1, 1), value=type(data).__name__)])
    return data, source


def _read_toml(text: str, name: str) -> dict:
    import tomllib  # only TOML files pay for it

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        loc = Location(name, int(m.group(1)), int(m.group(2))) if m else Location(name)
        msg = re.sub(r"\s*\(at line.*\)", "", str(e))
        raise CaseError([Finding(f"TOML syntax error: {msg}", location=loc)]) from None


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
        raise CaseError([Finding(f"JSON syntax error: {e.msg}", location=Location(name, e.lineno, e.colno))]) from None
    except RecursionError:
        raise CaseError([Finding("the JSON is nested too deeply", location=Location(name))]) from None
    try:  # JSON is YAML 1.2: read again for positions
        return _read_yaml(text, name)
    except CaseError:
        return json.loads(text), SourceMap(name)


def _read_yaml(text: str, name: str) -> tuple[Any, SourceMap]:
    """Valid documents: the C parser, positions read only if a problem needs them.
    Anything the fast reader is unsure of (errors, recursive aliases, merge keys,
    duplicate or non-text keys, timestamps, unusual numbers) is read by ruamel as before."""
    from negotiate.case.fast_yaml import TOO_BIG, fast_load

    data = fast_load(text, MAX_NODES)
    if data is TOO_BIG:
        raise _too_big(name)
    if data is not _SLOW:
        return data, _LazySourceMap(name, text)
    return _read_yaml_located(text, name)


def _too_big(name: str) -> CaseError:
    return CaseError([Finding(
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
        raise CaseError([Finding(f"YAML syntax error: {what}", location=loc, hint=hint)]) from None
    except (YAMLError, RecursionError, ValueError) as e:
        raise CaseError([Finding(f"YAML error: {str(e).splitlines()[0][:200]}", location=Location(name))]) from None
    source = SourceMap(name)
    budget = [MAX_NODES]
    try:
        data = _plain(doc, (), source, budget, set())
    except _TooBig:
        raise _too_big(name) from None
    except RecursionError:
        raise CaseError([Finding("the document is nested too deeply", location=Location(name))]) from None
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
