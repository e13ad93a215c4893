"""Start-up: what `negotiate --help` and `negotiate validate` import, and that what they
no longer import changes nothing.

Validation samples `function:` curves on plain floats (negotiate.case.expr.Samples),
places their points as numpy.linspace does, interpolates a status-quo utility as
numpy.interp does, and locates a merged model case's values only when a problem
needs it. Each is checked here against numpy itself, or the eager code it replaces,
bit for bit. Speed is shown by benchmarks/bench_startup.py, not timed here.
"""

import math
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negotiate
from conftest import CASES, ROOT
from negotiate.case import expr
from negotiate.case.expr import Env, ExprError
from negotiate.case.resolve import resolve

# Never imported by `--help` or by validating a case: solvers, data frames, plotting, distributed
# computing, and numpy (validation needs none of them). ruamel reads a file only to locate a
# problem; rich prints only problems; compiling and solving are not validation.
NEVER = ("numpy", "pandas", "highspy", "pyomo", "scipy", "matplotlib", "dask", "cvxpy", "clarabel",
         "ruamel", "rich", "negotiate.compile", "negotiate.solving", "negotiate.backends.highs")


def modules_after(*argv: str) -> tuple[str, set[str]]:
    """The CLI's output and the modules loaded after `negotiate ARGV...`, in a fresh interpreter."""
    probe = (f"import sys, runpy; sys.argv = ['negotiate', *{list(argv)!r}]\n"
             "try:\n    runpy.run_module('negotiate', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('MODULES', ' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("MODULES ")), None)
    assert line is not None, out.stdout + out.stderr
    return out.stdout, set(line.split()[1:])


def loaded(modules: set[str], names) -> list[str]:
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


@pytest.mark.parametrize("argv", [["--help"], ["solve", "--help"], ["validate", "--help"], ["compare", "--help"],
                                  ["explain", "--help"], ["--version"]], ids=" ".join)
def test_help_imports_nothing_heavy(argv):
    out, modules = modules_after(*argv)
    assert "Usage:" in out or "negotiate " in out
    assert loaded(modules, NEVER) == []


def test_root_help_does_not_even_import_pydantic():
    _, modules = modules_after("--help")
    assert loaded(modules, ("pydantic", "yaml")) == []


def test_validating_every_shipped_case_imports_nothing_heavy():
    out, modules = modules_after("validate", *(str(c.relative_to(ROOT)) for c in CASES))
    assert out.count("ok  cases/") == len(CASES), out
    assert loaded(modules, NEVER) == []
    assert loaded(modules, ("tomllib",)) == []  # read for TOML files only


def test_solving_to_json_imports_only_what_solving_needs():
    """numpy and HiGHS, not data frames, plotting, Pyomo, rich (text output only) or ruamel (no --set)."""
    out, modules = modules_after("solve", "cases/climate_club.yaml", "--format", "json")
    assert '"status": "optimal"' in out
    assert loaded(modules, ("numpy", "highspy")) == ["numpy", "highspy"]
    assert loaded(modules, ("pandas", "scipy", "matplotlib", "pyomo", "dask", "cvxpy", "rich", "ruamel")) == []


def test_a_case_error_is_still_located_and_shown(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "cases" / "trade_standards.yaml").read_text().replace("over: [0, 100]", "over: [100, 0]", 1))
    r = subprocess.run([sys.executable, "-m", "negotiate", "validate", str(bad)], capture_output=True, text=True,
                       cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "", "COLUMNS": "200"}, timeout=120)
    assert r.returncode == 1
    assert "`over` must be an interval [lo, hi] with lo < hi" in r.stderr and f"{bad}:" in r.stderr


# -- sample points, curves and interpolation: the same floats as numpy's ------------------
def same_floats(a, b) -> bool:
    """Bit for bit (signed zeros and all), nan equal to nan."""
    return np.asarray(a, float).tobytes() == np.asarray(b, float).tobytes()


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(lo=finite, width=st.one_of(st.floats(min_value=1e-300, max_value=1e300), st.floats(1e-9, 1e3)),
       pieces=st.integers(1, 200))
def test_sample_points_are_numpys_linspace(lo, width, pieces):
    hi = lo + width
    if not math.isfinite(hi) or not hi > lo:
        return
    assert same_floats(expr.sample_points(lo, hi, pieces), np.linspace(lo, hi, pieces + 1))


@pytest.mark.parametrize("lo, hi, pieces", [(0, 60, 12), (0, 100, 10), (-1, 1, 3), (1e-310, 3e-310, 7),
                                            (1e16, 1e16 + 4, 40), (-1e308, 1e308, 4), (0.1, 0.7, 10_000)])
