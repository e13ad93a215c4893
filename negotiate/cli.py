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

import negotiate
from negotiate import registry
from negotiate.errors import CaseError, SolveError
from negotiate.results import Status, status_of

# Heavy modules (pydantic models, numpy, highspy, pandas) are imported inside the
# commands that need them: `negotiate --help` and `validate` start fast.

EXIT_OK, EXIT_CASE, EXIT_USAGE, EXIT_NO_AGREEMENT, EXIT_SOLVER = 0, 1, 2, 3, 4

ROOT_EXAMPLES = """
\b
Examples:
  negotiate validate cases/*.yaml
  negotiate solve cases/bilateral_fta.yaml --concept egalitarian
  negotiate explain cases/climate_club.yaml --format json
  negotiate compare cases/bilateral_fta.yaml --concepts all --report report.html
  negotiate COMMAND --help        (each command's options, defaults and examples)
"""

app = typer.Typer(
    name="negotiate",
    help="Propose agreements for multi-party negotiations: exact, explained, fast.",
    epilog=ROOT_EXAMPLES,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: readable at 80 columns, flags shown as --ideals / --no-ideals
)


class _LazyConsole:
    """A rich Console made on first use: `negotiate --help` does not import rich."""

    def __init__(self, **kw):
        self._kw, self._console = kw, None

    def __getattr__(self, name):
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kw)
        return getattr(self._console, name)


err = _LazyConsole(stderr=True)
out = _LazyConsole()


def _version(value: bool):
    if value:
        typer.echo(f"negotiate {negotiate.__version__}")
        raise typer.Exit()


_MODEL_PATH: list[Path] = []  # folders of the user's own models (--model-path)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit."),
          model_path: List[Path] = typer.Option([], "--model-path", help=(
              "A folder of your own models for `model:` (repeatable; also $NEGOTIATE_MODEL_PATH)."))):
    """Propose agreements for multi-party negotiations."""
    _MODEL_PATH[:] = model_path


CONCEPT_HELP = (registry.choices() + ". Default: the case's solve.concept (nash if the case does not say).")
SET_HELP = "A what-if change path=value, e.g. parameters.target=45 (repeatable)."
MIP_GAP_HELP = "Relative MIP gap at which the solver stops. Default: the case's solve.mip_gap (1e-7)."
ACCEPT_HELP = ("Require every party to get at least its reservation. "
               "Default: the case's solve.require_acceptance (on).")


def _settings(changes: dict, mip_gap: float | None, require_acceptance: bool | None) -> dict:
    """Flags that override the case's `solve:` settings, as changes of the case."""
    if mip_gap is not None:
        changes["solve.mip_gap"] = mip_gap
    if require_acceptance is not None:
        changes["solve.require_acceptance"] = require_acceptance
    return changes


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]usage error:[/red] {message}")
    return typer.Exit(EXIT_USAGE)


def _parse_sets(items: list[str]) -> dict:
    changes: dict = {}
    if not items:
        return changes
    from ruamel.yaml import YAML

    for item in items:
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
        from negotiate.solving import concept_name

        return concept_name(name)
    except ValueError as e:
        raise _usage(str(e)) from None


@contextlib.contextmanager
def _user_errors():
    """A bad case is exit 1 with every problem; a solver failure exit 4. No tracebacks."""
    try:
        yield
    except CaseError as e:
        from negotiate.report.text import case_errors  # rich, only when there is something to show

        err.print(case_errors(e))
        raise typer.Exit(EXIT_CASE) from None
    except SolveError as e:
        err.print(f"[red]solver failure:[/red] {e}")
        raise typer.Exit(EXIT_SOLVER) from None


def _writable(path: Path | None, flag: str) -> None:
    """Refuse an output file that cannot be written, before any solving."""
    if path is None:
        return
    problem = None
    if path.is_dir():
        problem = "is a folder"
    elif path.exists():
        if not path.is_file():
            problem = "is not a regular file"
        elif not os.access(path, os.W_OK):
            problem = "is not writable"
    elif not path.parent.is_dir():
        problem = f"is in a folder that does not exist ({path.parent})"
    elif not os.access(path.parent, os.W_OK):
        problem = f"is in a folder you cannot write to ({path.parent})"
    if problem:
        raise _usage(f"{flag} {path} {problem}")


