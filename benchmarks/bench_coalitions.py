"""Coalition analysis speed (issue 10 part 8).

1. Every coalition (2^n - 1) of an n-party LP case (benchmarks/generate.py,
   status quo: no cut, price 0; reservations at the status quo), utilitarian:
   worth, agreement and stability of each, in this process (one warm model,
   bounds switched between coalitions) and on a process pool of `--workers`.
2. The time per coalition against one cold `negotiate.solve` of the case.
3. Shapley values of the 27-party EU effort-sharing case (status quo: no cut,
   the collective target restricted to the members) by sampling until every
   95% half-width is at most `--tolerance`.

    python benchmarks/bench_coalitions.py [--parties 10] [--workers 2] [--tolerance 0.01]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from generate import make_case  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import negotiate  # noqa: E402
from negotiate.analysis.coalitions import coalitions  # noqa: E402
from negotiate.case.load import validate_data  # noqa: E402


def lp_case(n: int, criteria: int, points: int):
    data = make_case(n, criteria, points)
    data["status_quo"] = {"reduction": {"default": 0}, "price": 0}
    for party in data["parties"].values():
        party["reservation"] = "status_quo"
    data["coalition_rules"] = {"collective": "members"}
    return validate_data(data)


def eu_case():
    case = negotiate.load_case(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    data = case.model_dump(exclude_unset=True)
    data.setdefault("status_quo", {})
    data["status_quo"].setdefault("reduction", {"default": 0})
    data["status_quo"].setdefault("finance", {"default": 0})
    data["coalition_rules"] = {"collective_target": "members"}
    return validate_data(data)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parties", type=int, default=10)
    ap.add_argument("--criteria", type=int, default=30)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=0.01)
    ap.add_argument("--eu-worths", type=int, default=20_000, help="EU: stop after this many coalitions' worths")
    ap.add_argument("--eu-workers", type=int, default=1, help="EU: worker processes for each round's worths")
    ap.add_argument("--skip-eu", action="store_true")
    args = ap.parse_args()
    out = Console()
    out.print(f"machine: {os.cpu_count()} cores, shared with other work (timings are noisy)")

    case = lp_case(args.parties, args.criteria, args.points)
    cold, prop = timed(lambda: negotiate.solve(case, "utilitarian"))
    cold2, _ = timed(lambda: negotiate.solve(case, "utilitarian"))
    cold = min(cold, cold2)
    t_in, a_in = timed(lambda: coalitions(case, "utilitarian", members="all"))
    t_pool, a_pool = timed(lambda: coalitions(case, "utilitarian", members="all", workers=args.workers))
    n_coal = len(a_in.coalitions)
    t = Table(title=f"{case.name}: every coalition ({n_coal}), utilitarian, with stability")
    for col in ("run", "seconds", "solves", "per coalition (ms)", "vs one cold solve"):
        t.add_column(col, justify="right")
    t.add_row("one cold solve (load excluded)", f"{cold:.3f}", str(prop.solver["solves"]), "", "1.00")
    t.add_row("in-process, one warm model", f"{t_in:.2f}", str(a_in.solves), f"{1000 * t_in / n_coal:.2f}",
              f"{t_in / n_coal / cold:.2f}")
    t.add_row(f"process pool ({args.workers})", f"{t_pool:.2f}", str(a_pool.solves),
              f"{1000 * t_pool / n_coal:.2f}", f"{t_pool / n_coal / cold:.2f}")
    out.print(t)
    same = all(abs(x.worth - y.worth) <= 1e-7 * max(1, abs(x.worth)) for x, y in zip(a_in.coalitions, a_pool.coalitions))
    out.print(f"pool and in-process worths agree: {same}; stable coalitions: {len(a_in.stable)}")

    if args.skip_eu:
        return
    eu = eu_case()
    t_eu, a_eu = timed(lambda: coalitions(eu, "utilitarian", members=[list(eu.parties)], shapley=True,
                                          shapley_tolerance=args.tolerance, max_worths=args.eu_worths,
                                          workers=args.eu_workers))
    s = a_eu.shapley_sampled
    worst = max(s.half_width.values())
    out.print(f"EU-27 Shapley, size-stratified sampling: {t_eu:.1f} s, {s.coalitions_evaluated} coalitions' worths "
              f"({1000 * t_eu / max(s.coalitions_evaluated, 1):.2f} ms each), largest 95% half-width {worst:.4f} "
              f"(target {args.tolerance}), converged: {s.converged}")
    if not s.converged:
        need = s.coalitions_evaluated * (worst / args.tolerance) ** 2
        out.print(f"  at this rate the target needs about {need:,.0f} worths, {need * t_eu / s.coalitions_evaluated:,.0f} s")


if __name__ == "__main__":
    main()
