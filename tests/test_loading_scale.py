"""Loading at scale: the C parser on valid files, positions only for problems,
resolve linear in parties, the alias guard counting alias expansions only.

The fast reader is checked against ruamel (an independent YAML 1.2 reader):
the same data on the shipped cases and on scalars where YAML 1.1 and 1.2
disagree; error positions are checked by the golden files (tests/golden).
"""

import sys
from pathlib import Path

import pytest

import negotiate
from conftest import ROOT
from negotiate.case import expr
from negotiate.case import read as load_mod
from negotiate.case.fast_yaml import fast_load
from negotiate.case.read import _read_yaml_located, parse_document, read_document
from negotiate.case.resolve import _resolve
from negotiate.case.schema import Case
from negotiate.errors import CaseError

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import make_case  # noqa: E402

SHIPPED = sorted((ROOT / "cases").glob("*.yaml"))
TRICKY = ["yes", "no", "on", "off", "y", "n", "010", "0o10", "0x1F", "0b11", "1_000", "1e5", "1E5", "1.5e3",
          "-1.5e-3", ".inf", "-.inf", ".nan", "1:30", "2024-01-01", "~", "null", "NULL", "true", "True", "FALSE",
          "+1", "-0", "0.", "-.5", ".5", "=", "0", "00", "1.", "12e", "'12'", '"yes"', "!!str 12", "!!float 3",
          "abc", "1e+5", "inf", "1,000"]


def ruamel_data(text):
    return _read_yaml_located(text, "x")[0]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_fast_reader_gives_ruamels_data_on_shipped_cases(path):
    text = path.read_text()
    fast = fast_load(text)
    assert fast is not None, "a plain case file is read by the C parser"
    assert fast == ruamel_data(text)


@pytest.mark.parametrize("scalar", TRICKY)
def test_fast_reader_resolves_scalars_as_yaml_1_2(scalar):
    for doc in (f"k: {scalar}\n", f"k: [{scalar}, 1]\n", f"{scalar}: 1\n"):
        fast = fast_load(doc)
        if fast is not None:  # None: ruamel reads it (the caller falls back)
            assert repr(fast) == repr(ruamel_data(doc)), doc
    assert repr(parse_document(f"name: {scalar}\n")[0]) == repr(ruamel_data(f"name: {scalar}\n"))


@pytest.mark.parametrize("doc", ["a: 1\na: 2\n", "a: &x [*x]\n", "a: {<<: {b: 1}}\nb: 2\n", "a: &x {b: *x}\n",
                                 "a: 1\n---\nb: 2\n", "a: [1\n", "%YAML 1.1\n---\na: yes\n", "1: a\n",
                                 "a: &x {1: b}\nc: *x\n", "a: &x [1, 1]\nb: {<<: {c: 1}, d: *x}\n"])
def test_documents_the_fast_reader_leaves_to_ruamel(doc):
    assert fast_load(doc) is None


@pytest.mark.parametrize("doc", ["a: &x [1]\nb: *x\n", "a: &x {b: [1, yes, 1e3]}\nc: [*x, *x]\n",
                                 "a: &x on\nb: *x\n", "a: &x\n  b: &y [1.5, ~]\nc: *y\nd: *x\n"])
def test_aliases_are_expanded_as_ruamel_expands_them(doc):
    """Case files share criteria by anchors (the EU-Mercosur case): the C parser reads them."""
    fast = fast_load(doc, 100)
    assert fast is not None and repr(fast) == repr(ruamel_data(doc))


def test_positions_are_read_only_when_a_problem_needs_them(tmp_path):
    src = (ROOT / "cases" / "bilateral_fta.yaml").read_text()
    data, source = parse_document(src, "f.yaml")
    assert "positions" not in vars(source)  # nothing located yet
    assert source.locate(("parties", "EU", "reservation")).line == _read_yaml_located(src, "f.yaml")[1].locate(
        ("parties", "EU", "reservation")).line
    bad = tmp_path / "bad.yaml"
    bad.write_text(src.replace("reservation: 0.45", "reservation: high"))
    with pytest.raises(CaseError) as e:
        negotiate.load_case(bad)
    problem = e.value.problems[0]
    line = 1 + src[:src.index("reservation: 0.45")].count("\n")
    assert (problem.location.line, problem.path) == (line, "parties.EU.reservation")


def test_alias_guard_counts_alias_expansions_only(tmp_path, monkeypatch):
    """More values than the guard's budget load when no alias expands; a bomb within it does not."""
    monkeypatch.setattr(load_mod, "MAX_NODES", 300)
    big = "\n".join(f"k{i}: [{i}, {i + 1}]" for i in range(400)) + "\n"
    data, _ = load_mod._read_yaml_located(big, "big.yaml")  # the ruamel reader: 1,200 values, no alias
    assert len(data) == 400
    bomb = "a: &a [1, 2, 3, 4, 5, 6, 7, 8]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]\n"
    with pytest.raises(CaseError, match="expands to more than 300 values"):
        parse_document(bomb, "bomb.yaml")
    small = "a: &a [1, 2]\nb: *a\n"
    assert parse_document(small, "ok.yaml")[0] == {"a": [1, 2], "b": [1, 2]}


def own_case(n: int) -> dict:
    """Per-party criteria on `issue[self]` only: nothing in it is inherently quadratic."""
    parties = {f"P{i}": {"reservation": 0.1, "data": {"s": 0.5},
                         "criteria": {f"c{k}": {"of": "cut[self] / 2 + data.s[self] * price", "points": [[0, 0], [100, 1]]}
                                      for k in range(3)},
                         "limits": {"cap": "cut[self] <= 80"}} for i in range(n)}
    return {"name": f"own {n}", "issues": {"cut": {"per_party": True, "range": [0, 100]}, "price": {"range": [0, 1]}},
            "parties": parties}


def test_resolve_is_linear_in_parties(monkeypatch):
    """Vectors built while resolving grow linearly with parties (they grew quadratically)."""
    built = [0]
    init = expr.Vec.__init__

    def counting(self, items, *a, **k):
        built[0] += len(items)
        init(self, items, *a, **k)

    monkeypatch.setattr(expr.Vec, "__init__", counting)
    sizes = {}
    for n in (40, 160):
        built[0] = 0
        _resolve(Case.model_validate(own_case(n)))
        sizes[n] = built[0]
    assert sizes[160] <= 4.5 * max(sizes[40], 1)


def test_a_generated_case_loads_the_same_fast_or_located(tmp_path):
    import yaml

    path = tmp_path / "gen.yaml"
    path.write_text(yaml.safe_dump(make_case(12, n_criteria=4, n_points=4), default_flow_style=None))
    data, _ = read_document(path)
    assert data == ruamel_data(path.read_text())
    case = negotiate.load_case(path)
    assert len(case.parties) == 12


def test_an_alias_bomb_is_refused_by_the_fast_reader_in_milliseconds():
    import time

    from negotiate.case.fast_yaml import TOO_BIG

    text = (ROOT / "tests" / "data" / "bad" / "alias_bomb.yaml").read_text()
    t0 = time.perf_counter()
    assert fast_load(text, 500_000) is TOO_BIG
    assert time.perf_counter() - t0 < 1.0
    one_alias = "big: [" + ", ".join(str(i) for i in range(2000)) + "]\nsmall: &s [1, 2]\nagain: *s\n"
    assert fast_load(one_alias, 100) == ruamel_data(one_alias)  # 2,000 values but 2 made by an alias
    assert parse_document(one_alias)[0]["again"] == [1, 2]
