"""Every class of bad input found by fuzzing (issue 8) is a located CaseError.

Each row failed on the old code with an internal error (OverflowError,
TypeError, ZeroDivisionError, KeyError), a shifted quote, or a NaN that
passed validation and failed in the solver.
"""

import pytest

from negotiate.case.load import validate_data
from negotiate.errors import CaseError
from test_fuzz import place

ROWS = [
    ("limit", "price <= " + "9" * 400, "beyond the range of floating-point numbers"),
    ("weight", "1" + "0" * 400, "beyond the range of floating-point numbers"),
    ("function", "x * " + "9" * 400, "beyond the range of floating-point numbers"),
    ("limit", "-std <= 1", "discrete issue needs an option"),
    ("of", "-std", "discrete issue needs an option"),
    ("limit", "sum(level) <= 1", "discrete issue needs an option"),
    ("limit", "level * 2 <= 1", "discrete issue needs an option"),
    ("limit", "-level[A] <= 1", "discrete issue needs an option"),
    ("limit", "price <= mean(data.row[B])", "mean() of an empty vector"),
    ("limit", "(data.row[self] * 2)[A] <= 1", "no value for `A`"),
    ("limit", "price <= 1e999 - 1e999", "beyond the range of floating-point numbers"),
    ("constraint", "price * 1e300 * 1e300 <= 5", "no finite value"),
    ("constraint", "price <= 10 ** 99 * 10 ** 99 * 10 ** 99 * 10 ** 99", "no finite value"),
    ("over", "1e308", "beyond what the solver can represent"),  # compiled to NaN row bounds before
]


@pytest.mark.parametrize("where, text, message", ROWS, ids=[f"{w}:{t[:20]}" for w, t, _ in ROWS])
def test_bad_expression_is_a_located_case_error(where, text, message):
    with pytest.raises(CaseError) as info:
        validate_data(place(where, text))
    problem = info.value.problems[0]
    assert message in problem.message
    assert problem.path.startswith(("parties.A", "constraints.x"))


@pytest.mark.parametrize("text, part", [("  price <= foo", "foo"), ("  prïce <= 5", "prïce"),
                                        (" é <= price", "é")])
def test_leading_space_quotes_the_right_part(text, part):
    with pytest.raises(CaseError) as info:
        validate_data(place("limit", text))
    message = info.value.problems[0].message
    assert f"`{part}`" in message
    assert "`= f`" not in message and "`  pr" not in message
