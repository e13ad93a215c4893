"""What-if validation on a case whose every reservation is computed at the status quo.

benchmarks/generate.py's case with a status quo (every cut at 5, the price at
10) and `reservation: status_quo` for every party: for each change, the median
validate stage of a warm `Negotiation.set` (milliseconds, three values) and the
untouched parties copied per change (a copy is needed only where the change
may move a party's reservation at the status quo: negotiate.case.validate._kept).

    python benchmarks/bench_whatif_status_quo.py [--sizes 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import make_case

from negotiate.case.load import validate_data
from negotiate.whatif import Negotiation


def status_quo_case(n: int):
    data = make_case(n, 30, 10)
    data["status_quo"] = {"reduction": {"default": 5}, "price": 10}
    for party in data["parties"].values():
        party["reservation"] = "status_quo"
    return validate_data(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200])
    args = ap.parse_args()
    for n in args.sizes:
        case = status_quo_case(n)
        first = next(iter(case.parties))
        party_type = type(case.parties[first])
        session = Negotiation(case)
        session.solve("utilitarian")
        copies = [0]
        original = party_type.model_copy

        def counted(self, *a, **k):
            copies[0] += 1
            return original(self, *a, **k)

        party_type.model_copy = counted
        try:
            for label, path, values in [
                ("parameter", "parameters.target", [26, 27, 24]),
                ("reservation", f"parties.{first}.reservation", [0.25, 0.3, 0.22]),
                ("limit", f"parties.{first}.limits.max_cut", ["reduction[self] <= 20", "reduction[self] <= 25",
                                                              "reduction[self] <= 22"]),
                ("status quo", "status_quo.price", [12, 14, 11]),
            ]:
                copies[0] = 0
                stage = []
                for v in values:
                    session.set(path, v)
                    stage.append(session.last_stages.get("validate", 0.0) * 1000)
                print(f"{n} parties  {label:12s} validate {statistics.median(stage):6.1f} ms   "
                      f"parties copied per change {copies[0] / len(values):.0f}")
        finally:
            party_type.model_copy = original


if __name__ == "__main__":
    main()
