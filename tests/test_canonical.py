"""The canonical agreement within a flat optimum (negotiate.formulation.canonical).

Where many agreements give every party the same utility, the proposal is the
lexicographic minimum of the continuous issue values in case order, warm and
cold alike. Checked against scipy's linprog on a small case whose optimum is
flat in two ways (an issue nobody values beyond a point, two issues that trade
one for one), and warm against cold where they used to differ.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linprog

import negotiate
from negotiate.case.load import validate_data
from negotiate.whatif import Negotiation

CONCEPTS = ["utilitarian", "egalitarian", "kalai_smorodinsky", "nash"]


def flat_lp():
    """cut: B's access is flat beyond 50 and A does not care; aid and fund: the same transfer
    to both parties, so only aid + fund matters. An LP (every curve concave)."""
    return validate_data({
        "name": "Flat LP optimum",
        "issues": {"cut": {"range": [0, 100]}, "aid": {"range": [0, 10]}, "fund": {"range": [0, 10]}},
        "parties": {
            "A": {"reservation": 0.1, "criteria": {
                "budget": {"of": "aid", "weight": 1, "points": [[0, 1], [10, 0]]},
                "reserve": {"of": "fund", "weight": 1, "points": [[0, 1], [10, 0]]}}},
            "B": {"reservation": 0.1, "criteria": {
                "access": {"of": "cut", "weight": 1, "points": [[0, 0], [50, 1], [100, 1]]},
                "aid": {"of": "aid", "weight": 1, "points": [[0, 0], [10, 1]]},
                "fund": {"of": "fund", "weight": 1, "points": [[0, 0], [10, 1]]}}},
        },
    })


def flat_mip():
    """A's revenue falls and then stays flat (not concave: binaries); cut and aid trade one for
    one between the parties on [40, 60] x [2, 4] at the egalitarian optimum."""
    return validate_data({
        "name": "Flat MIP optimum",
        "issues": {"cut": {"range": [0, 100]}, "aid": {"range": [0, 10]}},
        "parties": {
            "A": {"reservation": 0.2, "criteria": {
                "revenue": {"of": "cut", "weight": 1, "points": [[0, 1], [60, 0.4]]},
                "budget": {"of": "aid", "weight": 1, "points": [[0, 1], [10, 0]]}}},
            "B": {"reservation": 0.2, "criteria": {
                "access": {"of": "cut", "weight": 1, "points": [[0, 0], [40, 0.8], [60, 1]]},
                "aid": {"of": "aid", "weight": 1, "points": [[0, 0], [10, 1]]}}},
        },
    })


# -- the independent computation ------------------------------------------------------
# flat_lp's maths written out for linprog: v = [cut, aid, fund, s] with s <= cut / 50, s <= 1
# (B's access), u_A = 1 - (aid + fund) / 20, u_B = (s + aid / 10 + fund / 10) / 3.
BOUNDS = [(0, 100), (0, 10), (0, 10), (None, 1)]
U_A = np.array([0.0, -1 / 20, -1 / 20, 0.0]), 1.0
U_B = np.array([0.0, 1 / 30, 1 / 30, 1 / 3]), 0.0


def lexmin_linprog(levels: dict) -> list[float]:
    """The lexicographic minimum of (cut, aid, fund) over the agreements giving A and B at
    least `levels`, one linprog per issue in case order."""
    A_ub = [[-1 / 50, 0, 0, 1]]  # s - cut / 50 <= 0
    b_ub = [0.0]
    for (coef, const), level in ((U_A, levels["A"]), (U_B, levels["B"])):
        A_ub.append(list(-coef))
        b_ub.append(const - level)
    bounds = list(BOUNDS)
    out = []
    for k in range(3):
        c = np.zeros(4)
        c[k] = 1.0
        r = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs-ds")
        assert r.status == 0, r.message
        out.append(r.x[k])
        bounds[k] = (bounds[k][0], r.x[k] + 1e-7)  # linprog's own tolerances are 1e-7
    return out


def closed_form_utilities(concept: str) -> dict:
    """With t = (aid + fund) / 10: u_A = 1 - t/2, u_B = (1 + t) / 3 once cut >= 50."""
    t = {"utilitarian": 0.0, "egalitarian": 0.8, "nash": 0.55}[concept]  # nash: d/dt of the log sum is 0
    return {"A": 1 - t / 2, "B": (1 + t) / 3}


@pytest.mark.parametrize("concept", CONCEPTS)
def test_canonical_agreement_is_the_lexicographic_minimum_linprog_finds(concept):
    prop = negotiate.solve(flat_lp(), concept)
    assert prop.status == "optimal"
    levels = {p: o.utility - 1e-8 for p, o in prop.parties.items()}
    expected = lexmin_linprog(levels)
    got = [prop.agreement[k] for k in ("cut", "aid", "fund")]
    assert got == pytest.approx(expected, abs=1e-4)  # the ties span 50 in cut and 8 in aid
    assert got[0] == pytest.approx(50.0) and got[1] == pytest.approx(0.0)  # cut at the flat's start, aid first to 0
    assert any("smallest issue values in case order" in n for n in prop.notes)


@pytest.mark.parametrize("concept", ["utilitarian", "egalitarian"])
def test_canonical_agreement_keeps_the_concepts_utilities(concept):
    prop = negotiate.solve(flat_lp(), concept)
    for p, u in closed_form_utilities(concept).items():
        assert prop.parties[p].utility == pytest.approx(u, abs=1e-7)


def test_nash_canonical_agreement_near_its_closed_form():
    prop = negotiate.solve(flat_lp(), "nash")
    gap = max(prop.solver.get("nash_gap", 0.0), 1e-10)
    tol = 2 * math.sqrt(2 * gap) + 1e-6  # utilities agree to about sqrt(gap) (tests/test_whatif_random.py)
    for p, u in closed_form_utilities("nash").items():
        assert prop.parties[p].utility == pytest.approx(u, abs=tol)
    assert prop.agreement["aid"] == 0.0  # the whole transfer is put on fund, the later issue


@pytest.mark.parametrize("case", [flat_lp, flat_mip])
@pytest.mark.parametrize("concept", CONCEPTS)
def test_warm_equals_cold_within_a_flat_optimum(case, concept):
    """The session first solves with cut's range narrower, then widens it: the warm basis stood
    on the old upper bound, and without the canonical choice the warm egalitarian agreement
    (cut 50, or 40 on the MIP) differed from the cold one (cut 100, or 60)."""
    c = case()
    cold = negotiate.solve(c, concept)
    tol = 1e-2 if concept == "nash" else 1e-6  # Nash: to its certified gap, 1e-3 of a range (as test_whatif_random)
    for narrow in (30, 60):
        n = Negotiation(c.update({"issues.cut.range": [0, narrow]}))
        n.solve(concept)
        n.set("issues.cut.range", [0, 100])
        warm = n.solve(concept)
        assert warm.agreement == pytest.approx(cold.agreement, abs=tol), (narrow, warm.agreement, cold.agreement)


def test_flat_mip_keeps_discrete_choices_and_picks_the_smallest_cut():
    prop = negotiate.solve(flat_mip(), "egalitarian")
    # every (cut, aid) on the segment from (40, 4) to (60, 2) gives both parties 0.6
    assert prop.parties["A"].utility == pytest.approx(0.6) and prop.parties["B"].utility == pytest.approx(0.6)
    assert prop.agreement == pytest.approx({"cut": 40.0, "aid": 4.0}, abs=1e-7)


def test_pyomo_backend_gives_the_same_canonical_agreement():
    for concept in ("egalitarian", "utilitarian"):
        highs = negotiate.solve(flat_lp(), concept)
        pyomo = negotiate.solve(flat_lp(), concept, backend="pyomo")
        assert pyomo.agreement == pytest.approx(highs.agreement, abs=1e-6)


def test_a_single_optimal_agreement_is_left_alone():
    """bilateral_fta-like uniqueness: no note, the concept's agreement as it was."""
    c = flat_lp().update({"parties.A.criteria.budget.points": [[0, 1], [10, 0.5]],
                          "issues.cut.range": [0, 50]})
    prop = negotiate.solve(c, "egalitarian")
    assert not any("smallest issue values" in n for n in prop.notes)


