"""Two-level negotiation in the model: ratification, decision rules, stakeholders.

CASE_FORMAT.md section 7. A party accepts an agreement only if its own utility
reaches its reservation AND it ratifies at home; an agreement passes when the
parties that accept form a winning set of the decision rule. Stakeholders have
no vote: their utility is reported and weighted, never required.

Rows, exact (a mixed-integer program):
- a binary `accepts` y_p per voting party (under unanimity y_p = 1: no column):
  u_p >= d_p - M_p (1 - y_p), with M_p = d_p - (the lowest utility p can have);
- per constituency c of p: its utility v_c (a weighted mean of its own criteria,
  modelled like a party's), a side payment s_c >= 0 (sum s_c <= the party's budget)
  and a binary r_c (consents): v_c + s_c >= e_c - M_c (1 - r_c);
- ratification: all: r_c >= y_p; at_least k: sum r_c >= k y_p; share s:
  sum w_c r_c >= s (sum w_c) y_p;
- the rule: sum y_p >= min_count, and the weight condition sum W_p y_p >= quota,
  waived by a binary z when sum y_p >= block_count (a blocking minority needs
  n - block_count + 1 parties against).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from negotiate.case.env import env_for
from negotiate.case.schema import Case
from negotiate.errors import CaseError
from negotiate.formulation.rules import VotingRule, voting_rule

INF = float("inf")
COUNT_TOL = 1e-6  # keeps integer thresholds exact against solver round-off


@dataclass
class ConstituencyModel:
    """A constituency's resolved criteria (ScoreCurves), reservation and weight."""

    party: str
    id: str
    weight: float
    reservation: float
    criteria: list  # ScoreCurve, weights normalised to sum 1
    name: str | None = None

    def utility(self, values: dict) -> float:
        return sum(c.weight * c.score(values) for c in self.criteria)

    @property
    def lowest(self) -> float:
        return utility_bounds(self.criteria)[0]


@dataclass
class TwoLevel:
    """The two-level parts of a case, resolved."""

    rule: VotingRule
    constituencies: dict = field(default_factory=dict)  # party -> [ConstituencyModel]
    ratification: dict = field(default_factory=dict)  # party -> ("all"|"at_least"|"share", value, budget)
    stakeholders: list = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether anything differs from unanimity of parties without constituencies."""
        return not self.rule.unanimous or bool(self.constituencies) or bool(self.stakeholders)

    def ratifies(self, party: str, consents: dict) -> bool:
        """Whether `party` ratifies given each constituency's consent {id: bool}."""
        cons = self.constituencies.get(party)
        if not cons:
            return True
        kind, value, _ = self.ratification[party]
        if kind == "all":
            return all(consents[c.id] for c in cons)
        if kind == "at_least":
            return sum(bool(consents[c.id]) for c in cons) >= value
        total = sum(c.weight for c in cons)
        return sum(c.weight for c in cons if consents[c.id]) >= value * total - 1e-12 * max(1.0, total)


def utility_bounds(curves) -> tuple[float, float]:
    """Bounds of a weighted mean of score curves: from each curve's lowest and highest score
    (a constituency may weigh a criterion negatively: its highest score gives the lowest term)."""
    ranges = [(c.weight * a, c.weight * b) for c in curves for a, b in [c.score_range()]]
    return sum(min(r) for r in ranges), sum(max(r) for r in ranges)


