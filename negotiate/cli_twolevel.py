"""CLI commands of two-level negotiation: `negotiate power` and `negotiate winset`.

Registered on the main typer app by negotiate/cli.py (a single import there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from negotiate.cli import EXIT_OK, _emit, _load, _show, _usage, _user_errors, app, err, out
from negotiate.errors import CaseError

PRESETS = {
    "unanimity": "unanimity",
    # The EU Council since 2014 (TEU art. 16(4)): 55% of members, 65% of population,
    # a blocking minority needs at least four members.
    "eu_council": {"qualified_majority": {"parties": 0.55, "weight": "data.pop", "weight_share": 0.65,
                                          "blocking_minority": 4}},
}


def rule_case(case, rule: str | None):
    """The case with `--rule` applied: a preset name or a YAML mapping of `decision_rule`."""
    if rule is None:
        return case
    from ruamel.yaml import YAML

    value = PRESETS.get(rule.strip())
    if value is None:
        try:
            value = YAML(typ="safe").load(rule)
        except Exception as e:
            raise _usage(f"--rule is unanimity, eu_council or a YAML mapping ({e})") from None
        if not isinstance(value, dict):
            raise _usage(f"--rule is unanimity, eu_council or a YAML mapping such as "
                         f"'{{qualified_majority: {{parties: 0.55}}}}' (got {rule!r})")
    if value == PRESETS["eu_council"] and not all("pop" in p.data for p in case.parties.values()):
        value = {"qualified_majority": {**value["qualified_majority"], "weight": "data.population"}}
    try:
        return case.update({"decision_rule": value})
    except CaseError as e:
        raise _usage("--rule: " + "; ".join(f"{p.path}: {p.message}" for p in e.problems)) from None


@app.command()
def power(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file."),
    rule: Optional[str] = typer.Option(None, "--rule", help="unanimity | eu_council | a YAML decision_rule "
                                       "mapping (default: the case's decision_rule)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file."),
):
    """Voting power under the decision rule: winning coalitions, Banzhaf and Shapley-Shubik, exact."""
    from negotiate.analysis.power import PowerError, voting_power
    from negotiate.formulation.rules import voting_rule

    if fmt not in ("text", "json", "csv"):
        raise _usage(f"--format is text, json or csv (got {fmt!r})")
    case = rule_case(_load(case_file), rule)
    with _user_errors():
        try:
            result = voting_power(voting_rule(case), case.name,
                                  [p for p, party in case.parties.items() if party.role == "stakeholder"])
        except PowerError as e:
            err.print(f"[red]cannot count exactly:[/red] {e}")
            raise typer.Exit(1) from None
    if fmt == "json":
        _emit(result.to_json(), output)
    elif fmt == "csv":
        _emit(result.frame().to_csv(), output)
    else:
        _show(power_table(result), output)
    raise typer.Exit(EXIT_OK)


def power_table(result):
    from rich.console import Group
    from rich.text import Text

    from negotiate.report.text import _num, compact_table

    n = len(result.parties)
    head = Text(f"{result.case}  ·  {result.rule}: {result.description}", style="bold")
    line = Text(f"{result.winning_coalitions:,} of 2^{n} = {2 ** n:,} coalitions pass: "
                f"winning fraction {result.winning_fraction:.4%}  ({result.seconds * 1000:.0f} ms, exact)")
    table = compact_table("Voting power (Banzhaf normalised to sum 1; absolute: chance of being decisive)")
    for col in ("party", "weight", "banzhaf", "absolute", "shapley_shubik", "swings"):
        table.add_column(col, justify="left" if col == "party" else "right")
    order = sorted(result.parties, key=lambda p: -result.banzhaf[p])
    for p in order:
        table.add_row(p, _num((result.weights or {}).get(p)), _num(result.banzhaf[p], 4),
                      _num(result.banzhaf_absolute[p], 4), _num(result.shapley_shubik[p], 4),
                      _num(result.swings[p]))
    parts = [head, line, table]
    if result.stakeholders:
        parts.append(Text("no vote (stakeholders): " + ", ".join(result.stakeholders), style="dim"))
    return Group(*parts)


def with_voice(case, voice: str | None, changes: dict) -> dict:
    """`--voice`: party weights from data, as what-if changes (explicit --set changes win)."""
    from negotiate.formulation.rules import VOICES, voice_changes

    if voice is None:
        return changes
    if voice not in VOICES:
        raise _usage(f"--voice is one of {', '.join(VOICES)} (got {voice!r})")
    with _user_errors():
        return {**voice_changes(case, voice), **changes}


@app.command()
def winset(
    case_file: Path = typer.Argument(..., metavar="CASE", help="The case file."),
    party: str = typer.Option(..., "--party", "-p", help="The party whose win-set to compute."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | csv"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file."),
):
    """What PARTY would ratify, per issue, beside what the decision rule would pass."""
    from negotiate.analysis.winset import winset as compute
    from negotiate.case.expr import did_you_mean

    if fmt not in ("text", "json", "csv"):
        raise _usage(f"--format is text, json or csv (got {fmt!r})")
    case = _load(case_file)
    if party not in case.parties:
        hint = did_you_mean(party, case.parties) or "parties: " + ", ".join(case.parties)
        raise _usage(f"no party `{party}` in the case ({hint})")
    with _user_errors():
        result = compute(case, party)
    if fmt == "json":
        _emit(result.to_json(), output)
    elif fmt == "csv":
        _emit(result.frame().to_csv(), output)
    else:
        _show(winset_table(result), output)
    raise typer.Exit(EXIT_OK if not result.empty else 3)


def winset_table(result):
    from rich.console import Group
    from rich.text import Text

    from negotiate.analysis.winset import _text
    from negotiate.report.text import compact_table

    head = Text(f"{result.case}  ·  win-set of {result.party}", style="bold")
    if result.empty:
        return Group(head, Text(f"{result.party} would ratify no agreement within the ranges, limits and "
                                "constraints", style="red"))
    table = compact_table("Range of each issue over the agreements")
    table.add_column("issue", style="cyan")
    table.add_column(f"{result.party} ratifies", justify="right")
    table.add_column("rule passes", justify="right")
    for label in result.ratifiable:
        table.add_row(label, _text(result.ratifiable.get(label)), _text((result.passable or {}).get(label)))
    parts = [head, table]
    if result.passable is None:
        parts.append(Text("the decision rule passes no agreement at all", style="red"))
    if result.constituencies:
        if result.binding:
            for c, widened in result.binding.items():
                parts.append(Text(f"  {c} binds: if its consent were not needed, {result.party} would also ratify "
                                  + "; ".join(f"{k} {_text(v)}" for k, v in widened.items())))
        else:
            parts.append(Text(f"  no constituency of {result.party} binds the win-set"))
    parts.append(Text(f"{result.solves} exact solves", style="dim"))
    return Group(*parts)


def explain_pivotal(case, concept, changes) -> int:
    """`negotiate explain CASE --pivotal`: whose acceptance is decisive for the proposal."""
    import negotiate
    from negotiate.analysis.winset import pivots

    console = out
    with _user_errors():
        shown = case.update(changes) if changes else case
        result = negotiate.solve(shown, concept)
    console.print(f"[bold]{case.name}  ·  {result.concept}  ·  {result.status}[/bold]")
    found = pivots(result, shown)
    if found is None:
        console.print("no agreement: nobody is pivotal")
        return 3
    console.print(f"accepting ({found['rule']}): {', '.join(found['accepting'])}")
    if found["pivotal_parties"]:
        console.print("pivotal parties (without any one of them the agreement fails): "
                      + ", ".join(found["pivotal_parties"]))
    else:
        console.print("no single party is pivotal: the agreement passes without any one of them")
    for p, cs in found["pivotal_constituencies"].items():
        tag = " (and the party is pivotal)" if p in found["pivotal_parties"] else ""
        console.print(f"  {p} ratifies only with the consent of: {', '.join(cs)}{tag}")
    for p, cs in found["ratified_only_with_side_payments"].items():
        console.print(f"  {p} pays side payments to: {', '.join(cs)}")
    return 0
