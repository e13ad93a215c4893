"""Nash through the exponential-cone program (negotiate.formulation.nash_conic) equals Nash
by tangent cuts, and both equal cvxpy + Clarabel on a model written here independently.

solve.nash_method forces either path. The conic path's agreement is an LP vertex with the
cut path's certified gap, re-checked by verify() like every proposal (a failing check
would make the status "error"); its fallback to the cuts is forced by a tiny max_iter.
"""

import copy
import itertools
import math

import numpy as np
import pytest
import rescale
from conftest import CASES

import negotiate
from negotiate.backends import make_backend
from negotiate.case.load import validate_data
from negotiate.compile import compile_case, utility_scales
from negotiate.formulation import concepts, nash_conic
from negotiate.proposal import issue_values, utilities
from negotiate.whatif import Negotiation

cp = pytest.importorskip("cvxpy")

ASIA = next(c for c in CASES if c.name == "asia_pacific_compact.yaml")
EU = next(c for c in CASES if c.name == "eu_effort_sharing_2030.yaml")
CONTINUOUS = [ASIA, EU]  # every shipped continuous case (the first test checks it)


def nash(case, method, **kw):
    return negotiate.solve(case.update({"solve.nash_method": method}), "nash", **kw)


def nash_value(case, prop):
    return sum(case.parties[p].weight * math.log(o.gain) for p, o in prop.parties.items() if not o.held)


def assert_same_nash(case, a, b, util_tol=1e-4):
    """Same status, held parties and Nash product; utilities to about sqrt(gap)."""
    assert a.status == b.status
    if a.status not in ("optimal", "feasible"):
        return
    assert {p for p, o in a.parties.items() if o.held} == {p for p, o in b.parties.items() if o.held}
    assert nash_value(case, a) == pytest.approx(nash_value(case, b), rel=2e-7, abs=1e-9)
    scale = utility_scales(compile_case(case))
    for p in a.parties:
        assert abs(a.parties[p].utility - b.parties[p].utility) <= util_tol * scale[p], p


def test_shipped_continuous_cases_are_all_here():
    assert [c for c in CASES if not compile_case(negotiate.load_case(c)).is_mip] == sorted(CONTINUOUS)


@pytest.mark.parametrize("path", CONTINUOUS, ids=lambda c: c.stem)
def test_conic_equals_cuts_on_shipped_continuous_cases(path):
    case = negotiate.load_case(path)
    cuts, conic = nash(case, "cuts"), nash(case, "conic")
    assert cuts.solver["nash_method"] == "cuts"
    assert conic.solver["nash_method"] == "conic" and conic.solver["conic_iterations"] > 0
    assert conic.solver["nash_crossover"]  # the cut LP started from Clarabel's point and duals
    assert conic.status == "optimal" and conic.solver["nash_gap"] <= 1e-7
    assert conic.shadow_prices["available"]
    assert_same_nash(case, cuts, conic)
    assert not any("exponential-cone" in n for n in conic.notes)


