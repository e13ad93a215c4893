"""Rich renderings of proposals and case errors, for people at a terminal."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from negotiate.errors import CaseError
from negotiate.proposal import Proposal


def compact_table(title: str | None = None, **kw) -> Table:
    """The report's table style: a rule under the header, no outer box, tight padding."""
    return Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), title=title, title_justify="left", **kw)


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
        lines.append(Text("  " + p.message))
        if p.value is not None:
            lines.append(Text(f"  got: {p.shown_value}", style="yellow"))
        if p.hint:
            lines.append(Text(f"  hint: {p.hint}", style="green"))
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
            parts.extend(diagnosis(prop.diagnosis))
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
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), title="Binding red lines and constraints", title_justify="left")
        t.add_column("constraint", style="magenta")
        t.add_column("value", justify="right")
        t.add_column("bound", justify="right")
        t.add_column("shadow price", justify="right")
        for c in binding:
            bound = c.upper if c.upper is not None and abs(c.upper - c.value) <= abs((c.lower or -1e300) - c.value) else c.lower
            t.add_row(c.id, _num(c.value), _num(bound), _num(c.shadow_price, 4))
        parts.append(t)
    costly = red_line_costs(prop, case)
    if costly:
        parts.append(Text(""))
        parts.append(Text("Red lines that cost the most", style="bold"))
        for line in costly:
            parts.append(Text("  " + line))
    foot = Text(f"collective benefit {prop.collective_benefit:.4f}", style="bold")
    s = prop.solver
    foot.append(f"   ·   {s.get('backend')}/{s.get('name')} {s.get('version')}, {s.get('solves')} solve(s), "
                f"{s.get('seconds', 0) * 1000:.0f} ms", style="dim")
    parts.append(foot)
    for note in prop.notes:
        parts.append(Text("note: " + note, style="yellow"))
    return _spaced(parts)


def diagnosis(d: dict) -> list:
    """Why there is no agreement, and the smallest concessions that make one."""
    parts: list = [Text("No agreement: " + d.get("message", ""), style="red")]
    changes = d.get("relaxations")
    if changes:
        t = compact_table("The smallest concessions that make an agreement possible")
        for col in ("constraint", "from", "to", "by", "share of its span"):
            t.add_column(col, justify="left" if col == "constraint" else "right")
        for c in changes:
            t.add_row(c["id"], _num(c["from"], 4), _num(c["to"], 4), _num(c["by"], 4), f"{c['scaled']:.1%}")
        parts.append(t)
        parts.extend(Text("  " + c["text"]) for c in changes)
    group = d.get("largest_group")
    if group:
        if group.get("parties"):
            parts.append(Text(f"\nThe largest group that can agree without the others: {', '.join(group['parties'])} "
                              f"(without {', '.join(group['without'])})", style="bold"))
            shared = {k: v for k, v in group["agreement"].items() if not isinstance(v, dict)}
            if shared:
                parts.append(Text("  they would agree to: " + ", ".join(f"{k} = {_num(v, 3)}" for k, v in shared.items())))
            if group.get("alternatives"):
                parts.append(Text(f"  other groups of that size: {len(group['alternatives'])}"))
        else:
            parts.append(Text("\n" + group.get("message", ""), style="yellow"))
    iis = d.get("iis")
    if iis:
        parts.append(Text("\nAn irreducible conflicting set (drop any one and the rest can hold):", style="bold"))
        for item in iis:
            parts.append(Text(f"  {item['id']}  [{item['kind']}]"))
    return parts


def red_line_costs(prop: Proposal, case=None, top: int = 3) -> list[str]:
    """'relaxing FRA max_cut by 1 % raises collective benefit by 0.012', for the costliest red lines."""
    if not prop.shadow_prices or not prop.shadow_prices.get("available"):
        return []
    limits = [c for c in prop.constraints if c.kind == "limit" and c.shadow_price and c.shadow_price > 1e-9]
    limits.sort(key=lambda c: -c.shadow_price)
    objective = prop.shadow_prices["objective"]
    given = " (given the discrete choices)" if prop.shadow_prices.get("conditional_on_discrete_choices") else ""
    out = []
    for c in limits[:top]:
        _, party, _, name = (c.id.split("[")[0].split(".") + ["", "", "", ""])[:4]
        unit = _row_unit(case, c.id)
        amount = "1 unit" if not unit else (f"1 ({unit})" if " " in unit else f"1 {unit}")
        out.append(f"relaxing {party} {name} by {amount} raises {objective} "
                   f"by {c.shadow_price:.3g}{given}")
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
        if out and isinstance(part, Table):
            out.append(Text(""))
        out.append(part)
    return Group(*out)


def _unit(case, issue) -> str:
    if case is None or issue not in case.issues:
        return ""
    return case.issues[issue].unit or ""