@contextlib.contextmanager
def _writing(path: Path, flag: str):
    """A write that fails after all (a full disk, a read-only file system) is a usage error, not a bug."""
    try:
        yield
    except OSError as e:
        raise _usage(f"cannot write {flag} {path}: {e.strerror or e}") from None


def _emit(text: str, output: Path | None) -> None:
    """Machine-readable output: to the file, or alone on stdout."""
    text = text if text.endswith("\n") else text + "\n"
    if output:
        with _writing(output, "--output"):
            output.write_text(text)
    else:
        sys.stdout.write(text)


def _show(renderable, output: Path | None, width: int = 120) -> None:
    """A person-readable rendering: to the terminal, or to a file."""
    from negotiate.report.text import render

    if output:
        with _writing(output, "--output"), output.open("w") as fh:
            render(renderable, file=fh, width=width)
    else:
        render(renderable)


def _load(path: Path):
    with _user_errors():
        return negotiate.load_case(path, model_path=_MODEL_PATH)


@app.command(epilog="""
\b
Examples:
  negotiate validate cases/*.yaml
  negotiate validate my_case.yaml      (exit 1 and every problem, located, if it is invalid)
""")
def validate(cases: List[Path] = typer.Argument(..., metavar="CASE", help="Case files (YAML, JSON or TOML).")):
    """Check case files: every problem, located, at once."""
    from negotiate.case.load import load_case

    worst = EXIT_OK
    for path in cases:
        try:
            case = load_case(path, model_path=_MODEL_PATH)
        except CaseError as e:
            from negotiate.report.text import case_errors  # rich, only when there is something to show

            err.print(case_errors(e))
            worst = EXIT_CASE
            continue
        typer.secho("ok", fg="green", nl=False)
        typer.echo(f"  {path}: {case.name} ({len(case.parties)} parties, {len(case.issues)} issues)")
    raise typer.Exit(worst)


SOLVE_EXAMPLES = """
\b
Examples:
  negotiate solve cases/bilateral_fta.yaml
  negotiate solve cases/climate_club.yaml --concept ks --ideals
  negotiate solve cases/climate_club.yaml --set parameters.target=35 --format json -o result.json
  negotiate solve cases/eu_effort_sharing_2030.yaml --sweep parameters.target=36:44:2
  negotiate solve cases/trade_standards.yaml --mip-gap 1e-4 --no-require-acceptance

Exit codes: 0 agreement found, 1 invalid case file, 2 usage error, 3 no acceptable agreement, 4 solver failure.
"""


