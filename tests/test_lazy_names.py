"""A compiled model's column names, row names and row infos, made only when first read
(`compile._Names`), against names written plainly from the maps back to the case.

Each column and row is named from what places it (var_col, shared_cols, curve_cols,
utility_col, case_rows, curve_rows, utility_row, reservation_row and the case itself), not
from the compiler's naming code; the lists must be those, of the same types, in every case
kind: shipped cases, generated ones (5, 20 and 60 parties, shared arguments at 60),
non-concave curves (binaries: `past` columns, `order` rows), two-level rows, and what-if
sessions whose Problems are made from the previous one (`recompile`) or rebuilt. A
utilitarian solve reads none of them, so makes none.
"""

from __future__ import annotations

import pickle

import pytest
from conftest import CASES
from test_compile_arrays import generated, mixed_case

import negotiate
import negotiate.compile as compile_module
from negotiate.case.load import validate_data
from negotiate.case.resolve import resolve
from negotiate.compile import RowInfo, compile_case
from negotiate.whatif import Negotiation


def nonconcave_case() -> dict:
    """test_compile_arrays's mixed case (its `bump` needs binaries) with a convex curve pushed
    up, a limit and a reservation."""
    data = mixed_case()
    data["parties"]["B"]["criteria"]["dip"] = {"of": "d[self]", "points": [[0, 1], [1, 0.2], [2, 0.1], [4, 0]]}
    data["parties"]["A"]["limits"] = {"low": "t <= 9"}
    data["parties"]["C"]["reservation"] = 0.1
    return data


def expected(problem) -> tuple[dict, dict]:
    """Column -> name and row -> (name, kind, case id, party), written from the maps."""
    r, case = problem.resolved, problem.case
    cols = {problem.var_col[v.key]: v.name for v in r.variables}
    cols.update({j: name for name, j in problem.shared_cols.items()})
    rows = {}
    at = 0
    for iid, issue in case.issues.items():  # one-hot choices come first, issue by issue
        for p in ((r.parties if issue.per_party else [None]) if issue.options is not None else []):
            name = f"issues.{iid}.choice" + (f"[{p}]" if p else "")
            rows[at] = (name, "choice", name, p)
            at += 1
    for name in problem.shared_cols:  # then each shared argument's defining row
        rows[at] = (name, "curve", name, None)
        at += 1
    for (p, cid), js in problem.curve_cols.items():
        base = f"parties.{p}.criteria.{cid}"
        fills = [j for j in js if not problem.col_int[j]]
        past = js[len(fills):]
        assert all(problem.col_int[j] for j in past)
        cols.update({j: f"{base}.fill{k}" for k, j in enumerate(fills)})
        cols.update({j: f"{base}.past{k}" for k, j in enumerate(past)})
        names = [f"{base}.position"] + [f"{base}.order{k}{s}" for k in range(len(past)) for s in "ab"]
        assert len(names) == len(problem.curve_rows[(p, cid)]) or not fills
        rows.update({i: (n, "curve", base, p) for i, n in zip(problem.curve_rows[(p, cid)], names)})
    for p in r.parties:
        u = f"parties.{p}.utility"
        cols[problem.utility_col[p]] = u
        rows[problem.utility_row[p]] = (u, "utility", u, p)
    for row in r.rows:
        rows[problem.case_rows[row.id]] = (row.id, row.kind, row.id, row.party)
    for p, i in problem.reservation_row.items():
        rows[i] = (f"parties.{p}.reservation", "reservation", f"parties.{p}.reservation", p)
    return cols, rows


