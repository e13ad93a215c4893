"""Genius domains: a domain XML and profile XMLs (`utility_space`), read exactly.

Genius's additive utility: u(bid) = sum_i w_i * e_i(bid_i), where
- a discrete issue's evaluation is the item's `evaluation` divided by the
  issue's largest evaluation (so the best option scores 1);
- an integer issue's is min(1, max(0, offset + slope * (x - lowerbound)));
- a real issue's (`ftype="linear"`) is min(1, max(0, parameter0 + parameter1 * x)),
  `ftype="constant"` is parameter0.
Each becomes a criterion with those scores (clipped lines as exact points).
Genius does not normalise weights read from a file, and caps a utility above
1 at 1. The case's utility is a weighted mean, so weights summing to less than
1 divide Genius's utility by their sum, and the reservation is divided by it
too: every party accepts exactly the bids Genius's profile accepts. Weights
summing to more than 1 with bids above 1 (capped by Genius) are refused.

Refused, with file:line: hyper-rectangle (`utility_function`/`ufun`) and other
non-linear utilities, nested objectives, triangular and other evaluators, and
a discount factor other than 0 or 1 (Genius's "no discount") unless
`ignore_discount` asks for the undiscounted utility. XML is read by expat with
DTDs and entities refused (no entity expansion: no "billion laughs").
"""

from __future__ import annotations

import math
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path

from negotiate.errors import CaseError, Location, Problem
from negotiate.interop.common import ForeignIssue, ForeignProfile, clipped_line, located

MAX_BYTES = 20 * 2**20


# -- a small, safe XML tree with line numbers -------------------------------------
@dataclass
class Node:
    tag: str
    attrib: dict
    file: str
    line: int
    col: int
    children: list = field(default_factory=list)

    @property
    def where(self) -> Location:
        return Location(self.file, self.line, self.col)

    def all(self, tag: str) -> list["Node"]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> "Node | None":
        found = self.all(tag)
        return found[0] if found else None


class _Refused(Exception):
    pass


def parse_xml(path: Path) -> Node:
    """The document's root; malformed XML, DTDs and entities are located CaseErrors."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise located(f"cannot read the file ({e.strerror})", Location(name)) from None
    if len(raw) > MAX_BYTES:
        raise located(f"the file is larger than {MAX_BYTES // 2**20} MiB", Location(name))
    parser = xml.parsers.expat.ParserCreate()
    stack: list[Node] = []
    root: list[Node] = []

    def start(tag, attrib):
        node = Node(tag, dict(attrib), name, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(tag):
        stack.pop()

    def refuse(*_args):
        raise _Refused("a DTD or entity declaration (refused: entity expansion is a known attack)")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(raw, True)
    except _Refused as e:
        raise located(f"XML not accepted: {e}", Location(name, parser.CurrentLineNumber,
                                                          parser.CurrentColumnNumber + 1)) from None
    except xml.parsers.expat.ExpatError as e:
        raise located(f"XML syntax error: {xml.parsers.expat.ErrorString(e.code)}",
                      Location(name, e.lineno, e.offset + 1)) from None
    return root[0]


def _float(node: Node, attr: str, default: float | None = None) -> float:
    raw = node.attrib.get(attr)
    if raw is None:
        if default is not None:
            return default
        raise located(f"<{node.tag}> has no `{attr}` attribute", node.where)
    try:
        v = float(raw)
    except ValueError:
        raise located(f"<{node.tag} {attr}=...> is not a number", node.where, raw) from None
    if not math.isfinite(v):
        raise located(f"<{node.tag} {attr}=...> is not a finite number", node.where, raw)
    return v


# -- the domain ------------------------------------------------------------------
def _objective(root: Node) -> Node:
    if root.tag == "negotiation_template":
        space = root.first("utility_space")
        if space is None:
            raise located("a Genius domain has <utility_space> inside <negotiation_template>", root.where)
        root = space
    if root.tag != "utility_space":
        raise located(f"not a Genius domain or profile: the root element is <{root.tag}>", root.where,
                      hint="expected <negotiation_template> (domain) or <utility_space> (profile)")
    return root.first("objective") or root


def _issue_kind(node: Node) -> str:
    return node.attrib.get("type") or node.attrib.get("etype") or "discrete"


def read_domain(root: Node) -> tuple[str, list[ForeignIssue]]:
    """The domain's name and its issues, in file order."""
    objective = _objective(root)
    nested = objective.all("objective")
    if nested:
        raise located("nested objectives (an objective tree) are not supported: only issues directly under "
                      "the top objective", nested[0].where)
    issues = []
    for node in objective.all("issue"):
        label = node.attrib.get("name")
        if not label:
            raise located("<issue> without a `name`", node.where)
        kind = _issue_kind(node)
        if kind == "discrete":
            items = [i.attrib.get("value") for i in node.all("item")]
            if not items or any(v is None for v in items):
                raise located(f"discrete issue {label!r} needs <item value=...> entries", node.where)
            if len(set(items)) != len(items):
                raise located(f"discrete issue {label!r} lists a value twice", node.where)
            issues.append(ForeignIssue(label, "discrete", node.where, options=items))
        elif kind in ("integer", "real"):
            lo, hi = _bounds(node)
            if kind == "integer" and (lo != int(lo) or hi != int(hi)):
                raise located(f"integer issue {label!r} has non-integer bounds", node.where, (lo, hi))
            if lo > hi:
                raise located(f"issue {label!r}: lowerbound above upperbound", node.where, (lo, hi))
            issues.append(ForeignIssue(label, kind, node.where, lo=lo, hi=hi))
        else:
            raise located(f"issue {label!r} has type {kind!r}; Genius issues are discrete, integer or real",
                          node.where)
    if not issues:
        raise located("no <issue> found in the domain", objective.where)
    name = objective.attrib.get("name") or Path(root.file).stem
    return name, issues


