"""Rich renderings for people at a terminal: proposals, explanations, sweeps, comparisons, case errors.

Every table is a `FitTable` (negotiate.report.layout): it fits the console's
width by continuing in blocks, and never cuts a number; messages wrap with
their indent. Concessions are worded by negotiate.report.words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from negotiate.errors import CaseError
from negotiate.report.layout import Column, FitTable, legend, short_ids

if TYPE_CHECKING:
    from negotiate.proposal import Proposal


def _num(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        text = f"{v:,.{digits}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def case_errors(err: CaseError) -> Group:
    """Compiler-style: `file:line:col  path`, then the message, value and hint."""
    n = len(err.problems)
    lines = [Text(f"{n} problem{'s' if n != 1 else ''} in the case", style="bold red")]
    for p in err.problems:
        head = Text()
        head.append(str(p.location), style="cyan")
        if p.path:
            head.append("  " + p.path, style="magenta")
        lines.append(head)
        lines.append(_line(p.message))
        if p.value is not None:
            lines.append(_line(f"got: {p.shown_value}", style="yellow"))
        if p.hint:
            lines.append(_line(f"hint: {p.hint}", style="green"))
    return Group(*lines)


def proposal(prop: Proposal, case=None) -> Group:
    parts = []
    head = Text()
    head.append(prop.case, style="bold")
    head.append(f"  ·  {prop.concept}  ·  ")
    head.append(prop.status, style="green" if prop.ok else "red bold")
    parts.append(head)
    if not prop.ok:
        parts.append(_parties(prop, case))
        if prop.diagnosis:
            parts.extend(diagnosis(prop.diagnosis, case))
        return _spaced(parts)

    shared = {k: v for k, v in prop.agreement.items() if not isinstance(v, dict)}
    per_party = [k for k, v in prop.agreement.items() if isinstance(v, dict)]
    if shared:
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), title="Agreement", title_justify="left")
        t.add_column("issue", style="cyan")
        t.add_column("value", justify="right", style="bold")
        t.add_column("unit", style="dim")
        for k, v in shared.items():
            t.add_row(k, _num(v, 2), _unit(case, k))
        parts.append(t)
    parts.append(_parties(prop, case, per_party))
    if getattr(prop, "ratification", None):  # two-level cases (CASE_FORMAT.md section 7)
        from negotiate.report.twolevel import ratification_lines

        parts.append(ratification_lines(prop.ratification))
    binding = [c for c in prop.constraints if c.binding and c.kind != "reservation"]
    if binding:
        parts.append(FitTable("Binding red lines and constraints",
                              [Column("constraint", [c.id for c in binding], "left", "magenta")],
                              [Column("value", [_num(c.value) for c in binding]),
                               Column("bound", [_num(_near_bound(c)) for c in binding]),
                               Column("shadow price", [_sig(c.shadow_price) for c in binding])]))
    costly = red_line_costs(prop, case)
    if costly:
        parts.append(Text(""))
        parts.append(Text("Red lines that cost the most", style="bold"))
        for line in costly:
            parts.append(_line(line))
    parts.append(Text(""))
    foot = Text(f"collective benefit {prop.collective_benefit:.4f}", style="bold")
    s = prop.solver
    foot.append(f"   ·   {s.get('backend')}/{s.get('name')} {s.get('version')}, {s.get('solves')} solve(s), "
                f"{s.get('seconds', 0) * 1000:.0f} ms", style="dim")
    parts.append(foot)
    for note in prop.notes:
        parts.append(Text("note: " + note, style="yellow"))
    return _spaced(parts)


def _near_bound(c):
    """The bound a binding constraint sits on."""
    if c.upper is not None and (c.lower is None or abs(c.upper - c.value) <= abs(c.lower - c.value)):
        return c.upper
    return c.lower


def _bound_text(c) -> str:
    if c.lower is not None and c.upper is not None:
        return _num(c.lower) if c.lower == c.upper else f"{_num(c.lower)}..{_num(c.upper)}"
    return f">= {_num(c.lower)}" if c.lower is not None else f"<= {_num(c.upper)}"


def explanation(prop: Proposal, case=None) -> Group:
    """`negotiate explain`: every constraint with its price, the costliest red lines; or why no deal."""
    parts: list = [Text(f"{prop.case}  ·  {prop.concept}  ·  {prop.status}", style="bold")]
    if not prop.ok:
        parts += diagnosis(prop.diagnosis or {}, case)
        return Group(*parts)
    prices = prop.shadow_prices or {}
    title = (f"Constraints at the agreement (prices: change of {prices.get('objective')} per unit of relaxation"
             + (", given the discrete choices" if prices.get("conditional_on_discrete_choices") else "") + ")")
    rows = sorted(prop.constraints, key=lambda c: (not c.binding, -(c.shadow_price or 0)))
    parts.append(FitTable(title, [Column("constraint", [c.id for c in rows], "left", "magenta")],
                          [Column("value", [_num(c.value) for c in rows]),
                           Column("bound", [_bound_text(c) for c in rows]),
                           Column("slack", [_num(c.slack, 4) for c in rows]),
                           Column("binding", ["yes" if c.binding else "" for c in rows]),
                           Column("price", [_sig(c.shadow_price) for c in rows])]))
    parts += [_line(line) for line in red_line_costs(prop, case, top=3)]
    return Group(*parts)


def diagnosis(d: dict, case=None) -> list:
    """Why there is no agreement, and the smallest concessions that make one, in the case's words."""
    from negotiate.report.words import alternatives_text, concession

    parts: list = [Text("No agreement: " + d.get("message", ""), style="red")]
    changes = d.get("relaxations")
    if changes:
        parts.append(Text("\nThe smallest concessions that make an agreement possible:", style="bold"))
        parts.extend(_line(concession(c, case)) for c in changes)
        parts.append(Text(""))
        parts.append(FitTable(None, [Column("constraint", [c["id"] for c in changes], "left", "magenta")],
                              [Column("from", [_num(c["from"], 4) for c in changes]),
                               Column("to", [_num(c["to"], 4) for c in changes]),
                               Column("by", [_num(c["by"], 4) for c in changes]),
                               Column("share of its span", [f"{c['scaled']:.1%}" for c in changes])],
                              "in the model's own units; share of its span: the size that is minimised"))
        alternatives = alternatives_text(d.get("alternatives") or [], case)
        if alternatives:
            parts.append(Text("\nEqually small alternatives:", style="bold"))
            parts.extend(_line("or: " + a) for a in alternatives)
    group = d.get("largest_group")
    if group:
        if group.get("parties"):
            parts.append(Text(f"\nThe largest group that can agree without the others: {', '.join(group['parties'])} "
                              f"(without {', '.join(group['without'])})", style="bold"))
            shared = {k: v for k, v in group["agreement"].items() if not isinstance(v, dict)}
            if shared:
                parts.append(_line("they would agree to: " + ", ".join(f"{k} = {_num(v, 3)}" for k, v in shared.items())))
            if group.get("alternatives"):
                parts.append(_line(f"other groups of that size: {len(group['alternatives'])}"))
        else:
            parts.append(Text("\n" + group.get("message", ""), style="yellow"))
    iis = d.get("iis")
    if iis:
        parts.append(Text("\nAn irreducible conflicting set (drop any one and the rest can hold):", style="bold"))
        for item in iis:
            parts.append(_line(f"{item['id']}  [{item['kind']}]"))
    if d.get("stopped"):  # the diagnosis's budget cut a part short
        parts.append(Text("\n" + d["stopped"]["text"], style="yellow"))
    return parts