@app.command(epilog=SOLVE_EXAMPLES)
def solve(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file (YAML, JSON or TOML)."),
    concept: Optional[str] = typer.Option(None, "--concept", "-c", metavar="NAME", help=CONCEPT_HELP, show_default=False),
    set_: List[str] = typer.Option([], "--set", metavar="PATH=VALUE", help=SET_HELP, show_default=False),
    set_new: List[str] = typer.Option([], "--set-new", metavar="PATH=VALUE", show_default=False,
                                      help="Like --set, and may add a parameter or data field the case does "
                                           "not have (repeatable)."),
    fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT", help="text | json (| csv with --sweep)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", show_default=False,
                                          help="Write the result to this file (default: the terminal)."),
    backend: Optional[str] = typer.Option(None, "--backend", metavar="NAME", show_default=False,
                                          help="highs | pyomo (the registered backends). Default: the case's solve.backend (highs)."),
    solver: Optional[str] = typer.Option(None, "--solver", metavar="NAME", show_default=False,
                                         help="A Pyomo solver name (with --backend pyomo), e.g. appsi_highs, cbc."),
    ideals: Optional[bool] = typer.Option(None, "--ideals/--no-ideals", show_default=False,
                                          help="Compute every party's ideal and satisfaction. "
                                               "Default: the case's solve.ideals (off; always on for ks)."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", metavar="SECONDS", show_default=False,
                                               help="Seconds per solver call. Default: the case's solve.time_limit, "
                                                    "else 60 s per MIP solve (an LP has none)."),
    mip_gap: Optional[float] = typer.Option(None, "--mip-gap", metavar="GAP", min=0, max=1, help=MIP_GAP_HELP, show_default=False),
    require_acceptance: Optional[bool] = typer.Option(None, "--require-acceptance/--no-require-acceptance",
                                                      help=ACCEPT_HELP, show_default=False),
    sweep: Optional[str] = typer.Option(None, "--sweep", metavar="PATH=START:STOP:STEP", show_default=False,
                                        help="path=start:stop:step: one solve per value, on one warm model; "
                                             "shows how the agreement and each party's gain move."),
    voice: Optional[str] = typer.Option(None, "--voice", metavar="VOICE", show_default=False,
                                        help="equal | population | sqrt_population: party weights from data. "
                                             "Default: the case's own weights (equal voice)."),
):
    """Propose the agreement a solution concept gives for CASE."""
    if fmt not in ("text", "json", "csv") or (fmt == "csv" and not sweep):
        raise _usage(f"--format is text or json, or csv for a --sweep (got {fmt!r})")
    _writable(output, "--output")
    from negotiate.backends import backend_names

    if backend not in (None, *backend_names()):
        raise _usage(f"--backend is one of {', '.join(backend_names())} (got {backend!r})")
    if solver and backend != "pyomo":
        raise _usage("--solver chooses a Pyomo solver: add --backend pyomo")
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise _usage(f"--time-limit is a positive, finite number of seconds (got {time_limit:g})")
    name = _concept(concept)
    changes = _settings(_parse_sets(set_), mip_gap, require_acceptance)
    created = _parse_sets(set_new)
    if sweep:
        path, values = _parse_sweep(sweep)
        if voice:
            changes = _with_voice(_load(case_file), voice, changes)
        _sweep(case_file, path, values, name, changes, fmt, output, backend, solver, created)
        return
    case = _with_new(_load(case_file), created)
    changes = _with_voice(case, voice, changes)
    with _user_errors():
        shown = case.update(changes) if changes else case
    with _user_errors(), _solving_status(f"solving {case.name} ({name})"):
        result = negotiate.solve(shown, name, backend=backend, solver=solver, ideals=ideals,
                                 time_limit=time_limit)
    if fmt == "json":
        _emit(result.to_json(), output)
    else:
        from negotiate.report.text import proposal  # rich: for text output only

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
    if not all(math.isfinite(v) for v in (start, stop, step)) or not math.isfinite((stop - start) / (step or 1)):
        raise _usage(f"--sweep start, stop and step must be finite numbers (got {spec!r})")
    if step == 0 or (stop - start) / step < 0:
        raise _usage("--sweep step must be non-zero and go from start towards stop")
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    if count > 10_000:
        raise _usage(f"--sweep asks for {count:,} solves; at most 10,000")
    return path.strip(), [round(float(v), 12) for v in start + step * np.arange(count)]


def _with_new(case, created: dict):
    """The case with `--set-new` changes (which may add parameters and data fields)."""
    if not created:
        return case
    with _user_errors():
        return case.update(created, create=True)


def _sweep(case_file, path, values, concept, changes, fmt, output, backend, solver, created=None) -> None:
    from negotiate.report.text import sweep_table
    from negotiate.whatif import Negotiation

    case = _with_new(_load(case_file), created or {})
    with _user_errors():
        session = Negotiation(case, backend=backend, solver=solver)
        if changes:
            session.update(changes)
        frame = session.sweep(path, values, concept)
    if fmt == "json":
        _emit(frame.to_json(orient="records", indent=2), output)
        return
    if fmt == "csv":
        _emit(frame.to_csv(index=False), output)
        return
    title = f"{case.name}: sweep of {path} ({frame.shape[0]} solves, one warm model)"
    _show(sweep_table(frame, title, session.case), output)


