"""Proposal: the agreement a concept proposes, and what it means for each party.

Scores and utilities are recomputed from the agreed issue values (never read
off the solver's curve fills and utility columns, which need not be tight
where the objective does not push them). Views: `to_dict()`
(the JSON of CASE_FORMAT.md section 5), `to_json()`, pandas frames.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate, chain
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from negotiate.compile import kept_section
from negotiate.results import SolverInfo, Status, status_of, trusted

if TYPE_CHECKING:
    from negotiate.diagnose import Diagnosis

BINDING_TOL = 1e-6
# The re-check of an agreement (negotiate.solving.verify, and the enumeration's, negotiate.discrete):
ACCEPT_TOL = 1e-7  # a gain this far below 0, relative to the party's utility scale, is a rejection
CHECK_TOL = 1e-6  # a violation beyond this, relative to the row's own scale, is not an agreement


# -- evaluating a solution ----------------------------------------------------
def issue_values(problem, x: np.ndarray) -> dict:
    """Variable key -> value, cleaned: integers rounded, one option per choice."""
    values = {}
    choices: dict = {}  # (issue, party) -> its options
    var_col = problem.var_col
    for v in problem.resolved.variables:
        key = v.key
        val = float(x[var_col[key]])
        val = min(max(val, v.lb), v.ub)
        if key[2] is not None:
            choices.setdefault(key[:2], []).append(key[2])
        elif v.integer:
            val = float(round(val))
        values[key] = val
    for (iid, party), opts in choices.items():
        best = max(opts, key=lambda o: values[(iid, party, o)])
        for o in opts:
            values[(iid, party, o)] = 1.0 if o == best else 0.0
    return values


def utilities(problem, values: dict) -> tuple[dict, dict]:
    """Per party utility and per criterion score, from issue values.

    The same numbers as each curve's `ScoreCurve.score`, bit for bit: an argument shared
    by many criteria (every party's view of a public good) is summed once, and a party's
    curves are interpolated together (`_Curves`)."""
    utils, scores = {}, {}
    curves, spans, weights = _every_curve(problem.resolved, problem.parties)
    at = curves.arguments(values)
    argument: dict = {}  # id(lin) -> its value here
    for i in curves.long:
        lin = curves.lins[i]
        e = argument.get(id(lin))
        if e is None:
            e = argument[id(lin)] = lin.value(values)
        at[i] = e
    every = curves.scores(at)
    # each score times its weight (the products a loop over the floats makes), summed in order
    worth = (weights * every).tolist()
    every = every.tolist()
    for p, (first, end, ids) in zip(problem.parties, spans):
        scores[p] = dict(zip(ids, every[first:end]))
        utils[p] = sum(worth[first:end])
    return utils, scores


def _every_curve(resolved, parties: list) -> tuple[_Curves, list, np.ndarray]:
    """Every party's curves as one set of arrays (each row evaluated exactly as alone), each
    party's rows in it (first, end, its criteria's ids) and the criteria's weights; made once per
    resolved case, kept under the party None, which a what-if change never carries
    (case/resolve.py). CPU ms to make them, benchmarks/generate.py cases x 30 criteria (load 5
    on 2 cores), one set per party filled criterion by criterion vs this: 5 parties 0.70 vs
    0.24, 20 parties 2.9 vs 1.05, 50 parties 7.8 vs 2.5. After a compile of the case, made from
    what compile read of the criteria (`_Curves.drawn`): `utilities` in a fresh 5-party solve
    took 0.30 ms, 0.15 from it (benchmarks/bench_small.py's steps, load 2.3)."""
    kept = resolved.per_party.get(("curves", None))
    if kept is None or kept[2] != parties:
        sec = kept_section(resolved) if parties == resolved.parties else None
        if sec is not None and sec.read is not None:  # compile read the criteria: its arrays
            curves = _Curves.drawn(sec.read, resolved.variables)
            ids, weights = sec.ids, sec.weights
        else:
            crits = [c for p in parties for c in resolved.criteria[p]]
            curves, ids = _Curves(crits), [c.id for c in crits]
            weights = np.fromiter(map(_WEIGHT, crits), float, len(crits))
        ends = list(accumulate(len(resolved.criteria[p]) for p in parties))  # (np.cumsum: 2 us more)
        spans = [(first, end, ids[first:end]) for first, end in zip([0] + ends[:-1], ends)]
        kept = resolved.per_party[("curves", None)] = (curves, spans, list(parties), weights)
    return kept[0], kept[1], kept[3]


_LIN, _TERMS, _CONST, _X_POINTS, _WEIGHT = (attrgetter(a) for a in ("lin", "terms", "const", "x_points", "weight"))
# Numpy's floating-point warnings as they are: a linear score's padded points give inf - inf
# (silenced), a curve's own points nothing short of an overflow (which warns either way), and
# np.errstate took 6 of the 32 us `_Curves.scores` took in a fresh 5-party solve.
_AS_IS = contextlib.nullcontext()
FEW_TERMS = 8  # arguments with more terms (a public good over every party) are summed one by one, once


class _Curves:
    """A party's score curves padded into arrays, to evaluate them all at once exactly as
    `ScoreCurve.score` does one: the argument summed term by term in the same order as
    `Lin.value`, and interpolated as `np.interp` does (its value at a point, `slope * (e -
    x_j) + y_j` between points, the end values beyond them)."""

    def __init__(self, criteria: list):
        # built from flat arrays (C-level iteration over the points and terms, `_padded`)
        n = len(criteria)
        lins = list(map(_LIN, criteria))
        terms = list(map(_TERMS, lins))
        sizes = np.fromiter(map(len, terms), np.int64, n)
        long = np.flatnonzero(sizes > FEW_TERMS).tolist()
        if long:
            terms = [{} if k > FEW_TERMS else t for t, k in zip(terms, sizes.tolist())]
        where: dict = defaultdict()  # a term's variable -> its place in `keys`, numbered as first met:
        where.default_factory = where.__len__  # one look-up per term (a set of keys, then a map, took 2)
        total = int(np.where(sizes > FEW_TERMS, 0, sizes).sum())
        at = np.fromiter(map(where.__getitem__, chain.from_iterable(terms)), np.int64, total)
        coef = np.fromiter(chain.from_iterable(map(dict.values, terms)), float, total)
        xs = list(map(_X_POINTS, criteria))
        curved = [i for i, x in enumerate(xs) if x is not None]
        npts = np.fromiter(map(len, (xs[i] for i in curved)), np.int64, len(curved))
        X = np.fromiter(chain.from_iterable(xs[i] for i in curved), float, int(npts.sum()))
        Y = np.fromiter(chain.from_iterable(criteria[i].y_points for i in curved), float, len(X))
        # (any fixed order of `keys`: a sort by repr took 40 us)
        self._fill(lins, long, sizes, list(where), at, coef, np.fromiter(map(_CONST, lins), float, n),
                   None if len(curved) == n else curved, npts, X, Y)

    @classmethod
    def drawn(cls, read, variables: list) -> _Curves:
        """The curves of criteria that are all curves, from what compile read of them (compile._Read;
        its term columns number `variables`): the same arrays, `keys` (the variables the terms use)
        in column order. us to make them, benchmarks/generate.py cases x 30 criteria (load 1.4 on
        2 cores), from the criteria vs this: 5 parties 152 vs 42, 20 parties 521 vs 76. In a fresh
        5-party solve (wall, medians of 4 alternating runs of 300, load 3): 64 us renumbering the
        columns and placing the padded values by index (`_padded`), 40 us with the columns kept
        when the terms use every variable and the values placed by a mask."""
        col, coef, sizes = read.term_col, read.term_coef, read.n_terms
        long = np.flatnonzero(sizes > FEW_TERMS).tolist() if _most(sizes, 0) > FEW_TERMS else []
        if long:  # (the terms of `long` arguments are left out)
            kept = np.repeat(sizes <= FEW_TERMS, sizes)
            col, coef = col[kept], coef[kept]
        used = np.zeros(len(variables), bool)
        used[col] = True  # the variables the terms use, numbered in column order (np.unique took 20 us)
        if np.count_nonzero(used) == len(used):  # (their numbers are their columns; used.all() took 4 us)
            keys = [v.key for v in variables]
        else:
            keys = [variables[j].key for j in np.flatnonzero(used).tolist()]
            col = (np.cumsum(used) - 1)[col]
        curves = cls.__new__(cls)
        curves._fill(read.lins, long, sizes, keys, col, coef, read.const, None, read.npts, read.X, read.Y)
        return curves

    def _fill(self, lins: list, long: list, sizes: np.ndarray, keys: list, at: np.ndarray, coef: np.ndarray,
              const: np.ndarray, curved, npts: np.ndarray, X: np.ndarray, Y: np.ndarray) -> None:
        """The arrays, from each criterion's Lin and number of terms (the `long` ones, with more than
        FEW_TERMS, are summed by their Lins), the others' terms flat (at: each one's place in `keys`,
        coef), the constants, and the criteria `curved`'s points (npts of each next in X, Y; None:
        every criterion is a curve)."""
        n = len(lins)
        self.long = long
        self.lins = lins
        self.keys = keys
        self.at, self.coef = _padded(n, None, np.where(sizes > FEW_TERMS, 0, sizes) if long else sizes, 0,
                                     (at, 0), (coef, 0.0))
        self.const = const
        self.xs, self.ys = _padded(n, curved, npts, 2, (X, np.inf), (Y, 0.0))
        if curved is None:  # every criterion a curve
            self.linear = np.zeros(n, bool)
            self.last = npts - 1
        else:
            self.linear = np.ones(n, bool)  # discrete scores: the argument itself
            self.linear[curved] = False
            self.last = np.zeros(n, np.int64)
            self.last[curved] = npts - 1
        self.any_linear = curved is not None  # (`_Curves` gives None when every criterion is a curve)
        width = self.xs.shape[1]
        self.start = np.arange(n) * width  # each curve's first point in `flat`
        self.flat = self.xs.ravel(), self.ys.ravel()
        self.top = np.minimum(self.last, width - 2)  # each curve's last segment
        self.ends = self.xs[:, 0], self.ys[:, 0], self.flat[1][self.start + self.last]

    @functools.cached_property
    def slopes(self) -> np.ndarray:
        """Each segment's slope (`scores` divides only the segments it reads, the same floats)."""
        with np.errstate(invalid="ignore"):
            return np.diff(self.ys, axis=1) / np.diff(self.xs, axis=1)

    def arguments(self, values: dict) -> np.ndarray:
        """Each curve's argument (those in `long` are left for the caller)."""
        return self.arguments_at(np.array([values[k] for k in self.keys], float))

    def arguments_at(self, x: np.ndarray) -> np.ndarray:
        """`arguments` from the values of `keys`, in that order."""
        terms = self.coef * x[self.at]
        acc = np.zeros(len(self.const))
        for column in terms.T:  # term by term: the sums Lin.value makes, in its order
            acc += column
        return self.const + acc

    def scores(self, at: np.ndarray) -> np.ndarray:
        e = np.asarray(at, float)
        if not len(e):
            return e
        xs, ys = self.flat
        x_first, y_first, y_last = self.ends
        past = (self.xs[:, 1:] <= e[:, None]).sum(axis=1)  # the points after the first at or below e
        k = self.start + np.minimum(past, self.top)  # its segment's first point
        x0, y0 = xs[k], ys[k]
        k += 1
        with np.errstate(invalid="ignore") if self.any_linear else _AS_IS:  # (see _AS_IS)
            y = (ys[k] - y0) / (xs[k] - x0) * (e - x0) + y0  # its slope (as `slopes`) times the way along
        y = np.where(past >= self.last, y_last, y)
        y = np.where(e < x_first, y_first, y)
        return np.where(self.linear, e, y) if self.any_linear else y


def _most(counts: np.ndarray, least: int) -> int:
    """The largest of `counts`, `least` when there is none. (By the ufunc's reduce: ndarray.max
    and .min, through numpy's Python wrappers, took 3.3 and 1.7 us in a fresh 5-party solve.)"""
    return int(np.maximum.reduce(counts)) if len(counts) else least


def _padded(n: int, rows, counts: np.ndarray, least: int, *flats: tuple) -> list[np.ndarray]:
    """Each (flat, pad) of `flats` as an n x width array (width: the largest count, `least` when
    there is none): row rows[i] (i when rows is None) holds counts[i] values of flat, after those
    of the rows before it, then `pad`. Reshaped, not scattered, when every row holds `width`
    (np.array of 5 parties x 30 criteria's 10 points took 0.08 of the 0.27 ms the curves took to
    make; flat arrays scattered, 0.03)."""
    width = _most(counts, least)
    if len(counts) == n and n and np.minimum.reduce(counts) == width:
        return [flat.reshape(n, width) for flat, _ in flats]
    # the places each row holds, as a mask filled in row order (5 numpy calls; each value's place
    # as an index, sparse.ranges, took 9: see `_Curves.drawn`)
    held = np.arange(width) < counts[:, None]
    if rows is not None:
        held, into = np.zeros((n, width), bool), held
        held[rows] = into
    out = []
    for flat, pad in flats:
        a = np.zeros((n, width), flat.dtype) if pad == 0 else np.full((n, width), pad, flat.dtype)
        a[held] = flat
        out.append(a)
    return out


def agreement_of(problem, values: dict) -> dict:
    """Issue id -> value (shared) or {party: value} (per party); options by name."""
    case = problem.case
    out: dict = {}
    for iid, issue in case.issues.items():
        def one(party):
            if issue.options is not None:
                return next(o for o in issue.options if values[(iid, party, o)] > 0.5)
            val = values[(iid, party, None)]
            return int(val) if issue.integer else _clean(val)
        out[iid] = {p: one(p) for p in problem.parties} if issue.per_party else one(None)
    return out


def _clean(v: float, digits: int = 9) -> float:
    if v and math.isfinite(v) and abs(v) < 1:  # small values keep `digits` significant digits
        digits += -math.floor(math.log10(abs(v)))
    r = round(v, digits)
    return 0.0 if r == 0 else r


# -- results ----------------------------------------------------------------
@dataclass(frozen=True)
class PartyOutcome:
    utility: float | None
    reservation: float
    ideal: float | None = None
    gain: float | None = None
    satisfaction: float | None = None
    criteria: dict = field(default_factory=dict)
    weight: float = 1.0
    accepts: bool | None = None
    held: bool = False  # cannot gain above its reservation in any acceptable agreement

    def to_dict(self) -> dict:
        return {
            "utility": _r(self.utility),
            "reservation": self.reservation,
            "ideal": _r(self.ideal),
            "gain": _r(self.gain),
            "satisfaction": _r(self.satisfaction),
            "criteria": {k: _r(v) for k, v in self.criteria.items()},
            "weight": self.weight,
            "accepts": self.accepts,
            "held_at_reservation": self.held,
        }


@dataclass(frozen=True)
class ConstraintOutcome:
    id: str  # case id: parties.CHN.limits.max_cut
    kind: str  # limit | constraint | reservation
    party: str | None
    value: float  # the constrained expression at the agreement
    lower: float | None
    upper: float | None
    slack: float
    binding: bool
    shadow_price: float | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "party": self.party,
            "value": _r(self.value),
            "lower": self.lower,
            "upper": self.upper,
            "binding": self.binding,
            "slack": _r(self.slack),
            "shadow_price": _r(self.shadow_price),
        }


