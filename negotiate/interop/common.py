"""What every importer produces, and how it becomes a commented, valid case.

An importer reads a foreign domain into `ForeignIssue`s and `ForeignProfile`s
(labels as the source spells them, scores already in the source's utility
semantics), and `build_case` turns them into a case: sanitised ids with the
original labels kept in descriptions and comments, one party per profile, one
criterion per issue. The YAML is validated before it is handed back.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from negotiate.case.schema import RESERVED_NAMES
from negotiate.errors import CaseError, Location, Problem


# -- the intermediate form -----------------------------------------------------
@dataclass
class ForeignIssue:
    label: str
    kind: str  # discrete | integer | real
    where: Location
    options: list[str] = field(default_factory=list)  # discrete: the value labels, in order
    lo: float | None = None
    hi: float | None = None


@dataclass
class ForeignProfile:
    label: str
    file: str
    weights: dict[str, float]  # issue label -> weight
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # discrete issue -> option -> score
    points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # numeric issue -> curve
    explain: dict[str, str] = field(default_factory=dict)  # issue -> how the scores were derived
    reservation: float = 0.0
    notes: list[str] = field(default_factory=list)


def located(message: str, where: Location, value=None, hint: str | None = None) -> CaseError:
    return CaseError([Problem(message, location=where, value=value, hint=hint)])


# -- ids -------------------------------------------------------------------------
def make_id(label: str, prefix: str, taken: set, reserved: bool = False) -> str:
    """A case id for a foreign label: [A-Za-z][A-Za-z0-9_]*, unique within `taken`
    (`reserved`: also not a word reserved in expressions, as issue ids must be)."""
    ascii_label = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9_]+", "_", ascii_label).strip("_")
    if not base or not base[0].isalpha():
        base = prefix + ("_" if base and base[0] == "_" else "") + base
    if reserved and base in RESERVED_NAMES:
        base += "_"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    taken.add(ident)
    return ident


# -- the result ------------------------------------------------------------------
@dataclass(frozen=True)
class ImportedCase:
    """A foreign domain as a case: `case` (validated), `yaml` (the commented file text)."""

    case: object  # negotiate.Case
    yaml: str
    source: str  # genius | geniusweb
    path: str
    parties: dict  # party id -> the profile file it came from
    notes: list = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.yaml)
        return path

    def __repr__(self) -> str:
        return (f"ImportedCase({self.case.name!r} from {self.source} {self.path!r}: "
                f"{len(self.case.issues)} issues, parties {', '.join(self.parties)})")


def build_case(name: str, source: str, path: str, issues: list[ForeignIssue],
               profiles: list[ForeignProfile], header: list[str]) -> ImportedCase:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from negotiate.case.load import parse_document, validate_data

    issue_ids: dict[str, str] = {}
    option_ids: dict[str, dict[str, str]] = {}
    taken: set = set()
    root = CommentedMap()
    root["name"] = name
    root["description"] = f"Imported from the {'GeniusWeb' if source == 'geniusweb' else 'Genius'} domain {path}."
    issues_map = CommentedMap()
    for issue in issues:
        iid = make_id(issue.label, "i", taken, reserved=True)
        issue_ids[issue.label] = iid
        spec = CommentedMap()
        if issue.kind == "discrete":
            ids: dict[str, str] = {}
            local: set = set()
            seq = CommentedSeq()
            for k, label in enumerate(issue.options):
                oid = make_id(label, "v", local)
                ids[label] = oid
                seq.append(oid)
                if oid != label:
                    seq.yaml_add_eol_comment(f"{label!r}", k)
            option_ids[issue.label] = ids
            spec["options"] = seq
            renamed = [f"{o} = {label!r}" for label, o in ids.items() if o != label]
            spec["description"] = f"{source} issue {issue.label!r}" + (
                f"; options: {', '.join(renamed)}" if renamed else "")
        else:
            spec["range"] = _flow([_num(issue.lo), _num(issue.hi)])
            if issue.kind == "integer":
                spec["integer"] = True
            spec["description"] = f"{source} {issue.kind} issue {issue.label!r}"
        issues_map[iid] = spec
        issues_map.yaml_set_comment_before_after_key(iid, before=f"{issue.label!r}, {issue.where}", indent=2)
    root["issues"] = issues_map

    parties_map = CommentedMap()
    party_files = {}
    ptaken: set = set()
    for prof in profiles:
        pid = make_id(prof.label, "P", ptaken)
        party_files[pid] = prof.file
        party = CommentedMap()
        party["name"] = prof.label
        party["reservation"] = _num(prof.reservation)
        crits = CommentedMap()
        for issue in issues:
            iid = issue_ids[issue.label]
            crit = CommentedMap()
            crit["of"] = iid
            crit["weight"] = _num(prof.weights.get(issue.label, 0.0))
            if issue.kind == "discrete":
                scores = CommentedMap()
                for label in issue.options:
                    scores[option_ids[issue.label][label]] = _num(prof.scores.get(issue.label, {}).get(label, 0.0))
                crit["scores"] = scores
            else:
                crit["points"] = CommentedSeq([_flow([_num(x), _num(y)]) for x, y in prof.points[issue.label]])
            crits[iid] = crit
            if issue.label in prof.explain:
                crits.yaml_set_comment_before_after_key(iid, before=prof.explain[issue.label], indent=6)
        party["criteria"] = crits
        parties_map[pid] = party
        lines = [f"profile {prof.file}"] + prof.notes
        parties_map.yaml_set_comment_before_after_key(pid, before="\n".join(lines), indent=2)
    root["parties"] = parties_map
    root.yaml_set_start_comment("\n".join(header))

    yaml = YAML()
    yaml.width = 120
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(root, buf)
    text = buf.getvalue()
    data, smap = parse_document(text, f"<imported from {path}>")
    case = validate_data(data, smap)
    notes = [n for p in profiles for n in p.notes]
    return ImportedCase(case, text, source, path, party_files, notes)


def _flow(items: list):
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _num(v: float):
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return int(v)
    return round(v, 12)


# -- exact piecewise-linear forms of clipped lines ------------------------------------
def clipped_line(slope: float, offset: float, lo: float, hi: float) -> list[tuple[float, float]]:
    """Points of min(1, max(0, offset + slope * x)) on [lo, hi], exact (kinks included)."""
    def f(x):
        return min(1.0, max(0.0, offset + slope * x))

    xs = {lo, hi}
    if slope != 0:
        for level in (0.0, 1.0):
            x = (level - offset) / slope
            if lo < x < hi:
                xs.add(x)
    xs = sorted(xs)
    if len(xs) == 1:  # a single value: any second point keeps the curve flat
        xs = [xs[0], xs[0] + 1.0]
    return [(x, f(x)) for x in xs]


def pick_profiles(profiles: list[ForeignProfile], wanted: list[str] | None, path: str) -> list[ForeignProfile]:
    """Every profile, or those --party names (by id, label or file name)."""
    if not wanted:
        return profiles
    out, missing = [], []
    for w in wanted:
        hit = [p for p in profiles if w in (p.label, Path(p.file).name, Path(p.file).stem)
               or make_id(p.label, "P", set()) == w]
        if hit:
            out += [p for p in hit if p not in out]
        else:
            missing.append(w)
    if missing:
        known = ", ".join(p.label for p in profiles)
        raise CaseError([Problem(f"no profile called {m!r} in the domain", location=Location(path),
                                 hint=f"profiles: {known}") for m in missing])
    return out
