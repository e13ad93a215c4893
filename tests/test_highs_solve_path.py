"""The HiGHS backend's solve path: what a solve leaves of the options it was given.

A solve that ends "infeasible or unbounded" is solved again to tell which; it used to set
presolve to HiGHS's default afterwards, so a backend whose owner had turned presolve off
(diagnose.conflicting_set's many small checks) ran its later solves with presolve on, and
the answer to that LP was "error" rather than "infeasible".
"""

from __future__ import annotations

import pytest

from negotiate.backends import make_backend
from negotiate.backends.base import INF
from negotiate.case.load import validate_data
from negotiate.compile import compile_case


def infeasible_and_unbounded(presolve: str):
    """An LP both infeasible (s + aid >= 1 and <= 0 with aid >= 0, s >= 0) and unbounded in t."""
    problem = compile_case(validate_data({
        "name": "Two issues",
        "issues": {"cut": {"range": [0, 100]}, "aid": {"range": [0, 10]}},
        "parties": {"A": {"criteria": {"cut": {"of": "cut", "weight": 1, "points": [[0, 0], [100, 1]]},
                                       "aid": {"of": "aid", "weight": 1, "points": [[0, 0], [10, 1]]}}}},
    }))
    b = make_backend(problem, "highs", None)
    b.h.setOptionValue("presolve", presolve)
    b.h.setOptionValue("allow_unbounded_or_infeasible", True)  # HiGHS then answers "infeasible or unbounded"
    t, s = b.add_cols([-INF, 0.0], [INF, INF], ["t", "s"])
    aid, cut = problem.col_index["aid"], problem.col_index["cut"]
    b.add_rows([({s: 1.0, aid: 1.0}, 1.0, INF, "a"), ({s: 1.0, aid: 1.0}, -INF, 0.0, "b"),
                ({t: 1.0, cut: 1.0}, 0.0, INF, "c")])
    b.set_objective({t: 1.0})
    return b


@pytest.mark.parametrize("presolve", ["off", "choose", "on"])
def test_infeasible_or_unbounded_is_told_apart_and_the_options_kept(presolve):
    b = infeasible_and_unbounded(presolve)
    assert b.solve().status == "infeasible"
    assert b.h.getOptionValue("presolve")[1] == presolve
    assert b.h.getOptionValue("allow_unbounded_or_infeasible")[1] is True
