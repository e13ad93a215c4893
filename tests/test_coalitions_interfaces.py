"""Coalition analysis interfaces: executors (process pool, Dask) answer as in-process,
the CLI's JSON (CASE_FORMAT.md section 8) and exit codes, the HTML report, frames,
and the diagnosis helper with outsiders kept at the status quo."""

from __future__ import annotations

import concurrent.futures as cf
import json

import pytest
from typer.testing import CliRunner

import negotiate
from conftest import ROOT, case_from_dict
from negotiate.analysis.coalitions import coalitions, largest_group
from negotiate.cli import app
from test_coalitions import SMALL, member_payoff, outsider_payoff, public_good_case

CLUB = ROOT / "cases" / "climate_club_status_quo.yaml"
SQ_SMALL = ROOT / "tests" / "data" / "status_quo" / "small.yaml"


def _worths(analysis) -> list:
    return [(c.members, round(c.worth, 7), c.internally_stable, c.externally_stable) for c in analysis.coalitions]


def test_process_pool_and_threads_answer_as_in_process():
    case = case_from_dict(SMALL)
    serial = coalitions(case, "egalitarian", members="all")
    seen = []
    pooled = coalitions(case, "egalitarian", members="all", workers=2, progress=lambda d, t: seen.append((d, t)))
    assert _worths(pooled) == _worths(serial)
    assert pooled.executor.startswith("ProcessPoolExecutor") and seen and seen[-1][0] == seen[-1][1]
    with cf.ThreadPoolExecutor(2) as pool:
        assert _worths(coalitions(case, "egalitarian", members="all", executor=pool)) == _worths(serial)


def test_a_local_dask_cluster_answers_as_in_process():
    distributed = pytest.importorskip("dask.distributed")
    case = case_from_dict(SMALL)
    serial = coalitions(case, "utilitarian", members="all", shapley=True)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = coalitions(case, "utilitarian", members="all", shapley=True, executor=client.get_executor())
    assert _worths(remote) == _worths(serial)
    assert remote.shapley == pytest.approx(serial.shapley, abs=1e-9)


