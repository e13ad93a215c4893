"""`negotiate coalitions CASE`: who agrees with whom, whether it holds, what each adds.

Registered on the main app by `negotiate.cli`; a thin layer over
`negotiate.analysis.coalitions.coalitions`.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from negotiate import cli


def coalitions(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file (with a `status_quo:`)."),
    concept: Optional[str] = typer.Option(None, "--concept", "-c",
                                          help="How members agree: utilitarian | egalitarian | ks | nash"),
    outsiders: str = typer.Option("status_quo", "--outsiders",
                                  help="status_quo | best_response (outsiders maximise their own utility)."),
    every: bool = typer.Option(False, "--all", help="Every coalition (default up to 10 parties)."),
    bloc: List[str] = typer.Option([], "--bloc", help="A bloc of the case's `blocs:` (repeatable)."),
    members: List[str] = typer.Option([], "--members", help="A coalition, A,B,C (repeatable)."),
    shapley: bool = typer.Option(False, "--shapley", help="Shapley values (exact to 15 parties, sampled beyond)."),
    nucleolus: bool = typer.Option(False, "--nucleolus", help="Nucleolus and least core (to 15 parties)."),
    core: bool = typer.Option(False, "--core", help="Is the grand coalition's agreement in the core?"),
    tolerance: float = typer.Option(1e-6, "--tolerance", min=0, help="Stability tolerance, relative."),
    shapley_tolerance: float = typer.Option(0.01, "--shapley-tolerance", min=1e-9,
                                            help="Sampled Shapley: half-width of the 95% intervals."),
    set_: List[str] = typer.Option([], "--set", help="What-if change path=value (repeatable)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="A Dask scheduler address (tcp://...)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a self-contained HTML report here."),
):
    """Coalitions with outsiders at the status quo: stability, worth, Shapley, core, nucleolus."""
    from negotiate.analysis.coalitions import coalitions as run
    from negotiate.report.coalitions import coalitions_text

    if fmt not in ("text", "json"):
        raise cli._usage(f"--format is text or json (got {fmt!r})")
    if sum(bool(x) for x in (every, bloc, members)) > 1:
        raise cli._usage("choose one of --all, --bloc and --members")
    name = cli._concept(concept)
    changes = cli._parse_sets(set_)
    case = cli._load(case_file)
    if changes:
        with cli._user_errors():
            case = case.update(changes)
    executor, client = None, None
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise cli._usage("--scheduler needs dask: pip install 'negotiate-optimizer[dask]'") from None
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as e:
            cli.err.print(f"[red]cannot reach the Dask scheduler {scheduler}:[/red] {e}")
            raise typer.Exit(cli.EXIT_SOLVER) from None
        executor = client.get_executor()
    chosen = "all" if every else (list(members) if members else None)
    try:
        with cli._user_errors(), cli._progress() as tick:
            result = run(case, name, chosen, outsiders=outsiders, blocs=list(bloc) or None, shapley=shapley, nucleolus=nucleolus,
                         core=core, tolerance=tolerance, shapley_tolerance=shapley_tolerance,
                         executor=executor, workers=workers, progress=tick)
    except ValueError as e:
        raise cli._usage(str(e)) from None
    finally:
        if client is not None:
            client.close()
    if report:
        report.write_text(result.to_html())
        cli.err.print(f"report written to {report}")
    if fmt == "json":
        cli._emit(result.to_json(), output)
    else:
        cli._show(coalitions_text(result), output)
    formed = result.grand.formed or any(c.formed for c in result.coalitions)
    raise typer.Exit(cli.EXIT_OK if formed else cli.EXIT_NO_AGREEMENT)


def register(app: typer.Typer) -> None:
    app.command(name="coalitions")(coalitions)
