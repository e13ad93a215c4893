"""What-if speed: a warm Negotiation re-solve against a cold solve of the changed case.

For each size and change (one parameter, one reservation, one limit), the warm
time is `n.set(path, value); n.solve(concept)` on a session kept built; the
cold time is what a user does without a session: `case.update({path: value})`
(validation) then `negotiate.solve(changed, concept)` (compile, build, solve).
Then a 20-point sweep against 20 cold solves. Each row also says how the
session kept its model: in-place updates (a ModelDelta applied to the live
HiGHS model) and rebuilds (with their reasons).

A second table splits one warm what-if (issue 9 part 6: under 0.2 s at 200
parties) into its stages, milliseconds, median of three values per change:
validate (the changed parts), resolve (the items naming what changed), compile
(the rewritten rows), delta, apply (to the live HiGHS model), and the warm
utilitarian solve with its proposal. `--stages-only` skips the cold solves.

    python benchmarks/bench_whatif.py [--sizes 50 200] [--concepts utilitarian nash]
    python benchmarks/bench_whatif.py --sizes 200 --stages-only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from generate import make_case
from rich.console import Console
from rich.table import Table

import negotiate
from negotiate.case.load import validate_data
from negotiate.whatif import Negotiation


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50])
    ap.add_argument("--concepts", nargs="+", default=["utilitarian", "nash"])
    ap.add_argument("--criteria", type=int, default=30)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--sweep", type=int, default=20)
    ap.add_argument("--stages-only", action="store_true", help="only the per-stage table (no cold solves)")
    args = ap.parse_args()
    console = Console(width=160)
    console.print(stage_table(args.sizes, args.criteria, args.points))
    if args.stages_only:
        return
    table = Table(title="What-if: warm session vs cold solve of the changed case")
    for col in ("parties", "concept", "change", "warm s", "cold s (update + solve)", "speed-up", "same answer",
                "in place", "rebuilds"):
        table.add_column(col, justify="right")
    for n in args.sizes:
        case = validate_data(make_case(n, args.criteria, args.points))
        first = next(iter(case.parties))
        changes = _changes(first)
        for concept in args.concepts:
            session = Negotiation(case)
            session.solve(concept)
            for label, path, values in changes:
                warm, cold, same = [], [], True
                in_place0, rebuilds0 = session.in_place, session.rebuilds
                for v in values:
                    before = session.case  # the cold side starts from the same state, changed the same way
                    tw, a = timed(lambda: (session.set(path, v), session.solve(concept))[1])
                    tc, b = timed(lambda: negotiate.solve(before.update({path: v}), concept))
                    warm.append(tw)
                    cold.append(tc)
                    same &= abs(_value(a, concept) - _value(b, concept)) <= 1e-6 * max(1, abs(_value(b, concept)))
                w, c = statistics.median(warm), statistics.median(cold)
                table.add_row(str(n), concept, label, f"{w:.3f}", f"{c:.3f}", f"{c / w:.1f}x", "yes" if same else "NO",
                              str(session.in_place - in_place0), str(session.rebuilds - rebuilds0))
                console.print(f"[dim]{n} {concept} {label}: warm {w:.3f}s cold {c:.3f}s[/dim]", highlight=False)
            session.reset()
            values = np.linspace(20, 30, args.sweep).round(3).tolist()
            in_place0, rebuilds0 = session.in_place, session.rebuilds
            tw, frame = timed(lambda: session.sweep("parameters.target", values, concept))
            tc, _ = timed(lambda: [negotiate.solve(case.update({"parameters.target": v}), concept) for v in values])
            table.add_row(str(n), concept, f"sweep x{args.sweep}", f"{tw:.3f}", f"{tc:.3f}", f"{tc / tw:.1f}x",
                          "yes" if (frame["status"] == "optimal").all() else "NO",
                          str(session.in_place - in_place0), str(session.rebuilds - rebuilds0))
            console.print(f"[dim]{n} {concept} sweep: warm {tw:.3f}s cold {tc:.3f}s[/dim]", highlight=False)
        console.print(f"[dim]{n} parties: session stats {session.stats()}[/dim]", highlight=False)
    console.print(table)


STAGES = ("validate", "resolve", "compile", "delta", "apply")


def stage_table(sizes, criteria: int, points: int) -> Table:
    """Per stage of one warm what-if and its utilitarian re-solve, milliseconds (median of 3)."""
    table = Table(title="One warm what-if, by stage (ms, median of 3): change, then utilitarian re-solve")
    for col in ("parties", "change", *STAGES, "solve", "total", "in place"):
        table.add_column(col, justify="right")
    for n in sizes:
        case = validate_data(make_case(n, criteria, points))
        first = next(iter(case.parties))
        session = Negotiation(case)
        session.solve("utilitarian")
        for label, path, values in _changes(first):
            rows, in_place0 = [], session.in_place
            for v in values:
                t0 = time.perf_counter()
                session.set(path, v)
                t1 = time.perf_counter()
                session.solve("utilitarian")
                t2 = time.perf_counter()
                rows.append([session.last_stages.get(s, 0.0) for s in STAGES] + [t2 - t1, t2 - t0])
            med = [statistics.median(r[k] for r in rows) * 1000 for k in range(len(STAGES) + 2)]
            table.add_row(str(n), label, *(f"{v:.1f}" for v in med), str(session.in_place - in_place0))
    return table


def _changes(first: str) -> list:
    return [
        ("parameter", "parameters.target", [26, 27, 24]),
        ("reservation", f"parties.{first}.reservation", [0.25, 0.3, 0.22]),
        ("limit", f"parties.{first}.limits.max_cut", ["reduction[self] <= 20", "reduction[self] <= 25",
                                                      "reduction[self] <= 22"]),
    ]


def _value(prop, concept):
    if concept == "nash":
        import math

        return sum(o.weight * math.log(o.gain) for o in prop.parties.values() if not o.held)
    if concept == "utilitarian":
        return prop.collective_benefit
    return min(o.gain for o in prop.parties.values())


if __name__ == "__main__":
    main()