def _bounds(node: Node) -> tuple[float, float]:
    rng = node.first("range")
    src = rng if rng is not None and "lowerbound" in rng.attrib else node
    return _float(src, "lowerbound"), _float(src, "upperbound")


# -- a profile ---------------------------------------------------------------------
NONLINEAR_TAGS = ("utility_function", "utility", "ufun", "hyperRectangle", "constraint")


def read_profile(root: Node, issues: list[ForeignIssue], ignore_discount: bool = False) -> ForeignProfile:
    file = root.file
    if root.tag != "utility_space":
        raise located(f"a Genius profile's root element is <utility_space>, not <{root.tag}>", root.where)
    if root.attrib.get("type") not in (None, "linear", "additive"):
        raise located(f"utility space of type {root.attrib['type']!r} is not linear-additive: not imported",
                      root.where, hint="only additive (weighted-sum) Genius profiles have an exact case")
    objective = _objective(root)
    nested = objective.all("objective")
    if nested:
        raise located("nested objectives (an objective tree) are not supported: only issues directly under "
                      "the top objective", nested[0].where)
    for node in [objective] + objective.children:
        if node.tag in NONLINEAR_TAGS:
            raise located(f"<{node.tag}>: a non-linear (hyper-rectangle) utility; it cannot be written "
                          "exactly as weighted criteria and is not approximated", node.where)
    by_label = {i.label: i for i in issues}
    prof = ForeignProfile(label=Path(file).stem, file=file, weights={})
    index_of = {}
    seen = set()
    for node in objective.all("issue"):
        label = node.attrib.get("name")
        if label not in by_label:
            raise located(f"issue {label!r} is not in the domain", node.where,
                          hint=f"domain issues: {', '.join(by_label)}")
        index_of[node.attrib.get("index")] = label
        _evaluations(node, by_label[label], prof)
        seen.add(label)
    for node in objective.all("weight"):
        label = index_of.get(node.attrib.get("index"))
        if label is None:
            raise located(f"<weight index={node.attrib.get('index')!r}> names no issue of this profile", node.where)
        w = _float(node, "value")
        if w < 0:
            raise located("a negative issue weight", node.where, w)
        prof.weights[label] = w
    for issue in issues:
        if issue.label not in seen:
            prof.weights[issue.label] = 0.0
            prof.notes.append(f"issue {issue.label!r} is not evaluated in this profile: weight 0")
        elif issue.label not in prof.weights:
            raise located(f"issue {issue.label!r} has no <weight>", objective.where)
    _reservation_and_discount(root, prof, ignore_discount)
    _refuse_capped(prof, objective)
    scale_to_weights(prof)
    return prof


def _refuse_capped(prof: ForeignProfile, objective: Node) -> None:
    """Genius caps a utility above 1 at 1 (AdditiveUtilitySpace.getUtility): with weights summing
    to more than 1 some bids are capped, and min(1, sum) is not a weighted sum."""
    total = sum(prof.weights.values())
    best = sum(w * max([*prof.scores.get(i, {}).values(), *(y for _, y in prof.points.get(i, []))] or [0.0])
               for i, w in prof.weights.items())
    if total > 1 + 1e-9 and best > 1 + 1e-9:
        where = (objective.all("weight") or [objective])[0].where
        raise located(f"issue weights sum to {total:g}: the best bids reach {best:g}, which Genius caps at 1; "
                      "a capped utility is not linear-additive and is not approximated", where,
                      hint="scale the weights to sum to 1 (Genius's own editor does)")


