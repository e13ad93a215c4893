"""No input hangs the tool: generated infeasible cases of 10 parties, an LP and a MIP.

benchmarks/generate.py's climate-style case (10 parties) made infeasible three
ways (two red lines in contradiction, an unreachable reservation, a collective
target beyond every party's range), as a linear program and as a mixed-integer
one (an integer price and a discrete standard). Each is diagnosed within a hard
alarm, through `negotiate.solve` and through `negotiate solve` on a case file
(exit 3, the same diagnosis as JSON); the diagnosis is located (the concessions
and the conflicting set name the case's own ids, and the set's verdict is
checked by cold solves of the case cut down to it), and a warm session brought
to the same case by what-if changes gives the identical diagnosis.
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT
from test_diagnose_bounded import MEMBER_ID, kept_only, within
from typer.testing import CliRunner

import negotiate
from negotiate.case.load import validate_data
from negotiate.cli import app
from negotiate.compile import compile_case
from negotiate.whatif import Negotiation

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import make_case  # noqa: E402

# what makes each case infeasible, as what-if changes of the feasible case
BREAKS = {
    "red lines": {"parties.P001.limits.floor": "price >= 70", "parties.P002.limits.cap": "price <= 20"},
    "reservation": {"parties.P003.reservation": 0.999},
    "target": {"parameters.target": 70},
}
EXPECTED = {"red lines": {"parties.P001.limits.floor", "parties.P002.limits.cap"},
            "reservation": {"parties.P003.reservation"}, "target": {"constraints.collective"}}


def feasible_data(mip: bool) -> dict:
    data = make_case(10, 4, 6, seed=3)
    if mip:
        data["issues"]["price"]["integer"] = True
        data["issues"]["standard"] = {"options": ["none", "basic", "full"]}
        for k, party in enumerate(data["parties"].values()):
            party["criteria"]["standard"] = {"of": "standard", "weight": 1,
                                             "scores": {"none": (k % 3) / 2, "basic": 1.0, "full": ((k + 1) % 3) / 2}}
    return data


def broken_data(mip: bool, brk: str) -> dict:
    data = feasible_data(mip)
    for path, value in BREAKS[brk].items():
        *where, key = path.split(".")
        node = data
        for part in where:
            node = node.setdefault(part, {})
        node[key] = value
    return data


@pytest.mark.parametrize("mip", [False, True], ids=["lp", "mip"])
@pytest.mark.parametrize("brk", list(BREAKS))
def test_a_generated_infeasible_case_is_diagnosed_quickly_and_alike(mip, brk, tmp_path):
    data = broken_data(mip, brk)
    case = validate_data(data)
    assert bool(compile_case(case).col_int.any()) == mip
    with within(60):  # seconds on a loaded machine; a hang fails here
        cold = negotiate.solve(case, "nash")
    assert cold.status == "infeasible"
    d = cold.diagnosis.to_dict()
    assert "stopped" not in d  # the whole diagnosis within the default budget
    assert {r["id"] for r in d["relaxations"]} <= EXPECTED[brk] and d["relaxations"]
    ids = {m["id"] for m in d["iis"]}
    assert all(MEMBER_ID.match(i) for i in ids)
    assert {i for i in ids if not i.startswith("issues.")} == EXPECTED[brk]
    assert negotiate.solve(kept_only(case, ids, "utilitarian")).status == "infeasible"
    group = d["largest_group"]
    if brk == "target":  # every group is held to the same target: the search stops at its 64 groups
        assert group["parties"] is None and group["searched"] == 64 and not group["complete"]
    else:
        assert group["parties"] and group["complete"]

    # the CLI, on the case as a file
    path = tmp_path / "generated.json"
    path.write_text(json.dumps(data))
    with within(60):
        r = CliRunner().invoke(app, ["solve", str(path), "--concept", "nash", "--format", "json"])
    assert r.exit_code == 3, r.output
    assert json.loads(r.stdout)["diagnosis"] == json.loads(cold.to_json())["diagnosis"]

    # a warm session brought to the same case by what-if changes
    n = Negotiation(validate_data(feasible_data(mip)))
    assert n.solve("nash").status == "optimal"
    with within(60):
        for change, value in BREAKS[brk].items():
            n.set(change, value)
        warm = n.solve("nash")
    assert warm.status == "infeasible"
    assert warm.diagnosis.to_dict() == d
