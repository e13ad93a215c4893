"""`negotiate import`: a Genius / GeniusWeb domain folder as a commented case file."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)


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
