"""The `negotiate` command: a thin typer layer over the Python API.

Exit codes (CASE_FORMAT.md): 0 agreement found, 1 invalid case file, 2 usage
error, 3 no acceptable agreement, 4 solver failure.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

import negotiate
from negotiate.errors import CaseError, SolveError

EXIT_OK, EXIT_CASE, EXIT_USAGE, EXIT_NO_AGREEMENT, EXIT_SOLVER = 0, 1, 2, 3, 4

app = typer.Typer(
    name="negotiate",
    help="Propose agreements for multi-party negotiations: exact, explained, fast.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
err = Console(stderr=True)


def _version(value: bool):
    if value:
        typer.echo(f"negotiate {negotiate.__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")):
    """Propose agreements for multi-party negotiations."""


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]usage error:[/red] {message}")
    return typer.Exit(EXIT_USAGE)


def _parse_sets(items: list[str]) -> dict:
    from ruamel.yaml import YAML

    changes = {}
    for item in items or []:
        if "=" not in item:
            raise _usage(f"--set takes path=value, e.g. parameters.target=0.4 (got {item!r})")
        path, raw = item.split("=", 1)
        try:
            value = YAML(typ="safe").load(raw) if raw.strip() else ""
        except Exception:
            value = raw
        changes[path.strip()] = value
    return changes


def _concept(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return negotiate.solving.concept_name(name)
    except ValueError as e:
        raise _usage(str(e)) from None


def _load(path: Path):
    from negotiate.report.text import case_errors

    try:
        return negotiate.load_case(path)
    except CaseError as e:
        err.print(case_errors(e))
        raise typer.Exit(EXIT_CASE) from None


@app.command()
def validate(cases: List[Path] = typer.Argument(..., help="Case files (YAML, JSON or TOML).")):
    """Check case files: every problem, located, at once."""
    from negotiate.report.text import case_errors

    worst = EXIT_OK
    for path in cases:
        try:
            case = negotiate.load_case(path)
        except CaseError as e:
            err.print(case_errors(e))
            worst = EXIT_CASE
            continue
        Console().print(f"[green]ok[/green]  {path}: {case.name} ({len(case.parties)} parties, "
                        f"{len(case.issues)} issues)")
    raise typer.Exit(worst)


@app.command()
def solve(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file."),
    concept: Optional[str] = typer.Option(None, "--concept", "-c",
                                          help="utilitarian | egalitarian | kalai_smorodinsky (ks) | nash"),
    set_: List[str] = typer.Option([], "--set", help="What-if change path=value (repeatable)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file."),
    backend: Optional[str] = typer.Option(None, "--backend", help="highs (default) | pyomo"),
    solver: Optional[str] = typer.Option(None, "--solver", help="Pyomo solver name (with --backend pyomo)."),
    ideals: bool = typer.Option(False, "--ideals", help="Compute every party's ideal and satisfaction."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="Seconds per solver call."),
):
    """Propose the agreement a solution concept gives for CASE."""
    from negotiate.report.text import case_errors, proposal, render

    if fmt not in ("text", "json"):
        raise _usage(f"--format is text or json (got {fmt!r})")
    if backend not in (None, "highs", "pyomo"):
        raise _usage(f"--backend is highs or pyomo (got {backend!r})")
    if solver and backend != "pyomo":
        raise _usage("--solver chooses a Pyomo solver: add --backend pyomo")
    name = _concept(concept)
    changes = _parse_sets(set_)
    case = _load(case_file)
    try:
        result = negotiate.solve(case, name, backend=backend, solver=solver, ideals=ideals or None,
                                 time_limit=time_limit, changes=changes or None)
    except CaseError as e:
        err.print(case_errors(e))
        raise typer.Exit(EXIT_CASE) from None
    except SolveError as e:
        err.print(f"[red]solver failure:[/red] {e}")
        raise typer.Exit(EXIT_SOLVER) from None
    shown = case.update(changes) if changes else case
    if fmt == "json":
        text = result.to_json()
        if output:
            output.write_text(text + "\n")
        else:
            sys.stdout.write(text + "\n")
    else:
        if output:
            with output.open("w") as fh:
                render(proposal(result, shown), file=fh, width=120)
        else:
            render(proposal(result, shown))
    raise typer.Exit(EXIT_OK if result.ok else EXIT_NO_AGREEMENT)


@app.command()
def models():
    """The shipped negotiation models and their parameters."""
    from rich.table import Table

    from negotiate.case.load import read_document
    from negotiate.case.models import available_models

    console = Console()
    for name, path in available_models().items():
        data, _ = read_document(path)
        table = Table(title=f"[bold]{name}[/bold]: {data.get('name', '')}", title_justify="left",
                      caption=" ".join(str(data.get("description", "")).split()), caption_justify="left")
        table.add_column("parameter", style="cyan", no_wrap=True)
        table.add_column("default", justify="right")
        table.add_column("unit", style="dim")
        table.add_column("meaning")
        for pname, spec in (data.get("parameters") or {}).items():
            spec = spec if isinstance(spec, dict) else {"default": spec}
            table.add_row(pname, str(spec.get("default")), str(spec.get("unit", "")), str(spec.get("meaning", "")))
        console.print(table)
        console.print()


@app.command()
def schema(output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file.")):
    """The JSON Schema of case files (for editors and validators)."""
    from negotiate.case.schema import case_json_schema

    text = json.dumps(case_json_schema(), indent=2) + "\n"
    if output:
        output.write_text(text)
    else:
        sys.stdout.write(text)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]")
        sys.exit(130)
    except Exception as e:  # an internal bug: say so briefly, no traceback unless asked
        if os.environ.get("NEGOTIATE_DEBUG"):
            raise
        err.print(f"[red]internal error:[/red] {type(e).__name__}: {e}\n"
                  "This is a bug in negotiate; set NEGOTIATE_DEBUG=1 for the traceback.")
        sys.exit(EXIT_SOLVER)


if __name__ == "__main__":
    main()
