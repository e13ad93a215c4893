"""Batch comparison speed: N scenario runs of the 27-party EU case on 1 and 2 workers.

A run is one scenario (a grid over the collective target and Poland's
reservation) under one concept, with every party's ideal (for satisfaction),
as `compare()` does it: workers keep one warm session per case. Beside it,
what one run costs done cold: `negotiate.solve(case.update(changes), concept,
ideals=True)`.

    python benchmarks/bench_compare.py [--runs 1000] [--workers 1 2] [--concept nash]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

import negotiate
from negotiate.compare import compare

CASE = Path(__file__).resolve().parent.parent / "cases" / "eu_effort_sharing_2030.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--concept", default="nash")
    args = ap.parse_args()
    case = negotiate.load_case(CASE)
    side = int(np.ceil(np.sqrt(args.runs)))
    targets = np.linspace(30, 45, side).round(4).tolist()
    reservations = np.linspace(0.5, 0.75, side).round(4).tolist()
    grid = {"parameters.target": targets, "parties.PL.reservation": reservations}
    total = side * side
    console = Console(width=140)
    table = Table(title=f"{total} scenario runs of {case.name} ({len(case.parties)} parties), {args.concept}")
    for col in ("workers", "seconds", "per run ms", "speed-up", "rows ok"):
        table.add_column(col, justify="right")
    base = None
    for w in args.workers:
        t0 = time.perf_counter()
        result = compare(case, concepts=[args.concept], options=[], scenarios=[], sweeps=grid, workers=w)
        seconds = time.perf_counter() - t0
        ok = sum(r["status"] == "optimal" for r in result.rows)
        base = base or seconds
        table.add_row(str(w), f"{seconds:.2f}", f"{1000 * seconds / (total + 1):.2f}", f"{base / seconds:.2f}x", str(ok))
        console.print(f"[dim]{w} worker(s): {seconds:.2f}s[/dim]", highlight=False)
    cold = []
    for t, r in zip(targets[:10], reservations[:10]):
        t0 = time.perf_counter()
        negotiate.solve(case.update({"parameters.target": t, "parties.PL.reservation": r}), args.concept, ideals=True)
        cold.append(time.perf_counter() - t0)
    console.print(table)
    console.print(f"one cold solve of a changed case (update + solve with ideals): "
                  f"{1000 * statistics.median(cold):.2f} ms (median of 10)")


if __name__ == "__main__":
    main()
