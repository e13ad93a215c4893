"""Text output fits 80 and 120 columns on every shipped case without cutting a number.

For solve, sweep, compare and explain: every line fits the width, nothing is
ellipsised, and every number the JSON result carries for the agreement and
the parties is printed whole (checked against the result's own values,
formatted independently here).
"""

import io
import re

import pytest
from rich.console import Console

import negotiate
from conftest import CASES, ROOT
from negotiate.report.layout import Column, FitTable, short_ids
from negotiate.report.text import comparison_table, explanation, proposal, sweep_table
from negotiate.whatif import Negotiation

WIDTHS = (80, 120)


def render(renderable, width: int) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, soft_wrap=False).print(renderable)
    return buf.getvalue()


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert len(line.rstrip()) <= width, f"{len(line)} > {width}: {line!r}"
    assert "…" not in text and "..." not in text.replace("..", "")


def number(v: float, digits: int) -> str:
    text = f"{v:,.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@pytest.fixture(scope="module", params=CASES, ids=lambda p: p.stem)
def shipped(request):
    case = negotiate.load_case(request.param)
    prop = negotiate.solve(case)
    first = next(iter(case.parties))
    d = case.parties[first].reservation
    session = Negotiation(case)
    frame = session.sweep(f"parties.{first}.reservation", [d, round(d + 0.02, 6), round(d + 0.04, 6)])
    comparison = negotiate.compare(case, concepts=["nash", "egalitarian"], scenarios=list(case.scenarios)[:2])
    return case, prop, frame, comparison


@pytest.mark.parametrize("width", WIDTHS)
def test_solve_fits_and_shows_every_value(shipped, width):
    case, prop, _, _ = shipped
    text = render(proposal(prop, case), width)
    assert_fits(text, width)
    for p, o in prop.parties.items():
        assert re.search(rf"^{p}\s", text, re.M), p
        assert number(o.utility, 3) in text
    for iid, v in prop.agreement.items():
        for x in (v.values() if isinstance(v, dict) else [v]):
            assert (number(x, 2) if isinstance(x, float) else str(x)) in text, (iid, x)


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_fits_and_shows_the_agreement(shipped, width):
    case, _, frame, _ = shipped
    text = render(sweep_table(frame, f"{case.name}: sweep", case), width)
    assert_fits(text, width)
    per_party = [i for i, issue in case.issues.items() if issue.per_party]
    shared = [i for i, issue in case.issues.items() if not issue.per_party]
    for iid in shared:
        assert iid in text
        for v in frame[iid]:
            assert (number(v, 4) if isinstance(v, float) else str(v)) in text
    for iid in per_party:
        assert iid in text  # a pivot by party, or one line when every value is the same
    if len(case.parties) <= 6:
        assert "each party's gain" in " ".join(text.split())
        for p in case.parties:
            assert re.search(rf"\b{p}\b", text)
            for v in frame[f"gain.{p}"]:
                assert number(v, 4) in text


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_fits_and_shows_the_agreement(shipped, width):
    case, _, _, comparison = shipped
    text = render(comparison_table(comparison), width)
    assert_fits(text, width)
    table = comparison.table
    for iid, issue in case.issues.items():
        if not issue.per_party:
            for v in table[iid].dropna():
                assert (number(v, 4) if isinstance(v, float) else str(v)) in text
    for note in table["rejected_by"].dropna():  # notes are never cut
        assert note in " ".join(text.split())


@pytest.mark.parametrize("width", WIDTHS)
def test_explain_fits(shipped, width):
    case, prop, _, _ = shipped
    text = render(explanation(prop, case), width)
    assert_fits(text, width)
    for c in prop.constraints:
        assert c.id in text


def test_no_deal_explanation_fits_and_speaks_the_case():
    prop = negotiate.solve(ROOT / "tests" / "data" / "no_deal.yaml")
    text = render(explanation(prop, negotiate.load_case(ROOT / "tests" / "data" / "no_deal.yaml")), 80)
    assert_fits(text, 80)
    flat = " ".join(text.split())
    assert "lower seller's reservation from 0.7 to 0.4" in flat
    assert "or: lower buyer's reservation from 0.6 to 0.3" in flat


def test_fit_table_wraps_columns_then_falls_back_to_records():
    keys = [Column("party", ["A", "B"], "left")]
    values = [Column(f"value {k}", [f"{k}.123456", f"{k}.5"]) for k in range(12)]
    text = render(FitTable("t", keys, values), 40)
    assert_fits(text, 40)
    for k in range(12):
        assert f"{k}.123456" in text and f"value {k}" in text
    assert text.count("party") > 1  # the key column repeated in every block
    narrow = render(FitTable("t", keys, [Column("a very long header indeed", ["1234567890.123456"] * 2)]), 20)
    assert "1234567890.123456" in narrow.splitlines()  # the number whole, on its own line
    assert "a very long header indeed: 1234567890.123456" in " ".join(narrow.split())


def test_short_ids_are_unambiguous():
    ids = ["parameters.target", "parties.PL.reservation", "parties.DE.reservation"]
    short = short_ids(ids)
    assert short == {"parameters.target": "target", "parties.PL.reservation": "PL.reservation",
                     "parties.DE.reservation": "DE.reservation"}
