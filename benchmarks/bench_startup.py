"""Command-line start-up: CPU seconds (user + system) per command and case.

Each command runs in a fresh `python -m negotiate ...` process; its CPU time
is read from the kernel's accounting of finished children (getrusage), the
best of `--repeat` runs (a loaded machine only ever adds time). Bare
`python -c pass` is measured in the same run, so the ratio column compares
like with like. Output goes to /dev/null: this is start-up, not printing.

    python benchmarks/bench_startup.py [--repeat 7] [--cases cases/*.yaml] [--solve]

`--solve` adds `negotiate solve` on the small shipped cases (its fixed cost is
what a user waits for on every run). Without byte-code caches (a fresh clone
run with PYTHONDONTWRITEBYTECODE) the package's own modules are compiled on
every run: `--compiled` writes them first with compileall, as an installed
package has them.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_CASES = ["bilateral_fta", "climate_club", "trade_standards", "digital_trade_standards"]


def cpu_seconds(argv: list[str], env: dict) -> tuple[float, int]:
    """User + system CPU seconds of one child process, and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.returncode


def best(argv: list[str], env: dict, repeat: int) -> tuple[float, int]:
    runs = [cpu_seconds(argv, env) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[-1][1]


def commands(cases: list[Path], with_solve: bool) -> list[tuple[str, list[str]]]:
    out = [("--help", ["--help"]), ("solve --help", ["solve", "--help"]), ("validate --help", ["validate", "--help"])]
    out += [(f"validate {c.name}", ["validate", str(c)]) for c in cases]
    if with_solve:
        out += [(f"solve {c.name}", ["solve", str(c)]) for c in cases if c.stem in SMALL_CASES]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7, help="runs per command; the best is kept")
    ap.add_argument("--cases", nargs="+", type=Path, default=sorted((ROOT / "cases").glob("*.yaml")))
    ap.add_argument("--solve", action="store_true", help="also `negotiate solve` on the small shipped cases")
    ap.add_argument("--compiled", action="store_true", help="write the package's byte code first (compileall)")
    ap.add_argument("--budget", type=float, default=0.3, help="CPU seconds a start-up command may take")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.compiled:
        import compileall

        compileall.compile_dir(ROOT / "negotiate", quiet=1)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    bare, _ = best([sys.executable, "-c", "pass"], env, args.repeat)
    print(f"bare `python -c pass`: {bare:.3f} s CPU (best of {args.repeat}; load {os.getloadavg()[0]:.2f})")
    print(f"{'command':<48} {'CPU s':>7} {'x bare':>7} {'exit':>5}  budget {args.budget:g} s")
    for label, argv in commands([c.resolve().relative_to(ROOT) for c in args.cases], args.solve):
        t, code = best([sys.executable, "-m", "negotiate", *argv], env, args.repeat)
        verdict = "" if label.startswith("solve ") and "--help" not in label else ("ok" if t < args.budget else "OVER")
        print(f"{label:<48} {t:>7.3f} {t / bare:>7.1f} {code:>5}  {verdict}")


if __name__ == "__main__":
    main()
