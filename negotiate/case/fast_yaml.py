"""Reading a valid case file fast: PyYAML's C parser with YAML 1.2 meanings.

ruamel's round-trip reader (pure Python) records where every value is, and
is ~20x slower than libyaml; positions are only needed when a problem must be
located. `fast_load(text)` parses with libyaml (PyYAML's CSafeLoader) but
resolves plain scalars as ruamel does for YAML 1.2 (the same regular
expressions: `yes`/`on` stay text, `1e3` is a number), so a document read
either way gives the same data. Aliases are expanded as ruamel's reader
expands them (a fresh copy of the anchored value each time), after their
expansion is counted: beyond the caller's budget the answer is TOO_BIG (an
alias bomb). Where the two could disagree, or ruamel would report a
problem, it answers None and the caller reads with ruamel: any parse error,
a recursive alias, merge keys, duplicate keys, keys that are not text,
timestamps, sets, binary, and numbers in any but the plain decimal forms
(`0x1F`, `1_000`, `017`).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")
SPECIAL = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"), "+.inf": float("inf"),
           "+.Inf": float("inf"), "+.INF": float("inf"), "-.inf": float("-inf"), "-.Inf": float("-inf"),
           "-.INF": float("-inf"), ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan")}


class _Unsure(Exception):
    """The fast reader does not decide this document: ruamel reads it."""


class _Alias(_Unsure):
    """An alias: ruamel expands it (counting), unless the expansion is already too big."""


TOO_BIG = object()  # fast_load's answer for an alias bomb


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # PyYAML built without libyaml: still correct


class _Loader(_Base):
    yaml_implicit_resolvers: dict = {}
    yaml_constructors = dict(_Base.yaml_constructors)

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects:
            raise _Alias
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise _Unsure
        out = {}
        for key_node, value_node in node.value:
            if key_node.tag != "tag:yaml.org,2002:str":
                raise _Unsure  # merge keys, numbers, booleans, null as keys
            key = self.construct_object(key_node, deep=deep)
            if key in out:
                raise _Unsure  # ruamel reports the duplicate, located
            out[key] = self.construct_object(value_node, deep=deep)
        return out


# ruamel's YAML 1.2 implicit resolvers (ruamel.yaml.resolver.implicit_resolvers, those for
# version (1, 2), in its order): copied, because importing ruamel costs ~8 ms of every start-up
# and only a document the fast reader refuses needs it. tests/test_startup.py checks the copy
# against the installed ruamel.
RUAMEL_YAML_1_2_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"""^(?:true|True|TRUE|false|False|FALSE)$""", list("tTfF")),
    ("tag:yaml.org,2002:float", r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""", list("-+0123456789.")),
    ("tag:yaml.org,2002:int", r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""", list("-+0123456789")),
    ("tag:yaml.org,2002:merge", r"""^(?:<<)$""", ["<"]),
    ("tag:yaml.org,2002:null", r"""^(?: ~
        |null|Null|NULL
        | )$""", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", list("0123456789")),
    ("tag:yaml.org,2002:value", r"""^(?:=)$""", ["="]),
    ("tag:yaml.org,2002:yaml", r"""^(?:!|&|\*)$""", ["!", "&", "*"]),
]

for _tag, _pattern, _first in RUAMEL_YAML_1_2_RESOLVERS:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern, re.X), _first)


def _int(loader, node):
    value = loader.construct_scalar(node)
    if not INT.fullmatch(value):
        raise _Unsure
    return int(value)


def _float(loader, node):
    value = loader.construct_scalar(node)
    if value in SPECIAL:
        return SPECIAL[value]
    if not FLOAT.fullmatch(value):
        raise _Unsure
    return float(value)


def _bool(loader, node):
    return loader.construct_scalar(node).lower() == "true"


def _unsure(loader, node):
    raise _Unsure


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
for _tag in ("timestamp", "binary", "set", "omap", "pairs", "merge", "value", "yaml"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _unsure)
_Loader.add_constructor(None, _unsure)


def _expanded(node, sizes: dict, open_: set) -> int:
    """How many values `node` stands for with every alias expanded (shared nodes counted each time)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        return 1  # a recursive alias: ruamel says what it makes of it
    open_.add(key)
    if isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded(k, sizes, open_) + _expanded(v, sizes, open_) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded(v, sizes, open_) for v in node.value)
    else:
        n = 1
    open_.discard(key)
    sizes[key] = n
    return n


_MAP, _SEQ, _STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"


def _expand(loader: _Loader, node, open_: set) -> Any:
    """The value of `node` with every alias a fresh copy (as ruamel's reader gives it), built
    with the loader's YAML 1.2 scalar meanings; _Unsure for what the loader would refuse."""
    if isinstance(node, yaml.ScalarNode):
        make = loader.yaml_constructors.get(node.tag, loader.yaml_constructors[None])
        return make(loader, node)
    if id(node) in open_:
        raise _Unsure  # a recursive alias: ruamel says what it makes of it
    open_.add(id(node))
    try:
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            out = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                    raise _Unsure  # merge keys, numbers, booleans, null as keys
                key = _expand(loader, key_node, open_)
                if key in out:
                    raise _Unsure  # ruamel reports the duplicate, located
                out[key] = _expand(loader, value_node, open_)
            return out
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [_expand(loader, v, open_) for v in node.value]
        raise _Unsure  # sets, ordered maps, pairs, local tags
    finally:
        open_.discard(id(node))


def fast_load(text: str, max_expanded: int | None = None) -> Any:
    """The document's plain data, None when ruamel must read it (see the module docstring),
    or TOO_BIG when its aliases expand to more than `max_expanded` values."""
    import gc

    if text.lstrip().startswith("%"):
        return None  # a %YAML directive may ask for 1.1 meanings: ruamel honours it
    enabled = gc.isenabled()
    gc.disable()  # a parse makes millions of objects and frees none: the collector only costs here
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()  # several documents: an error, ruamel says which
            if node is None:
                return None
            try:
                return loader.construct_document(node)
            except _Alias:
                sizes: dict = {}
                if max_expanded is not None and _expanded(node, sizes, set()) - len(sizes) > max_expanded:
                    return TOO_BIG  # values made by expanding aliases, as ruamel's reader counts them
                return _expand(loader, node, set())
        finally:
            loader.dispose()
    except (_Unsure, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None
    finally:
        if enabled:
            gc.enable()
