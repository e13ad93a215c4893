"""The README's EU table shows what the code computes (within the table's rounding).

Regenerate it with `PYTHONPATH=. python benchmarks/eu_table.py --write`.
"""

import importlib.util

from conftest import ROOT


def _generator():
    spec = importlib.util.spec_from_file_location("eu_table", ROOT / "benchmarks" / "eu_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(markdown: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in markdown.strip().splitlines()]


def _close(shown: str, computed: str) -> bool:
    try:
        a, b = float(shown), float(computed)
    except ValueError:
        return shown == computed
    digits = len(computed.split(".")[1]) if "." in computed else 0
    return abs(a - b) <= 0.51 * 10 ** -digits + 1e-12


def test_readme_eu_table_matches_the_code():
    gen = _generator()
    text = (ROOT / "README.md").read_text()
    start, end = text.index(gen.START) + len(gen.START), text.index(gen.END)
    shown, computed = _cells(text[start:end]), _cells(gen.table())
    assert len(shown) == len(computed) and shown[0] == computed[0], "run benchmarks/eu_table.py --write"
    for row_shown, row_computed in zip(shown[2:], computed[2:]):
        assert row_shown[0] == row_computed[0]
        for col, (a, b) in enumerate(zip(row_shown, row_computed)):
            assert _close(a, b), f"{row_shown[0]} / {shown[0][col]}: README {a}, code {b}"
