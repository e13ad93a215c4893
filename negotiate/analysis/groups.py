"""The largest group of parties that can agree without the others, and on what.

The case restricted to a group (outsiders removed, with their columns of the
members' data rows) is compiled and checked for feasibility, groups tried
from the largest size down, the parties a hint names left out first, within a
`Budget`; the user's concept is then solved once, for the chosen group.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from negotiate import registry
from negotiate.analysis.budget import COMPILE_UNITS, WORK, Budget, BudgetedHighs
from negotiate.case.validate import validate_data
from negotiate.compile import Problem, compile_case
from negotiate.errors import CaseError
from negotiate.proposal import agreement_of, issue_values, utilities
from negotiate.results import JsonMapping

INF = math.inf
# A group checked with the others kept at the status quo (one concept solve on a warm model of the
# whole case) costs about 60 S units, S = rows + nonzeros of the case's model: benchmarks/generate.py
# with a status quo, two red lines in contradiction, Nash, CPU per group on the 2-core machine at
# load 7: 50 parties x 5 criteria (S = 3.1k) 13 ms; 200 x 5 (S = 12.4k) 0.1 s.
STATUS_QUO_GROUP_SIZES = 60
# Work granted to the user's concept on the chosen group (about 0.8 s: a Kalai-Smorodinsky
# run of 27 parties needs a tenth of it), beside the diagnosis's budget.
CONCEPT_WORK = 10_000_000


@dataclass(frozen=True, eq=False)
class Group(JsonMapping):
    """The largest group of parties that can agree without the others.

    `parties` is None when no group was found (`message` says why, and
    `complete` whether the search covered every group); otherwise `agreement`
    and `utilities` are what the user's concept proposes for the group.
    """

    parties: list[str] | None
    searched: int
    complete: bool
    without: list[str] | None = None
    size: int | None = None
    alternatives: list[list[str]] | None = None
    agreement: dict | None = None
    utilities: dict | None = None
    message: str | None = None
    outsiders: str | None = None  # "status_quo": the others stayed in the model there (a case with a status quo)

    def to_dict(self) -> dict:
        if self.parties is None:
            out = {"parties": None, "searched": self.searched, "complete": self.complete, "message": self.message}
            return dict(out, outsiders=self.outsiders) if self.outsiders else out
        out = {"parties": self.parties, "without": self.without, "size": self.size, "searched": self.searched,
               "complete": self.complete, "alternatives": self.alternatives, "agreement": self.agreement,
               "utilities": self.utilities}
        if self.message:
            out["message"] = self.message
        if self.outsiders:
            out["outsiders"] = self.outsiders
        return out


def restricted_problem(case, group: list[str]) -> Problem | None:
    """The case with only `group`'s parties, compiled; None if it cannot be stated without the others."""
    data = case.model_dump(exclude_unset=True)
    outsiders = set(data["parties"]) - set(group)
    data["parties"] = {p: _without(data["parties"][p], outsiders) for p in group}
    if "status_quo" in data:  # the group's own status quo (a per-party value of an outsider is not its)
        from negotiate.case.status_quo import for_parties

        data["status_quo"] = for_parties(data["status_quo"], group)
    data.pop("scenarios", None)  # what-ifs of the whole case may name the others
    data.pop("options", None)
    try:
        return compile_case(validate_data(data))
    except CaseError:
        return None


def _without(party: dict, outsiders: set) -> dict:
    """A member's entry with the outsiders' columns of its data rows removed (exports to them)."""
    if not isinstance(party.get("data"), dict):
        return party
    data = {k: ({q: v for q, v in row.items() if q not in outsiders} if isinstance(row, dict) else row)
            for k, row in party["data"].items()}
    return dict(party, data=data)


def _group_check(problem: Problem, budget: Budget) -> tuple[bool | None, float]:
    """Can the group agree? And the largest weighted benefit it can reach."""
    b = BudgetedHighs(problem, budget)
    b.set_objective({problem.utility_col[p]: problem.case.parties[p].weight for p in problem.parties})
    r = b.solve()
    if r.status == "infeasible":
        return False, -INF
    if r.has_solution and r.status == "optimal":
        return True, float(r.objective)
    return None, -INF


