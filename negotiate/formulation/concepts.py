"""Solution concepts (CASE_FORMAT.md section 3), written once against `Backend`.

- utilitarian: one solve of max sum(w_i u_i).
- egalitarian / kalai_smorodinsky: leximin of scaled gains. On an LP, the
  standard iterative scheme: maximise the smallest gain t, fix the parties whose
  row has a positive dual (complementary slackness: they cannot exceed t in any
  optimum), repeat on the rest: a few solves, not one per party. On a MIP (a
  non-convex set, where that test does not hold), the ordered scheme: maximise
  the sum of the k smallest gains for k = 1..n, each fixed before the next.
- nash: maximise sum(w_i log(gain_i)) by outer approximation, tangent cuts
  z_i <= log(g) + (gain_i - g)/g added at each solution until the gap between
  the cut model and the true log objective is below NASH_TOL (relative, 1e-10).
  Every solve starts from the same cuts (none survive it) and from the
  solver state of a backend just built, so a warm session proposes what a
  cold solve does (the objective is flat at its top: utilities of two
  certified answers agree only to about sqrt(gap), issue values a little less,
  so a start from another concept's basis would not do).
  From CONIC_MIN_ROWS rows the cuts start around the optimum of one
  exponential-cone program instead (Clarabel: negotiate.formulation.nash_conic),
  and one or two LPs certify the same gap; on HiGHS the first starts by
  crossover from Clarabel's point and duals (no cold solve).
Helper rows and columns are added after a mark and rolled back at the end,
so the built model is left as it was.
"""

from __future__ import annotations

import math
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field

import numpy as np

from negotiate import registry
from negotiate.backends.base import INF, Backend, LPResult
from negotiate.compile import utility_scales
from negotiate.formulation import nash_conic
from negotiate.formulation.canonical import _issue_columns, settle_flat

NASH_TOL = 1e-10
GAIN_TOL = 1e-9  # a gain this small (relative to the utility scale) is zero
DUAL_TOL = 1e-9
MAX_NASH_ROUNDS = 200
PRIMAL_IDEALS_MAX_ROWS = 15_000  # see ConceptRunner.ideals
# A hot ideal solve (ConceptRunner.ideals) gives up after this many simplex iterations and is
# solved again cold (IPM + crossover at 200 parties, 0.1 s, about 1k hot iterations' worth).
# benchmarks/generate.py 200 parties x 30 criteria, CPU seconds of all the ideals, one run
# each, load 1-1.5: no cap 5.8-6.1 s (60.5k iterations; the costliest 5.7k and 4.4k, then
# 2.2k, 2.1k, 1.7k, 1.5k); cap 3000 5.95 (2 capped); 2000 5.73-5.82 (4 capped); 1300 5.92 (8).
# Measured again without HiGHS's own scaling (ConceptRunner.kalai_smorodinsky): 2000 still best.
IDEAL_HOT_ITERATIONS = 2000
# The own LPs (ConceptRunner._proved_ideals) are no longer tried once the ideals they failed to
# prove outnumber those they proved by this many: the rest take the full LPs at once. Where the
# other parties' reservations bind, no own LP proves anything, and trying every one cost (CPU
# ms of negotiate.solve(case, "kalai_smorodinsky"), best of 5, full LPs only vs every own LP
# tried first): cases/asia_pacific_compact.yaml (8 parties) 7.2 vs 11.7, eu_effort_sharing_2030
# 31 vs 47. benchmarks/generate.py cases prove every ideal (5 to 200 parties).
OWN_LP_GIVE_UP = 3
# A leximin level, once found, is held to within LEVEL_SLACK of the level unit. The solver meets
# rows only to its feasibility tolerance (1e-9, scaled), so a level found can sit a little above
# what the model strictly allows, and a later round be called infeasible: 200 parties of
# benchmarks/generate.py, round 11 (perturbed primal simplex, see HighsBackend.prefer_primal),
# though a cold solve of the same model was optimal with 2.6e-9 to spare.
# The slack is not simply made wider: a held level given up by 1e-8 let later levels rise by 3e-6
# on a small random case (tests/test_leximin_random.py, seed 7). So a round called infeasible is
# solved again cold at the same slack (the 200-party round above was optimal so), and only if that
# fails with the levels held so far widened LEVEL_WIDEN times, at most MAX_WIDENINGS times, for
# that round alone: afterwards they are tightened again (ConceptRunner._retighten).
LEVEL_SLACK = 1e-9
HELD_SPREAD = 10.0  # see ConceptRunner._held_unit
LEVEL_WIDEN = 10.0
MAX_WIDENINGS = 3
NASH_CERTIFIED = 1e-7  # CASE_FORMAT.md: the Nash gap stated to the user is below this (relative)
_CERTIFIED = f"{NASH_CERTIFIED:g}".replace("e-0", "e-")  # as people write it: 1e-7
# auto: Nash through the cone program from this many rows on (ConceptRunner._nash_method).
# Measured on the increment form (compile._curve: 6.6 rows per party at 30 criteria x 10 points)
# with benchmarks/generate.py cases, CPU seconds of negotiate.solve(case, "nash") with
# solve.nash_method cuts vs conic, one process, 3 runs each, load 4
# (`python benchmarks/bench_thresholds.py --what nash --sizes ...`), after Clarabel to 3e-5
# with faer (nash_conic.CLARABEL_SETTINGS), the crossover start snapping at 1e-3, the canonical
# probes skipped where the cut LP proves its agreement, and no scipy on the conic path (its import,
# 0.16 s, set the earlier threshold of 1200 rows for a one-shot process; clarabel's own is 1 ms):
#   2 parties (67 rows) 0.009-0.021 vs 0.008-0.036; 3 (100) 0.011-0.012 vs 0.010-0.011;
#   5 (166) 0.019-0.021 vs 0.016-0.019; 8 (265) 0.039-0.041 vs 0.030 (one run 0.064);
#   10 (331) 0.041-0.050 vs 0.030-0.034; 15 (496) 0.078-0.083 vs 0.057-0.059; 20 (661) 0.09-0.13
#   vs 0.058; 30 (991) 0.15-0.16 vs 0.10-0.15; 40 (1.3k) 0.39-0.47 vs 0.12-0.22; 50 (1.7k)
#   0.56-0.58 vs 0.15; 100 (3.3k) 1.5-1.6 vs 0.37-0.43; 200 (6.6k) 3.3 vs 0.88-0.95 (load 2-4).
# The cone program is no slower from about 100 rows and clearly faster from about 250; below,
# the difference is a few ms, and the shipped cases (61 and 191 rows) keep the cuts' vertices.
# Cold and warm choose alike (a warm answer is the cold one), by rows only.
# (Before: crossing between 1.0k and 1.3k rows with scipy's import; on the earlier hypograph
# form, one row per curve segment, near 4k rows, 20 parties.)
CONIC_MIN_ROWS = 250
# Tangent cuts put around Clarabel's gains g: at g * f. Its gains are within about 1e-5 of the
# optimum (relative: 1.4e-6 to 6e-5 from the cut path's at 50 and 200 parties); cuts 1e-4..1e-2
# away keep the first LP's vertex near it, and that LP alone certified the gap (6e-11 to 7e-11
# against NASH_TOL 1e-10) at 20, 50 and 200 parties: 2 LPs in all with the prices' LP.
# With the crossover start (ConceptRunner._start_from_conic) fewer seeds cost rounds: LP solves
# of the whole Nash (with the prices' and the canonical probes) at 50 / 200 parties: these 7: 4 / 4;
# 1 +- 1e-3 and 1: 8 / 7; 1 +- 1e-4 and 1: 4 / 4 (no faster); 1 alone: 8 / 7.
# Clarabel stopped at looser tolerances (nash_conic.CLARABEL_TOL 3e-5) leaves its gains further
# off: at 200 parties, seeds 0-2, these 7 took 5, 5, 4 LP solves; with 1 +- 3e-4 and 1 +- 3e-5
# added 4, 4, 4 (the first cut LP certified the gap alone), in as much time.
CONIC_SEEDS = (1 - 1e-2, 1 - 1e-3, 1 - 3e-4, 1 - 1e-4, 1 - 3e-5, 1.0,
               1 + 3e-5, 1 + 1e-4, 1 + 3e-4, 1 + 1e-3, 1 + 1e-2)