def random_case(seed: int):
    """A small concave (LP) case from benchmarks/generate.py, with random weights and reservations."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import make_case

    rng = np.random.default_rng(seed)
    data = make_case(int(rng.integers(3, 9)), int(rng.integers(3, 6)), int(rng.integers(3, 7)), seed=seed)
    for party in data["parties"].values():
        party["weight"] = round(float(rng.uniform(0.5, 2.0)), 3)
        party["reservation"] = round(float(rng.uniform(0.05, 0.45)), 3)
    return validate_data(data)


@pytest.mark.parametrize("seed", range(8))
def test_conic_equals_cuts_on_random_concave_cases(seed):
    case = random_case(seed)
    cuts, conic = nash(case, "cuts"), nash(case, "conic")
    assert_same_nash(case, cuts, conic)


def test_a_party_that_cannot_gain_is_held_on_the_conic_path():
    data = copy.deepcopy(SMALL)  # D's utility is 0.5 whatever is agreed: its ideal is its reservation
    data["parties"]["D"] = {"reservation": 0.5, "criteria": {
        "fund": {"of": "fund", "weight": 1, "points": [[0, 0.5], [8, 0.5]]}}}
    case = validate_data(data)
    cuts, conic = nash(case, "cuts"), nash(case, "conic")
    assert conic.parties["D"].held and cuts.parties["D"].held
    assert not any(o.held for p, o in conic.parties.items() if p != "D")
    assert conic.solver["nash_method"] == "conic"
    assert any("held there" in n for n in conic.notes)
    assert_same_nash(case, cuts, conic)


def test_every_party_held_is_told_the_same_way():
    case = negotiate.load_case(EU)
    ideal = negotiate.solve(case, "nash", ideals=True).parties["PL"].ideal
    case = case.update({"parties.PL.reservation": ideal})  # pins every party's utility
    cuts, conic = nash(case, "cuts"), nash(case, "conic")
    assert all(o.held for o in conic.parties.values())
    assert_same_nash(case, cuts, conic)


def test_no_agreement_is_told_the_same_way():
    case = negotiate.load_case(ASIA).update({"parameters.target": 35})
    cuts, conic = nash(case, "cuts"), nash(case, "conic")
    assert cuts.status == conic.status == "infeasible"
    assert conic.diagnosis is not None
    assert not any("exponential-cone" in n for n in conic.notes)


def test_clarabel_failing_falls_back_to_the_cuts(monkeypatch):
    case = negotiate.load_case(ASIA)
    monkeypatch.setattr(nash_conic, "CLARABEL_RETRIES", ({"max_iter": 2}, {"max_iter": 1}))
    prop = nash(case, "conic")
    assert prop.status == "optimal"
    assert prop.solver["nash_method"] == "cuts"
    assert "MaxIterations" in prop.solver["nash_conic_failed"]
    assert any("exponential-cone solve was not used" in n for n in prop.notes)
    assert_same_nash(case, nash(case, "cuts"), prop)


def test_clarabel_retries_with_the_second_setting(monkeypatch):
    case = negotiate.load_case(ASIA)
    monkeypatch.setattr(nash_conic, "CLARABEL_RETRIES", ({"max_iter": 1}, {}))
    monkeypatch.setattr(nash_conic, "RETRY_ON", ("MaxIterations",))
    built = []
    original = nash_conic.build
    monkeypatch.setattr(nash_conic, "build", lambda *a, **k: built.append(1) or original(*a, **k))
    prop = nash(case, "conic")
    assert prop.solver["nash_method"] == "conic"
    assert len(built) == 1  # the retry solves the same program: it is not built again
    assert_same_nash(case, nash(case, "cuts"), prop)


def test_a_mip_asked_for_conic_keeps_the_cuts_with_a_note():
    mip = next(c for c in CASES if c.name == "climate_club.yaml")
    case = negotiate.load_case(mip)
    prop = nash(case, "conic")
    assert prop.status == "optimal" and prop.solver["nash_method"] == "cuts"
    assert any("discrete choices" in n for n in prop.notes)


def test_auto_chooses_by_size(monkeypatch):
    case = negotiate.load_case(ASIA)
    assert negotiate.solve(case, "nash").solver["nash_method"] == "cuts"  # 61 rows
    monkeypatch.setattr(concepts, "CONIC_MIN_ROWS", 10)
    assert negotiate.solve(case, "nash").solver["nash_method"] == "conic"
    assert negotiate.solve(case, "nash", backend="pyomo").solver["nash_method"] == "cuts"
    # a caller that may have moved the live model's bounds (coalition analyses) keeps the cuts
    problem = compile_case(case)
    runner = concepts.ConceptRunner(make_backend(problem, "highs"), problem,
                                    lambda x: utilities(problem, issue_values(problem, x))[0])
    out = runner.run("nash")
    assert out.ok and out.solver_info["nash_method"] == "cuts"


def test_pyomo_backend_on_the_conic_path():
    case = negotiate.load_case(ASIA)
    prop = nash(case, "conic", backend="pyomo")
    assert prop.solver["backend"] == "pyomo" and prop.solver["nash_method"] == "conic"
    assert_same_nash(case, nash(case, "cuts"), prop)


def test_a_warm_session_on_the_conic_path_equals_cold_solves():
    n = Negotiation(negotiate.load_case(ASIA).update({"solve.nash_method": "conic"}))
    for path, value in [("parties.IND.reservation", 0.6), ("parameters.target", 22), ("parties.JPN.weight", 2)]:
        n.set(path, value)
        warm = n.solve("nash")
        assert warm.solver["nash_method"] == "conic" and warm.solver["nash_crossover"]
        assert_same_nash(n.case, warm, negotiate.solve(n.case, "nash"))  # cold, by the cuts


# -- an independent model: cvxpy + Clarabel ---------------------------------------------
SMALL = {
    "name": "three parties, cuts and a fund",
    "issues": {"cut": {"per_party": True, "range": [0, 10]}, "fund": {"range": [0, 8]}},
    "constraints": {"enough": "sum(cut) >= 12"},
    "parties": {
        "A": {"weight": 1.0, "reservation": 0.3, "criteria": {
            "cost": {"of": "cut[self]", "weight": 2, "points": [[0, 1], [5, 0.8], [10, 0.2]]},
            "benefit": {"of": "sum(cut)", "weight": 1, "points": [[0, 0], [15, 0.9], [30, 1]]},
            "fund": {"of": "fund", "weight": 1, "points": [[0, 0], [8, 1]]}}},
        "B": {"weight": 2.0, "reservation": 0.35, "criteria": {
            "cost": {"of": "cut[self]", "weight": 1, "points": [[0, 1], [4, 0.9], [10, 0.1]]},
            "benefit": {"of": "sum(cut)", "weight": 2, "points": [[0, 0], [12, 0.7], [30, 1]]},
            "fund": {"of": "fund", "weight": 1, "points": [[0, 1], [8, 0.3]]}}},
        "C": {"weight": 1.5, "reservation": 0.25, "criteria": {
            "cost": {"of": "cut[self]", "weight": 3, "points": [[0, 1], [6, 0.7], [10, 0.0]]},
            "benefit": {"of": "sum(cut)", "weight": 1, "points": [[0, 0], [20, 0.8], [30, 1]]},
            "fund": {"of": "fund", "weight": 2, "points": [[0, 0.2], [4, 1], [8, 0.6]]}}},
    },
}


def concave_pl(x, points):
    lines = [y0 + (y1 - y0) / (x1 - x0) * (x - x0) for (x0, y0), (x1, y1) in itertools.pairwise(points)]
    return cp.minimum(*lines) if len(lines) > 1 else lines[0]


def cvxpy_nash(data):
    """Nash of SMALL written straight in cvxpy from its numbers; utilities by party."""
    ps = list(data["parties"])
    cut, fund = cp.Variable(len(ps)), cp.Variable()
    total = cp.sum(cut)
    cons = [cut >= 0, cut <= 10, fund >= 0, fund <= 8, total >= 12]
    u, objective = {}, 0
    for i, p in enumerate(ps):
        c = data["parties"][p]["criteria"]
        s = (c["cost"]["weight"] * concave_pl(cut[i], c["cost"]["points"])
             + c["benefit"]["weight"] * concave_pl(total, c["benefit"]["points"])
             + c["fund"]["weight"] * concave_pl(fund, c["fund"]["points"]))
        u[p] = s / sum(k["weight"] for k in c.values())
        d = data["parties"][p]["reservation"]
        cons.append(u[p] >= d)
        objective += data["parties"][p]["weight"] * cp.log(u[p] - d)
    prob = cp.Problem(cp.Maximize(objective), cons)
    prob.solve(solver=cp.CLARABEL)
    assert prob.status == "optimal"
    return prob.value, {p: float(u[p].value) for p in ps}


def test_both_paths_equal_cvxpy_clarabel():
    case = validate_data(SMALL)
    value, utils = cvxpy_nash(SMALL)
    for method in ("cuts", "conic"):
        prop = nash(case, method)
        assert prop.solver["nash_method"] == method
        assert nash_value(case, prop) == pytest.approx(value, abs=1e-6)
        for p, u in utils.items():
            assert prop.parties[p].utility == pytest.approx(u, abs=1e-4), (method, p)


# -- units: the cone program is scaled as the LP is ----------------------------------------
RESCALED = {
    "range x1e6": lambda d: rescale.issue_times(d, "reduction", 1e6),
    "range x1e-6": lambda d: rescale.issue_times(d, "reduction", 1e-6),
    "scores x1e-9": lambda d: rescale.scores_times(d, 1e-9),
    "scores x1e9": lambda d: rescale.scores_times(d, 1e9),
    "party weights x1e8": lambda d: rescale.party_weights_times(d, 1e8),
    "criterion weights x1e300": lambda d: rescale.criterion_weights_times(d, 1e300),
}


@pytest.mark.parametrize("transform", list(RESCALED))
def test_conic_equals_cuts_in_any_units(transform):
    data = negotiate.load_case(ASIA).model_dump(exclude_unset=True)
    case = rescale.case_of(RESCALED[transform](data))
    cuts, conic = nash(case, "cuts"), nash(case, "conic")
    assert conic.solver["nash_method"] == "conic", conic.notes
    assert_same_nash(case, cuts, conic)


# -- a party in much smaller units than the others ---------------------------------------------
def small_units(data: dict, party: str, k: float) -> dict:
    """`party`'s scores and reservation times k: the same preferences in other units."""
    data = copy.deepcopy(data)
    mine = data["parties"][party]
    mine["reservation"] *= k
    for criterion in mine["criteria"].values():
        criterion["points"] = [[x, y * k] for x, y in criterion["points"]]
    return data


