"""The size thresholds of the solver choices, measured on either side.

    PYTHONPATH=$PWD python benchmarks/bench_thresholds.py [--sizes 20 50 100] [--criteria 30]
        [--what nash ks] [--repeat 1]

For each size (benchmarks/generate.py cases), CPU seconds, each choice forced both ways in one
process (only ratios within one run mean anything on a shared machine):
- nash: negotiate.solve(case, "nash") with solve.nash_method cuts vs conic (the choice
  concepts.CONIC_MIN_ROWS makes for `auto`); clarabel is imported up front (its one-time
  import is 1 ms; the conic path imports no scipy);
- ks: negotiate.solve(case, "kalai_smorodinsky") with the ideals by primal vs dual simplex
  (concepts.PRIMAL_IDEALS_MAX_ROWS) and the first leximin round after them hot (from the last
  ideal's basis) vs cold (HighsBackend.start_cold: IPM + crossover from highs.IPM_MIN_ROWS
  rows, simplex from scratch below): the ideals' and the leximin's own seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import clarabel  # noqa: E402,F401  (imported here: its one-time import is not timed)
import yaml  # noqa: E402
from generate import make_case  # noqa: E402

import negotiate  # noqa: E402
from negotiate.backends import highs  # noqa: E402
from negotiate.compile import compile_case  # noqa: E402
from negotiate.formulation import concepts  # noqa: E402

CLOCK = time.process_time
SPENT: dict[str, float] = {}


def timing(name: str, f):
    def wrapped(*args, **kwargs):
        t0 = CLOCK()
        try:
            return f(*args, **kwargs)
        finally:
            SPENT[name] = CLOCK() - t0
    return wrapped


def cold(backend) -> None:
    if not backend.is_mip():
        backend.h.clearSolver()
        backend._has_basis = False


def nash_row(case, rows: int, n: int) -> None:
    spent = {}
    for method in ("cuts", "conic"):
        t0 = CLOCK()
        prop = negotiate.solve(case, "nash", changes={"solve.nash_method": method})
        spent[method] = (CLOCK() - t0, prop.solver["solves"])
    print(f"{n:7d} {rows:6d} nash  cuts {spent['cuts'][0]:7.3f} ({spent['cuts'][1]} LPs)  "
          f"conic {spent['conic'][0]:7.3f} ({spent['conic'][1]} LPs)", flush=True)


def ks_row(case, rows: int, n: int) -> None:
    keep_max, keep_cold = concepts.PRIMAL_IDEALS_MAX_ROWS, highs.HighsBackend.start_cold
    try:
        for ideals in ("primal", "dual"):
            for first in ("hot", "cold"):
                concepts.PRIMAL_IDEALS_MAX_ROWS = 10**12 if ideals == "primal" else -1
                highs.HighsBackend.start_cold = cold if first == "cold" else (lambda backend: None)
                t0 = CLOCK()
                negotiate.solve(case, "kalai_smorodinsky")
                print(f"{n:7d} {rows:6d} ks    ideals {ideals:6} {SPENT['ideals']:7.3f}  first round "
                      f"{first:4} leximin {SPENT['leximin']:7.3f}  total {CLOCK() - t0:7.3f}", flush=True)
    finally:
        concepts.PRIMAL_IDEALS_MAX_ROWS, highs.HighsBackend.start_cold = keep_max, keep_cold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100])
    ap.add_argument("--criteria", type=int, default=30)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--what", nargs="+", choices=["nash", "ks"], default=["nash", "ks"])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    runner = concepts.ConceptRunner
    runner.ideals = timing("ideals", runner.ideals)
    runner.leximin = timing("leximin", runner.leximin)
    print(f"{'parties':>7} {'rows':>6} CPU seconds")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"case{n}.yaml"
            path.write_text(yaml.dump(make_case(n, args.criteria, args.points), Dumper=yaml.CSafeDumper,
                                      default_flow_style=None, width=1000))
            case = negotiate.load_case(path)
            rows = compile_case(case).n_rows
            for _ in range(args.repeat):
                if "nash" in args.what:
                    nash_row(case, rows, n)
                if "ks" in args.what:
                    ks_row(case, rows, n)


if __name__ == "__main__":
    main()