@dataclass
class Outcome:
    """What a concept found: a solution vector, or why there is none."""

    status: str  # optimal | feasible | infeasible | error
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    objective: float | None = None
    ideals: dict | None = None
    held: list[str] = field(default_factory=list)  # parties held at their reservation
    notes: list[str] = field(default_factory=list)
    message: str = ""
    gap: float | None = None  # nash: final relative gap
    prices: np.ndarray | None = None  # row duals in the units of the concept's objective
    price_objective: str = ""  # what the prices are the sensitivity of
    prices_conditional: bool = False  # MIP: given the discrete choices made
    solver_info: dict = field(default_factory=dict)  # extra entries for the proposal's solver info
    # the concept's own last LP proved its issue values the only optimal ones (the canonical
    # agreement then needs no probe: formulation.canonical)
    unique: bool = False

    @property
    def ok(self) -> bool:
        return self.x is not None


def _fail(result: LPResult, what: str) -> Outcome:
    if result.status == "infeasible":
        return Outcome("infeasible", message="no agreement satisfies every range, limit, constraint and reservation")
    if result.status == "limit":
        return Outcome("error", message=f"the solver stopped at a limit before finding an agreement ({what})")
    return Outcome("error", message=f"the solver failed ({what}): {result.status} {result.message}".strip())