@pytest.mark.parametrize("method", ["cuts", "conic"])
def test_a_party_in_tiny_units_gets_its_own_cut_floor(method):
    """Nash is the same agreement whatever unit each party's utility is in (the product only
    changes by a constant). A floor on the tangent points taken from the largest utility scale
    (1e-9 of the others') put every cut of B, whose gains are near 1e-13, far above them: the
    cuts stalled with a gap above the certified 1e-7."""
    k = 1e-12
    case = validate_data(small_units(SMALL, "B", k))
    value, utils = cvxpy_nash(SMALL)
    prop = nash(case, method)
    assert prop.status == "optimal" and prop.solver["nash_method"] == method
    assert prop.solver["nash_gap"] <= 1e-7
    assert not any("stalled" in n for n in prop.notes)
    for p, u in utils.items():
        assert prop.parties[p].utility == pytest.approx(u * (k if p == "B" else 1.0), rel=1e-4), (method, p)


# -- the cut LP started by crossover from Clarabel's point ----------------------------------------
def test_a_poor_start_still_gives_the_same_nash(monkeypatch):
    """The start only saves simplex work: with Clarabel's duals replaced by noise (crossover then
    starts far from optimal, or gives up) the LP still certifies the same Nash as cvxpy."""
    rng = np.random.default_rng(3)
    monkeypatch.setattr(nash_conic, "row_duals", lambda model, z, n_rows: rng.normal(size=n_rows))
    case = validate_data(SMALL)
    value, utils = cvxpy_nash(SMALL)
    prop = nash(case, "conic")
    assert prop.solver["nash_method"] == "conic" and prop.solver["nash_gap"] <= 1e-7
    assert nash_value(case, prop) == pytest.approx(value, abs=1e-6)
    for p, u in utils.items():
        assert prop.parties[p].utility == pytest.approx(u, abs=1e-4), p