@dataclass(frozen=True)
class Proposal:
    """The agreement a concept proposes for a case, and its consequences.

    `status` is a `Status` (its value the JSON string: optimal, feasible,
    infeasible, error); `diagnosis` says why there is no agreement;
    `solver` how the proposal was computed.
    """

    case: str
    concept: str
    status: Status
    agreement: dict | None
    parties: dict  # id -> PartyOutcome
    collective_benefit: float | None
    constraints: list = field(default_factory=list)
    diagnosis: "Diagnosis | None" = None  # negotiate.diagnose.Diagnosis
    solver: SolverInfo | None = None
    notes: list = field(default_factory=list)
    shadow_prices: dict | None = None  # {"objective": ..., "conditional_on_discrete_choices": ...}
    ties: int | None = None  # agreements equally optimal for the concept (None: not enumerated)
    tied_agreements: list | None = None  # the first of them, in outcome order; `agreement` is the first
    ratification: dict | None = None  # two-level cases: who accepts, ratifies, is outvoted (section 7)
    status_quo: dict | None = None  # party -> utility at the case's status quo (None: no status_quo)

    def __post_init__(self):
        object.__setattr__(self, "status", status_of(self.status))
        if isinstance(self.solver, dict):  # as a solve reports it
            object.__setattr__(self, "solver", solver_of(self.solver))

    @property
    def ok(self) -> bool:
        return self.agreement is not None

    # -- views ----------------------------------------------------------------
    def to_dict(self) -> dict:
        out = self._base_dict()
        if self.ratification is not None:  # only for cases with a decision rule, constituencies or stakeholders
            out["ratification"] = self.ratification
        return out

    def _base_dict(self) -> dict:
        return {
            "case": self.case,
            "concept": self.concept,
            "status": self.status,
            "agreement": self.agreement,
            "parties": {p: o.to_dict() for p, o in self.parties.items()},
            "collective_benefit": _r(self.collective_benefit),
            "constraints": [c.to_dict() for c in self.constraints],
            "shadow_prices": self.shadow_prices,
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
            "solver": {} if self.solver is None else self.solver.to_dict(),
            "notes": list(self.notes),
            "ties": self.ties,
            "status_quo": None if self.status_quo is None else {p: _r(u) for p, u in self.status_quo.items()},
        }

    def tie_set(self) -> list | None:
        """Every agreement equally optimal for the concept (the first 1,000), the proposed one
        first; None when the case was not enumerated (continuous issues or too many outcomes)."""
        return None if self.tied_agreements is None else list(self.tied_agreements)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def parties_frame(self):
        import pandas as pd

        rows = []
        for p, o in self.parties.items():
            row = {"party": p, "weight": o.weight, "utility": o.utility, "reservation": o.reservation,
                   "gain": o.gain, "ideal": o.ideal, "satisfaction": o.satisfaction, "accepts": o.accepts}
            row.update({f"criterion.{k}": v for k, v in o.criteria.items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("party")

    def agreement_frame(self):
        """One row per issue value: issue, party (or None for shared), value."""
        import pandas as pd

        rows = []
        for iid, v in (self.agreement or {}).items():
            if isinstance(v, dict):
                rows += [{"issue": iid, "party": p, "value": x} for p, x in v.items()]
            else:
                rows.append({"issue": iid, "party": None, "value": v})
        return pd.DataFrame(rows, columns=["issue", "party", "value"])

    def constraints_frame(self):
        import pandas as pd

        cols = ["id", "kind", "party", "value", "lower", "upper", "slack", "binding", "shadow_price"]
        return pd.DataFrame([c.to_dict() for c in self.constraints], columns=cols).set_index("id")

    def __repr__(self) -> str:
        head = f"Proposal({self.case!r}, concept={self.concept!r}, status={self.status.value!r}"
        if not self.ok:
            return head + ")"
        utils = ", ".join(f"{p}={o.utility:.3f}" for p, o in self.parties.items())
        return f"{head}, collective_benefit={self.collective_benefit:.4f}, utilities: {utils})"

    def _repr_html_(self) -> str:
        """The agreement, the parties, the binding red lines and, without an agreement, the diagnosis."""
        from negotiate.report.notebook import proposal_html

        return proposal_html(self)


# Constructors for values the library computed itself (negotiate.results.trusted): a Proposal's
# status a Status and its solver a SolverInfo already, as its __post_init__ would make them.
party_outcome = trusted(PartyOutcome)
constraint_outcome = trusted(ConstraintOutcome)
proposal_made = trusted(Proposal)


def solver_of(solver: dict | SolverInfo | None) -> SolverInfo | None:
    """A Proposal's `solver` as it keeps it: a solve's report (a dict) read as a SolverInfo."""
    if isinstance(solver, dict):
        return SolverInfo.from_dict(solver) if solver else None
    return solver


def _r(v):
    if v is None:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return _clean(float(v), 10)


def constraint_outcomes(problem, values: dict, utils: dict, row_dual,
                        acts: list | None = None) -> list[ConstraintOutcome]:
    """Limits, collective constraints and reservations at the agreement (`acts`: the case rows'
    `row_values`, when the caller has them)."""
    rows, case_rows = problem.resolved.rows, problem.case_rows
    out = [_outcome(r.id, r.kind, r.party, act, r.lo, r.hi, row_dual, case_rows.get(r.id))
           for r, act in zip(rows, row_values(problem, values) if acts is None else acts, strict=True)]
    parties = problem.case.parties
    for p, i in problem.reservation_row.items():
        d = parties[p].reservation
        out.append(_outcome(f"parties.{p}.reservation", "reservation", p, utils[p], d, math.inf, row_dual, i))
    return out


def row_values(problem, values: dict) -> list[float]:
    """Each limit's and collective constraint's expression at the agreed values."""
    return [r.lin.value(values) for r in problem.resolved.rows]


def _outcome(cid, kind, party, act, lo, hi, row_dual, row) -> ConstraintOutcome:
    lower = lo if math.isfinite(lo) else None
    upper = hi if math.isfinite(hi) else None
    if lower is None:
        slack = math.inf if upper is None else hi - act
        scale = 1.0 if upper is None else max(1.0, abs(hi))
    elif upper is None:
        slack, scale = act - lo, max(1.0, abs(lo))
    else:
        slack, scale = min(act - lo, hi - act), max(1.0, abs(lo), abs(hi))
    binding = slack <= BINDING_TOL * scale
    price = None
    if row_dual is not None and row is not None:
        if not binding:
            price = 0.0
        else:
            dual = float(row_dual[row])
            if lower is not None and upper is not None and lo == hi:
                price = dual  # equality: per unit increase of its value
            elif upper is not None and hi - act <= BINDING_TOL * scale:
                price = dual  # upper bound: raising it relaxes
            else:
                price = -dual  # lower bound: lowering it relaxes
            price = _clean(price, 12)
    return constraint_outcome(cid, kind, party, act, lower, upper, slack, binding, price)
