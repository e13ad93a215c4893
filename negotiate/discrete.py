"""Small discrete cases, solved exactly by enumerating every outcome.

When every issue is discrete (options or whole numbers) and the outcome
space is small (at most ENUMERATE_CAP outcomes), every concept is applied to
the table of every outcome's utilities (negotiate.tie_sets.outcome_table:
red lines, collective constraints and acceptance as masks) instead of
solving a MIP: utilitarian by argmax of the weighted sum, egalitarian and
Kalai-Smorodinsky by sorting the scaled gains (leximin, ideals = column
maxima over the acceptable outcomes), Nash by the largest weighted log sum
(exact: its gap is 0). Ties are broken as tie sets break them: the first
optimal outcome in outcome order is proposed, and `ties` counts them.

Parties that cannot gain above their reservation in any acceptable outcome
are held there (Kalai-Smorodinsky, Nash), as the MIP path holds them.

Shadow prices: none. With every issue discrete, the agreement is a point of
a finite set; no bound moves it continuously, and a price "conditional on the
choices" would be the dual of an LP whose every issue column is fixed, which
is degenerate (0 or arbitrary). The proposal says prices are not available
and why. `solve(..., enumerate=False)` takes the MIP path (conditional
prices as before).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from negotiate import tie_sets
from negotiate.formulation.concepts import Outcome

# Outcomes: above this, the MIP. Measured (benchmarks/bench_discrete.py --mip --cap 2000000
# --sizes 1e5 4e5 1e6, 9 parties, one run, load ~9 on 2 cores), enumeration / MIP in ms:
#                  98,304 outcomes   393,216      1,048,576
#   utilitarian        56 / 246       151 / 392    250 / 344
#   egalitarian        38 / 653       145 / 817    382 / 543
#   KS                 44 / 10,392    182 / 2,410  301 / 13,951
#   Nash               88 / 2,116     201 / 1,614  458 / 2,944
# and at 30 parties, 98,304 outcomes: utilitarian 65 / 1,071, egalitarian 85 / 55,499. The MIP
# overtakes no concept below 10^6 outcomes (utilitarian first, at about 1.4 x 10^6 by the trend);
# the cap keeps the enumeration >= 2.5x faster than the MIP for every concept, and CELL_CAP
# bounds its memory when there are many parties.
ENUMERATE_CAP = 500_000
CELL_CAP = 20_000_000  # numbers held at once (outcomes x parties, curves, rows): a memory bound
PRICE_NOTE = ("shadow prices not available: every issue is discrete (solved by enumerating the outcomes), "
              "so no small change of a limit moves the agreement continuously")


@dataclasses.dataclass
class CaseView:
    """What a proposal reads of a compiled Problem, without compiling: the
    issue variables numbered as compile_case numbers them (first, in order)."""

    resolved: object
    var_col: dict
    case_rows: dict = dataclasses.field(default_factory=dict)
    reservation_row: dict = dataclasses.field(default_factory=dict)
    nonconcave: list = dataclasses.field(default_factory=list)
    is_mip: bool = False

    @classmethod
    def of(cls, resolved) -> "CaseView":
        acceptance = resolved.case.solve.require_acceptance
        return cls(resolved, {v.key: j for j, v in enumerate(resolved.variables)},
                   reservation_row={p: None for p in resolved.parties} if acceptance else {},
                   is_mip=any(v.integer for v in resolved.variables))

    @property
    def case(self):
        return self.resolved.case

    @property
    def parties(self) -> list[str]:
        return self.resolved.parties

    @property
    def n_cols(self) -> int:
        return len(self.var_col)


def enumerable(resolved, problem=None, backend=None) -> list | None:
    """The outcome axes if the case is solved by enumeration, else None.

    With a compiled problem and its backend, the backend's current column
    bounds cut the axes (drafted options fix some issues): the enumeration
    then answers the same question the backend would.
    """
    if backend is None:  # the case's own axes: case-constant, kept on the (frozen case's) Resolved
        cache = resolved.__dict__
        if "_enumerable" not in cache:
            cache["_enumerable"] = _enumerable(resolved, tie_sets.outcome_axes(resolved))
        return cache["_enumerable"]
    axes = tie_sets.outcome_axes(resolved)
    return None if isinstance(axes, str) else _enumerable(resolved, tie_sets._within_bounds(problem, axes, backend))


def _enumerable(resolved, axes) -> list | None:
    if isinstance(axes, str):
        return None
    n = tie_sets.space_size(axes)
    curves = sum(1 for p in resolved.parties for c in resolved.criteria[p] if c.xs is not None)
    cells = min(n, tie_sets.CHUNK) * (len(resolved.parties) + curves + len(resolved.rows)) + n * len(resolved.parties)
    if n > ENUMERATE_CAP or cells > CELL_CAP:
        return None
    return axes


def solve_enumerated(problem, concept: str, ideals: bool = False, axes: list | None = None, *, build):
    """The proposal of `concept` on a small discrete case (see the module docstring).

    `problem`: a compiled Problem, or a Resolved case (then it is compiled once per
    case, by `_check_numbers`, so values no scaling brings within a solver's reach
    are the same located CaseError here as on the solver path; and again only to
    diagnose an infeasible case, as the diagnosis reads the model).
    `build`: the solver layer's proposal builder (negotiate.solving's), which
    re-checks the agreement and shapes the result exactly as for a solve.
    """
    from negotiate.case.resolve import Resolved

    t0 = time.perf_counter()
    compiled = None if isinstance(problem, Resolved) else problem
    resolved = problem if compiled is None else compiled.resolved
    if compiled is None:
        _check_numbers(resolved)
    problem = resolved.__dict__.get("_case_view")
    if problem is None:  # the proposal reads the issue variables only: case-constant
        problem = resolved.__dict__["_case_view"] = CaseView.of(resolved)
    axes = axes if axes is not None else enumerable(resolved)
    if axes is None:
        raise ValueError("this case is not solved by enumeration: it has a continuous issue or too many outcomes")
    U, acceptable = tie_sets._table(resolved, axes)
    plan = tie_sets._plan(resolved, axes)
    w, d, uscale = plan["w"], plan["d"], plan["uscale"]
    wants_ideals = concept in ("kalai_smorodinsky", "nash") or ideals
    gathered = tie_sets.acceptable_rows(U, acceptable) if wants_ideals and acceptable.any() else None
    best = gathered[2] if gathered else None
    mask, value = tie_sets.concept_mask(concept, U, acceptable, w, d, uscale, gathered)
    found = np.flatnonzero(mask)
    n = tie_sets.space_size(axes)
    out, tied = _outcome(problem, concept, axes, U, best, d, uscale, found, value)
    seconds = round(time.perf_counter() - t0, 6)
    solver = {"name": "enumeration", "version": np.__version__, "backend": "enumeration", "seconds": seconds,
              "solver_seconds": seconds, "solves": 0, "mip": bool(problem.is_mip), "outcomes": n}
    if concept == "nash" and out.ok:
        solver["nash_gap"] = 0.0
    diagnosis = None
    if out.status == "infeasible":
        from negotiate.compile import compile_case
        from negotiate.diagnose import diagnose

        diagnosis = diagnose(compiled or compile_case(resolved), concept)
    proposal = build(problem, concept, out, diagnosis, solver)
    if tied is not None:
        proposal = dataclasses.replace(proposal, ties=tied.count, tied_agreements=tied.agreements)
    return proposal


def _check_numbers(resolved) -> None:
    """The solver path's check of the case's numbers (a located CaseError for values no scaling
    brings within a solver's reach), made once per resolved case: it compiles the model (about
    1 ms at 10^3 outcomes, two thirds of an enumerated solve), and a Resolved is case-constant
    (kept on its frozen Case), so later solves of the same case skip it."""
    if resolved.__dict__.get("_numbers_checked"):
        return
    from negotiate.compile import compile_case

    compile_case(resolved)  # raises CaseError on numbers beyond a solver's reach
    resolved.__dict__["_numbers_checked"] = True


def _outcome(problem, concept, axes, U, best, d, uscale, found, value) -> tuple[Outcome, object]:
    """The concept's Outcome (an x over the Problem's columns) and its tie set; `best`: the
    ideals (each party's best acceptable utility) if the concept or the caller wants them."""
    resolved = problem.resolved
    parties = resolved.parties
    if not found.size:
        return Outcome("infeasible", message="no agreement satisfies every range, limit, constraint and "
                                             "reservation"), None
    first = int(found[0])
    held = [p for i, p in enumerate(parties)
            if best[i] - d[i] <= tie_sets.GAIN_TOL * uscale[i]] \
        if concept in ("kalai_smorodinsky", "nash") else []
    listed = found[:tie_sets.LISTED]
    agreements = [tie_sets._agreement(resolved, axes, int(i)) for i in listed]
    agreement = agreements[0]
    x = np.zeros(problem.n_cols)
    for a in axes:
        v = agreement[a.issue] if a.party is None else agreement[a.issue][a.party]
        if a.options is not None:
            x[problem.var_col[(a.issue, a.party, v)]] = 1.0
        else:
            x[problem.var_col[(a.issue, a.party, None)]] = float(v)
    out = Outcome("optimal", x, objective=float(value[0]) if value else None, held=held, gap=None)
    if best is not None:
        out.ideals = {p: float(best[i]) for i, p in enumerate(parties)}
    if held:
        where = "the leximin" if concept == "kalai_smorodinsky" else "the Nash product"
        more = " (ideal = reservation)" if concept == "kalai_smorodinsky" else ""
        out.notes.append(f"{', '.join(held)} cannot gain above the reservation in any acceptable agreement"
                         f"{more}: held there, outside {where}")
    if concept == "nash" and len(held) < len(parties):
        active = np.array([p not in held for p in parties])
        gains = U[first, active] - d[active]
        if (gains <= tie_sets.GAIN_TOL * uscale[active]).any():
            out.notes.append("no agreement gives every party a positive gain at once: the Nash product is 0 "
                             "everywhere, so the egalitarian agreement is proposed")
    out.price_objective = _price_words(concept)
    out.notes.append(PRICE_NOTE)
    tied = tie_sets.TieSet(
        case=resolved.case.name, concept=concept, count=int(found.size), outcomes=tie_sets.space_size(axes),
        agreements=agreements,
        utilities=[dict(zip(parties, U[i].tolist())) for i in listed],
        value=[float(v) for v in value],
    )
    if tied.count > 1:
        out.notes.append(f"{tied.count} agreements are equally good for {concept}: the first in outcome order "
                         "(issues and options as listed) is proposed; Proposal.tie_set() lists them")
    return out, tied


def _price_words(concept: str) -> str:
    from negotiate import registry

    return registry.concept(concept).prices
