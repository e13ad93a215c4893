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


def presolve_at_run(b) -> list[str]:
    """The presolve option as each HiGHS run of `b` saw it."""
    seen, run = [], b.h.run

    def recorded():
        seen.append(b.h.getOptionValue("presolve")[1])
        return run()

    b.h.run = recorded
    return seen


def bare_utilitarian(presolve: str | None = None, parties: tuple[str, ...] = ("A", "B")):
    """The two-party LP maximising the utilities of `parties` (both: utilitarian; one: an ideal)."""
    problem = compile_case(validate_data({
        "name": "Two issues",
        "issues": {"cut": {"range": [0, 100]}, "aid": {"range": [0, 10]}},
        "parties": {"A": {"criteria": {"cut": {"of": "cut", "weight": 1, "points": [[0, 0], [50, 1], [100, 1.2]]}}},
                    "B": {"criteria": {"cut": {"of": "cut", "weight": 1, "points": [[0, 1], [100, 0]]},
                                       "aid": {"of": "aid", "weight": 1, "points": [[0, 0], [10, 1]]}}}},
    }))
    b = make_backend(problem, "highs", None)
    if presolve is not None:
        b.h.setOptionValue("presolve", presolve)
    b.set_objective({problem.utility_col[p]: 1.0 for p in parties})
    return problem, b


def test_a_cold_lp_of_the_compiled_model_runs_without_presolve_and_gives_the_option_back():
    """backends.highs.COLD_SIMPLEX_PRESOLVE: a cold solve of the compiled model alone (an ideal's;
    the utilitarian LP's starts from negotiate.start's basis instead); hot re-solves and
    models with helper rows keep HiGHS's default, and a caller's own setting is kept."""
    problem, b = bare_utilitarian(parties=("B",))
    seen = presolve_at_run(b)
    cold = b.solve()
    assert seen == ["off"] and b.h.getOptionValue("presolve")[1] == "choose"
    b.set_col_bounds(problem.col_index["aid"], 0, 5)
    b.solve()
    assert seen == ["off", "choose"]  # hot: HiGHS starts from the basis
    _, with_presolve = bare_utilitarian("on", parties=("B",))
    assert with_presolve.solve().objective == pytest.approx(cold.objective, rel=1e-12)
    problem, helped = bare_utilitarian(parties=("B",))
    (t,) = helped.add_cols([-INF], [INF], ["level"])
    helped.add_rows([({t: 1.0, problem.utility_col["A"]: -1.0}, -INF, 0.0, "row")])
    helped.set_objective({t: 1.0})
    seen = presolve_at_run(helped)
    helped.solve()
    assert seen == ["choose"]
