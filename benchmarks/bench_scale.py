"""Scale: per size and concept, load, compile, solve, and HiGHS alone on the best form.

    PYTHONPATH=$PWD python benchmarks/bench_scale.py [--sizes 5 20 50 200 800] [--criteria 30]
        [--points 10] [--concepts utilitarian nash] [--repeat 1] [--clock wall|cpu]

For each size (benchmarks/generate.py cases) it prints:
- load: `load_case` of the case written as YAML, beside a plain C YAML parse
  of the same file (PyYAML CSafeLoader, GC paused) and their ratio;
- compile: `compile_case` on a freshly loaded case (its first compile: a
  resolved case keeps its compiled curves, so a second compile is nearly free);
- per concept: our end-to-end `negotiate.solve(case, concept)` (compile,
  concept, proposal) on a freshly loaded case each time, its LP solves and
  HiGHS time inside;
- HiGHS alone on the best exact formulation, written here straight into
  highspy from the resolved case, NOT from our compiled model: concave curves
  as bounded increments (one position row per curve, no score columns: the
  scores enter the utility rows directly), a multi-term argument shared by
  several curves as one column; timed by simplex and by IPM + crossover, each
  with HiGHS's presolve on and off, and the fastest of the four is the floor
  (`method` says which; `-np`: presolve off); only `run()` is timed. Since issue 9 part 2 our compiler
  writes this same form (a shared column only where it saves
  compile.SHARED_MIN_SAVED nonzeros), and our utilitarian LP starts from the
  dual feasible basis negotiate.start writes (dual simplex, Devex), which no
  cold method of the floor has;
- ratio = ours (utilitarian) / HiGHS alone; for the other concepts ours /
  (LP solves x HiGHS alone);
- Nash only: Clarabel alone, its setup and solve (nothing else timed) on the
  exponential-cone program our conic path builds from the compiled model
  (negotiate.formulation.nash_conic), to Clarabel's default tolerances with the
  settings the Nash path had when the target was set (CLARABEL_FLOOR), then ours /
  Clarabel alone, end to end and for the concept's own time (`own`: solve_problem,
  the compiled model and backend given, as Clarabel is given its program, on the
  same clock); `faer`: the same floor with Clarabel's faer solver, and own / it.
  Our path stops Clarabel at nash_conic.CLARABEL_TOL (3e-5) and has its cut LP
  certify the gap below 1e-7 at an LP vertex; Clarabel alone, at its 1e-8
  defaults, certifies no vertex: the floor is the conic solver as a user would
  call it, not the same work;
Timings are best of --repeat runs in one process; on a shared machine only
ratios within one run mean anything, and `--clock cpu` (process CPU seconds,
every thread counted) is steadier than wall time when other jobs load the cores.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import highspy  # noqa: E402
import yaml  # noqa: E402
from generate import make_case  # noqa: E402

import negotiate  # noqa: E402
from negotiate.backends.highs import new_highs  # noqa: E402
from negotiate.case.load import load_case  # noqa: E402
from negotiate.case.resolve import resolve  # noqa: E402
from negotiate.compile import _shape, compile_case, reachable  # noqa: E402

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def best_form(case) -> highspy.HighsLp:
    """The utilitarian LP in the increment form (see the module docstring)."""
    r = resolve(case)
    inf = highspy.kHighsInf
    cols_lo, cols_hi, cost = [], [], []
    rows = []  # (coefs {col: value}, lo, hi)

    def col(lo, hi, c=0.0):
        cols_lo.append(lo)
        cols_hi.append(hi)
        cost.append(c)
        return len(cols_lo) - 1

    var = {}
    bounds = {}
    for v in r.variables:
        var[v.key] = col(v.lb, v.ub)
        bounds[v.key] = (v.lb, v.ub)

    def lin(terms):
        out = {}
        for k, c in terms.items():
            if c:
                out[var[k]] = out.get(var[k], 0.0) + c
        return out

    for iid, issue in case.issues.items():  # one option per discrete choice
        if issue.options is not None:
            for p in (r.parties if issue.per_party else [None]):
                rows.append(({var[(iid, p, o)]: 1.0 for o in issue.options}, 1.0, 1.0))
    users = {}
    for p in r.parties:
        for c in r.criteria[p]:
            if c.xs is not None and len(c.lin.terms) >= 3:
                key = tuple((k, v) for k, v in c.lin.terms.items() if v)
                users[key] = users.get(key, 0) + 1
    shared = {}
    for key, n in users.items():
        if n >= 2:
            j = col(-inf, inf)
            coefs = {j: 1.0}
            for jj, v in lin(dict(key)).items():
                coefs[jj] = coefs.get(jj, 0.0) - v
            rows.append((coefs, 0.0, 0.0))
            shared[key] = j
    for p in r.parties:
        w = case.parties[p].weight
        u = col(-inf, inf, w)
        urow, uconst = {u: 1.0}, 0.0
        for c in r.criteria[p]:
            if c.xs is None:
                for jj, v in lin(c.lin.terms).items():
                    urow[jj] = urow.get(jj, 0.0) - c.weight * v
                uconst += c.weight * c.lin.const
                continue
            lo, hi = reachable(c.lin.terms, c.lin.const, bounds)
            xs, ys, concave = _shape(c.xs, c.ys, lo, hi)
            assert concave, "the generated cases are LPs"
            uconst += c.weight * ys[0]
            if len(xs) == 1:
                continue
            key = tuple((k, v) for k, v in c.lin.terms.items() if v)
            pos = {shared[key]: 1.0} if key in shared else lin(c.lin.terms)
            for k in range(len(xs) - 1):
                d = col(0.0, xs[k + 1] - xs[k])
                pos[d] = -1.0
                urow[d] = urow.get(d, 0.0) - c.weight * (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k])
            rows.append((pos, xs[0] - c.lin.const, xs[0] - c.lin.const))
        rows.append((urow, uconst, uconst))
        if case.solve.require_acceptance:
            rows.append(({u: 1.0}, case.parties[p].reservation, inf))
    for row in r.rows:
        rows.append((lin(row.lin.terms), row.lo - row.lin.const, row.hi - row.lin.const))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cols_lo), len(rows)
    lp.col_cost_ = np.array(cost)
    lp.col_lower_ = np.clip(cols_lo, -inf, inf)
    lp.col_upper_ = np.clip(cols_hi, -inf, inf)
    lp.row_lower_ = np.clip([lo for _, lo, _ in rows], -inf, inf)
    lp.row_upper_ = np.clip([hi for _, _, hi in rows], -inf, inf)
    starts, index, value = [0], [], []
    for coefs, _, _ in rows:
        index.extend(coefs.keys())
        value.extend(coefs.values())
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, np.int32)
    lp.a_matrix_.index_ = np.array(index, np.int32)
    lp.a_matrix_.value_ = np.array(value, float)
    lp.sense_ = highspy.ObjSense.kMaximize
    return lp


CLOCK = time.perf_counter  # --clock cpu: time.process_time


def highs_alone(lp, method: str = "ipm", presolve: str = "on") -> tuple[float, float]:
    """Seconds of HiGHS run() on the best form by `method` (ipm: with crossover; simplex), with
    HiGHS's presolve `presolve` (on / off), and its optimum."""
    h = new_highs()
    h.passModel(lp)
    h.setOptionValue("solver", method)
    h.setOptionValue("presolve", presolve)
    if method == "ipm":
        h.setOptionValue("run_crossover", "on")
    t0 = CLOCK()
    h.run()
    seconds = CLOCK() - t0
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return seconds, h.getInfo().objective_function_value


