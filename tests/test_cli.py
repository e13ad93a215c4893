"""The command line: outputs, formats, what-if flags and exit codes."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import CASES, ROOT
from negotiate.cli import app

runner = CliRunner()
CLIMATE = str(ROOT / "cases" / "climate_club.yaml")
NO_DEAL = str(ROOT / "tests" / "data" / "no_deal.yaml")


def run(*args, width=None):
    return runner.invoke(app, list(args), env={"COLUMNS": str(width)} if width else None)


def test_solve_text_shows_agreement_and_parties():
    r = run("solve", CLIMATE)
    assert r.exit_code == 0, r.output
    for word in ("Five-economy climate club", "nash", "Parties", "CHN", "utility", "collective benefit"):
        assert word in r.output


def test_solve_json_is_the_contract():
    r = run("solve", CLIMATE, "--format", "json", "--concept", "ks")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert set(data) >= {"case", "concept", "status", "agreement", "parties", "collective_benefit",
                         "constraints", "diagnosis", "solver"}
    assert data["concept"] == "kalai_smorodinsky" and data["status"] == "optimal"
    chn = data["parties"]["CHN"]
    assert set(chn) >= {"utility", "reservation", "ideal", "gain", "satisfaction", "criteria"}
    assert chn["gain"] == pytest.approx(chn["utility"] - chn["reservation"], abs=1e-9)
    assert chn["satisfaction"] == pytest.approx(chn["gain"] / (chn["ideal"] - chn["reservation"]), abs=1e-8)
    assert data["collective_benefit"] == pytest.approx(sum(p["utility"] * p["weight"] for p in data["parties"].values()))
    assert data["solver"]["name"] == "highs"


def test_json_stdout_is_clean_in_a_fresh_process():
    """HiGHS prints a banner on first use; it must not reach stdout."""
    out = subprocess.run([sys.executable, "-m", "negotiate", "solve", CLIMATE, "-f", "json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    json.loads(out.stdout)


def test_set_changes_a_parameter_and_output_file(tmp_path):
    target = tmp_path / "result.json"
    r = run("solve", CLIMATE, "--set", "parameters.target=40", "-f", "json", "-o", str(target))
    assert r.exit_code == 0
    data = json.loads(target.read_text())
    cut = next(c for c in data["constraints"] if c["id"] == "constraints.collective_cut")
    assert cut["lower"] == pytest.approx(40 * 30.4)


def test_text_output_file(tmp_path):
    target = tmp_path / "result.txt"
    assert run("solve", CLIMATE, "-o", str(target)).exit_code == 0
    assert "collective benefit" in target.read_text()


def test_no_agreement_exit_3():
    r = run("solve", NO_DEAL)
    assert r.exit_code == 3
    assert "infeasible" in r.output and "No agreement" in r.output
    r = run("solve", NO_DEAL, "-f", "json")
    data = json.loads(r.stdout)
    assert data["agreement"] is None and data["diagnosis"]["cause"] == "reservations"


@pytest.mark.parametrize("args", [
    ["solve", CLIMATE, "--concept", "kant"],
    ["solve", CLIMATE, "--format", "xml"],
    ["solve", CLIMATE, "--set", "no-equals-sign"],
    ["solve", CLIMATE, "--backend", "gurobi-direct"],
    ["solve"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2


def test_bad_set_value_is_a_located_case_error():
    r = run("solve", CLIMATE, "--set", "parties.CHN.reservation=lots")
    assert r.exit_code == 1
    assert "parties.CHN.reservation" in r.output and "<change>" in r.output


def test_validate_many_files():
    r = run("validate", *map(str, CASES))
    assert r.exit_code == 0 and r.output.count("ok") == len(CASES)
    r = run("validate", CLIMATE, str(ROOT / "tests" / "data" / "bad" / "semantic.yaml"))
    assert r.exit_code == 1


def test_pyomo_backend_from_cli():
    r = run("solve", str(ROOT / "cases" / "bilateral_fta.yaml"), "--backend", "pyomo",
            "--solver", "appsi_highs", "-f", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["solver"]["backend"] == "pyomo"


def test_schema_command_matches_shipped_copy():
    r = run("schema")
    assert r.exit_code == 0
    shipped = (ROOT / "negotiate" / "case" / "case.schema.json").read_text()
    assert json.loads(r.stdout) == json.loads(shipped), "run `negotiate schema -o negotiate/case/case.schema.json`"


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and "negotiate" in r.output


def test_models_command_lists_models_and_parameters():
    r = run("models")
    assert r.exit_code == 0
    for word in ("climate_targets", "trade_standards", "target", "w_ability_to_pay"):
        assert word in r.output


def test_explain_prices_and_diagnosis():
    r = run("explain", str(ROOT / "cases" / "asia_pacific_compact.yaml"), "-c", "utilitarian", width=200)
    assert r.exit_code == 0
    assert "parties.IND.limits.development_room" in r.output and "relaxing IND's development room" in r.output
    r = run("explain", NO_DEAL)
    assert r.exit_code == 3 and "smallest concessions" in r.output


def test_solve_sweep_table_and_json():
    r = run("solve", str(ROOT / "cases" / "bilateral_fta.yaml"), "--sweep", "parties.EU.reservation=0.4:0.6:0.1")
    assert r.exit_code == 0 and "0.5" in r.output and "MERCOSUR" in r.output
    r = run("solve", CLIMATE, "--sweep", "parameters.target=20:30:5", "-f", "json")
    rows = json.loads(r.stdout)
    assert [row["parameters.target"] for row in rows] == [20, 25, 30]
    assert run("solve", CLIMATE, "--sweep", "parameters.target=20:30").exit_code == 2


def test_text_output_names_costly_red_lines():
    r = run("solve", str(ROOT / "cases" / "asia_pacific_compact.yaml"), "-c", "utilitarian", width=200)
    assert "Red lines that cost the most" in r.output
    assert "relaxing IND's development room by 1% below" in r.output and "raises collective benefit by" in r.output
