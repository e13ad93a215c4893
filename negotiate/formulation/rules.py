"""Decision rules (CASE_FORMAT.md section 7): which sets of parties can pass an agreement.

`voting_rule(case)` turns the case's `decision_rule:` into a `VotingRule` over the
voting parties (every party but the stakeholders): a count threshold, an
optional weight threshold and a blocking-minority clause,

    S passes  <=>  |S| >= min_count  and  (weight(S) >= quota  or  |S| >= block_count)

which covers unanimity (min_count = n), a qualified majority of parties and of
a data weight (the EU Council: 55% of states, 65% of population, a blocking
minority needs four states) and a weighted quota. Thresholds are computed
exactly: shares are read as decimals (0.55 is 55/100, not the nearest float).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from negotiate.case import expr
from negotiate.case.env import env_for
from negotiate.case.expr import ExprError
from negotiate.case.schema import Case
from negotiate.case.source import SourceMap
from negotiate.errors import CaseError, Problem

WEIGHT_TOL = 1e-9  # relative: a coalition's weight this close below the quota still passes


@dataclass(frozen=True)
class VotingRule:
    """Who can pass an agreement: see the module docstring for the test."""

    kind: str  # unanimity | qualified_majority | weighted_quota
    voters: tuple  # the voting parties, in case order
    min_count: int
    weights: dict | None = None  # party -> weight (None: no weight condition)
    quota: Fraction | None = None  # exact weight threshold (weight(S) >= quota)
    block_count: int | None = None  # this many voters pass whatever their weight
    weight_source: str | None = None  # the case text the weights came from
    veto: tuple = ()  # parties outside the vote whose acceptance is always needed

    @property
    def n(self) -> int:
        return len(self.voters)

    @property
    def unanimous(self) -> bool:
        return self.min_count >= self.n and self.weights is None

    def passes(self, members) -> bool:
        """Whether `members` (the accepting parties) pass an agreement: every veto party among
        them, and the voting parties among them winning the vote (others are ignored)."""
        if any(p not in set(members) for p in self.veto):
            return False
        members = [p for p in self.voters if p in set(members)]
        k = len(members)
        if k < self.min_count:
            return False
        if self.weights is None or (self.block_count is not None and k >= self.block_count):
            return True
        total = sum(self.weights[p] for p in members)
        return total >= float(self.quota) - WEIGHT_TOL * max(1.0, abs(float(self.quota)))

    def describe(self) -> str:
        veto = f"; {', '.join(self.veto)} must accept as well" if self.veto else ""
        return self._describe_vote() + veto

    def _describe_vote(self) -> str:
        if self.kind == "unanimity":
            return f"unanimity of the {self.n} voting parties"
        parts = []
        if self.min_count:
            parts.append(f"at least {self.min_count} of {self.n} parties")
        if self.weights is not None:
            total = sum(self.weights.values())
            parts.append(f"{self.weight_source} >= {float(self.quota):g} ({float(self.quota) / total:.1%} of "
                         f"{total:g})" + (f", or at least {self.block_count} parties (blocking minority "
                                         f"{self.n - self.block_count + 1})" if self.block_count else ""))
        return "; ".join(parts) or "any coalition"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "voters": list(self.voters), "min_count": self.min_count,
                "weights": dict(self.weights) if self.weights is not None else None,
                "quota": float(self.quota) if self.quota is not None else None,
                "block_count": self.block_count, "weight": self.weight_source, "veto": list(self.veto)}


def voters_of(case: Case) -> list[str]:
    """The parties with a vote (stakeholders have none)."""
    return [p for p, party in case.parties.items() if party.role != "stakeholder"]


def decimal(x: float) -> Fraction:
    """The decimal a user wrote (0.55 -> 11/20), not the binary float nearest to it."""
    return Fraction(repr(float(x)))


def _problem(case: Case, path: tuple, message: str, value=None, hint=None) -> Problem:
    source = case._source or SourceMap()
    return Problem(message, ".".join(path), source.locate(path), value, hint)


def party_weights(case: Case, text: str, path: tuple, parties=None) -> dict:
    """Each party's value of a weight expression: `data.pop` or a constant per party."""
    text = str(text).strip()
    per_party = re.sub(r"^data\.([A-Za-z][A-Za-z0-9_]*)$", r"data.\1[self]", text)
    out, problems = {}, []
    for p in parties or voters_of(case):
        try:
            out[p] = expr.constant(per_party, env_for(case, p))
        except ExprError as e:
            problems.append(_problem(case, path, f"{e.message} (for party {p})", text, e.hint))
            break
        if out[p] < 0:
            problems.append(_problem(case, path, f"a voting weight must be >= 0; {p} has {out[p]:g}", text))
    if problems:
        raise CaseError(problems)
    return out


