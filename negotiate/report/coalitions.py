"""Coalition analysis for people: a rich text rendering and a self-contained HTML section.

The HTML is inline CSS and hand-written SVG (no scripts, no network): the
stability table, the stable coalitions, Shapley and nucleolus bars per party,
the blocking coalitions of the grand coalition's agreement, and the blocs.
"""

from __future__ import annotations

import html
import math

from rich.console import Group
from rich.text import Text

from negotiate.report.layout import Column, FitTable

MAX_TEXT_ROWS = 40
MAX_HTML_ROWS = 300
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3")


def _n(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return f"{v:.{digits}f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:.3g}"
    return str(v)


def _flag(v) -> str:
    return "-" if v is None else ("yes" if v else "no")


def _rows_shown(analysis, limit: int) -> list:
    """Stable coalitions first, then by size (largest first) and worth."""
    rows = sorted(analysis.coalitions, key=lambda c: (not c.stable, -len(c.members), -c.worth))
    return rows[:limit]


# -- text ---------------------------------------------------------------------------
def coalitions_text(analysis, max_parties: int = 8) -> Group:
    a = analysis
    head = Text.assemble((a.case, "bold"), f"  ·  coalitions  ·  {a.concept}  ·  "
                        + ("outsiders best-respond" if a.outsiders == "best_response" else "outsiders at the status quo"))
    parts: list = [head]
    parties = list(a.parties)
    shown = parties[:max_parties]
    rows = _rows_shown(a, MAX_TEXT_ROWS)
    styles = ["bold green" if c.stable else ("dim" if not c.formed else "") for c in rows]

    def cells(values):  # a row's style on every cell (stable: green; not formed: dim)
        return [Text(str(v), style=st) for v, st in zip(values, styles)]

    keys = [Column("members", cells([",".join(c.members) for c in rows]), justify="left")]
    values = [Column("status", cells([str(c.status) for c in rows])),
              Column("worth", cells([_n(c.worth) for c in rows])),
              Column("int.", cells([_flag(c.internally_stable) for c in rows])),
              Column("ext.", cells([_flag(c.externally_stable) for c in rows])),
              Column("transfers?", cells([_flag(c.potentially_internally_stable) for c in rows]))]
    values += [Column(f"u {p}", cells([_n(c.utility[p]) for c in rows])) for p in shown]
    parts.append(FitTable("Coalitions (stable first)", keys, values,
                          caption="int./ext.: internally / externally stable; transfers?: internally stable "
                                  "with transfers among the members; u: each party's utility"))
    if len(a.coalitions) > len(rows):
        parts.append(Text(f"... {len(a.coalitions) - len(rows)} more coalitions (--format json for all)", "dim"))
    if len(shown) < len(parties):
        parts.append(Text(f"utilities of {len(parties) - len(shown)} more parties in --format json", "dim"))
    stable = a.stable
    parts.append(Text("stable coalitions: " + ("; ".join("{" + ", ".join(m) + "}" for m in stable[:12])
                                               + (" ..." if len(stable) > 12 else "") if stable else "none")))
    for c in rows:
        if c.transfers and any(abs(v) > 1e-6 for v in c.transfers.values()) and not c.internally_stable:
            pay = ", ".join(f"{p} {'+' if v > 0 else ''}{_n(v, 4)}" for p, v in c.transfers.items() if abs(v) > 1e-6)
            parts.append(Text(f"transfers that hold {{{', '.join(c.members)}}}: {pay}"))
    values = _values_table(a)
    if values is not None:
        parts.append(values)
    g = a.to_dict()["grand"]
    if g["in_core"] is not None:
        line = f"grand coalition's agreement in the core: {'yes' if g['in_core'] else 'no'}"
        if not g["efficient"]:
            line += f" (it leaves {_n(g['shortfall'])} of the grand coalition's worth unshared)"
        parts.append(Text(line))
        for b in g["blocking"][:8]:
            parts.append(Text(f"  blocked by {{{', '.join(b['members'])}}}: worth {_n(b['worth'])} > "
                              f"{_n(b['allocated'])} (by {_n(b['excess'])})"))
    if a.least_core is not None:
        parts.append(Text(f"least core epsilon: {_n(a.least_core.epsilon, 4)}"
                          + (" (the core is empty)" if a.least_core.epsilon > 1e-7 else "")))
    if a.blocs is not None:
        parts.append(_blocs_text(a))
    for note in a.notes:
        parts.append(Text("note: " + note, "yellow"))
    parts.append(Text(f"{a.solves} solves, {a.seconds:.2f} s, {a.executor}", "dim"))
    return Group(*parts)


def _values_table(a) -> FitTable | None:
    if a.shapley is None and a.nucleolus is None:
        return None
    parties = list(a.parties)
    values = [Column("status quo", [_n(a.weights[p] * a.status_quo[p]) for p in parties]),
              Column("grand", [_n(a.weights[p] * a.grand.utility[p]) for p in parties])]
    if a.shapley is not None:
        values.append(Column("Shapley", [_n(a.shapley[p]) for p in parties]))
        if a.shapley_sampled is not None:
            values.append(Column(f"± ({a.shapley_sampled.confidence:.0%})",
                                 [_n(a.shapley_sampled.half_width[p], 4) for p in parties]))
    if a.nucleolus is not None:
        values.append(Column("nucleolus", [_n(a.nucleolus.allocation[p]) for p in parties]))
    return FitTable("What each party adds (units of weighted utility)",
                    [Column("party", list(parties), justify="left")], values)


def _blocs_text(a) -> FitTable:
    b = a.blocs
    items = list(b.blocs.items())
    keys = [Column("bloc", [name for name, _ in items], justify="left")]
    values = [Column("members", [",".join(c.members) for _, c in items], justify="left"),
              Column("status", [str(c.status) for _, c in items]),
              Column("worth", [_n(c.worth) for _, c in items]),
              Column("int.", [_flag(c.internally_stable) for _, c in items]),
              Column("ext.", [_flag(c.externally_stable) for _, c in items])]
    caption = None
    if b.partition is not None:
        caption = (f"blocs side by side: collective benefit {_n(b.partition_benefit)}; "
                   f"the grand coalition adds {_n(b.grand_adds_total)}")
    elif b.note:
        caption = b.note
    return FitTable("Blocs", keys, values, caption=caption)


# -- HTML ---------------------------------------------------------------------------
CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: .85em; margin: .6em 0; }
th, td { padding: .25em .6em; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; } td.l, th.l { text-align: left; }
tr.stable td { color: #1a6b2a; font-weight: 600; } tr.none td { color: #999; }
.note { color: #666; font-size: .85em; } .wide { overflow-x: auto; }
svg { max-width: 100%; height: auto; } svg text { font: 11px sans-serif; fill: #333; }
"""


def _e(v) -> str:
    return html.escape(str(v))


def coalitions_html(analysis) -> str:
    """A whole self-contained page: the coalition section of a case."""
    a = analysis
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(a.case)}: coalitions</title>"
            f"<style>{CSS}</style></head><body><h1>{_e(a.case)}</h1>{coalition_section(a)}"
            "<p class='note'>Made by negotiate.</p></body></html>")


def coalition_section(analysis) -> str:
    """The coalition section (an HTML fragment, for this page or a larger report)."""
    a = analysis
    who = ("outsiders choose their own issues as best responses (and read shared issues at the status quo)"
           if a.outsiders == "best_response" else
           "outsiders keep their issues at the status quo (and read shared issues there)")
    parts = [f"<h2>Coalitions</h2><p class='note'>Concept {_e(a.concept)}; a coalition's members agree, "
             f"{who}; every party's "
             "utility is on that mixed outcome. Internally stable: no member gains by leaving; externally "
             "stable: no outsider gains by joining (an indifferent one joins). Worth = the members' largest "
             f"weighted utility sum (transferable utility). Tolerance {a.tolerance:g} relative.</p>"]
    parts.append(_stable_list(a))
    parts.append(_stability_table(a))
    if a.shapley is not None or a.nucleolus is not None:
        parts.append("<h2>What each party adds</h2>" + _value_bars(a))
    if a.core is not None:
        parts.append(_core_html(a))
    if a.blocs is not None:
        parts.append(_blocs_html(a))
    if a.notes:
        parts.append("".join(f"<p class='note'>{_e(n)}</p>" for n in a.notes))
    parts.append(f"<p class='note'>{a.solves} solves in {a.seconds:.2f} s ({_e(a.executor)}).</p>")
    return "".join(parts)


def _stable_list(a) -> str:
    stable = a.stable
    if not stable:
        return "<p><b>No coalition analysed is both internally and externally stable.</b></p>"
    items = "".join(f"<li>{{{_e(', '.join(m))}}}</li>" for m in stable[:50])
    more = f"<li>... {len(stable) - 50} more</li>" if len(stable) > 50 else ""
    return f"<p><b>Stable coalitions ({len(stable)}):</b></p><ul>{items}{more}</ul>"


def _stability_table(a) -> str:
    parties = list(a.parties)
    head = ("<tr><th class='l'>members</th><th>status</th><th>worth</th><th>internally</th><th>externally</th>"
            "<th>with transfers</th><th>surplus</th>" + "".join(f"<th>u {_e(p)}</th>" for p in parties) + "</tr>")
    body = []
    rows = _rows_shown(a, MAX_HTML_ROWS)
    for c in rows:
        cls = "stable" if c.stable else ("none" if not c.formed else "")
        body.append(f"<tr class='{cls}'><td class='l'>{_e(', '.join(c.members))}</td><td>{_e(c.status)}</td>"
                    f"<td>{_n(c.worth)}</td><td>{_flag(c.internally_stable)}</td>"
                    f"<td>{_flag(c.externally_stable)}</td><td>{_flag(c.potentially_internally_stable)}</td>"
                    f"<td>{_n(c.surplus)}</td>" + "".join(f"<td>{_n(c.utility[p])}</td>" for p in parties)
                    + "</tr>")
    more = (f"<p class='note'>{len(a.coalitions) - len(rows)} more coalitions in the JSON.</p>"
            if len(a.coalitions) > len(rows) else "")
    transfers = []
    for c in rows:
        if c.transfers and not c.internally_stable and c.potentially_internally_stable:
            pay = ", ".join(f"{_e(p)} {'+' if v > 0 else ''}{_n(v, 4)}" for p, v in c.transfers.items()
                            if abs(v) > 1e-6)
            transfers.append(f"<li>{{{_e(', '.join(c.members))}}}: {pay}</li>")
    tr = (("<p>Smallest transfers that make a coalition internally stable (received +, paid -):</p><ul>"
           + "".join(transfers[:30]) + "</ul>") if transfers else "")
    return (f"<h3>Stability</h3><div class='wide'><table>{head}{''.join(body)}</table></div>{more}{tr}")


def _value_bars(a) -> str:
    """Grouped horizontal bars per party: Shapley (with its interval when sampled) and nucleolus."""
    series = []
    if a.shapley is not None:
        series.append(("Shapley", a.shapley))
    if a.nucleolus is not None:
        series.append(("nucleolus", a.nucleolus.allocation))
    series.append(("grand coalition", {p: a.weights[p] * a.grand.utility[p] for p in a.parties}))
    values = [v for _, s in series for v in s.values() if v is not None and math.isfinite(v)]
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0
    label_w, plot_w, bar_h = 90, 560, 10
    group_h = bar_h * len(series) + 8
    height = 30 + group_h * len(a.parties)
    x0 = label_w + (0 - lo) / span * plot_w
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{label_w + plot_w + 90}' height='{height}' "
           f"viewBox='0 0 {label_w + plot_w + 90} {height}' role='img'>"]
    for k, (name, _) in enumerate(series):
        out.append(f"<rect x='{label_w + 150 * k}' y='4' width='10' height='10' fill='{PALETTE[k]}'/>"
                   f"<text x='{label_w + 150 * k + 14}' y='13'>{_e(name)}</text>")
    for i, p in enumerate(a.parties):
        y = 24 + i * group_h
        out.append(f"<text x='{label_w - 6}' y='{y + group_h / 2}' text-anchor='end'>{_e(p)}</text>")
        for k, (name, s) in enumerate(series):
            v = s.get(p)
            if v is None or not math.isfinite(v):
                continue
            x = label_w + (min(v, 0) - lo) / span * plot_w
            w = abs(v) / span * plot_w
            yy = y + k * bar_h
            out.append(f"<rect x='{x:.1f}' y='{yy}' width='{max(w, 0.5):.1f}' height='{bar_h - 1}' "
                       f"fill='{PALETTE[k]}'><title>{_e(p)} {_e(name)}: {_n(v, 4)}</title></rect>")
            if name == "Shapley" and a.shapley_sampled is not None:
                h = a.shapley_sampled.half_width[p]
                xa = label_w + (v - h - lo) / span * plot_w
                xb = label_w + (v + h - lo) / span * plot_w
                out.append(f"<line x1='{xa:.1f}' x2='{xb:.1f}' y1='{yy + bar_h / 2}' y2='{yy + bar_h / 2}' "
                           "stroke='#222' stroke-width='1'/>")
            out.append(f"<text x='{label_w + plot_w + 6}' y='{yy + bar_h - 1}'>{_n(v)}</text>"
                       if k == 0 else "")
    out.append(f"<line x1='{x0:.1f}' x2='{x0:.1f}' y1='20' y2='{height}' stroke='#999'/>")
    out.append("</svg>")
    note = ""
    if a.shapley_sampled is not None:
        s = a.shapley_sampled
        note = (f"<p class='note'>Shapley values sampled (stratified by coalition size, with a control variate) from "
                f"{s.coalitions_evaluated} coalitions' worths; lines show the {s.confidence:.0%} intervals.</p>")
    return "".join(out) + note


def _core_html(a) -> str:
    c = a.core
    verdict = "is in the core" if c.in_core else "is not in the core"
    parts = [f"<h2>Core</h2><p>The grand coalition's agreement (as weighted utilities) <b>{verdict}</b>."]
    if not c.efficient:
        parts.append(f" It leaves {_n(c.shortfall)} of the grand coalition's worth unshared.")
    parts.append("</p>")
    if c.blocking:
        parts.append("<table><tr><th class='l'>blocking coalition</th><th>worth</th><th>gets</th><th>by</th></tr>"
                     + "".join(f"<tr><td class='l'>{_e(', '.join(b.members))}</td><td>{_n(b.worth)}</td>"
                               f"<td>{_n(b.allocated)}</td><td>{_n(b.excess)}</td></tr>" for b in c.blocking)
                     + "</table>")
    if a.least_core is not None:
        parts.append(f"<p class='note'>Least core epsilon {_n(a.least_core.epsilon, 4)}"
                     + (": the core is empty." if a.least_core.epsilon > 1e-7 else ".") + "</p>")
    return "".join(parts)


def _blocs_html(a) -> str:
    b = a.blocs
    rows = "".join(f"<tr class='{'stable' if c.stable else ''}'><td class='l'>{_e(n)}</td>"
                   f"<td class='l'>{_e(', '.join(c.members))}</td><td>{_e(c.status)}</td><td>{_n(c.worth)}</td>"
                   f"<td>{_flag(c.internally_stable)}</td><td>{_flag(c.externally_stable)}</td></tr>"
                   for n, c in b.blocs.items())
    parts = ["<h2>Blocs</h2><table><tr><th class='l'>bloc</th><th class='l'>members</th><th>status</th>"
             f"<th>worth</th><th>internally</th><th>externally</th></tr>{rows}</table>"]
    if b.partition is not None:
        parts.append("<table><tr><th class='l'>party</th><th>blocs side by side</th><th>grand coalition adds</th>"
                     "</tr>" + "".join(f"<tr><td class='l'>{_e(p)}</td><td>{_n(u)}</td>"
                                       f"<td>{_n(b.grand_adds.get(p) if b.grand_adds else None)}</td></tr>"
                                       for p, u in b.partition.items()) + "</table>")
        parts.append(f"<p class='note'>Collective benefit with the blocs side by side "
                     f"{_n(b.partition_benefit)}; the grand coalition adds {_n(b.grand_adds_total)}.</p>")
    if b.note:
        parts.append(f"<p class='note'>{_e(b.note)}</p>")
    return "".join(parts)
