"""Fuzzers: bad input is a located CaseError, never an internal error.

Hypothesis writes expressions from the language's own pieces (names, data,
functions, operators, odd numbers, non-ASCII text, stray spaces) into every
place a case takes an expression, and mutates the shipped cases' documents
(values replaced, keys dropped or renamed, types changed). Loading must give
a Case or raise CaseError; a loaded case must compile to finite numbers.
Fast by default; `-m slow` runs a bigger profile.
"""

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import CASES
from negotiate.case.load import read_document, validate_data
from negotiate.compile import compile_case
from negotiate.errors import CaseError

FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
SLOW = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))

BASE = {
    "name": "fuzz",
    "parameters": {"k": 2.0},
    "issues": {"price": {"range": [0, 100]}, "cut": {"range": [0, 50], "per_party": True},
               "std": {"options": ["low", "high"]}, "level": {"options": ["a", "b"], "per_party": True}},
    "parties": {
        "A": {"data": {"g": 1.0, "row": {"B": 2.0}}, "criteria": {"c": {"of": "price", "points": [[0, 0], [100, 1]]}}},
        "B": {"data": {"g": 2.0, "row": {}}, "criteria": {"c": {"of": "cut[self]", "points": [[0, 1], [50, 0]]}}},
    },
}

ATOMS = st.sampled_from([
    "price", "cut", "std", "level", "std[low]", "level[a]", "cut[self]", "cut[A]", "cut[C]", "data.g", "data.row",
    "data.row[self]", "data.row[A]", "data.g[self]", "data.nope", "k", "x", "self", "A", "B", "data", "low",
    "0", "1", "-0.0", "2.5", "1e308", "1e999", "9" * 400, "1e-320", "nan", "inf", "True", "'s'", "é", "ü[A]",
])
NUMBERS = st.floats(allow_nan=False, allow_infinity=False).map(repr) | st.integers().map(str)
FUNCS = st.sampled_from(["sum", "mean", "min", "max", "abs", "sqrt", "exp", "log", "len", "eval"])
BINOPS = st.sampled_from([" + ", " - ", " * ", " / ", " ** ", " % ", " @ ", "<=", ">=", "==", " < "])


def _expr(children):
    return st.one_of(
        st.tuples(children, BINOPS, children).map("".join),
        st.tuples(st.sampled_from(["-", "+", "not ", "~"]), children).map("".join),
        st.tuples(FUNCS, children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(FUNCS, children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(children, st.sampled_from(["A", "B", "C", "self", "low", "a"])).map(lambda t: f"({t[0]})[{t[1]}]"),
        children.map(lambda e: f"({e})"),
    )


EXPRESSIONS = st.recursive(ATOMS | NUMBERS, _expr, max_leaves=8)
PADDED = st.tuples(st.sampled_from(["", " ", "  ", "\t", " é "]), EXPRESSIONS,
                   st.sampled_from(["", " ", "é"])).map("".join)
PLACES = st.sampled_from(["limit", "of", "function", "constraint", "weight", "over", "range", "point"])


def place(where: str, text: str) -> dict:
    d = copy.deepcopy(BASE)
    crit = d["parties"]["A"]["criteria"]["c"]
    if where == "limit":
        d["parties"]["A"]["limits"] = {"l": text}
    elif where == "of":
        crit["of"] = text
    elif where == "function":
        d["parties"]["A"]["criteria"]["c"] = {"of": "price", "function": text, "over": [0, 100]}
    elif where == "constraint":
        d["constraints"] = {"x": text if any(op in text for op in "<>=") else f"{text} <= 1"}
    elif where == "weight":
        crit["weight"] = text
    elif where == "over":
        d["parties"]["A"]["criteria"]["c"] = {"of": "price", "function": "x", "over": [0, text]}
    elif where == "range":
        d["issues"]["price"]["range"] = [text, 100]
    else:
        crit["points"] = [[0, 0], [text, 1]]
    return d


def assert_only_case_errors(data: dict) -> None:
    try:
        case = validate_data(data)
        problem = compile_case(case)
    except CaseError as e:
        assert e.problems and all(str(p) for p in e.problems)
        return
    for arr in (problem.col_lb, problem.col_ub, problem.row_lo, problem.row_hi):
        assert not np.isnan(arr).any()
    assert np.isfinite(problem.values).all()
    assert all(math.isfinite(v) for v in problem.row_lo if v != -math.inf)


@FAST
@given(PLACES, PADDED)
@example("limit", "price <= " + "9" * 400)  # what fuzzing found before (issue 8): each was an internal error
@example("of", "-std")
@example("limit", "sum(level) <= 1")
@example("limit", "price <= mean(data.row[B])")
@example("limit", "(data.row[self] * 2)[A] <= 1")
@example("limit", "price <= 1e999 - 1e999")
def test_expressions_give_case_errors_only(where, text):
    assert_only_case_errors(place(where, text))


@pytest.mark.slow
@SLOW
@given(PLACES, PADDED)
def test_expressions_give_case_errors_only_long(where, text):
    assert_only_case_errors(place(where, text))


DOCUMENTS = [read_document(path)[0] for path in CASES]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), EXPRESSIONS,
                   st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def mutate(doc, picks):
    doc = copy.deepcopy(doc)
    for pick, action, value in picks:
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = paths[pick % len(paths)]
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        if action == "replace":
            parent[key] = value
        elif action == "drop":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[f"{key}_x"] = parent.pop(key)
        elif action == "wrap":
            parent[key] = [parent[key]]
    return doc


MUTATIONS = st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["replace", "drop", "rename", "wrap"]), VALUES),
                     min_size=1, max_size=3)


@FAST
@given(st.sampled_from(range(len(DOCUMENTS))), MUTATIONS)
def test_mutated_shipped_cases_give_case_errors_only(which, picks):
    assert_only_case_errors(mutate(DOCUMENTS[which], picks))


@pytest.mark.slow
@SLOW
@given(st.sampled_from(range(len(DOCUMENTS))), MUTATIONS)
def test_mutated_shipped_cases_give_case_errors_only_long(which, picks):
    assert_only_case_errors(mutate(DOCUMENTS[which], picks))


TEXTS = [(path.suffix, path.read_text()) for path in CASES]
EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 8),
                           st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#\n\t ,.0123456789eé\\x%")), max_size=6)),
                 min_size=1, max_size=4)


def edited(text: str, edits) -> str:
    for at, cut, insert in edits:
        i = at % (len(text) + 1)
        text = text[:i] + insert + text[i + cut:]
    return text


def assert_text_gives_case_errors_only(suffix: str, text: str) -> None:
    from negotiate.case.load import parse_document

    try:
        data, source = parse_document(text, "fuzz" + suffix, suffix)
    except CaseError:
        return
    assert_only_case_errors(data)


@FAST
@given(st.sampled_from(range(len(TEXTS))), EDITS)
def test_edited_case_files_give_case_errors_only(which, edits):
    suffix, text = TEXTS[which]
    assert_text_gives_case_errors_only(suffix, edited(text, edits))


@pytest.mark.slow
@SLOW
@given(st.sampled_from(range(len(TEXTS))), EDITS)
def test_edited_case_files_give_case_errors_only_long(which, edits):
    suffix, text = TEXTS[which]
    assert_text_gives_case_errors_only(suffix, edited(text, edits))
