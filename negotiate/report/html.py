"""A comparison as one self-contained HTML file: inline CSS and SVG charts, no network.

Sections: the case, the comparison table, per-party utility and satisfaction
bars for each row, a concession chart (how far each party stays from its
ideal), and for two-party cases the Pareto frontier with every row marked.
"""

from __future__ import annotations

import html
import io
import math
import re

import numpy as np

MAX_BAR_ROWS = 12
MAX_HEAT_ROWS = 60

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; font-size: .85em; margin: .6em 0; }
th, td { padding: .25em .6em; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; position: sticky; top: 0; }
td.l, th.l { text-align: left; }
tr.rejected td { color: #a33; } tr.dominated td { color: #777; }
.note { color: #666; font-size: .85em; }
.wide { overflow-x: auto; }
svg { max-width: 100%; height: auto; }
"""


def comparison_html(comparison) -> str:
    case = comparison.case
    frame = comparison.table
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{_e(case.name)}: comparison</title><style>{CSS}</style></head><body>",
             f"<h1>{_e(case.name)}</h1>"]
    if case.description:
        parts.append(f"<p class='sub'>{_e(' '.join(case.description.split()))}</p>")
    parts.append(_case_summary(case))
    parts.append("<h2>Comparison</h2>")
    parts.append(f"<p class='note'>{len(frame)} rows; {comparison.executor}, {comparison.seconds:.2f} s"
                 + ("; <b>interrupted</b>: only finished rows" if comparison.interrupted else "") + "</p>")
    parts.append(_table(frame, comparison.parties))
    ok = frame[frame["collective_benefit"].notna()]
    if len(ok):
        parts.append("<h2>Utility and satisfaction per party</h2>")
        parts.append(_bars(ok, comparison.parties, case))
        parts.append("<h2>Concessions</h2><p class='note'>How far each party stays below its ideal "
                     "(ideal - utility): the concession each row asks of it.</p>")
        parts.append(_concessions(ok, comparison.parties))
    if len(comparison.parties) == 2 and len(ok):
        parts.append("<h2>Pareto frontier</h2>")
        parts.append(_frontier(comparison, ok))
    parts.append("<p class='note'>Made by negotiate. Utilities are recomputed from the agreed issue values; "
                 "satisfaction = gain / (ideal - reservation).</p></body></html>")
    return "\n".join(parts)


def _e(text) -> str:
    return html.escape(str(text))


def _case_summary(case) -> str:
    rows = "".join(
        f"<tr><td class='l'>{_e(p)}</td><td class='l'>{_e(party.name or '')}</td><td>{party.weight:g}</td>"
        f"<td>{party.reservation:g}</td><td>{len(party.criteria)}</td><td>{len(party.limits)}</td></tr>"
        for p, party in case.parties.items())
    issues = ", ".join(
        f"<b>{_e(i)}</b> ({'per party, ' if issue.per_party else ''}"
        + (f"options: {_e(', '.join(issue.options))}" if issue.options else
           f"range {_e(issue.range[0])}..{_e(issue.range[1])}{' ' + _e(issue.unit) if issue.unit else ''}") + ")"
        for i, issue in case.issues.items())
    return (f"<h2>The case</h2><p>Issues: {issues}</p><div class='wide'><table><tr><th class='l'>party</th>"
            f"<th class='l'>name</th><th>weight</th><th>reservation</th><th>criteria</th><th>red lines</th></tr>"
            f"{rows}</table></div>")


def _fmt(v, digits=4) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else ""
    if isinstance(v, (int, float, np.floating)):
        return f"{float(v):.{digits}g}"
    return _e(v)


def _table(frame, parties) -> str:
    few = len(parties) <= 8
    cols = ["scenario", "kind", "name", "status", "collective_benefit"]
    if few:
        cols += [f"utility.{p}" for p in parties] + [f"satisfaction.{p}" for p in parties]
    cols += ["min_satisfaction", "satisfaction_range", "satisfaction_gini", "rejected_by", "dominated_by",
             "improvement_total_gain", "improved_package", "error"]
    head = "".join(f"<th class='{'l' if c in ('scenario', 'kind', 'name', 'status', 'rejected_by', 'dominated_by', 'improved_package', 'error') else ''}'>"
                   f"{_e(c.replace('_', ' '))}</th>" for c in cols)
    body = []
    for _, r in frame.iterrows():
        cls = "rejected" if r["status"] == "rejected" else ("dominated" if isinstance(r["dominated_by"], str) else "")
        cells = []
        for c in cols:
            v = r[c]
            if c == "improved_package":
                v = ", ".join(f"{k}: {x}" for k, x in v.items()) if isinstance(v, dict) else None
            left = c in ("scenario", "kind", "name", "status", "rejected_by", "dominated_by", "improved_package", "error")
            cells.append(f"<td class='{'l' if left else ''}'>{_fmt(v)}</td>")
        body.append(f"<tr class='{cls}'>{''.join(cells)}</tr>")
    note = "" if few else f"<p class='note'>{len(parties)} parties: per-party values are in the charts and CSV.</p>"
    return f"<div class='wide'><table><tr>{head}</tr>{''.join(body)}</table></div>{note}"


def _label(r) -> str:
    name = r["name"] if r["kind"] == "concept" else f"option {r['name']}"
    return name if r["scenario"] == "base" else f"{r['scenario']}: {name}"


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    text = re.sub(r"^.*?(<svg)", r"\1", text, count=1, flags=re.S)  # drop the XML prologue and doctype
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)  # no dates: the same report each time


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig


def _bars(ok, parties, case) -> str:
    rows = ok.head(MAX_BAR_ROWS)
    n = len(rows)
    ncols = 3 if len(parties) <= 6 else (2 if len(parties) <= 12 else 1)
    nrows = math.ceil(n / ncols)
    panel_w = 3.6 if ncols > 1 else min(13, 1.5 + 0.4 * len(parties))
    fig = _figure(panel_w * ncols, 2.3 * nrows + 0.3)
    x = np.arange(len(parties))
    d = np.array([case.parties[p].reservation for p in parties])
    for k, (_, r) in enumerate(rows.iterrows()):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        u = np.array([float(r[f"utility.{p}"]) for p in parties])
        s = np.array([_nan(r[f"satisfaction.{p}"]) for p in parties])
        ax.bar(x - 0.2, u, 0.4, label="utility", color="#4c78a8")
        ax.bar(x + 0.2, s, 0.4, label="satisfaction", color="#f58518")
        ax.scatter(x - 0.2, d, marker="_", s=200, color="#222", label="reservation", zorder=3)
        ax.set_title(_label(r) + f"  ({r['status']})", fontsize=9, loc="left")
        ax.set_xticks(x, parties, fontsize=7, rotation=90 if len(parties) > 6 else 0)
        ax.tick_params(axis="y", labelsize=7)
        ax.axhline(0, color="#999", lw=0.5)
        if k == 0:
            ax.legend(fontsize=7, ncol=3, loc="upper right")
    fig.tight_layout()
    more = (f"<p class='note'>The first {MAX_BAR_ROWS} of {len(ok)} rows.</p>" if len(ok) > MAX_BAR_ROWS else "")
    return _svg(fig) + more


def _nan(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _concessions(ok, parties) -> str:
    rows = ok.head(MAX_HEAT_ROWS)
    ideal_gap = []
    for _, r in rows.iterrows():
        ideal_gap.append([_nan(r[f"ideal.{p}"]) - _nan(r[f"utility.{p}"]) for p in parties])
    z = np.array(ideal_gap, float)
    labels = [_label(r) for _, r in rows.iterrows()]
    if len(parties) <= 6:  # grouped bars: one group per row, one bar per party
        fig = _figure(9, 0.8 + 0.22 * len(rows) * len(parties) + 0.1 * len(rows))
        ax = fig.add_subplot(1, 1, 1)
        height = 0.8 / len(parties)
        y = np.arange(len(rows))
        for j, p in enumerate(parties):
            ax.barh(y + (j - (len(parties) - 1) / 2) * height, np.nan_to_num(z[:, j]), height, label=p)
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="#999", lw=0.6)
        ax.set_xlabel("ideal - utility (negative: above the ideal of acceptable agreements)", fontsize=8)
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    else:  # many parties: a heat map
        fig = _figure(max(8, min(14, 3 + 0.4 * len(parties))), 1.2 + 0.3 * len(rows))
        ax = fig.add_subplot(1, 1, 1)
        im = ax.imshow(z, aspect="auto", cmap="RdBu_r", vmin=-np.nanmax(np.abs(z)), vmax=np.nanmax(np.abs(z)))
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.set_xticks(range(len(parties)), parties, fontsize=8, rotation=90)
        fig.colorbar(im, ax=ax, label="ideal - utility")
    fig.tight_layout()
    more = (f"<p class='note'>The first {MAX_HEAT_ROWS} of {len(ok)} rows.</p>" if len(ok) > MAX_HEAT_ROWS else "")
    return _svg(fig) + more


def pareto_frontier(case, points: int = 41) -> list[tuple[float, float]]:
    """Two parties: the most B can get for each level of A (epsilon-constraint), base case."""
    from negotiate.whatif import Negotiation

    a, bp = list(case.parties)
    n = Negotiation(case)
    back, problem = n._backend, n.problem
    ua, ub = problem.utility_col[a], problem.utility_col[bp]
    back.set_objective({ua: 1.0})
    lo_r, hi_r = back.solve(), None
    back.set_objective({ub: 1.0})
    hi_r = back.solve()
    if not (lo_r.has_solution and hi_r.has_solution):
        return []
    a_max, a_min = lo_r.objective, float(hi_r.x[ua])
    out = []
    mark = back.mark()
    (row,) = back.add_rows([({ua: 1.0}, a_min, math.inf, "frontier")])
    for level in np.linspace(a_min, a_max, points):
        back.set_row_bounds(row, float(level), math.inf)
        back.set_objective({ub: 1.0, ua: 1e-6})
        r = back.solve()
        if r.has_solution:
            out.append((float(r.x[ua]), float(r.x[ub])))
    back.rollback(mark)
    return out


def _frontier(comparison, ok) -> str:
    a, b = comparison.parties
    front = pareto_frontier(comparison.case)
    fig = _figure(8.5, 5)
    ax = fig.add_subplot(1, 1, 1)
    if front:
        xs, ys = zip(*sorted(set(front)))
        discrete = comparison.case.issues and any(i.options or i.integer for i in comparison.case.issues.values())
        ax.plot(xs, ys, ":" if discrete else "-", color="#4c78a8", lw=1.2,
                label="Pareto frontier of acceptable agreements")
        ax.plot(xs, ys, ".", color="#4c78a8", ms=5)
    d = comparison.case.parties
    ax.axvline(d[a].reservation, color="#999", ls="--", lw=0.8)
    ax.axhline(d[b].reservation, color="#999", ls="--", lw=0.8)
    for _, r in ok[ok["scenario"] == "base"].iterrows():
        x, y = float(r[f"utility.{a}"]), float(r[f"utility.{b}"])
        marker = "s" if r["kind"] == "option" else "o"
        ax.plot([x], [y], marker, ms=7, label=_label(r))
    ax.set_xlabel(f"utility of {a}")
    ax.set_ylabel(f"utility of {b}")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_title("Base scenario; dashed: reservations", fontsize=9, loc="left")
    fig.tight_layout()
    return _svg(fig)