def red_line_costs(prop: Proposal, case=None, top: int = 3) -> list[str]:
    """The costliest red lines in the case's words: "relaxing IND's development room by 1% below base
    year raises collective benefit by 0.012" (the price per unit of what the red line bounds)."""
    from negotiate.report.words import describe_bound

    if not prop.shadow_prices or not prop.shadow_prices.get("available"):
        return []
    limits = [c for c in prop.constraints if c.kind == "limit" and c.shadow_price and c.shadow_price > 1e-9]
    limits.sort(key=lambda c: -c.shadow_price)
    objective = prop.shadow_prices["objective"]
    given = " (given the discrete choices)" if prop.shadow_prices.get("conditional_on_discrete_choices") else ""
    out = []
    for c in limits[:top]:
        side = "upper" if _near_bound(c) == c.upper and c.upper is not None else "lower"
        try:
            bound = describe_bound(case, c.id, c.party, side) if case is not None else None
        except Exception:  # an id the case cannot place: say it by its id
            bound = None
        if bound is not None and bound.scale:
            unit = bound.unit
            amount = "1" + (unit if unit.startswith("%") else f" {unit}" if unit else "")
            price = c.shadow_price * abs(bound.scale)  # per unit of the bounded quantity, not of the row
            where = f" ({bound.parameter})" if bound.parameter else ""
            out.append(f"relaxing {bound.what}{where} by {amount} raises {objective} by {price:.3g}{given}")
            continue
        _, party, _, name = (c.id.split("[")[0].split(".") + ["", "", "", ""])[:4]
        unit = _row_unit(case, c.id)
        amount = "1 unit" if not unit else (f"1 ({unit})" if " " in unit else f"1 {unit}")
        out.append(f"relaxing {party} {name} by {amount} raises {objective} by {c.shadow_price:.3g}{given}")
    return out