def _evaluations(node: Node, issue: ForeignIssue, prof: ForeignProfile) -> None:
    if issue.kind == "discrete":
        raw = {}
        for item in node.all("item"):
            value = item.attrib.get("value")
            if value not in issue.options:
                raise located(f"value {value!r} is not an option of issue {issue.label!r} in the domain", item.where)
            raw[value] = _float(item, "evaluation")
            if raw[value] < 0:
                raise located("a negative evaluation", item.where, raw[value])
        missing = [o for o in issue.options if o not in raw]
        if missing:
            raise located(f"issue {issue.label!r}: no evaluation for {', '.join(map(repr, missing))}", node.where)
        best = max(raw.values())
        prof.scores[issue.label] = {o: (e / best if best > 0 else 0.0) for o, e in raw.items()}
        prof.explain[issue.label] = (f"{issue.label!r}: score = evaluation / {best:g} (the best evaluation): "
                                     + ", ".join(f"{o} {e:g}" for o, e in raw.items()))
        return
    ev = node.first("evaluator")
    if ev is None:
        raise located(f"{issue.kind} issue {issue.label!r} has no <evaluator>", node.where)
    ftype = ev.attrib.get("ftype", "linear")
    if issue.kind == "integer" and ftype == "linear":
        slope, offset = _float(ev, "slope", 0.0), _float(ev, "offset", 0.0)
        # Genius: offset + slope * (x - lowerbound), clipped to [0, 1]; the profile's own bound if it gives one
        lb = _float(node, "lowerbound", issue.lo)
        prof.points[issue.label] = clipped_line(slope, offset - slope * lb, issue.lo, issue.hi)
        prof.explain[issue.label] = (f"{issue.label!r}: min(1, max(0, {offset:g} + {slope:g} * (x - {lb:g})))"
                                     " (Genius's integer evaluator)")
    elif issue.kind == "real" and ftype == "linear":
        offset, slope = _float(ev, "parameter0", 0.0), _float(ev, "parameter1", 0.0)
        prof.points[issue.label] = clipped_line(slope, offset, issue.lo, issue.hi)
        prof.explain[issue.label] = (f"{issue.label!r}: min(1, max(0, {offset:g} + {slope:g} * x))"
                                     " (Genius's linear real evaluator)")
    elif issue.kind == "real" and ftype == "constant":
        c = _float(ev, "parameter0")
        prof.points[issue.label] = [(issue.lo, c), (max(issue.hi, issue.lo + 1.0), c)]
        prof.explain[issue.label] = f"{issue.label!r}: constant {c:g}"
    else:
        raise located(f"evaluator ftype {ftype!r} on {issue.kind} issue {issue.label!r} is not linear: "
                      "not imported (it would have to be approximated)", ev.where)


def _reservation_and_discount(root: Node, prof: ForeignProfile, ignore_discount: bool) -> None:
    res = root.first("reservation")
    if res is not None:
        prof.reservation = _float(res, "value")
        if res.attrib.get("value") is not None:
            prof.notes.append(f"reservation value {prof.reservation:g} ({res.where})")
    disc = root.first("discount_factor")
    if disc is None:
        return
    df = _float(disc, "value")
    if df in (0.0, 1.0) or df > 1 or df < 0:  # Genius: outside (0, 1) means no discount
        prof.notes.append(f"discount factor {df:g}: no discounting in Genius, so the utility is exact")
        return
    if not ignore_discount:
        raise located(f"discount factor {df:g}: Genius discounts utilities over negotiation time, which a "
                      "case (one agreement, no clock) cannot express", disc.where, df,
                      hint="import the undiscounted utility with --ignore-discount (noted in the case)")
    prof.notes.append(f"discount factor {df:g} ignored (--ignore-discount): utilities are undiscounted, "
                      "as at the start of a Genius negotiation; the reservation is undiscounted too")


def scale_to_weights(prof: ForeignProfile) -> None:
    """Weights not summing to 1: the case's weighted mean is Genius's sum / total, so divide
    the reservation by the total as well (every acceptance decision stays the same)."""
    total = sum(prof.weights.values())
    if total <= 0:
        raise CaseError([Problem("every issue weight is 0", location=Location(prof.file))])
    if abs(total - 1.0) > 1e-9:
        prof.notes.append(f"weights sum to {total:g}, not 1: the case's utility is the profile's divided by "
                          f"{total:g}, and so is the reservation ({prof.reservation:g} -> {prof.reservation / total:g})")
        prof.reservation /= total


# -- a folder ----------------------------------------------------------------------
def read_folder(folder: Path, ignore_discount: bool = False) -> tuple[str, list[ForeignIssue], list[ForeignProfile]]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xml" and p.is_file())
    roots = [parse_xml(p) for p in files]
    domains = [r for r in roots if r.tag == "negotiation_template"]
    profiles = [r for r in roots if r.tag == "utility_space"]
    others = [r for r in roots if r.tag not in ("negotiation_template", "utility_space")]
    if len(domains) > 1:
        raise located(f"{len(domains)} domain files (<negotiation_template>) in one folder: "
                      + ", ".join(d.file for d in domains), Location(str(folder)))
    if others:
        raise located(f"not a Genius domain or profile: the root element is <{others[0].tag}>", others[0].where)
    if not profiles:
        raise located("no Genius profile (<utility_space>) in the folder", Location(str(folder)))
    if domains:
        name, issues = read_domain(domains[0])
    else:  # a profile lists every issue and value too
        name, issues = read_domain(profiles[0])
        name = folder.name
    return name, issues, [read_profile(p, issues, ignore_discount) for p in profiles]
