"""Score curves as bounded increments (compile._curve) against independent references.

- Random concave cases (seeded): the utilitarian optimum, the egalitarian first
  level and the shadow prices of limits and reservations equal those of the
  hypograph form (`s <= y_k + slope_k (e - x_k)` per segment, the form the
  compiler used before), written here straight from the case dictionary and
  solved by scipy.optimize.linprog; prices also against finite differences
  of that reference.
- The model's structure: one position row per curve, fills bounded by the
  segment lengths, no score columns or segment rows, binaries only for a curve
  that would not fill in order.
- Every shipped case and concept keeps the value it had with the hypograph
  form (recorded in tests/data/hypograph_values.json before the change).
- A constituency weighing a concave curve negatively pushes its score down:
  the LP forms (hypograph or plain increments) would let the score sit below
  the curve and propose a deal the constituency rejects; the curve gets
  binaries and the answer equals brute force over the integer issue.
"""

import json
import math
import random

import numpy as np
import pytest
from scipy.optimize import linprog

import negotiate
from conftest import ROOT, case_from_dict
from negotiate.compile import compile_case

ISSUES = {"a": (0.0, 10.0), "b": (-5.0, 5.0), "c": (0.0, 4.0)}
ARGS = [({"a": 1.0}, "a"), ({"b": 1.0}, "b"), ({"a": 1.0, "b": 0.5}, "a + 0.5 * b"),
        ({"c": 2.0, "b": -1.0}, "2 * c - b"), ({"a": 0.25, "b": 0.25, "c": 1.0}, "0.25 * a + 0.25 * b + c")]


def reach(terms: dict) -> tuple[float, float]:
    lo = sum(min(c * ISSUES[k][0], c * ISSUES[k][1]) for k, c in terms.items())
    hi = sum(max(c * ISSUES[k][0], c * ISSUES[k][1]) for k, c in terms.items())
    return lo, hi


def concave_points(rng, lo: float, hi: float) -> list[list[float]]:
    """Points covering [lo, hi] (so no clipping matters) with falling slopes."""
    n = rng.randint(2, 6)
    xs = sorted({round(rng.uniform(lo, hi), 3) for _ in range(n - 2)} | {lo - 1.0, hi + 1.0})
    slopes = sorted((rng.uniform(-0.3, 0.4) for _ in range(len(xs) - 1)), reverse=True)
    ys = [rng.uniform(0.2, 0.6)]
    for k, s in enumerate(slopes):
        ys.append(ys[-1] + s * (xs[k + 1] - xs[k]))
    return [[x, round(y, 6)] for x, y in zip(xs, ys)]


def random_case(seed: int) -> tuple[dict, dict]:
    """A case dictionary and, beside it, its curves and rows in plain numbers (the reference's input)."""
    rng = random.Random(seed)
    parties, plain = {}, {"parties": {}, "limits": []}
    for i in range(rng.randint(2, 4)):
        p = f"P{i}"
        criteria, curves = {}, []
        for j in range(rng.randint(1, 3)):
            terms, text = rng.choice(ARGS)
            points = concave_points(rng, *reach(terms))
            w = rng.choice([1, 2, 3])
            criteria[f"k{j}"] = {"of": text, "weight": w, "points": points}
            curves.append((terms, points, w))
        reservation = round(rng.uniform(0.0, 0.3), 3)
        limits = {}
        if rng.random() < 0.6:
            issue = rng.choice(list(ISSUES))
            cap = round(rng.uniform(*ISSUES[issue]), 2)
            limits["cap"] = f"{issue} <= {cap}"
            plain["limits"].append((f"parties.{p}.limits.cap", {issue: 1.0}, cap))
        weight = rng.choice([1.0, 2.0])
        parties[p] = {"weight": weight, "reservation": reservation, "criteria": criteria, "limits": limits}
        plain["parties"][p] = (weight, reservation, curves)
    data = {"name": f"random concave {seed}", "issues": {k: {"range": list(v)} for k, v in ISSUES.items()},
            "parties": parties}
    if rng.random() < 0.5:
        data["constraints"] = {"joint": "a + c <= 9"}
        plain["limits"].append(("constraints.joint", {"a": 1.0, "c": 1.0}, 9.0))
    return data, plain