# -- resolution -------------------------------------------------------------------------
def resolve_twolevel(case: Case, col, criterion) -> TwoLevel | None:
    """The two-level meaning of a case; problems are added to `col` (resolve's collector);
    `criterion` is resolve's own reader of a criterion (a constituency's curves are read alike)."""
    from negotiate.case import expr
    from negotiate.case.expr import ExprError

    try:
        rule = voting_rule(case)
    except CaseError as e:
        col.problems.extend(e.problems)
        rule = None  # keep checking the rest: every problem at once
    stakeholders = [p for p, party in case.parties.items() if party.role == "stakeholder"]
    constituencies, ratification = {}, {}
    for p, party in case.parties.items():
        rat = party.ratification
        if party.role == "stakeholder" and party.constituencies:
            col.add(("parties", p, "constituencies"), "a stakeholder has no veto, so it does not ratify",
                    None, "remove its constituencies, or make it a party (role: party)")
            continue
        if not party.constituencies:
            if rat != "all":
                col.add(("parties", p, "ratification"), "a ratification rule needs `constituencies`", None,
                        "list the constituencies whose consent the party needs")
            continue
        kind, value, budget = "all", None, 0.0
        if rat != "all":
            budget = rat.side_payment_budget
            if rat.at_least is not None:
                kind, value = "at_least", rat.at_least
                if rat.at_least > len(party.constituencies):
                    col.add(("parties", p, "ratification", "at_least"),
                            f"needs {rat.at_least} constituencies but the party has {len(party.constituencies)}",
                            rat.at_least)
            elif rat.share is not None:
                kind, value = "share", rat.share
        ratification[p] = (kind, value, budget)
        models = []
        for cid, cons in party.constituencies.items():
            base = ("parties", p, "constituencies", cid)
            weights = {}
            for kid, crit in cons.criteria.items():
                try:
                    weights[kid] = expr.constant(crit.weight, env_for(case, p))
                except ExprError as e:
                    col.expr_error(base + ("criteria", kid, "weight"), e, crit.weight)
                    weights[kid] = 0.0
            total = sum(weights.values())
            if total <= 0:
                col.add(base + ("criteria",), "criteria weights sum to 0: give at least one a positive weight")
                continue
            curves = []
            for kid, crit in cons.criteria.items():
                if weights[kid] == 0:
                    continue
                path = base + ("criteria", kid)
                try:
                    curve = criterion(case, p, kid, crit, path, col)
                except ExprError as e:
                    col.expr_error(path + (getattr(e, "field", "of"),), e, getattr(e, "text", crit.of))
                    continue
                if curve is not None:
                    curve.weight = weights[kid] / total
                    curve.party = f"{p}.constituencies.{cid}"  # names its columns apart from the party's
                    curves.append(curve)
            models.append(ConstituencyModel(p, cid, cons.weight, cons.reservation, curves, cons.name))
        constituencies[p] = models
    return None if rule is None else TwoLevel(rule, constituencies, ratification, stakeholders)


def twolevel_of(resolved) -> TwoLevel | None:
    tl = getattr(resolved, "twolevel", None)
    return tl if tl is not None and tl.active else None


# -- rows ---------------------------------------------------------------------------------
def add_twolevel_rows(resolved, b, var_col: dict, bounds: dict, utility_col: dict, score, RowInfo) -> dict:
    """Add the acceptance, ratification and rule rows; return their columns (empty if none).

    `handled` lists the parties whose plain reservation row u_p >= d_p the
    compiler must NOT add (outvoted parties may fall below d_p; stakeholders
    have no veto). `score` and `RowInfo` are the compiler's own (a constituency's curve gets a
    score column as the compiler draws it; its rows are named as the compiler names rows).
    """

    tl = twolevel_of(resolved)
    case = resolved.case
    if tl is None or not case.solve.require_acceptance:
        return {}
    rule = tl.rule
    unanimous = rule.unanimous
    out = {"handled": set(tl.stakeholders), "accepts": {}, "consents": {}, "side_payment": {},
           "constituency_utility": {}, "clause": None}
    for p in rule.voters + rule.veto:
        d = case.parties[p].reservation
        if unanimous or p in rule.veto:
            y = None  # the compiler's own reservation row holds
        else:
            out["handled"].add(p)
            y = b.col(f"parties.{p}.accepts", 0.0, 1.0, True)
            out["accepts"][p] = y
            lo, _ = utility_bounds(resolved.criteria[p])
            big = d - lo
            if big > 0:
                cid = f"parties.{p}.reservation"
                b.row(cid, {utility_col[p]: 1.0, y: -big}, d - big, INF, RowInfo("constraint", cid, p))
        for cons in tl.constituencies.get(p, []):
            _constituency(tl, cons, y, b, var_col, bounds, out, score, RowInfo)
        if p in tl.constituencies:
            _ratification_rule(tl, p, y, b, out, RowInfo)
    if not unanimous:
        _rule_rows(rule, out["accepts"], b, out, RowInfo)
    return out


