"""CLI manners: help with examples and defaults, paired boolean flags, settings flags,
explain as JSON, the version, fast start-up (heavy modules imported lazily), short reprs."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import negotiate
from conftest import ROOT
from negotiate.cli import app

runner = CliRunner()
CLIMATE = str(ROOT / "cases" / "climate_club.yaml")
NO_DEAL = str(ROOT / "tests" / "data" / "no_deal.yaml")
HEAVY = ("numpy", "pandas", "highspy", "pyomo", "pydantic", "matplotlib", "rich")


def run(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "80"})


@pytest.mark.parametrize("command", ["solve", "compare", "explain"])
def test_help_has_examples_and_defaults(command):
    r = run(command, "--help")
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    assert "Examples:" in text and f"negotiate {command} cases/" in text
    assert "Default: the case's solve.concept" in text or command == "compare"
    assert "--require-acceptance / --no-require-acceptance" in text and "--mip-gap GAP" in text
    assert "<bool>" not in text and "…" not in r.output


def test_paired_boolean_flags():
    text = " ".join(run("solve", "--help").output.split())
    assert "--ideals / --no-ideals" in text


def test_no_require_acceptance_flag_overrides_the_case():
    """No deal is acceptable to both parties; without the acceptance requirement there is an agreement."""
    assert run("solve", NO_DEAL).exit_code == 3
    r = run("solve", NO_DEAL, "--no-require-acceptance", "-f", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["agreement"] is not None
    assert any(not p["accepts"] for p in data["parties"].values())


def test_mip_gap_flag_is_validated_and_used(tmp_path):
    assert run("solve", CLIMATE, "--mip-gap", "2").exit_code == 2
    r = run("solve", CLIMATE, "--mip-gap", "0.5", "-f", "json")
    assert r.exit_code == 0
    loose = json.loads(r.stdout)["collective_benefit"]
    tight = json.loads(run("solve", CLIMATE, "--mip-gap", "0", "-f", "json").stdout)["collective_benefit"]
    assert loose == pytest.approx(tight, rel=0.5)


def test_explain_json():
    r = run("explain", CLIMATE, "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["status"] == "optimal" and data["constraints"] and data["diagnosis"] is None
    r = run("explain", NO_DEAL, "--format", "json")
    assert r.exit_code == 3
    d = json.loads(r.stdout)["diagnosis"]
    assert d["relaxations"][0]["words"].startswith("lower seller's reservation from 0.7 to 0.4")


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and negotiate.__version__ in r.output


@pytest.mark.parametrize("code", ["import negotiate.cli", "import negotiate"])
def test_heavy_modules_are_not_imported_at_start(code):
    probe = f"{code}; import sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_help_does_not_import_heavy_modules():
    probe = ("import sys, runpy; sys.argv = ['negotiate', '--help']\n"
             "try:\n    runpy.run_module('negotiate', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', [m for m in {HEAVY[:-1]!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=60)
    assert "LOADED []" in out.stdout, out.stdout + out.stderr


def _modules_after_validate(case: str) -> str:
    probe = (f"import sys, runpy; sys.argv = ['negotiate', 'validate', {case!r}]\n"
             "try:\n    runpy.run_module('negotiate', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', [m for m in {HEAVY + ('scipy',)!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=60, check=False)
    assert "ok  cases/" in out.stdout, out.stdout + out.stderr
    return out.stdout


@pytest.mark.parametrize("case", ["cases/bilateral_fta.yaml", "cases/eu_mercosur_ratification.yaml"])
def test_validate_does_not_import_numpy_or_solvers(case):
    """Cases whose curves are `points`: numpy is imported only when a curve is used (solving)."""
    assert "LOADED ['pydantic']" in _modules_after_validate(case)


def test_validate_samples_function_curves_without_numpy():
    """A `function` curve of + - * / min max sqrt and squares is sampled on plain floats at
    validation (the same floats as numpy's: tests/test_startup.py)."""
    assert "LOADED ['pydantic']" in _modules_after_validate("cases/climate_club.yaml")


def test_points_curves_become_numpy_arrays_when_used():
    import numpy as np

    from negotiate.case.resolve import resolve

    case = negotiate.load_case(ROOT / "cases" / "bilateral_fta.yaml")
    resolved = resolve(case)
    middle = {v.key: (v.lb + v.ub) / 2 for v in resolved.variables}
    curves = [c for p in case.parties for c in resolved.criteria[p] if c.xs is not None]
    assert curves
    for c in curves:
        assert isinstance(c.xs, np.ndarray) and c.xs.dtype == float and c.xs is c.xs
        assert c.xs.tolist() == list(c.x_points) and c.ys.tolist() == list(c.y_points)
        assert c.score(middle) == float(np.interp(c.lin.value(middle), c.xs, c.ys))


def test_compare_stays_the_function_after_its_module_is_imported():
    import negotiate.compare  # noqa: F401  (the submodule)

    assert callable(negotiate.compare) and negotiate.compare.__name__ == "compare"


def test_short_reprs():
    case = negotiate.load_case(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
    assert len(repr(case)) < 300 and "27 parties" in repr(case) and str(case) == repr(case)
    n = negotiate.Negotiation(case)
    n.set("parameters.target", 42)
    n.drop_party("MT")
    text = repr(n)
    assert len(text) < 300 and "parameters.target" in text and "dropped: MT" in text


def test_proposal_notebook_view():
    p = negotiate.solve(CLIMATE)
    html = p._repr_html_()
    assert "Agreement" in html and "mrv" in html and "Binding red lines" in html
    for party in p.parties:
        assert f">{party}<" in html
    q = negotiate.solve(NO_DEAL)
    html = q._repr_html_()
    assert "No agreement" in html and "smallest concessions" in html and "Equally small alternatives" in html