COMPARE_EXAMPLES = """
\b
Examples:
  negotiate compare cases/bilateral_fta.yaml --concepts all
  negotiate compare cases/bilateral_fta.yaml --options drafts.yaml --scenario eu_farm_pressure
  negotiate compare cases/eu_effort_sharing_2030.yaml --sweep parameters.target=36:44:2 --report report.html
  negotiate compare CASE --sweep parameters.target=30:45:5 --sweep parties.PL.reservation=0.5:0.7:0.1
  negotiate compare CASE --workers 2 --format csv -o table.csv
  negotiate compare CASE --scheduler tcp://scheduler:8786
"""


@app.command(epilog=COMPARE_EXAMPLES)
def compare(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file (YAML, JSON or TOML)."),
    concepts: Optional[str] = typer.Option(None, "--concepts", metavar="NAMES", show_default=False,
                                           help="Comma-separated concepts, or all. Default: the case's "
                                                "solve.concept, or none when the case drafts options."),
    options: Optional[Path] = typer.Option(None, "--options", metavar="FILE", show_default=False,
                                           help="A YAML/JSON file of drafted packages (name -> package), "
                                                "added to the case's options. Default: the case's options."),
    scenario: List[str] = typer.Option([], "--scenario", metavar="NAME", show_default=False,
                                       help="A scenario of the case (repeatable). Default: all of them; "
                                            "the base case always comes first."),
    sweep: List[str] = typer.Option([], "--sweep", metavar="PATH=START:STOP:STEP", show_default=False,
                                    help="path=start:stop:step, more scenarios (repeat it for a grid)."),
    workers: int = typer.Option(1, "--workers", "-w", metavar="N", min=1, help="Worker processes (1: this process)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", show_default=False,
                                            help="A Dask scheduler address (tcp://...) to run the scenarios on."),
    mip_gap: Optional[float] = typer.Option(None, "--mip-gap", metavar="GAP", min=0, max=1, help=MIP_GAP_HELP, show_default=False),
    require_acceptance: Optional[bool] = typer.Option(None, "--require-acceptance/--no-require-acceptance",
                                                      help=ACCEPT_HELP, show_default=False),
    fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT", help="text | json | csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", show_default=False,
                                          help="Write the result to this file (default: the terminal)."),
    report: Optional[Path] = typer.Option(None, "--report", metavar="FILE.html", show_default=False,
                                          help="Also write a self-contained HTML report here."),
    voice: Optional[str] = typer.Option(None, "--voice", metavar="VOICE", show_default=False,
                                        help="equal | population | sqrt_population: party weights from data. "
                                             "Default: the case's own weights (equal voice)."),
):
    """Compare concepts, drafted options and scenarios side by side."""
    from negotiate.compare import compare as run_compare
    from negotiate.report.text import comparison_table

    if fmt not in ("text", "json", "csv"):
        raise _usage(f"--format is text, json or csv (got {fmt!r})")
    _writable(output, "--output")
    _writable(report, "--report")
    names = None
    if concepts:
        names = "all" if concepts.strip() == "all" else [_concept(c.strip()) for c in concepts.split(",") if c.strip()]
    sweeps = dict(_parse_sweep(s) for s in sweep)
    case = _load(case_file)
    settings = _settings({}, mip_gap, require_acceptance)
    if voice:
        settings = _with_voice(case, voice, settings)
    if settings:
        with _user_errors():
            case = case.update(settings)
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
            raise _usage("--scheduler needs dask: pip install \".[dask]\" (from a clone of negotiate)") from None
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
        with _writing(report, "--report"):
            report.write_text(result.to_html())
        err.print(f"report written to {report}")
    if fmt == "json":
        _emit(result.to_json(), output)
    elif fmt == "csv":
        _emit(result.to_csv(), output)
    else:
        _show(comparison_table(result), output)
    summary = result.failure_summary()
    if summary:  # rows that could not be computed: the batch did not do its job
        err.print(f"[red]{summary}[/red]", highlight=False)
        errors = any(status_of(r["status"]) is Status.ERROR for r in result.failed)
        raise typer.Exit(EXIT_SOLVER if errors else EXIT_CASE)
    answered = any(status_of(r["status"]).ok for r in result.rows)
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