def _row_unit(case, cid: str) -> str:
    resolved = getattr(case, "_resolved", None) if case is not None else None
    if resolved is None:
        return ""
    for r in resolved.rows:
        if r.id == cid:
            issues = {k[0] for k in r.lin.terms}
            if len(issues) == 1:
                return case.issues[issues.pop()].unit or ""
    return ""


def _spaced(parts) -> Group:
    out = []
    for part in parts:
        if out and isinstance(part, (Table, FitTable)):
            out.append(Text(""))
        out.append(part)
    return Group(*out)


def _unit(case, issue) -> str:
    if case is None or issue not in case.issues:
        return ""
    return case.issues[issue].unit or ""


def _parties(prop: Proposal, case=None, per_party=()) -> FitTable:
    """A row per party: its own values of per-party issues, utility, reservation, gain, acceptance."""
    outcomes = prop.parties
    cols = [("utility", "utility"), ("reservation", "reserv."), ("gain", "gain")]
    if any(o.ideal is not None for o in outcomes.values()):
        cols += [("ideal", "ideal"), ("satisfaction", "satisf.")]
    units = [f"{k}: {_unit(case, k)}" for k in per_party if _unit(case, k)]
    values = [Column(k, [_num(prop.agreement[k][p], 2) if prop.ok else "-" for p in outcomes], style="bold")
              for k in per_party]
    values += [Column(label, [_num(getattr(o, attr), 3) for o in outcomes.values()]) for attr, label in cols]
    values.append(Column("accepts", ["-" if o.accepts is None else (
        "yes" if o.accepts else Text("NO", style="red")) for o in outcomes.values()]))
    return FitTable("Parties", [Column("party", list(outcomes), "left", "cyan")], values,
                    "; ".join(units) or None)


def _sig(v, digits: int = 4) -> str:
    """A small rate (a shadow price) by its significant digits: 0.000123, not 0.0001."""
    f = _float(v)
    if f is None:
        return "-"
    text = f"{f:.{digits}g}"
    return "0" if text in ("-0", "0") else text


def _line(text: str, indent: int = 2, style: str | None = None) -> Padding:
    """A message line, wrapped at the console's width with its indent kept: never cut."""
    return Padding(Text(text, style=style or ""), (0, 0, 0, indent), expand=False)


def _value_cell(v, digits: int = 4) -> str:
    """An agreed value or a number for a table cell: whole, never cut."""
    f = _float(v)
    if f is None:
        return "-" if v is None or (isinstance(v, float) and v != v) else str(v)
    return _num(f, digits)


def _issue_unit_caption(case, issues) -> str | None:
    units = [f"{i}: {case.issues[i].unit}" for i in issues if case is not None and i in case.issues
             and case.issues[i].unit]
    return "units: " + "; ".join(units) if units else None


def _split_agreement(frame, case) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """Shared issue columns, and per-party issue -> [(party, column)], present in `frame`."""
    from negotiate.flatten import column_issue

    shared, per_party = [], {}
    if case is None:
        return shared, per_party
    for c in frame.columns:
        found = column_issue(case, c)
        if found is None:
            continue
        issue, party = found
        if party is None:
            shared.append(c)
        else:
            per_party.setdefault(issue, []).append((party, c))
    return shared, per_party


