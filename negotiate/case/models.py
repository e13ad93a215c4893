"""`model: NAME`: merge a reusable negotiation model into a case (CASE_FORMAT.md section 4).

A model (models/NAME.yaml) holds `issues`, `constraints`, `parameters` (each a
number or `{default: ..., meaning: "..."}`), `solve` defaults and an
`every_party:` block (criteria, limits, reservation, weight, data defaults)
written with `self`, `data.NAME[self]` and parameters. The case supplies the
parties and any overrides; the case wins key by key, and `null` drops an
inherited key (`criteria: {finance: null}`). The merged case keeps, per path,
the file each value came from, so errors point into the model where they are.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path as FsPath

from negotiate.case.expr import did_you_mean
from negotiate.case.read import read_document
from negotiate.case.source import Path, SourceMap
from negotiate.errors import CaseError, Finding, Location

MODEL_KEYS = ("name", "description", "parameters", "issues", "constraints", "every_party", "solve",
              "options", "scenarios")
EVERY_PARTY_KEYS = ("criteria", "limits", "reservation", "weight", "data", "description")
PARAMETER_KEYS = ("default", "meaning", "unit")
SUFFIXES = (".yaml", ".yml", ".json", ".toml")


MODEL_PATH_ENV = "NEGOTIATE_MODEL_PATH"  # folders of the user's own models (os.pathsep-separated)


def model_dirs() -> list[FsPath]:
    """Packaged models (inside the wheel), then the repository's models/ (editable installs)."""
    package = FsPath(__file__).resolve().parent.parent
    return [package / "models", package.parent / "models"]


def user_model_dirs(model_path: list | None = None) -> list[FsPath]:
    """The folders the user names: `model_path` (the CLI's --model-path), then $NEGOTIATE_MODEL_PATH."""
    dirs = [FsPath(d) for d in (model_path or [])]
    dirs += [FsPath(d) for d in os.environ.get(MODEL_PATH_ENV, "").split(os.pathsep) if d.strip()]
    return dirs


def available_models(model_path: list | None = None) -> dict[str, FsPath]:
    """Model name -> file: shipped models first, then the user's folders."""
    found: dict[str, FsPath] = {}
    for d in model_dirs() + user_model_dirs(model_path):
        if d.is_dir():
            for f in sorted(d.iterdir()):
                if f.suffix in SUFFIXES and f.is_file():
                    found.setdefault(f.stem, f)
    return found


def _inside(path: FsPath, folders: list[FsPath]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(d.resolve()) for d in folders if d.is_dir())


def find_model(ref: str, base_dir: FsPath | None, model_path: list | None = None) -> FsPath | None:
    """The file `model: ref` names, or None.

    A name is a shipped model or one in the user's folders; a path must stay
    (after symlinks) inside the case's own folder, the shipped models or the
    user's folders: a case cannot make negotiate read any file it reaches.
    """
    if not ("/" in ref or "\\" in ref or ref.endswith(SUFFIXES)):
        return available_models(model_path).get(ref)
    path = FsPath(ref)
    allowed = model_dirs() + user_model_dirs(model_path) + ([base_dir] if base_dir is not None else [])
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [d / path for d in ([base_dir] if base_dir is not None else []) + user_model_dirs(model_path)]
    for c in candidates:
        if c.exists() and not _inside(c, allowed):
            raise _outside(ref)
        if c.is_file():
            return c
    return None


def _outside(ref: str) -> CaseError:
    return CaseError([Finding(
        "this model file is outside the folders models are read from", "model", Location(), ref,
        "models are read from the shipped models, the case's own folder and its subfolders, and the folders "
        f"named by --model-path or ${MODEL_PATH_ENV}")])


