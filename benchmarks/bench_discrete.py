"""Small discrete cases: every concept against a plain numpy enumeration (and NegMAS).

    PYTHONPATH=$PWD python benchmarks/bench_discrete.py [--sizes 1e3 1e4 1e5] [--repeat 7]
                                                       [--mip] [--negmas] [--cold]

The cases (benchmarks: `make_discrete_case`): 9 parties, discrete issues
scored by option, an integer issue scored by a curve, a red line and a
collective constraint; 1,296, 9,216 and 98,304 outcomes (and 393,216 and
1,048,576, above ENUMERATE_CAP: with --cap).

What is timed, per concept (best of --repeat, the two interleaved in one
process so their ratio holds on a loaded machine):

- ours: `negotiate.solve(case, concept)` end to end on a validated Case (the
  file's load excluded): the enumeration, the concept, the tie set, the
  re-check of the agreement and the whole Proposal. The case's resolution and
  its per-issue tables are made on the first solve and kept on the (frozen)
  Case, so they are not in the timing -- as the floor's tables are not.
- numpy: the floor, written here from the case's data (not our code): per-issue
  utility tables (every party, every option or whole number; curves by
  np.interp) built once in its constructor; timed: the utility table of every
  outcome by broadcasting (issue by issue, so only the last sum spans the
  grid: as fast as ours), the red line and the constraint as masks,
  acceptance, the concept on the table (argmax of the weighted sum or of the
  log sum; leximin by sorting each outcome's scaled gains and keeping, level
  by level, the outcomes at the best level; ideals = column maxima), and the
  answer as issue values and utilities. Ties go to the first outcome, as ours.
  The agreement must be ours (checked): the floor does the same job.
- `--cold`: both on a case not seen before (a fresh Case; ours resolves,
  checks and builds its tables; the floor builds its tables).
- `--mip`: the MIP path (`enumerate=False`) once; with `--cap` and the sizes
  above 10^5, where the MIP overtakes the enumeration (ENUMERATE_CAP).
- `--negmas`: NegMAS 0.16 on the same case without the red line and the
  constraint (a NegMAS outcome space has none; ours is timed on that case
  too): `pareto_frontier` on the issues (every ufun on every outcome), then
  `max_welfare_points` / `kalai_points` / `nash_points` on the outcome space
  (its fastest calls; NegMAS has no leximin: egalitarian is not timed). Best
  of 2: it takes up to seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# One BLAS thread, for ours and the floor alike: a threaded OpenBLAS matrix-vector product on
# a loaded 2-core machine spins against the other processes (measured: 98,304 x 9 @ w took
# 0.12 ms or 26 ms from run to run), which swamps what is measured here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import negotiate  # noqa: E402
from negotiate.case.schema import Case  # noqa: E402

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]
SIZES = {"1e3": ([4, 3, 3, 3, 3], 4), "1e4": ([4, 4, 4, 4, 3, 3], 4), "1e5": ([4, 4, 4, 4, 4, 4, 3, 2], 4),
         "4e5": ([4, 4, 4, 4, 4, 4, 4, 3, 2], 4), "1e6": ([4] * 9, 4)}  # 1e6: with --cap


def make_discrete_case(n_parties: int, option_counts: list[int], years: int, seed: int = 0,
                       rows: bool = True) -> dict:
    rng = np.random.default_rng(seed)
    issues = {f"i{k}": {"options": [f"o{j}" for j in range(m)]} for k, m in enumerate(option_counts)}
    issues["years"] = {"range": [0, years - 1], "integer": True}
    parties = {}
    for i in range(n_parties):
        crit = {iid: {"of": iid, "weight": int(rng.integers(1, 4)),
                      "scores": {o: round(float(rng.random()), 3) for o in issue["options"]}}
                for iid, issue in issues.items() if "options" in issue}
        crit["years"] = {"of": "years", "weight": 1,
                         "points": [[0, round(float(rng.random()), 3)], [(years - 1) / 2, round(float(rng.random()), 3)],
                                    [years - 1, round(float(rng.random()), 3)]]}
        parties[f"P{i}"] = {"weight": int(rng.integers(1, 3)), "reservation": round(float(rng.uniform(0.1, 0.35)), 3),
                            "criteria": crit}
    data = {"name": f"discrete {n_parties} parties", "issues": issues, "parties": parties}
    if rows:
        parties["P0"]["limits"] = {"red_line": "i0[o0] == 0"}
        data["constraints"] = {"late_if_o1": "years >= 2 * i1[o1]"}
    return data


class Plain:
    """The floor: per-issue tables built once from the case's data, then pure numpy on every call."""

    def __init__(self, data: dict):
        self.parties = list(data["parties"])
        self.rows = "constraints" in data
        self.w = np.array([float(data["parties"][p]["weight"]) for p in self.parties])
        self.d = np.array([float(data["parties"][p]["reservation"]) for p in self.parties])
        self.ids, self.values, self.tables, col = [], [], [], {}
        for iid, issue in data["issues"].items():
            vals = issue["options"] if "options" in issue else list(range(issue["range"][0], issue["range"][1] + 1))
            col[iid] = len(self.ids)
            self.ids.append(iid)
            self.values.append(vals)
            self.tables.append(np.zeros((len(vals), len(self.parties))))
        for i, p in enumerate(self.parties):
            crit = data["parties"][p]["criteria"]
            total = sum(c["weight"] for c in crit.values())  # a party's criteria weights are shares
            for c in crit.values():
                k, share = col[c["of"]], c["weight"] / total
                if "scores" in c:
                    self.tables[k][:, i] += share * np.array([c["scores"][o] for o in self.values[k]])
                else:
                    xs, ys = zip(*c["points"])
                    self.tables[k][:, i] += share * np.interp(np.array(self.values[k], float), xs, ys)
        self.shape = [len(v) for v in self.values]
        self.ban0, self.years, self.o1 = col["i0"], col["years"], col["i1"]

    def _axis(self, k: int, v: np.ndarray) -> np.ndarray:
        return v.reshape([1] * k + [-1] + [1] * (len(self.shape) - k - 1))

    def table(self):
        P = len(self.parties)
        U = np.zeros((1, P))
        for t in self.tables:  # the sums over the first k issues, then every option of the next added
            U = (U[:, None, :] + t[None, :, :]).reshape(-1, P)  # (one pass over the grid, not one per issue)
        ok = U[:, 0] >= self.d[0]
        for j in range(1, P):  # party by party: .all(axis=1) along rows of 9 is ~10x slower
            ok &= U[:, j] >= self.d[j]
        if self.rows:
            fine = np.ones(self.shape, bool)
            fine &= self._axis(self.ban0, np.arange(self.shape[self.ban0]) != 0)
            fine &= self._axis(self.years, np.arange(self.shape[self.years])) >= 2 * self._axis(
                self.o1, np.arange(self.shape[self.o1]) == 1)
            ok &= fine.reshape(-1)
        return U, ok

    def solve(self, concept: str) -> tuple[dict, np.ndarray]:
        U, ok = self.table()
        rows = np.flatnonzero(ok)
        UA = U[rows]
        if concept == "utilitarian":
            best = rows[np.argmax(UA @ self.w)]
        elif concept == "nash":
            with np.errstate(divide="ignore"):
                best = rows[np.argmax(np.log(np.maximum(UA - self.d, 0)) @ self.w)]
        else:
            # (ideals column by column: .max(axis=0) along rows of 9 is ~5x slower)
            span = self.w if concept == "egalitarian" else np.array([UA[:, j].max() for j in range(UA.shape[1])]) - self.d
            G = np.sort((UA - self.d) / span, axis=1)
            keep = np.arange(len(rows))
            for k in range(G.shape[1]):  # leximin: the best level, then the best next level among those
                col = G[keep, k]
                keep = keep[col >= col.max()]
            best = rows[keep[0]]
        idx = np.unravel_index(best, self.shape)
        return {iid: vals[int(i)] for iid, vals, i in zip(self.ids, self.values, idx)}, U[best]


