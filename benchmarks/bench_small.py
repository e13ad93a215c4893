"""Small cases: the end-to-end utilitarian solve against HiGHS alone, and where its time goes.

    PYTHONPATH=$PWD python benchmarks/bench_small.py [--sizes 5 20] [--runs 300]

Issue 9 part 2 at its smallest size, where a solve takes milliseconds and `bench_scale.py`'s
best of a few runs is noise. Per size (benchmarks/generate.py cases, 30 criteria x 10 points):
- ours: CPU ms of `negotiate.solve(case, "utilitarian")` on freshly loaded cases (loaded
  untimed, all of a round first), median and fastest of --runs;
- the floor: `bench_scale.fastest_alone` (HiGHS alone on the best form, the fastest of its four
  cold methods, best of 10), measured in 5 rounds interleaved with ours, so both see the same
  load; the fastest round counts;
- ratio: ours (median, and fastest) / floor;
- then the median microseconds of each step of ours (wall clock, a timer around each; steps
  nest: a solve_problem holds the runner, which holds the backend's solve, which holds the
  written start and HiGHS's run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_scale  # noqa: E402
import yaml  # noqa: E402
from generate import make_case  # noqa: E402

import negotiate  # noqa: E402
from negotiate import load_case, solving, start  # noqa: E402
from negotiate.backends import highs  # noqa: E402
from negotiate.formulation import concepts  # noqa: E402

ROUNDS = 5
STEPS = [  # (module or class, function, label), outermost first
    (solving, "compile_case", "compile_case"),
    (solving, "make_backend", "make_backend"),
    (solving, "solve_problem", "solve_problem"),
    (concepts.ConceptRunner, "run", "  the concept runner"),
    (highs.HighsBackend, "_solve", "    the backend's solve"),
    (highs.HighsBackend, "_started_utilitarian", "      the written start"),
    (start, "utilitarian_start", "        utilitarian_start"),
    (highs.HighsBackend, "unique_optimum", "    unique_optimum"),
    (solving, "_proposal", "  _proposal (re-check and build)"),
    (solving, "utilities", "    utilities"),
    (solving, "verify", "    verify"),
]


def written(n: int, folder: Path) -> Path:
    path = folder / f"case{n}.yaml"
    path.write_text(yaml.dump(make_case(n, 30, 10), Dumper=yaml.CSafeDumper, default_flow_style=None, width=1000))
    return path


def ratio(path: Path, runs: int) -> tuple[list[float], float]:
    """Our CPU seconds per fresh solve, and the floor, measured in interleaved rounds."""
    bench_scale.CLOCK = time.process_time
    floors, ours = [], []
    lp = bench_scale.best_form(load_case(path))
    for _ in range(ROUNDS):
        floors.append(bench_scale.fastest_alone(lp, 10)[0])
        for case in [load_case(path) for _ in range(max(1, runs // ROUNDS))]:
            t0 = time.process_time()
            negotiate.solve(case, "utilitarian")
            ours.append(time.process_time() - t0)
    return sorted(ours), min(floors)


def steps(path: Path, runs: int) -> dict[str, float]:
    """Median wall-clock seconds of each step in STEPS over `runs` fresh solves (timers wrapped
    around the functions for this measurement only)."""
    spent: dict[str, float] = {}
    kept = []
    for owner, name, label in STEPS:
        inner = getattr(owner, name)
        kept.append((owner, name, inner))

        def timed(*args, _inner=inner, _label=label, **kwargs):
            t0 = time.perf_counter()
            try:
                return _inner(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)
    per_step = defaultdict(list)
    try:
        for case in [load_case(path) for _ in range(runs)]:
            spent.clear()
            t0 = time.perf_counter()
            negotiate.solve(case, "utilitarian")
            spent["negotiate.solve"] = time.perf_counter() - t0
            for label, seconds in spent.items():
                per_step[label].append(seconds)
    finally:
        for owner, name, inner in kept:
            setattr(owner, name, inner)
    return {label: statistics.median(v) for label, v in per_step.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 20])
    ap.add_argument("--runs", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {n: written(n, Path(tmp)) for n in args.sizes}
        print(f"{'parties':>7} {'ours median':>12} {'fastest':>8} {'floor':>8} {'ratio':>6} {'fastest':>8}  (CPU ms)")
        for n, path in paths.items():
            ours, floor = ratio(path, args.runs)
            median = statistics.median(ours)
            print(f"{n:7d} {median * 1e3:12.3f} {ours[0] * 1e3:8.3f} {floor * 1e3:8.3f} {median / floor:6.2f} "
                  f"{ours[0] / floor:8.2f}", flush=True)
        for n, path in paths.items():
            print(f"\n{n} parties, median us per step (wall clock, nested)")
            medians = steps(path, args.runs)
            for label in ["negotiate.solve"] + [label for _, _, label in STEPS]:
                if label in medians:
                    print(f"  {label:36} {medians[label] * 1e6:9.1f}")


if __name__ == "__main__":
    main()
