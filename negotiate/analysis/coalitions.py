"""Coalitions: who agrees with whom, whether it holds, and what each party adds (issue 10).

    analysis = negotiate.coalitions(case, concept="utilitarian", members="all", shapley=True)
    analysis.frame()            # one row per coalition: worth, utilities, stability
    analysis.stable             # the internally and externally stable coalitions
    analysis.to_json()          # CASE_FORMAT.md section 8

Semantics (see `coalition_view` for the case as seen by a coalition S):
- the agreement of S under a concept: members agree (their acceptance binds),
  outsiders stay at the status quo; a coalition whose members cannot agree does
  not form (every party stays at the status quo);
- `worth(S)`: the largest sum of w_i u_i over the members, outsiders at the
  status quo, members' acceptance not imposed (transferable utility);
- internal stability: no member gains by leaving, `u_i(S) >= u_i(S - i)`;
  external stability: no outsider gains by joining, `u_j(S) > u_j(S + j)` (an
  indifferent outsider joins); both with a tolerance relative to the utilities;
- potential internal stability: transfers among members (in units of w_i u_i,
  those of worth) can make S internally stable exactly when the members'
  summed surplus over their leave payoffs is >= 0; the smallest transfers pay
  each member short of its leave payoff exactly its shortfall, financed by the
  others in proportion to their surplus.
Shapley value, core, least core and nucleolus come from `negotiate.analysis.games`
applied to the worths.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from negotiate.analysis import games
from negotiate.analysis.coalition_view import CoalitionView, gray_order
from negotiate.case.schema import Case

EXACT_MAX_PARTIES = 15  # Shapley, core and nucleolus from every coalition up to here
DEFAULT_ALL_MAX_PARTIES = 10  # with nothing asked, every coalition up to here, else the grand one
REL_TOL = 1e-6
OUTSIDERS = ("status_quo", "best_response")


# -- results ---------------------------------------------------------------------
def _r(x, digits: int = 9):
    if x is None:
        return None
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        r = round(x, digits)
        return 0.0 if r == 0 else r
    return x


@dataclass(frozen=True)
class CoalitionOutcome:
    """A coalition's agreement, every party's utility there, its worth and its stability."""

    members: tuple[str, ...]
    status: str  # optimal | feasible | infeasible | error (of the concept's agreement)
    worth: float
    worth_status: str
    utility: dict[str, float]  # every party, members and outsiders
    agreement: dict | None = None
    internally_stable: bool | None = None
    externally_stable: bool | None = None
    leave: dict[str, float] = field(default_factory=dict)  # member -> u_i(S - i)
    join: dict[str, float] = field(default_factory=dict)  # outsider -> u_j(S + j)
    surplus: float | None = None  # sum over members of w_i (u_i(S) - u_i(S - i))
    potentially_internally_stable: bool | None = None
    transfers: dict[str, float] | None = None  # member -> received (> 0) or paid (< 0)
    message: str = ""

    @property
    def formed(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def stable(self) -> bool:
        return bool(self.internally_stable and self.externally_stable)

    def to_dict(self) -> dict:
        return {
            "members": list(self.members), "status": self.status, "worth": _r(self.worth),
            "utility": {p: _r(u) for p, u in self.utility.items()},
            "internally_stable": self.internally_stable, "externally_stable": self.externally_stable,
            "size": len(self.members), "worth_status": self.worth_status, "agreement": self.agreement,
            "leave": {p: _r(u) for p, u in self.leave.items()}, "join": {p: _r(u) for p, u in self.join.items()},
            "surplus": _r(self.surplus), "potentially_internally_stable": self.potentially_internally_stable,
            "transfers": None if self.transfers is None else {p: _r(t) for p, t in self.transfers.items()},
            "message": self.message or None,
        }


@dataclass(frozen=True)
class BlocOutcome:
    """Blocs: each bloc's outcome, the partition's (each agrees inside, blocs face each other
    at the status quo), and what the grand coalition adds over it."""

    blocs: dict[str, CoalitionOutcome]
    partition: dict[str, float] | None  # every party's utility in the partition (None: blocs overlap)
    partition_benefit: float | None
    grand_adds: dict[str, float] | None  # u_i(all) - u_i(partition)
    grand_adds_total: float | None  # sum of w_i times the above
    note: str = ""

    def to_dict(self) -> dict:
        return {"blocs": {b: o.to_dict() for b, o in self.blocs.items()},
                "partition": None if self.partition is None else {p: _r(u) for p, u in self.partition.items()},
                "partition_benefit": _r(self.partition_benefit),
                "grand_adds": None if self.grand_adds is None else {p: _r(u) for p, u in self.grand_adds.items()},
                "grand_adds_total": _r(self.grand_adds_total), "note": self.note or None}


@dataclass(frozen=True)
class CoalitionAnalysis:
    """Everything `coalitions()` found; `to_dict()` is CASE_FORMAT.md section 8."""

    case: str
    concept: str
    parties: tuple[str, ...]
    weights: dict[str, float]
    status_quo: dict[str, float]  # every party's utility at the status quo
    coalitions: tuple[CoalitionOutcome, ...]  # the ones asked for (all, members or blocs)
    grand: CoalitionOutcome
    rules: dict[str, str]  # collective constraint -> coalition rule
    outsiders: str = "status_quo"  # or best_response
    core: games.CoreCheck | None = None
    shapley: dict[str, float] | None = None
    shapley_sampled: games.SampledShapley | None = None
    nucleolus: games.Nucleolus | None = None
    least_core: games.LeastCore | None = None
    blocs: BlocOutcome | None = None
    game: games.Game | None = field(default=None, repr=False)  # every coalition's worth, when computed
    tolerance: float = REL_TOL
    seconds: float = 0.0
    solves: int = 0
    executor: str = ""
    notes: tuple[str, ...] = ()

    @property
    def stable(self) -> list[tuple[str, ...]]:
        """The coalitions asked for that are internally and externally stable."""
        return [c.members for c in self.coalitions if c.stable]

    def coalition(self, members: Iterable[str]) -> CoalitionOutcome:
        want = set(members)
        for c in (*self.coalitions, self.grand):
            if set(c.members) == want:
                return c
        raise KeyError(f"coalition {sorted(want)} was not analysed")

    def check_core(self, proposal) -> games.CoreCheck:
        """Is `proposal` (a Proposal of this case, or {party: utility}) in the core of the worth
        game? Its allocation is w_i * u_i; needs every coalition's worth (core=True, nucleolus=True
        or an exact Shapley value)."""
        if self.game is None:
            raise ValueError("the core needs every coalition's worth: analyse with core=True")
        utility = ({p: o.utility for p, o in proposal.parties.items()} if hasattr(proposal, "parties")
                   else dict(proposal))
        missing = [p for p in self.parties if utility.get(p) is None]
        if missing:
            raise ValueError(f"no utility for {', '.join(missing)} (a proposal without an agreement?)")
        return games.core_check(self.game, {p: self.weights[p] * utility[p] for p in self.parties},
                                tolerance=self.tolerance)

    def to_dict(self) -> dict:
        grand = {"members": list(self.grand.members), "status": self.grand.status, "worth": _r(self.grand.worth),
                 "utility": {p: _r(u) for p, u in self.grand.utility.items()},
                 "in_core": None, "blocking": []}  # filled when the core is checked (core=True)
        if self.core is not None:
            grand.update(in_core=self.core.in_core, blocking=[b.to_dict() for b in self.core.blocking],
                         efficient=self.core.efficient, shortfall=_r(self.core.shortfall))
        out = {
            "case": self.case, "concept": self.concept, "outsiders": self.outsiders, "parties": list(self.parties),
            "coalitions": [c.to_dict() for c in self.coalitions],
            "stable": [list(m) for m in self.stable],
            "grand": grand,
            "shapley": None if self.shapley is None else {p: _r(v) for p, v in self.shapley.items()},
            "nucleolus": None if self.nucleolus is None else {p: _r(v) for p, v in self.nucleolus.allocation.items()},
            "least_core": None if self.least_core is None else {
                "epsilon": _r(self.least_core.epsilon),
                "allocation": {p: _r(v) for p, v in self.least_core.allocation.items()}},
            "weights": dict(self.weights),
            "status_quo": {p: _r(u) for p, u in self.status_quo.items()},
            "rules": dict(self.rules),
            "tolerance": self.tolerance,
            "transferable_utility": "worth, core, Shapley and nucleolus are in units of w_i * u_i",
            "solver": {"seconds": round(self.seconds, 6), "solves": self.solves, "executor": self.executor},
            "notes": list(self.notes),
        }
        if self.shapley_sampled is not None:
            out["shapley_sampling"] = self.shapley_sampled.to_dict()
            out["shapley_sampling"].pop("value", None)
        if self.blocs is not None:
            out["blocs"] = self.blocs.to_dict()
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_html(self) -> str:
        """A self-contained HTML page (inline SVG, no scripts) of the analysis."""
        from negotiate.report.coalitions import coalitions_html

        return coalitions_html(self)

    def frame(self):
        """pandas: one row per coalition: members, size, status, worth, each party's utility, stability."""
        import pandas as pd

        rows = []
        for c in self.coalitions:
            row: dict[str, Any] = {"members": ",".join(c.members), "size": len(c.members), "status": c.status,
                                   "worth": c.worth, "internally_stable": c.internally_stable,
                                   "externally_stable": c.externally_stable,
                                   "potentially_internally_stable": c.potentially_internally_stable,
                                   "surplus": c.surplus}
            row.update({f"utility.{p}": c.utility[p] for p in self.parties})
            rows.append(row)
        return pd.DataFrame(rows)

    def values_frame(self):
        """pandas: one row per party: weight, status-quo utility, grand-coalition utility,
        Shapley value (and its half-width when sampled), nucleolus."""
        import pandas as pd

        rows = []
        for p in self.parties:
            row = {"party": p, "weight": self.weights[p], "status_quo": self.status_quo[p],
                   "grand": self.grand.utility[p]}
            if self.shapley is not None:
                row["shapley"] = self.shapley[p]
            if self.shapley_sampled is not None:
                row["shapley_half_width"] = self.shapley_sampled.half_width[p]
            if self.nucleolus is not None:
                row["nucleolus"] = self.nucleolus.allocation[p]
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"CoalitionAnalysis({self.case!r}, concept={self.concept}, coalitions={len(self.coalitions)}, "
                f"stable={len(self.stable)})")

    def _repr_html_(self) -> str:
        return self.frame()._repr_html_()


