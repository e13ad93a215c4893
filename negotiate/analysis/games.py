"""Cooperative games with transferable utility: Shapley value, core, least core
and nucleolus, computed from the worth of every coalition.

The coalition analysis of a case computes worths (the largest weighted utility
sum a coalition's members can reach with outsiders at the status quo); this
module knows nothing of cases. A coalition is a bitmask over the game's
parties: bit ``i`` set means ``parties[i]`` is a member.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Largest game whose worths are all tabulated (2^20 coalitions, 8 MB).
MAX_EXACT_PARTIES = 20


def popcount(masks: np.ndarray) -> np.ndarray:
    """The number of members of each coalition bitmask."""
    masks = np.asarray(masks, dtype=np.int64)
    counts = np.zeros(masks.shape, dtype=np.int64)
    for bit in range(63):
        if not (masks >> bit).any():
            break
        counts += (masks >> bit) & 1
    return counts


def members_of(mask: int, parties: Sequence[str]) -> tuple[str, ...]:
    """The members of a coalition bitmask, in the game's party order."""
    return tuple(p for i, p in enumerate(parties) if mask >> i & 1)


def mask_of(members: Iterable[str], parties: Sequence[str]) -> int:
    """The bitmask of a set of members; unknown ids raise ``KeyError``."""
    index = {p: i for i, p in enumerate(parties)}
    mask = 0
    for m in members:
        mask |= 1 << index[m]
    return mask