def _constituency(tl, cons, y, b, var_col, bounds, out, score, RowInfo) -> None:
    base = f"parties.{cons.party}.constituencies.{cons.id}"
    coefs = {}
    for crit in cons.criteria:
        j, _ = score(crit, var_col, bounds, b)
        coefs[j] = coefs.get(j, 0.0) - crit.weight
    v = b.col(f"{base}.utility", -INF, INF)
    coefs[v] = 1.0
    b.row(f"{base}.utility", coefs, 0.0, 0.0, RowInfo("curve", f"{base}.utility", cons.party))
    out["constituency_utility"][(cons.party, cons.id)] = v
    budget = tl.ratification[cons.party][2]
    row = {v: 1.0}
    if budget > 0:
        s = b.col(f"{base}.side_payment", 0.0, budget)
        out["side_payment"][(cons.party, cons.id)] = s
        row[s] = 1.0
    lo = cons.lowest
    big = cons.reservation - lo
    kind = tl.ratification[cons.party][0]
    if kind == "all" and y is None:  # must consent: a plain row
        r = None
        b.row(f"{base}.consents", row, cons.reservation, INF, RowInfo("constraint", f"{base}.consents", cons.party))
    else:
        r = b.col(f"{base}.consents", 0.0, 1.0, True)
        if big > 0:
            row[r] = -big
            b.row(f"{base}.consents", row, cons.reservation - big, INF,
                  RowInfo("constraint", f"{base}.consents", cons.party))
    out["consents"][(cons.party, cons.id)] = r


def _ratification_rule(tl, p, y, b, out, RowInfo) -> None:
    kind, value, budget = tl.ratification[p]
    cons = tl.constituencies[p]
    name = f"parties.{p}.ratification"
    info = RowInfo("constraint", name, p)
    r = {c.id: out["consents"][(p, c.id)] for c in cons}
    if budget > 0:
        coefs = {out["side_payment"][(p, c.id)]: 1.0 for c in cons}
        b.row(f"{name}.side_payment_budget", coefs, -INF, budget,
              RowInfo("constraint", f"{name}.side_payment_budget", p))
    if kind == "all":
        if y is not None:
            for c in cons:
                b.row(f"{name}.{c.id}", {r[c.id]: 1.0, y: -1.0}, 0.0, INF, info)
        return
    if kind == "at_least":
        coefs, need = {r[c.id]: 1.0 for c in cons}, float(value)
    else:
        coefs = {r[c.id]: c.weight for c in cons}
        need = value * sum(c.weight for c in cons)
    tol = COUNT_TOL * max(1.0, need)
    if y is None:
        b.row(name, coefs, need - tol, INF, info)
    else:
        coefs[y] = -need
        b.row(name, coefs, -tol, INF, info)


def _rule_rows(rule: VotingRule, y: dict, b, out, RowInfo) -> None:
    info = RowInfo("constraint", "decision_rule", None)
    if rule.min_count > 0:
        b.row("decision_rule.parties", {y[p]: 1.0 for p in rule.voters}, rule.min_count - COUNT_TOL, INF, info)
    if rule.weights is None:
        return
    quota = float(rule.quota)
    tol = 1e-9 * max(1.0, abs(quota))
    coefs = {y[p]: rule.weights[p] for p in rule.voters}
    if rule.block_count is not None:
        z = b.col("decision_rule.blocking_minority_clause", 0.0, 1.0, True)
        out["clause"] = z
        # z = 1 only with at least block_count parties in favour; it waives the weight condition
        b.row("decision_rule.clause", {**{y[p]: 1.0 for p in rule.voters}, z: -float(rule.block_count)},
              -COUNT_TOL, INF, info)
        coefs[z] = quota
    b.row("decision_rule.weight", coefs, quota - tol, INF, info)


# -- evaluating an agreement ------------------------------------------------------------
@dataclass(frozen=True)
class Ratification:
    """Who accepts an agreement and whether it passes (computed from the agreed values)."""

    rule: str
    passes: bool
    accepting: list
    outvoted: list
    stakeholders: list
    constituencies: dict  # party -> {id: {"utility", "reservation", "side_payment", "consents"}}
    ratifies: dict  # party -> bool

    def to_dict(self) -> dict:
        return {"rule": self.rule, "passes": self.passes, "accepting": list(self.accepting),
                "outvoted": list(self.outvoted), "stakeholders": list(self.stakeholders),
                "ratifies": dict(self.ratifies), "constituencies": self.constituencies}


