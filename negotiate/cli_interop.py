"""`negotiate import` (a Genius / GeniusWeb domain as a commented case file) and
`negotiate ties` (every agreement a concept finds equally good)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("ties")(ties_command)


def import_command(
    path: Path = typer.Argument(..., metavar="PATH", help="A Genius (XML) or GeniusWeb (JSON) domain folder."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the case here (default: stdout)."),
    party: List[str] = typer.Option([], "--party", "-p",
                                    help="Import only this profile (its name, file name or id; repeatable)."),
    fmt: Optional[str] = typer.Option(None, "--format", help="genius | geniusweb (default: from the files)."),
    ignore_discount: bool = typer.Option(False, "--ignore-discount",
                                         help="Import discounted Genius profiles undiscounted (noted in the case)."),
):
    """Import a Genius or GeniusWeb domain: one party per profile, exact or refused."""
    import sys

    from negotiate.cli import EXIT_OK, _usage, _user_errors, err
    from negotiate.interop import import_domain

    if fmt not in (None, "genius", "geniusweb"):
        raise _usage(f"--format is genius or geniusweb (got {fmt!r})")
    if not path.exists():
        raise _usage(f"no such file or folder: {path}")
    with _user_errors():
        imported = import_domain(path, party or None, fmt=fmt, ignore_discount=ignore_discount)
    case = imported.case
    if output:
        imported.write(output)
        err.print(f"[green]imported[/green] {case.name}: {len(case.issues)} issues, "
                  f"{len(case.parties)} parties ({', '.join(case.parties)}) -> {output}")
    else:
        sys.stdout.write(imported.yaml)
    raise typer.Exit(EXIT_OK)


def ties_command(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file (discrete issues)."),
    concept: Optional[str] = typer.Option(None, "--concept", "-c",
                                          help="utilitarian | egalitarian | kalai_smorodinsky (ks) | nash"),
    limit: int = typer.Option(1000, "--limit", min=1, help="List at most this many ties."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file."),
):
    """Every agreement the concept finds equally good (the first is the one proposed)."""
    import json

    import negotiate
    from negotiate.cli import EXIT_NO_AGREEMENT, EXIT_OK, _concept, _emit, _load, _show, _usage, _user_errors

    if fmt not in ("text", "json", "csv"):
        raise _usage(f"--format is text, json or csv (got {fmt!r})")
    name = _concept(concept)
    case = _load(case_file)
    with _user_errors():
        try:
            found = negotiate.ties(case, name, limit=limit)
        except ValueError as e:
            raise _usage(str(e)) from None
    if fmt == "json":
        _emit(json.dumps(found.to_dict(), indent=2), output)
    elif fmt == "csv":
        _emit(found.frame().to_csv(index=False), output)
    else:
        _show(_ties_table(found), output, width=160)
    raise typer.Exit(EXIT_OK if found.count else EXIT_NO_AGREEMENT)


def _ties_table(found):
    from rich.console import Group
    from rich.text import Text

    from negotiate.report.text import _num, compact_table

    more = "" if found.complete else " (at least: the search stopped at its limit)"
    head = Text(f"{found.case}  ·  {found.concept}  ·  {found.count} equally good agreement"
                f"{'s' if found.count != 1 else ''}{more} among {found.outcomes:,} outcomes ({found.method})",
                style="bold")
    frame = found.frame()
    if frame.empty:
        return Group(head, Text("no acceptable agreement"))
    table = compact_table()
    table.add_column("#", justify="right")
    for col in frame.columns:
        table.add_column(col.replace("utility.", "u "), justify="right" if col.startswith("utility.") else "left")
    for k, row in enumerate(frame.itertuples(index=False), start=1):
        table.add_row(str(k), *[_num(v) if isinstance(v, float) else str(v) for v in row])
    lines = [head, table]
    if not found.listed_all:
        lines.append(Text(f"the first {len(found.agreements):,} are listed"))
    from negotiate.tie_sets import AUTO_CAP

    if found.outcomes <= AUTO_CAP:
        lines.append(Text("the first row is the agreement `negotiate solve` proposes", style="dim"))
    return Group(*lines)
