"""Sweeps and comparisons carry the agreed values, one column per issue (per party for per-party issues).

Each sweep row's agreed values are checked against a cold solve of the case
changed to that value; the CSV and JSON of the CLI carry the same columns.
"""

import io
import json
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

import negotiate
from conftest import ROOT
from independent import party_utility
from negotiate.cli import app
from negotiate.flatten import agreement_columns, case_agreement_columns, column_name
from negotiate.whatif import Negotiation

CLIMATE = ROOT / "cases" / "climate_club.yaml"
TARGETS = [30.0, 40.0, 45.0]


def test_sweep_rows_carry_the_agreement_their_utilities_come_from():
    """The agreed values of each row, evaluated by the case's own expressions outside negotiate, give the
    row's utilities; and each row's Nash product is that of a cold solve of the changed case."""
    case = negotiate.load_case(CLIMATE)
    frame = Negotiation(case).sweep("parameters.target", TARGETS)
    columns = case_agreement_columns(case)
    assert "reduction.CHN" in columns and "mrv" in columns
    assert set(columns) <= set(frame.columns)
    for value, (_, row) in zip(TARGETS, frame.iterrows()):
        changed = case.update({"parameters.target": value})
        agreement = {}
        for iid, issue in changed.issues.items():
            agreement[iid] = ({p: float(row[f"{iid}.{p}"]) for p in changed.parties} if issue.per_party
                              else row[iid])
        for p in changed.parties:
            assert party_utility(changed, p, agreement) == pytest.approx(row[f"utility.{p}"], abs=1e-6)
        cold = negotiate.solve(changed)  # the same Nash product (its agreement may differ where the product is flat)
        nash = sum(math.log(row[f"gain.{p}"]) for p in changed.parties)
        assert nash == pytest.approx(sum(math.log(o.gain) for o in cold.parties.values()), abs=1e-5)


def test_cli_sweep_csv_and_json_carry_the_agreement():
    runner = CliRunner()
    csv = runner.invoke(app, ["solve", str(CLIMATE), "--sweep", "parameters.target=30:40:10", "-f", "csv"])
    assert csv.exit_code == 0, csv.output
    frame = pd.read_csv(io.StringIO(csv.stdout))
    assert {"parameters.target", "reduction.IND", "finance.EU", "mrv", "gain.IND"} <= set(frame.columns)
    data = json.loads(runner.invoke(app, ["solve", str(CLIMATE), "--sweep", "parameters.target=30:40:10",
                                          "-f", "json"]).stdout)
    assert data[0]["reduction.IND"] == pytest.approx(frame["reduction.IND"][0])
    assert runner.invoke(app, ["solve", str(CLIMATE), "-f", "csv"]).exit_code == 2  # csv is for sweeps


def test_comparison_rows_flatten_their_agreement():
    c = negotiate.compare(CLIMATE, concepts=["nash", "egalitarian"], scenarios=[])
    table = c.table
    for (_, row), raw in zip(table.iterrows(), c.rows):
        for col, value in agreement_columns(raw["agreement"]).items():
            assert row[col] == value
    header = c.to_csv().splitlines()[0].split(",")
    assert header[:5] == ["scenario", "kind", "name", "status", "collective_benefit"]
    assert header[5:5 + len(case_agreement_columns(c.case))] == case_agreement_columns(c.case)


def test_clashing_issue_names_are_prefixed():
    assert column_name("status") == "issue.status"
    assert column_name("utility", "DE") == "issue.utility.DE"
    assert column_name("reduction", "DE") == "reduction.DE"