def test_start_from_point_reads_duals_as_solves_give_them():
    """HighsBackend.start_from_point takes duals in LPResult's units and signs: from an optimum's
    own (x, duals) on a fresh backend, crossover gives an optimal basis and the next solve takes
    no simplex iteration; its optimum is scipy's (linprog, another HiGHS instance and interface)."""
    from scipy.optimize import linprog

    case = negotiate.load_case(ASIA)
    problem = compile_case(case)
    objective = {problem.utility_col[p]: 1.0 + i for i, p in enumerate(problem.parties)}
    first = make_backend(problem, "highs")
    first.set_objective(objective)
    r = first.solve()
    assert r.status == "optimal"
    fresh = make_backend(problem, "highs")
    fresh.set_objective(objective)
    assert fresh.start_from_point(r.x, r.row_dual)
    again = fresh.solve()
    assert again.status == "optimal" and fresh.h.getInfo().simplex_iteration_count == 0
    A = np.zeros((problem.n_rows, problem.n_cols))
    for i in range(problem.n_rows):
        cols, vals = problem.row(i)
        A[i, cols] = vals
    c = np.zeros(problem.n_cols)
    for j, w in objective.items():
        c[j] = -w
    up, down = np.isfinite(problem.row_hi), np.isfinite(problem.row_lo)
    eq = up & down & (problem.row_lo == problem.row_hi)
    ub = np.vstack([A[up & ~eq], -A[down & ~eq]])
    bu = np.concatenate([problem.row_hi[up & ~eq], -problem.row_lo[down & ~eq]])
    ref = linprog(c, A_ub=ub, b_ub=bu, A_eq=A[eq], b_eq=problem.row_lo[eq],
                  bounds=list(zip(np.where(np.isfinite(problem.col_lb), problem.col_lb, None),
                                  np.where(np.isfinite(problem.col_ub), problem.col_ub, None))))
    assert ref.status == 0
    assert again.objective == pytest.approx(-ref.fun, rel=1e-8)