def sweep_table(frame, title: str, case=None, max_parties: int = 6) -> Group:
    """A sweep: how the agreement and each party's gain move with the swept value.

    One table with a row per value (status, collective benefit, the shared
    issues, and each party's gain, or the smallest and largest gain with many
    parties), then, per per-party issue, a pivot: a row per party, a column
    per swept value. Every table wraps to the console's width.
    """
    path = frame.columns[0]
    short = short_ids([path])[path]
    gains = [c for c in frame.columns if c.startswith("gain.")]
    parties = [c[len("gain."):] for c in gains]
    shared, per_party = _split_agreement(frame, case)
    ok = [str(s) in ("optimal", "feasible") for s in frame["status"]]
    swept = [_value_cell(v) for v in frame[path]]
    cols = [Column("status", [str(s) for s in frame["status"]]),
            Column("benefit", [_value_cell(v) if k else "-" for v, k in zip(frame["collective_benefit"], ok)])]
    cols += [Column(c, [_value_cell(v) if k else "-" for v, k in zip(frame[c], ok)]) for c in shared]
    few = len(parties) <= max_parties
    if few:
        cols += [Column(p, [_value_cell(v) if k else "-" for v, k in zip(frame[f"gain.{p}"], ok)])
                 for p in parties]
    elif gains:
        g = frame[gains].astype(float)
        low, high = g.min(axis=1), g.max(axis=1)
        who_low = g.idxmin(axis=1, skipna=True) if g.notna().any().any() else None
        who_high = g.idxmax(axis=1, skipna=True) if g.notna().any().any() else None
        cols += [Column("smallest gain", [_value_cell(v) if k else "-" for v, k in zip(low, ok)]),
                 Column("whose", [str(w).replace("gain.", "") if k else "" for w, k in zip(who_low, ok)]
                        if who_low is not None else [""] * len(frame), justify="left"),
                 Column("largest gain", [_value_cell(v) if k else "-" for v, k in zip(high, ok)]),
                 Column("whose", [str(w).replace("gain.", "") if k else "" for w, k in zip(who_high, ok)]
                        if who_high is not None else [""] * len(frame), justify="left")]
    gain_note = f"{', '.join(parties)}: each party's gain (utility - reservation)" if few and parties else None
    caption = "; ".join(x for x in (gain_note, legend({path: short}), _issue_unit_caption(case, shared)) if x) or None
    parts: list = [Text(title, style="bold"), FitTable(None, [Column(short, swept)], cols, caption)]
    for issue, members in per_party.items():
        unit = case.issues[issue].unit if case is not None else None
        name = f"{issue}{f' ({unit})' if unit else ''}"
        cells = [[_value_cell(frame[c].iloc[i], 3) if ok[i] else "-" for _, c in members] for i in range(len(swept))]
        constant = {x for col in cells for x in col}
        if len(constant) == 1 and any(ok):
            parts += [Text(""), Text(f"{name}: {constant.pop()} for every party at every value", style="italic")]
            continue
        values = [Column(f"{short}={x}", col) for x, col in zip(swept, cells)]
        parts += [Text(""), FitTable(f"{name} by party, as {short} moves",
                                     [Column("party", [p for p, _ in members], "left", "cyan")], values)]
    if not few and gains:
        values = [Column(f"{short}={x}", [_value_cell(frame[f"gain.{p}"].iloc[i]) if ok[i] else "-"
                                          for p in parties]) for i, x in enumerate(swept)]
        parts += [Text(""), FitTable(f"gain (utility - reservation) by party, as {short} moves",
                                     [Column("party", parties, "left", "cyan")], values)]
    if "error" in frame:
        for x, e in zip(swept, frame["error"]):
            if isinstance(e, str):
                parts.append(_line(f"{short}={x}: {e}", 0, "yellow"))
    return Group(*parts)


def comparison_table(comparison, max_parties: int = 5, max_scenarios: int = 12) -> Group:
    """The comparison at a glance: per scenario (or one table for many), the agreement of
    every row, each party's utility (or the spread), and the agreed per-party values
    as a pivot; every table wraps to the console's width, every note is shown whole."""
    frame = comparison.table
    parties = comparison.parties
    few = len(parties) <= max_parties
    scenarios = list(dict.fromkeys(frame["scenario"]))
    head = Text(f"{comparison.case.name}: {len(frame)} rows, {len(scenarios)} scenario(s) "
                f"({comparison.executor}, {comparison.seconds:.2f} s)", style="bold")
    parts: list = [head]
    if len(scenarios) <= max_scenarios and not getattr(comparison, "sweeps", None):
        for name in scenarios:
            parts.append(Text(""))
            parts.extend(_comparison_rows(comparison, frame[frame["scenario"] == name], few, f"scenario {name}",
                                          False))
    else:
        parts.extend(_comparison_rows(comparison, frame, few, None, True))
    if not few:
        parts.append(Text(f"{len(parties)} parties: each party's utility, gain and satisfaction are in "
                          "--format json/csv and --report", style="dim"))
    if comparison.interrupted:
        parts.append(Text("interrupted: only the finished rows are shown", style="yellow"))
    return Group(*parts)


def _scenario_labels(comparison, names) -> tuple[list[str], str | None]:
    """Scenario names with swept paths shortened consistently, and the legend."""
    paths = list(getattr(comparison, "sweeps", {}) or {})
    short = short_ids(paths) if paths else {}
    out = []
    for name in names:
        label = str(name)
        for full, s in sorted(short.items(), key=lambda kv: -len(kv[0])):
            label = label.replace(full + "=", s + "=")
        out.append(label.replace(",", ", "))
    return out, legend(short) if short else None