# Clarabel alone runs to its default tolerances (1e-8) with its own direct solver (qdldl), as the
# Nash path ran it when the target was set: only verbose, max_iter, presolve, equilibration and
# iterative refinement (off: 0.3-0.7 of the time with it on) as nash_conic had them. The Nash
# path's own settings (looser tolerances) are not the floor's: CLARABEL_FAER is the same
# floor with faer on one thread, printed beside it.
CLARABEL_FLOOR = {"verbose": False, "max_iter": 200, "presolve_enable": True, "equilibrate_enable": True,
                  "iterative_refinement_enable": False}
CLARABEL_FAER = {**CLARABEL_FLOOR, "direct_solve_method": "faer", "max_threads": 1}


def clarabel_alone(problem, settings: dict = CLARABEL_FLOOR) -> float:
    """Seconds of Clarabel's setup and solve, to its default tolerances, on our exponential-cone
    Nash program."""
    import clarabel

    from negotiate.compile import utility_scales
    from negotiate.formulation import nash_conic

    case, ps = problem.case, problem.parties
    m = nash_conic.build(problem, ps, {p: case.parties[p].weight for p in ps},
                         {p: case.parties[p].reservation for p in ps}, utility_scales(problem))
    s = clarabel.DefaultSettings()
    for key, value in settings.items():
        setattr(s, key, value)
    t0 = CLOCK()
    sol = clarabel.DefaultSolver(m.P, m.q, m.A, m.b, m.cones, s).solve()
    seconds = CLOCK() - t0
    assert str(sol.status).endswith("Solved"), sol.status
    return seconds


