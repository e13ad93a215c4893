"""Cooperative-game solutions checked against independent computations: the
Aumann-Maschler bankruptcy games (published nucleoli), Shapley values by
enumerating every order of arrival, and the least core and nucleolus recomputed
with scipy's LP solver by a different sequential scheme."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import linprog

from negotiate.analysis.games import (
    Game, core_check, least_core, mask_of, members_of, nucleolus, shapley, shapley_sampled,
)


def bankruptcy(estate: float, claims: list[float]) -> Game:
    """v(S) = what S gets for sure: the estate less the others' claims, at least 0."""
    parties = tuple(f"c{int(c)}" for c in claims)
    total = sum(claims)
    return Game.from_function(parties, lambda S: max(0.0, estate - (total - sum(claims[parties.index(p)] for p in S))))


@pytest.mark.parametrize("estate, expected", [
    (100, (100 / 3, 100 / 3, 100 / 3)),
    (200, (50, 75, 75)),
    (300, (50, 100, 150)),
])
def test_nucleolus_of_the_talmud_bankruptcy_games(estate, expected):
    # Aumann and Maschler (1985): the Talmud's divisions are the nucleoli
    nuc = nucleolus(bankruptcy(estate, [100, 200, 300]))
    assert [nuc.allocation[p] for p in ("c100", "c200", "c300")] == pytest.approx(expected, abs=1e-7)


def random_game(rng, n: int, superadditive: bool = False) -> Game:
    parties = tuple("ABCDEFGH"[:n])
    if superadditive:
        # a sum of unanimity games with non-negative dividends is convex, hence superadditive
        worth = np.zeros(1 << n)
        for mask in range(1, 1 << n):
            d = rng.uniform(0, 1) if rng.uniform() < 0.5 else 0.0
            for sup in range(1, 1 << n):
                if sup & mask == mask:
                    worth[sup] += d
        return Game(parties, worth)
    return Game(parties, np.round(rng.uniform(-1, 3, 1 << n), 3))


def shapley_by_orders(game: Game) -> dict[str, float]:
    """Average marginal contribution over every one of the n! orders."""
    totals = dict.fromkeys(game.parties, 0.0)
    orders = list(itertools.permutations(game.parties))
    for order in orders:
        seen: list[str] = []
        for p in order:
            totals[p] += game.v(seen + [p]) - game.v(seen)
            seen.append(p)
    return {p: t / len(orders) for p, t in totals.items()}


@pytest.mark.parametrize("seed", range(8))
def test_shapley_equals_the_average_over_all_orders(seed):
    rng = np.random.default_rng(seed)
    game = random_game(rng, int(rng.integers(2, 6)))
    exact = shapley(game)
    brute = shapley_by_orders(game)
    assert exact == pytest.approx(brute, abs=1e-12)
    assert sum(exact.values()) == pytest.approx(game.grand)


def least_core_epsilon_scipy(game: Game) -> float:
    n = game.n
    A_ub, b_ub = [], []
    for mask in range(1, (1 << n) - 1):
        row = [-float(mask >> i & 1) for i in range(n)] + [-1.0]   # -x(S) - eps <= -v(S)
        A_ub.append(row)
        b_ub.append(-game.worth[mask])
    res = linprog(c=[0] * n + [1], A_ub=A_ub, b_ub=b_ub, A_eq=[[1] * n + [0]], b_eq=[game.grand],
                  bounds=[(None, None)] * (n + 1), method="highs")
    assert res.status == 0
    return res.fun


