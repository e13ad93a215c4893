"""compare(): options against enumeration, executors, failures, reports, CLI."""

import concurrent.futures as cf
import json
import random
import shutil
import subprocess

import pytest

import negotiate
from conftest import ROOT, case_from_dict
from independent import outcomes, utility
from negotiate.compare import compare
from test_concepts_brute_force import random_case

BILATERAL = ROOT / "cases" / "bilateral_fta.yaml"


def red_lines_hold(case, outcome) -> bool:
    for party in case.parties.values():
        for text in party.limits.values():  # the random cases' red lines: `ISSUE[OPTION] == 0`
            issue, option = text.split("[")[0], text.split("[")[1].split("]")[0]
            if outcome[issue] == option:
                return False
    return True


def option_cases():
    out = []
    for seed in range(200, 212):
        data = random_case(seed)
        case = case_from_dict(data)
        rng = random.Random(seed)
        opts = {}
        for k, o in enumerate(rng.sample(outcomes(case), 3)):
            opts[f"draft{k}"] = o if k < 2 else {i: v for j, (i, v) in enumerate(o.items()) if j != 0}
        data["options"] = {n: {i: (int(v) if isinstance(v, float) else v) for i, v in o.items()}
                           for n, o in opts.items()}
        out.append(case_from_dict(data))
    return out


@pytest.mark.parametrize("case", option_cases(), ids=lambda c: c.name)
def test_options_match_enumeration(case):
    frame = compare(case, concepts=[], options=None).table
    everything = outcomes(case)
    for _, row in frame.iterrows():
        assert row["kind"] == "option"
        package = case.options[row["name"]]
        agreed = {i: (v if isinstance(v, str) else float(v)) for i, v in row["agreement"].items()}
        for i, v in package.items():  # the draft's own choices are kept
            assert agreed[i] == (v if isinstance(v, str) else float(v))
        u = {p: utility(case, p, agreed) for p in case.parties}
        for p in case.parties:
            assert row[f"utility.{p}"] == pytest.approx(u[p], abs=1e-9)
        # who rejects, and why
        below = {p for p in case.parties if u[p] < case.parties[p].reservation - 1e-9}
        crossed = {p for p, party in case.parties.items() for t in party.limits.values()
                   if agreed[t.split("[")[0]] == t.split("[")[1].split("]")[0]}
        named = set() if not isinstance(row["rejected_by"], str) else \
            {x.split(" (")[0] for x in row["rejected_by"].split("; ")}
        assert named == below | crossed
        # Pareto-dominated? By how much can it be improved? (within every red line)
        best = max((sum(utility(case, p, o) - u[p] for p in case.parties) for o in everything
                    if red_lines_hold(case, o) and all(utility(case, p, o) >= u[p] - 1e-12 for p in case.parties)),
                   default=0.0)
        assert bool(row["pareto_dominated"]) == (best > 1e-6)
        if best > 1e-6:
            assert row["improvement_total_gain"] == pytest.approx(best, abs=1e-7)
            improved = {i: (v if isinstance(v, str) else float(v)) for i, v in row["improved_package"].items()}
            assert red_lines_hold(case, improved)
            for p in case.parties:
                assert utility(case, p, improved) >= u[p] - 1e-9


def test_bilateral_rejections_and_dominance():
    frame = compare(BILATERAL, concepts="all", scenarios=[]).table.set_index("name")
    assert "MERCOSUR (utility" in frame.loc["eu_draft", "rejected_by"]
    assert "parties.MERCOSUR.limits.no_sanctions" in frame.loc["eu_draft", "rejected_by"]
    assert "parties.EU.limits.no_mass_beef" in frame.loc["mercosur_draft", "rejected_by"]
    assert frame.loc["mediator_v1", "pareto_dominated"]
    assert "utilitarian" in frame.loc["mediator_v1", "dominated_by"]
    assert frame.loc["mediator_v1", "open_issues"] == ["transition"]
    assert frame.loc["nash", "min_satisfaction"] == pytest.approx(
        min(frame.loc["nash", "satisfaction.EU"], frame.loc["nash", "satisfaction.MERCOSUR"]))


def _plain(comparison):
    frame = comparison.table.drop(columns=["seconds"])
    return json.loads(frame.to_json(orient="records"))


