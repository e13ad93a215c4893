"""The case as seen by a coalition: one compiled model, kept warm, switched by bounds.

For a coalition S (CASE_FORMAT.md section 6):
- members' issues are open and take the agreed values;
- every outsider's per-party issue columns are fixed at the status quo;
- outsiders' red lines (`limits`) and acceptance (`reservation`) do not bind;
- a collective constraint follows the case's `coalition_rules:` (`status_quo`,
  the default: it binds the members' agreement with the outsiders at the status
  quo, except a row that reads outsiders' own issues only, such as an outsider's
  row of `cut >= 1`; `members`: its sums run over the members only; `none`: it does not bind
  a coalition short of all parties);
- the concept (or the worth) runs over the members;
- every party's utility is evaluated on the mixed outcome; an outsider reads a
  shared issue at its status-quo value (it does not adopt what the members
  agreed), a member at the agreed value.

`CoalitionView.enter(S)` moves the live backend to S by column and row bounds
(only the parties whose membership changed), plus the restricted rows of
`members`-rule constraints added after a mark; nothing is validated or
compiled again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from negotiate.backends import make_backend
from negotiate.case import expr
from negotiate.case.resolve import env_for
from negotiate.case.schema import Case
from negotiate.compile import Problem, compile_case
from negotiate.errors import CaseError, Location, Problem as CaseProblem
from negotiate.formulation.concepts import ConceptRunner
from negotiate.proposal import agreement_of, issue_values, utilities

INF = float("inf")
RULES = ("status_quo", "members", "none")


# -- checks ----------------------------------------------------------------------
def _located(case: Case, path: tuple, message: str, value=None, hint=None) -> CaseProblem:
    source = getattr(case, "_source", None)
    where = source.locate(path) if source is not None else Location()
    return CaseProblem(message, ".".join(str(p) for p in path), where, value, hint)


def check_coalition_case(case: Case, resolved) -> None:
    """Raise a located CaseError unless the case can be analysed by coalitions:
    a status quo for every per-party issue and every shared issue a criterion
    reads; `blocs:` of known, distinct parties; `coalition_rules:` of known
    collective constraints."""
    problems = []
    sq = resolved.status_quo
    read = {k[0] for curves in resolved.criteria.values() for c in curves for k in c.lin.terms}
    gaps: dict[str, list] = {}  # issue -> parties (or [None]) without a status quo
    for v in resolved.variables:
        iid, party, _ = v.key
        if v.key not in sq and (party is not None or iid in read) and party not in gaps.get(iid, []):
            gaps.setdefault(iid, []).append(party)
    missing = [iid if None in ps or len(ps) == len(case.parties) else f"{iid}[{', '.join(ps)}]"
               for iid, ps in gaps.items()]
    if missing:
        problems.append(_located(
            case, ("status_quo",),
            "coalition analysis needs the status quo of " + ", ".join(f"`{m}`" for m in missing),
            None, "outsiders keep their issues at the status quo: give `status_quo:` each issue's value with "
                  "no agreement (a per-party issue: {PARTY: value, default: value})"))
    for bloc, members in case.blocs.items():
        path = ("blocs", bloc)
        if not members:
            problems.append(_located(case, path, "a bloc needs at least one member", members))
        for k, p in enumerate(members):
            if p not in case.parties:
                problems.append(_located(case, path + (k,), f"unknown party `{p}`", p,
                                         expr.did_you_mean(p, case.parties) or f"parties: {', '.join(case.parties)}"))
        dup = sorted({p for p in members if members.count(p) > 1})
        if dup:
            problems.append(_located(case, path, f"listed twice: {', '.join(dup)}", members))
    for cid in case.coalition_rules:
        if cid not in case.constraints:
            problems.append(_located(case, ("coalition_rules", cid), f"unknown constraint `{cid}`", None,
                                     expr.did_you_mean(cid, case.constraints)
                                     or f"constraints: {', '.join(case.constraints) or 'none in this case'}"))
    if problems:
        raise CaseError(problems)


# -- evaluation --------------------------------------------------------------------
class Scorer:
    """Every party's utility from variable values, all criteria at once (numpy).

    The same arithmetic as `ScoreCurve.score` (a linear form, then the curve,
    flat beyond its end points), vectorised because coalition analysis
    evaluates thousands of mixed outcomes.
    """

    def __init__(self, problem: Problem):
        resolved = problem.resolved
        self.keys = [v.key for v in resolved.variables]
        index = {k: i for i, k in enumerate(self.keys)}
        curves = [c for p in resolved.parties for c in resolved.criteria[p]]
        party_index = {p: i for i, p in enumerate(resolved.parties)}
        self.parties = list(resolved.parties)
        m, n = len(curves), len(self.keys)
        self.matrix = np.zeros((m, n))
        self.const = np.zeros(m)
        self.weight = np.zeros(m)
        self.owner = np.zeros(m, dtype=np.int64)
        width = max([len(c.xs) for c in curves if c.xs is not None] or [2])
        self.xs = np.full((m, width), np.inf)
        self.ys = np.zeros((m, width))
        self.length = np.zeros(m, dtype=np.int64)  # 0: the score is the linear form itself
        for k, c in enumerate(curves):
            for key, coef in c.lin.terms.items():
                self.matrix[k, index[key]] += coef
            self.const[k] = c.lin.const
            self.weight[k] = c.weight
            self.owner[k] = party_index[c.party]
            if c.xs is not None:
                L = len(c.xs)
                self.length[k] = L
                self.xs[k, :L] = c.xs
                self.ys[k, :L] = c.ys
                self.ys[k, L:] = c.ys[-1]
        self.rows = np.arange(m)

    def vector(self, values: dict) -> np.ndarray:
        return np.array([values.get(k, np.nan) for k in self.keys])

    def utilities(self, x: np.ndarray) -> np.ndarray:
        """Utility of every party (in party order) at variable vector x."""
        e = self.matrix @ np.nan_to_num(x) + self.const
        score = e.copy()
        curved = self.length > 0
        if curved.any():
            rows, ec = self.rows[curved], e[curved]
            xs, ys, L = self.xs[curved], self.ys[curved], self.length[curved]
            first, last = xs[:, 0], xs[np.arange(len(rows)), L - 1]
            ec = np.clip(ec, first, last)
            seg = np.clip((xs <= ec[:, None]).sum(axis=1) - 1, 0, np.maximum(L - 2, 0))
            r = np.arange(len(rows))
            x0, x1 = xs[r, seg], xs[r, np.minimum(seg + 1, L - 1)]
            y0, y1 = ys[r, seg], ys[r, np.minimum(seg + 1, L - 1)]
            span = np.where(x1 > x0, x1 - x0, 1.0)
            score[curved] = np.where(x1 > x0, y0 + (y1 - y0) * (ec - x0) / span, y0)
        return np.bincount(self.owner, weights=self.weight * score, minlength=len(self.parties))


@dataclass(frozen=True)
class Evaluated:
    """One solve's answer for a coalition: its status, every party's utility, the values."""

    status: str  # optimal | feasible | infeasible | error
    utility: dict  # every party (the status quo's when there is no agreement)
    values: dict | None  # variable key -> value of the mixed outcome (None: no agreement)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.values is not None


class CoalitionView:
    """A case compiled once and kept warm; `enter(S)` makes it the case as seen by S."""

    def __init__(self, case: Case, *, backend: str | None = None, solver: str | None = None,
                 time_limit: float | None = None, problem: Problem | None = None):
        self.case = case
        self.problem = problem if problem is not None else compile_case(case)
        pr = self.problem
        check_coalition_case(case, pr.resolved)
        s = case.solve
        self.backend = make_backend(pr, backend or s.backend, solver or s.solver,
                                    time_limit=time_limit or s.time_limit, mip_gap=s.mip_gap)
        self.parties: list[str] = list(pr.parties)
        self.weight = {p: case.parties[p].weight for p in self.parties}
        self.reservation = {p: float(case.parties[p].reservation) for p in self.parties}
        self.sq: dict = dict(pr.resolved.status_quo)
        self.shared_sq = {k: v for k, v in self.sq.items() if k[1] is None}
        self._cols: dict[str, list[tuple[int, float]]] = {p: [] for p in self.parties}
        self._own_sq: dict[str, dict] = {p: {} for p in self.parties}  # a party's per-party issues at the status quo
        for v in pr.resolved.variables:
            if v.key[1] is not None:
                self._cols[v.key[1]].append((pr.var_col[v.key], self.sq[v.key]))
                self._own_sq[v.key[1]][v.key] = self.sq[v.key]
        self._rows: dict[str, list[int]] = {p: [] for p in self.parties}
        self._rule_rows: dict[str, list[int]] = {}  # constraint id -> its rows
        # rows of a collective constraint that read only some parties' own issues (a vector
        # constraint's row of one party): under the status_quo rule they bind when one of
        # those parties is a member, and not a row made of outsiders at the status quo alone
        self._own_rows: dict[int, frozenset] = {}
        for r in pr.resolved.rows:
            i = pr.case_rows[r.id]
            if r.kind == "limit" and r.party is not None:
                self._rows[r.party].append(i)
            elif r.kind == "constraint":
                cid = r.id.split(".", 1)[1].split("[", 1)[0]
                self._rule_rows.setdefault(cid, []).append(i)
                if all(k[1] is not None for k in r.lin.terms):  # about some parties' own issues only
                    self._own_rows[i] = frozenset(k[1] for k in r.lin.terms)
        self.rules = {cid: case.coalition_rules.get(cid, "status_quo") for cid in self._rule_rows}
        utils, _ = utilities(pr, self.sq_values())
        self.sq_utility = {p: float(utils[p]) for p in self.parties}
        self.scorer = Scorer(pr)
        self._shared_at = np.array([i for i, k in enumerate(self.scorer.keys) if k in self.shared_sq], dtype=np.int64)
        self._shared_vals = np.array([self.shared_sq[self.scorer.keys[i]] for i in self._shared_at])
        self.members: frozenset = frozenset(self.parties)
        self.acceptance = True  # members' reservation rows bind (see acceptance_binds)
        self._additive: dict = {}  # members-rule constraint -> _Additive or None
        self._rows_now: dict[int, tuple[float, float]] = {}  # rows whose bounds differ from the Problem's
        self._party_keys: dict[str, list[tuple[tuple, int]]] = {p: [] for p in self.parties}
        for v in pr.resolved.variables:
            if v.key[1] is not None:
                self._party_keys[v.key[1]].append((v.key, pr.var_col[v.key]))
        self._shared_cols = [(k, pr.var_col[k]) for k in self.shared_sq]
        self.solves = 0

    @property
    def n(self) -> int:
        return len(self.parties)

    def sq_values(self) -> dict:
        """The status quo as variable values (only the issues it gives)."""
        return dict(self.sq)

    # -- moving between coalitions -------------------------------------------------
    def enter(self, members) -> tuple[int, int]:
        """Make the live model the case as seen by `members`; returns the mark to `leave` at."""
        S = frozenset(members)
        pr, b = self.problem, self.backend
        for p in self.parties:
            now = p in S
            if now == (p in self.members):
                continue
            for j, v in self._cols[p]:
                b.set_col_bounds(j, *((pr.col_lb[j], pr.col_ub[j]) if now else (v, v)))
            for i in self._rows[p]:
                self._set_row(i, *((pr.row_lo[i], pr.row_hi[i]) if now else (-INF, INF)))
            i = pr.reservation_row.get(p)
            if i is not None:
                self._set_row(i, *((pr.row_lo[i], pr.row_hi[i]) if now and self.acceptance else (-INF, INF)))
        for cid, rows in self._rule_rows.items():
            if self.rules[cid] != "status_quo":
                continue
            for i in rows:
                if i in self._own_rows and bool(self._own_rows[i] & S) != bool(self._own_rows[i] & self.members):
                    self._set_row(i, *((pr.row_lo[i], pr.row_hi[i]) if self._own_rows[i] & S else (-INF, INF)))
        grand_now, grand_was = len(S) == self.n, len(self.members) == self.n
        if grand_now != grand_was:
            for cid, rows in self._rule_rows.items():
                if self.rules[cid] == "status_quo":
                    continue
                for i in rows:  # `members` and `none` rows bind only the grand coalition as written
                    self._set_row(i, *((pr.row_lo[i], pr.row_hi[i]) if grand_now else (-INF, INF)))
        self.members = S
        mark = b.mark()
        if not grand_now:
            rows = self._member_rows(S)
            if rows:
                for i, (_, lo, hi, _) in zip(b.add_rows(rows), rows):
                    self._rows_now[i] = (lo, hi)
        return mark

    def leave(self, mark) -> None:
        self.backend.rollback(mark)
        for i in [i for i in self._rows_now if i >= mark[1]]:
            del self._rows_now[i]

    def _set_row(self, i: int, lo: float, hi: float) -> None:
        pr = self.problem
        if i < pr.n_rows and lo == pr.row_lo[i] and hi == pr.row_hi[i]:
            self._rows_now.pop(i, None)
        else:
            self._rows_now[i] = (lo, hi)
        self.backend.set_row_bounds(i, lo, hi)

    def _row_bounds(self, i: int) -> tuple[float, float]:
        pr = self.problem
        return self._rows_now.get(i, (pr.row_lo[i], pr.row_hi[i]) if i < pr.n_rows else (-INF, INF))

    def _member_rows(self, S: frozenset) -> list:
        """The rows of `members`-rule constraints with their sums over the members of S."""
        members = [p for p in self.parties if p in S]
        if not members:
            return []
        out = []
        for cid, rule in self.rules.items():
            if rule != "members":
                continue
            if cid not in self._additive:
                self._additive[cid] = self._additive_model(cid)
            model = self._additive[cid]
            out += model.rows(S, self.parties) if model is not None else self._restricted(cid, members)
        return out

    def _restricted(self, cid: str, members: list[str]) -> list:
        """constraints.cid with its vectors and sums over `members` (parsed again)."""
        case, pr = self.case, self.problem
        base = env_for(case)
        env = expr.Env(parameters=base.parameters, issues=base.issues, parties=members,
                       data={p: base.data[p] for p in members})
        text = case.constraints[cid]
        try:
            rows = expr.constraint(text, env)
        except expr.ExprError as e:
            raise CaseError([_located(
                case, ("coalition_rules", cid),
                f"`members` cannot restrict constraints.{cid} to {{{', '.join(members)}}}: {e.message}",
                text, "the rule sums the constraint's vectors over the members; it cannot name an "
                      "outsider (use `status_quo` or `none` for this constraint)")]) from None
        out = []
        for r in rows:
            coefs: dict[int, float] = {}
            for key, c in r.lin.terms.items():
                if c:
                    j = pr.var_col[key]
                    coefs[j] = coefs.get(j, 0.0) + c
            out.append((coefs, r.lo, r.hi, f"coalition.{cid}"))
        return out

    def _additive_model(self, cid: str) -> "_Additive | None":
        """When constraints.cid restricted to S is the full constraint less each outsider's
        share (sums over parties: the usual case), those shares, so that moving between
        coalitions needs no parsing; checked against parsing on a few coalitions. None
        otherwise (`mean`, a party named outright, ...): every coalition is parsed."""
        try:
            full = self._restricted(cid, self.parties)
            less = {p: self._restricted(cid, [q for q in self.parties if q != p]) for p in self.parties}
        except CaseError:
            return None
        model = _Additive.of(full, less)
        if model is None:
            return None
        rng = np.random.default_rng(0)
        n = self.n
        for size in {1, max(1, n // 2), max(1, n - 2)}:
            S = frozenset(rng.choice(self.parties, size=size, replace=False).tolist())
            if not _same_rows(model.rows(S, self.parties), self._restricted(cid, [p for p in self.parties if p in S])):
                return None
        return model

    # -- solving -----------------------------------------------------------------
    def _acceptance(self, S, on: bool) -> None:
        pr = self.problem
        for p in S:
            i = pr.reservation_row.get(p)
            if i is not None:
                self._set_row(i, *((pr.row_lo[i], pr.row_hi[i]) if on else (-INF, INF)))

    def acceptance_binds(self, on: bool) -> None:
        """Whether members' acceptance binds in the live model (off for runs of worths only,
        which would otherwise free and restore every member's row around each solve)."""
        if on != self.acceptance:
            self.acceptance = on
            self._acceptance(self.members, on)

    def evaluate(self, values: dict, S) -> dict:
        """Every party's utility on the mixed outcome `values` of coalition S."""
        S = frozenset(S)
        mixed = dict(values)
        for p in self.parties:
            if p not in S:
                mixed.update(self._own_sq[p])
        x = self.scorer.vector(mixed)
        u_in = self.scorer.utilities(x)
        if len(S) == self.n:
            return {p: float(u_in[i]) for i, p in enumerate(self.parties)}
        x[self._shared_at] = self._shared_vals
        u_out = self.scorer.utilities(x)
        return {p: float(u_in[i] if p in S else u_out[i]) for i, p in enumerate(self.parties)}

    def mixed_values(self, x: np.ndarray, S) -> dict:
        values = issue_values(self.problem, x)
        for p in self.parties:
            if p not in S:
                values.update(self._own_sq[p])
        return values

    def status_quo(self) -> Evaluated:
        return Evaluated("status_quo", dict(self.sq_utility), None)

    def worth(self, S) -> tuple[float, Evaluated]:
        """The largest sum of w_i u_i over the members of S, outsiders at the status quo,
        members' acceptance not imposed (transferable utility), and never below the
        members' sum at the status quo (not agreeing is always open to them; it is all
        they have when no agreement meets the red lines and constraints)."""
        S = frozenset(S)
        if not S:
            return 0.0, self.status_quo()
        b = self.backend
        toggle = self.acceptance
        if toggle:
            self._acceptance(S, False)
        try:
            b.set_objective({self.problem.utility_col[p]: self.weight[p] for p in S})
            r = b.solve()
            self.solves += 1
        finally:
            if toggle:
                self._acceptance(S, True)
        if r.has_solution and r.status in ("optimal", "limit"):
            values = self.mixed_values(r.x, S)
            u = self.evaluate(values, S)
            ev = Evaluated("optimal" if r.status == "optimal" else "feasible", u, values)
        else:
            status = "infeasible" if r.status == "infeasible" else "error"
            ev = Evaluated(status, dict(self.sq_utility), None, r.message or r.status)
        worth = sum(self.weight[p] * ev.utility[p] for p in S)
        at_sq = sum(self.weight[p] * self.sq_utility[p] for p in S)
        if ev.ok and at_sq > worth:  # not agreeing is always open to the members
            return at_sq, Evaluated("status_quo", dict(self.sq_utility), None,
                                    "no agreement gives the members more than the status quo")
        return worth, ev

    def agree(self, S, concept: str, reuse: Evaluated | None = None) -> Evaluated:
        """The agreement the members of S reach under `concept` (their acceptance binds);
        `reuse`: a utilitarian optimum without acceptance, taken when every member accepts it."""
        S = frozenset(S)
        if not S:
            return self.status_quo()
        if reuse is not None and reuse.ok and concept == "utilitarian" and self._accepted(reuse.utility, S):
            return reuse
        self.acceptance_binds(True)
        pr = self.problem
        runner = _UnpricedRunner(self.backend, pr, lambda x: utilities(pr, issue_values(pr, x))[0])
        runner.parties = [p for p in self.parties if p in S]
        before = self.backend.solves
        out = runner.run(concept)
        self.solves += self.backend.solves - before
        if not out.ok:
            return Evaluated(out.status, dict(self.sq_utility), None, out.message)
        values = self.mixed_values(out.x, S)
        return Evaluated(out.status, self.evaluate(values, S), values, "; ".join(out.notes))

    def best_response(self, S, concept: str, max_rounds: int = 50, tol: float = 1e-7) -> Evaluated:
        """Outsiders best-respond instead of staying at the status quo.

        The members agree under `concept` given the outsiders' current choices;
        then each outsider in turn chooses its own per-party issues to maximise
        its utility given everyone else's (its red lines bind, and so do the
        collective constraints of rule `status_quo`, which bind the whole
        outcome; it reads shared issues at the status quo).
        Repeated from the status quo until no outsider's issue moves by more
        than `tol` of its range in a round: a Nash equilibrium between the
        coalition and the outsiders. Not converging within `max_rounds` is an
        `error` outcome that says so (no proof of convergence is claimed).
        """
        S = frozenset(S)
        outsiders = [p for p in self.parties if p not in S]
        if not S or not outsiders:
            return self.agree(S, concept)
        current = {p: dict(self._own_sq[p]) for p in outsiders}
        move = math.inf
        try:
            for rounds in range(1, max_rounds + 1):
                self._fix(current)
                ev = self.agree(S, concept)
                if not ev.ok:
                    return ev
                move = 0.0
                for j in outsiders:
                    choice = self._respond(j, S, ev.values, current)
                    if choice is None:
                        return Evaluated("error", dict(self.sq_utility), None,
                                         f"{j} has no best response within its red lines")
                    move = max([move] + [abs(choice[k] - current[j][k]) / self._span(k) for k in choice])
                    current[j] = choice
                if move <= tol:
                    values = dict(ev.values)
                    for j in outsiders:
                        values.update(current[j])
                    u_all = self.scorer.utilities(self.scorer.vector(values))
                    out_values = {**values, **self.shared_sq}
                    u_out = self.scorer.utilities(self.scorer.vector(out_values))
                    u = {p: float(u_all[i] if p in S else u_out[i]) for i, p in enumerate(self.parties)}
                    return Evaluated(ev.status, u, values, f"outsiders' best responses settled in {rounds} rounds")
        finally:
            self._fix({p: self._own_sq[p] for p in outsiders})
        return Evaluated("error", dict(self.sq_utility), None,
                         f"outsiders' best responses did not settle in {max_rounds} rounds "
                         f"(last move {move:.3g} of an issue's range)")

    def _span(self, key) -> float:
        j = self.problem.var_col[key]
        lo, hi = self.problem.col_lb[j], self.problem.col_ub[j]
        return max(1.0, hi - lo) if math.isfinite(hi - lo) else 1.0

    def _fix(self, choices: dict) -> None:
        for p, values in choices.items():
            for key, j in self._party_keys[p]:
                self.backend.set_col_bounds(j, values[key], values[key])

    def _respond(self, j: str, S, member_values: dict, current: dict) -> dict | None:
        """Outsider j's best choice of its own issues, everything else held (bounds restored after)."""
        b, pr = self.backend, self.problem
        cols: list[tuple[int, tuple[float, float]]] = []
        rows: list[tuple[int, tuple[float, float]]] = []

        def col(jj: int, lo: float, hi: float) -> None:
            cols.append((jj, b.col_bounds(jj)))
            b.set_col_bounds(jj, lo, hi)

        def row(i: int, lo: float, hi: float) -> None:
            rows.append((i, self._row_bounds(i)))
            self._set_row(i, lo, hi)

        try:
            for p in S:
                for key, jj in self._party_keys[p]:
                    col(jj, member_values[key], member_values[key])
            for key, jj in self._shared_cols:
                col(jj, self.shared_sq[key], self.shared_sq[key])
            for _, jj in self._party_keys[j]:
                col(jj, pr.col_lb[jj], pr.col_ub[jj])
            binding = {i for cid, rs in self._rule_rows.items() if self.rules[cid] == "status_quo" for i in rs}
            for i in range(b.n_rows):  # j's red lines, `status_quo`-rule constraints and definitions bind
                info = pr.row_info[i] if i < pr.n_rows else None
                if i in binding:
                    continue
                if info is None or info.kind in ("constraint", "reservation") or (
                        info.kind == "limit" and info.party != j):
                    row(i, -INF, INF)
            for i in self._rows[j]:
                row(i, pr.row_lo[i], pr.row_hi[i])
            b.set_objective({pr.utility_col[j]: 1.0})
            r = b.solve()
            self.solves += 1
            if not (r.has_solution and r.status in ("optimal", "limit")):
                return None
            values = issue_values(pr, r.x)
            return {key: values[key] for key, _ in self._party_keys[j]}
        finally:
            for i, (lo, hi) in reversed(rows):
                self._set_row(i, lo, hi)
            for jj, (lo, hi) in reversed(cols):
                b.set_col_bounds(jj, lo, hi)

    def _accepted(self, utility: dict, S) -> bool:
        if not self.case.solve.require_acceptance:
            return True
        return all(utility[p] >= self.reservation[p] - 1e-7 * max(1.0, abs(self.reservation[p])) for p in S)

    def agreement(self, ev: Evaluated, S) -> dict | None:
        """The mixed outcome by issue: members' values, outsiders' status quo; shared issues as agreed."""
        if not ev.ok:
            return None
        return agreement_of(self.problem, ev.values)