# -- running coalitions as jobs ------------------------------------------------------
@dataclass(frozen=True)
class CoalitionJob:
    """A batch of coalitions of one case: plain data, for any executor."""

    case_data: dict
    case_key: str
    concept: str | None  # None: worths only
    masks: tuple[int, ...]
    backend: str
    outsiders: str = "status_quo"


_VIEWS: dict = {}  # (thread, case key, backend) -> CoalitionView: one warm model per worker


def _view_for(job: CoalitionJob) -> CoalitionView:
    from negotiate.case.load import validate_data

    key = (threading.get_ident(), job.case_key, job.backend)
    view = _VIEWS.get(key)
    if view is None:
        if len(_VIEWS) >= 8:
            _VIEWS.pop(next(iter(_VIEWS)))
        view = CoalitionView(validate_data(job.case_data), backend=job.backend)
        _VIEWS[key] = view
    return view


def run_coalitions(job: CoalitionJob) -> list[dict]:
    """Solve every coalition of the job on the worker's warm model (plain dicts back)."""
    return _solve_masks(_view_for(job), job.masks, job.concept, job.outsiders)


def _solve_masks(view: CoalitionView, masks: Sequence[int], concept: str | None,
                 outsiders: str = "status_quo") -> list[dict]:
    out = []
    view.acceptance_binds(concept is not None)
    for mask in masks:
        S = frozenset(games.members_of(mask, view.parties))
        t0 = view.solves
        mark = view.enter(S)
        try:
            worth, wev = view.worth(S)
            row = {"mask": mask, "worth": worth, "worth_status": wev.status}
            if concept is not None:
                ev = (view.best_response(S, concept) if outsiders == "best_response"
                      else view.agree(S, concept, reuse=wev))
                row.update(status=ev.status, utility=ev.utility, message=ev.message,
                           agreement=view.agreement(ev, S) if S else None)
        finally:
            view.leave(mark)
        row["solves"] = view.solves - t0
        out.append(row)
    return out