def test_sample_points_at_the_edges(lo, hi, pieces):
    with np.errstate(all="ignore"):  # -1e308 to 1e308 overflows: nan and inf, the same in both
        assert same_floats(expr.sample_points(lo, hi, pieces), np.linspace(lo, hi, pieces + 1))


ENV = Env(parameters={"a": 2.5, "target": 40.0}, issues={}, parties=["P", "Q"],
          data={"P": {"d": 3.0, "z": 0.0}, "Q": {"d": -7.25, "z": 0.0}}, self_party="P")


def _leaf():
    numbers = st.sampled_from(["0", "1", "2", "0.5", "40", "1e-3", "3.7", "1e300", "0.0", "100"])
    return st.one_of(st.just("x"), st.just("x"), numbers, st.sampled_from(["a", "target", "data.d[self]",
                                                                           "data.z[P]", "data.d[Q]"]))


def _grow(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"-({e})"),
        st.tuples(st.sampled_from(["abs", "sqrt", "exp", "log"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(inner, st.sampled_from(["2", "2.0", "3", "0.5", "-1", "1"])).map(lambda t: f"({t[0]}) ** {t[1]}"),
    )


EXPRESSIONS = st.recursive(_leaf(), _grow, max_leaves=8)


def sampled(text: str, xs, env):
    """What `curve` gives: values, or the error as the user sees it."""
    try:
        return "values", np.asarray(expr.curve(text, xs, env), float).tobytes()
    except ExprError as e:
        return "error", (e.message, e.part, e.hint)


def with_numpy(monkeypatch, fn, *args):
    """`fn` with every curve sampled by numpy, as before plain-float sampling existed."""
    with monkeypatch.context() as m:
        m.setattr(expr, "PLAIN_SAMPLES_MAX", 0)
        return fn(*args)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=EXPRESSIONS, lo=st.sampled_from([0.0, -5.0, 1e-6, -1e3]), width=st.sampled_from([1.0, 60.0, 1e5]),
       pieces=st.integers(1, 40), env=st.sampled_from([ENV, None]))
def test_plain_float_curves_are_numpys_curves(monkeypatch, text, lo, width, pieces, env):
    xs = expr.sample_points(lo, lo + width, pieces)
    if env is None and any(n in text for n in ("a", "target", "data")):
        env = ENV
    assert sampled(text, xs, env) == with_numpy(monkeypatch, sampled, text, xs, env), text


@pytest.mark.parametrize("text", ["min(1, x / 40)", "sqrt(x / 100)", "1 - x / (a / 100 * 7.5)",
                                  "1 - 3.0 * 1.2 * x ** 2 / (2 * 30 * 100 * 1000) / (2.5 / 100 * 40 * 80)",
                                  "x / (x - 30)", "0 * x / x", "sqrt(x - 30)", "-x / 0.0 + 1", "max(x, -x) / 0.5",
                                  "min(-0.0 * x, 0.0 * x)", "max(0.0 * x, -0.0 * x)", "1e300 * x * x"])
def test_shipped_and_edge_curves_are_numpys(monkeypatch, text):
    xs = expr.sample_points(-30.0, 60.0, 12)
    assert sampled(text, xs, ENV) == with_numpy(monkeypatch, sampled, text, xs, ENV)


def test_numpy_squares_as_plain_floats_do():
    """numpy's power loop squares `x ** 2` as x * x (numpy >= 2.3); the plain-float sampler does the
    same, and `curve` asks numpy for x * x itself, so every numpy version agrees with it."""
    rng = np.random.default_rng(4)
    xs = np.concatenate([rng.uniform(-100, 100, 20_000), np.exp(rng.uniform(-300, 300, 20_000))])
    if tuple(int(p) for p in np.__version__.split(".")[:2]) < (2, 3):
        pytest.skip("numpy < 2.3 computes x ** 2 with pow(); curve squares with x * x on every version")
    with np.errstate(all="ignore"):
        assert same_floats(np.power(xs, 2.0), xs * xs)


@settings(max_examples=200, deadline=None)
@given(points=st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1, max_size=12),
       x=st.one_of(finite, st.floats(-2e6, 2e6)), knot=st.booleans())