def apply_model(data: dict, source: SourceMap, base_dir: FsPath | None = None,
                model_path: list | None = None) -> tuple[dict, SourceMap]:
    """The case's data with its `model:` merged in (see the module's docstring)."""
    ref = data.get("model")

    def here() -> Location:  # where `model:` is, asked only for an error (positions cost a second read)
        return source.locate(("model",))

    if not isinstance(ref, str) or not ref.strip():
        raise CaseError([Finding("`model` takes a model name (e.g. climate_targets) or a path", "model", here(),
                                 ref)])
    if ("/" in ref or "\\" in ref) and not ref.endswith(SUFFIXES):
        raise CaseError([Finding("a model file is YAML, JSON or TOML (.yaml, .yml, .json, .toml)", "model", here(),
                                 ref)])
    try:
        path = find_model(ref, base_dir, model_path)
    except CaseError as e:
        raise CaseError([Finding(p.message, p.path, here(), p.value, p.hint) for p in e.problems]) from None
    if path is None:
        names = sorted(available_models(model_path))
        hint = did_you_mean(ref, names) or (f"available models: {', '.join(names)}" if names else None)
        raise CaseError([Finding(f"no model `{ref}`", "model", here(), None, hint)])
    model, msrc = _read_model(path, ref, here)
    _check_model(model, msrc)
    merged, _ = merge_model(_parameter_defaults(model), msrc, data, source, positions=False)
    return merged, MergedSourceMap(model, msrc, data, source)


class MergedSourceMap(SourceMap):
    """Where each value of a merged case came from, worked out the first time it is asked for.

    Positions of a valid YAML file are read only when a problem must be located
    (negotiate.case.read); merging them eagerly would read both files a second
    time on every load. The merge's inputs are kept (plain data, picklable) and
    `merge_model` runs on them when `positions` or `origin` is first read:
    the same map as an eager merge.
    """

    def __init__(self, model: dict, msrc: SourceMap, case: dict, csrc: SourceMap):
        super().__init__(csrc.file)
        del self.positions, self.origin  # reading either calls __getattr__ below, once
        self._inputs = (model, msrc, case, csrc)

    def __getattr__(self, attr: str):
        if attr not in ("positions", "origin"):
            raise AttributeError(attr)
        model, msrc, case, csrc = self.__dict__.pop("_inputs")
        model, msrc = _normalise_parameters(model, msrc)
        _, merged = merge_model(model, msrc, case, csrc)
        self.positions, self.origin = merged.positions, merged.origin
        return getattr(self, attr)


def _read_model(path: FsPath, ref: str, here: Callable[[], Location]) -> tuple[dict, SourceMap]:
    """Read a model file; a file that is not a model is refused without quoting any of it."""
    def refuse(why: str) -> CaseError:
        return CaseError([Finding(f"`{ref}` is not a negotiation model ({why})", "model", here(), None,
                                  "a model is a mapping with " + ", ".join(k for k in MODEL_KEYS if k != "name"))])

    try:
        model, msrc = read_document(path)
    except CaseError as e:
        first = e.problems[0]
        if first.message.startswith(("YAML", "JSON", "TOML")) and first.location.line is not None:
            where = f"line {first.location.line}"
            raise refuse(f"it does not parse, at {where}") from None
        raise refuse(first.message.split(" (")[0]) from None
    if not any(k in model for k in MODEL_KEYS if k not in ("name", "description")):
        raise refuse("it has none of a model's keys")
    return model, msrc


def _check_model(model: dict, msrc: SourceMap) -> None:
    problems = []
    for key in model:
        if key not in MODEL_KEYS:
            hint = did_you_mean(key, MODEL_KEYS) or ("a model holds: " + ", ".join(MODEL_KEYS))
            if key in ("parties", "model"):
                hint = "a model describes the negotiation without its parties; cases name the parties"
            problems.append(Finding(f"unknown key `{key}` in a model", key, msrc.locate((key,)), None, hint))
    every = model.get("every_party", {})
    if not isinstance(every, dict):
        problems.append(Finding("`every_party` must be a mapping", "every_party", msrc.locate(("every_party",))))
    else:
        for key in every:
            if key not in EVERY_PARTY_KEYS:
                problems.append(Finding(f"unknown key `{key}` in every_party", f"every_party.{key}",
                                        msrc.locate(("every_party", key)), None,
                                        did_you_mean(key, EVERY_PARTY_KEYS)))
    for name, spec in (model.get("parameters") or {}).items():
        if isinstance(spec, dict):
            for key in spec:
                if key not in PARAMETER_KEYS:
                    problems.append(Finding(f"unknown key `{key}` of a model parameter", f"parameters.{name}.{key}",
                                            msrc.locate(("parameters", name, key)), None,
                                            did_you_mean(key, PARAMETER_KEYS) or "use default, meaning, unit"))
            if "default" not in spec:
                problems.append(Finding("a model parameter needs a `default`", f"parameters.{name}",
                                        msrc.locate(("parameters", name))))
    if problems:
        raise CaseError(problems)


