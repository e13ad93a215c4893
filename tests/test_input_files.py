"""Files and CLI arguments that are not what they should be are refused cleanly, before solving.

- a FIFO or a device as the case file is refused at once (it used to hang, or
  read /dev/zero until memory ran out); a file beyond the size cap is refused
  while reading;
- `model:` reads only shipped models, files under the case's own folder and
  the folders the user names (--model-path, $NEGOTIATE_MODEL_PATH); a file
  that is not a model is refused without quoting any of it;
- an unwritable --output or --report, `--set` into a single value and a
  non-finite --sweep are usage or case errors, not internal errors.
"""

import os
import signal
import time

import pytest
from typer.testing import CliRunner

import negotiate
from conftest import ROOT
from negotiate.case import read as read_module
from negotiate.cli import app
from negotiate.errors import CaseError

BILATERAL = str(ROOT / "cases" / "bilateral_fta.yaml")
EU = str(ROOT / "cases" / "eu_effort_sharing_2030.yaml")
SECRET = "root:x:0:0:secret-line"
MODEL = """\
issues:
  price: {range: [0, 100]}
every_party:
  criteria:
    gain: {of: price, points: [[0, 0], [100, 1]]}
"""


def run(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


def refused(path, **kwargs) -> str:
    with pytest.raises(CaseError) as info:
        negotiate.load_case(path, **kwargs)
    return str(info.value)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    signal.alarm(10)  # the old code blocked here forever
    try:
        assert "not a regular file" in refused(fifo)
    finally:
        signal.alarm(0)


def test_a_device_is_not_read():
    t0 = time.perf_counter()
    assert "not a regular file" in refused("/dev/zero")
    assert time.perf_counter() - t0 < 1.0


def test_the_size_cap_holds_while_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" + "# padding\n" * 1000)
    monkeypatch.setattr(read_module, "MAX_FILE_BYTES", 1000)
    assert "larger than" in refused(big)


def case_with_model(folder, ref):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "case.yaml"
    path.write_text(f"name: t\nmodel: {ref}\nparties:\n  EU: {{}}\n  USA: {{}}\n")
    return path


def test_model_paths_outside_the_allowed_folders_are_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "model.yaml").write_text(MODEL)
    case = case_with_model(tmp_path / "cases", "../elsewhere/model.yaml")
    text = refused(case)
    assert "outside the folders models are read from" in text and "--model-path" in text
    case = case_with_model(tmp_path / "cases2", str(outside / "model.yaml"))
    assert "outside the folders" in refused(case)
    (tmp_path / "cases3").mkdir()
    os.symlink(outside / "model.yaml", tmp_path / "cases3" / "link.yaml")
    assert "outside the folders" in refused(case_with_model(tmp_path / "cases3", "link.yaml"))
    assert "YAML, JSON or TOML" in refused(case_with_model(tmp_path / "cases4", "../../../../etc/passwd"))


def test_models_in_the_cases_folder_and_named_folders_are_read(tmp_path, monkeypatch):
    (tmp_path / "cases" / "models").mkdir(parents=True)
    (tmp_path / "cases" / "models" / "mine.yaml").write_text(MODEL)
    assert negotiate.load_case(case_with_model(tmp_path / "cases", "models/mine.yaml")).parties
    own = tmp_path / "own"
    own.mkdir()
    (own / "mine.yaml").write_text(MODEL)
    case = case_with_model(tmp_path / "other", str(own / "mine.yaml"))
    assert "outside the folders" in refused(case)
    assert negotiate.load_case(case, model_path=[own]).parties
    assert negotiate.load_case(case_with_model(tmp_path / "named", "mine"), model_path=[own]).parties
    monkeypatch.setenv("NEGOTIATE_MODEL_PATH", str(own))
    assert negotiate.load_case(case).parties
    monkeypatch.delenv("NEGOTIATE_MODEL_PATH")
    r = run("--model-path", str(own), "validate", str(case))
    assert r.exit_code == 0, r.output


def test_a_file_that_is_not_a_model_is_not_quoted(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "notes.yaml").write_text(f"{SECRET}\nanother: line\n")
    (tmp_path / "cases" / "table.yaml").write_text(f"{SECRET}: 1\nother: 2\n")
    for name in ("notes.yaml", "table.yaml"):
        text = refused(case_with_model(tmp_path / "cases", name))
        assert "is not a negotiation model" in text
        assert "secret" not in text and "other" not in text


def test_unwritable_outputs_are_usage_errors_before_solving(tmp_path, monkeypatch):
    import negotiate.solving

    def no_solving(*args, **kwargs):
        raise AssertionError("solved before checking the output")

    monkeypatch.setattr(negotiate, "solve", no_solving)
    for args in (("solve", BILATERAL, "-o", str(tmp_path / "missing" / "x.json")),
                 ("solve", BILATERAL, "-o", str(tmp_path)),
                 ("compare", BILATERAL, "--report", str(tmp_path / "missing" / "r.html")),
                 ("compare", BILATERAL, "-o", str(tmp_path / "missing" / "t.csv"))):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert "usage error" in r.output and "internal error" not in r.output


def test_update_into_a_single_value_is_a_located_error():
    case = negotiate.load_case(BILATERAL)
    with pytest.raises(CaseError) as info:  # a bare KeyError before
        case.update({"parties.EU.reservation.x": 1})
    assert info.value.problems[0].path == "parties.EU.reservation.x"


def test_set_into_a_single_value_is_a_located_error():
    r = run("solve", BILATERAL, "--set", "parties.EU.reservation.x=1")
    assert r.exit_code == 1, r.output
    assert "parties.EU.reservation.x" in r.output and "single value" in r.output


@pytest.mark.parametrize("spec", ["nan:40:5", "30:nan:5", "30:40:inf", "30:1e400:1", "-1e308:1e308:1e-300"])
def test_non_finite_sweeps_are_usage_errors(spec):
    r = run("solve", EU, "--sweep", f"parameters.target={spec}")
    assert r.exit_code == 2, r.output
    assert "finite" in r.output
