"""Rich renderings of proposals and case errors, for people at a terminal."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from negotiate.errors import CaseError
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
        if prop.diagnosis:
            parts.append(Text("No agreement: " + prop.diagnosis.get("message", ""), style="red"))
        parts.append(_parties(prop, case))
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
    foot = Text(f"collective benefit {prop.collective_benefit:.4f}", style="bold")
    s = prop.solver
    foot.append(f"   ·   {s.get('backend')}/{s.get('name')} {s.get('version')}, {s.get('solves')} solve(s), "
                f"{s.get('seconds', 0) * 1000:.0f} ms", style="dim")
    parts.append(foot)
    for note in prop.notes:
        parts.append(Text("note: " + note, style="yellow"))
    return _spaced(parts)


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


def render(renderable, file=None, width: int | None = None) -> None:
    Console(file=file, width=width, soft_wrap=False).print(renderable)