def _parameter_defaults(model: dict) -> dict:
    """`{default: 40, meaning: ...}` -> 40 (the data of `_normalise_parameters`, without positions)."""
    params = model.get("parameters") or {}
    return {**model, "parameters": {name: spec.get("default") if isinstance(spec, dict) else spec
                                    for name, spec in params.items()}}


def _normalise_parameters(model: dict, msrc: SourceMap) -> tuple[dict, SourceMap]:
    """`{default: 40, meaning: ...}` -> 40, keeping the default's position."""
    params = model.get("parameters") or {}
    out = dict(model)
    out["parameters"] = {}
    for name, spec in params.items():
        if isinstance(spec, dict):
            out["parameters"][name] = spec.get("default")
            pos = msrc.positions.get(("parameters", name, "default"))
            if pos:
                msrc.positions[("parameters", name)] = pos
        else:
            out["parameters"][name] = spec
    return out, msrc


_DROP = object()


def _merge(base, bsrc: SourceMap, bpath: Path, over, osrc: SourceMap, opath: Path,
           dst: SourceMap, dpath: Path):
    """`over` wins key by key; `None` in `over` drops the key."""
    if over is None:
        return _DROP
    if isinstance(base, dict) and isinstance(over, dict):
        out = {}
        for k, v in base.items():
            if k in over:
                merged = _merge(v, bsrc, bpath + (k,), over[k], osrc, opath + (k,), dst, dpath + (k,))
                if merged is not _DROP:
                    out[k] = merged
            else:
                out[k] = copy.deepcopy(v)
                dst.copy_subtree(v, bsrc, bpath + (k,), dpath + (k,))
        for k, v in over.items():
            if k not in base and v is not None:
                out[k] = copy.deepcopy(v)
                dst.copy_subtree(v, osrc, opath + (k,), dpath + (k,))
        pos = osrc.positions.get(opath) or bsrc.positions.get(bpath)
        if pos:
            dst.positions[dpath] = pos
            file = osrc.origin.get(opath, osrc.file) if opath in osrc.positions else bsrc.origin.get(bpath, bsrc.file)
            if file != dst.file:
                dst.origin[dpath] = file
        return out
    dst.copy_subtree(over, osrc, opath, dpath)
    return copy.deepcopy(over)


class _NoPositions(SourceMap):
    """A merge of the data alone: no positions read, none kept."""

    def copy_subtree(self, node, src, src_path, dst_path) -> None:
        pass


def merge_model(model: dict, msrc: SourceMap, case: dict, csrc: SourceMap,
                positions: bool = True) -> tuple[dict, SourceMap]:
    """The case with its model merged in, and where every value came from
    (`positions=False`: the data alone, the sources' positions never read)."""
    kept = SourceMap if positions else _NoPositions
    if not positions:
        msrc, csrc = _NoPositions(msrc.file), _NoPositions(csrc.file)
    dst = kept(csrc.file)
    top_model = {k: v for k, v in model.items() if k not in ("every_party", "name", "description")}
    top_case = {k: v for k, v in case.items() if k not in ("parties", "every_party")}
    merged = _merge(top_model, msrc, (), top_case, csrc, (), dst, ())
    if merged is _DROP:
        merged = {}
    every_src = kept(msrc.file)
    every = _merge(model.get("every_party") or {}, msrc, ("every_party",),
                   case.get("every_party") or {}, csrc, ("every_party",), every_src, ("every_party",))
    if every is _DROP:
        every = {}
    parties = case.get("parties")
    if isinstance(parties, dict):
        merged["parties"] = {}
        for pid, party in parties.items():
            if party is None:
                party = {}
            if not isinstance(party, dict):
                merged["parties"][pid] = party  # the schema says what is wrong
                dst.copy_subtree(party, csrc, ("parties", pid), ("parties", pid))
                continue
            merged["parties"][pid] = _merge(every, every_src, ("every_party",), party, csrc,
                                            ("parties", pid), dst, ("parties", pid))
        if ("parties",) in csrc.positions:
            dst.positions[("parties",)] = csrc.positions[("parties",)]
    elif parties is not None:
        merged["parties"] = parties
    if "name" not in merged and "name" in model:
        merged["name"] = model["name"]
        dst.copy_subtree(model["name"], msrc, ("name",), ("name",))
    return merged, dst