def test_cli_json_has_the_contract_keys():
    r = CliRunner().invoke(app, ["coalitions", str(CLUB), "--concept", "utilitarian", "--all", "--shapley",
                                 "--nucleolus", "--core", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["outsiders"] == "status_quo" and data["concept"] == "utilitarian"
    assert data["parties"] == ["CHN", "USA", "EU", "IND", "IDN"]
    assert len(data["coalitions"]) == 31
    for c in data["coalitions"]:
        assert set(c) >= {"members", "status", "worth", "utility", "internally_stable", "externally_stable"}
        assert set(c["utility"]) == set(data["parties"])  # members and outsiders
    assert {"in_core", "blocking"} <= set(data["grand"])
    assert set(data["shapley"]) == set(data["nucleolus"]) == set(data["parties"])
    assert set(data["least_core"]) == {"epsilon", "allocation"}
    assert sum(data["shapley"].values()) == pytest.approx(data["grand"]["worth"], abs=1e-6)
    stable = {tuple(c["members"]) for c in data["coalitions"] if c["internally_stable"] and c["externally_stable"]}
    assert {tuple(m) for m in data["stable"]} == stable and stable
    assert data["blocs"]["blocs"]["north"]["members"] == ["USA", "EU"]


def test_cli_members_blocs_and_errors():
    runner = CliRunner()
    r = runner.invoke(app, ["coalitions", str(CLUB), "--members", "USA,EU", "--members", "CHN,USA", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert [c["members"] for c in json.loads(r.stdout)["coalitions"]] == [["USA", "EU"], ["CHN", "USA"]]
    r = runner.invoke(app, ["coalitions", str(CLUB), "--bloc", "north", "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["blocs"]["blocs"]["north"]["members"] == ["USA", "EU"]
    assert runner.invoke(app, ["coalitions", str(CLUB), "--bloc", "west"]).exit_code == 2
    assert runner.invoke(app, ["coalitions", str(CLUB), "--members", "USA,XX"]).exit_code == 2
    assert runner.invoke(app, ["coalitions", str(CLUB), "--all", "--members", "USA"]).exit_code == 2
    assert runner.invoke(app, ["coalitions", str(CLUB), "--format", "csv"]).exit_code == 2
    assert runner.invoke(app, ["coalitions", str(CLUB), "--outsiders", "nearby"]).exit_code == 2
    r = runner.invoke(app, ["coalitions", str(CLUB), "--members", "USA,EU", "--outsiders", "best_response",
                            "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["outsiders"] == "best_response"
    r = runner.invoke(app, ["coalitions", str(ROOT / "cases" / "bilateral_fta.yaml")])
    assert r.exit_code == 1 and "status quo" in r.output


def test_text_and_html_report(tmp_path):
    out = tmp_path / "club.html"
    r = CliRunner().invoke(app, ["coalitions", str(CLUB), "--concept", "utilitarian", "--shapley", "--nucleolus",
                                 "--core", "--report", str(out)])
    assert r.exit_code == 0, r.output
    assert "stable coalitions:" in r.stdout and "Shapley" in r.stdout
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    for needle in ("Stability", "Stable coalitions", "What each party adds", "Core", "Blocs"):
        assert needle in page


def test_frames():
    a = coalitions(SQ_SMALL, "nash", members="all", shapley=True, nucleolus=True)
    frame = a.frame()
    assert list(frame["members"]) == ["A", "B", "A,B"] and {"utility.A", "utility.B", "worth"} <= set(frame)
    values = a.values_frame()
    assert list(values["party"]) == ["A", "B"] and {"shapley", "nucleolus", "status_quo"} <= set(values)
    assert "CoalitionAnalysis(" in repr(a)
    assert negotiate.coalitions is coalitions


def test_largest_group_keeps_the_others_at_the_status_quo():
    data = public_good_case(4)
    data["parties"]["D"]["reservation"] = 10  # D accepts nothing: no agreement of all four
    case = case_from_dict(data)
    assert negotiate.solve(case, "utilitarian").status == "infeasible"
    found = largest_group(case, "utilitarian", hint=["D"])
    assert found["parties"] == ["A", "B", "C"] and found["without"] == ["D"]
    # D stays at its status quo abatement and enjoys the others' cuts (it is not dropped)
    assert found["agreement"]["q"]["D"] == pytest.approx(1)
    assert 2 * found["utilities"]["D"] == pytest.approx(outsider_payoff(4, 3), abs=1e-7)
    assert 2 * found["utilities"]["A"] == pytest.approx(member_payoff(4, 3), abs=1e-7)
    assert largest_group(negotiate.load_case(ROOT / "cases" / "trade_standards.yaml"), "nash") is None


def test_other_backends_are_refused_clearly():
    with pytest.raises(ValueError, match="highs backend"):
        coalitions(SQ_SMALL, backend="pyomo")


def test_any_proposal_can_be_checked_against_the_core():
    case = negotiate.load_case(CLUB)
    a = coalitions(case, "utilitarian", members=[["USA", "EU"]], core=True)
    nash = negotiate.solve(case, "nash")
    check = a.check_core(nash)
    # by hand from the worths: a coalition blocks when its worth exceeds what the proposal gives it
    for b in check.blocking:
        given = sum(nash.parties[p].utility for p in b.members)
        assert b.worth == pytest.approx(a.game.v(b.members)) and b.excess == pytest.approx(b.worth - given)
    assert check.in_core == (not check.blocking and check.efficient)
    with pytest.raises(ValueError, match="every coalition's worth"):
        coalitions(case, "utilitarian", members=[["USA", "EU"]]).check_core(nash)


def test_shipped_club_transfers_make_it_internally_stable():
    a = coalitions(CLUB, "utilitarian", members="all")
    assert ("CHN", "EU", "IND", "IDN") in a.stable and ("USA", "EU", "IND", "IDN") in a.stable
    for c in a.coalitions:
        if c.transfers is None:
            # no transfers exist: the members' surplus over leaving is negative
            assert not c.formed or c.surplus < 0
            continue
        assert sum(c.transfers.values()) == pytest.approx(0, abs=1e-9)
        for p in c.members:
            # with its transfer, no member gains by leaving (by the case's own utilities)
            leave = a.coalition([q for q in c.members if q != p]).utility[p] if len(c.members) > 1 else \
                a.status_quo[p]
            assert a.weights[p] * c.utility[p] + c.transfers[p] >= a.weights[p] * leave - 1e-7
            assert leave == pytest.approx(c.leave[p], abs=1e-12)
