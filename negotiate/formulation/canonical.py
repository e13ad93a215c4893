"""One agreement among equally good ones: the canonical point of a concept's optimal face.

Where a concept's optimum is flat (a score curve flat beyond a point, two
issues that trade one for one), many agreements give every party the same
utility, and the solver returns whichever vertex its basis reaches: a warm
what-if session and a cold solve of the same case then propose different
agreements. After the concept's solve (before its helper rows go, so that
its last basis is a hot start), `settle_flat` holds what the concept decided
(its optimum: every party's utility, or utilitarian's weighted sum; see
`_holds`) and proposes, among the agreements that keep it, the
**lexicographic minimum of the continuous issue values in case order**
(issues as listed, per-party values by party order):
the smallest value of the first issue, then of the next, and so on. This is
the continuous analogue of the discrete tie rule (the first tie in outcome
order, integers ascending: negotiate.tie_sets), and it depends only on the
face, not on the basis the solver stood on.

Why this rule, of the three considered:
- a single LP minimising sum(c_j x_j) with decreasing weights is one solve,
  but it is itself degenerate wherever an edge of the face is orthogonal to c
  (x_a + x_b fixed with c_a = c_b), and weights steep enough to be
  lexicographic (c_j = eps^j) are beyond double precision for more than a few
  issues;
- a strictly convex QP (closest to the range lower bounds) has a unique
  minimiser, but it leaves the simplex path the concepts run on (HiGHS's QP
  solver is another method; many Pyomo solvers take no QP), its answer is as
  exact as the QP solver's tolerance rather than a vertex, and it (a
  compromise between issues) has no discrete counterpart to agree with;
- the lexicographic minimum is exact (each step an LP vertex value), unique,
  Lipschitz in the held utilities (so Nash's certified-gap differences stay
  small), and reads the same as the discrete rule. Its cost is one LP per
  issue value that is not already at its lower bound, so it runs only on a
  face that is flat: nothing when the concept's own LP proved its optimum
  unique (`Backend.unique_optimum`: a dual nondegenerate basis, checked for
  utilitarian, whose LP has no helper rows), else a probe (`_spread`: the
  minimum and the maximum of a generic positive combination of the issue
  values over the face, two hot LPs) shows whether the face is a single
  agreement, and then nothing moves.

Only an agreement that passes the re-check of agreed values is moved, and only
to one that keeps every held utility (recomputed from its values, `_kept`) and
passes it too: a solver out of precision cannot trade the optimum away.

Prices stay the concept's (computed before, from its own solves): any point of
an LP's optimal face is complementary to every optimal dual, so they remain
valid at the canonical point. A MIP keeps the discrete choices the concept
made (the discrete tie rule of negotiate.tie_sets covers small discrete
cases); the rule then applies to the continuous issues with those choices
fixed. Every helper row is rolled back and every bound restored.
"""

from __future__ import annotations

import math

import numpy as np

from negotiate.backends.base import INF

HOLD_TOL = 1e-12  # a held utility may fall this far (relative to the party's utility scale): no more than
# rounding, so that the canonical point is the vertex itself (40, not 39.9999996 on a slope of 0.005)
KEEP_TOL = 1e-8  # the canonical point must keep each held utility to this, relative (solvers reach 1e-9)
FIX_TOL = 1e-9  # an issue value fixed at its minimum may exceed it by this, relative to its range
# The face is one agreement when the two extreme agreements of a generic combination of the issue
# values differ in no issue by more than this share of its range (per issue: a sum over the issues
# grew with their number, and 200 parties' slivers of 1e-6 each added up to a tie). A face that is
# one vertex still shows a sliver: the holds' rounding slack (HOLD_TOL) and the solver's tolerance
# (1e-9, scaled) let an issue that moves utilities little slide along it (benchmarks/generate.py
# cases, utilitarian, the largest issue's share: 4.9e-7 at 5 parties, 2e-9 at 20, 1.6e-7 at 50,
# 4.6e-7 at 200, where it was 1.6e-4 while the benefit's slack grew with the parties, and 6.9e-6
# at 50), while a real tie is wide
# (seed 404 of tests/test_whatif_random.py: 8% of tariff_cut's range; tests/test_canonical.py:
# half of cut's). A sliver 1e-4 wide needs an issue whose whole range is worth 1e-8 of a party's
# utility scale.
FLAT_TOL = 1e-4
_PHI = (math.sqrt(5.0) - 1.0) / 2.0  # generic weights 1 + frac(j * phi): no two alike, no simple ratio