def _parties(prop: Proposal, case=None, per_party=()) -> Table:
    outcomes = prop.parties.values()
    cols = [("utility", "utility"), ("reservation", "reserv."), ("gain", "gain")]
    if any(o.ideal is not None for o in outcomes):
        cols += [("ideal", "ideal"), ("satisfaction", "satisf.")]
    units = [f"{k}: {_unit(case, k)}" for k in per_party if _unit(case, k)]
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), title="Parties", title_justify="left", caption="; ".join(units) or None,
              caption_justify="left")
    t.add_column("party", style="cyan", no_wrap=True)
    for k in per_party:
        t.add_column(k, justify="right", style="bold", no_wrap=True)
    for _, label in cols:
        t.add_column(label, justify="right", no_wrap=True)
    t.add_column("accepts", justify="right", no_wrap=True)
    for p, o in prop.parties.items():
        name = p
        issue_vals = [_num(prop.agreement[k][p], 2) for k in per_party] if prop.ok else []
        accepts = "-" if o.accepts is None else ("yes" if o.accepts else "[red]NO[/red]")
        vals = [_num(getattr(o, attr), 3) for attr, _ in cols]
        t.add_row(name, *issue_vals, *vals, accepts)
    return t


def sweep_table(frame, title: str, max_parties: int = 6) -> Table:
    """A sweep, one row per value; with many parties, the smallest and largest gain and whose."""
    path = frame.columns[0]
    utils = [c for c in frame.columns if c.startswith("utility.")]
    gains = [c for c in frame.columns if c.startswith("gain.")]
    t = compact_table(title)
    t.add_column(path, justify="right")
    t.add_column("status", justify="right")
    t.add_column("collective benefit", justify="right")
    few = len(utils) <= max_parties
    if few:
        for c in utils:
            t.add_column(c.replace("utility.", ""), justify="right")
    else:
        for c in ("smallest gain", "whose", "largest gain", "whose"):
            t.add_column(c, justify="right")
    for _, row in frame.iterrows():
        cells = [_num(row[path], 4), str(row["status"]), _num(row.get("collective_benefit"), 4)]
        if row["status"] not in ("optimal", "feasible"):
            cells += [str(row.get("error", "")) if row["status"] == "invalid" else "-"]
            cells += [""] * (len(t.columns) - len(cells))
        elif few:
            cells += [_num(row[c], 4) for c in utils]
        else:
            g = row[gains].astype(float)
            cells += [_num(g.min(), 4), g.idxmin().replace("gain.", ""), _num(g.max(), 4),
                      g.idxmax().replace("gain.", "")]
        t.add_row(*cells)
    return t


def comparison_table(comparison, max_parties: int = 5, max_scenarios: int = 12, max_rows: int = 40) -> Group:
    """The comparison at a glance: a table per scenario (or the first rows of many)."""
    frame = comparison.table
    parties = comparison.parties
    few = len(parties) <= max_parties
    scenarios = list(dict.fromkeys(frame["scenario"]))
    head = Text(f"{comparison.case.name}: {len(frame)} rows, {len(scenarios)} scenario(s) "
                f"({comparison.executor}, {comparison.seconds:.2f} s)", style="bold")
    parts: list = [head]
    if len(scenarios) <= max_scenarios:
        for name in scenarios:
            parts.append(Text(""))
            parts.extend(_comparison_rows(frame[frame["scenario"] == name], parties, few, f"scenario {name}", False))
    else:
        parts.extend(_comparison_rows(frame.head(max_rows), parties, few, None, True))
        parts.append(Text(f"first {max_rows} of {len(frame)} rows: all of them with --format csv/json or --report",
                          style="dim"))
    if not few:
        parts.append(Text(f"{len(parties)} parties: per-party utilities are in --format json/csv and --report",
                          style="dim"))
    if comparison.interrupted:
        parts.append(Text("interrupted: only the finished rows are shown", style="yellow"))
    return Group(*parts)


def _comparison_rows(frame, parties, few: bool, title, with_scenario: bool) -> list:
    t = compact_table(title)
    if with_scenario:
        t.add_column("scenario", no_wrap=True)
    t.add_column("concept / option", no_wrap=True)
    t.add_column("status", no_wrap=True)
    t.add_column("benefit", justify="right", no_wrap=True)
    if few:
        for p in parties:
            t.add_column(p, justify="right", no_wrap=True)
    t.add_column("min sat.", justify="right", no_wrap=True)
    t.add_column("gini", justify="right", no_wrap=True)
    lines = []
    for _, r in frame.iterrows():
        name = r["name"] if r["kind"] == "concept" else f"option {r['name']}"
        notes = []
        if isinstance(r.get("rejected_by"), str):
            notes.append("rejected by " + ", ".join(sorted({x.split(" (")[0] for x in r["rejected_by"].split("; ")})))
        if isinstance(r.get("dominated_by"), str):
            notes.append("dominated by " + r["dominated_by"])
        if r.get("pareto_dominated") is True:
            notes.append(f"improvable (+{r['improvement_total_gain']:.3g})")
        if isinstance(r.get("error"), str):
            notes.append(r["error"][:80])
        cells = ([str(r["scenario"])] if with_scenario else []) + [
            name, str(r["status"]), _num(_float(r["collective_benefit"]), 4)]
        if few:
            cells += [_num(_float(r[f"utility.{p}"]), 3) for p in parties]
        cells += [_num(_float(r["min_satisfaction"]), 3), _num(_float(r["satisfaction_gini"]), 3)]
        t.add_row(*cells)
        if notes:
            lines.append(Text(f"  {name}: " + "; ".join(notes), style="yellow"))
    return [t, *lines]


def _float(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def render(renderable, file=None, width: int | None = None) -> None:
    Console(file=file, width=width, soft_wrap=False).print(renderable)
