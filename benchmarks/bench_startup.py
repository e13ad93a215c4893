"""Command-line start-up: CPU seconds (user + system) per command and case.

Each command runs in a fresh `python -m negotiate ...` process; its CPU time is
read from the kernel's accounting of finished children (getrusage), the best of
`--repeat` runs (a loaded machine only ever adds time). Bare `python -c pass` is
measured in the same run, so the ratio columns compare like with like. Output
goes to /dev/null: this is start-up, not printing.

Two columns per command: with the package's byte code (as a pip install leaves
it: compileall writes negotiate/__pycache__ first) and from source (a copy of
the package without byte code, run with PYTHONDONTWRITEBYTECODE=1, as a fresh
clone is in this project's environment: every module compiled on every run).

    python benchmarks/bench_startup.py [--repeat 5] [--cases cases/*.yaml] [--solve]

`--solve` adds `negotiate solve` on the small shipped cases (its fixed cost is
what a user waits for on every run; the solve itself is part of it).
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import subprocess
import sys
import tempfile
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


def source_copy(folder: Path) -> Path:
    """The package and its models, without byte code, in `folder`."""
    no_cache = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "negotiate", folder / "negotiate", ignore=no_cache)
    shutil.copytree(ROOT / "models", folder / "models")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="runs per command and mode; the best is kept")
    ap.add_argument("--cases", nargs="+", type=Path, default=sorted((ROOT / "cases").glob("*.yaml")))
    ap.add_argument("--solve", action="store_true", help="also `negotiate solve` on the small shipped cases")
    ap.add_argument("--budget", type=float, default=0.3, help="CPU seconds a start-up command may take")
    args = ap.parse_args()
    compileall.compile_dir(ROOT / "negotiate", quiet=1)
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    base["PYTHONSAFEPATH"] = "1"  # `-m` must not import the package from the working folder: PYTHONPATH says which
    with tempfile.TemporaryDirectory() as tmp:
        modes = {"byte code": {**base, "PYTHONPATH": str(ROOT)},
                 "from source": {**base, "PYTHONPATH": str(source_copy(Path(tmp))), "PYTHONDONTWRITEBYTECODE": "1"}}
        bare, _ = best([sys.executable, "-c", "pass"], base, args.repeat)
        print(f"bare `python -c pass`: {bare:.3f} s CPU (best of {args.repeat}; load {os.getloadavg()[0]:.2f}); "
              f"budget {args.budget:g} s")
        print(f"{'command':<46} {'byte code':>9} {'x bare':>6} {'source':>7} {'x bare':>6} {'exit':>4}")
        for label, argv in commands([c.resolve().relative_to(ROOT) for c in args.cases], args.solve):
            row = [best([sys.executable, "-m", "negotiate", *argv], env, args.repeat) for env in modes.values()]
            (fast, code), (slow, _) = row
            verdict = "" if label.startswith("solve ") and "--help" not in label else \
                ("ok" if slow < args.budget else "OVER" if fast >= args.budget else "over from source")
            print(f"{label:<46} {fast:>9.3f} {fast / bare:>6.1f} {slow:>7.3f} {slow / bare:>6.1f} {code:>4}  {verdict}")


if __name__ == "__main__":
    main()