def best_of(f, k: int) -> float:
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def negmas_time(data: dict, concept: str) -> float | None:
    """Seconds for NegMAS to find the concept's point on the case (no rows), or None."""
    import negmas.preferences.ops as ops

    point = {"utilitarian": ops.max_welfare_points, "kalai_smorodinsky": ops.kalai_points,
             "nash": ops.nash_points}.get(concept)
    if point is None:
        return None
    scenario = negotiate.to_negmas(Case.model_validate(data))
    space = scenario.outcome_space

    def run():  # its fastest calls: linear ufuns on the issues (passing outcomes is ~6x slower)
        frontier, _ = ops.pareto_frontier(scenario.ufuns, issues=space.issues)
        point(scenario.ufuns, frontier, outcome_space=space)

    return best_of(run, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["1e3", "1e4"], choices=list(SIZES))
    ap.add_argument("--concepts", nargs="+", default=CONCEPTS)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--mip", action="store_true")
    ap.add_argument("--negmas", action="store_true")
    ap.add_argument("--cold", action="store_true")
    ap.add_argument("--cap", type=int, help="enumerate up to this many outcomes (to time the enumeration "
                    "above negotiate.discrete.ENUMERATE_CAP against the MIP: where is the crossover?)")
    args = ap.parse_args()
    if args.cap:
        from negotiate import discrete

        discrete.ENUMERATE_CAP = args.cap
    head = f"{'outcomes':>8} {'concept':18} {'ours ms':>8} {'numpy ms':>9} {'ratio':>6}"
    head += f" {'cold ours':>9} {'cold np':>8} {'ratio':>6}" if args.cold else ""
    head += f" {'MIP ms':>8}" if args.mip else ""
    head += f" {'ours norows':>11} {'NegMAS ms':>10}" if args.negmas else ""
    print(head)
    for label in args.sizes:
        opts, years = SIZES[label]
        data = make_discrete_case(9, opts, years)
        case = Case.model_validate(data)
        plain = Plain(data)
        n = int(np.prod(plain.shape))
        for concept in args.concepts:
            prop = negotiate.solve(case, concept)  # the case's resolution and tables, made once
            assert prop.solver["backend"] == "enumeration"
            agreement, _ = plain.solve(concept)
            assert agreement == prop.agreement, (concept, agreement, prop.agreement)
            ours = numpy_ = float("inf")
            for _ in range(args.repeat):  # interleaved: both see the same load
                ours = min(ours, best_of(lambda: negotiate.solve(case, concept), 1))
                numpy_ = min(numpy_, best_of(lambda: plain.solve(concept), 1))
            line = f"{n:8d} {concept:18} {ours * 1e3:8.2f} {numpy_ * 1e3:9.2f} {ours / numpy_:6.2f}"
            if args.cold:
                cold_ours = cold_np = float("inf")
                for _ in range(args.repeat):
                    fresh = Case.model_validate(data)
                    cold_ours = min(cold_ours, best_of(lambda: negotiate.solve(fresh, concept), 1))
                    cold_np = min(cold_np, best_of(lambda: Plain(data).solve(concept), 1))
                line += f" {cold_ours * 1e3:9.2f} {cold_np * 1e3:8.2f} {cold_ours / cold_np:6.2f}"
            if args.mip:
                line += f" {best_of(lambda: negotiate.solve(case, concept, enumerate=False), 1) * 1e3:8.1f}"
            if args.negmas:
                free = make_discrete_case(9, opts, years, rows=False)
                free_case = Case.model_validate(free)
                negotiate.solve(free_case, concept)
                mine = best_of(lambda: negotiate.solve(free_case, concept), args.repeat)
                theirs = negmas_time(free, concept)
                line += f" {mine * 1e3:11.2f} " + (f"{theirs * 1e3:10.1f}" if theirs is not None else f"{'-':>10}")
            print(line, flush=True)


if __name__ == "__main__":
    main()
