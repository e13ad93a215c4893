"""Batch orchestration of a comparison: concepts, drafted packages, scenarios.

`compare(case, concepts=..., options=..., scenarios=..., sweeps=...)` runs one
job per scenario (the case's data and the scenario's changes, never solver
objects) on any `concurrent.futures.Executor`, and returns a `Comparison`: a
table with one row per (scenario, concept or option).

Each worker process keeps one warm `Negotiation` per case; every job starts
from a fresh solver model of it (validated and compiled once), so a
row does not depend on which worker ran it or what it ran before.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from negotiate import registry
from negotiate.analysis.metrics import satisfaction_spread
from negotiate.analysis.options import evaluate_option
from negotiate.analysis.pareto import mark_dominance
from negotiate.case.schema import Case
from negotiate.compare.table import Comparison
from negotiate.errors import CaseError, NegotiateError, SolveError
from negotiate.flatten import agreement_columns
from negotiate.results import Status

BASE = "base"


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
        rows = [_error_row(job, name, kind, Status.INVALID, "; ".join(str(p) for p in e.problems))
                for kind, name in _labels(job)]
    except (NegotiateError, ValueError, ArithmeticError) as e:
        rows = [_error_row(job, name, kind, Status.ERROR, f"{type(e).__name__}: {e}") for kind, name in _labels(job)]
    seconds = (time.perf_counter() - t0) / max(1, len(rows))
    for r in rows:
        r["seconds"] = round(seconds, 6)
    return rows


def _labels(job: Job):
    return [("concept", c) for c in job.concepts] + [("option", name) for name, _ in job.options]


def _error_row(job: Job, name: str, kind: str, status: Status, message: str) -> dict:
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
        prop, extra = evaluate_option(session, name, values, job.option_concept)
        rows.append(_row(job, case, "option", name, prop, ideal, extra))
    return rows


def _row(job, case: Case, kind: str, name: str, prop, ideal: dict, extra: dict | None = None) -> dict:
    row: dict[str, Any] = {"scenario": job.scenario, "kind": kind, "name": name, "status": prop.status,
                           "_index": job.index}
    if not prop.ok:
        row["error"] = (prop.diagnosis or {}).get("message") or "; ".join(prop.notes) or None
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
    row.update(satisfaction_spread([v for v in sat.values() if v is not None]))
    row["agreement"] = prop.agreement
    row.update(agreement_columns(prop.agreement))
    if extra:
        row.update(extra)
    return row


# -- scenarios ------------------------------------------------------------------------
def sweep_scenarios(sweeps: dict[str, Iterable[float]]) -> dict[str, dict]:
    """A grid over several paths, each scenario named by the full path of every swept value:
    {"parameters.target=35,parties.PL.reservation=0.5": {"parameters.target": 35, ...}}."""
    paths = list(sweeps)
    out = {}
    for combo in itertools.product(*(list(v) for v in sweeps.values())):
        name = ",".join(f"{p}={_fmt(v)}" for p, v in zip(paths, combo))
        out[name] = dict(zip(paths, combo))
    return out


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


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
        concepts = list(registry.NAMES)
    concepts = tuple(concept_name(c) for c in concepts)
    opts = _options(case, options)
    scen = {BASE: {}}
    scen.update(_scenarios(case, scenarios))
    if sweeps:
        sweeps = {p: list(v) for p, v in sweeps.items()}
        scen.update(sweep_scenarios(sweeps))
    data = case.model_dump(exclude_unset=True)
    key = _case_key(data)
    jobs = [Job(data, key, name, changes, concepts, opts, option_concept or case.solve.concept, i)
            for i, (name, changes) in enumerate(scen.items())]
    t0 = time.perf_counter()
    rows, interrupted, label, retried = _run(jobs, executor, workers, progress)
    rows.sort(key=lambda r: (r.get("_index", 0)))
    mark_dominance(rows, list(case.parties))
    for r in rows:
        r.pop("_index", None)
    return Comparison(case, rows, interrupted, round(time.perf_counter() - t0, 6), label, list(case.parties),
                      retried, scenarios=scen, sweeps=dict(sweeps or {}))


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
        from negotiate.errors import Finding, Location

        raise CaseError([Finding(f"no {kind} `{n}` in the case", f"{kind}s.{n}", Location("<compare>"), None,
                                 did_you_mean(n, section) or f"{kind}s: {', '.join(section) or 'none'}")
                         for n in missing])
    return {n: dict(section[n]) for n in wanted}


class WorkerError(SolveError):
    """The worker processes of a comparison could not start (no row was computed)."""


_POOL_FAILED = (
    "the {workers} worker processes could not start ({error}). Workers are spawned: each one imports "
    "the script that called compare(), so a script must call it under `if __name__ == \"__main__\":` "
    "(see the README); or run with workers=1.")


def _run(jobs: list[Job], executor, workers: int, progress,
         runner: Callable[[Job], list[dict]] = run_job) -> tuple[list[dict], bool, str, int]:
    """Rows of every job, whether interrupted, the executor's label, and how many jobs were retried.

    A job whose worker died (the pool breaks: every pending job fails with it)
    is run again once, on a fresh worker, one job at a time (so a job that
    kills its worker again cannot take the others down with it); a job that
    fails again gets error rows.
    """
    rows: list[dict] = []
    total = len(jobs)
    if executor is None and workers <= 1:
        try:
            for job in jobs:
                rows += runner(job)
                if progress:
                    progress(len({r["_index"] for r in rows}), total)
        except KeyboardInterrupt:
            return rows, True, "in-process", 0
        return rows, False, "in-process", 0
    own = executor is None
    label = (type(executor).__name__ if not own else "ProcessPoolExecutor") + (f"({workers})" if own else "")
    done = [0]

    def tick():
        done[0] += 1
        if progress:
            progress(done[0], total)

    try:
        new_rows, failed = _submit(jobs, executor, workers, runner, tick)
        rows += new_rows
        retried = len(failed)
        if failed:  # once more, on fresh workers
            again, still = _retry([job for job, _ in failed], None if own else executor, runner, tick)
            rows += again
            if still and not rows and all(isinstance(e, cf.process.BrokenProcessPool) for _, e in still):
                raise WorkerError(_POOL_FAILED.format(workers=workers, error=still[0][1]))
            for job, e in still:
                rows += [_error_row(job, name, kind, Status.ERROR, f"the job failed twice: {type(e).__name__}: {e}")
                         for kind, name in _labels(job)]
                tick()
    except KeyboardInterrupt:
        return rows, True, label, 0
    return rows, False, label, retried


def _pool(workers: int) -> cf.Executor:
    import multiprocessing

    # spawned, not forked: a fresh HiGHS in each worker, where one thread per process can be set
    return cf.ProcessPoolExecutor(max_workers=workers, initializer=worker_init,
                                  mp_context=multiprocessing.get_context("spawn"))


def _retry(jobs: list[Job], executor, runner, tick):
    """Run jobs one at a time, each on a live worker (a new one-process pool after a death)."""
    rows, failed, pool = [], [], None
    try:
        for job in jobs:
            if executor is None and pool is None:
                pool = _pool(1)
            try:
                rows += (executor or pool).submit(runner, job).result()
                tick()
            except Exception as e:  # noqa: BLE001 - it died again
                failed.append((job, e))
                if pool is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = None
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return rows, failed


def _submit(jobs: list[Job], executor, workers: int, runner, tick):
    """Run jobs on `executor` (a new pool if None): their rows, and the jobs that could not run."""
    own = executor is None
    if own:
        executor = _pool(workers)
    futures = {executor.submit(runner, job): job for job in jobs}
    rows, failed = [], []
    try:
        for fut in cf.as_completed(futures):
            try:
                rows += fut.result()
                tick()
            except Exception as e:  # noqa: BLE001 - the job could not run (a dead worker: BrokenProcessPool,
                failed.append((futures[fut], e))  # Dask's KilledWorker); `runner` itself never raises
    except KeyboardInterrupt:
        for f in futures:
            f.cancel()
        raise
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return rows, failed
