"""Egalitarian and Kalai-Smorodinsky end to end on one benchmarks/generate.py case, for a same-run
comparison of two checkouts of the code (issue 9 part 3).

    PYTHONPATH=/path/to/checkout python benchmarks/bench_leximin.py [--parties 200] [--criteria 30]
        [--points 10] [--concepts egalitarian kalai_smorodinsky] [--clock cpu]

The negotiate imported is the one PYTHONPATH names (this script adds nothing to sys.path but its
own folder, for generate.py), so the same script times an older commit checked out in a separate
`git worktree` and the current one, back to back: only ratios taken in one run mean anything on a
shared machine. Per concept it prints `negotiate.solve(case, concept)` on the loaded case (compile,
every LP, the proposal), the LP solves, the distinct levels of the scaled gains and the status.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from generate import make_case  # noqa: E402

import negotiate  # noqa: E402


def levels(prop, concept: str) -> int:
    """Distinct scaled gains (every generated party has weight 1: egalitarian's scale is 1)."""
    out = set()
    for o in prop.parties.values():
        if concept == "egalitarian":
            out.add(round(o.gain, 7))
        elif o.ideal is not None and o.ideal - o.reservation > 1e-9:
            out.add(round(o.gain / (o.ideal - o.reservation), 7))
    return len(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parties", type=int, default=200)
    ap.add_argument("--criteria", type=int, default=30)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--concepts", nargs="+", default=["egalitarian", "kalai_smorodinsky"])
    ap.add_argument("--clock", choices=["wall", "cpu"], default="cpu")
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"negotiate from {Path(negotiate.__file__).resolve().parents[1]}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.yaml"
        path.write_text(yaml.dump(make_case(args.parties, args.criteria, args.points), Dumper=yaml.CSafeDumper,
                                  default_flow_style=None, width=1000))
        case = negotiate.load_case(path)
        for concept in args.concepts:
            t0 = clock()
            prop = negotiate.solve(case, concept)
            seconds = clock() - t0
            print(f"{args.parties:4d} parties {concept:18} {seconds:8.2f} s ({args.clock})  "
                  f"LPs {prop.solver.get('solves', '?'):>4}  levels {levels(prop, concept):3d}  "
                  f"status {prop.status}", flush=True)


if __name__ == "__main__":
    main()