def _comparison_rows(comparison, frame, few: bool, title, with_scenario: bool) -> list:
    case, parties = comparison.case, comparison.parties
    names = [r["name"] if r["kind"] == "concept" else f"option {r['name']}" for _, r in frame.iterrows()]
    keys = [Column("concept / option", names, "left", "cyan")]
    notes_legend = None
    if with_scenario:  # one table for every scenario: rows numbered, the pivots below refer to them
        labels, notes_legend = _scenario_labels(comparison, frame["scenario"])
        keys = [Column("#", [str(k) for k in range(1, len(names) + 1)]), Column("scenario", labels, "left"),
                keys[0]]
    shared, per_party = _split_agreement(frame, case)
    answered = [_float(v) is not None for v in frame["collective_benefit"]]
    cols = [Column("status", [str(s) for s in frame["status"]]),
            Column("benefit", [_value_cell(v) for v in frame["collective_benefit"]])]
    cols += [Column(c, [_value_cell(v) if a else "-" for v, a in zip(frame[c], answered)]) for c in shared]
    if few:
        cols += [Column(f"u {p}", [_value_cell(v, 3) for v in frame[f"utility.{p}"]]) for p in parties]
    cols += [Column("min sat.", [_value_cell(v, 3) for v in frame["min_satisfaction"]]),
             Column("gini", [_value_cell(v, 3) for v in frame["satisfaction_gini"]])]
    caption = "; ".join(x for x in (notes_legend, _issue_unit_caption(case, shared),
                                    "u: utility; min sat.: smallest satisfaction; gini: spread of satisfaction"
                                    if few else "min sat.: smallest satisfaction; gini: spread of satisfaction")
                        if x)
    out: list = [FitTable(title, keys, cols, caption)]
    for issue, members in per_party.items():
        unit = case.issues[issue].unit
        row_labels = [f"#{k}" for k in range(1, len(names) + 1)] if with_scenario else names
        values = [Column(lab, [_value_cell(frame[c].iloc[i]) if answered[i] else "-" for _, c in members])
                  for i, lab in enumerate(row_labels)]
        where = ", columns: the rows # of the table above" if with_scenario else ""
        out += [Text(""), FitTable(f"{issue}{f' ({unit})' if unit else ''} by party{where}",
                                   [Column("party", [p for p, _ in members], "left", "cyan")], values)]
    for k, ((_, r), name) in enumerate(zip(frame.iterrows(), names), 1):
        notes = []
        if isinstance(r.get("rejected_by"), str):
            notes.append("rejected by " + r["rejected_by"])
        if isinstance(r.get("dominated_by"), str):
            notes.append("dominated by " + r["dominated_by"])
        if r.get("pareto_dominated") is True:
            notes.append(f"improvable: +{r['improvement_total_gain']:.3g} total gain with "
                         + ", ".join(f"{k} = {_value_cell(v)}" for k, v in (r.get("improved_package") or {}).items()
                                     if not isinstance(v, dict)))
        if isinstance(r.get("notes"), str):
            notes.append(r["notes"])
        if isinstance(r.get("error"), str):
            notes.append(r["error"])
        if notes:
            who = f"#{k} {name}" if with_scenario else name
            out.append(_line(f"{who}: " + "; ".join(notes), style="yellow"))
    return out


def _float(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def render(renderable, file=None, width: int | None = None) -> None:
    Console(file=file, width=width, soft_wrap=False).print(renderable)


def explanation_data(prop, case: Case | None) -> dict:
    """`negotiate explain --format json`: constraints and prices, the costliest red lines, or the
    diagnosis with each concession in words."""
    from negotiate.report.words import alternatives_text, concession

    data = {"case": prop.case, "concept": prop.concept, "status": prop.status,
            "shadow_prices": prop.shadow_prices,
            "constraints": [c.to_dict() for c in prop.constraints],
            "costliest_red_lines": red_line_costs(prop, case, top=3) if prop.ok else [],
            "diagnosis": None}
    if not prop.ok and prop.diagnosis:
        d = dict(prop.diagnosis)
        d["relaxations"] = [dict(c, words=concession(c, case)) for c in d.get("relaxations") or []]
        if d.get("alternatives"):
            d["alternatives_in_words"] = alternatives_text(d["alternatives"], case)
        data["diagnosis"] = d
    return data