def largest_group(problem: Problem, concept: str, hint: list[str], budget: Budget | None = None) -> Group | None:
    """The largest group of parties that can agree without the others (and on what)."""
    budget = budget or Budget()
    case = problem.case
    parties = list(problem.parties)
    n = len(parties)
    if n < 3:
        return None
    if case.status_quo:  # coalition semantics: the others stay in the model at the status quo
        from negotiate.analysis.coalitions import largest_group as with_outsiders_at_status_quo

        per_group = STATUS_QUO_GROUP_SIZES * (problem.n_rows + len(problem.values)) + COMPILE_UNITS
        by_groups = max(0, budget.groups - budget.checked)
        by_work = int(max(budget.work_left(), 0.0) // per_group)
        found = with_outsiders_at_status_quo(case, concept, hint, min(by_groups, by_work))
        if found is not None:
            budget.checked += found["searched"]
            budget.charge(found["searched"] * per_group)
            if not found["complete"] and by_work < by_groups:
                budget.stop(WORK)
            return Group(found["parties"], found["searched"], found["complete"], without=found.get("without"),
                         size=found.get("size"), alternatives=found.get("alternatives"),
                         agreement=found.get("agreement"), utilities=found.get("utilities"),
                         message=found.get("message"), outsiders="status_quo")
    order = sorted(parties, key=lambda p: (p not in hint, parties.index(p)))  # leave these out first
    for size in range(n - 1, 1, -1):
        found, stopped = [], False
        for left_out in itertools.combinations(order, n - size):
            if budget.checked >= budget.groups or budget.spent:
                stopped = True
                break
            budget.checked += 1
            group = [p for p in parties if p not in left_out]
            sub = restricted_problem(case, group)
            budget.charge_compile(0 if sub is None else sub.n_rows + len(sub.values))
            if sub is None:
                continue  # the case cannot be stated without them (it names them)
            ok, benefit = _group_check(sub, budget)
            if ok:
                found.append((group, list(left_out), sub, benefit))
        if found:
            return _chosen(found, size, concept, budget, complete=not stopped)
        if stopped:
            return Group(None, budget.checked, False,
                         message=f"no group of {size + 1} or more can agree; the search stopped after "
                                 f"{budget.checked} groups (a group of {size} may still exist)")
    return Group(None, budget.checked, True, message="no group of two or more parties can agree without the others")


def _chosen(found: list, size: int, concept: str, budget: Budget, complete: bool) -> Group:
    """The group with the largest reachable benefit, and what the user's concept proposes for it."""
    from negotiate.formulation.concepts import ConceptRunner

    group, left, sub, _ = max(found, key=lambda f: f[3])
    budget.grant(CONCEPT_WORK)  # the concept's own run, however much the search used
    b = BudgetedHighs(sub, budget, mip_gap=sub.case.solve.mip_gap)

    def utility_of(x):
        return utilities(sub, issue_values(sub, x))[0]

    out = ConceptRunner(b, sub, utility_of).run(concept, ideals=registry.concept(concept).needs_ideals)
    message = None
    if not out.ok:  # the concept stopped at the budget: show a feasible agreement instead
        b.set_objective({sub.utility_col[p]: sub.case.parties[p].weight for p in sub.parties})
        b.floor = math.inf  # one LP: only the safety stop bounds it
        r = b.solve()
        x = r.x
        message = f"the {concept} solve for this group stopped; the agreement shown maximises the weighted benefit"
    else:
        x = out.x
    if x is None:
        agreement, utils = None, None
    else:
        values = issue_values(sub, x)
        agreement, utils = agreement_of(sub, values), utilities(sub, values)[0]
    return Group(group, budget.checked, complete, without=left, size=size,
                 alternatives=[f[0] for f in found if f[0] != group], agreement=agreement,
                 utilities=utils, message=message)