@dataclass
class _Additive:
    """A `members`-rule constraint as its full rows less each party's share."""

    full: list  # [(coefs, lo, hi, name)]
    share: dict  # party -> [(coefs, lo, hi)] to take away when it is an outsider

    @classmethod
    def of(cls, full: list, less: dict) -> "_Additive | None":
        share = {}
        for p, rows in less.items():
            if len(rows) != len(full):
                return None
            mine = []
            for (c, lo, hi, _), (c2, lo2, hi2, _) in zip(full, rows):
                if math.isinf(lo) != math.isinf(lo2) or math.isinf(hi) != math.isinf(hi2):
                    return None
                d = {j: v - c2.get(j, 0.0) for j, v in c.items()}
                d.update({j: -v for j, v in c2.items() if j not in c})
                mine.append(({j: v for j, v in d.items() if v != 0.0},
                             0.0 if math.isinf(lo) else lo - lo2, 0.0 if math.isinf(hi) else hi - hi2))
            share[p] = mine
        return cls(full, share)

    def rows(self, S, parties) -> list:
        out = []
        for k, (coefs, lo, hi, name) in enumerate(self.full):
            c = dict(coefs)
            for p in parties:
                if p in S:
                    continue
                d, dlo, dhi = self.share[p][k]
                for j, v in d.items():
                    c[j] = c.get(j, 0.0) - v
                lo, hi = lo - dlo, hi - dhi
            out.append(({j: v for j, v in c.items() if v != 0.0}, lo, hi, name))
        return out