def evaluate(problem, values: dict, utils: dict, x=None) -> Ratification | None:
    """Acceptance, ratification and the rule at an agreement; None for a plain case.

    Side payments are read from the solution `x` (they are decisions, not issues);
    a constituency consents when its utility plus its payment reaches its reservation.
    """
    tl = twolevel_of(problem.resolved)
    if tl is None:
        return None
    case = problem.case
    cols = getattr(problem, "twolevel", None) or {}
    payments = cols.get("side_payment", {})
    report, ratifies, accepting = {}, {}, []
    for p in tl.rule.veto + tl.rule.voters:
        consents = {}
        rows = {}
        if x is None and p in tl.constituencies:  # a drafted package: the best use of the budget
            report[p], ratifies[p] = best_ratification(tl, p, values)
            d = case.parties[p].reservation
            if ratifies[p] and utils[p] >= d - 1e-7 * max(1.0, abs(d)):
                accepting.append(p)
            continue
        for cons in tl.constituencies.get(p, []):
            v = cons.utility(values)
            offered = float(x[payments[(p, cons.id)]]) if x is not None and (p, cons.id) in payments else 0.0
            tol = 1e-7 * max(1.0, abs(cons.reservation))
            pay = 0.0 if v >= cons.reservation - tol else cons.reservation - v  # the least that buys consent
            ok = v + max(offered, 0.0) >= cons.reservation - tol
            pay = pay if ok else 0.0
            consents[cons.id] = ok
            rows[cons.id] = {"utility": _r(v), "reservation": cons.reservation, "side_payment": _r(pay),
                             "consents": ok, "weight": cons.weight}
        if rows:
            report[p] = rows
        ratifies[p] = tl.ratifies(p, consents)
        d = case.parties[p].reservation
        if ratifies[p] and utils[p] >= d - 1e-7 * max(1.0, abs(d)):
            accepting.append(p)
    outvoted = [p for p in tl.rule.veto + tl.rule.voters if p not in accepting]
    return Ratification(tl.rule.kind, tl.rule.passes(accepting), accepting, outvoted, list(tl.stakeholders),
                        report, ratifies)


def best_ratification(tl: TwoLevel, party: str, values: dict) -> tuple[dict, bool]:
    """Whether `party` can ratify a fixed package, paying its constituencies at best within its
    budget: every consenting set is tried (at most MAX_CONSTITUENCIES), the cheapest that meets
    the rule kept. Returns the per-constituency report and the verdict."""
    import itertools

    cons = tl.constituencies[party]
    budget = tl.ratification[party][2]
    v = {c.id: c.utility(values) for c in cons}
    need = {c.id: max(0.0, c.reservation - v[c.id]) for c in cons}
    tol = 1e-9
    best = None
    for r in range(len(cons), -1, -1):
        for subset in itertools.combinations([c.id for c in cons], r):
            cost = sum(need[c] for c in subset)
            if cost > budget + tol or (best is not None and cost >= best[0] - tol):
                continue
            consents = {c.id: c.id in subset for c in cons}
            if tl.ratifies(party, consents):
                best = (cost, consents)
    consents = best[1] if best else {c.id: need[c.id] <= tol for c in cons}
    report = {c.id: {"utility": _r(v[c.id]), "reservation": c.reservation,
                     "side_payment": _r(need[c.id]) if consents[c.id] else 0.0, "consents": consents[c.id],
                     "weight": c.weight} for c in cons}
    return report, best is not None


def option_rejections(problem, values: dict, utils: dict, rejected: list) -> list:
    """compare's verdict on a drafted package in a two-level case: rejected only if it does not
    pass (the parties that would not accept are named) or crosses a limit or constraint."""
    found = evaluate(problem, values, utils)
    if found is None:
        return rejected
    crossings = [r for r in rejected if r[1].startswith("crosses")]
    if found.passes:
        return crossings
    case = problem.case
    why = []
    for p in found.outvoted:
        d = case.parties[p].reservation
        if not found.ratifies.get(p, True):
            refusing = [c for c, v in found.constituencies.get(p, {}).items() if not v["consents"]]
            why.append((p, f"does not ratify ({', '.join(refusing)} refuse)"))
        elif utils[p] < d:
            why.append((p, f"utility {utils[p]:.4g} below reservation {d:.4g}"))
    if len(why) > 8:
        why = why[:8] + [(f"{len(why) - 8} more parties", "refuse")]
    voters = len(found.accepting) + len(found.outvoted)
    return crossings + why + [("decision rule", f"{found.rule} not met: {len(found.accepting)} of {voters} accept")]


def _r(v: float) -> float:
    r = round(float(v), 10)
    return 0.0 if r == 0 else r