def test_the_fallback_to_the_cuts_asks_who_is_held_once(monkeypatch):
    """When Clarabel fails after the LP has said who cannot gain, the cuts take that answer
    (before, they asked the same LPs again)."""
    data = copy.deepcopy(SMALL)
    data["parties"]["D"] = {"reservation": 0.5, "criteria": {
        "fund": {"of": "fund", "weight": 1, "points": [[0, 0.5], [8, 0.5]]}}}
    case = validate_data(data)
    asked = []
    original = concepts.ConceptRunner._nash_active
    monkeypatch.setattr(concepts.ConceptRunner, "_nash_active", lambda self: asked.append(1) or original(self))
    monkeypatch.setattr(nash_conic, "CLARABEL_RETRIES", ({"max_iter": 1},))
    prop = nash(case, "conic")
    assert prop.solver["nash_method"] == "cuts" and "MaxIterations" in prop.solver["nash_conic_failed"]
    assert len(asked) == 1
    assert prop.parties["D"].held
    monkeypatch.undo()
    assert_same_nash(case, nash(case, "cuts"), prop)


# -- the canonical agreement: Nash's own proof that its agreement is the only one -------------------
def nash_outcome(case, method: str):
    """ConceptRunner's Nash outcome (its `unique` flag is not in the proposal) by `method`."""
    case = case.update({"solve.nash_method": method})
    problem = compile_case(case)
    runner = concepts.ConceptRunner(make_backend(problem, "highs"), problem,
                                    lambda x: utilities(problem, issue_values(problem, x))[0])
    runner.live_model_is_case = True
    return problem, runner.run("nash")