def _same_rows(a: list, b: list, tol: float = 1e-9) -> bool:
    if len(a) != len(b):
        return False
    for (c1, lo1, hi1, _), (c2, lo2, hi2, _) in zip(a, b):
        scale = max([1.0] + [abs(v) for v in c2.values()] + [abs(x) for x in (lo2, hi2) if math.isfinite(x)])
        keys = set(c1) | set(c2)
        if any(abs(c1.get(j, 0.0) - c2.get(j, 0.0)) > tol * scale for j in keys):
            return False
        for x, y in ((lo1, lo2), (hi1, hi2)):
            if math.isinf(x) or math.isinf(y):
                if x != y:
                    return False
            elif abs(x - y) > tol * scale:
                return False
    return True


class _UnpricedRunner(ConceptRunner):
    """A concept without shadow prices: coalition analysis reports none, and on a MIP
    pricing would solve the concept's LP again for every coalition."""

    def _price(self, concept: str, out) -> None:
        return None


def gray_order(masks) -> list[int]:
    """Coalition masks ordered so that consecutive ones differ in few parties (fewer bound changes)."""
    return sorted(masks, key=lambda m: _gray_rank(m))


def _gray_rank(g: int) -> int:
    """The position of `g` in the binary reflected Gray code."""
    n = g
    shift = 1
    while (g >> shift) > 0:
        n ^= g >> shift
        shift += 1
    return n


def finite(x: float) -> float:
    return x if math.isfinite(x) else float("nan")
