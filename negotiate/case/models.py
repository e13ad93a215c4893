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
from pathlib import Path as FsPath

from negotiate.case.expr import did_you_mean
from negotiate.case.source import Path, SourceMap
from negotiate.errors import CaseError, Problem

MODEL_KEYS = ("name", "description", "parameters", "issues", "constraints", "every_party", "solve",
              "options", "scenarios")
EVERY_PARTY_KEYS = ("criteria", "limits", "reservation", "weight", "data", "description")
PARAMETER_KEYS = ("default", "meaning", "unit")
SUFFIXES = (".yaml", ".yml", ".json", ".toml")


def model_dirs() -> list[FsPath]:
    """Packaged models (inside the wheel), then the repository's models/ (editable installs)."""
    package = FsPath(__file__).resolve().parent.parent
    return [package / "models", package.parent / "models"]


def available_models() -> dict[str, FsPath]:
    found: dict[str, FsPath] = {}
    for d in model_dirs():
        if d.is_dir():
            for f in sorted(d.iterdir()):
                if f.suffix in SUFFIXES:
                    found.setdefault(f.stem, f)
    return found


def find_model(ref: str, base_dir: FsPath | None) -> FsPath | None:
    if "/" in ref or "\\" in ref or ref.endswith(SUFFIXES):
        path = FsPath(ref)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path if path.is_file() else None
    return available_models().get(ref)


def apply_model(data: dict, source: SourceMap, base_dir: FsPath | None = None) -> tuple[dict, SourceMap]:
    from negotiate.case.load import read_document

    ref = data.get("model")
    here = source.locate(("model",))
    if not isinstance(ref, str) or not ref.strip():
        raise CaseError([Problem("`model` takes a model name (e.g. climate_targets) or a path", "model", here, ref)])
    path = find_model(ref, base_dir)
    if path is None:
        names = sorted(available_models())
        hint = did_you_mean(ref, names) or (f"available models: {', '.join(names)}" if names else None)
        raise CaseError([Problem(f"no model `{ref}`", "model", here, None, hint)])
    model, msrc = read_document(path)
    _check_model(model, msrc)
    model, msrc = _normalise_parameters(model, msrc)
    return merge_model(model, msrc, data, source)


def _check_model(model: dict, msrc: SourceMap) -> None:
    problems = []
    for key in model:
        if key not in MODEL_KEYS:
            hint = did_you_mean(key, MODEL_KEYS) or ("a model holds: " + ", ".join(MODEL_KEYS))
            if key in ("parties", "model"):
                hint = "a model describes the negotiation without its parties; cases name the parties"
            problems.append(Problem(f"unknown key `{key}` in a model", key, msrc.locate((key,)), None, hint))
    every = model.get("every_party", {})
    if not isinstance(every, dict):
        problems.append(Problem("`every_party` must be a mapping", "every_party", msrc.locate(("every_party",))))
    else:
        for key in every:
            if key not in EVERY_PARTY_KEYS:
                problems.append(Problem(f"unknown key `{key}` in every_party", f"every_party.{key}",
                                        msrc.locate(("every_party", key)), None,
                                        did_you_mean(key, EVERY_PARTY_KEYS)))
    for name, spec in (model.get("parameters") or {}).items():
        if isinstance(spec, dict):
            for key in spec:
                if key not in PARAMETER_KEYS:
                    problems.append(Problem(f"unknown key `{key}` of a model parameter", f"parameters.{name}.{key}",
                                            msrc.locate(("parameters", name, key)), None,
                                            did_you_mean(key, PARAMETER_KEYS) or "use default, meaning, unit"))
            if "default" not in spec:
                problems.append(Problem("a model parameter needs a `default`", f"parameters.{name}",
                                        msrc.locate(("parameters", name))))
    if problems:
        raise CaseError(problems)


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


def merge_model(model: dict, msrc: SourceMap, case: dict, csrc: SourceMap) -> tuple[dict, SourceMap]:
    """The case with its model merged in, and where every value came from."""
    dst = SourceMap(csrc.file)
    top_model = {k: v for k, v in model.items() if k not in ("every_party", "name", "description")}
    top_case = {k: v for k, v in case.items() if k not in ("parties", "every_party")}
    merged = _merge(top_model, msrc, (), top_case, csrc, (), dst, ())
    if merged is _DROP:
        merged = {}
    every_src = SourceMap(msrc.file)
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