def nucleolus_scipy(game: Game) -> np.ndarray:
    """Kopelowitz's scheme: after each stage, test every tight coalition by an
    LP of its own (can its excess go below the level?) and fix exactly those
    that cannot; no duals involved. Prenucleolus (no individual rationality)."""
    n = game.n
    coalitions = list(range(1, (1 << n) - 1))
    char = {m: [float(m >> i & 1) for i in range(n)] for m in coalitions}
    fixed: dict[int, float] = {}
    eq_A, eq_b = [[1.0] * n], [game.grand]
    while len(fixed) < len(coalitions):
        free = [m for m in coalitions if m not in fixed]
        A_ub = [[-a for a in char[m]] + [-1.0] for m in free]
        b_ub = [-game.worth[m] for m in free]
        A_eq = [row + [0.0] for row in eq_A]
        res = linprog([0] * n + [1], A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=eq_b,
                      bounds=[(None, None)] * (n + 1), method="highs")
        eps = res.fun
        newly = []
        for m in free:
            # minimise the excess v(S) - x(S) of S with every free excess <= eps
            A2 = [[-a for a in char[k]] for k in free]
            b2 = [eps - game.worth[k] for k in free]
            r = linprog([-a for a in char[m]], A_ub=A2, b_ub=b2, A_eq=eq_A, b_eq=eq_b,
                        bounds=[(None, None)] * n, method="highs")
            lowest_excess = game.worth[m] + r.fun
            if lowest_excess >= eps - 1e-9:
                newly.append(m)
        for m in newly:
            fixed[m] = eps
            eq_A.append(char[m])
            eq_b.append(game.worth[m] - eps)
        if np.linalg.matrix_rank(np.array(eq_A)) == n:
            break
    return np.linalg.lstsq(np.array(eq_A), np.array(eq_b), rcond=None)[0]


@pytest.mark.parametrize("seed", range(10))
def test_prenucleolus_and_least_core_against_a_separate_lp_scheme(seed):
    rng = np.random.default_rng(100 + seed)
    game = random_game(rng, int(rng.integers(2, 6)))
    nuc = nucleolus(game, individually_rational=False)
    expected = nucleolus_scipy(game)
    assert [nuc.allocation[p] for p in game.parties] == pytest.approx(expected, abs=1e-7)
    lc = least_core(game)
    assert lc.epsilon == pytest.approx(least_core_epsilon_scipy(game), abs=1e-8)
    # the nucleolus lies in the least core
    check = core_check(game, lc.allocation)
    worst = max((b.excess for b in check.blocking), default=-math.inf)
    assert worst <= lc.epsilon + 1e-7


@pytest.mark.parametrize("seed", range(6))
def test_core_check_against_enumeration(seed):
    rng = np.random.default_rng(200 + seed)
    game = random_game(rng, 4, superadditive=bool(seed % 2))
    x = rng.uniform(0, 1, 4)
    x *= game.grand / x.sum() if game.grand else 1.0
    check = core_check(game, x, limit=100)
    brute = []
    for r in range(1, 4):
        for members in itertools.combinations(game.parties, r):
            excess = game.v(members) - sum(x[game.parties.index(p)] for p in members)
            if excess > 1e-7 * max(1, np.abs(game.worth).max()):
                brute.append((members, excess))
    assert sorted(b.members for b in check.blocking) == sorted(m for m, _ in brute)
    assert check.in_core == (not brute and abs(game.grand - x.sum()) < 1e-7)


def test_convex_games_have_the_shapley_value_in_the_core():
    # Shapley (1971): the core of a convex game contains its Shapley value
    rng = np.random.default_rng(7)
    for _ in range(5):
        game = random_game(rng, 5, superadditive=True)
        assert core_check(game, shapley(game)).in_core
        assert least_core(game).epsilon <= 1e-9


def test_sampled_shapley_covers_the_exact_value():
    rng = np.random.default_rng(3)
    game = random_game(rng, 7)
    exact = shapley(game)
    inside = 0
    for seed in range(20):
        est = shapley_sampled(game.parties, lambda m: game.worth[m], tolerance=0.05, seed=seed)
        assert est.converged and est.permutations >= 30
        inside += sum(abs(est.value[p] - exact[p]) <= est.half_width[p] for p in game.parties)
    # 95% intervals: about 133 of 140 should cover; allow sampling noise
    assert inside >= 120


def test_masks_round_trip_and_bad_games():
    parties = ("A", "B", "C")
    assert members_of(mask_of(["C", "A"], parties), parties) == ("A", "C")
    with pytest.raises(ValueError):
        Game(parties, np.zeros(7))
    with pytest.raises(ValueError):
        Game(parties, np.array([0, 1, 2, np.nan, 4, 5, 6, 7.0]))
    with pytest.raises(ValueError):
        core_check(Game(parties, np.arange(8.0)), {"A": 1})