@dataclass(frozen=True)
class Game:
    """A TU game: ``worth[mask]`` is the worth of the coalition ``mask``
    (``worth[0] == 0``, ``worth[-1]`` the grand coalition's)."""

    parties: tuple[str, ...]
    worth: np.ndarray = field(repr=False)

    def __post_init__(self):
        n = len(self.parties)
        w = np.asarray(self.worth, dtype=float)
        if w.shape != (1 << n,):
            raise ValueError(f"a game of {n} parties needs {1 << n} worths, got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("every coalition's worth must be finite")
        w = w.copy()
        w[0] = 0.0
        w.setflags(write=False)
        object.__setattr__(self, "worth", w)
        object.__setattr__(self, "parties", tuple(self.parties))

    @classmethod
    def from_function(cls, parties: Sequence[str], worth: Callable[[tuple[str, ...]], float]) -> "Game":
        """Tabulate ``worth(members)`` over every coalition (2^n calls)."""
        n = len(parties)
        if n > MAX_EXACT_PARTIES:
            raise ValueError(f"{n} parties: tabulating 2^{n} coalitions is too many; sample instead")
        values = np.zeros(1 << n)
        for mask in range(1, 1 << n):
            values[mask] = worth(members_of(mask, parties))
        return cls(tuple(parties), values)

    @property
    def n(self) -> int:
        return len(self.parties)

    @property
    def grand(self) -> float:
        """The grand coalition's worth."""
        return float(self.worth[-1])

    def v(self, members: Iterable[str]) -> float:
        """The worth of a coalition given by its members."""
        return float(self.worth[mask_of(members, self.parties)])

    def coalition_sums(self, allocation: Sequence[float]) -> np.ndarray:
        """``x(S)`` for every coalition ``S`` (same indexing as ``worth``)."""
        x = np.asarray(allocation, dtype=float)
        sums = np.zeros(1 << self.n)
        for i in range(self.n):
            block = 1 << i
            # every mask with bit i set: the upper half of each 2*block run
            sums.reshape(-1, 2 * block)[:, block:] += x[i]
        return sums


def _scale(game: Game) -> float:
    """The magnitude of the game's worths, for relative tolerances."""
    return max(1.0, float(np.max(np.abs(game.worth))))


# --- Shapley value -----------------------------------------------------------

def shapley(game: Game) -> dict[str, float]:
    """The exact Shapley value: each party's average marginal contribution over
    all orders of arrival, ``sum_S |S|!(n-|S|-1)!/n! (v(S+i) - v(S))``."""
    n = game.n
    masks = np.arange(1 << n, dtype=np.int64)
    sizes = popcount(masks)
    fact = [math.factorial(k) for k in range(n + 1)]
    weight_by_size = np.array([fact[s] * fact[n - s - 1] / fact[n] if s < n else 0.0 for s in range(n + 1)])
    out = {}
    for i, p in enumerate(game.parties):
        without = masks[(masks >> i & 1) == 0]
        marginal = game.worth[without | (1 << i)] - game.worth[without]
        out[p] = float(np.dot(weight_by_size[sizes[without]], marginal))
    return out


@dataclass(frozen=True)
class SampledShapley:
    """Shapley values estimated from random orders of arrival.

    ``half_width[p]`` is the half-width of the ``confidence`` interval of
    ``value[p]`` (normal approximation over the sampled orders); ``converged``
    says whether every half-width reached the requested tolerance."""

    value: dict[str, float]
    half_width: dict[str, float]
    confidence: float
    permutations: int
    coalitions_evaluated: int
    converged: bool

    def to_dict(self) -> dict:
        return {"value": dict(self.value), "half_width": dict(self.half_width), "confidence": self.confidence,
                "permutations": self.permutations, "coalitions_evaluated": self.coalitions_evaluated,
                "converged": self.converged}


def _z(confidence: float) -> float:
    """The two-sided standard normal quantile for a confidence level."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _cached(worth: Callable[[int], float]) -> tuple[Callable[[int], float], dict[int, float]]:
    """`worth` called once per distinct coalition (the empty one is worth 0), and its cache."""
    cache: dict[int, float] = {0: 0.0}

    def v(mask: int) -> float:
        if mask not in cache:
            cache[mask] = float(worth(mask))
        return cache[mask]

    return v, cache


def shapley_sampled(parties: Sequence[str], worth: Callable[[int], float], *, tolerance: float = 0.01,
                    confidence: float = 0.95, max_permutations: int = 20_000, min_permutations: int = 30,
                    seed: int = 0, progress: Callable[[int, float], None] | None = None) -> SampledShapley:
    """Estimate the Shapley value by sampling orders of arrival until every
    party's ``confidence`` interval is at most ``± tolerance`` (or
    ``max_permutations`` orders were drawn). ``worth(mask)`` is called once per
    distinct coalition (results are cached). Each order is paired with its
    reverse (antithetic sampling), which keeps the estimate unbiased and
    usually halves its variance; the interval is computed over the pairs."""
    n = len(parties)
    rng = np.random.default_rng(seed)
    v, cache = _cached(worth)

    def contributions(order: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        mask, before = 0, 0.0
        for i in order:
            mask |= 1 << int(i)
            after = v(mask)
            out[i] = after - before
            before = after
        return out

    z = _z(confidence)
    total = np.zeros(n)
    total_sq = np.zeros(n)
    pairs = 0
    half = np.full(n, np.inf)
    while 2 * pairs < max_permutations:
        order = rng.permutation(n)
        sample = (contributions(order) + contributions(order[::-1])) / 2
        pairs += 1
        total += sample
        total_sq += sample * sample
        if 2 * pairs >= min_permutations:
            mean = total / pairs
            var = np.maximum(total_sq / pairs - mean * mean, 0.0) * pairs / max(pairs - 1, 1)
            half = z * np.sqrt(var / pairs)
            if progress is not None:
                progress(2 * pairs, float(half.max()))
            if half.max() <= tolerance:
                break
    mean = total / max(pairs, 1)
    return SampledShapley(
        value={p: float(mean[i]) for i, p in enumerate(parties)},
        half_width={p: float(half[i]) for i, p in enumerate(parties)},
        confidence=confidence, permutations=2 * pairs, coalitions_evaluated=len(cache) - 1,
        converged=bool(half.max() <= tolerance))


# --- core and least core -------------------------------------------------------

@dataclass(frozen=True)
class Blocking:
    """A coalition that can do better on its own than an allocation gives it:
    ``excess = worth - allocated`` is how much better."""

    members: tuple[str, ...]
    worth: float
    allocated: float
    excess: float

    def to_dict(self) -> dict:
        return {"members": list(self.members), "worth": self.worth, "allocated": self.allocated,
                "excess": self.excess}


@dataclass(frozen=True)
class CoreCheck:
    """Whether an allocation is in the core: efficient (it shares out exactly the
    grand coalition's worth) and blocked by no coalition."""

    in_core: bool
    efficient: bool
    shortfall: float                  # v(N) - x(N): > 0 means value is left on the table
    blocking: tuple[Blocking, ...]    # largest excess first

    def to_dict(self) -> dict:
        return {"in_core": self.in_core, "efficient": self.efficient, "shortfall": self.shortfall,
                "blocking": [b.to_dict() for b in self.blocking]}


def core_check(game: Game, allocation: dict[str, float] | Sequence[float], *, tolerance: float = 1e-7,
               limit: int = 20) -> CoreCheck:
    """Check an allocation against the core. ``tolerance`` is relative to the
    largest worth; at most ``limit`` blocking coalitions are listed."""
    x = _vector(game, allocation)
    tol = tolerance * _scale(game)
    sums = game.coalition_sums(x)
    excess = game.worth - sums
    excess[0] = 0.0
    shortfall = float(excess[-1])
    proper = excess[1:-1]
    order = np.argsort(-proper, kind="stable")
    blocking = []
    for k in order[:limit]:
        if proper[k] <= tol:
            break
        mask = int(k) + 1
        blocking.append(Blocking(members_of(mask, game.parties), float(game.worth[mask]), float(sums[mask]),
                                 float(proper[k])))
    efficient = abs(shortfall) <= tol
    return CoreCheck(in_core=efficient and not blocking, efficient=efficient, shortfall=shortfall,
                     blocking=tuple(blocking))


def _vector(game: Game, allocation) -> np.ndarray:
    if isinstance(allocation, dict):
        missing = [p for p in game.parties if p not in allocation]
        if missing:
            raise ValueError(f"the allocation gives nothing to {', '.join(missing)}")
        return np.array([float(allocation[p]) for p in game.parties])
    x = np.asarray(allocation, dtype=float)
    if x.shape != (game.n,):
        raise ValueError(f"an allocation needs {game.n} values, got {x.shape}")
    return x


@dataclass(frozen=True)
class LeastCore:
    """The least core: the smallest ``epsilon`` such that some efficient
    allocation leaves no coalition an excess above ``epsilon``. The core is
    non-empty exactly when ``epsilon <= 0``. ``allocation`` is the nucleolus,
    the least core's canonical point."""

    epsilon: float
    allocation: dict[str, float]

    def to_dict(self) -> dict:
        return {"epsilon": self.epsilon, "allocation": dict(self.allocation)}


def least_core(game: Game) -> LeastCore:
    """The least core's epsilon, with the nucleolus as its allocation."""
    nuc = nucleolus(game, individually_rational=False)
    return LeastCore(epsilon=nuc.excesses[0] if nuc.excesses else 0.0, allocation=nuc.allocation)


# --- nucleolus -----------------------------------------------------------------

@dataclass(frozen=True)
class Nucleolus:
    """The allocation that lexicographically minimises the coalitions' excesses
    (largest first), found by sequential LPs. ``excesses`` are the levels
    fixed stage by stage (the first is the least core's epsilon);
    ``prenucleolus`` says individual rationality was not imposed (it is
    imposed when the game has imputations, i.e. ``sum v(i) <= v(N)``)."""

    allocation: dict[str, float]
    excesses: tuple[float, ...]
    stages: int
    prenucleolus: bool

    def to_dict(self) -> dict:
        return {"allocation": dict(self.allocation), "excesses": list(self.excesses), "stages": self.stages,
                "prenucleolus": self.prenucleolus}


def _solve_stage(n: int, free_rows: np.ndarray, free_rhs: np.ndarray, fixed_rows: np.ndarray,
                 fixed_rhs: np.ndarray, lower: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """min eps s.t. x(S) + eps >= v(S) (free S), x(S) = v(S) - e_S (fixed S).

    Returns (eps, x, duals of the free rows)."""
    import highspy

    from negotiate.backends.highs import new_highs

    h = new_highs()
    inf = highspy.kHighsInf
    # columns: x_0..x_{n-1}, eps
    lb = np.concatenate([lower, [-inf]])
    ub = np.full(n + 1, inf)
    h.addVars(n + 1, lb, ub)
    h.changeColsCost(n + 1, np.arange(n + 1, dtype=np.int32), np.concatenate([np.zeros(n), [1.0]]))

    def add(rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, with_eps: bool):
        if not len(rows):
            return
        dense = rows.astype(float)
        if with_eps:
            dense = np.hstack([dense, np.ones((len(rows), 1))])
        else:
            dense = np.hstack([dense, np.zeros((len(rows), 1))])
        starts, idx, val = [], [], []
        for r in dense:
            nz = np.flatnonzero(r)
            starts.append(len(idx))
            idx.extend(nz.tolist())
            val.extend(r[nz].tolist())
        h.addRows(len(rows), lo, hi, len(idx), np.array(starts, dtype=np.int32), np.array(idx, dtype=np.int32),
                  np.array(val, dtype=float))

    add(fixed_rows, fixed_rhs, fixed_rhs, with_eps=False)
    add(free_rows, free_rhs, np.full(len(free_rows), inf), with_eps=True)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"nucleolus stage LP ended {h.modelStatusToString(status)}")
    sol = h.getSolution()
    values = np.array(sol.col_value)
    duals = np.array(sol.row_dual)[len(fixed_rows):]
    return float(values[n]), values[:n], duals


def nucleolus(game: Game, *, individually_rational: bool = True) -> Nucleolus:
    """The nucleolus by Maschler's sequential LPs. Stage k minimises the
    largest excess ``eps`` of the coalitions not yet fixed; the coalitions
    whose excess constraint has a non-zero dual are at ``eps`` in every
    optimal solution and are fixed there; coalitions whose characteristic
    vector is spanned by the fixed ones (their excess is then determined) leave
    the free set. Each stage raises the rank of the fixed set, so at most n
    stages are needed."""
    n = game.n
    if n == 0:
        return Nucleolus({}, (), 0, False)
    masks = np.arange(1, (1 << n) - 1, dtype=np.int64)
    chars = ((masks[:, None] >> np.arange(n)) & 1).astype(float)
    worth = game.worth[masks]
    singles = np.array([game.worth[1 << i] for i in range(n)])
    rational = individually_rational and singles.sum() <= game.grand + 1e-12 * _scale(game)
    lower = singles if rational else np.full(n, -np.inf)
    tol = 1e-9 * _scale(game)

    fixed_rows = [np.ones(n)]
    fixed_rhs = [game.grand]
    basis = np.ones((n, 1)) / math.sqrt(n)
    free = np.ones(len(masks), dtype=bool)
    levels: list[float] = []
    x = np.full(n, game.grand / n)
    stages = 0
    while basis.shape[1] < n and free.any():
        stages += 1
        idx = np.flatnonzero(free)
        eps, x, duals = _solve_stage(n, chars[idx], worth[idx], np.array(fixed_rows), np.array(fixed_rhs), lower)
        levels.append(eps)
        # the duals of >= rows of a minimisation are >= 0; a non-zero one fixes its coalition
        tight = idx[np.abs(duals) > 1e-9]
        if not len(tight):  # cannot happen in exact arithmetic (duals of eps sum to 1); guard anyway
            slack = chars[idx] @ x + eps - worth[idx]
            tight = idx[[int(np.argmin(slack))]]
        for k in tight:
            residual = chars[k] - basis @ (basis.T @ chars[k])
            norm = np.linalg.norm(residual)
            if norm > 1e-9:
                basis = np.hstack([basis, (residual / norm)[:, None]])
                fixed_rows.append(chars[k])
                fixed_rhs.append(worth[k] - eps)
        free[tight] = False
        # coalitions now spanned by the fixed ones have a determined excess
        if free.any() and basis.shape[1] < n:
            rest = np.flatnonzero(free)
            proj = chars[rest] - (chars[rest] @ basis) @ basis.T
            free[rest[np.linalg.norm(proj, axis=1) <= 1e-9]] = False
    # the fixed rows (rank n) determine x exactly; re-solving them removes the LP's round-off
    A = np.array(fixed_rows)
    b = np.array(fixed_rhs)
    if np.linalg.matrix_rank(A) == n:
        x = np.linalg.lstsq(A, b, rcond=None)[0]
    x = np.where(np.abs(x) <= tol, 0.0, x)
    return Nucleolus(allocation={p: float(x[i]) for i, p in enumerate(game.parties)}, excesses=tuple(levels),
                     stages=stages, prenucleolus=not rational)


def shapley_stratified(parties: Sequence[str], worth: Callable[[int], float], *, tolerance: float = 0.01,
                       confidence: float = 0.95, max_worths: int = 2_000_000, min_rounds: int = 3,
                       seed: int = 0, progress: Callable[[int, float], None] | None = None,
                       batch: Callable[[list[int]], list[float]] | None = None,
                       control: Sequence[float] | None = None, max_rounds: int = 10_000) -> SampledShapley:
    """Estimate the Shapley value stratified by coalition size, until every
    party's ``confidence`` interval is at most ``± tolerance``.

    ``phi_i = (1/n) sum_k mu_ik``, where ``mu_ik`` is i's mean marginal
    contribution to the coalitions of size k without it. Each sample is a
    *star*: a coalition S of size k drawn uniformly, its worth, and the worths
    of S + j for every outsider j and S - j for every member j, which gives
    every party one marginal contribution (an outsider's in stratum k, a
    member's in stratum k - 1; both unbiased for that stratum). A round draws
    one star of every size 0..n. Strata with a single coalition (k = 0 and
    k = n - 1) are exact after one sample. The interval is the normal one over
    the strata, ``z * sqrt(sum_k s_ik^2 / m_ik) / n``; a stratum seen once
    counts with the largest variance seen in that party's other strata.
    When marginal contributions depend mostly on the coalition's size (public
    goods, climate clubs) this converges much faster than random orders.
    ``permutations`` in the result counts stars; ``worth(mask)`` is cached;
    ``batch(masks)``, when given, computes a round's new worths at once (in
    parallel, say) and gives the same estimate. At most `max_rounds` rounds are drawn.

    ``control``: one number a_j per party (say its marginal contribution to
    the grand coalition). Within each stratum the sum of a_j over the
    coalition, X, and X^2 have means known exactly (sampling without
    replacement), so they serve as control variates: each stratum's mean is
    the intercept of a least-squares fit of the marginal contributions on
    X - E[X] and X^2 - E[X^2], its variance the residual variance over the
    sample count (strata with fewer than 10 samples use the plain mean). When
    contributions follow the coalition's composition (who the big emitters
    are), this removes most of the spread left by stratifying on size."""
    n = len(parties)
    rng = np.random.default_rng(seed)
    v, cache = _cached(worth)

    count = np.zeros((n, n))
    total = np.zeros((n, n))
    total_sq = np.zeros((n, n))
    a = None if control is None else np.asarray(control, dtype=float)
    samples: dict = {}  # (party, stratum) -> ([x], [gain]) when there is a control
    z = _z(confidence)
    drawn = 0
    half = np.full(n, np.inf)
    everyone = np.arange(n)
    while len(cache) < max_worths:
        stars = []
        for k in range(n + 1):
            members = rng.choice(n, size=k, replace=False) if 0 < k < n else everyone[:k]
            mask = 0
            for i in members:
                mask |= 1 << int(i)
            stars.append((k, mask))
        if batch is not None:
            new = list(dict.fromkeys(m ^ bit for _, m in stars for bit in [0] + [1 << j for j in range(n)]
                                     if (m ^ bit) not in cache))
            cache.update(zip(new, (float(w) for w in batch(new))))
        for k, mask in stars:
            base = v(mask)
            in_star = a[[(mask >> j) & 1 == 1 for j in range(n)]].sum() if a is not None else 0.0
            for j in range(n):
                bit = 1 << j
                if mask & bit:
                    stratum, gain = k - 1, base - v(mask & ~bit)
                else:
                    stratum, gain = k, v(mask | bit) - base
                count[j, stratum] += 1
                total[j, stratum] += gain
                total_sq[j, stratum] += gain * gain
                if a is not None:  # the coalition j joins: the star less j when j is a member
                    xs, ys = samples.setdefault((j, stratum), ([], []))
                    xs.append(in_star - (a[j] if mask & bit else 0.0))
                    ys.append(gain)
            drawn += 1
        rounds = drawn // (n + 1)
        if rounds >= min_rounds and count.min() >= 1:
            mean = total / np.maximum(count, 1)
            var = np.where(count > 1, np.maximum(total_sq / np.maximum(count, 1) - mean * mean, 0.0)
                           * count / np.maximum(count - 1, 1), np.nan)
            var[:, 0] = 0.0       # one coalition of size 0: exact
            var[:, n - 1] = 0.0   # one coalition of size n - 1: exact
            if a is not None:
                mean, var = _controlled(a, samples, mean, var, n)
            worst = np.nanmax(np.where(np.isnan(var), -np.inf, var), axis=1, keepdims=True)
            var = np.where(np.isnan(var), np.maximum(worst, 0.0), var)
            half = z * np.sqrt((var / np.maximum(count, 1)).sum(axis=1)) / n
            if progress is not None:
                progress(drawn, float(half.max()))
            if half.max() <= tolerance:
                break
        if rounds >= max_rounds:  # a small game seen whole, with a tolerance out of reach
            break
    mean = total / np.maximum(count, 1)
    if a is not None:
        mean, _ = _controlled(a, samples, mean, np.zeros((n, n)), n)
    value = mean.sum(axis=1) / n
    return SampledShapley(
        value={p: float(value[i]) for i, p in enumerate(parties)},
        half_width={p: float(half[i]) for i, p in enumerate(parties)},
        confidence=confidence, permutations=drawn, coalitions_evaluated=len(cache) - 1,
        converged=bool(half.max() <= tolerance))


def _controlled(a: np.ndarray, samples: dict, mean: np.ndarray, var: np.ndarray, n: int) -> tuple:
    """Stratum means and variances with X and X^2 as control variates (see shapley_stratified)."""
    mean, var = mean.copy(), var.copy()
    m = n - 1
    for (j, k), (xs, ys) in samples.items():
        if len(ys) < 10 or k in (0, n - 1):
            continue
        others = np.delete(a, j)
        mu, sigma2 = others.mean(), others.var()
        ex = k * mu
        vx = k * sigma2 * (m - k) / (m - 1) if m > 1 else 0.0
        if vx <= 1e-12 * max(1.0, ex * ex):
            continue
        x = np.asarray(xs)
        X = np.column_stack([np.ones(len(x)), x - ex, x * x - (vx + ex * ex)])
        y = np.asarray(ys)
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ coef
        mean[j, k] = coef[0]
        var[j, k] = float(resid @ resid) / (len(y) - 3)
    return mean, var
