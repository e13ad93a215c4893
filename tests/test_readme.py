"""Every snippet of the README runs, as a user would run it from a clone.

- shell lines (```bash): each `negotiate ...` command through the CLI, in a
  scratch folder that sees the shipped cases (exit 0 expected); install lines
  must install from the clone, not from a package index;
- console sessions (```console): the command runs and prints the lines shown
  (up to the `...` that ends an excerpt), at 80 columns;
- Python blocks: each one as a script, in a fresh subprocess (so a process
  pool really spawns workers that import the script);
- the YAML case solves; every key of the JSON example is in the real result.
"""

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.S | re.M)
# Lines that cannot run here, and why (each is still checked to be a negotiate command)
NOT_RUN = {"--scheduler tcp://scheduler:8786": "needs a Dask scheduler at that address"}


def blocks(lang: str) -> list[str]:
    return [body for kind, body in BLOCKS if kind == lang]


def shell_lines() -> list[str]:
    out = []
    for body in blocks("bash"):
        for line in body.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            for part in line.split("&&"):
                if part.strip():
                    out.append(part.strip())
    return out


@pytest.fixture
def clone(tmp_path):
    """A scratch folder where `cases/`, `tests/` and `models/` are those of the clone."""
    for name in ("cases", "tests", "models"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def run(command: str, cwd, columns: int = 80, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS=str(columns), NEGOTIATE_DEBUG="1")
    cmd = command.replace("negotiate ", f"{shlex.quote(sys.executable)} -m negotiate ", 1)
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_install_lines_work_from_a_clone():
    installs = [line for line in shell_lines() if line.startswith("pip install")]
    installs += re.findall(r"pip install ['\"][^'\"]*['\"]|pip install \S+", README)
    assert installs
    for line in installs:
        assert "negotiate-optimizer" not in line, f"not on any index: {line}"
        target = shlex.split(line)[2]
        assert target.startswith("."), line  # the clone itself, with extras: ".[dask]"


COMMANDS = [line for line in shell_lines() if line.startswith("negotiate ")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[:60])
def test_shell_command_runs(command, clone):
    skip = next((why for key, why in NOT_RUN.items() if key in command), None)
    if skip:
        pytest.skip(skip)
    result = run(command, clone)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


CONSOLE = [body for body in blocks("console")]


@pytest.mark.parametrize("body", CONSOLE, ids=lambda b: b.splitlines()[0][2:62])
def test_console_output_is_what_the_command_prints(body, clone):
    lines = body.rstrip("\n").splitlines()
    command = lines[0][2:]
    shown = []
    for line in lines[1:]:
        if line.strip() == "...":
            break
        shown.append(line.rstrip())
    result = run(command, clone)
    printed = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
    assert printed[:len(shown)] == shown, "\n".join(printed[:len(shown) + 3])


PYTHON = blocks("python")


@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_python_block_runs_as_a_script(index, clone):
    if "negmas" in PYTHON[index]:  # the optional extra (not in [test]: NegMAS ships a `negotiate` command too)
        pytest.importorskip("negmas")
    script = clone / f"snippet_{index}.py"
    script.write_text(PYTHON[index])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(script)], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"{PYTHON[index]}\n{result.stderr[-3000:]}"


def test_the_workers_snippet_needs_its_guard(clone):
    """Without `if __name__ == "__main__":` the pool cannot start: compare raises, it does not return error rows."""
    body = next(b for b in PYTHON if "workers=2" in b)
    unguarded = re.sub(r'^if __name__ == "__main__":.*\n', "", body, flags=re.M)
    unguarded = "\n".join(line[4:] if line.startswith("    ") else line for line in unguarded.splitlines())
    script = clone / "unguarded.py"
    script.write_text(unguarded)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(script)], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode != 0
    assert "WorkerError" in result.stderr and "__main__" in result.stderr


def test_yaml_case_solves(clone):
    body = next(b for b in blocks("yaml") if "parties:" in b)
    (clone / "minimal.yaml").write_text(body)
    result = run("negotiate solve minimal.yaml", clone)
    assert result.returncode == 0, result.stderr


def test_json_example_keys_are_in_the_result(clone):
    body = next(b for b in blocks("json") if '"agreement"' in b)
    result = run("negotiate solve cases/climate_club.yaml --format json", clone)
    data = json.loads(result.stdout)

    def keys(node) -> set:
        if isinstance(node, dict):
            return set(node) | {k for v in node.values() for k in keys(v)}
        if isinstance(node, list):
            return {k for v in node for k in keys(v)}
        return set()

    shown = set(re.findall(r'"(\w+)":', body))
    assert shown <= keys(data), shown - keys(data)