class OwnTime:
    """The concept's own time: negotiate.solving.solve_problem (the compiled model and its backend
    given, as Clarabel is given its program) timed by CLOCK, the same clock as Clarabel alone."""

    def __init__(self):
        from negotiate import solving

        self.seconds = 0.0
        inner = solving.solve_problem

        def timed_solve_problem(*args, **kwargs):
            t0 = CLOCK()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds = CLOCK() - t0

        solving.solve_problem = timed_solve_problem


def fastest_alone(lp, repeat: int) -> tuple[float, float, str]:
    """The floor: the fastest of simplex and IPM + crossover, each with HiGHS's presolve on and off
    (each best of `repeat`), its optimum, its method (`-np`: no presolve). Our backend chooses
    among the same four (negotiate.backends.highs), so the floor is what the best choice gives."""
    best = None
    for method in ("simplex", "ipm"):
        for presolve in ("on", "off"):
            seconds, optimum = min(highs_alone(lp, method, presolve) for _ in range(repeat))
            if best is None or seconds < best[0]:
                best = (seconds, optimum, method + ("-np" if presolve == "off" else ""))
    return best


def timed(f, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = CLOCK()
        out = f()
        best = min(best, CLOCK() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 20, 50, 200])
    ap.add_argument("--criteria", type=int, default=30)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--concepts", nargs="+", default=CONCEPTS)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"{'parties':>7} {'MB':>5} {'C parse':>8} {'load':>7} {'ratio':>6} {'compile':>8} {'rows':>7} "
          f"{'concept':18} {'LPs':>4} {'solve':>8} {'HiGHS in':>8} {'best form':>9} {'method':>7} {'ratio':>6} "
          f"{'Clarabel alone':>14} {'ratio':>6} {'own':>6} {'faer':>6} {'own':>6}")
    own = OwnTime()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"case{n}.yaml"
            path.write_text(yaml.dump(make_case(n, args.criteria, args.points), Dumper=yaml.CSafeDumper,
                                      default_flow_style=None, width=1000))
            text = path.read_text()

            def c_parse():
                gc.disable()
                try:
                    return yaml.load(text, Loader=yaml.CSafeLoader)
                finally:
                    gc.enable()

            parse_s = load_s = float("inf")
            for _ in range(max(1, args.repeat)):  # interleaved: both see the same load
                parse_s = min(parse_s, timed(c_parse, 1)[0])
                load_s, case = min(load_s, timed(lambda: load_case(path), 1)[0]), load_case(path)
            # compile and solve are timed on cases loaded afresh (untimed), so every timing
            # includes the first compile of its case: a resolved case keeps its compiled curves
            # (a second compile of the same case is nearly free), which must not flatter us
            fresh = [load_case(path) for _ in range(max(1, args.repeat))]
            compile_s, problem = min((timed(lambda c=c: compile_case(c), 1) for c in fresh), key=lambda t: t[0])
            alone, optimum, method = fastest_alone(best_form(case), args.repeat)
            head = (f"{n:7d} {path.stat().st_size / 1e6:5.1f} {parse_s:8.3f} {load_s:7.3f} {load_s / parse_s:6.2f} "
                    f"{compile_s:8.3f} {problem.n_rows:7d}")
            for concept in args.concepts:
                cases = [load_case(path) for _ in range(max(1, args.repeat))]
                runs = []
                for c in cases:
                    seconds, prop = timed(lambda c=c: negotiate.solve(c, concept), 1)
                    runs.append((seconds, own.seconds, prop))
                ours, own_s, prop = min(runs, key=lambda t: t[0])
                lps = prop.solver["solves"]
                if concept == "utilitarian":
                    assert abs(prop.collective_benefit - optimum) <= 1e-6 * max(1.0, abs(optimum))
                # utilitarian: its one LP and the canonical agreement's probes, end to end, against one LP
                ratio = ours / alone if concept == "utilitarian" else ours / (max(lps, 1) * alone)
                conic = ""
                if concept == "nash":
                    cl = min(clarabel_alone(problem) for _ in range(args.repeat))
                    faer = min(clarabel_alone(problem, CLARABEL_FAER) for _ in range(args.repeat))
                    conic = (f" {cl:14.3f} {ours / cl:6.2f} {own_s / cl:6.2f} {faer:6.3f} {own_s / faer:6.2f}"
                             f" {prop.solver['nash_method']}")
                print(f"{head} {concept:18} {lps:4d} {ours:8.3f} {prop.solver['solver_seconds']:8.3f} "
                      f"{alone:9.3f} {method:>7} {ratio:6.2f}{conic}", flush=True)
                head = " " * len(head)


if __name__ == "__main__":
    main()
