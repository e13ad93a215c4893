"""The HTML report: every row charted on one scale, sweeps as lines, the agreement in the table, fast.

Checked against the comparison's own rows: one utility panel per answered
row, the bar heights proportional to the utilities on a scale shared by every
panel, one point per swept value on every line, the agreed values in the
table; and against a clock: a 56-row report builds in under 2 s.
"""

import re
import time

import pytest

from conftest import ROOT
from negotiate import compare
from negotiate.report.svg import nice_ticks, spread_labels

BILATERAL = ROOT / "cases" / "bilateral_fta.yaml"
EU_RESERVATIONS = [0.40, 0.42, 0.44, 0.46, 0.48, 0.50, 0.52]


@pytest.fixture(scope="module")
def swept():
    """7 rows (4 concepts, 3 drafts) x 8 scenarios (the base case and 7 swept values): 56 rows."""
    return compare(BILATERAL, concepts="all", scenarios=[], sweeps={"parties.EU.reservation": EU_RESERVATIONS})


@pytest.fixture(scope="module")
def report(swept):
    t0 = time.process_time()  # CPU time: the machine may be shared (HiGHS runs in this process)
    html = swept.to_html()
    return html, time.process_time() - t0


def panels(html: str) -> list[str]:
    return re.findall(r"<svg [^>]*aria-label='utility by party: [^']*'.*?</svg>", html)


def test_56_rows_build_in_under_two_seconds(swept, report):
    """With the two-party Pareto frontier (its solves are most of the time)."""
    assert len(swept.rows) == 56
    assert report[1] < 2.0, f"{report[1]:.2f} s"


def test_every_row_is_charted_on_one_scale(swept, report):
    html, _ = report
    answered = [r for r in swept.rows if r.get("collective_benefit") is not None]
    found = panels(html)
    assert len(found) == len(answered) == 56
    axes = {tuple(re.findall(r"text-anchor='end' fill='#555'>([^<]*)<", p)) for p in found}
    assert len(axes) == 1  # the same y ticks in every panel


def test_bar_heights_are_the_utilities(swept, report):
    html, _ = report
    first = panels(html)[0]
    bars = re.findall(r"<rect x='[^']*' y='([^']*)' width='[^']*' height='([^']*)' fill='#(?:4e79a7|e15759)'>"
                      r"<title>(\w+): utility ([^<]*)</title>", first)
    row = swept.rows[0]
    assert [b[2] for b in bars] == list(swept.parties)
    per_unit = {float(h) / row[f"utility.{p}"] for _, h, p, _ in bars}
    assert max(per_unit) - min(per_unit) < 0.02 * max(per_unit)  # heights proportional to utility


def test_sweep_gets_lines_against_the_swept_value(swept, report):
    html, _ = report
    assert "How the deal moves with parties.EU.reservation" in html
    section = html.split("How the deal moves with")[1].split("<h2>")[0]
    for issue in swept.case.issues:
        assert f"The agreement: {issue}" in section
    lines = re.findall(r"<polyline points='([^']*)'", section)
    assert lines
    for points in lines:  # one vertex per swept value (a value a row does not answer leaves a gap)
        assert len(points.split()) <= len(EU_RESERVATIONS)
    assert any(len(points.split()) == len(EU_RESERVATIONS) for points in lines)


def test_table_shows_the_agreement_and_explains_its_colours(swept, report):
    html, _ = report
    table = html.split("<h2>Comparison</h2>")[1].split("<h2>")[0]
    assert "the agreement" in table and "rejected by a party" in table and "Pareto-dominated" in table
    for r in swept.rows[:7]:
        for issue in swept.case.issues:
            assert f">{r[issue]}<" in table


def test_pareto_chart_marks_coinciding_concepts_and_the_improved_package(swept, report):
    html, _ = report
    pareto = html.split("<h2>Pareto frontier</h2>")[1]
    base = [r for r in swept.rows if r["scenario"] == "base"]
    same = {}
    for r in base:
        same.setdefault((round(r["utility.EU"], 6), round(r["utility.MERCOSUR"], 6)), []).append(r["name"])
    shared = [names for names in same.values() if len(names) > 1]
    assert shared, "the base case has concepts that coincide"
    for names in shared:
        assert " = ".join(names) in pareto
    assert "improved package of option mediator_v1" in pareto


def test_self_contained(report):
    html, _ = report
    assert "<script" not in html and "https://" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count("<svg") == html.count("</svg>")


def test_nice_ticks_and_labels():
    assert nice_ticks(0, 1, 4) == [0, 0.25, 0.5, 0.75, 1]
    assert nice_ticks(30, 50, 4) == [30, 35, 40, 45, 50]
    spots = spread_labels([10, 10, 10, 100], 10, 0, 200)
    assert sorted(spots)[:3] == [10, 20, 30] and spots[3] == 100


def test_table_rows_span_the_whole_table(report):
    html, _ = report
    table = html.split("<h2>Comparison</h2>")[1].split("</table>")[0]
    head1, head2 = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[0])
    width = sum(int(re.search(r"colspan='(\d+)'", th).group(1)) if "colspan" in th else 1
                for th in re.findall(r"<th[^>]*>", head1))
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1]):
        cells = re.findall(r"<td[^>]*>", row)
        assert sum(int(re.search(r"colspan='(\d+)'", td).group(1)) if "colspan" in td else 1 for td in cells) == width