class ConceptRunner:
    """Runs one concept on a built backend; `utility_of(x)` recomputes true utilities."""

    # The live model is the compiled case (no bounds moved by the caller): negotiate.solving
    # says so; auto Nash reads the cone program from the compiled case only then.
    live_model_is_case = False
    # A flat optimum proposes its canonical agreement (formulation.canonical) when this is set: a
    # check of an agreement (True: it passes), so that only a sound agreement is moved, to a sound one.
    canonical = None

    def __init__(self, backend: Backend, problem, utility_of):
        self.b = backend
        self.p = problem
        self.utility_of = utility_of
        self.parties = problem.parties
        case = problem.case
        self.weight = {p: case.parties[p].weight for p in self.parties}
        self.reservation = {p: case.parties[p].reservation for p in self.parties}
        self.ucol = problem.utility_col
        self.uscale = utility_scales(problem)  # tolerances on gains are relative to these
        self.limited = False  # a solve stopped at a limit (status feasible)
        self.limit_gap: float | None = None  # the largest relative MIP gap of the solves that stopped

    # -- one solve ---------------------------------------------------------
    def _solve(self, objective: dict, what: str) -> tuple[LPResult, Outcome | None]:
        self.b.set_objective(objective)
        return self._settle(self.b.solve(), what)

    def _settle(self, r: LPResult, what: str) -> tuple[LPResult, Outcome | None]:
        if r.status == "limit" and r.has_solution:
            self.limited = True
            if r.gap is not None:
                self.limit_gap = max(self.limit_gap or 0.0, r.gap)
            return r, None
        if r.status != "optimal":
            return r, _fail(r, what)
        return r, None

    def run(self, concept: str, ideals: bool = False) -> Outcome:
        check_weight_spread(self.p.case, concept)
        mark = self.b.mark()  # every helper row and column goes afterwards: no solve feels another
        try:
            out = registry.concept(concept).solve(self)
            if out.ok and self.canonical:  # before the helpers go: the concept's last basis still holds
                settle_flat(self, concept, out)
        finally:
            self.b.rollback(mark)
        if out.ok:
            self._price(concept, out)
        if out.ok and ideals and out.ideals is None:
            # over the acceptable set itself: the concept's helper rows are gone
            found = self.ideals()
            if isinstance(found, Outcome):
                out.notes.append("ideals could not be computed: " + found.message)
            else:
                out.ideals = found
        if out.ok and self.limited and out.status == "optimal":
            out.status = "feasible"
            gap = f" (relative MIP gap {self.limit_gap:.2%})" if self.limit_gap is not None else ""
            out.notes.append(f"the solver stopped at a time limit: the agreement is feasible, maybe not optimal{gap}")
        return out

    # -- shadow prices ----------------------------------------------------------
    @contextmanager
    def fixed_choices(self, x):
        """The discrete choices of agreement `x` fixed (integer columns made continuous at their
        rounded values) for the body, then given back: prices conditional on them (`_price`),
        the canonical agreement among the continuous issues (formulation.canonical)."""
        b = self.b
        ints = [j for j in range(b.n_cols) if b.is_integer(j)] if b.is_mip() else []
        saved = [(j, b.col_bounds(j)) for j in ints]
        try:
            for j in ints:
                v = float(round(x[j]))
                b.set_col_integer(j, False)
                b.set_col_bounds(j, v, v)
            yield
        finally:
            for j, (lo, hi) in saved:
                b.set_col_bounds(j, lo, hi)
                b.set_col_integer(j, True)

    def _price(self, concept: str, out: Outcome) -> None:
        """Shadow prices of every row in the units of the concept's objective.

        On an LP they are the duals the concept's own solve left (the first
        leximin round for egalitarian and Kalai-Smorodinsky: the sensitivity of
        the smallest gain). On a MIP the discrete choices of the agreement are
        fixed and the concept's LP is solved again: prices conditional on them.
        """
        out.price_objective = registry.concept(concept).prices
        if not self.b.is_mip():
            return
        b = self.b
        with self.fixed_choices(out.x):
            mark = b.mark()
            try:
                if concept == "utilitarian":
                    priced = self.utilitarian()
                elif concept == "nash":
                    priced = self.nash()
                else:
                    scale = ({p: 1.0 / self.weight[p] for p in self.parties} if concept == "egalitarian" else
                             {p: 1.0 / (out.ideals[p] - self.reservation[p]) for p in self.parties
                              if p not in out.held})
                    priced = self._leximin_lp(scale) if scale else self.utilitarian()
            finally:
                b.rollback(mark)
        if priced.ok and priced.prices is not None:
            out.prices = priced.prices
            out.prices_conditional = True

    # -- concepts -------------------------------------------------------------
    def utilitarian(self) -> Outcome:
        r, fail = self._solve({self.ucol[p]: self.weight[p] for p in self.parties}, "utilitarian")
        if fail:
            return fail
        return Outcome("optimal", r.x, r.row_dual, r.objective, prices=r.row_dual)

    def ideals(self) -> dict | Outcome:
        # Only the objective changes between these solves, so each continues from the last
        # optimum; primal simplex (unperturbed, see HighsBackend.prefer_primal) is faster than
        # dual at every size measured on the increment form (compile._curve), so it is used up
        # to the largest of them, and dual beyond (on the earlier hypograph form, one row per
        # curve segment, primal lost from 2.2k rows: 200 parties, 45k rows, 6.3 vs 43 s).
        # CPU seconds for all the ideals of a Kalai-Smorodinsky solve, HiGHS 1.16, primal vs
        # dual, benchmarks/generate.py cases (30 criteria x 10 points), one 2-core machine under
        # load 2-2.7 (`python benchmarks/bench_thresholds.py --what ks --sizes ...`):
        # 10 parties (331 rows) 0.019-0.022 vs 0.026-0.028; 20 (661) 0.056-0.066 vs 0.11-0.12;
        # 30 (991) 0.12 vs 0.25; 50 (1.7k) 0.32 vs 0.77; 100 (3.3k) 1.5 vs 3.5;
        # 200 (6.6k) 9.7-10.5 vs 21.3-21.7; 400 (13.2k) 81-83 vs 153. Each ideal from the
        # utilitarian optimum's basis instead of the last ideal's (a central start): 100 parties
        # 4.4 s (0.2 of it the utilitarian LP), median 716 iterations, against 1.7 s and 197.
        # A party whose ideal lies far from the last one (more columns moved than the median
        # move) is a detour: the next ideal starts again from the basis before it (`_IdealChain`),
        # not from the detour, which it would first have to undo. benchmarks/generate.py cases,
        # ideals alone, CPU seconds and simplex iterations, one run each, load 3.5-4:
        # 200 parties x 30 criteria: every ideal from the last 10.7 s, 110k (the most costly
        # solves in pairs: a detour, 6.5k iterations, then the way back, 6.5k); back from a
        # detour of more than 0.75 / 1 / 1.25 / 1.5 / 2 / 3 times the median count of moved
        # columns 6.7 s 65k / 6.2 s 61k / 6.6 s 63k / 7.2 s 73k / 7.4 s 74k / 7.7 s 76k; every
        # ideal from the same early one's basis (0 times) 6.9 s, 67k; the detour told by
        # iterations instead (more than 3x or 5x their median; the Backend does not report them)
        # 8.0 / 7.8 s. 100 x 30: 1.68 s 29k, 1x 1.18 s 20k, 2x 1.33 s 23k; 30 x 30: 0.20 s
        # at each, 10k; 200 x 10: 2.39 s 59k, 1x 1.21 s 22k, 2x 1.64 s 39k. The same ideals (to
        # 4e-14). Orders measured and rejected: the next party the one of highest utility at
        # the last optimum (83k iterations, but true utilities cost 8 ms a party; by the utility
        # columns, a lower bound, 105k); primal Dantzig pricing 40 s, 456k; primal steepest
        # edge 33 s, 98k. Orders known only afterwards, 200 parties (an upper limit of what a
        # cheap proxy could gain), one run each: the given order 54.2k iterations; by the
        # ideal's shared price 55.9k; nearest neighbour on the ideals' utilities 54.0k, on the
        # columns moved 58.9k. No ideal ends on a degenerate tail a bound could cut: primal
        # simplex reached the optimal value within its last 5 iterations (24 ideals at 200
        # parties, the objective read every 5 iterations: 4315 of 4450 iterations before it).
        # Before any of that, each ideal is tried on the party's own LP (`_proved_ideals`); only
        # the parties it does not prove take the chain of full LPs.
        proved = self._proved_ideals()
        out = {}
        primal = self.b.n_rows <= PRIMAL_IDEALS_MAX_ROWS
        chain = _IdealChain(self.b)
        full = 0  # full LPs solved so far
        try:
            with self._unscaled():
                for p in self.parties:
                    if p in proved:
                        out[p] = proved[p]
                        continue
                    hot = full > 0 and primal and not self.b.is_mip()
                    r, fail = self._solve_ideal({self.ucol[p]: 1.0}, f"ideal of {p}", hot)
                    if fail:
                        return fail
                    out[p] = float(r.objective)  # max u_p: its hypograph is tight at the optimum
                    chain.solved(r.x)
                    if full == 0 and primal:
                        self.b.prefer_primal(True)
                    full += 1
        finally:
            self.b.prefer_primal(False)
        return out

    def _proved_ideals(self) -> dict:
        """The ideals proved on the parties' own LPs (negotiate.formulation.ideals): each party's
        own LP solved, the others completed at its optimum; {party: ideal} for those whose
        completion meets every other reservation. Only where the live model is the compiled case
        (the own LPs are read off it) on HiGHS, an LP of a structure that fits; {} otherwise.
        200 parties x 30 criteria (benchmarks/generate.py): all 200 proved, 0.44 s in all (own LPs
        of about 470 columns and 230 rows, 1.4 ms of HiGHS each), where the chain of full LPs took
        4.8 s."""
        from negotiate.formulation.ideals import OwnLPs

        b = self.b
        if b.name != "highs" or b.is_mip() or not self.live_model_is_case:
            return {}
        if (b.n_cols, b.n_rows) != (self.p.n_cols, self.p.n_rows) or not self._live_bounds_are_case():
            return {}
        lo, hi = b.model_row_bounds()
        if not (np.array_equal(lo, self.p.row_lo) and np.array_equal(hi, self.p.row_hi)):
            return {}
        own = OwnLPs.of(self.p)
        if own is None:
            return {}
        uscale = np.array([self.uscale[p] for p in self.parties])
        x = np.zeros(self.p.n_cols)
        out = {}
        for k, p in enumerate(self.parties):
            if k - 2 * len(out) >= OWN_LP_GIVE_UP:  # failures - proofs (k tried, len(out) proved)
                break
            r, cols = own.solve(k, b.time_limit)
            b.solves += 1
            b.solver_seconds += r.seconds
            if r.status != "optimal" or r.x is None:
                continue
            x[:] = 0.0
            x[cols] = r.x
            if own.completes(k, x, uscale):
                out[p] = float(r.objective)
        return out

    def _unscaled(self):
        """A context: the simplex without the solver's own scaling on top of the backend's, where
        the backend offers that (HiGHS: `without_simplex_scaling`), on an LP. For the ideals and
        Kalai-Smorodinsky's leximin (measured in `kalai_smorodinsky`), and every leximin's rounds
        after the first (measured in `_leximin_lp`)."""
        off = getattr(self.b, "without_simplex_scaling", None)
        return off() if off is not None and not self.b.is_mip() else nullcontext()

    def _solve_ideal(self, objective: dict, what: str, hot: bool) -> tuple[LPResult, Outcome | None]:
        """One ideal's solve: a hot one gives up after IDEAL_HOT_ITERATIONS simplex iterations
        and is solved again cold (its LP unchanged: the same optimum, from another start)."""
        if hot:
            self.b.set_objective(objective)
            r = self.b.solve_capped(IDEAL_HOT_ITERATIONS)
            if r is not None:
                return self._settle(r, what)
            self.b.start_cold(always=True)
        return self._solve(objective, what)

    def kalai_smorodinsky(self) -> Outcome:
        # The whole of it (ideals, the start LP, the leximin) without the solver's own scaling
        # (`_unscaled`). benchmarks/generate.py cases (30 criteria x 10 points), CPU seconds of
        # negotiate.solve(case, "kalai_smorodinsky") after a utilitarian solve, one 2-core machine
        # under load 2.1-3, HiGHS scaling on vs off, two runs each: 50 parties 0.36 / 0.36 vs
        # 0.34 / 0.35; 100 1.54 / 1.63 vs 1.38 / 1.45; 200 9.03 / 9.13 vs 7.13 / 6.87 (ideals
        # 5.9 s and 54.2k simplex iterations vs 4.8 s and 46.2k; the first leximin round 9.5k
        # iterations, 2.1 s, vs 4.9k, 1.1 s). Off for the ideals alone, on for the rest: 200
        # parties 7.78 / 7.59 against 6.95 / 6.81 off for all. 400 parties (13.2k rows), one run
        # each, load 3-4.6: 43.8 vs 40.2. Not for egalitarian's leximin (its first round cold by
        # dual simplex): 200 parties 4.38 on vs 8.61 off. The hot ideals' cap
        # (IDEAL_HOT_ITERATIONS) measured again with it off, 200 parties, ideals alone, two runs
        # each: no cap 5.37 / 5.20 s (53.6k iterations), 2000 4.90 / 4.99 (47.6k), 1000 5.23 /
        # 5.11 (41.8k). Other simplex settings for the ideals with it off, one run each (4.89 s,
        # 47.6k iterations): primal steepest edge 12.1 s (38.3k), Dantzig 8.0 s (67.3k), bound
        # perturbation on 5.44 s, price strategy 3 5.05 s.
        # Since then the ideals are proved on each party's own LP where they can be (`ideals`,
        # `_proved_ideals`): `benchmarks/bench_scale.py --sizes 200 --concepts egalitarian
        # kalai_smorodinsky --clock cpu --repeat 1`, load 3.7-4.1, before / after in one run:
        # egalitarian 4.60 / 3.05 s (its later rounds unscaled, `_leximin_lp`), Kalai-Smorodinsky
        # 6.94 / 2.27 s (all 200 ideals proved, 0.44 s; the full LPs' chain took 4.8 s). 400
        # parties, load 1.9-2.5: egalitarian 15.3 / 11.8 s, Kalai-Smorodinsky 37.8 / 7.8 s.
        with self._unscaled():
            return self._kalai_smorodinsky()

    def _kalai_smorodinsky(self) -> Outcome:
        ideals = self.ideals()
        if isinstance(ideals, Outcome):
            return ideals
        span = {p: ideals[p] - self.reservation[p] for p in self.parties}
        held = [p for p in self.parties if span[p] <= GAIN_TOL * self.uscale[p]]
        scale = {p: 1.0 / span[p] for p in self.parties if p not in held}
        # The last ideal's optimum is one party's best: far from the leximin. 200 parties x 30
        # criteria (benchmarks/generate.py), CPU seconds of the first leximin round, which is
        # most of the leximin here (the 5 later rounds take 0.2 s): cold by dual simplex 3.5 s,
        # 10.2k iterations; by IPM + crossover 3.2; hot from the last ideal by dual 3.1, by
        # primal 7.0 s, 30k; after a cold utilitarian LP (0.5 s) 2.4 s, 5.5k (about the same in
        # all). Egalitarian's first round is 0.6 s: the Kalai-Smorodinsky scales make it harder.
        # The first round then starts from the optimum of sum scale_p * u_p (by IPM + crossover
        # where start_cold clears the basis, else hot from the last ideal): whole
        # Kalai-Smorodinsky CPU seconds, one run each, load 1-1.5, without vs with it (ideals
        # capped, IDEAL_HOT_ITERATIONS): 50 parties 0.56 / 0.51 vs 0.52 / 0.45 (first round
        # 2.8k iterations vs 1.8k); 100 1.98 / 1.89 vs 1.88 / 1.78; 200 9.67 vs 8.94 (first round
        # 3.4 s vs the start LP 0.45 s + the round 2.2 s). Weighted by the party weights instead
        # the same time, but Kalai-Smorodinsky reads none. The LP only sets the start. From it
        # the first round by primal simplex (primal_first), not dual, same load, one run each:
        # 50 parties 0.45-0.52 s vs 0.40-0.41 (the start LP and leximin 0.11-0.13 vs 0.09);
        # 100 1.78-1.88 vs 1.56-1.57 (0.57 vs 0.35); 200 8.75-8.76 vs 8.44-8.55 (first round
        # 2.2 s, 6.2k iterations vs 2.0 s, 9.5k).
        self.b.start_cold()
        if scale and not self.b.is_mip():
            _, fail = self._solve({self.ucol[p]: scale[p] for p in scale}, "the start of the leximin")
            if fail:
                return fail
        out = self.leximin(scale, primal_first=bool(scale) and not self.b.is_mip())
        out.ideals = ideals
        out.held = held
        if held:
            out.notes.append(
                f"{', '.join(held)} cannot gain above the reservation in any acceptable agreement "
                "(ideal = reservation): held there, outside the leximin")
        return out

    def leximin(self, scale: dict, primal_first: bool = False) -> Outcome:
        """Leximin of scale[p] * (u_p - d_p) over the parties in `scale`; `primal_first`: the
        first round continues by primal simplex from the optimum just found (a hint)."""
        if not scale:
            return self.utilitarian()
        if self.b.is_mip():
            return self._leximin_ordered(scale)
        return self._leximin_lp(scale, primal_first)

    def _leximin_lp(self, scale: dict, primal_first: bool = False) -> Outcome:
        """Each round: a fresh level column t_k with rows t_k <= scale_p * (u_p - d_p) for
        the free parties. Once solved, t_k is fixed at its level, so its rows hold every
        party of that round at or above it (the saturated ones at it), and the agreement
        stays feasible: the next round continues from it (primal simplex)."""
        # Alternatives measured on benchmarks/generate.py (30 criteria x 10 points), CPU seconds
        # of the whole egalitarian solve, one run each, load 2-9, all with the first round by
        # IPM + crossover (as before cold_by_simplex): 200 parties, primal (devex,
        # unperturbed) 8.8 s and 21.7k iterations; dual simplex 27.5 s, 343k; primal Dantzig
        # 11.6 s, 36k; primal steepest edge 16.8 s, 14.7k. One level column for every round,
        # a saturated party's row turned into a floor (set_coef to 0, row bound at its level)
        # instead of a new column and rows: 100 parties 117 s, 470k iterations, against 2.2 s,
        # 5.4k (and HiGHS called a round infeasible at LEVEL_SLACK, even cold). Where the time
        # goes at 200 parties (4.4 s): the first round cold by dual simplex 0.63 s (IPM +
        # crossover took 1.8), rounds 2-9 (one party saturated each, 330-3800 iterations)
        # 2.2 s, the 36 later rounds about 1.1 s (10-150 iterations; about 6 ms of each is a
        # re-run with nothing to do); no saturation test was needed (the duals named the
        # saturated parties in every round).
        b = self.b
        free = list(scale)
        first = last = None
        unit = self._level_unit(scale)
        held: list[tuple[int, float, list]] = []  # (level column, level, its round's parties) of the rounds done
        b.prefer_primal(primal_first)
        b.cold_by_simplex(True)  # a cold first round: see HighsBackend.cold_by_simplex
        # The rounds after the first run without the solver's own scaling (`_unscaled`); the first,
        # cold by dual simplex, keeps it. Egalitarian, 200 parties x 30 criteria
        # (benchmarks/generate.py), CPU seconds, one run each, load 3-3.6: scaling on throughout
        # 4.33-4.40, off after the first round 2.88-3.00 (the same 45 levels, the parties' utilities
        # within 2e-13), off throughout 8.6 (the cold first round suffers).
        later = ExitStack()
        try:
            while free:
                t, rows = self._level(scale, free, "leximin")
                r, fail = self._solve_round(t, held, scale, unit, last.x if last is not None else None)
                if fail:
                    return fail
                last = r
                if first is None:
                    first = r
                    b.prefer_primal(True)
                    later.enter_context(self._unscaled())
                level = r.objective
                saturated = [p for p in free if r.row_dual is not None and abs(r.row_dual[rows[p]]) > DUAL_TOL]
                if not saturated:  # no dual says it: test each (rare, degenerate)
                    saturated = self._test_saturated(free, scale, rows, t, level, unit)
                own = self._held_unit(scale, saturated, unit)
                held.append((t, level, free, own))
                b.set_col_bounds(t, level - LEVEL_SLACK * max(own, abs(level)), INF)
                free = [p for p in free if p not in saturated]
        finally:
            later.close()
            b.prefer_primal(False)
            b.cold_by_simplex(False)
        out = Outcome("optimal", last.x, last.row_dual, last.objective)
        out.prices = first.row_dual  # the smallest scaled gain's sensitivity
        return out

    def _solve_round(self, t: int, held: list, scale: dict, unit: float, kept: np.ndarray | None
                     ) -> tuple[LPResult, Outcome | None]:
        """Maximise the level t. The levels held so far were met by the previous round's
        agreement `kept`, so this model is feasible: an infeasible verdict is the solver's hot
        start or tolerance meeting a level held tightly. The round is then solved again cold, with
        each level held no higher than `kept` keeps it; failing that, with the held levels
        widened (see LEVEL_SLACK) for this round only: afterwards they are tightened again."""
        r, fail = self._solve({t: 1.0}, "leximin")
        if r.status != "infeasible" or not held or kept is None:
            return r, fail
        self._hold_as_kept(held, scale, unit, kept)
        self.b.prefer_primal(False)
        self.b.start_cold(always=True)
        try:
            r, fail = self._solve({t: 1.0}, "leximin")
            slack = LEVEL_SLACK
            for widen in range(MAX_WIDENINGS + 1):
                if r.status != "infeasible":
                    break
                if widen:
                    slack *= LEVEL_WIDEN
                elif all(own >= unit for *_, own in held):
                    continue  # each level is held at the level unit already
                for col, level, _, own in held:  # first at the level unit, then wider
                    lo = self.b.col_bounds(col)[0]
                    self.b.set_col_bounds(col, min(lo, level - slack * max(unit, abs(level))), INF)
                r, fail = self._solve({t: 1.0}, "leximin")
                if r.x is not None:
                    self._hold_as_kept(held, scale, unit, r.x)
        finally:
            self.b.prefer_primal(True)
        return r, fail

    def _hold_as_kept(self, held: list, scale: dict, unit: float, x: np.ndarray) -> None:
        """Each held level at its slack (LEVEL_SLACK), or at what agreement `x` keeps its round's
        parties at if that is lower: `x` meets every held level, and no later round can lower
        a party below it. After a round solved with the levels widened this tightens them
        again: left widened (as before), every later round could lower the earliest parties by
        the widened slack to raise its own level."""
        for col, level, parties, own in held:
            floor = min(scale[p] * (float(x[self.ucol[p]]) - self.reservation[p]) for p in parties)
            self.b.set_col_bounds(col, min(level - LEVEL_SLACK * max(own, abs(level)), floor), INF)

    def _level(self, scale: dict, parties, tag: str) -> tuple[int, dict]:
        """A level column t and rows t <= scale_p * (u_p - d_p) for `parties`; t and the rows."""
        (t,) = self.b.add_cols([-INF], [INF], [f"{tag}.level"])
        rows = self.b.add_rows([
            ({t: 1.0, self.ucol[p]: -scale[p]}, -INF, -scale[p] * self.reservation[p], f"{tag}.{p}")
            for p in parties
        ])
        return t, dict(zip(parties, rows))

    def _smallest_units(self, scale: dict, x: np.ndarray, k: int, unit: float) -> float:
        """The unit of S_k (`_leximin_ordered`), the sum of the k smallest scaled gains at `x`:
        k times the level unit, but no more than k * HELD_SPREAD times the smallest scaled
        utility scale of the parties that may be among them (a scaled gain at or below the k-th
        smallest: ties at the level included), as `_held_unit`. At k times the level unit, a
        party of weight 1e3 among parties of weight 1 gave up 1e-5 of its utility scale
        (trade_standards, EU's weight 1e3: EU 9e-6 below the sequential leximin)."""
        gain = {p: scale[p] * (float(x[self.ucol[p]]) - self.reservation[p]) for p in scale}
        kth = sorted(gain.values())[k - 1]
        near = [p for p in scale if gain[p] <= kth + LEVEL_SLACK * unit]
        return k * self._held_unit(scale, near, unit)

    def _held_unit(self, scale: dict, saturated: list, unit: float) -> float:
        """The unit a level held for `saturated` gives up LEVEL_SLACK of: the level unit, but no
        more than HELD_SPREAD times the smallest of its parties' own scaled utility scale. With
        party weights far apart (egalitarian), the level unit is the light parties' and the heavy
        party's scale is 1/spread of it: held at the level unit, a party of weight 1e3 .. 1e6
        among parties of weight 1 gave up 1e-6 .. 1e-3 of its utility scale, and the next round
        took it (asia_pacific_compact, CHN's weight 1e5: CHN 6e-4 and IND 0.011 off the
        agreement of a sequential leximin held in utility units with scipy). Not the smallest
        scale itself: held that tight, levels of parties of comparable weights moved by 1e-6
        against the reference of tests/test_leximin_random.py (seed 18, a steep trade-off)."""
        return min(unit, HELD_SPREAD * min(abs(scale[p]) * self.uscale[p] for p in saturated))

    def _level_unit(self, scale: dict) -> float:
        """The size of a leximin level: scaled gains of this size are the problem's own scale."""
        return max(abs(scale[p]) * self.uscale[p] for p in scale)

    def _test_saturated(self, free, scale, rows, t, level, unit) -> list[str]:
        b = self.b
        eps = LEVEL_SLACK * max(unit, abs(level))
        b.set_col_bounds(t, level - eps, INF)
        out = []
        for p in free:
            r, fail = self._solve({self.ucol[p]: scale[p]}, "leximin test")
            if fail or r.objective - scale[p] * self.reservation[p] <= level + 1e-7 * max(unit, abs(level)):
                out.append(p)
        b.set_col_bounds(t, -INF, INF)
        return out or free[:1]

    def _leximin_ordered(self, scale: dict) -> Outcome:
        """Maximise S_k, the sum of the k smallest gains, for k = 1..n in turn."""
        b = self.b
        ps = list(scale)
        n = len(ps)
        unit = self._level_unit(scale)
        r = None
        for k in range(1, n + 1):
            cols = b.add_cols([-INF] + [0.0] * n, [INF] * (n + 1), [f"leximin.r{k}"] + [f"leximin.d{k}.{p}" for p in ps])
            rk, d = cols[0], cols[1:]
            # d_kp >= r_k - scale_p * (u_p - d_p)
            b.add_rows([
                ({d[i]: 1.0, rk: -1.0, self.ucol[p]: scale[p]}, scale[p] * self.reservation[p], INF, f"leximin.k{k}.{p}")
                for i, p in enumerate(ps)
            ])
            objective = {rk: float(k), **{j: -1.0 for j in d}}
            r, fail = self._solve(objective, f"leximin step {k}")
            if fail:
                return fail
            s_k = r.objective
            eps = 1e-8 * max(self._smallest_units(scale, r.x, k, unit), abs(s_k))
            b.add_rows([(objective, s_k - eps, INF, f"leximin.S{k}")])
            if k < n and b.capabilities.mip_start:
                b.set_start(np.concatenate([r.x, np.zeros(n + 1)]))
        return Outcome("optimal", r.x, None, r.objective)

    def nash(self, method: str | None = None) -> Outcome:
        """Nash by `method` (conic | cuts; None: the case's solve.nash_method, `auto` chosen
        by `_nash_method`). The conic path falls back to the cuts, with a note, when it fails."""
        if not getattr(self, "_weights_relative", False):
            return self._nash_relative(method)
        chosen = method or self._nash_method()
        if chosen == "conic":
            self._nash_known = None  # who is held, when the conic path had to ask (the cuts need not ask again)
            out, why = self._nash_conic()
            if out is None:
                out = self.nash("cuts")
                out.solver_info.setdefault("nash_method", "cuts")
                if why:
                    out.notes.append(f"the exponential-cone solve was not used ({why}): Nash by tangent cuts")
                    out.solver_info["nash_conic_failed"] = why
            self._nash_known = None
            return out
        if method is None:  # the cut path, named in the solver info
            out = self.nash("cuts")
            out.solver_info.setdefault("nash_method", "cuts")
            return out
        state = {"z": {}, "cuts": []}
        known, self._nash_known = getattr(self, "_nash_known", None), None
        held, level, fail = known or self._nash_active()
        if fail:
            return fail
        active = [p for p in self.parties if p not in held]
        notes = []
        if held:
            notes.append(f"{', '.join(held)} cannot gain above the reservation in any acceptable agreement: "
                         "held there, outside the Nash product")
        if not active:  # the fallbacks in the case's weights (see _nash_relative)
            self.weight, relative = self._case_weight, self.weight
            try:
                out = self.utilitarian()
            finally:
                self.weight = relative
            out.held, out.notes = held, notes
            return out
        if level is None or not level:
            mark = self.b.mark()  # the leximin's level rows must not outlive this solve
            try:
                out = self.leximin({p: 1.0 / self._case_weight[p] for p in active})
            finally:
                self.b.rollback(mark)
            out.held = held
            out.notes = notes + ["no agreement gives every party a positive gain at once: "
                                 "the Nash product is 0 everywhere, so the egalitarian agreement is proposed"]
            return out
        out = self._nash_cuts(active, held, state, start=level)
        out.notes = notes + out.notes
        if held and out.ok:
            self._complete_for_held(out, active, held)
        return out

    def _nash_relative(self, method: str | None) -> Outcome:
        """Nash with the party weights divided by the largest (only their ratios matter), and its
        objective and prices given back in the case's weights. The gap is relative to
        max(1, |objective|): with every weight at 1e-9 the absolute floor 1 left a gap of 0.1 of
        the objective unclosed (shipped cases, all weights times 1e-9: issue values off by up to 2)."""
        largest = max(self.weight.values())
        weight = self.weight
        self._case_weight = weight
        self._start_afresh()
        self.weight, self._weights_relative = {p: w / largest for p, w in weight.items()}, True
        try:
            out = self.nash(method)
        finally:
            self.weight, self._weights_relative = weight, False
        if out.gap is None:  # a fallback (utilitarian, egalitarian): solved in the case's weights
            return out
        if out.objective is not None:
            out.objective *= largest
        if out.prices is not None:
            out.prices = out.prices * largest
        return out

    def _start_afresh(self) -> None:
        """Nash starts from the state of a backend just built (HighsBackend.start_afresh; else a
        cold start), whatever the session solved before: its LPs are degenerate at the top (many
        vertices within the certified gap), so a start from another concept's basis, or from what
        HiGHS kept of earlier solves, ended at another vertex (issue values up to 5e-4 of a range
        apart on the shipped cases, after a utilitarian solve), and a warm answer must be the cold
        one. It costs no time on the conic path, whose cut LP starts by crossover anyway."""
        afresh = getattr(self.b, "start_afresh", None)
        if afresh is not None:
            afresh()
        else:
            self.b.start_cold(always=True)

    def _complete_for_held(self, out: Outcome, active, held) -> None:
        """The Nash product leaves the held parties' utilities open (many agreements give the
        others the same gains): among those, the one best for the held parties (weighted sum),
        so that the proposal does not depend on where the solver happened to stop."""
        u = self.utility_of(out.x)
        self.b.add_rows([({self.ucol[p]: 1.0}, u[p] - 1e-9 * self.uscale[p], INF, f"nash.keep.{p}")
                         for p in active])
        r, fail = self._solve({self.ucol[p]: self.weight[p] for p in held}, "nash completion")
        if not fail:
            out.x = r.x

    def _add_cuts(self, state, points: list[tuple[str, float]]) -> None:
        """A tangent cut per (party, gain) in `points`:
        z_p <= log g + (u_p - d_p - g)/g  <=>  z_p - u_p/g <= log g - 1 - d_p/g."""
        z, u, d = state["z"], self.ucol, self.reservation
        cols = np.array([(z[p], u[p]) for p, _ in points], np.int64).ravel()
        vals = np.array([(1.0, -1.0 / g) for _, g in points]).ravel()
        hi = np.array([math.log(g) - 1.0 - d[p] / g for p, g in points])
        many = getattr(self.b, "add_rows_arrays", None)  # HiGHS: 2.2k cuts in 2 ms, not 20 as dicts
        if many is not None:
            rows = many(np.arange(0, 2 * len(points) + 1, 2), cols, vals, np.full(len(points), -INF), hi)
        else:
            rows = self.b.add_rows([({int(cols[2 * i]): 1.0, int(cols[2 * i + 1]): float(vals[2 * i + 1])},
                                     -INF, float(hi[i]), f"nash.cut.{p}") for i, (p, _) in enumerate(points)])
        state["cuts"] += [(i, p, g) for i, (p, g) in zip(rows, points)]

    def _nash_cuts(self, active, held, state, start: float | dict | None) -> Outcome:
        """Outer approximation of max sum(w log(gain)) over `active`, from `start` (a gain, or
        one per party) or from the cuts already in `state`."""
        b = self.b
        missing = [p for p in self.parties if p not in state["z"]]
        if missing:
            cols = b.add_cols([-INF] * len(missing), [INF] * len(missing), [f"nash.log.{p}" for p in missing],
                              scale=[1.0] * len(missing))  # a log of a gain: about 1 in any units
            state["z"].update(zip(missing, cols))
        d = self.reservation
        if start is not None:
            at = start if isinstance(start, dict) else dict.fromkeys(active, start)
            self._add_cuts(state, [(p, at[p] * f) for p in active for f in (0.25, 1.0, 4.0)])
        z = state["z"]
        objective = {z[p]: self.weight[p] for p in active}
        best, best_val, gap, stall, last = None, -INF, INF, 0, None
        for _ in range(MAX_NASH_ROUNDS):
            r, fail = self._solve(objective, "nash")
            if fail:
                return fail
            if last is not None and r.objective == last.objective and np.array_equal(r.x, last.x):
                break  # the last cuts moved nothing (each within the solver's tolerance): nor would more
            last = r
            utils = self.utility_of(r.x)
            gains = {p: utils[p] - d[p] for p in active}
            true = sum(self.weight[p] * math.log(max(gains[p], 1e-300)) for p in active)
            if true > best_val + 1e-12 * max(1.0, abs(true)):
                best, best_val, best_gains, stall = r, true, gains, 0
            else:
                stall += 1
            gap = (r.objective - best_val) / max(1.0, abs(best_val))
            if gap <= NASH_TOL or stall >= 4:
                break
            new = [(p, max(gains[p], GAIN_TOL * self.uscale[p])) for p in active
                   if r.x[z[p]] - math.log(max(gains[p], 1e-300)) > 0.1 * NASH_TOL]
            if not new:
                break
            self._add_cuts(state, new)
        unique = r is best and self._nash_face_unique(held)  # before the prices' LP moves the basis
        out = Outcome("optimal", best.x, best.row_dual, best_val, held=list(held), gap=max(gap, 0.0),
                      prices=self._nash_prices(active, best_gains, best.row_dual), unique=unique)
        if gap > NASH_CERTIFIED:
            out.notes.append(f"the Nash tangent cuts stalled at a relative gap of {gap:.1e}, above the "
                             f"{_CERTIFIED} a Nash proposal is certified to")
        elif gap > NASH_TOL:  # the promise kept; said so, not as a warning
            out.notes.append(f"Nash certified to a relative gap of {gap:.1e} (within {_CERTIFIED}; "
                             f"the tangent cuts stopped gaining before {NASH_TOL:g})")
        return out

    def _nash_face_unique(self, held) -> bool:
        """Whether the cut LP just solved proved its issue values the only optimal ones: then so is
        the Nash agreement among those that keep every party's utility (any such agreement, its
        log-gains on the cuts, is optimal in the cut LP too), and the canonical agreement needs
        no probe. Held parties are completed afterwards by another LP: not proved here.
        On the conic path, benchmarks/generate.py cases (30 criteria x 10 points, seeds 0-2):
        proved at 5, 20, 50 and 200 parties, in 0.1-5 ms, against 0.08 s for the two probe LPs
        at 200. The cut path's agreement is seldom its last LP's (a last round that gains less
        than 1e-12 keeps the round before): it probes as before."""
        if held:
            return False
        return self.b.unique_optimum([j for j, _ in _issue_columns(self.p, self.b)])

    def _nash_prices(self, active, gains: dict, fallback):
        """The Nash objective's shadow prices: the duals of the LP of its gradient at the
        agreement, max sum(w_p / g_p * u_p) (the agreement is optimal there, and by the KKT
        conditions these duals are the sensitivities of sum(w log g)). The cut model's own
        duals depend on which cuts happen to be tight."""
        r, fail = self._solve({self.ucol[p]: self.weight[p] / gains[p] for p in active}, "nash prices")
        return fallback if fail or r.row_dual is None else r.row_dual

    def _nash_active(self) -> tuple[list[str], float | dict | None, Outcome | None]:
        """Parties that cannot gain at all (held at d_i), and the max-min gain of the others
        (the level: positive when every one of them can gain; 0 or None when not). A gain is
        nothing when below GAIN_TOL of its own party's utility scale: when the max-min level is
        below that of the largest scale, but every party's gain at its agreement is above its
        own, those gains are the level, one per party (a party in units 1e-12 of the others'
        was held, its max-min level lost in the solver's tolerance)."""
        b = self.b
        mark = b.mark()
        held: list[str] = []
        try:
            t, rows = self._level({p: 1.0 for p in self.parties}, self.parties, "nash.start")
            while True:
                free = [p for p in self.parties if p not in held]
                if not free:
                    return held, None, None
                r, fail = self._solve({t: 1.0}, "nash start")
                if fail:
                    return held, None, fail
                scale = max(self.uscale[p] for p in free)
                if r.objective > GAIN_TOL * scale:
                    return held, r.objective, None
                utils = self.utility_of(r.x)  # the level may be lost in the solver's tolerance: the gains
                gains = {p: utils[p] - self.reservation[p] for p in free}
                if all(g > GAIN_TOL * self.uscale[p] for p, g in gains.items()):
                    return held, gains, None
                if r.row_dual is None:  # MIP: ask the ideals
                    ideals = self.ideals()
                    if isinstance(ideals, Outcome):
                        return held, None, ideals
                    stuck = [p for p in free if ideals[p] - self.reservation[p] <= GAIN_TOL * self.uscale[p]]
                    if not stuck:
                        return held, 0.0, None
                else:
                    stuck = [p for p in free if abs(r.row_dual[rows[p]]) > DUAL_TOL] or free[:1]
                for p in stuck:
                    b.set_row_bounds(rows[p], -INF, INF)
                held += stuck
        finally:
            b.rollback(mark)

    # -- Nash through an exponential-cone solver (negotiate.formulation.nash_conic) -------------
    def _nash_method(self) -> str:
        """`conic` or `cuts`: the case's solve.nash_method, or for `auto` the faster one here:
        the cone program from CONIC_MIN_ROWS rows on, on an LP, with HiGHS (the measurements
        behind it were made there; other backends keep the cuts unless asked). A MIP keeps the
        cuts (the cone program is continuous), as do callers that move the live model's bounds
        away from the compiled case (coalition analyses). Cold and warm (a Negotiation
        re-solve) choose alike, so that a warm answer is the cold one."""
        asked = getattr(self.p.case.solve, "nash_method", "auto")
        if asked != "auto":
            return asked
        if self.b.is_mip() or self.b.name != "highs" or not self.live_model_is_case:
            return "cuts"
        return "conic" if self.b.n_rows >= CONIC_MIN_ROWS else "cuts"

    def _nash_conic(self) -> tuple[Outcome | None, str]:
        """Nash from Clarabel's point: tangent cuts at its gains, then the cut path's LP rounds
        (usually one), so the agreement is an LP vertex and the gap is certified as the cut
        path certifies it. (None, why) when the cone program cannot be used here or fails;
        why is empty when the cut path has to be asked anyway (no agreement, or no agreement
        gives every party a gain) and there is nothing to note."""
        if self.p.is_mip:
            return None, "the case has discrete choices, which the cone program does not model"
        if (self.b.n_cols, self.b.n_rows) != (self.p.n_cols, self.p.n_rows):
            return None, "the model holds rows the compiled case does not"
        if not self._live_bounds_are_case():
            # an option analysis fixed issues on the live model: the cone program reads the compiled case
            return None, "the live model's issue bounds are not the compiled case's"
        held: list[str] = []
        active = list(self.parties)
        self._conic_tries: list[nash_conic.ConicNash] = []
        found = self._conic_point(active)
        if found.status in ("PrimalInfeasible", "AlmostPrimalInfeasible"):
            return None, ""  # the cut path says there is no agreement, with its diagnosis
        floor = nash_conic.CONIC_GAIN_FLOOR
        if not found.solved or any(found.gains[p] < floor * self.uscale[p] for p in active):
            held, level, fail = self._nash_known = self._nash_active()  # who cannot gain at all
            if fail:
                return fail, ""
            if level is None or not level:
                return None, ""
            if held:
                active = [p for p in self.parties if p not in held]
                found = self._conic_point(active)
            if not found.solved:
                return None, found.message
        mark = self.b.mark()
        out = self._nash_from_point(active, held, found)
        if not out.ok or out.gap is None or out.gap > NASH_CERTIFIED:
            self.b.rollback(mark)
            why = out.message if not out.ok else f"the cuts at its point left a gap of {out.gap:.1e}"
            return None, why
        if held:
            out.notes.insert(0, f"{', '.join(held)} cannot gain above the reservation in any acceptable "
                                "agreement: held there, outside the Nash product")
            self._complete_for_held(out, active, held)
        return out, ""

    def _live_bounds_are_case(self) -> bool:
        """Whether the live model's column bounds are the compiled case's (all at once where
        the backend can tell: 44k columns one by one took 0.05 s at 200 parties)."""
        lb, ub = self.p.col_lb.astype(float), self.p.col_ub.astype(float)
        live = getattr(self.b, "model_col_bounds", None)
        if live is not None:
            blb, bub = live()
            return bool(np.array_equal(blb, lb) and np.array_equal(bub, ub))
        return all(self.b.col_bounds(j) == (lo, hi) for j, (lo, hi) in enumerate(zip(lb.tolist(), ub.tolist())))

    def _conic_point(self, active: list[str]) -> nash_conic.ConicNash:
        """Clarabel's Nash point over `active`; the next setting if one stalls early (a run
        that used up its iterations or time is not tried again: a party that cannot gain
        does that, and the LP then says who is held)."""
        limit = {"time_limit": float(self.b.time_limit)} if self.b.time_limit else {}
        model = None  # built once: a retry solves the same program with other settings
        for overrides in nash_conic.CLARABEL_RETRIES:
            found = nash_conic.solve(self.p, active, self.weight, self.reservation, self.uscale,
                                     model=model, **limit, **overrides)
            model = found.model
            self._conic_tries.append(found)
            if found.status not in nash_conic.RETRY_ON:
                break
        return found

    def _nash_from_point(self, active, held, found: nash_conic.ConicNash) -> Outcome:
        """The cut path's LP rounds, started from cuts around Clarabel's gains."""
        b = self.b
        state = {"z": {}, "cuts": []}
        cols = b.add_cols([-INF] * len(self.parties), [INF] * len(self.parties),
                          [f"nash.log.{p}" for p in self.parties], scale=[1.0] * len(self.parties))
        state["z"].update(zip(self.parties, cols))
        self._add_cuts(state, [(p, max(found.gains[p], GAIN_TOL * self.uscale[p]) * f)
                               for p in active for f in CONIC_SEEDS])
        crossover = self._start_from_conic(active, state, found)
        out = self._nash_cuts(active, held, state, start=None)
        tries = self._conic_tries
        out.solver_info = {"nash_method": "conic", "conic_seconds": round(sum(t.seconds for t in tries), 6),
                           "conic_build_seconds": round(sum(t.build_seconds for t in tries), 6),
                           "conic_iterations": sum(t.iterations for t in tries), "nash_crossover": crossover}
        return out

    def _start_from_conic(self, active, state, found: nash_conic.ConicNash) -> bool:
        """Start the first cut LP by crossover from Clarabel's point and duals, on a backend that
        can (HiGHS): each log-gain on its lowest cut at Clarabel's gain, that cut's dual the
        party's weight, the model's rows Clarabel's duals. By the cone program's KKT conditions
        this is the cut LP's optimum up to Clarabel's tolerance, so crossover ends at (or a few
        simplex pivots from) an optimal vertex; the LP then certifies the gap as before.
        200 parties of benchmarks/generate.py: the cold IPM + crossover took 0.82 s, the
        crossover with primal values only 0.10 s and then 3,792 simplex iterations (0.45 s)."""
        start = getattr(self.b, "start_from_point", None)
        if start is None or found.row_dual is None:
            return False
        x = np.zeros(self.b.n_cols)
        x[:len(found.x)] = found.x
        y = np.zeros(self.b.n_rows)
        y[:len(found.row_dual)] = found.row_dual
        z, d = state["z"], self.reservation
        lowest: dict = {}
        for i, p, g in state["cuts"]:
            u = found.gains[p] + d[p]
            value = math.log(g) - 1.0 - d[p] / g + u / g  # the cut's bound on z_p at Clarabel's point
            if p not in lowest or value < lowest[p][1]:
                lowest[p] = (i, value, abs(math.log(g)) + abs(u / g) + 1.0)
        for p, (i, value, size) in lowest.items():
            x[z[p]] = value + 1e-12 * size  # past the cut by a rounding error: exactly at its bound for crossover
            y[i] = self.weight[p]
        self.b.set_objective({z[p]: self.weight[p] for p in active})
        return bool(start(x, y))