def nash_face_widths(problem, out) -> np.ndarray:
    """Each issue's extent (a share of its range) over the agreements that give every party at
    least its utility at `out` (less 1e-9), by scipy's linprog on the compiled arrays."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    from negotiate.formulation.canonical import _issue_columns

    A = csr_matrix((problem.values, problem.indices, problem.indptr), shape=(problem.n_rows, problem.n_cols)).toarray()
    lo, hi = problem.row_lo, problem.row_hi
    held = np.zeros((len(problem.parties), problem.n_cols))
    level = np.zeros(len(problem.parties))
    u = utilities(problem, issue_values(problem, out.x))[0]
    for i, p in enumerate(problem.parties):
        held[i, problem.utility_col[p]] = -1.0
        level[i] = -(u[p] - 1e-9)
    A_ub = np.vstack([A, -A, held])
    b_ub = np.concatenate([np.where(np.isfinite(hi), hi, 1e30), np.where(np.isfinite(lo), -lo, 1e30), level])
    bounds = [(None if not math.isfinite(a) else a, None if not math.isfinite(z) else z)
              for a, z in zip(problem.col_lb, problem.col_ub)]
    widths = []
    for j, width in _issue_columns(problem, make_backend(problem, "highs")):
        e = np.zeros(problem.n_cols)
        e[j] = 1.0
        ends = [linprog(s * e, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs") for s in (1.0, -1.0)]
        assert all(r.status == 0 for r in ends)
        widths.append((ends[1].x[j] - ends[0].x[j]) / width)
    return np.array(widths)


def test_nash_proof_of_a_single_agreement_is_sound_against_linprog():
    """Where Nash's last cut LP proves its issue values the only optimal ones (and the canonical
    agreement's probe LPs are skipped), linprog finds no other agreement that keeps every party's
    utility; a face that is not one agreement (test_canonical's flat LP) is not proved."""
    from test_canonical import flat_lp, random_flat_case

    proved = 0
    for case in [random_case(seed) for seed in range(6)] + [random_flat_case(seed) for seed in range(12)]:
        problem, out = nash_outcome(case, "conic")
        assert out.ok and out.gap <= 1e-7
        if out.unique:
            proved += 1
            assert nash_face_widths(problem, out).max() <= 1e-6, case.name
    assert proved >= 5, proved
    problem, out = nash_outcome(flat_lp(), "conic")
    assert not out.unique and nash_face_widths(problem, out).max() > 0.1


def test_a_proved_nash_agreement_skips_the_probes(monkeypatch):
    """A generated case's Nash agreement is proved the only one by its cut LP: the canonical
    agreement's probes (two LPs, 0.08 s at 200 parties) do not run, and the proposal is the one
    the probes give."""
    from negotiate.formulation import canonical

    case = random_case(3).update({"solve.nash_method": "conic"})
    probed = []
    spread = canonical._spread
    monkeypatch.setattr(canonical, "_spread", lambda *a: probed.append(1) or spread(*a))
    fast = negotiate.solve(case, "nash")
    assert not probed
    monkeypatch.setattr(concepts.ConceptRunner, "_nash_face_unique", lambda self, held: False)
    probing = negotiate.solve(case, "nash")
    assert probed
    assert fast.agreement == probing.agreement and fast.notes == probing.notes


# -- a warm Nash after other concepts is the cold Nash, to the last digit ---------------------------
@pytest.mark.parametrize("method", ["cuts", "conic"])
@pytest.mark.parametrize("name", ["asia", "eu", "random 2", "random 5"])
def test_nash_after_other_concepts_equals_the_cold_nash_exactly(name, method):
    """A session that solved other concepts (and Nash itself) first proposes the very agreement a
    cold solve does: before, the other concept's basis (or what HiGHS kept of its solves) led the
    Nash LPs to another vertex within the certified gap, up to 5e-4 of an issue's range away."""
    case = {"asia": lambda: negotiate.load_case(ASIA), "eu": lambda: negotiate.load_case(EU),
            "random 2": lambda: random_case(2), "random 5": lambda: random_case(5)}[name]()
    case = case.update({"solve.nash_method": method})
    cold = negotiate.solve(case, "nash")
    for before in (["utilitarian"], ["egalitarian", "kalai_smorodinsky"], ["nash", "utilitarian"]):
        n = Negotiation(case)
        for concept in before:
            n.solve(concept)
        warm = n.solve("nash")
        assert warm.solver["nash_method"] == cold.solver["nash_method"] == method
        assert warm.agreement == cold.agreement, before
        assert {p: o.utility for p, o in warm.parties.items()} == {p: o.utility for p, o in cold.parties.items()}
        assert [c.shadow_price for c in warm.constraints] == [c.shadow_price for c in cold.constraints]


# -- the cone program without scipy ---------------------------------------------------------------
def test_the_conic_path_imports_no_scipy():
    """The cone program is assembled with numpy and the crossover start reads HiGHS's matrix with
    numpy: importing scipy.sparse (0.16 s CPU) would cost more than a whole small Nash, and
    concepts.CONIC_MIN_ROWS is measured without it."""
    import subprocess
    import sys

    from conftest import ROOT

    probe = ("import sys, negotiate\n"
             f"p = negotiate.solve({str(ASIA)!r}, 'nash', changes={{'solve.nash_method': 'conic'}})\n"
             "assert p.solver['nash_method'] == 'conic' and p.solver['nash_crossover'], p.solver\n"
             "print('SCIPY', any(m == 'scipy' or m.startswith('scipy.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120, check=False)
    assert "SCIPY False" in out.stdout, out.stdout + out.stderr


def scipy_cone_matrix(problem, model, uscale):
    """The cone program's matrix assembled again with scipy's block operations from the compiled
    arrays (as nash_conic did before it went numpy-only): fixed columns out, rows and columns
    scaled, equality / upper / lower rows, bound rows, then each party's cone rows."""
    from scipy import sparse

    A0 = sparse.csr_matrix((problem.values, problem.indices, problem.indptr), shape=(problem.n_rows, problem.n_cols))
    cs, rs = nash_conic.problem_scales(problem)
    keep = model.keep
    A = (sparse.diags(rs) @ A0[:, keep] @ sparse.diags(cs[keep])).tocsr()
    A.eliminate_zeros()
    eq, up, down = model.rows_eq, model.rows_up, model.rows_down
    lb, ub = problem.col_lb[keep] / cs[keep], problem.col_ub[keep] / cs[keep]
    eye = sparse.identity(len(keep), format="csr")
    lin = sparse.vstack([A[eq], A[up], -A[down], eye[np.isfinite(ub)], -eye[np.isfinite(lb)]])
    m = len(model.parties)
    E = sparse.lil_matrix((3 * m, len(keep) + m))
    pos = {int(j): i for i, j in enumerate(keep)}
    for i, p in enumerate(model.parties):
        j = problem.utility_col[p]
        E[3 * i, len(keep) + i] = -1.0
        E[3 * i + 2, pos[j]] = -cs[j] / nash_conic._pow2(np.array([uscale[p]]))[0]
    return sparse.vstack([sparse.hstack([lin, sparse.csr_matrix((lin.shape[0], m))]), E]).tocsc()


@pytest.mark.parametrize("path", CONTINUOUS, ids=lambda c: c.stem)
def test_the_cone_program_equals_scipys_assembly(path):
    case = negotiate.load_case(path)
    problem = compile_case(case)
    ps, uscale = problem.parties, utility_scales(problem)
    model = nash_conic.build(problem, ps, {p: case.parties[p].weight for p in ps},
                             {p: case.parties[p].reservation for p in ps}, uscale)
    ours, ref = model.A.scipy(), scipy_cone_matrix(problem, model, uscale)
    assert ours.shape == ref.shape == (len(model.b), len(model.q))
    assert ours.has_canonical_format and ours.nnz == ref.nnz
    assert abs(ours - ref).max() == 0.0


def test_a_clarabel_that_reads_only_scipy_matrices_is_given_them(monkeypatch):
    import clarabel

    real = clarabel.DefaultSolver

    def strict(P, q, A, b, cones, settings):
        if not hasattr(A, "tocsc"):
            raise TypeError("a scipy matrix, please")
        return real(P, q, A, b, cones, settings)

    monkeypatch.setattr(clarabel, "DefaultSolver", strict)
    case = negotiate.load_case(ASIA)
    prop = nash(case, "conic")
    assert prop.solver["nash_method"] == "conic"
    assert_same_nash(case, nash(case, "cuts"), prop)


# -- tangent cuts added as arrays ---------------------------------------------------------------------
def test_rows_added_as_arrays_are_the_rows_added_one_by_one():
    """HighsBackend.add_rows_arrays gives HiGHS the very rows add_rows gives it (coefficients,
    bounds and row scales, bit for bit), helper columns included; a row on a helper column not
    yet scaled goes by add_rows."""
    case = negotiate.load_case(ASIA)
    problem = compile_case(case)
    rng = np.random.default_rng(5)
    backends = [make_backend(problem, "highs") for _ in range(2)]
    for b in backends:
        b.add_cols([-np.inf] * 3, [np.inf] * 3, ["z0", "z1", "z2"], scale=[1.0] * 3)
    cols = [int(j) for j in rng.choice(problem.n_cols, 12, replace=False)] + [problem.n_cols, problem.n_cols + 2]
    rows = []
    for i in range(6):
        picked = rng.choice(cols, int(rng.integers(1, 4)), replace=False)
        rows.append(({int(j): float(rng.normal() * 10.0 ** rng.integers(-3, 4)) for j in picked},
                     -np.inf if i % 2 else float(rng.normal()), float(rng.normal()) + 5, f"r{i}"))
    one = backends[0].add_rows(rows)
    starts = np.cumsum([0] + [len(c) for c, *_ in rows])
    many = backends[1].add_rows_arrays(starts, [j for c, *_ in rows for j in c], [v for c, *_ in rows for v in c.values()],
                                       np.array([lo for _, lo, _, _ in rows]), np.array([hi for _, _, hi, _ in rows]))
    assert one == many
    lp0, lp1 = (b.h.getLp() for b in backends)
    for field in ("row_lower_", "row_upper_"):
        assert np.array_equal(np.asarray(getattr(lp0, field)), np.asarray(getattr(lp1, field)))
    m0, m1 = lp0.a_matrix_, lp1.a_matrix_
    for field in ("start_", "index_", "value_"):
        assert np.array_equal(np.asarray(getattr(m0, field)), np.asarray(getattr(m1, field))), field
    assert np.array_equal(backends[0]._rs, backends[1]._rs)
    # a helper whose scale its first row sets
    for b in backends:
        b.add_cols([-np.inf], [np.inf], ["level"])
    level = problem.n_cols + 3
    row = ({level: 1.0, problem.utility_col[problem.parties[0]]: -2.5}, -np.inf, 0.5, "level row")
    backends[0].add_rows([row])
    backends[1].add_rows_arrays([0, 2], list(row[0]), list(row[0].values()), np.array([-np.inf]), np.array([0.5]))
    assert np.array_equal(backends[0]._cs, backends[1]._cs)
    assert np.array_equal(np.asarray(backends[0].h.getLp().a_matrix_.value_),
                          np.asarray(backends[1].h.getLp().a_matrix_.value_))


@pytest.mark.parametrize("method", ["cuts", "conic"])
def test_no_cut_round_repeats_the_last_one(method, monkeypatch):
    """Cuts at a point the LP already meets within its tolerance move nothing: a round whose LP
    returns the very point of the round before is the last (it used to go on until four rounds
    had not gained: 2 more LPs on asia_pacific_compact), with the same certified gap."""
    rounds = []
    solve = concepts.ConceptRunner._solve

    def recording(self, objective, what):
        r, fail = solve(self, objective, what)
        if what == "nash":
            rounds.append((r.objective, r.x.copy()))
        return r, fail

    monkeypatch.setattr(concepts.ConceptRunner, "_solve", recording)
    case = negotiate.load_case(ASIA)
    prop = nash(case, method)
    assert prop.solver["nash_gap"] <= 1e-7 and len(rounds) >= 2
    repeats = [a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in itertools.pairwise(rounds)]
    assert not any(repeats[:-1])  # only the last round may repeat the one before: it ends the cuts
    monkeypatch.undo()
    assert_same_nash(case, nash(case, "cuts"), prop)


def test_a_clarabel_that_refuses_faer_retries_with_qdldl(monkeypatch):
    """A Clarabel built without the faer solver refuses the setting (a bare Exception at set-up):
    the retry with its own qdldl solves the same program."""
    monkeypatch.setitem(nash_conic.CLARABEL_SETTINGS, "direct_solve_method", "no such solver")
    case = negotiate.load_case(ASIA)
    prop = nash(case, "conic")
    assert prop.solver["nash_method"] == "conic" and "nash_conic_failed" not in prop.solver
    assert_same_nash(case, nash(case, "cuts"), prop)