def test_interp_is_numpys(points, x, knot):
    xs = sorted({p[0] for p in points})
    ys = [y for _, y in points[:len(xs)]]
    if knot:
        x = xs[len(xs) // 2]
    assert same_floats(expr.interp(x, xs, ys), np.interp(x, np.array(xs), np.array(ys)))


@pytest.mark.parametrize("x", [-1.0, 0.0, 0.25, 1.0, 2.0, 3.0, math.nan, 1e308])
def test_interp_edges(x):
    xs, ys = (0.0, 1.0, 2.0), (5.0, math.inf, 7.0)  # an infinite knot: numpy's nan retry
    assert same_floats(expr.interp(x, xs, ys), np.interp(x, np.array(xs), np.array(ys)))
    assert same_floats(expr.interp(x, (1.0,), (4.0,)), np.interp(x, np.array([1.0]), np.array([4.0])))


def _curves_and_reservations(path):
    case = negotiate.load_case(path)
    r = resolve(case)
    curves = {(p, c.id): (c.xs, c.ys) for p in r.parties for c in r.criteria[p] if c.xs is not None}
    return curves, {p: float(party.reservation) for p, party in case.parties.items()}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_shipped_cases_resolve_to_numpys_floats(monkeypatch, path):
    """Every sampled curve and every status-quo reservation, bit for bit, as numpy computes them."""
    plain_curves, plain_reservations = _curves_and_reservations(path)
    numpy_curves, numpy_reservations = with_numpy(monkeypatch, _curves_and_reservations, path)
    assert plain_curves.keys() == numpy_curves.keys()
    for key, (xs, ys) in plain_curves.items():
        assert same_floats(xs, numpy_curves[key][0]) and same_floats(ys, numpy_curves[key][1]), key
    assert same_floats(list(plain_reservations.values()), list(numpy_reservations.values()))


@pytest.mark.parametrize("name", ["climate_club_status_quo", "trade_standards"])
def test_same_proposal_json(monkeypatch, name):
    path = ROOT / "cases" / f"{name}.yaml"
    def solve():
        return re.sub(r'"(solver_)?seconds": [0-9.e-]+', "", negotiate.solve(negotiate.load_case(path)).to_json())

    assert solve() == with_numpy(monkeypatch, solve)


# -- a merged model case's positions: read when asked, the same as an eager merge ---------
def eager_merge(case_path):
    """The merge as it was: both files read with positions first (ruamel), then merged."""
    from negotiate.case.models import _normalise_parameters, find_model, merge_model
    from negotiate.case.read import _read_yaml_located

    data, csrc = _read_yaml_located(case_path.read_text(), str(case_path))
    model_path = find_model(data["model"], case_path.parent)
    model, msrc = _read_yaml_located(model_path.read_text(), str(model_path))
    model, msrc = _normalise_parameters(model, msrc)
    return merge_model(model, msrc, data, csrc)


MODEL_CASES = [c for c in CASES if "\nmodel:" in c.read_text()]


@pytest.mark.parametrize("path", MODEL_CASES, ids=lambda p: p.stem)
def test_merged_positions_are_the_eager_merges(path):
    from negotiate.case.models import apply_model
    from negotiate.case.read import read_document

    data, source = read_document(path)
    merged, lazy = apply_model(data, source, base_dir=path.parent)
    assert "positions" not in vars(lazy)  # nothing read yet
    eager_data, eager = eager_merge(path)
    assert merged == eager_data
    assert lazy.positions == eager.positions and lazy.origin == eager.origin
    assert lazy.locate(("parties", next(iter(merged["parties"])), "criteria")) == \
        eager.locate(("parties", next(iter(merged["parties"])), "criteria"))


def test_a_loaded_model_case_pickles_before_and_after_its_positions_are_read():
    path = next(c for c in MODEL_CASES if "eu_effort_sharing_2030.yaml" in str(c))
    case = negotiate.load_case(path)
    where = ("parties", "PL", "reservation")
    fresh = pickle.loads(pickle.dumps(case))
    expected = eager_merge(path)[1].locate(where)
    assert fresh._source.locate(where) == expected and expected.line is not None
    assert pickle.loads(pickle.dumps(case))._source.locate(where) == expected


def test_fast_yaml_resolvers_are_ruamels():
    """The copied YAML 1.2 resolvers of the fast reader, against the installed ruamel's own."""
    from ruamel.yaml import resolver

    from negotiate.case.fast_yaml import RUAMEL_YAML_1_2_RESOLVERS

    theirs = [(tag, regexp.pattern, first) for versions, tag, regexp, first in resolver.implicit_resolvers
              if (1, 2) in versions]
    assert [tuple(r) for r in RUAMEL_YAML_1_2_RESOLVERS] == theirs
