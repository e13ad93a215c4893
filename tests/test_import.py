"""Genius and GeniusWeb import: utilities against a direct computation of the source's own.

The references here read the XML/JSON with the standard library and compute
the utility as Genius's Java code does (EvaluatorDiscrete: evaluation / max
evaluation; EvaluatorInteger: offset + slope * (x - lowerbound) clipped to
[0, 1]; EvaluatorReal: parameter0 + parameter1 * x clipped; utility =
sum of weight * evaluation) and as GeniusWeb's LinearAdditiveUtilitySpace
does (value utilities; numbers linear between low and high, 0 outside). The
imported case is evaluated two ways: by tests/independent.py (Python
arithmetic over the case file) and by negotiate's own enumeration table.
"""

import itertools
import json
import random
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import negotiate
from conftest import ROOT
from independent import party_utility
from negotiate.cli import app
from negotiate.errors import CaseError

DATA = ROOT / "tests" / "data" / "interop"
HOLIDAY = DATA / "genius_holiday"
JOBS = DATA / "geniusweb_jobs"


# -- Genius, computed directly ---------------------------------------------------
def genius_profile(path: Path) -> dict:
    root = ET.parse(path).getroot()
    obj = root.find("objective")
    issues, weights = {}, {}
    for node in obj.findall("issue"):
        issues[node.get("index")] = node
    for node in obj.findall("weight"):
        weights[issues[node.get("index")].get("name")] = float(node.get("value"))
    res = root.find("reservation")
    return {"issues": {n.get("name"): n for n in issues.values()}, "weights": weights,
            "reservation": float(res.get("value")) if res is not None else 0.0}


def genius_utility(profile: dict, bid: dict) -> float:
    u = 0.0
    for name, node in profile["issues"].items():
        kind = node.get("type")
        if kind == "discrete":
            evals = {i.get("value"): float(i.get("evaluation")) for i in node.findall("item")}
            e = evals[bid[name]] / max(evals.values())
        else:
            ev = node.find("evaluator")
            if kind == "integer":
                e = float(ev.get("offset")) + float(ev.get("slope")) * (bid[name] - int(node.get("lowerbound")))
            else:
                e = float(ev.get("parameter0")) + float(ev.get("parameter1")) * bid[name]
            e = min(1.0, max(0.0, e))
        u += profile["weights"][name] * e
    return min(1.0, u)  # AdditiveUtilitySpace.getUtility caps at 1


def domain_axes(domain: Path) -> list[tuple[str, list]]:
    obj = ET.parse(domain).getroot().find("utility_space").find("objective")
    axes = []
    for node in obj.findall("issue"):
        if node.get("type") == "discrete":
            axes.append((node.get("name"), [i.get("value") for i in node.findall("item")]))
        else:
            axes.append((node.get("name"), list(range(int(node.get("lowerbound")), int(node.get("upperbound")) + 1))))
    return axes


def case_agreement(case, axes, bid: dict) -> dict:
    """Options are imported in the domain's order: map by position."""
    out = {}
    for (name, values), (iid, issue) in zip(axes, case.issues.items()):
        out[iid] = issue.options[values.index(bid[name])] if issue.options else bid[name]
    return out


def our_table(case) -> np.ndarray:
    from negotiate.case.resolve import resolve
    from negotiate.tie_sets import _table, outcome_axes

    resolved = resolve(case)
    U, _ = _table(resolved, outcome_axes(resolved))
    return U


def test_genius_utilities_match_a_direct_computation_on_every_bid():
    imported = negotiate.import_domain(HOLIDAY)
    case = imported.case
    axes = domain_axes(HOLIDAY / "holiday-domain.xml")
    bids = [dict(zip([a[0] for a in axes], combo)) for combo in itertools.product(*[a[1] for a in axes])]
    table = our_table(case)
    assert table.shape == (len(bids), 2)
    for k, party in enumerate(case.parties):
        profile = genius_profile(Path(imported.parties[party]))
        total = sum(profile["weights"].values())
        assert case.parties[party].reservation * total == pytest.approx(profile["reservation"], abs=1e-9)
        for i, bid in enumerate(bids):
            direct = genius_utility(profile, bid)
            assert table[i, k] * total == pytest.approx(direct, abs=1e-9)
            # and acceptance is the same decision in both
            assert (direct >= profile["reservation"]) == (table[i, k] >= case.parties[party].reservation - 1e-12)
    rng = random.Random(3)
    for bid in rng.sample(bids, 25):
        for party in case.parties:
            profile = genius_profile(Path(imported.parties[party]))
            total = sum(profile["weights"].values())
            ours = party_utility(case, party, case_agreement(case, axes, bid))
            assert ours * total == pytest.approx(genius_utility(profile, bid), abs=1e-9)