class _IdealChain:
    """The start of each ideal's solve (ConceptRunner.ideals): the last optimum's basis, unless
    that optimum was a detour, far from the one before (more columns moved than DETOUR times the
    median count so far): then the basis before the detour. Deterministic (it reads only
    the solutions), so a warm and a cold ideal start alike; only the start changes, never the
    LP, so every ideal is still its LP's optimum."""

    # Measured in ConceptRunner.ideals; again without HiGHS's own scaling (kalai_smorodinsky),
    # 200 parties, ideals alone, CPU seconds of two runs each, load 3.3-4.2: 0.75 4.94 / 4.96
    # (47.9k iterations), 1 4.95 / 4.97 (47.6k), 1.5 6.15 / 6.20 (63.6k), 2 6.08 / 6.16 (64.1k).
    DETOUR = 1.0
    MOVED_TOL = 1e-9  # a column moved: by more than this, relative to 1 + |value|
    MIN_SEEN = 3  # moves seen before any is called a detour

    def __init__(self, backend: Backend):
        self.b = backend
        self.on = not backend.is_mip()
        self.x = None  # the last optimum on the chain
        self.basis = None  # its basis
        self.moved: list[int] = []

    def solved(self, x: np.ndarray) -> None:
        if not self.on:
            return
        if self.x is not None:
            n = int(np.count_nonzero(np.abs(x - self.x) > self.MOVED_TOL * (1.0 + np.abs(self.x))))
            detour = len(self.moved) >= self.MIN_SEEN and n > self.DETOUR * float(np.median(self.moved))
            self.moved.append(n)
            if detour and self.basis is not None:
                self.b.set_basis(self.basis)
                return
        self.x = x
        self.basis = self.b.get_basis()