def settle_flat(runner, concept: str, out) -> None:
    """Move `out.x` to the canonical agreement of the concept's optimal face (in place);
    `runner.canonical(x)` checks an agreement (negotiate.solving's re-check of agreed values)."""
    if out.status != "optimal" or out.x is None or runner.limited:
        return  # not optimal: nothing to choose among
    b = runner.b
    issues = _issue_columns(runner.p, b)
    if not issues:
        return
    if b.n_cols == runner.p.n_cols and b.n_rows == runner.p.n_rows and b.unique_optimum([j for j, _ in issues]):
        return  # the concept's own LP (no helpers: utilitarian) proved its issue values the only ones
    if out.unique:
        return  # the concept proved it on its own LP, helpers and all (Nash's last cut LP)
    if not runner.canonical(out.x):
        return  # an agreement the re-check will refuse: it is reported, not moved
    holds = _holds(runner, concept, out)
    basis = b.get_basis()  # the concept's: the next solve of a session starts from it, as it would have
    saved = {j: b.col_bounds(j) for j, _ in issues}
    with runner.fixed_choices(out.x):  # the discrete choices the concept made stay
        mark = b.mark()
        try:
            b.add_rows([({runner.ucol[p]: c for p, c in held.items()}, level, INF, name)
                        for held, level, name in holds])
            x = _lexmin(runner, issues)
        finally:
            b.prefer_primal(False)
            b.rollback(mark)
            for j, (lo, hi) in saved.items():
                b.set_col_bounds(j, lo, hi)
    b.set_basis(basis)
    if x is not None and not isinstance(x, str):
        x = _kept(runner, holds, np.asarray(x, float)[: b.n_cols])
    if isinstance(x, str):
        out.notes.append("several agreements may be equally good here; the canonical one (smallest issue values "
                         f"in case order) could not be computed ({x}), so the solver's is proposed")
        return
    if x is not None:  # the face is flat (told whether or not the solver's pick was already this one)
        out.x = _snapped(x, issues, saved)
        same = "the same collective benefit" if concept == "utilitarian" else "every party's utility the same"
        out.notes.append(f"several agreements are equally good for {concept} ({same}): the one with the "
                         "smallest issue values in case order (issues as listed, per-party values by party "
                         "order) is proposed")


def _snapped(x: np.ndarray, issues, bounds: dict) -> np.ndarray:
    """Issue values within FIX_TOL of an end of their range (twice: one held at its minimum may sit
    FIX_TOL above it, and the difference rounds up) put on it (a minimum of 0 that the
    solver's tolerances left at 2e-11 is proposed as 0)."""
    x = x.copy()
    for j, width in issues:
        for end in bounds[j]:
            if abs(x[j] - end) <= 2 * FIX_TOL * width:
                x[j] = end
    return x


def _issue_columns(problem, b) -> list[tuple[int, float]]:
    """(column, width of its range) of every continuous issue value that can move, in case order."""
    out = []
    for v in problem.resolved.variables:
        j = problem.var_col[v.key]
        if v.integer or b.is_integer(j):
            continue
        lo, hi = b.col_bounds(j)
        if hi > lo:
            out.append((j, hi - lo if math.isfinite(hi - lo) else max(1.0, abs(lo), abs(hi))))
    return out


def _kept(runner, holds, x: np.ndarray) -> np.ndarray | str:
    """`x` if it keeps every held quantity, recomputed from its agreed values (not read off the
    solver: a solver that ran out of precision must not trade the concept's optimum away), else
    what it lost (a string)."""
    u = runner.utility_of(x)
    for held, level, name in holds:
        size = sum(abs(c) * runner.uscale[p] for p, c in held.items())
        if sum(c * u[p] for p, c in held.items()) < level - KEEP_TOL * size:
            return f"the solver's point loses {name.rsplit('.', 1)[1]}'s utility"
    if not runner.canonical(x):
        return "the solver's point fails the check of the agreed values"
    return x


