"""Bad input: every problem located, all at once, never a traceback, fast.

Golden files hold the exact messages (set NEGOTIATE_UPDATE_GOLDEN=1 to rewrite
them after a deliberate change, then review the diff).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import negotiate
from conftest import ROOT
from negotiate.errors import CaseError

BAD = sorted((ROOT / "tests" / "data" / "bad").iterdir())
GOLDEN = ROOT / "tests" / "golden"


def problems_text(path: Path) -> str:
    rel = path.relative_to(ROOT)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with pytest.raises(CaseError) as info:
            negotiate.load_case(rel)
    finally:
        os.chdir(cwd)
    return "\n".join(str(p) for p in info.value.problems) + "\n"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_golden_messages(path):
    start = time.perf_counter()
    text = problems_text(path)
    assert time.perf_counter() - start < 5, "bad input must be rejected quickly"
    golden = GOLDEN / (path.name + ".txt")
    if os.environ.get("NEGOTIATE_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(text)
    assert text == golden.read_text()


def test_many_errors_reported_at_once():
    text = problems_text(ROOT / "tests" / "data" / "bad" / "many_errors.yaml")
    for needle in ("untis", "did you mean `weight`", "levl", "not linear", "hihg", "strictly increasing",
                   "finite number"):
        assert needle in text


def test_every_problem_is_located():
    for path in BAD:
        for line in problems_text(path).splitlines():
            if line.startswith("    hint"):
                continue
            assert line.startswith("tests/data/bad/" + path.name), line
    text = problems_text(ROOT / "tests" / "data" / "bad" / "semantic.yaml")
    assert "semantic.yaml:13:8: constraints.cap: unknown name `levl`" in text


def test_missing_file():
    with pytest.raises(CaseError) as info:
        negotiate.load_case("no/such/case.yaml")
    assert "file not found" in str(info.value)


@pytest.mark.parametrize("name", ["alias_bomb.yaml", "deep.yaml", "many_errors.yaml", "bad.toml"])
def test_cli_exit_1_without_traceback(name):
    path = ROOT / "tests" / "data" / "bad" / name
    run = subprocess.run([sys.executable, "-m", "negotiate", "solve", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert name in run.stderr