def test_results_are_identical_whatever_the_executor():
    case = negotiate.load_case(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    kwargs = dict(concepts=["nash", "egalitarian"], sweeps={"parameters.target": [36, 38, 42]})
    first = compare(case, **kwargs)
    assert all(r["status"] == "optimal" for r in first.rows)
    serial = _plain(first)
    with cf.ProcessPoolExecutor(2) as pool:
        assert _plain(compare(case, executor=pool, **kwargs)) == serial
    assert _plain(compare(case, workers=2, **kwargs)) == serial
    with cf.ThreadPoolExecutor(2) as pool:
        assert _plain(compare(case, executor=pool, **kwargs)) == serial


def test_a_local_dask_cluster_gives_the_same_rows():
    distributed = pytest.importorskip("dask.distributed")
    case = negotiate.load_case(BILATERAL)
    serial = _plain(compare(case, concepts="all"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        assert _plain(compare(case, concepts="all", executor=client.get_executor())) == serial


def test_a_failing_scenario_is_a_row_and_the_batch_goes_on():
    result = compare(BILATERAL, concepts=["nash"], options=[],
                     scenarios={"bad": {"parties.EU.reservation": "high"}, "good": {"parties.EU.reservation": 0.5}})
    frame = result.table.set_index("scenario")
    assert frame.loc["bad", "status"] == "invalid" and "parties.EU.reservation" in frame.loc["bad", "error"]
    assert frame.loc["good", "status"] == "optimal" and frame.loc["base", "status"] == "optimal"


def test_interrupt_returns_finished_rows():
    def progress(done, total):
        if done == 2:
            raise KeyboardInterrupt

    result = compare(BILATERAL, concepts=["nash"], sweeps={"parties.EU.reservation": [0.3, 0.4, 0.5, 0.6]},
                     progress=progress)
    assert result.interrupted and 0 < len(result.rows) < 5 * 4


def test_grids_and_exports(tmp_path):
    result = compare(BILATERAL, concepts=["nash"], scenarios=[],
                     sweeps={"parties.EU.reservation": [0.3, 0.5], "parties.MERCOSUR.reservation": [0.3, 0.4, 0.5]})
    names = [r["scenario"] for r in result.rows if r["kind"] == "concept"]
    assert names[0] == "base" and len(names) == 1 + 6 and "parties.EU.reservation=0.3,parties.MERCOSUR.reservation=0.5" in names
    data = json.loads(result.to_json())
    assert len(data["rows"]) == len(result.rows)
    csv = result.to_csv()
    assert csv.splitlines()[0].startswith("scenario,kind,name,status,collective_benefit")


def test_html_report_is_self_contained(tmp_path):
    html = compare(BILATERAL, concepts="all").to_html()
    for section in ("The case", "Comparison", "Utility and satisfaction", "Concessions", "Pareto frontier"):
        assert section in html
    assert html.count("<svg") >= 3
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    path = tmp_path / "report.html"
    path.write_text(html)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium here: the page is checked in a browser where one is installed")
    png = tmp_path / "report.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400",
                    f"--screenshot={png}", path.as_uri()], capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(png).convert("L")
    assert image.size == (1200, 2400)
    assert sum(1 for n in image.histogram() if n) > 50  # drawn, not blank


def test_compare_cli(tmp_path):
    from typer.testing import CliRunner

    from negotiate.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["compare", str(BILATERAL), "--concepts", "nash,ks", "--scenario", "mercosur_patient",
                            "--report", str(tmp_path / "r.html")], env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    assert "scenario mercosur_patient" in r.output and "option mediator_v1" in r.output
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    r = runner.invoke(app, ["compare", str(BILATERAL), "--concepts", "all", "-f", "csv", "--workers", "2",
                            "--sweep", "parties.EU.reservation=0.4:0.5:0.1"])
    assert r.exit_code == 0 and r.stdout.count("\n") == 1 + 7 * (1 + 2 + 2)
    drafts = tmp_path / "drafts.yaml"
    drafts.write_text("quick: {beef_quota: kt99, car_phaseout: y10}\n")
    r = runner.invoke(app, ["compare", str(BILATERAL), "--options", str(drafts), "-f", "json", "--scenario",
                            "eu_farm_pressure"])
    names = {row["name"] for row in json.loads(r.stdout)["rows"]}
    assert {"quick", "mediator_v1"} <= names
    assert runner.invoke(app, ["compare", str(BILATERAL), "--scenario", "nope"]).exit_code == 1


def test_compare_cli_on_a_dask_scheduler():
    distributed = pytest.importorskip("dask.distributed")
    from typer.testing import CliRunner

    from negotiate.cli import app

    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        r = CliRunner().invoke(app, ["compare", str(BILATERAL), "--concepts", "nash", "--scheduler",
                                     cluster.scheduler_address, "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["executor"].endswith("Executor") and len(data["rows"]) == 3 * 4
    serial = compare(BILATERAL, concepts=["nash"])
    assert [row["collective_benefit"] for row in data["rows"]] == [row.get("collective_benefit") for row in
                                                                    json.loads(serial.to_json())["rows"]]


def test_unreachable_scheduler_is_a_clean_error():
    pytest.importorskip("dask.distributed")
    from typer.testing import CliRunner

    from negotiate.cli import app

    r = CliRunner().invoke(app, ["compare", str(BILATERAL), "--scheduler", "tcp://127.0.0.1:1"])
    assert r.exit_code == 4 and "cannot reach the Dask scheduler" in r.output
