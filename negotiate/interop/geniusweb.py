"""GeniusWeb domains: a JSON domain and LinearAdditiveUtilitySpace profiles.

GeniusWeb's linear-additive utility: u(bid) = sum_i w_i * v_i(bid_i), where a
discrete issue's value utilities are given directly (`discreteutils` /
`DiscreteValueSetUtilities`: `valueUtilities`, a missing value scores 0) and a
number issue's are linear between (lowValue, lowUtility) and (highValue,
highUtility), 0 outside (`numberutils` / `NumberValueSetUtilities`). A number
issue's values are low, low + step, ..., high: a whole-number range with step 1
becomes an integer issue whose points are exact at every whole number; any
other step becomes a discrete issue of its values (at most MAX_VALUES). The
`reservationBid`'s utility is the party's reservation. (GeniusWeb's Python
NumberValueSetUtilities rounds a number's utility to 8 decimals; the case keeps
the unrounded line, at most 5e-9 away.)

Refused, located: other utility spaces (SumOfGroups, partial orderings),
and discount factors other than 1.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path

from negotiate.case.load import read_document
from negotiate.case.source import SourceMap
from negotiate.errors import CaseError, Location, Problem
from negotiate.interop.common import ForeignIssue, ForeignProfile, located
from negotiate.interop.genius import scale_to_weights

MAX_VALUES = 10_000
PROFILE_KEYS = ("LinearAdditiveUtilitySpace",)
DISCRETE_KEYS = ("discreteutils", "DiscreteValueSetUtilities")
NUMBER_KEYS = ("numberutils", "NumberValueSetUtilities")


class _Doc:
    """A JSON document and where each of its parts is."""

    def __init__(self, path: Path):
        self.file = str(path)
        self.data, self.source = read_document(path)

    def at(self, *keys) -> Location:
        return (self.source or SourceMap(self.file)).locate(tuple(str(k) for k in keys))


def _dec(value, doc: _Doc, *keys) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise located("not a number", doc.at(*keys), value) from None
    if not d.is_finite():
        raise located("not a finite number", doc.at(*keys), value)
    return d


def _label(v) -> str:
    """A number's label as people write it: 2000, 0.75, 1 (not 2E+3 or 1.00)."""
    return format(v.normalize(), "f") if isinstance(v, Decimal) else str(v)


# -- the domain ------------------------------------------------------------------
def read_domain(doc: _Doc, data: dict, keys: tuple = ()) -> tuple[str, list[ForeignIssue], dict]:
    """Name, issues and, per number issue, its values (Decimal) for scoring."""
    values = data.get("issuesValues")
    if not isinstance(values, dict) or not values:
        raise located("a GeniusWeb domain needs `issuesValues`: {issue: {values: [...]} | {range: {...}}}",
                      doc.at(*keys))
    issues, numbers = [], {}
    for label, spec in values.items():
        path = keys + ("issuesValues", label)
        where = doc.at(*path)
        if isinstance(spec, dict) and "values" in spec:
            opts = [str(v) for v in spec["values"]]
            if not opts or len(set(opts)) != len(opts):
                raise located(f"issue {label!r}: `values` must list distinct values", where)
            issues.append(ForeignIssue(label, "discrete", where, options=opts))
        elif isinstance(spec, dict) and isinstance(spec.get("range"), dict):
            r = spec["range"]
            lo, hi = (_dec(r.get(k), doc, *path, "range", k) for k in ("low", "high"))
            step = _dec(r.get("step", 1), doc, *path, "range", "step")
            if step <= 0 or hi < lo:
                raise located(f"issue {label!r}: a range needs low <= high and step > 0", where, r)
            count = int((hi - lo) / step) + 1
            if step == 1 and lo == lo.to_integral_value():
                issues.append(ForeignIssue(label, "integer", where, lo=float(lo), hi=float(lo + (count - 1))))
                numbers[label] = ("integer", [lo + k for k in range(count)] if count <= MAX_VALUES else None)
            else:
                if count > MAX_VALUES:
                    raise located(f"issue {label!r} has {count:,} values with step {step}: above {MAX_VALUES:,}, "
                                  "not imported", where)
                vals = [lo + k * step for k in range(count)]
                issues.append(ForeignIssue(label, "discrete", where, options=[_label(v) for v in vals]))
                numbers[label] = ("steps", vals)
        else:
            raise located(f"issue {label!r}: expected {{\"values\": [...]}} or {{\"range\": {{low, high, step}}}}",
                          where, spec)
    return str(data.get("name") or Path(doc.file).stem), issues, numbers