def check(problem) -> None:
    cols, rows = expected(problem)
    names, row_names, info = problem.col_names, problem.row_names, problem.row_info
    assert type(names) is list and type(row_names) is list and type(info) is list
    assert len(names) == problem.n_cols == len(problem.col_lb)
    assert len(row_names) == len(info) == problem.n_rows == len(problem.row_lo)
    assert all(type(n) is str for n in names + row_names) and all(type(i) is RowInfo for i in info)
    if not problem.twolevel:  # (two-level rows and columns are named by formulation.ratification)
        assert sorted(cols) == list(range(problem.n_cols)) and sorted(rows) == list(range(problem.n_rows))
    assert {j: names[j] for j in cols} == cols
    assert {i: (row_names[i], info[i].kind, info[i].case_id, info[i].party) for i in rows} == rows
    assert problem.col_index == {n: j for j, n in enumerate(names)}
    assert problem.row_index == {n: i for i, n in enumerate(row_names)}
    assert problem.col_names is names and problem.row_info is info  # made once


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shipped_cases_name_every_column_and_row(path):
    check(compile_case(negotiate.load_case(path)))


@pytest.mark.parametrize("parties", [5, 20, 60])
def test_generated_cases_name_every_column_and_row(parties):
    problem = compile_case(validate_data(generated(parties, 30, 10)))
    assert bool(problem.shared_cols) == (parties == 60)  # a shared argument's column and row at 60
    check(problem)


def test_nonconcave_curves_name_their_binaries_and_order_rows():
    problem = compile_case(validate_data(nonconcave_case()))
    assert problem.is_mip and len(problem.nonconcave) == 2
    check(problem)
    assert "parties.B.criteria.dip.past1" in problem.col_index
    assert "parties.A.criteria.bump.order0b" in problem.row_index


def test_a_compile_and_a_utilitarian_solve_make_no_names(monkeypatch):
    case = validate_data(generated(5, 30, 10))
    problem = compile_case(case)
    assert problem._col_names._made is None and problem._row_info._made is None

    def refused(*args):
        raise AssertionError("names made")

    monkeypatch.setattr(compile_module, "_section_labels", refused)
    assert negotiate.solve(validate_data(generated(5, 30, 10)), "utilitarian").status == "optimal"


def test_a_solve_keeps_no_tuple_per_criterion_on_the_case():
    """The section a resolved case keeps holds its criteria's ids; their (party, criterion) keys
    are made when read, and are the case's criteria in order."""
    case = validate_data(generated(5, 30, 10))
    assert negotiate.solve(case, "utilitarian").status == "optimal"
    resolved = resolve(case)
    sec = compile_module.kept_section(resolved)
    assert "keys" not in sec.__dict__
    assert sec.keys == [(p, c.id) for p in resolved.parties for c in resolved.criteria[p]]


def test_a_what_if_problem_shares_the_names_it_keeps_and_names_what_it_rebuilds():
    n = Negotiation(validate_data(nonconcave_case()))
    first = n.problem
    n.set("parties.C.reservation", 0.2)  # the same shape: made from the previous Problem
    assert n.recompiled == 1
    assert n.problem.col_names is first.col_names and n.problem.row_info is first.row_info
    assert n.problem.col_index is first.col_index
    check(n.problem)
    n.set("parties.A.criteria.bump.points", [[0, 0], [5, 0.5], [10, 1]])  # concave: its binaries go
    check(n.problem)
    assert "parties.A.criteria.bump.past0" not in n.problem.col_index
    cold = compile_case(n.case)
    assert (n.problem.col_names, n.problem.row_names) == (cold.col_names, cold.row_names)
    n.set("parties.A.limits.high", "t >= 1", create=True)  # a new row
    check(n.problem)
    assert n.problem.row_names == compile_case(n.case).row_names


def test_a_pickled_problem_keeps_its_names():
    problem = compile_case(validate_data(nonconcave_case()))
    copy = pickle.loads(pickle.dumps(problem))
    assert copy.col_names == problem.col_names and copy.row_names == problem.row_names
    assert [(i.kind, i.case_id, i.party) for i in copy.row_info] == [(i.kind, i.case_id, i.party)
                                                                      for i in problem.row_info]