EXPLAIN_EXAMPLES = """
\b
Examples:
  negotiate explain cases/climate_club.yaml
  negotiate explain cases/climate_club.yaml --concept utilitarian --format json
  negotiate explain tests/data/no_deal.yaml        # why there is no agreement
"""


@app.command(epilog=EXPLAIN_EXAMPLES, short_help="Shadow prices, or why there is no agreement.")
def explain(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file (YAML, JSON or TOML)."),
    concept: Optional[str] = typer.Option(None, "--concept", "-c", metavar="NAME", help=CONCEPT_HELP, show_default=False),
    set_: List[str] = typer.Option([], "--set", metavar="PATH=VALUE", help=SET_HELP, show_default=False),
    mip_gap: Optional[float] = typer.Option(None, "--mip-gap", metavar="GAP", min=0, max=1, help=MIP_GAP_HELP, show_default=False),
    require_acceptance: Optional[bool] = typer.Option(None, "--require-acceptance/--no-require-acceptance",
                                                      help=ACCEPT_HELP, show_default=False),
    fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT", help="text | json"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", show_default=False,
                                          help="Write the explanation to this file (default: the terminal)."),
    pivotal: bool = typer.Option(False, "--pivotal", help="Name the parties and constituencies whose "
                                 "acceptance is decisive (two-level cases)."),
):
    """Binding constraints, shadow prices and, without an agreement, why not."""
    from negotiate.report.text import explanation
    from negotiate.report.text import explanation_data

    if fmt not in ("text", "json"):
        raise _usage(f"--format is text or json (got {fmt!r})")
    _writable(output, "--output")
    name = _concept(concept)
    changes = _settings(_parse_sets(set_), mip_gap, require_acceptance)
    case = _load(case_file)
    if pivotal:
        raise typer.Exit(cli_twolevel.explain_pivotal(case, name, changes))
    with _user_errors():
        shown = case.update(changes) if changes else case
        result = negotiate.solve(shown, name)
    if fmt == "json":
        _emit(json.dumps(explanation_data(result, shown), indent=2), output)
    else:
        _show(explanation(result, shown), output)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_NO_AGREEMENT)


@app.command(epilog="""
\b
Example:
  negotiate models        (then `model: climate_targets` in a case file)
""")
def models():
    """The shipped negotiation models and their parameters."""
    from rich.table import Table

    from negotiate.case.load import read_document
    from negotiate.case.models import available_models

    console = out
    for name, path in available_models(_MODEL_PATH).items():
        try:
            data, _ = read_document(path)
        except CaseError:
            err.print(f"[yellow]skipped {path}: it cannot be read as a model[/yellow]")
            continue
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


@app.command(epilog="""
\b
Example:
  negotiate schema -o case.schema.json   (point your editor's YAML/JSON schema setting at it)
""")
def schema(output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", show_default=False,
                                                help="Write to this file (default: standard output).")):
    """The JSON Schema of case files (for editors and validators)."""
    from negotiate.case.schema import case_json_schema

    _emit(json.dumps(case_json_schema(), indent=2), output)


from negotiate import cli_twolevel  # noqa: E402,F401  (power, winset: registers its commands)
from negotiate.cli_twolevel import with_voice as _with_voice  # noqa: E402  (--voice on solve, compare)
from negotiate.cli_climate import register as _register_climate  # noqa: E402  (its command lives there)

_register_climate(app)
# `negotiate coalitions` lives in its own module
from negotiate import cli_coalitions  # noqa: E402

cli_coalitions.register(app)


def main() -> None:
    import signal

    if hasattr(signal, "SIGPIPE"):  # `negotiate ... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        app(prog_name="negotiate")
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


@contextlib.contextmanager
def _solving_status(message: str):
    """A spinner on stderr while a solve runs, when stderr is a terminal (never in pipes or logs)."""
    if not sys.stderr.isatty():
        yield
        return
    with err.status(message, spinner="dots"):
        yield


from negotiate.cli_interop import register as _register_interop  # noqa: E402  (negotiate import)

_register_interop(app)