# -- a profile ---------------------------------------------------------------------
def read_profile(doc: _Doc, issues: list[ForeignIssue], numbers: dict) -> ForeignProfile:
    data = doc.data
    kind = next(iter(data), None)
    if kind not in PROFILE_KEYS:
        raise located(f"profile of type {kind!r}: only LinearAdditiveUtilitySpace profiles are linear-additive "
                      "and imported exactly", doc.at(kind) if kind else Location(doc.file),
                      hint="SumOfGroupsUtilitySpace and partial orderings are not approximated")
    body = data[kind]
    base = (kind,)
    prof = ForeignProfile(label=str(body.get("name") or Path(doc.file).stem), file=doc.file, weights={})
    utils = body.get("issueUtilities") or {}
    weights = body.get("issueWeights") or {}
    by_label = {i.label: i for i in issues}
    for label in list(utils) + list(weights):
        if label not in by_label:
            raise located(f"issue {label!r} is not in the domain", doc.at(*base, "issueUtilities", label),
                          hint=f"domain issues: {', '.join(by_label)}")
    for issue in issues:
        w = weights.get(issue.label, 0.0)
        prof.weights[issue.label] = float(_dec(w, doc, *base, "issueWeights", issue.label))
        if prof.weights[issue.label] < 0:
            raise located("a negative issue weight", doc.at(*base, "issueWeights", issue.label), w)
        spec = utils.get(issue.label)
        if spec is None:
            prof.notes.append(f"issue {issue.label!r} has no utilities: it scores 0")
            spec = {"discreteutils": {"valueUtilities": {}}} if issue.kind == "discrete" else None
        _utilities(doc, base + ("issueUtilities", issue.label), issue, spec, numbers.get(issue.label), prof)
    discount = body.get("discount_factor", body.get("discountFactor"))
    if discount is not None and float(discount) != 1.0:
        raise located(f"discount factor {discount}: not expressible in a case (one agreement, no clock)",
                      doc.at(*base, "discount_factor"), discount)
    prof.reservation = _reservation(doc, body, base, issues, numbers, prof)
    scale_to_weights(prof)
    return prof


def _utilities(doc, path, issue, spec, number, prof: ForeignProfile) -> None:
    key = next((k for k in (spec or {}) if k in DISCRETE_KEYS + NUMBER_KEYS), None)
    if key is None:
        if issue.kind == "integer":
            prof.points[issue.label] = [(issue.lo, 0.0), (issue.hi if issue.hi > issue.lo else issue.lo + 1, 0.0)]
            return
        raise located(f"issue {issue.label!r}: expected discreteutils or numberutils", doc.at(*path), spec)
    body = spec[key]
    if key in DISCRETE_KEYS:
        if number is not None:
            raise located(f"issue {issue.label!r} is a number range in the domain, but these are discrete "
                          "utilities", doc.at(*path, key))
        vu = body.get("valueUtilities") or {}
        for value in vu:
            if value not in issue.options:
                raise located(f"value {value!r} is not in issue {issue.label!r}", doc.at(*path, key, "valueUtilities",
                                                                                     value))
        scores = {o: float(_dec(vu.get(o, 0), doc, *path, key, "valueUtilities", o)) for o in issue.options}
        bad = [o for o, s in scores.items() if not 0 <= s <= 1]
        if bad:
            raise located(f"value utilities must be in [0, 1] (GeniusWeb's rule): {', '.join(bad)}",
                          doc.at(*path, key, "valueUtilities", bad[0]), scores[bad[0]])
        missing = [o for o in issue.options if o not in vu]
        if missing:
            prof.notes.append(f"issue {issue.label!r}: no utility for {', '.join(missing)}: scored 0 (as GeniusWeb)")
        prof.scores[issue.label] = scores
        return
    if number is None:
        raise located(f"issue {issue.label!r} has discrete values in the domain, but these are number utilities",
                      doc.at(*path, key))
    line = tuple(_dec(body.get(k), doc, *path, key, k) for k in ("lowValue", "lowUtility", "highValue", "highUtility"))
    if line[2] <= line[0]:
        raise located("highValue must be above lowValue", doc.at(*path, key), dict(body))
    kind, values = number
    if kind == "steps":
        prof.scores[issue.label] = {_label(v): float(number_utility(line, v)) for v in values}
    else:
        prof.points[issue.label] = _integer_points(line, issue)
    prof.explain[issue.label] = (f"{issue.label!r}: linear from {line[1]} at {line[0]} to {line[3]} at {line[2]}, "
                                 "0 outside (GeniusWeb's number utilities)")


