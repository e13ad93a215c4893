"""The expression language: linear forms, vectors, indicators, and refusals."""

import numpy as np
import pytest

from negotiate.case import expr
from negotiate.case.expr import Env, ExprError, Lin


class Issue:
    def __init__(self, options=None, per_party=False):
        self.options, self.per_party = options, per_party


ENV = Env(
    parameters={"target": 0.35, "k": 2.0},
    issues={"cut": Issue(per_party=True), "std": Issue(options=["none", "full"]), "price": Issue()},
    parties=["A", "B"],
    data={"A": {"em": 3.0, "exp": {"A": 0.0, "B": 5.0}}, "B": {"em": 1.0, "exp": {"A": 2.0, "B": 0.0}}},
    self_party="A",
)


def terms(lin: Lin) -> dict:
    return {k: pytest.approx(v) for k, v in lin.terms.items() if v}


def test_weighted_sum_and_mean():
    lin = expr.linear("sum(data.em * cut) / sum(data.em)", ENV)
    assert terms(lin) == {("cut", "A", None): 0.75, ("cut", "B", None): 0.25}
    lin = expr.linear("mean(cut) - 2", ENV)
    assert terms(lin) == {("cut", "A", None): 0.5, ("cut", "B", None): 0.5} and lin.const == -2


def test_self_party_data_and_indicators():
    lin = expr.linear("k * cut[self] + data.em[B] * std[full] - price / 4", ENV)
    assert terms(lin) == {("cut", "A", None): 2.0, ("std", None, "full"): 1.0, ("price", None, None): -0.25}


def test_matrix_row_data():
    lin = expr.linear("sum(data.exp[self] * cut)", ENV)
    assert terms(lin) == {("cut", "B", None): 5.0}


def test_constraints_normalise_and_merge_chains():
    (row,) = expr.constraint("10 <= cut[A] + price <= 50", ENV)
    assert (row.lo, row.hi) == (10, 50)
    (row,) = expr.constraint("target * 100 >= cut[B]", ENV)
    assert terms(row.lin) == {("cut", "B", None): 1.0} and row.hi == pytest.approx(35)
    rows = expr.constraint("cut <= 60", ENV)
    assert [r.label for r in rows] == ["A", "B"]


@pytest.mark.parametrize("text,needle", [
    ("cut[A] * price <= 1", "not linear"),
    ("price / cut[A] <= 1", "constant divisor"),
    ("exp(price) <= 3", "not linear"),
    ("foo <= 1", "unknown name `foo`"),
    ("__import__('os').system('x') <= 1", "can be called"),
    ("__import__('os') <= 1", "unknown function"),
    ("price.real <= 1", "data as"),
    ("[price][0] <= 1", "not allowed"),
    ("lambda: 1", "must compare"),
    ("price < 1", "strict"),
    ("std <= 1", "needs an option"),
    ("std[medium] <= 1", "not an option"),
    ("cut[Z] <= 1", "unknown party"),
    ("price <= 10**10**10", "too large"),
    ("'text' <= 1", "only numbers"),
])
def test_refusals_quote_the_part(text, needle):
    with pytest.raises(ExprError) as info:
        expr.constraint(text, ENV)
    assert needle in str(info.value) + (info.value.hint or "")


def test_curves_are_sampled_with_guards():
    xs = np.linspace(0, 70, 15)
    assert expr.curve("min(1, x / 45)", xs, ENV) == pytest.approx(np.minimum(1, xs / 45))
    assert expr.curve("1 - (x / 70) ** 2", xs, ENV) == pytest.approx(1 - (xs / 70) ** 2)
    assert expr.curve("target", xs, ENV) == pytest.approx(np.full(15, 0.35))
    for bad in ("x ** x", "x ** 1000", "log(x - 100)", "y + 1", "x if x else 1"):
        with pytest.raises(ExprError):
            expr.curve(bad, xs, ENV)



@pytest.mark.parametrize("text, reference", [
    ("sqrt(2)", np.sqrt(2.0)), ("sqrt(0)", np.sqrt(0.0)), ("exp(1.5)", np.exp(1.5)), ("exp(-745)", np.exp(-745.0)),
    ("log(3)", np.log(3.0)), ("log(1e-300)", np.log(1e-300)), ("min(1, 2, -3)", np.minimum(np.minimum(1.0, 2.0), -3.0)),
    ("max(2, 5)", np.maximum(2.0, 5.0)), ("abs(-2.5)", np.abs(-2.5)),
    ("sqrt(2) * log(7) - exp(0.3)", np.sqrt(2.0) * np.log(7.0) - np.exp(0.3)),
])
def test_constant_functions_agree_with_numpy(text, reference):
    """Constants are computed without numpy where they can be (lazy import); numpy is the reference."""
    assert expr.constant(text, None) == float(reference)


@pytest.mark.parametrize("text", ["log(0)", "sqrt(-1)", "exp(1000)", "exp(1000) - exp(1000)",
                                  "min(exp(1000) - exp(1000), 1)", "1e308 * 10"])
def test_constant_without_a_finite_value_is_an_error_not_a_warning(text, recwarn):
    with pytest.raises(ExprError, match="no finite value"):
        expr.constant(text, None)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
