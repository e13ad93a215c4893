"""End-to-end solve time per size and concept, beside HiGHS alone.

For each case size: our `negotiate.solve(case, concept)` (compile, concept,
proposal; the Case is loaded once beforehand and its load time is reported
separately), the number of LP solves it made and the time HiGHS spent in
them, and HiGHS alone on the same single LP (the utilitarian model written
straight into highspy from the compiled arrays; only `run()` is timed).

    python benchmarks/bench_core.py [--sizes 5 20 50 200] [--criteria 30] [--points 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import highspy  # noqa: E402
import numpy as np  # noqa: E402
from generate import make_case  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import negotiate  # noqa: E402
from negotiate.backends.highs import new_highs  # noqa: E402
from negotiate.case.load import validate_data  # noqa: E402
from negotiate.compile import compile_case  # noqa: E402

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def highs_alone(problem) -> float:
    """Seconds HiGHS's run() takes on the utilitarian LP passed as arrays."""
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = problem.n_cols, problem.n_rows
    cost = np.zeros(problem.n_cols)
    for p, j in problem.utility_col.items():
        cost[j] = problem.case.parties[p].weight
    lp.col_cost_ = cost
    lp.col_lower_ = np.clip(problem.col_lb, -inf, inf)
    lp.col_upper_ = np.clip(problem.col_ub, -inf, inf)
    lp.row_lower_ = np.clip(problem.row_lo, -inf, inf)
    lp.row_upper_ = np.clip(problem.row_hi, -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = problem.indptr
    lp.a_matrix_.index_ = problem.indices
    lp.a_matrix_.value_ = problem.values
    lp.sense_ = highspy.ObjSense.kMaximize
    h = new_highs()
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 20, 50, 200])
    ap.add_argument("--criteria", type=int, default=30)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--concepts", nargs="+", default=CONCEPTS)
    ap.add_argument("--repeat", type=int, default=3, help="take the median of this many runs")
    args = ap.parse_args()
    console = Console(width=160)
    table = Table(title=f"negotiate solve vs HiGHS alone ({args.criteria} criteria x {args.points} points per party)")
    for col in ("parties", "rows x cols", "load s", "concept", "LP solves", "ours s", "HiGHS in ours s",
                "HiGHS alone (1 LP) s", "ours / (solves x alone)"):
        table.add_column(col, justify="right")
    for n in args.sizes:
        data = make_case(n, args.criteria, args.points)
        t0 = time.perf_counter()
        case = validate_data(data)
        load = time.perf_counter() - t0
        problem = compile_case(case)
        alone = statistics.median(highs_alone(problem) for _ in range(args.repeat))
        for concept in args.concepts:
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                prop = negotiate.solve(case, concept)
                runs.append((time.perf_counter() - t0, prop))
            ours, prop = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
            solves = prop.solver["solves"]
            table.add_row(str(n), f"{problem.n_rows:,} x {problem.n_cols:,}", f"{load:.3f}", concept,
                          str(solves), f"{ours:.3f}", f"{prop.solver['solver_seconds']:.3f}", f"{alone:.3f}",
                          f"{ours / (solves * alone):.2f}")
            console.print(f"[dim]{n} parties, {concept}: {ours:.3f}s, {solves} solves[/dim]", highlight=False)
    console.print(table)


if __name__ == "__main__":
    main()
