"""Win-sets and pivots: what a party would ratify, and whose acceptance is decisive.

- `winset(case, party)`: per issue, the range of values (continuous/integer
  issues: min and max; discrete issues: the options that occur) over
  (a) the agreements `party` would accept and ratify, every other party's
      acceptance left aside (its domestic win-set), and
  (b) the agreements the decision rule passes (every party's ratification
      included): the international set.
  Every range, limit and collective constraint holds in both. Each bound is
  one exact solve (LP or MIP) of the compiled case. A constituency of the party
  *binds* when dropping its requirement (treating it as consenting whatever the
  agreement) widens some range of (a); its widened ranges are reported.
- `pivots(proposal, case)`: at a proposal, the accepting parties whose
  acceptance is decisive (without them the rule fails) and, for each party,
  the consenting constituencies without whose consent it would not ratify.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from negotiate.case.schema import Case

RANGE_TOL = 1e-7


@dataclass(frozen=True)
class WinSet:
    case: str
    party: str
    ratifiable: dict  # issue label -> {"min", "max"} | {"options": [...]}; None: empty set
    passable: dict | None
    binding: dict = field(default_factory=dict)  # constituency -> {issue label: widened range}
    constituencies: list = field(default_factory=list)
    solves: int = 0

    @property
    def empty(self) -> bool:
        return self.ratifiable is None

    def to_dict(self) -> dict:
        return {"case": self.case, "party": self.party, "empty": self.empty,
                "ratifiable": self.ratifiable, "passable": self.passable,
                "binding_constituencies": self.binding, "constituencies": list(self.constituencies),
                "solves": self.solves}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def frame(self):
        import pandas as pd

        rows = []
        for label in (self.passable or self.ratifiable or {}):
            rows.append({"issue": label, "ratifiable": _text((self.ratifiable or {}).get(label)),
                         "passable": _text((self.passable or {}).get(label))})
        return pd.DataFrame(rows, columns=["issue", "ratifiable", "passable"]).set_index("issue")


def _text(r) -> str:
    if r is None:
        return "-"
    if "options" in r:
        return ", ".join(r["options"])
    return f"{r['min']:g} .. {r['max']:g}"


def _domestic(case: Case, party: str) -> Case:
    """The case in which only `party` must accept (and ratify): the others have no veto."""
    changes = {"decision_rule": "unanimity", "scenarios": {}, "options": {}}  # scenarios may name what goes
    for q in case.parties:
        if q != party:
            changes[f"parties.{q}.role"] = "stakeholder"
            changes[f"parties.{q}.constituencies"] = {}
            changes[f"parties.{q}.ratification"] = "all"
    changes[f"parties.{party}.role"] = "party"
    return case.update(changes)


def ranges(case: Case, backend: str = "highs") -> tuple[dict | None, int]:
    """Per issue (per party for per-party issues) the range over the case's agreement set."""
    from negotiate.backends import make_backend
    from negotiate.compile import compile_case

    problem = compile_case(case)
    b = make_backend(problem, backend, mip_gap=1e-9)
    solves = 0
    out: dict = {}
    for iid, issue in case.issues.items():
        owners = list(case.parties) if issue.per_party else [None]
        for p in owners:
            label = iid if p is None else f"{iid}[{p}]"
            if issue.options is not None:
                found = []
                for o in issue.options:
                    b.set_objective({problem.var_col[(iid, p, o)]: 1.0})
                    r = b.solve()
                    solves += 1
                    if r.status == "infeasible":
                        return None, solves
                    if r.has_solution and r.objective > 0.5:
                        found.append(o)
                out[label] = {"options": found}
            else:
                j = problem.var_col[(iid, p, None)]
                bounds = []
                for sign in (-1.0, 1.0):
                    b.set_objective({j: sign})
                    r = b.solve()
                    solves += 1
                    if not r.has_solution:
                        return None, solves
                    v = float(r.x[j])
                    bounds.append(round(v) if issue.integer else v)
                out[label] = {"min": _clean(bounds[0]), "max": _clean(bounds[1])}
    return out, solves


def _clean(v: float) -> float:
    r = round(float(v), 9)
    return 0.0 if r == 0 else r


def winset(case: Case, party: str, backend: str = "highs") -> WinSet:
    """The domestic and international win-sets of `party` and its binding constituencies."""
    if party not in case.parties:
        raise KeyError(party)
    domestic = _domestic(case, party)
    mine, n1 = ranges(domestic, backend)
    passable, n2 = ranges(case, backend)
    solves = n1 + n2
    binding = {}
    cons = list(case.parties[party].constituencies)
    if mine is not None:
        for c in cons:
            relaxed = domestic.update({f"parties.{party}.constituencies.{c}.reservation": -1e9})
            wider, n = ranges(relaxed, backend)
            solves += n
            widened = {label: r for label, r in (wider or {}).items() if _wider(r, mine.get(label))}
            if widened:
                binding[c] = widened
    return WinSet(case.name, party, mine, passable, binding, cons, solves)


def _wider(new: dict, old: dict | None) -> bool:
    if old is None:
        return True
    if "options" in new:
        return bool(set(new["options"]) - set(old["options"]))
    return new["min"] < old["min"] - RANGE_TOL * max(1.0, abs(old["min"])) or \
        new["max"] > old["max"] + RANGE_TOL * max(1.0, abs(old["max"]))


# -- pivots ---------------------------------------------------------------------------------
def pivots(proposal, case: Case) -> dict | None:
    """Decisive parties and constituencies at a proposal; None without an agreement."""
    from negotiate.formulation.ratification import TwoLevel
    from negotiate.formulation.rules import voting_rule

    if not proposal.ok:
        return None
    rule = voting_rule(case)
    r = proposal.ratification
    if r is None:  # a plain case: unanimity, every party accepts and is decisive
        accepting = [p for p, o in proposal.parties.items() if o.accepts]
        return {"rule": "unanimity", "accepting": accepting, "pivotal_parties": accepting,
                "pivotal_constituencies": {}, "ratified_only_with_side_payments": {}}
    accepting = list(r["accepting"])
    pivotal = [p for p in accepting if not rule.passes([q for q in accepting if q != p])]
    resolved = case._resolved
    tl: TwoLevel = resolved.twolevel if resolved is not None else None
    decisive_cons, paid = {}, {}
    for p, cons in r["constituencies"].items():
        consents = {c: v["consents"] for c, v in cons.items()}
        if not tl.ratifies(p, consents):
            continue
        critical = [c for c, ok in consents.items() if ok and not tl.ratifies(p, {**consents, c: False})]
        if critical:
            decisive_cons[p] = critical
        bought = [c for c, v in cons.items() if v["side_payment"] > 0]
        if bought:
            paid[p] = bought
    return {"rule": r["rule"], "accepting": accepting, "pivotal_parties": pivotal,
            "pivotal_constituencies": decisive_cons, "ratified_only_with_side_payments": paid}