def voting_rule(case: Case, rule=None) -> VotingRule:
    """The case's decision rule (or `rule`, a schema DecisionRule / "unanimity") over its voters."""
    rule = case.decision_rule if rule is None else rule
    veto = () if rule == "unanimity" else tuple(_veto(case, rule))
    voters = tuple(p for p in voters_of(case) if p not in veto)
    n = len(voters)
    if n == 0 and not veto:
        raise CaseError([_problem(case, ("parties",), "every party is a stakeholder: nobody can ratify",
                                  None, "give at least one party `role: party` (the default)")])
    if rule == "unanimity":
        return VotingRule("unanimity", voters, n)
    if rule.qualified_majority is not None:
        qm = rule.qualified_majority
        base = ("decision_rule", "qualified_majority")
        min_count = math.ceil(decimal(qm.parties) * n)
        if qm.weight is None:
            return VotingRule("qualified_majority", voters, min_count, veto=veto)
        weights = party_weights(case, qm.weight, base + ("weight",), voters)
        quota = decimal(qm.weight_share) * _exact_total(weights)
        block = None
        if qm.blocking_minority is not None:
            block = n - qm.blocking_minority + 1
        return VotingRule("qualified_majority", voters, min_count, weights, quota, block, qm.weight, veto)
    wq = rule.weighted_quota
    weights = party_weights(case, wq.weight, ("decision_rule", "weighted_quota", "weight"), voters)
    quota = decimal(wq.quota) if wq.quota is not None else decimal(wq.share) * _exact_total(weights)
    return VotingRule("weighted_quota", voters, 0, weights, quota, None, wq.weight, veto)


def _veto(case: Case, rule) -> list[str]:
    """The rule's veto parties, checked: parties of the case, not stakeholders."""
    from negotiate.case.expr import did_you_mean

    kind = rule.kind
    spec = getattr(rule, kind)
    problems = []
    for i, p in enumerate(spec.veto):
        path = ("decision_rule", kind, "veto", str(i))
        if p not in case.parties:
            problems.append(_problem(case, path, f"`{p}` is not a party of this case", p,
                                     did_you_mean(p, case.parties)))
        elif case.parties[p].role == "stakeholder":
            problems.append(_problem(case, path, f"`{p}` is a stakeholder: it has no veto", p))
    if problems:
        raise CaseError(problems)
    return list(spec.veto)


def _exact_total(weights: dict) -> Fraction:
    return sum((decimal(w) for w in weights.values()), Fraction(0))


# -- voice: party weights from data ---------------------------------------------------
VOICES = ("equal", "population", "sqrt_population")
POPULATION_FIELDS = ("population", "pop")


def voice_weights(case: Case, voice: str) -> dict:
    """Party weights (mean 1) for `voice`: equal, population or its square root (Penrose).

    Population is the party's `data.population` (or `data.pop`); weights are scaled
    so that they average 1, which keeps the collective benefit on the scale of
    equal voice.
    """
    if voice not in VOICES:
        raise ValueError(f"voice is one of {', '.join(VOICES)} (got {voice!r})")
    parties = list(case.parties)
    if voice == "equal":
        return {p: 1.0 for p in parties}
    raw, problems = {}, []
    for p in parties:
        data = case.parties[p].data
        field_ = next((f for f in POPULATION_FIELDS if isinstance(data.get(f), (int, float))), None)
        if field_ is None or data[field_] <= 0:
            problems.append(_problem(case, ("parties", p, "data"),
                                     f"--voice {voice} needs a positive `population` (or `pop`) in every party's data",
                                     None, "add data: {population: ...} to this party, or use --voice equal"))
            continue
        raw[p] = float(data[field_]) if voice == "population" else math.sqrt(float(data[field_]))
    if problems:
        raise CaseError(problems)
    mean = sum(raw.values()) / len(raw)
    return {p: raw[p] / mean for p in parties}


def voice_changes(case: Case, voice: str | None) -> dict:
    """What-if changes `{"parties.P.weight": w}` that give the parties `voice`."""
    if voice is None:
        return {}
    return {f"parties.{p}.weight": w for p, w in voice_weights(case, voice).items()}