def test_genius_case_file_is_commented_and_valid(tmp_path):
    out = tmp_path / "holiday.yaml"
    result = CliRunner().invoke(app, ["import", str(HOLIDAY), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "Côte d'Azur" in text and "evaluation / 8" in text and "weights sum to 0.8" in text
    case = negotiate.load_case(out)
    assert case.issues["Destination"].options == ["Costa_Brava", "Lake_Garda", "Cote_d_Azur"]
    assert case.issues["Nights"].integer and case.issues["Nights"].range == (3.0, 14.0)
    assert "'2 stars'" in case.issues["Hotel_class"].description
    assert negotiate.solve(case, "nash").ok


def test_party_option_picks_profiles():
    case = negotiate.import_domain(HOLIDAY, ["holiday-teen"]).case
    assert list(case.parties) == ["holiday_teen"]
    with pytest.raises(CaseError, match="no profile called 'nobody'"):
        negotiate.import_domain(HOLIDAY, ["nobody"])


# -- Genius: what is refused, located ------------------------------------------------
def holiday_copy(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "dom"
    folder.mkdir()
    for f in HOLIDAY.iterdir():
        (folder / f.name).write_text(edit(f.name, f.read_text()))
    return folder


def test_discount_factor_refused_with_its_line_or_ignored_on_request(tmp_path):
    folder = holiday_copy(tmp_path, lambda name, t: t.replace('<discount_factor value="1.0"/>',
                                                               '<discount_factor value="0.9"/>'))
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    p = e.value.problems[0]
    assert "discount factor 0.9" in p.message and p.location.file.endswith("holiday-parent.xml")
    assert p.location.line == 23
    imported = negotiate.import_domain(folder, ignore_discount=True)
    assert "discount factor 0.9 ignored" in imported.yaml


def test_weights_above_one_with_capped_bids_refused(tmp_path):
    folder = holiday_copy(tmp_path, lambda name, t: t.replace('<weight index="2" value="0.1"/>',
                                                               '<weight index="2" value="0.5"/>'))
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    p = e.value.problems[0]
    assert "weights sum to 1.2" in p.message and "caps at 1" in p.message
    assert p.location.file.endswith("holiday-teen.xml") and p.location.line == 9


def test_nested_objectives_refused(tmp_path):
    folder = holiday_copy(tmp_path, lambda name, t: t.replace('    <weight index="1"', '    <objective index="9" '
                                                               'name="sub"></objective>\n    <weight index="1"', 1)
                          if name == "holiday-parent.xml" else t)
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    assert "nested objectives" in str(e.value) and e.value.problems[0].location.line == 9


def test_hyper_rectangle_utility_refused(tmp_path):
    ufun = ('<utility_function maxutility="1"><ufun type="PlainUfun" weight="1" aggregation="sum">'
            '<hyperRectangle utility_function="1"><INCLUDES index="1" min="1" max="2"/></hyperRectangle>'
            '</ufun></utility_function>\n')
    folder = holiday_copy(tmp_path, lambda name, t: t.replace('    <weight index="1"', ufun + '    <weight index="1"', 1)
                          if name == "holiday-teen.xml" else t)
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    p = e.value.problems[0]
    assert "hyper-rectangle" in p.message and p.location.file.endswith("holiday-teen.xml") and p.location.line == 9


def test_malformed_xml_is_located_and_exit_1(tmp_path):
    folder = holiday_copy(tmp_path, lambda name, t: t.replace("</issue>", "</isue>", 1)
                          if name == "holiday-parent.xml" else t)
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    assert "XML syntax error: mismatched tag" in str(e.value) and e.value.problems[0].location.line == 8
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_xml_bomb_refused_quickly(tmp_path):
    folder = tmp_path / "bomb"
    folder.mkdir()
    lol = "".join(f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10))
    (folder / "p.xml").write_text(f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]>'
                                  "<utility_space><objective>&lol9;</objective></utility_space>")
    with pytest.raises(CaseError, match="DTD or entity"):
        negotiate.import_domain(folder)


def test_real_issue_with_linear_evaluator_is_exact(tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    (folder / "d.xml").write_text(
        '<negotiation_template><utility_space><objective name="Price">'
        '<issue name="price" index="1" type="real" etype="real"><range lowerbound="10" upperbound="50"/></issue>'
        '<issue name="colour" index="2" type="discrete"><item index="1" value="red"/><item index="2" value="blue"/>'
        "</issue></objective></utility_space></negotiation_template>")
    (folder / "buyer.xml").write_text(
        '<utility_space><objective name="Price">'
        '<issue name="price" index="1" type="real" etype="real"><range lowerbound="10" upperbound="50"/>'
        '<evaluator ftype="linear" parameter0="1.5" parameter1="-0.04"/></issue><weight index="1" value="0.7"/>'
        '<issue name="colour" index="2" type="discrete"><item index="1" value="red" evaluation="2"/>'
        '<item index="2" value="blue" evaluation="4"/></issue><weight index="2" value="0.3"/>'
        '</objective><reservation value="0.2"/></utility_space>')
    case = negotiate.import_domain(folder).case
    assert case.issues["price"].range == (10.0, 50.0) and not case.issues["price"].integer
    profile = genius_profile(folder / "buyer.xml")
    rng = random.Random(7)
    for _ in range(50):
        bid = {"price": rng.uniform(10, 50), "colour": rng.choice(["red", "blue"])}
        ours = party_utility(case, "buyer", {"price": bid["price"], "colour": bid["colour"]})
        assert ours == pytest.approx(genius_utility(profile, bid), abs=1e-12)
    prop = negotiate.solve(case, "utilitarian")  # price 10 (1.1 -> clipped to 1), blue
    assert prop.parties["buyer"].utility == pytest.approx(1.0)


def test_triangular_evaluator_refused(tmp_path):
    folder = tmp_path / "tri"
    folder.mkdir()
    (folder / "buyer.xml").write_text(
        '<utility_space><objective name="P">\n<issue name="price" index="1" type="real">'
        '<range lowerbound="0" upperbound="1"/>\n<evaluator ftype="triangular" parameter0="0" parameter1="1" '
        'parameter2="0.5"/></issue><weight index="1" value="1"/></objective></utility_space>')
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    assert "triangular" in str(e.value) and e.value.problems[0].location.line == 3


def test_laptop_structure_from_the_negmas_docs(tmp_path):
    """The layout NegMAS's docs load (Laptop-C-domain.xml, Laptop-C-prof1.xml): items with
    `cost` and `description` attributes, weights after the issues."""
    folder = tmp_path / "Laptop"
    folder.mkdir()
    items = {"Laptop": ["Dell", "Macintosh", "HP"], "Harddisk": ["60 Gb", "80 Gb", "120 Gb"],
             "External Monitor": ["19'' LCD", "20'' LCD", "23'' LCD"]}
    def issue(k, name, evals=None):
        body = "".join(f'<item index="{j + 1}" value="{v}" cost="0" description="{v}"'
                       + (f' evaluation="{evals[j]}"' if evals else "") + "/>" for j, v in enumerate(items[name]))
        return f'<issue index="{k}" etype="discrete" type="discrete" vtype="discrete" name="{name}">{body}</issue>'
    (folder / "Laptop-C-domain.xml").write_text(
        '<negotiation_template><utility_space number_of_issues="3"><objective index="0" etype="objective" '
        'type="objective" description="" name="Laptop">'
        + "".join(issue(k + 1, n) for k, n in enumerate(items)) + "</objective></utility_space></negotiation_template>")
    evals = {"Laptop": [5, 3, 1], "Harddisk": [1, 2, 3], "External Monitor": [1, 3, 2]}
    weights = [0.5, 0.2, 0.3]
    (folder / "Laptop-C-prof1.xml").write_text(
        '<utility_space type="linear"><objective index="0" etype="objective" type="objective" name="Laptop">'
        + "".join(issue(k + 1, n, evals[n]) for k, n in enumerate(items))
        + "".join(f'<weight index="{k + 1}" value="{w}"/>' for k, w in enumerate(weights))
        + '</objective><reservation value="0.4"/><discount_factor value="1.0"/></utility_space>')
    case = negotiate.import_domain(folder).case
    assert list(case.issues) == ["Laptop", "Harddisk", "External_Monitor"]
    assert case.issues["External_Monitor"].options == ["v19_LCD", "v20_LCD", "v23_LCD"]
    u = party_utility(case, "Laptop_C_prof1", {"Laptop": "Dell", "Harddisk": "v80_Gb", "External_Monitor": "v23_LCD"})
    assert u == pytest.approx(0.5 * 1 + 0.2 * 2 / 3 + 0.3 * 2 / 3)


# -- GeniusWeb, computed directly -------------------------------------------------
def geniusweb_utility(profile: dict, bid: dict) -> Decimal:
    body = profile["LinearAdditiveUtilitySpace"]
    u = Decimal(0)
    for issue, w in body["issueWeights"].items():
        spec = body["issueUtilities"][issue]
        key = next(iter(spec))
        value = bid[issue]
        if "discrete" in key.lower():
            v = Decimal(str(spec[key]["valueUtilities"].get(value, 0)))
        else:
            s = {k: Decimal(str(x)) for k, x in spec[key].items()}
            x = Decimal(str(value))
            v = Decimal(0) if x < s["lowValue"] or x > s["highValue"] else \
                s["lowUtility"] + (s["highUtility"] - s["lowUtility"]) * (x - s["lowValue"]) / (s["highValue"] - s["lowValue"])
        u += Decimal(str(w)) * v
    return u


def jobs_bids() -> list[dict]:
    domain = json.loads((JOBS / "jobs.json").read_text())["issuesValues"]
    axes = []
    for name, spec in domain.items():
        if "values" in spec:
            axes.append((name, spec["values"]))
        else:
            r = spec["range"]
            axes.append((name, list(range(r["low"], r["high"] + 1, r["step"]))))
    return [dict(zip([a[0] for a in axes], combo)) for combo in itertools.product(*[a[1] for a in axes])]


def test_geniusweb_utilities_and_reservation_bid_match_a_direct_computation():
    imported = negotiate.import_domain(JOBS)
    case = imported.case
    bids = jobs_bids()
    table = our_table(case)
    assert table.shape[0] == len(bids)
    for k, party in enumerate(case.parties):
        profile = json.loads(Path(imported.parties[party]).read_text())
        for i, bid in enumerate(bids):
            assert table[i, k] == pytest.approx(float(geniusweb_utility(profile, bid)), abs=1e-12)
        res = profile["LinearAdditiveUtilitySpace"]["reservationBid"]
        expected = float(geniusweb_utility(profile, res["issuevalues"])) if res else 0.0
        assert case.parties[party].reservation == pytest.approx(expected, abs=1e-12)
    assert case.parties["employer"].reservation == pytest.approx(0.51)
    assert case.issues["salary"].options == ["v2000", "v2500", "v3000", "v3500", "v4000"]
    assert case.issues["days_at_home"].integer


def test_geniusweb_errors_are_located(tmp_path):
    folder = tmp_path / "gw"
    folder.mkdir()
    (folder / "d.json").write_text((JOBS / "jobs.json").read_text())
    (folder / "p.json").write_text('{"LinearAdditiveUtilitySpace": {\n  "issueWeights": {"lease car": 1,}\n}}')
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    assert "JSON syntax error" in str(e.value) and e.value.problems[0].location.line == 2
    (folder / "p.json").write_text('{"SumOfGroupsUtilitySpace": {"name": "x"}}')
    with pytest.raises(CaseError, match="SumOfGroupsUtilitySpace"):
        negotiate.import_domain(folder)
    (folder / "p.json").write_text('{"LinearAdditiveUtilitySpace": {\n "issueWeights": {"lease car": 1},\n'
                                   ' "issueUtilities": {"lease car": {"discreteutils": {"valueUtilities":\n'
                                   '   {"yes": 1, "maybe": 0.5}}}}}}')
    with pytest.raises(CaseError) as e:
        negotiate.import_domain(folder)
    assert "'maybe' is not in issue 'lease car'" in str(e.value) and e.value.problems[0].location.line == 4
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 1


def test_geniusweb_profiles_with_embedded_domain_only(tmp_path):
    folder = tmp_path / "gw"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"LinearAdditiveUtilitySpace": {
        "name": "a", "issueWeights": {"x": 1}, "issueUtilities": {"x": {"discreteutils": {"valueUtilities":
                                                                                            {"p": 1, "q": 0.25}}}},
        "domain": {"name": "tiny", "issuesValues": {"x": {"values": ["p", "q"]}}},
        "reservationBid": {"issuevalues": {"x": "q"}}}}))
    case = negotiate.import_domain(folder).case
    assert case.name == "tiny" and case.parties["a"].reservation == 0.25


def test_cli_writes_the_case_to_stdout_and_checks_its_options():
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(JOBS), "--party", "employer"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Imported by `negotiate import` from the GeniusWeb domain")
    assert "employer:" in result.stdout and "employee:" not in result.stdout
    assert runner.invoke(app, ["import", str(JOBS), "--format", "csv"]).exit_code == 2
    assert runner.invoke(app, ["import", str(JOBS / "missing")]).exit_code == 2
    assert runner.invoke(app, ["import", str(HOLIDAY), "--format", "geniusweb"]).exit_code == 1