def _holds(runner, concept: str, out) -> list[tuple[dict, float, str]]:
    """What the concept decided, i.e. its optimal face: (party -> coefficient, level, name) for
    utility rows sum(c_p u_p) >= level. Utilitarian: the weighted
    sum of utilities (its ties may share out the same sum differently: as the discrete rule, any
    agreement reaching the optimum is a tie). Leximin and Nash: each party's utility (their gains
    are unique over a convex set); after a Nash completion, the held parties' weighted sum, which
    is what the completion fixed; held parties the concept leaves open (Kalai-Smorodinsky's, or
    Nash's when it fell back to the egalitarian agreement: their ideal is their reservation)
    stay open."""
    u = runner.utility_of(out.x)
    ucol, w = runner.ucol, runner.weight

    def reached(p):  # the utility column can sit below the recomputed utility (a slack hypograph)
        return min(u[p], float(out.x[ucol[p]]))

    def level(p):
        return reached(p) - HOLD_TOL * runner.uscale[p]

    def weighted_sum(parties, name):  # its slack is one party's, not growing with their number
        slack = HOLD_TOL * max(w[p] * runner.uscale[p] for p in parties)
        return {p: w[p] for p in parties}, sum(w[p] * reached(p) for p in parties) - slack, name

    held = [p for p in runner.parties if p in set(out.held)]
    if concept == "utilitarian" or len(held) == len(runner.parties):
        # nobody can gain: Nash and Kalai-Smorodinsky fell back to the utilitarian agreement
        return [weighted_sum(runner.parties, "canonical.hold.benefit")]
    rows = [({p: 1.0}, level(p), f"canonical.hold.{p}") for p in runner.parties if p not in held]
    if held and concept == "nash" and out.gap is not None:  # Nash completed them by their weighted sum
        rows.append(weighted_sum(held, "canonical.hold.held"))
    return rows


def _lexmin(runner, issues: list[tuple[int, float]]):
    """The lexicographic minimum of the issue values over the current model (the held face), or
    None when the face is a single agreement (nothing to choose), or why it failed (a string)."""
    b = runner.b
    spread = _spread(runner, issues)
    if isinstance(spread, str):
        return spread
    if spread[0] <= FLAT_TOL:
        return None
    x = spread[1]
    steps, probe_at = 0, 1
    for k, (j, width) in enumerate(issues):
        lo, hi = b.col_bounds(j)
        if x[j] > lo + FIX_TOL * width:
            r = _solve(b, {j: -1.0})
            if isinstance(r, str):
                return r
            x, steps = r.x, steps + 1
        b.set_col_bounds(j, lo, min(hi, max(x[j], lo) + FIX_TOL * width))
        rest = issues[k + 1:]
        if rest and steps >= probe_at:  # is what is left one agreement? (probes after 1, 2, 4, ... steps)
            probe_at *= 2
            spread = _spread(runner, rest)
            if isinstance(spread, str):
                return spread
            if spread[0] <= FLAT_TOL:
                return x
    return x


def _spread(runner, issues) -> tuple[float, np.ndarray] | str:
    """How far apart the two extreme agreements of the face in a generic direction (issue values
    as shares of their ranges) are, in the issue where they differ most (a share of its range),
    and the one at its minimum; or why it failed (a string)."""
    c = {j: (1.0 + (k * _PHI) % 1.0) / width for k, (j, width) in enumerate(issues)}
    runner.b.prefer_primal(True)  # the concept's vertex keeps the holds: only the objective changed
    r_min = _solve(runner.b, {j: -v for j, v in c.items()})
    if isinstance(r_min, str):
        return r_min
    r_max = _solve(runner.b, c)
    if isinstance(r_max, str):
        return r_max
    js = np.fromiter((j for j, _ in issues), np.int64, len(issues))
    widths = np.fromiter((width for _, width in issues), float, len(issues))
    return float(np.max(np.abs(r_max.x[js] - r_min.x[js]) / widths)), r_min.x


def _solve(b, objective: dict):
    """One LP of the tie-break: its result, or why it has none (a string). A time limit here
    leaves the concept's agreement (and its status) as it was."""
    b.set_objective(objective)
    r = b.solve()
    if r.status != "optimal" or r.x is None:
        return f"{r.status} {r.message}".strip()
    return r
