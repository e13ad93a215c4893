"""The `negotiate` command: a thin typer layer over the Python API.

Exit codes (CASE_FORMAT.md): 0 agreement found, 1 invalid case file, 2 usage
error, 3 no acceptable agreement, 4 solver failure.
"""

from __future__ import annotations

import contextlib
import json
import math
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


@contextlib.contextmanager
def _user_errors():
    """A bad case is exit 1 with every problem; a solver failure exit 4. No tracebacks."""
    from negotiate.report.text import case_errors

    try:
        yield
    except CaseError as e:
        err.print(case_errors(e))
        raise typer.Exit(EXIT_CASE) from None
    except SolveError as e:
        err.print(f"[red]solver failure:[/red] {e}")
        raise typer.Exit(EXIT_SOLVER) from None


def _emit(text: str, output: Path | None) -> None:
    """Machine-readable output: to the file, or alone on stdout."""
    text = text if text.endswith("\n") else text + "\n"
    if output:
        output.write_text(text)
    else:
        sys.stdout.write(text)


def _show(renderable, output: Path | None, width: int = 120) -> None:
    """A person-readable rendering: to the terminal, or to a file."""
    from negotiate.report.text import render

    if output:
        with output.open("w") as fh:
            render(renderable, file=fh, width=width)
    else:
        render(renderable)


def _load(path: Path):
    with _user_errors():
        return negotiate.load_case(path)


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
    sweep: Optional[str] = typer.Option(None, "--sweep", help="path=start:stop:step: one solve per value (warm)."),
):
    """Propose the agreement a solution concept gives for CASE."""
    from negotiate.report.text import proposal

    if fmt not in ("text", "json"):
        raise _usage(f"--format is text or json (got {fmt!r})")
    if sweep:
        path, values = _parse_sweep(sweep)
        _sweep(case_file, path, values, _concept(concept), _parse_sets(set_), fmt, output, backend, solver)
        return
    if backend not in (None, "highs", "pyomo"):
        raise _usage(f"--backend is highs or pyomo (got {backend!r})")
    if solver and backend != "pyomo":
        raise _usage("--solver chooses a Pyomo solver: add --backend pyomo")
    name = _concept(concept)
    changes = _parse_sets(set_)
    case = _load(case_file)
    with _user_errors():
        result = negotiate.solve(case, name, backend=backend, solver=solver, ideals=ideals or None,
                                 time_limit=time_limit, changes=changes or None)
    shown = case.update(changes) if changes else case
    if fmt == "json":
        _emit(result.to_json(), output)
    else:
        _show(proposal(result, shown), output)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_NO_AGREEMENT)


def _parse_sweep(text: str) -> tuple[str, list[float]]:
    import numpy as np

    if "=" not in text or text.count(":") != 2:
        raise _usage(f"--sweep takes path=start:stop:step, e.g. parameters.target=30:50:5 (got {text!r})")
    path, spec = text.split("=", 1)
    try:
        start, stop, step = (float(x) for x in spec.split(":"))
    except ValueError:
        raise _usage(f"--sweep start, stop and step must be numbers (got {spec!r})") from None
    if step == 0 or (stop - start) / step < 0:
        raise _usage("--sweep step must be non-zero and go from start towards stop")
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    if count > 10_000:
        raise _usage(f"--sweep asks for {count:,} solves; at most 10,000")
    return path.strip(), [round(float(v), 12) for v in start + step * np.arange(count)]


def _sweep(case_file, path, values, concept, changes, fmt, output, backend, solver) -> None:
    from negotiate.report.text import sweep_table
    from negotiate.whatif import Negotiation

    case = _load(case_file)
    with _user_errors():
        session = Negotiation(case, backend=backend, solver=solver)
        if changes:
            session.update(changes)
        frame = session.sweep(path, values, concept)
    if fmt == "json":
        _emit(frame.to_json(orient="records", indent=2), output)
        return
    _show(sweep_table(frame, f"{case.name}: sweep of {path} ({frame.shape[0]} solves, one warm model)"),
          output, width=160)


