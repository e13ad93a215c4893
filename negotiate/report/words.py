"""The diagnosis in a negotiator's words, in the units of the case.

The diagnosis (negotiate.diagnose) reports each concession on a model row:
its id, the side relaxed and the bound's old and new values, in the row's own
units (a collective target's row is `sum(base * reduction) >= target *
sum(base)`, so its bound is in tonnes, not percent). This module says the
same thing the way a mediator would:

- a reservation: "lower NOR's reservation from 0.6 to 0.52 (the utility it
  needs to accept a deal)";
- a red line or collective constraint whose bound moves with one parameter
  (`price >= price_floor`, `expr >= target * k`, any affine dependence): the
  parameter's new value, in the parameter's unit ("lower the collective target
  from 55% to 52% (parameters.target = 52)");
- otherwise, a row on a single issue: the bound in that issue's unit ("lower
  NOR's price floor from 100 to 80 EUR/t"); else the row's own units.

Nothing here changes the diagnosis: it reads the case and the diagnosis data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from negotiate.case.schema import Case


@dataclass(frozen=True)
class Bound:
    """Where a concession's bound comes from, in the case's words."""

    what: str  # "NOR's price floor", "the collective target"
    unit: str  # "" when the case gives none
    scale: float = 1.0  # row units per unit of what is reported
    offset: float = 0.0  # row bound = offset + scale * reported value
    parameter: str | None = None  # parameters.NAME when the bound moves with a parameter


def concession(change: dict, case: Case | None) -> str:
    """One concession of a diagnosis in words (falls back to the diagnosis's own text)."""
    if case is None:
        return change.get("text") or ""
    kind, party = change.get("kind"), change.get("party")
    old, new = change.get("from"), change.get("to")
    if old is None or new is None:
        return change.get("text") or ""
    if kind == "reservation":
        return (f"lower {party}'s reservation from {_g(old)} to {_g(new)} "
                f"(the utility it needs to accept a deal)")
    try:
        bound = describe_bound(case, change["id"], party, change.get("bound", "lower"))
    except Exception:  # an id the case cannot place (a row of a newer model): say it as the diagnosis did
        bound = None
    if bound is None:
        return change.get("text") or ""
    a, b = (old - bound.offset) / bound.scale, (new - bound.offset) / bound.scale
    verb = "lower" if b < a else "raise"
    text = f"{verb} {bound.what} from {_with_unit(a, b, bound.unit)}"
    if bound.parameter:
        text += f" ({bound.parameter} = {_g(b)})"
    return text


def describe_bound(case: Case, row_id: str, party: str | None, side: str) -> Bound | None:
    """How a limit's or constraint's bound reads in the case: by a parameter or an issue."""
    from negotiate.case import expr
    from negotiate.case.resolve import env_for

    base, _, label = row_id.partition("[")
    label = label.rstrip("]")
    parts = base.split(".")
    if parts[0] == "parties" and len(parts) == 4 and parts[2] == "limits":
        owner = parts[1]
        text = case.parties[owner].limits[parts[3]]
        what = f"{owner}'s {_words(parts[3])}"
    elif parts[0] == "constraints" and len(parts) == 2:
        owner = None
        text = case.constraints[parts[1]]
        name = _words(parts[1])
        what = f"the {name}" if "collective" in name else f"the collective {name}"
    else:
        return None
    if label:
        what += f" for {label}"

    def row_of(parameters: dict):
        env = env_for(case, owner)
        if parameters is not case.parameters:
            env = _with_parameters(env, parameters)
        for r in expr.constraint(text, env):
            if r.label == label:
                return r
        return None

    row = row_of(case.parameters)
    if row is None:
        return None
    pick = (lambda r: r.lo) if side == "lower" else (lambda r: r.hi)
    for name in sorted(_parameters_in(text, case)):
        value = case.parameters[name]
        moved = row_of({**case.parameters, name: value + 1.0})
        if moved is None or moved.lin.terms != row.lin.terms:
            continue  # the parameter is on the expression's side: not a bound
        slope = pick(moved) - pick(row)
        if not math.isfinite(slope) or abs(slope) < 1e-12:
            continue
        unit = parameter_unit(case, name) or _mean_unit(case, row, slope)
        return Bound(what, unit, slope, pick(row) - slope * value, f"parameters.{name}")
    issues = {k[0] for k in row.lin.terms}
    if len(row.lin.terms) == 1:  # one issue value: the bound in that issue's unit
        ((key, coef),) = row.lin.terms.items()
        return Bound(what, case.issues[key[0]].unit or "", coef)
    if len(issues) == 1:
        return Bound(what + f" (a bound on {issues.pop()})", "")
    return Bound(what, "")


def _with_parameters(env, parameters: dict):
    import dataclasses

    return dataclasses.replace(env, parameters=parameters)


def _parameters_in(text: str, case: Case) -> set:
    from negotiate.case.resolve import names_in

    return {n for n in names_in(text) if n in case.parameters}


def _mean_unit(case: Case, row, slope: float) -> str:
    """A parameter with no unit that scales a weighted mean of one issue has that issue's unit."""
    issues = {k[0] for k in row.lin.terms}
    if len(issues) == 1 and abs(sum(row.lin.terms.values()) - slope) <= 1e-9 * max(1.0, abs(slope)):
        return case.issues[issues.pop()].unit or ""
    return ""


def parameter_unit(case: Case, name: str) -> str:
    """A parameter's unit, from the shipped model the case starts from (case files give none)."""
    if not case.model:
        return ""
    try:
        from negotiate.case.load import read_document
        from negotiate.case.models import available_models

        path = available_models().get(case.model)
        if path is None:
            return ""
        spec = (read_document(path)[0].get("parameters") or {}).get(name)
    except Exception:  # an unreadable model: the case loaded, so say it without a unit
        return ""
    return str(spec.get("unit") or "") if isinstance(spec, dict) else ""


def _words(name: str) -> str:
    return name.replace("_", " ")


def _g(v: float) -> str:
    text = f"{v:.4g}"
    return "0" if text == "-0" else text


def _with_unit(a: float, b: float, unit: str) -> str:
    """`55% to 52%`, `100 to 80 EUR/t`, `0.6 to 0.52`."""
    if unit.startswith("%"):
        return f"{_g(a)}% to {_g(b)}{unit}"
    return f"{_g(a)} to {_g(b)}" + (f" {unit}" if unit else "")


def alternatives_text(alternatives: list, case: Case | None) -> list[str]:
    """Equally small alternative concessions (ties), each in words."""
    out = []
    for alt in alternatives or []:
        changes = alt.get("relaxations", alt) if isinstance(alt, dict) else alt
        out.append(" and ".join(concession(c, case) for c in changes))
    return out
