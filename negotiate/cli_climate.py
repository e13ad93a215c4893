"""`negotiate references CASE`: the least-cost split and effort-sharing rules beside the concepts.

Registered on the main typer app by `negotiate.cli`; a thin layer over
`negotiate.analysis.climate.references`.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

SHORT = {"least_cost": "least cost", "equal_cost_share": "equal cost/GDP", "gdp_per_capita": "GDP per cap.",
         "equal_per_capita": "equal per cap.", "ability_to_pay": "ability to pay", "official": "official",
         "status_quo": "status quo", "utilitarian": "utilit.", "egalitarian": "egalit.",
         "kalai_smorodinsky": "KS", "nash": "Nash"}


def register(app: typer.Typer) -> None:
    app.command(name="references")(references_command)


def references_command(
    case_file: Path = typer.Argument(..., metavar="CASE", help="A case on the climate_targets model."),
    concepts: Optional[str] = typer.Option(
        None, "--concepts", help="Comma-separated concepts to put beside the references (default: all four; "
                                 "`none` for none)."),
    set_: List[str] = typer.Option([], "--set", help="What-if change path=value (repeatable)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file."),
):
    """The least-cost split and effort-sharing rules beside each concept, with extra cost over least cost.

    Every reference meets the case's collective target: least cost (equal
    marginal abatement cost), equal cost as a share of GDP, the Commission's
    GDP-per-capita rule (bounded to [rule_floor, rule_cap]), equal per-capita
    emissions, ability to pay; then the case's official targets and status quo
    when it has them. Costs in bn a year, in the currency of data.mac.

    Example: negotiate references cases/eu_effort_sharing_2030.yaml --format json
    """
    from negotiate.analysis.climate import references
    from negotiate.cli import EXIT_OK, _concept, _emit, _load, _parse_sets, _show, _usage, _user_errors

    if fmt not in ("text", "json", "csv"):
        raise _usage(f"--format is text, json or csv (got {fmt!r})")
    names = None
    if concepts is not None:
        names = [] if concepts.strip() == "none" else [_concept(c.strip()) for c in concepts.split(",") if c.strip()]
    changes = _parse_sets(set_)
    case = _load(case_file)
    with _user_errors():
        if changes:
            case = case.update(changes)
        result = references(case, concepts=names)
    if fmt == "json":
        _emit(result.to_json(), output)
    elif fmt == "csv":
        _emit(_csv(result), output)
    else:
        from rich.console import Console

        width = 160 if output else Console().width
        _show(references_table(result, width), output, width=width)
    raise typer.Exit(EXIT_OK)


def _csv(result) -> str:
    frame = result.cuts_frame()
    summary = result.summary_frame()
    for row in ("collective_cut", "total_cost", "extra_cost", "extra_cost_same_cut"):
        frame.loc[row] = summary[row]
    return frame.to_csv(index_label="party")


def references_table(result, width: int = 160):
    """Rich tables: parties x allocations (cuts, %), then collective cut, cost and extra cost.

    Numbers are never cut: the allocations are split over as many tables as
    the width needs (about five columns at 80 characters).
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    allocs = result.allocations
    per_table = max(1, (width - 16) // 11)
    parts = []
    for start in range(0, len(allocs), per_table):
        chunk = allocs[start:start + per_table]
        title = f"{result.case}: cuts (% below base) meeting a {result.target:g}% collective cut" if start == 0 \
            else None
        table = Table(title=title, title_justify="left")
        table.add_column("party", style="cyan", no_wrap=True)
        for a in chunk:
            style = "bold" if a.kind == "least_cost" else ("magenta" if a.kind == "concept" else None)
            table.add_column(SHORT.get(a.name, a.name), justify="right", style=style, min_width=8)
        for p in result.parties:
            table.add_row(p, *[_num(a.cuts.get(p) if a.cuts else None, 1) for a in chunk])
        table.add_section()
        table.add_row("collective %", *[_num(a.collective_cut, 1) for a in chunk])
        table.add_row("cost bn/yr", *[_num(a.total_cost, 2) for a in chunk])
        table.add_row(Text("extra bn/yr", style="bold"), *[_num(a.extra_cost, 2, sign=True) for a in chunk])
        table.add_row("same-cut extra", *[_num(a.extra_cost_same_cut, 2, sign=True) for a in chunk])
        parts.append(table)
    legend = Table(show_header=False, box=None, pad_edge=False)
    legend.add_column(style="dim", no_wrap=True)
    legend.add_column(style="dim")
    for a in allocs:
        text = a.description if a.status == "optimal" else f"{a.status}: {a.description}"
        legend.add_row(SHORT.get(a.name, a.name), text)
    parts.append(legend)
    if result.eligibility:
        parts.append(Text("finance eligibility: " + "; ".join(result.eligibility), style="yellow"))
    parts.append(Text("extra bn/yr: total abatement cost minus that of the least-cost split of the "
                      "target; same-cut extra: minus that of the least-cost split of the allocation's own "
                      "collective cut (transfers move money between parties and are not a cost)", style="dim"))
    return Group(*parts)


def _num(v, digits: int, sign: bool = False) -> str:
    if v is None:
        return "-"
    text = f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"
    return "0.00" if sign and text in ("+0.00", "-0.00") else text
