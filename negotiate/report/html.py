"""A comparison as one self-contained HTML file: inline CSS and SVG, no scripts, no network.

Sections: the case; the comparison table (the agreement of every row, each
party's utility, who rejects and why, what dominates it, the improved
package), with a key to its colours; utility by party for every row (small
multiples on one shared scale, one group per scenario); for a sweep, line
charts of each party's utility and of the agreed values against the swept
quantity; the concessions each row asks (ideal - utility); and for two
parties, the Pareto frontier with every row marked (concepts that coincide
share a marker, an improved package is linked to its draft).

Charts are SVG written directly (negotiate.report.svg): a 56-row report
builds in well under a second.
"""

from __future__ import annotations

import math

from negotiate.report.svg import Canvas, Scale, colour, esc, nice_ticks, spread_labels

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1180px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
h3 { font-size: 1em; margin: 1.2em 0 .3em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: .8em; margin: .6em 0; }
th, td { padding: .25em .5em; border-bottom: 1px solid #eee; text-align: right; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; }
td { white-space: nowrap; }
td.l, th.l { text-align: left; }
td.note { white-space: normal; text-align: left; color: #444; padding: 0 .5em .4em 2em; font-size: .95em; }
tr.has-note td { border-bottom: 0; }
tr.scen td { background: #f9f9f9; border-top: 1px solid #ccc; padding-top: .5em; }
th.grp { text-align: center; border-bottom: 1px solid #ccc; }
tr.rejected td { background: #fdecea; } tr.rejected td.status { color: #b3261e; font-weight: 600; }
tr.dominated td { color: #777; }
tr.error td { background: #fff4e0; }
tr td.note.improvable { color: #1a7f37; font-weight: 600; }
.key { font-size: .8em; color: #444; margin: .4em 0; }
.key span.sw { display: inline-block; width: 1.1em; height: .9em; vertical-align: -.1em; margin: 0 .3em 0 1em;
               border: 1px solid #ccc; }
.note { color: #666; font-size: .85em; }
.wide { overflow-x: auto; }
table.facets td { padding: 0 .3em; border: 0; } table.facets td.facet { font-size: .9em; vertical-align: middle; }
.panels { display: flex; flex-wrap: wrap; gap: 6px 14px; }
.panel { break-inside: avoid; }
svg { max-width: 100%; height: auto; }
@media print {
  body { max-width: none; margin: 0; font-size: 9pt; }
  .wide { overflow: visible; }
  table { font-size: 7pt; } th, td { padding: .15em .3em; }
  h2 { break-after: avoid; }
  .panel, svg { break-inside: avoid; }
}
"""

OK_STATUSES = ("optimal", "feasible", "acceptable", "rejected")
PER_PARTY_TABLE_MAX = 8  # parties; beyond this the table leaves per-party columns to the charts and CSV


def comparison_html(comparison) -> str:
    case = comparison.case
    frame = comparison.table
    rows = [dict(r) for _, r in frame.iterrows()]
    answered = [r for r in rows if _num(r.get("collective_benefit")) is not None]
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{esc(case.name)}: comparison</title><style>{CSS}</style></head><body>",
             f"<h1>{esc(case.name)}</h1>"]
    if case.description:
        parts.append(f"<p class='sub'>{esc(' '.join(case.description.split()))}</p>")
    parts.append(_case_summary(case))
    parts.append("<h2>Comparison</h2>")
    parts.append(f"<p class='note'>{len(rows)} rows, {len(set(r['scenario'] for r in rows))} scenario(s); "
                 f"{esc(comparison.executor)}, {comparison.seconds:.2f} s"
                 + ("; <b>interrupted</b>: only finished rows" if comparison.interrupted else "") + "</p>")
    parts.append(_table(comparison, rows))
    if answered:
        if getattr(comparison, "sweeps", None):  # (a Comparison from before sweeps were recorded has none)
            parts.append(_sweep_section(comparison, answered))
        parts.append("<h2>Utility and satisfaction per party, every row</h2>")
        parts.append(_utility_panels(comparison, answered))
        if len(comparison.parties) > PER_PARTY_TABLE_MAX and any(
                i.per_party and not i.options for i in case.issues.values()):
            parts.append("<h2>The agreement by party, every row</h2>")
            parts.append(_agreement_maps(comparison, answered))
        parts.append("<h2>Concessions</h2>")
        parts.append(_concessions(comparison, answered))
    if len(comparison.parties) == 2 and answered:
        parts.append("<h2>Pareto frontier</h2>")
        parts.append(_frontier(comparison, answered))
    parts.append("<p class='note'>Made by negotiate. Utilities are recomputed from the agreed issue values; "
                 "gain = utility - reservation; satisfaction = gain / (ideal - reservation), where the ideal is "
                 "the most the party can get in any acceptable agreement of its scenario.</p></body></html>")
    return "\n".join(parts)


# -- helpers --------------------------------------------------------------------------
def _num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _fmt(v, digits: int = 4) -> str:
    x = _num(v) if not isinstance(v, (str, bool)) else None
    if x is not None:
        return "0" if abs(x) < 1e-9 else f"{x:.{digits}g}"
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    return esc(v)


def _label(r, with_scenario: bool = True) -> str:
    name = r["name"] if r["kind"] == "concept" else f"option {r['name']}"
    return name if (r["scenario"] == "base" or not with_scenario) else f"{r['scenario']}: {name}"


def _issue_label(case, iid: str) -> str:
    unit = case.issues[iid].unit
    return f"{iid} ({unit})" if unit else iid


# -- the case -----------------------------------------------------------------------------
def _case_summary(case) -> str:
    rows = [
        f"<tr><td class='l'>{esc(p)}</td><td class='l'>{esc(party.name or '')}</td><td>{party.weight:g}</td>"
        f"<td>{party.reservation:.4g}</td><td>{len(party.criteria)}</td><td>{len(party.limits)}</td></tr>"
        for p, party in case.parties.items()]
    issues = ", ".join(
        f"<b>{esc(i)}</b> ({'per party, ' if issue.per_party else ''}"
        + (f"options: {esc(', '.join(issue.options))}" if issue.options else
           f"range {esc(issue.range[0])}..{esc(issue.range[1])}{' ' + esc(issue.unit) if issue.unit else ''}") + ")"
        for i, issue in case.issues.items())
    head = ("<tr><th class='l'>party</th><th class='l'>name</th><th>weight</th><th>reservation</th>"
            "<th>criteria</th><th>red lines</th></tr>")
    chunks = [rows[k:k + 10] for k in range(0, len(rows), 10)] if len(rows) > 12 else [rows]
    tables = "".join(f"<table>{head}{''.join(chunk)}</table>" for chunk in chunks)
    return (f"<h2>The case</h2><p>Issues: {issues}</p>"
            f"<div class='wide' style='display:flex;flex-wrap:wrap;gap:0 2em'>{tables}</div>")


# -- the table ------------------------------------------------------------------------------
def _table(comparison, rows: list[dict]) -> str:
    case, parties = comparison.case, comparison.parties
    few = len(parties) <= PER_PARTY_TABLE_MAX
    shared = [i for i, issue in case.issues.items() if not issue.per_party]
    per_party = [i for i, issue in case.issues.items() if issue.per_party]
    shown_pp = per_party if few else []
    agreement_cols = [(i, None) for i in shared] + [(i, p) for i in shown_pp for p in parties]
    many = len({r["scenario"] for r in rows}) > 6  # a scenario column instead of a heading per scenario
    head1 = (["<th class='l' rowspan='2'>scenario</th>"] if many else []) + ["<th class='l' rowspan='2'>concept / option</th>",
             "<th class='l' rowspan='2'>status</th>", "<th rowspan='2'>collective benefit</th>"]
    head2 = []
    if agreement_cols:
        head1.append(f"<th class='grp' colspan='{len(agreement_cols)}'>the agreement</th>")
        head2 += [f"<th>{_breakable(_issue_label(case, i))}</th>" for i in shared]
        head2 += [f"<th>{_breakable(i)} {esc(p)}</th>" for i in shown_pp for p in parties]
    ranged = per_party if not few else []  # many parties: each per-party issue's range over the parties
    if ranged and not agreement_cols:
        head1.append(f"<th class='grp' colspan='{len(ranged)}'>the agreement: lowest - highest over the parties</th>")
        head2 += [f"<th>{esc(_issue_label(case, i))}</th>" for i in ranged]
    if few:
        head1.append(f"<th class='grp' colspan='{len(parties)}'>utility</th>")
        head2 += [f"<th>{esc(p)}</th>" for p in parties]
    head1 += ["<th rowspan='2'>smallest satisfaction</th>", "<th rowspan='2'>satisfaction gini</th>"]
    if ranged and agreement_cols:
        head1.append(f"<th class='grp' colspan='{len(ranged)}'>lowest - highest over the parties</th>")
        head2 += [f"<th>{esc(_issue_label(case, i))}</th>" for i in ranged]
    width = 5 + many + len(agreement_cols) + len(ranged) + (len(parties) if few else 0)
    body = []
    last = None
    for r in rows:
        if r["scenario"] != last and not many:
            last = r["scenario"]
            body.append(f"<tr class='scen'><td class='l' colspan='{width}'>scenario <b>{esc(last)}</b>"
                        f"{_changes_text(comparison, last)}</td></tr>")
        status = str(r["status"])
        cls = ("rejected" if status == "rejected" else "error" if status in ("error", "invalid", "infeasible")
               else "dominated" if isinstance(r.get("dominated_by"), str) else "")
        cells = ([f"<td class='l'>{esc(r['scenario'])}</td>"] if many else []) + [
                 f"<td class='l'>{esc(_label(r, False))}</td>", f"<td class='l status'>{esc(status)}</td>",
                 f"<td>{_fmt(r.get('collective_benefit'))}</td>"]
        for iid, p in agreement_cols:
            col = iid if p is None else f"{iid}.{p}"
            col = col if col in r else "issue." + col
            cells.append(f"<td>{_fmt(r.get(col))}</td>")
        for iid in ranged:
            vals = [v for p in parties for v in (_num(r.get(_agreement_col(r, iid, p))),) if v is not None]
            cells.append(f"<td>{_fmt(min(vals))} - {_fmt(max(vals))}</td>" if vals else "<td></td>")
        if few:
            cells += [f"<td>{_fmt(r.get(f'utility.{p}'), 3)}</td>" for p in parties]
        cells += [f"<td>{_fmt(r.get('min_satisfaction'), 3)}</td>", f"<td>{_fmt(r.get('satisfaction_gini'), 3)}</td>"]
        notes = _row_notes(r)
        body.append(f"<tr class='{cls}{' has-note' if notes else ''}'>{''.join(cells)}</tr>")
        if notes:
            improvable = " improvable" if r.get("pareto_dominated") is True else ""
            body.append(f"<tr class='{cls} note-row'><td class='note{improvable}' colspan='{width}'>{notes}</td></tr>")
    key = ("<p class='key'>Rows:<span class='sw' style='background:#fdecea'></span>rejected by a party (below "
           "its reservation or across one of its red lines)<span class='sw' style='background:#fff;color:#777'>"
           "</span><span style='color:#777'>grey text</span>: Pareto-dominated by another row of its scenario"
           "<span class='sw' style='background:#fff4e0'></span>no answer (no agreement, or an error)"
           "<span class='sw' style='background:#fff;border-color:#1a7f37'></span><span style='color:#1a7f37'>"
           "green note</span>: a drafted package that can be improved for every party</p>")
    note = ""
    if not few:
        note = (f"<p class='note'>{len(parties)} parties: each party's utility and its own agreed values are in "
                "the charts below and in the CSV/JSON (columns <code>utility.PARTY</code>, "
                + ", ".join(f"<code>{esc(i)}.PARTY</code>" for i in per_party) + ").</p>")
    return (key + f"<div class='wide'><table><thead><tr>{''.join(head1)}</tr><tr>{''.join(head2)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>" + note)


def _changes_text(comparison, name: str) -> str:
    changes = (getattr(comparison, "scenarios", None) or {}).get(name)
    if not changes or all(f"{k}=" in name for k in changes):  # a sweep's scenario names its changes
        return ""
    return ": " + esc(", ".join(f"{k} = {v}" for k, v in changes.items()))


def _breakable(text: str) -> str:
    """A header that may break after its underscores (beef_quota), so narrow pages wrap it."""
    return esc(text).replace("_", "_<wbr>")


def _row_notes(r: dict) -> str:
    notes = []
    if isinstance(r.get("rejected_by"), str):
        notes.append("rejected by " + esc(r["rejected_by"]))
    if isinstance(r.get("dominated_by"), str):
        notes.append("dominated by " + esc(r["dominated_by"]))
    if r.get("pareto_dominated") is True:
        pkg = r.get("improved_package") or {}
        notes.append(f"improvable: +{_fmt(r.get('improvement_total_gain'), 3)} total gain with "
                     + esc(", ".join(f"{k} = {v if not isinstance(v, dict) else '(per party)'}"
                                     for k, v in pkg.items())))
    if isinstance(r.get("notes"), str):
        notes.append(esc(r["notes"]))
    if isinstance(r.get("error"), str):
        notes.append(esc(r["error"]))
    return "; ".join(notes)


# -- small multiples: utility by party for every row -------------------------------------------
def _utility_panels(comparison, rows: list[dict]) -> str:
    case, parties = comparison.case, comparison.parties
    res = {p: case.parties[p].reservation for p in parties}
    values = [v for r in rows for p in parties for v in (_num(r.get(f"utility.{p}")),) if v is not None]
    lo = min([0.0] + values + list(res.values()))
    hi = max([1.0] + values + list(res.values()))
    ticks = nice_ticks(lo, hi, 4)
    lo, hi = ticks[0], ticks[-1]
    n = len(parties)
    band = 18 if n <= 8 else 11
    width = max(230, 44 + band * n + 10)
    height = 150 + (24 if n > 6 else 0)
    with_sat = (lo, hi) == (0.0, 1.0)  # satisfaction (0 to 1) shares the axis only then
    key = ("<p class='key'>Bars: each party's utility<span class='sw' style='background:#4e79a7'></span>accepts"
           "<span class='sw' style='background:#e15759'></span>rejects;<span class='sw' style='background:#222;"
           "height:2px;border:0'></span>its reservation"
           + ("; <span style='color:#f28e2b'>&#9679;</span> its satisfaction (gain / (ideal - reservation), "
              "on the same 0 to 1 axis)" if with_sat else "")
           + f". One scale for every panel: {lo:g} to {hi:g}.</p>")
    out = [key]
    groups = _by_scenario(rows)
    per_line = max(len(g) for _, g in groups)
    if len(groups) <= 3 or per_line * (width + 8) + 160 > 1150:  # a heading and a row of panels per scenario
        for scenario, group in groups:
            out.append(f"<h3>scenario {esc(scenario)}</h3><div class='panels'>")
            for r in group:
                out.append(f"<div class='panel'>"
                           f"{_bar_panel(r, parties, res, lo, hi, ticks, width, height, band, with_sat)}</div>")
            out.append("</div>")
        return "".join(out)
    # many scenarios (a sweep): a grid, one line per scenario, one column per concept or option
    names = list(dict.fromkeys(_label(r, False) for r in rows))
    head = "".join(f"<th class='l'>{esc(n)}</th>" for n in names)
    lines = []
    for k, (scenario, group) in enumerate(groups):
        by_name = {_label(r, False): r for r in group}
        last = k == len(groups) - 1
        cells = "".join(
            f"<td>{_bar_panel(by_name[n], parties, res, lo, hi, ticks, width, 96 + (height - 150 if last else 0) + (24 if last else 0), band, with_sat, title=False, x_labels=last)}</td>"
            if n in by_name else "<td></td>" for n in names)
        lines.append(f"<tr><td class='l facet'>{esc(scenario)}</td>{cells}</tr>")
    out.append(f"<div class='wide'><table class='facets'><tr><th class='l'>scenario</th>{head}</tr>"
               f"{''.join(lines)}</table></div>")
    return "".join(out)


def _by_scenario(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: dict = {}
    for r in rows:
        groups.setdefault(r["scenario"], []).append(r)
    return list(groups.items())


def _bar_panel(r, parties, res, lo, hi, ticks, width, height, band, with_sat: bool, title: bool = True,
               x_labels: bool = True) -> str:
    n = len(parties)
    left, top = 38, 22 if title else 8
    bottom = (24 if n <= 6 else 44) if x_labels else 8
    c = Canvas(width, height, f"utility by party: {_label(r)}")
    y = Scale(lo, hi, height - bottom, top)
    if title:
        c.text(4, 13, _label(r, False) + f"  ({r['status']})", 11, weight="bold")
    c.y_axis(y, left, width - 6, ticks)
    x0 = left + 6
    step = (width - 6 - x0) / n
    rejected = str(r.get("rejected_by") or "")
    sat = Scale(0, 1, height - bottom, top)
    for k, p in enumerate(parties):
        u = _num(r.get(f"utility.{p}"))
        cx = x0 + step * (k + 0.5)
        w = min(band * 0.8, step * 0.8)
        if u is not None:
            base = y(max(lo, 0.0))
            colour_ = "#e15759" if (p + " (") in rejected else "#4e79a7"
            c.rect(cx - w / 2, min(y(u), base), w, abs(base - y(u)), colour_, title=f"{p}: utility {u:.4g}")
        c.line(cx - w / 2 - 1.5, y(res[p]), cx + w / 2 + 1.5, y(res[p]), "#222", 2)
        s = _num(r.get(f"satisfaction.{p}")) if with_sat else None
        if s is not None:
            c.circle(cx, sat(max(0.0, min(1.0, s))), 2.6, "#f28e2b", "#fff", f"{p}: satisfaction {s:.3g}", 0.8)
        if not x_labels:
            continue
        if n <= 6:
            c.text(cx, height - bottom + 14, p, 10, "middle", "#333")
        else:
            c.text(cx + 3, height - bottom + 6, p, 9, "end", "#333", rotate=-60)
    return c.svg()


# -- sweeps: lines against the swept quantity -------------------------------------------------
def _sweep_section(comparison, rows: list[dict]) -> str:
    case, parties = comparison.case, comparison.parties
    paths = list(comparison.sweeps)
    path = paths[0]
    others = paths[1:]
    swept = {n: ch for n, ch in (getattr(comparison, "scenarios", None) or {}).items()
             if path in ch and all(o in ch for o in others)}
    pts = [r for r in rows if r["scenario"] in swept]
    if not pts:
        return ""
    facets: dict = {}
    for r in pts:
        ch = swept[r["scenario"]]
        facet = ", ".join(f"{o} = {ch[o]:g}" if isinstance(ch[o], (int, float)) else f"{o} = {ch[o]}" for o in others)
        facets.setdefault(facet, []).append(r)
    names = list(dict.fromkeys(_label(r, False) for r in pts))
    xs_all = sorted({float(swept[r["scenario"]][path]) for r in pts})
    out = [f"<h2>How the deal moves with {esc(path)}</h2>",
           f"<p class='note'>{len(xs_all)} values of <code>{esc(path)}</code>"
           + (f", one group of panels for each value of {esc(', '.join(others))}" if others else "")
           + ". Every panel of a chart shares its scales.</p>"]
    # each party's utility, one panel per concept or option (and facet)
    u_vals = [_num(r.get(f"utility.{p}")) for r in pts for p in parties]
    u_ticks = nice_ticks(min([v for v in u_vals if v is not None] + [1.0]),
                         max([v for v in u_vals if v is not None] + [0.0]), 4)
    out.append("<h3>Each party's utility</h3>" + _series_key(parties) + "<div class='panels'>")
    for facet, group in facets.items():
        out.append(_facet_break(facet))
        for name in names:
            sel = [r for r in group if _label(r, False) == name]
            series = [(p, [(float(swept[r["scenario"]][path]), _num(r.get(f"utility.{p}"))) for r in sel], colour(k))
                      for k, p in enumerate(parties)]
            out.append(f"<div class='panel'>{_line_panel(name, series, path, 'utility', u_ticks, xs_all)}</div>")
    out.append("</div>")
    # the agreed values
    for iid, issue in case.issues.items():
        label = _issue_label(case, iid)
        out.append(f"<h3>The agreement: {esc(label)}</h3>")
        cats = list(issue.options) if issue.options else None

        def value(r, p=None):
            col = _agreement_col(r, iid, p)
            v = r.get(col)
            if cats is not None:
                return float(cats.index(v)) if v in cats else None
            return _num(v)

        if issue.per_party:
            vals = [value(r, p) for r in pts for p in parties]
            known = {v for v in vals if v is not None}
            if len(known) == 1:
                only = known.pop()
                out.append(f"<p class='note'>{esc(cats[int(only)] if cats else f'{only:.4g}')} for every party "
                           "at every value.</p>")
                continue
            ticks = _value_ticks(vals, cats)
            out.append(_series_key(parties) + "<div class='panels'>")
            for facet, group in facets.items():
                out.append(_facet_break(facet))
                for name in names:
                    sel = [r for r in group if _label(r, False) == name]
                    series = [(p, [(float(swept[r["scenario"]][path]), value(r, p)) for r in sel], colour(k))
                              for k, p in enumerate(parties)]
                    out.append(f"<div class='panel'>{_line_panel(name, series, path, iid, ticks, xs_all, cats)}"
                               "</div>")
        else:
            vals = [value(r) for r in pts]
            ticks = _value_ticks(vals, cats)
            out.append(_series_key(names) + "<div class='panels'>")
            for facet, group in facets.items():
                series = [(name, [(float(swept[r["scenario"]][path]), value(r)) for r in group
                                  if _label(r, False) == name], colour(k)) for k, name in enumerate(names)]
                out.append(f"<div class='panel'>{_line_panel(facet or iid, series, path, iid, ticks, xs_all, cats, wide=True)}"
                           "</div>")
        out.append("</div>")
    return "".join(out)


def _facet_break(facet: str) -> str:
    """In a grid sweep, each value of the other swept paths starts a new line of panels, named."""
    if not facet:
        return ""
    return f"</div><p class='key'><b>{esc(facet)}</b></p><div class='panels'>"


def _agreement_col(r: dict, iid: str, party: str | None) -> str:
    col = iid if party is None else f"{iid}.{party}"
    return col if col in r else "issue." + col


def _value_ticks(vals, cats) -> list[float]:
    if cats is not None:
        return [float(k) for k in range(len(cats))]
    vals = [v for v in vals if v is not None]
    if not vals:
        return [0.0, 1.0]
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    return nice_ticks(lo, hi, 4)


def _series_key(names) -> str:
    if len(names) > 12:
        return ("<p class='key'>One line per party, labelled at its right end (hover a line's end for "
                "its values).</p>")
    return "<p class='key'>" + "".join(
        f"<span class='sw' style='background:{colour(k)};height:3px;border:0;vertical-align:.2em'></span>{esc(n)}"
        for k, n in enumerate(names)) + "</p>"


def _line_panel(title, series, xlabel, ylabel, ticks, xs_all, cats=None, wide: bool = False) -> str:
    labelled = len(series) > 12 or len(series) == 1
    left = 46 if cats is None else 12 + 6.5 * max(len(c) for c in cats)
    width = 540 if (len(series) > 12 or wide) else 330
    height = max(210, 64 + 10 * len(series)) if labelled else 210
    right = 40 if labelled else 12
    top, bottom = 22, 40
    c = Canvas(width, height, f"{title}: {ylabel} against {xlabel}")
    c.text(4, 13, title, 11, weight="bold")
    x = Scale(xs_all[0], xs_all[-1], left + 4, width - right - 4)
    y = Scale(ticks[0], ticks[-1], height - bottom, top)
    if cats is None:
        c.y_axis(y, left, width - right, ticks)
    else:
        for t in ticks:
            c.line(left, y(t), width - right, y(t), "#e6e6e6")
            c.text(left - 4, y(t) + 3.5, cats[int(t)], 10, "end", "#555")
    c.x_axis(x, height - bottom, nice_ticks(xs_all[0], xs_all[-1], 4) if len(xs_all) > 1 else xs_all,
             xlabel)
    ends = []
    for k, (name, pts, col) in enumerate(series):
        pts = sorted((a, b) for a, b in pts if b is not None)
        # options: lines that choose the same option are drawn side by side, a few pixels apart
        nudge = (k - (len(series) - 1) / 2) * min(2.5, 18 / max(1, len(series))) if cats is not None else 0.0
        xy = [(x(a), y(b) + nudge) for a, b in pts if xs_all[0] - 1e-9 <= a <= xs_all[-1] + 1e-9]
        c.polyline(xy, col, 1.6)
        for px, py in xy if len(xy) <= 25 else []:
            c.circle(px, py, 2.2, col)
        if xy:
            ends.append((name, xy[-1], col, pts[-1][1]))
    if labelled and ends:
        spots = spread_labels([e[1][1] for e in ends], 9.5, top, height - bottom)
        for (name, (px, py), col, v), sy in zip(ends, spots):
            c.line(px, py, px + 6, sy, col, 0.8)
            c.text(px + 8, sy + 3, name, 9, fill=col)
    return c.svg()


# -- concessions: how far each row leaves each party below its ideal ------------------------------
def _concessions(comparison, rows: list[dict]) -> str:
    parties = comparison.parties
    gaps = []
    for r in rows:
        line = []
        for p in parties:
            i, u = _num(r.get(f"ideal.{p}")), _num(r.get(f"utility.{p}"))
            line.append(i - u if i is not None and u is not None else None)
        gaps.append(line)
    flat = [g for line in gaps for g in line if g is not None]
    if not flat:
        return "<p class='note'>No ideals in these rows: the concessions need each party's ideal.</p>"
    low = min(min(flat), 0.0)
    svg = _heatmap([_label(r) for r in rows], parties, gaps, low, max(max(flat), 1e-9), "ideal - utility",
                   "ideal - utility = {:.4g}")
    return ("<p class='note'>How far each row leaves each party below its ideal (the most it can get in any "
            "acceptable agreement of its scenario): the concession the row asks of it. White: at its ideal; "
            "dark orange: far below it" + ("; blue: above the ideal of acceptable agreements (only a rejected "
                                            "draft can do that)" if low < 0 else "")
            + ". Hover a cell for its value.</p>" + f"<div class='wide'>{svg}</div>")


def _agreement_maps(comparison, rows: list[dict]) -> str:
    """Per-party issues with many parties: each row's agreed value for each party, as a heat map."""
    case, parties = comparison.case, comparison.parties
    out = []
    for iid, issue in case.issues.items():
        if not issue.per_party or issue.options:
            continue
        grid = [[_num(r.get(_agreement_col(r, iid, p))) for p in parties] for r in rows]
        flat = [v for line in grid for v in line if v is not None]
        if not flat:
            continue
        lo, hi = min(flat), max(flat)
        if hi - lo < 1e-12:
            out.append(f"<p class='note'><b>{esc(_issue_label(case, iid))}</b>: {lo:.4g} for every party in "
                       "every row.</p>")
            continue
        shifted = [[None if v is None else v - lo for v in line] for line in grid]
        svg = _heatmap([_label(r) for r in rows], parties, shifted, 0.0, hi - lo, _issue_label(case, iid),
                       "{:.4g}", offset=lo)
        out.append(f"<h3>{esc(_issue_label(case, iid))}</h3><p class='note'>Light: {lo:.4g}; dark: {hi:.4g}. "
                   f"Hover a cell for its value.</p><div class='wide'>{svg}</div>")
    return "".join(out)


def _heatmap(labels, parties, grid, low, top, what: str, tip_format: str, offset: float = 0.0) -> str:
    label_w = min(300, 12 + 6.2 * max(len(s) for s in labels))
    cell_w = max(16, min(44, 700 / len(parties)))
    cell_h = 16
    head = 40 if len(parties) <= 6 else 56
    width = max(label_w + cell_w * len(parties) + 20, label_w + 320)
    height = head + cell_h * len(labels) + 56
    c = Canvas(width, height, f"{what}, by row and party")
    for k, p in enumerate(parties):
        cx = label_w + cell_w * (k + 0.5)
        c.text(cx + 3, head - 6, p, 10, "start" if len(parties) > 6 else "middle", "#333",
               rotate=-60 if len(parties) > 6 else None)
    for j, (label, line) in enumerate(zip(labels, grid)):
        yy = head + cell_h * j
        c.text(label_w - 6, yy + cell_h - 4, label, 10, "end", "#333")
        for k, g in enumerate(line):
            fill = "#f2f2f2" if g is None else _heat(g, low, top)
            tip = f"{label} · {parties[k]}: " + ("-" if g is None else tip_format.format(g + offset))
            c.rect(label_w + cell_w * k, yy, cell_w - 1, cell_h - 1, fill, title=tip)
    ly = head + cell_h * len(labels) + 16
    steps = 40
    for s_ in range(steps):
        v = low + (top - low) * s_ / (steps - 1)
        c.rect(label_w + s_ * 5, ly, 5, 10, _heat(v, low, top))
    c.text(label_w, ly + 24, f"{low + offset:.3g}", 10, "middle")
    c.text(label_w + steps * 5, ly + 24, f"{top + offset:.3g}", 10, "middle")
    c.text(label_w + steps * 5 + 16, ly + 9, what, 10)
    return c.svg()


def _heat(v: float, low: float, top: float) -> str:
    if v < 0:
        t = min(1.0, v / low) if low < 0 else 0.0
        return _mix((255, 255, 255), (33, 102, 172), t)
    t = min(1.0, v / top) if top > 0 else 0.0
    return _mix((255, 255, 255), (179, 88, 6), t ** 0.8)


def _mix(a, b, t: float) -> str:
    return "#%02x%02x%02x" % tuple(round(x + (y - x) * t) for x, y in zip(a, b))


# -- the Pareto frontier (two parties) ---------------------------------------------------------------
def pareto_frontier(case, points: int = 25, session=None) -> list[tuple[float, float]]:
    """Two parties: the most B can get for each level of A (epsilon-constraint), base case."""
    from negotiate.whatif import Negotiation

    a, bp = list(case.parties)
    n = session or Negotiation(case)
    back, problem = n._backend, n.problem
    ua, ub = problem.utility_col[a], problem.utility_col[bp]
    back.set_objective({ua: 1.0})
    lo_r = back.solve()
    back.set_objective({ub: 1.0})
    hi_r = back.solve()
    if not (lo_r.has_solution and hi_r.has_solution):
        return []
    a_max, a_min = lo_r.objective, float(hi_r.x[ua])
    out = []
    mark = back.mark()
    (row,) = back.add_rows([({ua: 1.0}, a_min, math.inf, "frontier")])
    back.set_objective({ub: 1.0, ua: 1e-6})
    span = a_max - a_min
    step = span / max(1, points - 1)
    level = a_min
    while level <= a_max + 1e-9 * max(1.0, abs(a_max)):
        back.set_row_bounds(row, float(level), math.inf)
        r = back.solve()
        if not r.has_solution:
            break
        out.append((float(r.x[ua]), float(r.x[ub])))
        # the next level: one step on, past the point just found (a discrete frontier jumps)
        level = max(level + step, out[-1][0] + 1e-6 * max(1.0, span)) if problem.is_mip else level + step
    back.rollback(mark)
    return out


def _improved_utilities(session, package: dict) -> tuple[float, float] | None:
    from negotiate.analysis.options import values_of as _values_of
    from negotiate.proposal import utilities

    try:
        utils, _ = utilities(session.problem, _values_of(session.problem, package))
    except (KeyError, ValueError, TypeError):
        return None
    a, b = list(session.case.parties)
    return utils[a], utils[b]


def _label_spot(px, py, labels, markers) -> tuple[float, float]:
    """Where a marker's number goes: the first spot around it clear of other markers and labels."""
    for r in (1, 2, 3, 4):
        for dx, dy in ((7, -7), (7, 13), (-15, -7), (-15, 13), (0, -14), (0, 22)):
            lx, ly = px + dx * r ** 0.8, py + dy * r ** 0.8
            cx, cy = lx + 4, ly - 4  # the label's centre
            if all(abs(cx - qx) > 10 or abs(cy - qy) > 10 for qx, qy in markers) and \
                    all(abs(lx - qx) > 12 or abs(ly - qy) > 12 for qx, qy in labels):
                return lx, ly
    return px + 7, py - 7


def _frontier(comparison, rows: list[dict]) -> str:
    from negotiate.whatif import Negotiation

    case = comparison.case
    a, b = comparison.parties
    session = Negotiation(case)
    front = sorted(set(pareto_frontier(case, session=session)))
    base = [r for r in rows if r["scenario"] == "base"]
    # markers: rows with the same utilities share one
    marks: list[dict] = []
    for r in base:
        ua, ub = _num(r.get(f"utility.{a}")), _num(r.get(f"utility.{b}"))
        if ua is None or ub is None:
            continue
        same = next((m for m in marks if abs(m["x"] - ua) < 1e-6 and abs(m["y"] - ub) < 1e-6), None)
        if same:
            same["rows"].append(r)
        else:
            marks.append({"x": ua, "y": ub, "rows": [r]})
    improved = []
    for r in base:
        if r.get("pareto_dominated") is True and isinstance(r.get("improved_package"), dict):
            to = _improved_utilities(session, r["improved_package"])
            if to:
                improved.append((r, (_num(r.get(f"utility.{a}")), _num(r.get(f"utility.{b}"))), to))
    xs = [p[0] for p in front] + [m["x"] for m in marks] + [case.parties[a].reservation]
    ys = [p[1] for p in front] + [m["y"] for m in marks] + [case.parties[b].reservation]
    xt, yt = nice_ticks(min(xs), max(xs), 5), nice_ticks(min(ys), max(ys), 5)
    width, height, left, bottom, top, right = 640, 460, 56, 48, 16, 16
    c = Canvas(width, height, f"Pareto frontier: utility of {a} against utility of {b}")
    x = Scale(xt[0], xt[-1], left, width - right)
    y = Scale(yt[0], yt[-1], height - bottom, top)
    c.y_axis(y, left, width - right, yt, f"utility of {b}")
    c.x_axis(x, height - bottom, xt, f"utility of {a}")
    da, db = case.parties[a].reservation, case.parties[b].reservation
    c.rect(x(da), top, width - right - x(da), y(db) - top, "#eef5ec")  # the acceptable region
    c.line(x(da), top, x(da), height - bottom, "#777", 1, "4 3")
    c.line(left, y(db), width - right, y(db), "#777", 1, "4 3")
    discrete = any(i.options or i.integer for i in case.issues.values())
    c.polyline([(x(p), y(q)) for p, q in front], "#4e79a7", 1.2, "3 3" if discrete else None)
    for p, q in front:
        c.circle(x(p), y(q), 2, "#4e79a7")
    key = []
    placed: list[tuple[float, float]] = []
    for k, m in enumerate(marks, 1):
        names = [_label(r, False) for r in m["rows"]]
        option = any(r["kind"] == "option" for r in m["rows"])
        rejected = any(r["status"] == "rejected" for r in m["rows"])
        fill = "#fff" if option else "#333"
        stroke = "#e15759" if rejected else "#333"
        tip = " = ".join(names) + f": {a} {m['x']:.4g}, {b} {m['y']:.4g}"
        px, py = x(m["x"]), y(m["y"])
        if option:
            c.rect(px - 5, py - 5, 10, 10, fill, title=tip, stroke=stroke, stroke_width=1.5)
        else:
            c.circle(px, py, 5, fill, stroke, tip, 1.5)
        lx, ly = _label_spot(px, py, placed, [(x(q["x"]), y(q["y"])) for q in marks])
        placed.append((lx, ly))
        if abs(lx - px) > 12 or abs(ly - py) > 12:
            c.line(px, py, lx + 3, ly - 4, "#999", 0.6)
        c.text(lx, ly, str(k), 11, "start", "#222", "bold")
        key.append(f"<tr><td>{k}</td><td class='l'>{esc(' = '.join(names))}"
                   + (" <span class='note'>(coincide)</span>" if len(names) > 1 else "")
                   + f"</td><td>{m['x']:.4g}</td><td>{m['y']:.4g}</td></tr>")
    for r, (fx, fy), (tx, ty) in improved:  # drawn last: an improvement may land on a concept's point
        c.line(x(fx), y(fy), x(tx), y(ty), "#1a7f37", 1.4, "5 3")
        c.diamond(x(tx), y(ty), 9, "none", "#1a7f37", f"improved {_label(r)}: {a} {tx:.4g}, {b} {ty:.4g}")
        same = [str(k) for k, m in enumerate(marks, 1) if abs(m["x"] - tx) < 1e-6 and abs(m["y"] - ty) < 1e-6]
        key.append(f"<tr><td>&#9671;</td><td class='l'>improved package of {esc(_label(r, False))} "
                   f"(+{_fmt(r.get('improvement_total_gain'), 3)} total gain"
                   + (f"; the same utilities as {', '.join(same)}" if same else "") + f")</td><td>{tx:.4g}</td>"
                   f"<td>{ty:.4g}</td></tr>")
    legend = (f"<table><tr><th></th><th class='l'>base scenario: concept or option</th><th>{esc(a)}</th>"
              f"<th>{esc(b)}</th></tr>{''.join(key)}</table>")
    note = ("<p class='key'>Blue: the Pareto frontier of acceptable agreements"
            + (" (dotted: a discrete case, only the dots are agreements)" if discrete else "")
            + "; dashed lines: the reservations (green: acceptable to both); filled circles: concepts; "
            "squares: drafted options (red outline: rejected); green diamonds: improved packages, "
            "linked to their drafts.</p>")
    return note + f"<div style='display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start'>{c.svg()}{legend}</div>"