@app.command()
def compare(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file."),
    concepts: Optional[str] = typer.Option(None, "--concepts", help="Comma-separated concepts, or all."),
    options: Optional[Path] = typer.Option(None, "--options", help="A YAML/JSON file of drafted packages."),
    scenario: List[str] = typer.Option([], "--scenario", help="A scenario of the case (repeatable; default all)."),
    sweep: List[str] = typer.Option([], "--sweep", help="path=start:stop:step (repeatable: a grid)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="A Dask scheduler address (tcp://...)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a self-contained HTML report here."),
):
    """Compare concepts, drafted options and scenarios side by side."""
    from negotiate.compare import compare as run_compare
    from negotiate.report.text import comparison_table

    if fmt not in ("text", "json", "csv"):
        raise _usage(f"--format is text, json or csv (got {fmt!r})")
    names = None
    if concepts:
        names = "all" if concepts.strip() == "all" else [_concept(c.strip()) for c in concepts.split(",") if c.strip()]
    sweeps = dict(_parse_sweep(s) for s in sweep)
    case = _load(case_file)
    drafts = None
    if options:
        from negotiate.case.load import read_document

        with _user_errors():
            drafts, _ = read_document(options)
        drafts = {**case.options, **drafts}
    executor, client = None, None
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise _usage("--scheduler needs dask: pip install 'negotiate-optimizer[dask]'") from None
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as e:
            err.print(f"[red]cannot reach the Dask scheduler {scheduler}:[/red] {e}")
            raise typer.Exit(EXIT_SOLVER) from None
        executor = client.get_executor()
    try:
        with _user_errors(), _progress() as tick:
            result = run_compare(case, concepts=names, options=drafts, scenarios=scenario or None,
                                 sweeps=sweeps or None, executor=executor, workers=workers, progress=tick)
    finally:
        if client is not None:
            client.close()
    if result.interrupted:
        err.print(f"[yellow]interrupted: {len(result.rows)} rows finished[/yellow]")
    if report:
        report.write_text(result.to_html())
        err.print(f"report written to {report}")
    if fmt == "json":
        _emit(result.to_json(), output)
    elif fmt == "csv":
        _emit(result.to_csv(), output)
    else:
        _show(comparison_table(result), output, width=160)
    answered = any(r.get("status") in ("optimal", "feasible", "acceptable", "rejected") for r in result.rows)
    raise typer.Exit(EXIT_OK if answered else EXIT_NO_AGREEMENT)


@contextlib.contextmanager
def _progress():
    """A progress bar on stderr for long batches (off when stderr is not a terminal)."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task("scenarios", total=None)

        def tick(done, total):
            bar.update(task, completed=done, total=total)

        yield tick


@app.command()
def explain(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file."),
    concept: Optional[str] = typer.Option(None, "--concept", "-c", help="The concept whose prices to explain."),
    set_: List[str] = typer.Option([], "--set", help="What-if change path=value (repeatable)."),
):
    """Binding constraints, shadow prices and, without an agreement, why not."""
    from rich.text import Text

    from negotiate.report.text import _num, compact_table, diagnosis, red_line_costs

    name = _concept(concept)
    changes = _parse_sets(set_)
    case = _load(case_file)
    with _user_errors():
        shown = case.update(changes) if changes else case
        result = negotiate.solve(shown, name)
    console = Console()
    console.print(Text(f"{case.name}  ·  {result.concept}  ·  {result.status}", style="bold"))
    if result.ok:
        prices = result.shadow_prices or {}
        table = compact_table(f"Constraints at the agreement (prices: change of {prices.get('objective')} per unit "
                              "of relaxation" + (", given the discrete choices" if prices.get(
                                  "conditional_on_discrete_choices") else "") + ")")
        for col in ("constraint", "value", "bound", "slack", "binding", "price"):
            table.add_column(col, justify="left" if col == "constraint" else "right",
                             no_wrap=col != "constraint", overflow="fold")
        for c in sorted(result.constraints, key=lambda c: (not c.binding, -(c.shadow_price or 0))):
            table.add_row(c.id, _num(c.value), _bound_text(c), _num(c.slack, 4),
                          "yes" if c.binding else "", _num(c.shadow_price, 4))
        console.print(table)
        for line in red_line_costs(result, shown, top=3):
            console.print("  " + line)
    else:
        for part in diagnosis(result.diagnosis or {}):
            console.print(part)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_NO_AGREEMENT)


def _bound_text(c) -> str:
    from negotiate.report.text import _num

    if c.lower is not None and c.upper is not None:
        return _num(c.lower) if c.lower == c.upper else f"{_num(c.lower)}..{_num(c.upper)}"
    return f">= {_num(c.lower)}" if c.lower is not None else f"<= {_num(c.upper)}"


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

    _emit(json.dumps(case_json_schema(), indent=2), output)


# `negotiate coalitions` lives in its own module
from negotiate import cli_coalitions  # noqa: E402

cli_coalitions.register(app)


def main() -> None:
    import signal

    if hasattr(signal, "SIGPIPE"):  # `negotiate ... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
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