# The largest spread of party weights (largest / smallest) a concept that reads them answers.
# Only ratios matter (every weight times 1e-9 .. 1e9 gives the same proposal), but a spread is
# held in the model: Nash gives a party of weight w a gain of about w / w_max of the utility
# scale, so at a spread of 1e9 the lightest parties' gains met GAIN_TOL and Nash divided by a
# zero gain (shipped cases, one party's weight 1e9 or 1e20: asia_pacific_compact, climate_club,
# eu_effort_sharing_2030); at 1e6 its tangent cuts and its cone program agree to 1e-6 on those
# cases (one party's weight 1e6). Egalitarian, its held levels in each party's own scale
# (`_held_unit`), is within 7e-7 of scipy's sequential leximin up to 1e6 (tests/test_numerics.py).
# Utilitarian is refused alike, for one rule (not measured beyond). Kalai-Smorodinsky reads no
# party weight.
MAX_WEIGHT_SPREAD = 1e6
_SPREAD = f"{MAX_WEIGHT_SPREAD:.0e}".replace("e+0", "e")  # as people write it: 1e6
_WEIGHTED = ("utilitarian", "egalitarian", "nash")


def check_weight_spread(case, concept: str) -> None:
    """Raises a located CaseError when the party weights are further apart than
    MAX_WEIGHT_SPREAD and `concept` reads them."""
    if registry.concept(concept).name not in _WEIGHTED or len(case.parties) < 2:
        return
    weights = {p: party.weight for p, party in case.parties.items()}
    light = min(weights, key=weights.get)
    heavy = max(weights, key=weights.get)
    if weights[heavy] <= MAX_WEIGHT_SPREAD * weights[light]:
        return
    from negotiate.case.source import SourceMap
    from negotiate.errors import CaseError, Finding, Location

    source = case._source or SourceMap()
    path = ("parties", heavy, "weight")
    raise CaseError([Finding(
        f"party weights {weights[light]:g} ({light}) to {weights[heavy]:g} ({heavy}) are more than "
        f"{_SPREAD} times apart: beyond what {concept} can weigh reliably",
        ".".join(path), source.locate(path) if source.positions else Location(source.file), weights[heavy],
        f"party weights are relative: keep the largest within {_SPREAD} times the smallest "
        "(weights only say how much more one party counts than another)")])
