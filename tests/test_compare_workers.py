"""A dead worker's jobs are retried once on a fresh worker; rows that still fail
are error rows, and `negotiate compare` exits non-zero with a summary."""

import os

from typer.testing import CliRunner

from conftest import ROOT
from negotiate.case.load import load_case
from negotiate.cli import app
from negotiate.compare import batch, compare

BILATERAL = ROOT / "cases" / "bilateral_fta.yaml"


def dies_once(job):
    """Kill the worker the first time job 1 runs (a marker file remembers it)."""
    marker = os.environ["NEGOTIATE_TEST_MARKER"]
    if job.index == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return batch.run_job(job)


def always_dies(job):
    if job.index == 1:
        os._exit(1)
    return batch.run_job(job)


def _jobs(case):
    data = case.model_dump(exclude_unset=True)
    key = batch._case_key(data)
    scenarios = {"base": {}, **{n: dict(c) for n, c in case.scenarios.items()}}
    return [batch.Job(data, key, n, c, ("nash",), (), "nash", i) for i, (n, c) in enumerate(scenarios.items())]


def test_a_dead_worker_is_retried_on_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setenv("NEGOTIATE_TEST_MARKER", str(tmp_path / "died"))
    case = load_case(BILATERAL)
    jobs = _jobs(case)
    rows, interrupted, _, retried = batch._run(jobs, None, 2, None, runner=dies_once)
    assert (tmp_path / "died").exists() and retried >= 1 and not interrupted
    assert len(rows) == len(jobs)
    assert all(r["status"] in ("optimal", "infeasible") for r in rows), [r.get("error") for r in rows]
    serial = compare(case, concepts=["nash"], options=[])
    by_scenario = {r["scenario"]: r["status"] for r in serial.rows}
    assert {r["scenario"]: r["status"] for r in rows} == by_scenario


def test_a_job_that_kills_every_worker_is_an_error_row(tmp_path):
    case = load_case(BILATERAL)
    jobs = _jobs(case)
    rows, _, _, retried = batch._run(jobs, None, 2, None, runner=always_dies)
    assert retried >= 1 and len(rows) == len(jobs)
    dead = [r for r in rows if r["_index"] == 1]
    assert dead and all(r["status"] == "error" and "failed twice" in r["error"] for r in dead)
    assert all(r["status"] != "error" for r in rows if r["_index"] != 1)


def test_compare_exits_non_zero_with_a_summary_when_rows_fail():
    r = CliRunner().invoke(app, ["compare", str(BILATERAL), "--concepts", "nash",
                                 "--sweep", "parties.EU.reservation.x=1:2:1"])
    assert r.exit_code == 1, r.output
    assert "rows failed" in r.output and "x=1" in r.output