def hypograph_lp(plain: dict, level: bool = False, moved: tuple[str, float] | None = None):
    """The case as a hypograph LP, solved by scipy (HiGHS inside, our code nowhere).

    Columns: issues, one score per criterion, (level t). Utilitarian: max sum w_p u_p;
    `level`: max t with u_p - d_p >= w_p t. `moved = (case id, step)` relaxes one limit or
    reservation by `step` in its own units (finite differences)."""
    names = list(ISSUES)
    crit = [(p, terms, pts, w) for p, (_, _, curves) in plain["parties"].items() for terms, pts, w in curves]
    n = len(names) + len(crit) + (1 if level else 0)
    A, b = [], []

    def row(coefs: dict, rhs: float):
        r = np.zeros(n)
        for j, v in coefs.items():
            r[j] += v
        A.append(r)
        b.append(rhs)

    for k, (p, terms, pts, w) in enumerate(crit):  # s <= y_i + slope_i (e - x_i)
        s = len(names) + k
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            slope = (y1 - y0) / (x1 - x0)
            row({s: 1.0, **{names.index(i): -slope * c for i, c in terms.items()}}, y0 - slope * x0)
    utility = {}
    for p, (weight, d, curves) in plain["parties"].items():
        total = sum(w for _, _, w in curves)
        utility[p] = {len(names) + k: w / total for k, (q, _, _, w) in enumerate(crit) if q == p}
        step = moved[1] if moved and moved[0] == f"parties.{p}.reservation" else 0.0
        coefs = {j: -v for j, v in utility[p].items()}
        if level:
            coefs[n - 1] = weight
        row(coefs, -(d - step))  # u_p - d_p >= w_p t (or u_p >= d_p)
    for cid, terms, cap in plain["limits"]:
        step = moved[1] if moved and moved[0] == cid else 0.0
        row({names.index(i): c for i, c in terms.items()}, cap + step)
    c = np.zeros(n)
    if level:
        c[n - 1] = -1.0
    else:
        for p, (weight, _, _) in plain["parties"].items():
            for j, v in utility[p].items():
                c[j] -= weight * v
    bounds = [ISSUES[i] for i in names] + [(None, None)] * (len(crit) + (1 if level else 0))
    r = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=bounds, method="highs")
    return None if r.status == 2 else -r.fun


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_concave_cases_equal_the_hypograph_form(seed):
    data, plain = random_case(seed)
    case = case_from_dict(data)
    best = hypograph_lp(plain)
    prop = negotiate.solve(case, "utilitarian")
    if best is None:
        assert prop.status == "infeasible"
        return
    assert prop.status == "optimal"
    assert prop.collective_benefit == pytest.approx(best, abs=1e-7)
    egal = negotiate.solve(case, "egalitarian")
    first = min(o.gain / o.weight for o in egal.parties.values())
    assert first == pytest.approx(hypograph_lp(plain, level=True), abs=1e-7)
    step = 1e-4
    for c in prop.constraints:  # the price of each limit and reservation, from the reference
        up, down = hypograph_lp(plain, moved=(c.id, step)), hypograph_lp(plain, moved=(c.id, -step))
        rates = [(up - best) / step] + ([(best - down) / step] if down is not None else [])
        lo, hi = min(rates), max(rates)
        assert lo - 1e-5 <= c.shadow_price <= hi + 1e-5, (c.id, c.shadow_price, rates)


def test_the_model_is_the_increment_form():
    data, _ = random_case(3)
    problem = compile_case(case_from_dict(data))
    assert not problem.is_mip and not problem.nonconcave
    names = set(problem.row_names)
    assert not any(".segment" in n or n.endswith(".value") for n in names)
    for (p, cid), cols in problem.curve_cols.items():
        rows = problem.curve_rows[(p, cid)]
        assert [problem.row_names[i] for i in rows] == [f"parties.{p}.criteria.{cid}.position"]
        assert all(problem.col_lb[j] == 0 < problem.col_ub[j] for j in cols)
        terms, _ = problem.score_form[(p, cid)]
        assert set(terms) == set(cols)  # the score is a form of the fills, in the utility row
        ucols, uvals = problem.row(problem.utility_row[p])
        assert {j for j, v in terms.items() if v} <= set(ucols.tolist())


def test_a_non_concave_curve_gets_binaries_that_fill_in_order():
    data = {"name": "bump", "issues": {"t": {"range": [0, 10]}},
            "parties": {"A": {"criteria": {"c": {"of": "t", "points": [[0, 0], [4, 0.1], [6, 0.9], [10, 1]]}}},
                        "B": {"criteria": {"c": {"of": "t", "points": [[0, 1], [10, 0]]}}}}}
    case = case_from_dict(data)
    problem = compile_case(case)
    assert problem.nonconcave == ["parties.A.criteria.c"] and int(problem.col_int.sum()) == 2
    # brute force on a fine grid: A's S-shaped curve against B's line
    grid = np.linspace(0, 10, 100001)
    total = np.interp(grid, [0, 4, 6, 10], [0, 0.1, 0.9, 1]) + np.interp(grid, [0, 10], [1, 0])
    assert negotiate.solve(case, "utilitarian").collective_benefit == pytest.approx(total.max(), abs=1e-6)


