"""Tie sets of discrete cases too large to enumerate: no-good cuts on the MIP.

After the concept's own solve, rows that only its optimal agreements satisfy
are added to the built model, and agreements are drawn from it one by one,
each checked exactly (utilities recomputed from the agreed values) and then
excluded by a no-good cut, until none is left or `limit` ties are found:
- utilitarian: collective benefit >= its optimum;
- egalitarian / Kalai-Smorodinsky (and Nash with a zero product): for every
  k, the sum of the k smallest scaled gains >= the optimum's (with the optimum
  leximin-best, only agreements with the same sorted gains satisfy all n rows);
- Nash: the weighted log gains >= the optimum, by tangent cuts (an outer
  approximation: a candidate that fails the exact check adds tangents at its
  gains and is cut off).
A no-good cut excludes one agreement: its chosen options (sum <= count - 1),
or an integer issue moved one whole number up or down (two binaries each).
"""

from __future__ import annotations

import math

import numpy as np

from negotiate.backends import make_backend
from negotiate.backends.base import INF
from negotiate.case.resolve import resolve
from negotiate.compile import compile_case, utility_scales
from negotiate.proposal import issue_values
from negotiate import registry
from negotiate.case.schema import Case
from negotiate.tie_sets import (
    API_CAP, GAIN_TOL, LISTED, TieSet, _agreement, _tie_set, evaluate, outcome_axes, space_size,
)

VERIFY_TOL = 1e-7  # MIP-level accuracy: a tie reaches the optimum within this, relative to its unit
ROW_TOL = 1e-7
EXTRA_CANDIDATES = 200  # candidates that fail the exact check before the search gives up


def mip_tie_set(case, concept: str, limit: int = 1000, time_limit: float | None = None) -> TieSet:
    """Up to `limit` agreements optimal for `concept`, found by no-good cuts (`count` is
    exact when `complete`)."""
    from negotiate.solving import concept_name, solve_problem

    concept = concept_name(concept)
    resolved = resolve(case)
    axes = outcome_axes(resolved)
    if isinstance(axes, str):
        raise ValueError(f"ties are listed for discrete cases, and {axes}")
    problem = compile_case(case)
    b = make_backend(problem, "highs", None, time_limit=time_limit, mip_gap=1e-9)
    prop = solve_problem(problem, b, concept)
    n = space_size(axes)
    if not prop.ok:
        return TieSet(case.name, concept, 0, n, method="mip")
    search = _Search(problem, b, axes, concept, prop)
    found, complete = search.run(limit)
    found.sort()
    U = [search.utilities_of_index(i) for i in found]
    return TieSet(case.name, concept, len(found), n,
                  agreements=[_agreement(resolved, axes, i) for i in found],
                  utilities=[dict(zip(problem.parties, map(float, u))) for u in U],
                  value=search.value, method="mip", complete=complete)