def worker_init(threads: int = 1) -> None:
    """Process-pool initializer: one HiGHS thread per worker process."""
    from negotiate.backends import highs

    highs.THREADS = threads


def _case_key(data: dict) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class _Runner:
    """Solves coalitions in this process (one warm view) or as jobs on an executor."""

    def __init__(self, case: Case, view: CoalitionView, executor, workers: int, progress, backend: str,
                 outsiders: str = "status_quo"):
        self.case, self.view, self.outsiders = case, view, outsiders
        self.executor, self.workers, self.progress = executor, workers, progress
        self.backend = backend
        self.cache: dict[tuple[int, str | None], dict] = {}
        self.solves = 0
        self.label = "in-process"
        self._data = None
        self._pool = None

    def rows(self, masks: Iterable[int], concept: str | None) -> dict[int, dict]:
        """mask -> row (worth, and the concept's agreement when `concept`)."""
        masks = list(dict.fromkeys(masks))
        todo = [m for m in masks if (m, concept) not in self.cache]
        if todo:
            for row in self._run(gray_order(todo), concept):
                self.solves += row.get("solves", 0)
                self.cache[(row["mask"], concept)] = row
                if concept is not None:  # a full row also answers the worth-only question
                    self.cache.setdefault((row["mask"], None), row)
        return {m: self.cache[(m, concept)] for m in masks}

    def _run(self, masks: list[int], concept) -> list[dict]:
        total = len(masks)
        if self.executor is None and self.workers <= 1:
            out = []
            step = max(1, total // 100)
            for k in range(0, total, step):
                out += _solve_masks(self.view, masks[k:k + step], concept, self.outsiders)
                if self.progress:
                    self.progress(len(out), total)
            return out
        if self._data is None:
            self._data = self.case.model_dump(exclude_unset=True)
            self._key = _case_key(self._data)
        executor = self._executor()
        chunks = max(1, min(len(masks), 4 * max(self.workers, 2)))
        size = math.ceil(len(masks) / chunks)
        jobs = [CoalitionJob(self._data, self._key, concept, tuple(masks[k:k + size]), self.backend, self.outsiders)
                for k in range(0, len(masks), size)]
        out: list[dict] = []
        futures = [executor.submit(run_coalitions, job) for job in jobs]
        for fut in cf.as_completed(futures):
            out += fut.result()
            if self.progress:
                self.progress(len(out), total)
        return out

    def _executor(self) -> cf.Executor:
        """The executor given, or a process pool of `workers` made once and kept until `close`."""
        if self.executor is not None:
            self.label = type(self.executor).__name__
            return self.executor
        if self._pool is None:
            import multiprocessing

            # spawned, not forked: a fresh HiGHS in each worker, where one thread per process can be set
            self._pool = cf.ProcessPoolExecutor(max_workers=self.workers, initializer=worker_init,
                                                mp_context=multiprocessing.get_context("spawn"))
            self.label = f"ProcessPoolExecutor({self.workers})"
        return self._pool

    @property
    def parallel(self) -> bool:
        return self.executor is not None or self.workers > 1

    def worth_here(self, mask: int) -> float:
        """One coalition's worth on this process's warm model (for sequential sampling)."""
        key = (mask, None)
        if key not in self.cache:
            (row,) = _solve_masks(self.view, [mask], None, self.outsiders)
            self.solves += row.get("solves", 0)
            self.cache[key] = row
        return self.cache[key]["worth"]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# -- the analysis ---------------------------------------------------------------------
def _tol(rel: float, *utilities: float) -> float:
    finite = [abs(u) for u in utilities if u is not None and math.isfinite(u)]
    return rel * max([1.0, *finite])


def _stability(S: int, rows: dict[int, dict], parties: Sequence[str], weights: dict, rel: float) -> dict:
    """Internal and external stability of S, its surplus and the smallest stabilising transfers."""
    row = rows[S]
    u = row["utility"]
    out: dict[str, Any] = {"leave": {}, "join": {}}
    if row["status"] not in ("optimal", "feasible"):
        return out
    members = [p for i, p in enumerate(parties) if S >> i & 1]
    outsiders = [p for i, p in enumerate(parties) if not S >> i & 1]
    index = {p: i for i, p in enumerate(parties)}
    leave = {p: rows[S & ~(1 << index[p])]["utility"][p] for p in members}
    join = {p: rows[S | (1 << index[p])]["utility"][p] for p in outsiders}
    tol = _tol(rel, *u.values(), *leave.values(), *join.values())
    out["leave"], out["join"] = leave, join
    out["internally_stable"] = all(u[p] >= leave[p] - tol for p in members)
    out["externally_stable"] = all(u[p] > join[p] + tol for p in outsiders)
    surplus = {p: weights[p] * (u[p] - leave[p]) for p in members}
    total = sum(surplus.values())
    out["surplus"] = total
    out["potentially_internally_stable"] = total >= -tol * len(members)
    if out["potentially_internally_stable"]:
        short = {p: -s for p, s in surplus.items() if s < -tol}
        spare = {p: s for p, s in surplus.items() if s > 0}
        need, have = sum(short.values()), sum(spare.values())
        out["transfers"] = {p: short.get(p, 0.0) - (spare.get(p, 0.0) / have * need if have > 0 else 0.0)
                            for p in members}
    return out


def _outcome(S: int, rows: dict[int, dict], parties, weights, rel, stability: bool) -> CoalitionOutcome:
    row = rows[S]
    extra = _stability(S, rows, parties, weights, rel) if stability else {}
    return CoalitionOutcome(
        members=games.members_of(S, parties), status=row["status"], worth=row["worth"],
        worth_status=row["worth_status"], utility=row["utility"], agreement=row.get("agreement"),
        internally_stable=extra.get("internally_stable"), externally_stable=extra.get("externally_stable"),
        leave=extra.get("leave", {}), join=extra.get("join", {}), surplus=extra.get("surplus"),
        potentially_internally_stable=extra.get("potentially_internally_stable"),
        transfers=extra.get("transfers"), message=row.get("message") or "")


def _neighbours(S: int, n: int) -> list[int]:
    return [S ^ (1 << i) for i in range(n)]


def _members_masks(members, case: Case, parties: list[str]) -> list[int]:
    """`members`: one list of party ids, several lists, or comma-separated strings."""
    if isinstance(members, str):
        members = [members]
    groups = list(members)
    if groups and all(isinstance(g, str) and "," not in g for g in groups) and all(g in parties for g in groups):
        groups = [groups]
    out = []
    for g in groups:
        ids = [x.strip() for x in g.split(",")] if isinstance(g, str) else list(g)
        unknown = [x for x in ids if x not in parties]
        if unknown:
            from negotiate.case.expr import did_you_mean

            hints = [did_you_mean(x, parties) for x in unknown]
            raise ValueError(f"unknown party {', '.join(unknown)}" + "".join(f" ({h})" for h in hints if h)
                             + f"; parties: {', '.join(parties)}")
        if not ids:
            raise ValueError("a coalition needs at least one member")
        out.append(games.mask_of(ids, parties))
    return out


def coalitions(
    case: Case | str,
    concept: str | None = None,
    members: Any = None,
    *,
    outsiders: str = "status_quo",
    blocs: bool | Iterable[str] | None = None,
    shapley: bool = False,
    nucleolus: bool = False,
    core: bool = False,
    tolerance: float = REL_TOL,
    shapley_tolerance: float = 0.01,
    confidence: float = 0.95,
    max_worths: int = 200_000,
    seed: int = 0,
    backend: str | None = None,
    executor: cf.Executor | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> CoalitionAnalysis:
    """Coalition analysis of `case` with outsiders at the status quo (module docstring).

    - `members`: "all" (every coalition), one coalition (a list of party ids or
      "A,B"), or several; default: every coalition up to 10 parties, else the
      grand coalition; with `blocs` given, only the blocs;
    - `outsiders`: "status_quo" (CASE_FORMAT.md section 6), or "best_response":
      each outsider chooses its own issues to maximise its utility given the
      coalition's agreement and the other outsiders (iterated to a fixed point,
      an `error` outcome if it does not settle); worths keep outsiders at the
      status quo;
    - `blocs`: True for all of the case's blocs, or their names, False for none;
      by default every bloc of the case's `blocs:` is reported too;
    - `shapley`: exact from every coalition up to 15 parties, sampled beyond
      (stratified by coalition size, each party's marginal contribution to
      the grand coalition as a control variate: `games.shapley_stratified`) until every
      `confidence` half-width is at most `shapley_tolerance`, or `max_worths`
      coalitions were solved (half-widths reported);
    - `nucleolus`, `core`: from every coalition's worth (up to 15 parties); the
      core check tests the grand coalition's agreement under `concept`;
    - `executor` / `workers`: coalitions run as independent jobs (a process pool
      of `workers`, or any concurrent.futures.Executor such as a Dask client's);
      `progress(done, total)` is called as they finish.
    Raises CaseError (located) when the case lacks a status quo for coalition
    analysis or its blocs or coalition rules are wrong; ValueError for bad arguments.
    """
    from negotiate import registry
    from negotiate.case.load import load_case

    t0 = time.perf_counter()
    case = case if isinstance(case, Case) else load_case(case)
    concept = registry.concept(concept or case.solve.concept).name
    backend = backend or "highs"
    if outsiders not in OUTSIDERS:
        raise ValueError(f"outsiders is {' or '.join(OUTSIDERS)} (got {outsiders!r})")
    if backend != "highs":
        # coalitions free and restore rows in place; the Pyomo backend cannot free a row yet
        raise ValueError(f"coalition analysis runs on the highs backend (got {backend!r})")
    view = CoalitionView(case, backend=backend)
    parties = view.parties
    n = len(parties)
    grand = (1 << n) - 1
    if (nucleolus or core) and n > EXACT_MAX_PARTIES:
        raise ValueError(f"the core and the nucleolus need all 2^{n} coalitions' worths; "
                         f"this case has {n} parties (at most {EXACT_MAX_PARTIES})")
    if blocs is True or (blocs is None and case.blocs):
        bloc_names = list(case.blocs)
    elif blocs:
        bloc_names = list(blocs)
        unknown = [b for b in bloc_names if b not in case.blocs]
        if unknown:
            raise ValueError(f"unknown bloc {', '.join(unknown)}; blocs: {', '.join(case.blocs) or 'none in this case'}")
    else:
        bloc_names = []
    if members is None and not (blocs and bloc_names):
        every = n <= DEFAULT_ALL_MAX_PARTIES
    else:
        every = isinstance(members, str) and members == "all"
    if every and n > 20:
        raise ValueError(f"{n} parties: 2^{n} coalitions are too many to list; ask for some (members=...)")
    asked = list(range(1, grand + 1)) if every else (
        _members_masks(members, case, parties) if members is not None else [])
    bloc_masks = {b: games.mask_of(case.blocs[b], parties) for b in bloc_names}
    wanted = list(dict.fromkeys([*asked, *bloc_masks.values(), grand]))
    need = set(wanted)
    for S in wanted:
        need.update(_neighbours(S, n))
    need.discard(0)

    runner = _Runner(case, view, executor, workers, progress, backend, outsiders)
    try:
        return _analyse(case, concept, outsiders, view, runner, asked, need, bloc_masks, grand, t0, shapley,
                        nucleolus, core, tolerance, shapley_tolerance, confidence, max_worths, seed)
    finally:
        runner.close()


def _analyse(case, concept, outsiders, view, runner, asked, need, bloc_masks, grand, t0, shapley, nucleolus,
             core, tolerance, shapley_tolerance, confidence, max_worths, seed) -> CoalitionAnalysis:
    parties = view.parties
    n = len(parties)
    rows = runner.rows(sorted(need), concept)
    sq_row = {"mask": 0, "worth": 0.0, "worth_status": "status_quo", "status": "status_quo",
              "utility": dict(view.sq_utility), "agreement": None}
    rows[0] = sq_row
    outcomes = tuple(_outcome(S, rows, parties, view.weight, tolerance, True) for S in asked)
    grand_outcome = _outcome(grand, rows, parties, view.weight, tolerance, True)
    notes: list[str] = []

    worths = None
    exact_needed = (shapley and n <= EXACT_MAX_PARTIES) or nucleolus or core
    if exact_needed:
        table = runner.rows(range(1, grand + 1), None)
        worths = np.zeros(1 << n)
        for m, row in table.items():
            worths[m] = row["worth"]
        bad = [games.members_of(m, parties) for m, row in table.items() if row["worth_status"] == "error"]
        if bad:
            notes.append(f"{len(bad)} coalitions' worths failed to solve; taken at the status quo")
    game = games.Game(tuple(parties), worths) if worths is not None else None

    sh, sampled = None, None
    if shapley:
        if game is not None:
            sh = games.shapley(game)
        else:
            batch = None
            if runner.parallel:
                def batch(masks: list[int]) -> list[float]:
                    got = runner.rows(masks, None)
                    return [got[m]["worth"] for m in masks]

            # each party's marginal contribution to the grand coalition: a control variate
            control = [runner.worth_here(grand) - runner.worth_here(grand & ~(1 << i)) for i in range(n)]
            sampled = games.shapley_stratified(parties, runner.worth_here, tolerance=shapley_tolerance,
                                               confidence=confidence, max_worths=max_worths, seed=seed,
                                               batch=batch, control=control)
            sh = dict(sampled.value)
            if not sampled.converged:
                notes.append(f"Shapley sampling stopped after {sampled.coalitions_evaluated} coalitions' worths "
                             f"before every {confidence:.0%} half-width reached {shapley_tolerance:g} "
                             f"(largest {max(sampled.half_width.values()):.3g})")
    nuc = lc = None
    if nucleolus:
        nuc = games.nucleolus(game)
        lc = games.least_core(game)
        if nuc.prenucleolus:
            notes.append("the singletons' worths sum above the grand coalition's: no imputation exists, "
                         "the prenucleolus is reported")
    check = None
    if core:
        if grand_outcome.formed:
            check = games.core_check(game, {p: view.weight[p] * grand_outcome.utility[p] for p in parties},
                                     tolerance=tolerance)
        else:
            notes.append("the grand coalition reaches no agreement: no proposal to test against the core")

    bloc_result = _blocs(view, bloc_masks, rows, parties, tolerance, grand_outcome) if bloc_masks else None
    return CoalitionAnalysis(
        case=case.name, concept=concept, parties=tuple(parties), weights=dict(view.weight),
        status_quo=dict(view.sq_utility), coalitions=outcomes, grand=grand_outcome, rules=dict(view.rules),
        outsiders=outsiders, game=game, core=check, shapley=sh, shapley_sampled=sampled, nucleolus=nuc, least_core=lc, blocs=bloc_result,
        tolerance=tolerance, seconds=time.perf_counter() - t0, solves=runner.solves, executor=runner.label,
        notes=tuple(notes))


def _blocs(view: CoalitionView, bloc_masks: dict, rows: dict, parties, rel, grand: CoalitionOutcome) -> BlocOutcome:
    outs = {b: _outcome(m, rows, parties, view.weight, rel, True) for b, m in bloc_masks.items()}
    masks = list(bloc_masks.values())
    overlap = any(a & b for i, a in enumerate(masks) for b in masks[i + 1:])
    if overlap:
        return BlocOutcome(outs, None, None, None, None, "the blocs overlap: no partition outcome")
    partition = _partition_utilities(view, bloc_masks, rows)
    benefit = sum(view.weight[p] * partition[p] for p in parties)
    adds = {p: grand.utility[p] - partition[p] for p in parties} if grand.formed else None
    total = sum(view.weight[p] * adds[p] for p in parties) if adds is not None else None
    note = "" if grand.formed else "the grand coalition reaches no agreement"
    return BlocOutcome(outs, partition, benefit, adds, total, note)


def _partition_utilities(view: CoalitionView, bloc_masks: dict, rows: dict) -> dict[str, float]:
    """Each bloc agrees inside (its agreement with the others at the status quo); a party's
    utility then reads every bloc's members' own issues as their bloc agreed, parties in no
    bloc at the status quo, and the shared issues as its own bloc agreed (status quo for a
    party in no bloc, or whose bloc reached no agreement)."""
    pr = view.problem
    combined = dict(view.sq)
    shared_of: dict[str, dict] = {}
    for mask in bloc_masks.values():
        members = games.members_of(mask, view.parties)
        values = _values_of(view, rows[mask].get("agreement"))
        if values is None:
            continue
        for k, v in values.items():
            if k[1] is not None and k[1] in members:
                combined[k] = v
        shared = {k: v for k, v in values.items() if k[1] is None}
        for p in members:
            shared_of[p] = shared
    out = {}
    for p in view.parties:
        values = {**combined, **view.shared_sq, **shared_of.get(p, {})}
        out[p] = float(sum(c.weight * c.score(values) for c in pr.resolved.criteria[p]))
    return out


def _values_of(view: CoalitionView, agreement: dict | None) -> dict | None:
    """Variable values from an agreement by issue (as `agreement_of` writes it)."""
    if agreement is None:
        return None
    case = view.case
    values = {}
    for iid, issue in case.issues.items():
        given = agreement[iid]
        for p in (view.parties if issue.per_party else [None]):
            v = given[p] if issue.per_party else given
            if issue.options is not None:
                for o in issue.options:
                    values[(iid, p, o)] = 1.0 if o == v else 0.0
            else:
                values[(iid, p, None)] = float(v)
    return values


def largest_group(case: Case, concept: str, hint: Sequence[str] = (), budget: int = 64) -> dict | None:
    """The largest group of parties that can agree without the others, with coalition
    semantics: the others stay in the model at the status quo (their emissions, their
    trade), not dropped. For the no-deal diagnosis of a case with a status quo; the
    same answer shape as `negotiate.diagnose.largest_group`. Groups are tried from the
    largest size down, leaving out first the parties in `hint`, at most `budget` of them,
    all on one warm model."""
    import itertools

    from negotiate.errors import CaseError

    parties = list(case.parties)
    n = len(parties)
    if n < 3:
        return None
    try:
        view = CoalitionView(case, backend="highs")
    except CaseError:
        return None  # no complete status quo: the caller drops the others instead
    order = sorted(parties, key=lambda p: (p not in hint, parties.index(p)))
    checks = 0
    for size in range(n - 1, 1, -1):
        found = []
        for left_out in itertools.combinations(order, n - size):
            if checks >= budget:
                return {"parties": None, "searched": checks, "complete": False, "outsiders": "status_quo",
                        "message": f"no group of {size + 1} or more can agree; the search stopped after "
                                   f"{checks} groups (a group of {size} may still exist)"}
            checks += 1
            group = [p for p in parties if p not in left_out]
            mark = view.enter(group)
            try:
                ev = view.agree(group, concept)
                agreement = view.agreement(ev, group)
            finally:
                view.leave(mark)
            if ev.ok:
                found.append((group, list(left_out), ev, agreement))
        if found:
            def benefit(f):
                return sum(view.weight[p] * f[2].utility[p] for p in f[0])

            group, left, ev, agreement = max(found, key=benefit)
            return {"parties": group, "without": left, "size": size, "searched": checks, "complete": True,
                    "outsiders": "status_quo", "alternatives": [f[0] for f in found if f[0] != group],
                    "agreement": agreement, "utilities": dict(ev.utility)}
    return {"parties": None, "searched": checks, "complete": True, "outsiders": "status_quo",
            "message": "no group of two or more parties can agree without the others"}