def test_nobody_can_gain_keeps_the_utilitarian_benefit():
    """Every party held (no agreement lifts anyone above its reservation; no acceptance rows):
    Kalai-Smorodinsky and Nash fall back to the utilitarian agreement, and the canonical step
    must hold its collective benefit. It held nothing before, and KS proposed cut = aid = fund
    = 0 (benefit 0.33 against 1.83) as "equally good"."""
    case = validate_data({
        "name": "Nobody can gain",
        "solve": {"require_acceptance": False},
        "issues": {"cut": {"range": [0, 100]}, "aid": {"range": [0, 10]}, "fund": {"range": [0, 10]}},
        "parties": {
            "A": {"reservation": 5, "criteria": {
                "budget": {"of": "aid", "weight": 1, "points": [[0, 1], [10, 0]]},
                "reserve": {"of": "fund", "weight": 1, "points": [[0, 0], [5, 1], [10, 1]]},
                "tariff": {"of": "cut", "weight": 1, "points": [[0, 0], [100, 1]]}}},
            "B": {"reservation": 5, "criteria": {
                "access": {"of": "cut", "weight": 1, "points": [[0, 0], [50, 1], [100, 1.5]]},
                "aid": {"of": "aid", "weight": 2, "points": [[0, 0], [10, 1]]}}},
        },
    })
    best = negotiate.solve(case, "utilitarian")
    for concept in ("kalai_smorodinsky", "nash"):
        prop = negotiate.solve(case, concept)
        assert prop.collective_benefit == pytest.approx(best.collective_benefit, rel=1e-9), concept
        assert dict(prop.agreement) == pytest.approx(dict(best.agreement)), concept


