"""What ratification and decision rules cost: every concept, two-level against plain.

- the EU-Mercosur two-level case (29 parties: 27 member states voting by QMV,
  Mercosur's veto, constituencies of France, Ireland and Germany with side
  payments, an NGO stakeholder) against its `unanimity` scenario;
- the 27-party EU effort-sharing case under the Council's QMV (27 acceptance
  binaries and the blocking-minority clause on an otherwise linear program)
  against unanimity (a plain LP);
- `negotiate power` on the EU-27 Council rule (exact, 2^27 coalitions).

Each time is the median of `--repeat` cold solves (`negotiate.solve` on a
loaded case: compile, build, solve, report).

    python benchmarks/bench_twolevel.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import negotiate
from negotiate.analysis.power import voting_power
from negotiate.formulation.rules import voting_rule

ROOT = Path(__file__).resolve().parent.parent / "cases"
CASES = [("EU-Mercosur two-level", ROOT / "eu_mercosur_ratification.yaml"),
         ("EU effort sharing", ROOT / "eu_effort_sharing_2030_qmv.yaml")]
CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    table = Table(title="Two-level against unanimity (median of cold solves)")
    for col in ("case", "concept", "rule", "seconds", "solves", "MIP", "outvoted", "collective benefit"):
        table.add_column(col, justify="left" if col in ("case", "concept", "rule", "outvoted") else "right")
    for label, path in CASES:
        base = negotiate.load_case(path)
        variants = [("as in the case", base), ("unanimity", base.update(base.scenarios["unanimity"]))]
        for concept in CONCEPTS:
            for rule, case in variants:
                seconds, prop = timed(lambda case=case, concept=concept: negotiate.solve(case, concept), args.repeat)
                outvoted = ", ".join(prop.ratification["outvoted"]) if prop.ratification else ""
                table.add_row(label, concept, rule, f"{seconds:.3f}", str(prop.solver["solves"]),
                              "yes" if prop.solver["mip"] else "", outvoted or "-",
                              f"{prop.collective_benefit:.4f}" if prop.ok else prop.status)
    console = Console(width=150)
    console.print(table)
    rule = voting_rule(negotiate.load_case(ROOT / "eu_effort_sharing_2030_qmv.yaml"))
    seconds, power = timed(lambda: voting_power(rule), args.repeat)
    console.print(f"negotiate power, EU-27 Council rule: {seconds:.3f} s (median of {args.repeat}); "
                  f"{power.winning_coalitions:,} of 2^27 coalitions pass ({power.winning_fraction:.4%})")


if __name__ == "__main__":
    main()
