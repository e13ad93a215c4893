"""Small discrete cases: every concept against a plain numpy enumeration.

    PYTHONPATH=$PWD python benchmarks/bench_discrete.py [--repeat 7] [--mip]

For cases of about 10^3 and 10^4 outcomes (9 parties, discrete issues scored
by option, an integer issue scored by a curve, a red line and a collective
constraint) it prints, per concept, the best of k end-to-end times of
`negotiate.solve(case, concept)` on a loaded case (compile + enumeration +
the proposal) and of a plain numpy enumeration written here: the utility
table summed by broadcasting from per-issue tables built beforehand, the
masks, and the concept on the table (argmax, sort, log sum). The two are
interleaved in one process, so their ratio holds on a loaded machine.
`--mip` also times the MIP path (`enumerate=False`) once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import negotiate  # noqa: E402
from negotiate.case.resolve import resolve  # noqa: E402
from negotiate.case.schema import Case  # noqa: E402

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def make_discrete_case(n_parties: int, option_counts: list[int], years: int, seed: int = 0) -> dict:
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
    parties["P0"]["limits"] = {"red_line": "i0[o0] == 0"}
    return {"name": f"discrete {n_parties} parties", "issues": issues, "parties": parties,
            "constraints": {"late_if_o1": "years >= 2 * i1[o1]"}}


class Plain:
    """The floor: per-issue tables prepared once, then pure numpy on every call."""

    def __init__(self, case: Case):
        r = resolve(case)
        self.parties = r.parties
        self.w = np.array([case.parties[p].weight for p in self.parties])
        self.d = np.array([case.parties[p].reservation for p in self.parties])
        self.shape = []
        self.tables = []
        col = {}
        for iid, issue in case.issues.items():
            vals = issue.options if issue.options is not None else list(range(int(issue.range[0]), int(issue.range[1]) + 1))
            col[iid] = len(self.shape)
            self.shape.append(len(vals))
            self.tables.append(np.zeros((len(vals), len(self.parties))))
        self.curves = []
        for i, p in enumerate(self.parties):
            for c in r.criteria[p]:
                if c.xs is None:  # scored by option: one term per option
                    for key, coef in c.lin.terms.items():
                        j = case.issues[key[0]].options.index(key[2])
                        self.tables[col[key[0]]][j, i] += c.weight * coef
                else:  # a curve of one integer issue
                    (key, coef), = c.lin.terms.items()
                    k = col[key[0]]
                    xs = np.arange(self.shape[k], dtype=float)
                    self.tables[k][:, i] += c.weight * np.interp(coef * xs + c.lin.const, c.xs, c.ys)
        # the red line and the constraint, as masks per issue
        self.ban0 = col["i0"]
        self.years, self.o1 = col["years"], col["i1"]

    def table(self):
        n = len(self.shape)
        U = np.zeros(self.shape + [len(self.parties)])
        for k, t in enumerate(self.tables):
            U += t.reshape([1] * k + [self.shape[k]] + [1] * (n - k - 1) + [len(self.parties)])
        ok = np.ones(self.shape, bool)
        ok &= (np.arange(self.shape[self.ban0]) != 0).reshape([1] * self.ban0 + [-1] + [1] * (n - self.ban0 - 1))
        yrs = np.arange(self.shape[self.years]).reshape([1] * self.years + [-1] + [1] * (n - self.years - 1))
        is_o1 = (np.arange(self.shape[self.o1]) == 1).reshape([1] * self.o1 + [-1] + [1] * (n - self.o1 - 1))
        ok &= yrs >= 2 * is_o1
        U = U.reshape(-1, len(self.parties))
        ok = ok.reshape(-1) & (U >= self.d).all(axis=1)
        return U, ok

    def solve(self, concept: str) -> int:
        U, ok = self.table()
        if concept == "utilitarian":
            v = np.where(ok, U @ self.w, -np.inf)
            return int(np.argmax(v))
        if concept == "nash":
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(ok, np.log(np.maximum(U - self.d, 0)) @ self.w, -np.inf)
            return int(np.argmax(v))
        if concept == "egalitarian":
            G = (U - self.d) / self.w
        else:
            ideal = U[ok].max(axis=0)
            G = (U - self.d) / (ideal - self.d)
        G = np.sort(G[ok], axis=1)
        order = np.lexsort(G.T[::-1])
        return int(np.flatnonzero(ok)[order[-1]])


def best_of(f, k: int) -> float:
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--mip", action="store_true")
    args = ap.parse_args()
    sizes = [("~1e3", [4, 3, 3, 3, 3], 4), ("~1e4", [4, 4, 4, 4, 3, 3], 4)]
    print(f"{'case':6} {'outcomes':>8} {'concept':18} {'ours ms':>8} {'numpy ms':>9} {'ratio':>6}"
          + (f" {'MIP ms':>8}" if args.mip else ""))
    for label, opts, years in sizes:
        data = make_discrete_case(9, opts, years)
        case = Case.model_validate(data)
        plain = Plain(case)
        n = int(np.prod(plain.shape))
        for concept in CONCEPTS:
            prop = negotiate.solve(case, concept)  # warm the caches
            assert prop.solver["backend"] == "enumeration"
            ours = numpy_ = float("inf")
            for _ in range(args.repeat):  # interleaved: both see the same load
                ours = min(ours, best_of(lambda: negotiate.solve(case, concept), 1))
                numpy_ = min(numpy_, best_of(lambda: plain.solve(concept), 1))
            line = f"{label:6} {n:8d} {concept:18} {ours * 1e3:8.2f} {numpy_ * 1e3:9.2f} {ours / numpy_:6.2f}"
            if args.mip:
                line += f" {best_of(lambda: negotiate.solve(case, concept, enumerate=False), 1) * 1e3:8.1f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