# -- the cheap proof of a unique optimum and the face's spread ------------------------------
def slivers(n: int, worth: float):
    """n parties who all want `deal` high, each with an issue of its own whose whole range is
    worth `worth` of its utility (slightly less is better): the optimum is unique (every own
    issue at 0), but the holds' rounding slack lets each own issue slide a sliver."""
    issues = {f"own{k}": {"range": [0, 1]} for k in range(n)}
    issues["deal"] = {"range": [0, 1]}
    parties = {f"P{k}": {"reservation": 0.0, "criteria": {
        "deal": {"of": "deal", "weight": 1, "points": [[0, 0], [1, 1]]},
        "own": {"of": f"own{k}", "weight": 1, "points": [[0, 1], [1, 1 - worth]]}}} for k in range(n)}
    return validate_data({"name": "Slivers", "issues": issues, "parties": parties})


@pytest.mark.parametrize("concept", CONCEPTS)
def test_slivers_of_many_issues_are_not_a_tie(concept):
    """Each own issue slides 3e-5 of its range (1e-12 of utility over a worth of 3e-8): no tie.
    The spread was a sum over the issues (12 slivers made a tie: the note said several
    agreements were equally good), and the benefit's hold slack grew with the parties."""
    prop = negotiate.solve(slivers(12, 3e-8), concept)
    assert not any("equally good" in n for n in prop.notes), prop.notes
    assert all(prop.agreement[f"own{k}"] == 0.0 for k in range(12))
    assert prop.agreement["deal"] == pytest.approx(1.0)


def test_a_real_tie_among_many_issues_is_still_found():
    """The same case with every own issue worth nothing: each is a real tie, set to its minimum
    (own3's exactly: held within FIX_TOL of it, it was proposed 5e-10 above it, unsnapped)."""
    prop = negotiate.solve(slivers(12, 0.0).update({"issues.own3.range": [0.5, 1]}), "egalitarian")
    assert any("equally good" in n for n in prop.notes)
    assert prop.agreement["own3"] == 0.5 and all(prop.agreement[f"own{k}"] == 0.0 for k in range(12) if k != 3)


def utilitarian_backend(case, slack_start: bool = False):
    """The case's utilitarian LP solved on a HiGHS backend: from negotiate.start's basis (as
    `solve` runs it), or with `slack_start` from HiGHS's slack basis (presolve set by the caller,
    as diagnose does, which skips the written start)."""
    from negotiate.backends import make_backend
    from negotiate.compile import compile_case
    from negotiate.formulation.canonical import _issue_columns

    problem = compile_case(case)
    b = make_backend(problem, "highs", None)
    if slack_start:
        b.h.setOptionValue("presolve", "off")
    b.set_objective({problem.utility_col[p]: case.parties[p].weight for p in problem.parties})
    assert b.solve().status == "optimal"
    return problem, b, [j for j, _ in _issue_columns(problem, b)]


def test_a_flat_fill_column_at_a_pinned_breakpoint_is_proved_harmless():
    """The 200-party benchmark case's degeneracy in small: the issue sits at the breakpoint
    after which A's score is flat, pinned there by a cap, and the basis has A's curve row
    basic (as IPM + crossover left it). The flat segment's fill column has a zero reduced
    cost, so the optimum is not unique in every column (the old proof gave up and probed the
    face with LPs), but its tableau column reaches no issue: unique in the issue values."""
    import highspy

    case = validate_data({
        "name": "Pinned at a breakpoint",
        "issues": {"cut": {"range": [0, 100]}},
        "constraints": {"cap": "cut <= 50"},
        "parties": {
            "A": {"criteria": {"access": {"of": "cut", "weight": 1, "points": [[0, 0], [50, 1], [100, 1]]}}},
            "B": {"criteria": {"growth": {"of": "cut", "weight": 1, "points": [[0, 0], [100, 1]]}}},
        },
    })
    problem, b, issues = utilitarian_backend(case)
    S = highspy.HighsBasisStatus
    status = {"cut": S.kBasic, "parties.A.criteria.access.fill0": S.kUpper,
              "parties.A.criteria.access.fill1": S.kLower, "parties.A.criteria.access.position": S.kBasic,
              "constraints.cap": S.kUpper, "parties.A.reservation": S.kBasic, "parties.B.reservation": S.kBasic}
    basis = b.h.getBasis()
    basis.col_status = [status.get(n, S.kBasic) for n in problem.col_names]
    basis.row_status = [status.get(n, S.kUpper if n.endswith("utility") else S.kLower) for n in problem.row_names]
    b.set_basis(basis)
    r = b.solve()
    assert r.status == "optimal" and b.h.getInfo().simplex_iteration_count == 0
    assert b.h.getSolution().col_dual[problem.col_index["parties.A.criteria.access.fill1"]] == 0.0
    assert not b.unique_optimum()  # flat in a fill column
    assert b.unique_optimum(issues)  # but not in cut
    assert r.x[problem.col_index["cut"]] == pytest.approx(50.0)


