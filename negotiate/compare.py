"""Batch comparison of compromise options: concepts, drafted packages, scenarios.

`compare(case, concepts=..., options=..., scenarios=..., sweeps=...)` runs one
job per scenario (the case's data and the scenario's changes, never solver
objects) on any `concurrent.futures.Executor`, and returns a `Comparison`: a
table with one row per (scenario, concept or option).

Each worker process keeps one `Negotiation` per case (validated and compiled
once); every job starts from a fresh solver model of it, so a row does not
depend on which worker ran it or what it ran before.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from negotiate.case.schema import CONCEPTS, Case
from negotiate.errors import CaseError, NegotiateError

BASE = "base"
TOL = 1e-7


# -- jobs -----------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """One scenario of one case: everything a worker needs, as plain data."""

    case_data: dict
    case_key: str
    scenario: str
    changes: dict
    concepts: tuple
    options: tuple  # (name, {issue: value}) pairs
    option_concept: str
    index: int = 0


def _case_key(data: dict) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


_SESSIONS: dict = {}  # (thread, case key) -> Negotiation: one warm session per case and worker


def _session(job: Job):
    import threading

    from negotiate.case.load import validate_data
    from negotiate.whatif import Negotiation

    key = (threading.get_ident(), job.case_key)
    session = _SESSIONS.get(key)
    if session is None:
        if len(_SESSIONS) >= 8:
            _SESSIONS.pop(next(iter(_SESSIONS)))
        session = Negotiation(validate_data(job.case_data), backend="highs")
        _SESSIONS[key] = session
    return session


def worker_init(threads: int = 1) -> None:
    """Process-pool initializer: one HiGHS thread per worker process."""
    from negotiate.backends import highs

    highs.THREADS = threads


def run_job(job: Job) -> list[dict]:
    """The rows of one scenario: one per concept and per option. Never raises."""
    t0 = time.perf_counter()
    try:
        session = _session(job)
        session.rebuild()  # rows do not depend on what this worker ran before
        with session.scenario(job.changes):
            rows = _rows(session, job)
    except CaseError as e:
        rows = [_error_row(job, name, kind, "invalid", "; ".join(str(p) for p in e.problems))
                for kind, name in _labels(job)]
    except (NegotiateError, ValueError, ArithmeticError) as e:
        rows = [_error_row(job, name, kind, "error", f"{type(e).__name__}: {e}") for kind, name in _labels(job)]
    seconds = (time.perf_counter() - t0) / max(1, len(rows))
    for r in rows:
        r["seconds"] = round(seconds, 6)
    return rows


def _labels(job: Job):
    return [("concept", c) for c in job.concepts] + [("option", name) for name, _ in job.options]


def _error_row(job: Job, name: str, kind: str, status: str, message: str) -> dict:
    return {"scenario": job.scenario, "kind": kind, "name": name, "status": status, "error": message,
            "_index": job.index}


def _rows(session, job: Job) -> list[dict]:
    from negotiate.solving import concept_name

    case = session.case
    try:
        ideal = session.ideals()  # once per scenario: satisfaction in every row
    except CaseError:  # no acceptable agreement: satisfaction is undefined
        ideal = {p: None for p in case.parties}
    rows = []
    for concept in job.concepts:
        prop = session.solve(concept_name(concept))
        rows.append(_row(job, case, "concept", prop.concept, prop, ideal))
    for name, values in job.options:
        rows.append(_option_row(session, job, name, values, ideal))
    return rows


def _row(job, case: Case, kind: str, name: str, prop, ideal: dict, extra: dict | None = None) -> dict:
    row: dict[str, Any] = {"scenario": job.scenario, "kind": kind, "name": name, "status": prop.status,
                           "_index": job.index}
    if not prop.ok:
        row["error"] = (prop.diagnosis or {}).get("message")
        return row
    row["collective_benefit"] = prop.collective_benefit
    sat = {}
    for p, o in prop.parties.items():
        row[f"utility.{p}"] = o.utility
        row[f"gain.{p}"] = o.gain
        row[f"ideal.{p}"] = ideal.get(p)
        span = ideal[p] - o.reservation if ideal.get(p) is not None else None
        sat[p] = o.gain / span if span and span > 1e-9 else None
        row[f"satisfaction.{p}"] = sat[p]
    row.update(_spread([v for v in sat.values() if v is not None]))
    row["agreement"] = prop.agreement
    if extra:
        row.update(extra)
    return row


def _spread(values: list[float]) -> dict:
    if not values:
        return {"min_satisfaction": None, "satisfaction_range": None, "satisfaction_gini": None}
    x = np.asarray(values, float)
    mean = x.mean()
    gini = float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * mean)) if mean > 0 else 0.0
    return {"min_satisfaction": float(x.min()), "satisfaction_range": float(x.max() - x.min()),
            "satisfaction_gini": gini}


# -- options ------------------------------------------------------------------------
def _option_row(session, job: Job, name: str, values: dict, ideal: dict) -> dict:
    """A drafted package: completed where it leaves issues open, checked, improved."""
    from negotiate.proposal import PartyOutcome, Proposal, agreement_of, utilities
    from negotiate.solving import concept_name

    case = session.case
    problem, b = session.problem, session._backend
    fixed = problem.resolved.options.get(name)
    if fixed is None:
        from negotiate.case.resolve import _Collector, _option

        col = _Collector(case)
        fixed = _option(case, name, values, col, {v.key[0]: (v.lb, v.ub) for v in problem.resolved.variables
                                                  if v.key[2] is None})
        if col.problems:
            raise CaseError(col.problems)
    open_issues = [v for v in problem.resolved.variables if v.key not in fixed]
    saved = {k: b.col_bounds(problem.var_col[k]) for k in fixed}
    notes = []
    try:
        for k, v in fixed.items():
            b.set_col_bounds(problem.var_col[k], v, v)
        if open_issues:
            completed = session.solve(concept_name(job.option_concept))
            if not completed.ok:  # nobody-accepts packages are still evaluated: complete them for the group
                completed = _without_acceptance(session)
                notes.append("the open issues were set for collective benefit: no completion is acceptable to all")
            x_values = completed.agreement
        else:
            x_values = None
    finally:
        for k, (lo, hi) in saved.items():
            b.set_col_bounds(problem.var_col[k], lo, hi)
    if x_values is None and open_issues:  # not even the group's best completion respects the red lines
        return _error_row(job, name, "option", "infeasible",
                          "no completion of this package satisfies the limits and constraints")
    if x_values is None:
        values_map = dict(fixed)
    else:
        values_map = _values_of(problem, x_values)
    utils, scores = utilities(problem, values_map)
    rejected = _rejections(problem, case, values_map, utils)
    parties = {p: PartyOutcome(utils[p], case.parties[p].reservation, gain=utils[p] - case.parties[p].reservation,
                               criteria=scores[p], weight=case.parties[p].weight,
                               accepts=not any(r[0] == p for r in rejected)) for p in problem.parties}
    benefit = sum(case.parties[p].weight * utils[p] for p in problem.parties)
    prop = Proposal(case.name, f"option {name}", "rejected" if rejected else "acceptable",
                    agreement_of(problem, values_map), parties, benefit)
    improvement = improve(session, utils)
    extra = {
        "rejected_by": "; ".join(f"{p} ({why})" for p, why in rejected) or None,
        "improved_package": improvement["agreement"] if improvement else None,
        "improvement_total_gain": improvement["total_gain"] if improvement else 0.0,
        "pareto_dominated": bool(improvement),
        "open_issues": sorted({v.key[0] for v in open_issues}) or None,
        "notes": "; ".join(notes) or None,
    }
    return _row(job, case, "option", name, prop, ideal, extra)


def _values_of(problem, agreement: dict) -> dict:
    values = {}
    for v in problem.resolved.variables:
        iid, party, option = v.key
        chosen = agreement[iid][party] if party is not None else agreement[iid]
        values[v.key] = (1.0 if chosen == option else 0.0) if option is not None else float(chosen)
    return values


@contextlib.contextmanager
def _reservations_lifted(session):
    """Solve as if no party had a reservation; the reservations come back afterwards."""
    b, problem = session._backend, session.problem
    for i in problem.reservation_row.values():
        b.set_row_bounds(i, -math.inf, math.inf)
    try:
        yield
    finally:
        for p, i in problem.reservation_row.items():
            b.set_row_bounds(i, session.case.parties[p].reservation, math.inf)


def _without_acceptance(session):
    from negotiate.solving import solve_problem

    with _reservations_lifted(session):
        return solve_problem(session.problem, session._backend, "utilitarian", require_acceptance=False)


def _rejections(problem, case: Case, values: dict, utils: dict) -> list[tuple[str, str]]:
    """Who rejects a package: below the reservation, or across one of its red lines."""
    out = []
    for p in problem.parties:
        d = case.parties[p].reservation
        if utils[p] < d - TOL * max(1.0, abs(d)):
            out.append((p, f"utility {_g(utils[p])} below reservation {_g(d)}"))
    for r in problem.resolved.rows:
        act = r.lin.value(values)
        scale = max(1.0, abs(r.lo) if math.isfinite(r.lo) else 0, abs(r.hi) if math.isfinite(r.hi) else 0)
        if act < r.lo - 1e-6 * scale or act > r.hi + 1e-6 * scale:
            who = r.party or "everyone"
            out.append((who, f"crosses {r.id} ({_g(act)} outside [{_g(r.lo)}, {_g(r.hi)}])"))
    return out


def _g(v: float) -> str:
    return f"{v + 0.0:.4g}"


def improve(session, floor: dict) -> dict | None:
    """A package that gives every party at least `floor` and the group more, if one exists:
    max sum(u_i - floor_i) s.t. u_i >= floor_i, within every range, limit and constraint."""
    from negotiate.proposal import agreement_of, issue_values, utilities

    b, problem = session._backend, session.problem
    mark = b.mark()
    with _reservations_lifted(session):  # the floors replace the reservations
        try:
            b.add_rows([({problem.utility_col[p]: 1.0}, floor[p] - 1e-9, math.inf, f"floor.{p}")
                        for p in problem.parties])
            b.set_objective({problem.utility_col[p]: 1.0 for p in problem.parties})
            r = b.solve()
        finally:
            b.rollback(mark)
    if not r.has_solution:
        return None
    values = issue_values(problem, r.x)
    utils, _ = utilities(problem, values)
    total = sum(utils[p] - floor[p] for p in problem.parties)
    if total <= 1e-6 or any(utils[p] < floor[p] - 1e-7 for p in problem.parties):
        return None
    return {"agreement": agreement_of(problem, values), "total_gain": total, "utilities": utils}


# -- scenarios ------------------------------------------------------------------------
def sweep_scenarios(sweeps: dict[str, Iterable[float]]) -> dict[str, dict]:
    """A grid over several paths: {"target=35,w=2": {"parameters.target": 35, ...}}."""
    paths = list(sweeps)
    out = {}
    for combo in itertools.product(*(list(v) for v in sweeps.values())):
        name = ",".join(f"{p.split('.')[-1]}={_fmt(v)}" for p, v in zip(paths, combo))
        out[name] = dict(zip(paths, combo))
    return out


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


# -- the comparison ------------------------------------------------------------------------
@dataclass
class Comparison:
    """One row per (scenario, concept or option); views as DataFrame, JSON, CSV, HTML."""

    case: Case
    rows: list[dict]
    interrupted: bool = False
    seconds: float = 0.0
    executor: str = ""
    parties: list = field(default_factory=list)

    @property
    def table(self):
        import pandas as pd

        cols = ["scenario", "kind", "name", "status", "collective_benefit"]
        for what in ("utility", "gain", "satisfaction", "ideal"):
            cols += [f"{what}.{p}" for p in self.parties]
        cols += ["min_satisfaction", "satisfaction_range", "satisfaction_gini", "rejected_by", "dominated_by",
                 "pareto_dominated", "improvement_total_gain", "improved_package", "open_issues", "agreement",
                 "notes", "error", "seconds"]
        frame = pd.DataFrame(self.rows)
        for c in cols:
            if c not in frame:
                frame[c] = None
        return frame[cols]

    def to_dict(self) -> dict:
        return {"case": self.case.name, "interrupted": self.interrupted, "seconds": self.seconds,
                "executor": self.executor, "rows": [_jsonable(r) for r in self.rows]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self, path=None) -> str | None:
        frame = self.table.copy()
        for c in ("agreement", "improved_package", "open_issues"):
            frame[c] = frame[c].map(lambda v: json.dumps(v) if v is not None else None)
        return frame.to_csv(path, index=False)

    def to_html(self) -> str:
        from negotiate.report.html import comparison_html

        return comparison_html(self)

    def __repr__(self) -> str:
        ok = sum(1 for r in self.rows if r.get("status") in ("optimal", "feasible", "acceptable", "rejected"))
        return (f"Comparison({self.case.name!r}, rows={len(self.rows)}, answered={ok}"
                + (", interrupted" if self.interrupted else "") + ")")

    def _repr_html_(self) -> str:
        return self.table.drop(columns=["agreement", "improved_package"])._repr_html_()


def _jsonable(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if k.startswith("_"):
            continue
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        elif isinstance(v, (np.floating, np.integer)):
            v = v.item()
        out[k] = v
    return out


def _dominance(rows: list[dict], parties: list[str]) -> None:
    """Per scenario: which rows give every party at least as much and someone more."""
    by_scenario: dict[str, list[dict]] = {}
    for r in rows:
        if "collective_benefit" in r and r.get("status") not in ("invalid", "error", "infeasible"):
            by_scenario.setdefault(r["scenario"], []).append(r)
    for group in by_scenario.values():
        for r in group:
            better = []
            for o in group:
                if o is r:
                    continue
                ge = all(o[f"utility.{p}"] >= r[f"utility.{p}"] - 1e-7 for p in parties)
                gt = any(o[f"utility.{p}"] > r[f"utility.{p}"] + 1e-6 for p in parties)
                if ge and gt:
                    better.append(o["name"])
            r["dominated_by"] = ", ".join(better) or None


def compare(
    case: Case | str,
    concepts: Iterable[str] | str | None = None,
    options: Iterable[str] | dict | None = None,
    scenarios: Iterable[str] | dict | None = None,
    sweeps: dict[str, Iterable[float]] | None = None,
    *,
    executor: cf.Executor | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    option_concept: str | None = None,
) -> Comparison:
    """Compare concepts and drafted options across scenarios.

    - `concepts`: names, or "all" (default: the case's concept);
    - `options`: names from the case's `options:`, or a mapping name -> package
      (default: all of the case's options);
    - `scenarios`: names from the case's `scenarios:`, or a mapping name ->
      changes (the base case is always the first scenario);
    - `sweeps`: {path: values}, a grid over several paths, as more scenarios;
    - `executor`: any concurrent.futures.Executor (a dask.distributed client's
      `get_executor()` for a cluster); otherwise a process pool of `workers`
      processes, or this process when `workers` is 1;
    - `progress(done, total)` is called as jobs finish.
    Ctrl-C returns the rows finished so far (`interrupted=True`).
    """
    from negotiate.solving import as_case, concept_name

    case = as_case(case)
    if concepts is None:
        concepts = [case.solve.concept] if not (options or case.options) else []
    elif concepts == "all" or concepts == ["all"]:
        concepts = list(CONCEPTS)
    concepts = tuple(concept_name(c) for c in concepts)
    opts = _options(case, options)
    scen = {BASE: {}}
    scen.update(_scenarios(case, scenarios))
    if sweeps:
        scen.update(sweep_scenarios(sweeps))
    data = case.model_dump(exclude_unset=True)
    key = _case_key(data)
    jobs = [Job(data, key, name, changes, concepts, opts, option_concept or case.solve.concept, i)
            for i, (name, changes) in enumerate(scen.items())]
    t0 = time.perf_counter()
    rows, interrupted, label = _run(jobs, executor, workers, progress)
    rows.sort(key=lambda r: (r.get("_index", 0)))
    _dominance(rows, list(case.parties))
    for r in rows:
        r.pop("_index", None)
    return Comparison(case, rows, interrupted, round(time.perf_counter() - t0, 6), label, list(case.parties))


def _options(case: Case, options) -> tuple:
    return tuple(_pick(case.options, options, "option").items())


def _scenarios(case: Case, scenarios) -> dict:
    return _pick(case.scenarios, scenarios, "scenario")


def _pick(section: dict, wanted, kind: str) -> dict:
    """All of a case's options or scenarios (None), a mapping given whole, or names from the case."""
    if wanted is None:
        wanted = section
    if isinstance(wanted, dict):
        return {n: dict(v) for n, v in wanted.items()}
    missing = [n for n in wanted if n not in section]
    if missing:
        from negotiate.case.expr import did_you_mean
        from negotiate.errors import Location, Problem

        raise CaseError([Problem(f"no {kind} `{n}` in the case", f"{kind}s.{n}", Location("<compare>"), None,
                                 did_you_mean(n, section) or f"{kind}s: {', '.join(section) or 'none'}")
                         for n in missing])
    return {n: dict(section[n]) for n in wanted}


def _run(jobs: list[Job], executor, workers: int, progress) -> tuple[list[dict], bool, str]:
    rows: list[dict] = []
    total = len(jobs)
    if executor is None and workers <= 1:
        try:
            for job in jobs:
                rows += run_job(job)
                if progress:
                    progress(len({r["_index"] for r in rows}), total)
        except KeyboardInterrupt:
            return rows, True, "in-process"
        return rows, False, "in-process"
    own = executor is None
    if own:
        import multiprocessing

        # spawned, not forked: a fresh HiGHS in each worker, where one thread per process can be set
        executor = cf.ProcessPoolExecutor(max_workers=workers, initializer=worker_init,
                                          mp_context=multiprocessing.get_context("spawn"))
    label = type(executor).__name__ + (f"({workers})" if own else "")
    futures = [executor.submit(run_job, job) for job in jobs]
    done = 0
    try:
        for fut in cf.as_completed(futures):
            try:
                rows += fut.result()
            except Exception as e:  # a job that could not even run (a dead worker)
                job = jobs[futures.index(fut)]
                rows += [_error_row(job, name, kind, "error", f"{type(e).__name__}: {e}") for kind, name in _labels(job)]
            done += 1
            if progress:
                progress(done, total)
    except KeyboardInterrupt:
        for f in futures:
            f.cancel()
        return rows, True, label
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return rows, False, label