class _Search:
    def __init__(self, problem, backend, axes, concept, prop):
        self.p, self.b, self.axes = problem, backend, axes
        case = problem.case
        self.parties = problem.parties
        self.w = np.array([case.parties[q].weight for q in self.parties])
        self.d = np.array([case.parties[q].reservation for q in self.parties])
        scales = utility_scales(problem)  # gains and acceptance are judged relative to these
        self.uscale = np.array([scales[q] for q in self.parties])
        self.u0 = np.array([prop.parties[q].utility for q in self.parties])
        held = np.array([prop.parties[q].held for q in self.parties])
        self.kind, self.scale, self.value = self._target(concept, prop, held)
        self.unit = self._unit()
        self.zcol: dict = {}

    # -- what a tie must reach ---------------------------------------------------
    def _target(self, concept, prop, held):
        free = ~held
        if concept == "utilitarian" or not free.any():
            return "sum", None, [float(self.w @ self.u0)]
        if concept == "egalitarian":
            scale = 1.0 / self.w
        elif concept == "kalai_smorodinsky":
            ideal = np.array([prop.parties[q].ideal for q in self.parties])
            scale = np.where(free, 1.0 / np.where(free, ideal - self.d, 1.0), 0.0)
        else:
            gains = self.u0 - self.d
            if (gains[free] > GAIN_TOL * self.uscale[free]).all():
                self.active = free
                return "nash", None, [float(self.w[free] @ np.log(gains[free]))]
            scale = np.where(free, 1.0 / self.w, 0.0)
        scale = np.where(free, scale, 0.0)
        return "leximin", scale, sorted(float(x) for x in self._scaled(self.u0, scale))

    def _unit(self) -> float:
        """The size of the concept's value, which tolerances are relative to: the weighted sum
        of the utility scales; a leximin level's largest scaled utility scale; for Nash's sum of
        weighted logs, the weights (a relative change of the product) or the value itself."""
        if self.kind == "sum":
            return float(np.abs(self.w) @ self.uscale)
        if self.kind == "nash":
            return max(float(self.w[self.active].sum()), abs(self.value[0]))
        return float((self.scale * self.uscale).max())

    def _scaled(self, u, scale):
        mask = scale > 0
        return (u[mask] - self.d[mask]) * scale[mask]

    def _add_rows(self) -> None:
        b, ucol = self.b, self.p.utility_col
        if self.kind == "sum":
            best = self.value[0]
            b.add_rows([({ucol[q]: self.w[k] for k, q in enumerate(self.parties)},
                         best - ROW_TOL * self.unit, INF, "ties.benefit")])
        elif self.kind == "leximin":
            ps = [q for k, q in enumerate(self.parties) if self.scale[k] > 0]
            sc = {q: self.scale[self.parties.index(q)] for q in ps}
            d = dict(zip(self.parties, self.d))
            total = 0.0
            for k in range(1, len(ps) + 1):
                total += self.value[k - 1]
                cols = b.add_cols([-INF] + [0.0] * len(ps), [INF] * (len(ps) + 1),
                                  [f"ties.r{k}"] + [f"ties.d{k}.{q}" for q in ps])
                r, dk = cols[0], cols[1:]
                b.add_rows([({dk[i]: 1.0, r: -1.0, ucol[q]: sc[q]}, sc[q] * d[q], INF, f"ties.k{k}.{q}")
                            for i, q in enumerate(ps)])
                b.add_rows([({r: float(k), **{j: -1.0 for j in dk}}, total - ROW_TOL * k * self.unit, INF,
                             f"ties.S{k}")])
        else:
            act = [q for k, q in enumerate(self.parties) if self.active[k]]
            d = dict(zip(self.parties, self.d))
            cols = b.add_cols([-INF] * len(act), [INF] * len(act), [f"ties.z.{q}" for q in act])
            self.zcol = dict(zip(act, cols))
            for q in act:  # gains must be positive
                b.add_rows([({ucol[q]: 1.0}, d[q] + GAIN_TOL * self.uscale[self.parties.index(q)], INF,
                             f"ties.gain.{q}")])
            w = dict(zip(self.parties, self.w))
            best = self.value[0]
            b.add_rows([({self.zcol[q]: w[q] for q in act}, best - ROW_TOL * self.unit, INF, "ties.nash")])
            self._tangents(self.u0)

    def _tangents(self, u) -> None:
        ucol = self.p.utility_col
        rows = []
        for k, q in enumerate(self.parties):
            if q in self.zcol:
                g = float(u[k] - self.d[k])
                if g > 0:  # z <= log g + (u - d - g) / g
                    rows.append(({self.zcol[q]: 1.0, ucol[q]: -1.0 / g}, -INF,
                                 math.log(g) - 1.0 - self.d[k] / g, f"ties.tangent.{q}"))
        if rows:
            self.b.add_rows(rows)

    # -- checking and excluding candidates ----------------------------------------
    def _values(self, x) -> dict:
        return issue_values(self.p, x)

    def _utilities(self, values: dict) -> np.ndarray:
        X = np.array([[values[v.key] for v in self.p.resolved.variables]])
        return evaluate(self.p.resolved, X)[0][0]

    def utilities_of_index(self, index: int) -> np.ndarray:
        idx = np.unravel_index(index, [a.size for a in self.axes])
        values = {v.key: 0.0 for v in self.p.resolved.variables}
        for a, i in zip(self.axes, idx):
            if a.options is not None:
                values[(a.issue, a.party, a.options[int(i)])] = 1.0
            else:
                values[(a.issue, a.party, None)] = float(a.values[int(i)])
        return self._utilities(values)

    def _is_tie(self, u: np.ndarray) -> bool:
        if self.kind == "sum":
            best = self.value[0]
            return float(self.w @ u) >= best - VERIFY_TOL * self.unit
        if self.kind == "nash":
            g = u[self.active] - self.d[self.active]
            if (g <= 0).any():
                return False
            best = self.value[0]
            return float(self.w[self.active] @ np.log(g)) >= best - VERIFY_TOL * self.unit
        mine = sorted(self._scaled(u, self.scale))
        return all(abs(a - b) <= VERIFY_TOL * self.unit for a, b in zip(mine, self.value))

    def _index(self, values: dict) -> int:
        idx = []
        for a in self.axes:
            if a.options is not None:
                idx.append(next(k for k, o in enumerate(a.options) if values[(a.issue, a.party, o)] > 0.5))
            else:
                idx.append(int(np.flatnonzero(np.abs(a.values - values[(a.issue, a.party, None)]) <= 1e-6)[0]))
        return int(np.ravel_multi_index(idx, [a.size for a in self.axes]))

    def _exclude(self, values: dict) -> None:
        """A no-good cut: at least one choice differs from this agreement."""
        b, col = self.b, self.p.var_col
        coefs: dict = {}
        rhs = 0.0
        for a in self.axes:
            if a.options is not None:
                chosen = next(o for o in a.options if values[(a.issue, a.party, o)] > 0.5)
                coefs[col[(a.issue, a.party, chosen)]] = -1.0  # (1 - x) counts a change
                rhs -= 1.0
            else:
                j = col[(a.issue, a.party, None)]
                v = values[(a.issue, a.party, None)]
                lo, hi = float(a.values[0]), float(a.values[-1])
                up, down = b.add_cols([0.0, 0.0], [1.0, 1.0], ["ties.up", "ties.down"])
                b.set_col_integer(up, True)
                b.set_col_integer(down, True)
                # up = 1 -> x >= v + 1;  down = 1 -> x <= v - 1
                b.add_rows([({j: 1.0, up: -(v + 1 - lo)}, lo, INF, "ties.up"),
                            ({j: 1.0, down: (hi - v + 1)}, -INF, hi, "ties.down")])
                coefs[up] = 1.0
                coefs[down] = 1.0
        b.add_rows([(coefs, 1.0 + rhs, INF, "ties.nogood")])

    def run(self, limit: int) -> tuple[list[int], bool]:
        self._add_rows()
        self.b.set_objective({})
        found: list[int] = []
        misses = 0
        while len(found) < limit:
            r = self.b.solve()
            if r.status == "infeasible":
                return found, True
            if not r.has_solution:
                return found, False
            values = self._values(r.x)
            u = self._utilities(values)
            if self._is_tie(u):
                found.append(self._index(values))
            else:
                misses += 1
                if self.kind == "nash":
                    self._tangents(u)
                if misses > EXTRA_CANDIDATES:
                    return found, False
            self._exclude(values)
        return found, False


def tie_set(case: Case, concept: str, cap: int = API_CAP, limit: int = LISTED, resolved=None) -> TieSet:
    """Every agreement optimal for `concept` on a discrete case.

    Up to `cap` outcomes: by enumeration (all of them counted, the first
    LISTED listed). Beyond: by no-good cuts on the MIP, at most `limit` ties
    (`complete` is False when the search stopped there). Raises ValueError
    for a case with a continuous issue (its optimal agreements may form a
    continuum).
    """
    concept = registry.concept(concept).name
    resolved = resolved or resolve(case)
    axes = outcome_axes(resolved)
    if isinstance(axes, str):
        raise ValueError(f"tie sets are listed for discrete cases, and {axes}")
    if space_size(axes) > cap:
        return mip_tie_set(resolved.case, concept, limit=limit)
    return _tie_set(resolved, axes, concept)[0]