def random_flat_case(seed: int):
    """3-5 parties on a shared issue and issues of their own, concave curves whose slopes are
    drawn from a few values (0 among them: flat segments, equal marginal rates, ties)."""
    rng = np.random.default_rng(seed)
    slopes = [0.0, 0.05, 0.1, 0.2]

    def curve(hi):
        k = int(rng.integers(1, 4))
        s = sorted(rng.choice(slopes, k), reverse=True)
        xs = np.linspace(0, hi, k + 1)
        ys = np.concatenate([[0.0], np.cumsum(np.array(s) * np.diff(xs))])
        return [[float(x), float(y)] for x, y in zip(xs, ys)]

    n = int(rng.integers(3, 6))
    parties = {f"P{i}": {"weight": float(rng.choice([1.0, 2.0])), "criteria": {
        "own": {"of": "share[self]", "weight": 1, "points": curve(10)},
        "pool": {"of": "pool", "weight": 1, "points": curve(10)},
        "mix": {"of": "share[self] + pool", "weight": float(rng.choice([0.0, 1.0])), "points": curve(20)}}}
        for i in range(n)}
    return validate_data({
        "name": f"random flat {seed}",
        "issues": {"share": {"per_party": True, "range": [0, 10]}, "pool": {"range": [0, 10]}},
        "constraints": {"budget": f"sum(share) + pool <= {float(rng.integers(5, 8 * n))}"},
        "parties": parties,
    })


def face_widths(problem, b, issues) -> np.ndarray:
    """Each issue's extent over the utilitarian LP's optimal face (a share of its range), by
    scipy's linprog on the compiled arrays: min and max of the issue with the optimum held."""
    from scipy.sparse import csr_matrix

    A = csr_matrix((problem.values, problem.indices, problem.indptr), shape=(problem.n_rows, problem.n_cols))
    c = np.zeros(problem.n_cols)
    for p in problem.parties:
        c[problem.utility_col[p]] = problem.case.parties[p].weight
    lo, hi = problem.row_lo, problem.row_hi
    bounds = [(None if not math.isfinite(a) else a, None if not math.isfinite(z) else z)
              for a, z in zip(problem.col_lb, problem.col_ub)]
    best = linprog(-c, A_ub=np.vstack([A.toarray(), -A.toarray()]),
                   b_ub=np.concatenate([np.where(np.isfinite(hi), hi, 1e30), np.where(np.isfinite(lo), -lo, 1e30)]),
                   bounds=bounds, method="highs")
    assert best.status == 0
    A_ub = np.vstack([A.toarray(), -A.toarray(), -c])
    b_ub = np.concatenate([np.where(np.isfinite(hi), hi, 1e30), np.where(np.isfinite(lo), -lo, 1e30),
                           [best.fun + 1e-9 * max(1.0, abs(best.fun))]])
    out = []
    for j in issues:
        e = np.zeros(problem.n_cols)
        e[j] = 1.0
        ends = [linprog(s * e, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs") for s in (1.0, -1.0)]
        assert all(r.status == 0 for r in ends)
        out.append((ends[1].x[j] - ends[0].x[j]) / (bounds[j][1] - bounds[j][0]))
    return np.array(out)


def test_unique_optimum_proof_is_sound_against_linprog():
    """Whenever the proof says the issue values are the only optimal ones, linprog finds every
    issue's extent over the optimal face nil; on these cases it proves some and not others, and
    more than the proof for every column (flat fill columns that move no issue: 25 against 20 over
    both starts; from negotiate.start's basis alone 13 against 13, the final bases being dual
    nondegenerate wherever the proof holds)."""
    proved = unproved = every_column = 0
    for seed in range(30):
        for slack_start in (False, True):  # two optimal bases of each case: two proofs to check
            problem, b, issues = utilitarian_backend(random_flat_case(seed), slack_start)
            widths = face_widths(problem, b, issues)
            every_column += b.unique_optimum()
            if b.unique_optimum(issues):
                proved += 1
                assert widths.max() <= 1e-6, (seed, slack_start, widths)
            else:
                unproved += 1
    assert proved >= 5 and unproved >= 5 and proved > every_column, (proved, unproved, every_column)


def test_flat_lp_is_not_proved_unique():
    problem, b, issues = utilitarian_backend(flat_lp())
    assert not b.unique_optimum(issues)