def negatively_weighted(kind="all"):
    """Party A's constituency dislikes t on a concave curve (weight -1 through a parameter)."""
    ratification = "all" if kind == "all" else {"at_least": 1}
    return {"name": "negative weight", "parameters": {"neg": -1},
            "issues": {"t": {"range": [0, 10], "integer": True}},
            "parties": {
                "A": {"criteria": {"c": {"of": "t", "points": [[0, 0], [10, 1]]}}, "ratification": ratification,
                      "constituencies": {"g": {"reservation": 1.5, "criteria": {
                          "base": {"of": "t", "weight": 2, "points": [[0, 1], [10, 1]]},
                          "dislike": {"of": "t", "weight": "neg", "points": [[0, 0], [5, 0.9], [10, 1]]}}}}},
                "B": {"criteria": {"c": {"of": "t", "points": [[0, 0.5], [10, 0.6]]}}}}}


@pytest.mark.parametrize("kind", ["all", "at_least"])
@pytest.mark.parametrize("concept", ["utilitarian", "egalitarian", "nash", "kalai_smorodinsky"])
def test_a_score_pushed_down_is_exact(kind, concept):
    """The constituency's utility is 2 - f(t): it consents while f(t) <= 0.5, i.e. t <= 2 (brute force)."""
    def f(t):
        return float(np.interp(t, [0, 5, 10], [0, 0.9, 1]))

    consenting = [t for t in range(11) if 2 - f(t) >= 1.5 - 1e-12]
    truth = max(consenting, key=lambda t: t / 10 + 0.5 + 0.01 * t)  # every concept: both gain with t here
    prop = negotiate.solve(case_from_dict(negatively_weighted(kind)), concept, enumerate=False)
    assert prop.status == "optimal" and prop.agreement["t"] == truth == 2
    assert prop.ratification["passes"]


def test_the_pyomo_model_has_the_scores_as_expressions():
    """m.score[p, c] is the criterion's score at the Pyomo solver's optimum (the same model)."""
    pyo = pytest.importorskip("pyomo.environ")
    from negotiate.backends.pyomo import PyomoBackend
    from negotiate.proposal import issue_values

    data, _ = random_case(5)
    problem = compile_case(case_from_dict(data))
    backend = PyomoBackend(problem)
    backend.set_objective({problem.utility_col[p]: problem.case.parties[p].weight for p in problem.parties})
    r = backend.solve()
    assert r.status == "optimal"
    assert r.objective == pytest.approx(negotiate.solve(problem.case, "utilitarian").collective_benefit, abs=1e-7)
    values = issue_values(problem, r.x)
    for p in problem.parties:
        for c in problem.resolved.criteria[p]:
            assert pyo.value(backend.m.score[p, c.id]) == pytest.approx(c.score(values), abs=1e-7)


def concept_values(prop, concept: str):
    """The concept's own value: the benefit, the sorted leximin gains (weighted or relative), Nash's sum of logs."""
    o = prop.parties.values()
    if concept == "utilitarian":
        return prop.collective_benefit
    if concept == "egalitarian":
        return sorted(v.gain / v.weight for v in o)
    if concept == "kalai_smorodinsky":
        return sorted(v.satisfaction for v in o if v.satisfaction is not None)
    return sum(v.weight * math.log(v.gain) for v in o if not v.held)


RECORDED = json.loads((ROOT / "tests" / "data" / "hypograph_values.json").read_text())


SLOW = {"eu_effort_sharing_2030_qmv.yaml", "eu_mercosur_ratification.yaml"}  # MIPs of many leximin rounds: ~10 s


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(RECORDED)])
def test_shipped_cases_keep_the_hypograph_forms_values(name):
    """Every shipped case and concept: the value recorded with the hypograph form (before the
    increment form; tests/data/hypograph_values.json), through the solver path (not the enumeration)."""
    case = negotiate.load_case(ROOT / "cases" / name)
    for concept, value in RECORDED[name].items():
        prop = negotiate.solve(case, concept, enumerate=False)
        if isinstance(value, str):
            assert prop.status == value
            continue
        assert prop.status == "optimal"
        got = concept_values(prop, concept)
        assert got == pytest.approx(value, abs=1e-6, rel=1e-7), (concept, got, value)


def test_the_deletion_filter_recovers_when_simplex_gives_up():
    """Its checks run without presolve; one that HiGHS gives up on ("Unknown": EU effort sharing,
    BG's reservation out of reach, the range of reductions dropped) is solved again cold with
    presolve, so the conflicting set is still found (before: None)."""
    from negotiate.analysis.budget import Budget
    from negotiate.diagnose import conflicting_set

    case = negotiate.load_case(ROOT / "cases" / "eu_effort_sharing_2030.yaml").update({"parties.BG.reservation": 0.99})
    members = conflicting_set(compile_case(case), Budget(seconds=1000))
    assert members is not None and "parties.BG.reservation" in {m.id for m in members}