def number_utility(line: tuple, x: Decimal) -> Decimal:
    lv, lu, hv, hu = line
    if x < lv or x > hv:
        return Decimal(0)
    return lu + (hu - lu) * (x - lv) / (hv - lv)


def _integer_points(line: tuple, issue: ForeignIssue) -> list[tuple[float, float]]:
    """Exact at every whole number of [lo, hi]: the line on the whole numbers inside
    [lowValue, highValue], 0 at those outside (a steep step between neighbours)."""
    lo, hi = int(issue.lo), int(issue.hi)
    lv, hv = line[0], line[2]
    first = max(lo, math.ceil(lv))
    last = min(hi, math.floor(hv))
    pts: list[tuple[float, float]] = []
    if first > last:  # no whole number inside: 0 everywhere
        return [(lo, 0.0), (hi if hi > lo else lo + 1, 0.0)]
    if first > lo:
        pts.append((first - 1, 0.0))
    pts.append((first, float(number_utility(line, Decimal(first)))))
    if last > first:
        pts.append((last, float(number_utility(line, Decimal(last)))))
    if last < hi:
        pts.append((last + 1, 0.0))
    if len(pts) == 1:
        pts.append((pts[0][0] + 1, pts[0][1]) if hi == lo else (hi, pts[0][1]))
    return pts


def _reservation(doc, body, base, issues, numbers, prof) -> float:
    bid = body.get("reservationBid")
    if bid is None:
        return float(body.get("reserved_value") or 0.0)
    values = bid.get("issuevalues", bid) if isinstance(bid, dict) else None
    if not isinstance(values, dict):
        raise located("reservationBid must be {\"issuevalues\": {issue: value}}", doc.at(*base, "reservationBid"), bid)
    total = Decimal(0)
    for issue in issues:
        if issue.label not in values:
            continue  # a partial bid: the missing issue contributes 0 (GeniusWeb)
        v = values[issue.label]
        w = Decimal(str(prof.weights[issue.label]))
        where = doc.at(*base, "reservationBid", "issuevalues", issue.label)
        if issue.label in prof.points:
            x = _dec(v, doc, *base, "reservationBid", "issuevalues", issue.label)
            if not issue.lo <= x <= issue.hi or x != x.to_integral_value():
                raise located(f"reservation bid value for {issue.label!r} is not in the issue", where, v)
            total += w * Decimal(str(_interp(prof.points[issue.label], float(x))))
        else:
            label = str(v)
            if numbers.get(issue.label):  # a stepped number issue: match by value, not spelling
                x = _dec(v, doc, *base, "reservationBid", "issuevalues", issue.label)
                label = next((_label(u) for u in numbers[issue.label][1] if u == x), label)
            if label not in prof.scores[issue.label]:
                raise located(f"reservation bid value {v!r} is not an option of {issue.label!r}", where)
            total += w * Decimal(str(prof.scores[issue.label][label]))
    prof.notes.append(f"reservation = the utility of the reservationBid {dict(values)}")
    return float(total)


def _interp(points, x: float) -> float:
    import numpy as np

    return float(np.interp(x, [p[0] for p in points], [p[1] for p in points]))


# -- a folder ----------------------------------------------------------------------
def read_folder(folder: Path) -> tuple[str, list[ForeignIssue], list[ForeignProfile]]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file())
    docs = [_Doc(p) for p in files]
    domains = [d for d in docs if "issuesValues" in d.data]
    profiles = [d for d in docs if "issuesValues" not in d.data]
    if len(domains) > 1:
        raise located(f"{len(domains)} domain files (with issuesValues) in one folder: "
                      + ", ".join(d.file for d in domains), Location(str(folder)))
    if not profiles:
        raise located("no GeniusWeb profile in the folder", Location(str(folder)))
    if domains:
        name, issues, numbers = read_domain(domains[0], domains[0].data)
    else:  # profiles embed their domain
        first = profiles[0]
        kind = next(iter(first.data), "")
        embedded = first.data.get(kind, {}).get("domain") if isinstance(first.data.get(kind), dict) else None
        if not isinstance(embedded, dict):
            raise located("no domain file and the profile embeds no `domain`", Location(first.file))
        name, issues, numbers = read_domain(first, embedded, (kind, "domain"))
    problems: list[Problem] = []
    read = []
    for doc in profiles:
        try:
            read.append(read_profile(doc, issues, numbers))
        except CaseError as e:
            problems += e.problems
    if problems:
        raise CaseError(problems)
    return name, issues, read
