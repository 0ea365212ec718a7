"""An anytime-valid confidence sequence for a finite corpus's pass rate, sampled in random order.

The cases of a corpus are replayed in a uniformly random order, so after ``n`` of ``N`` cases
the replayed ones are a simple random sample drawn without replacement. The quantity of
interest is the pass rate the *full* replay would measure, ``rate = passed / counted`` over all
``N`` cases, where a case contributes ``passed_i`` passes among ``counted_i`` counted results
(``0 <= passed_i <= counted_i <= repeats``; a case the criterion does not apply to counts 0).

For a candidate rate ``r`` each case gets the value ``z_i(r) = (passed_i + r (repeats -
counted_i)) / repeats`` in [0, 1]; the whole corpus's rate is at least ``r`` exactly when the
mean of ``z(r)`` over the corpus is at least ``r``. The mean of a bounded finite population
sampled without replacement is what the betting confidence sequences of Waudby-Smith and
Ramdas bound ("Confidence sequences for sampling without replacement", NeurIPS 2020, section 3;
bets as in "Estimating means of bounded random variables by betting", JRSS B 2024): under the
hypothesis "the corpus's rate is ``r``", the mean of the cases not yet seen is known,

    mu_i(r) = (N r - sum_{j<i} z_j(r)) / (N - i + 1),

so the capital ``K_n(r) = prod_{i<=n} (1 + lambda_i (z_i(r) - mu_i(r)))`` of a gambler betting
``lambda_i`` (chosen from the cases before ``i``) is a non-negative martingale with mean 1, and
by Ville's inequality it ever reaches ``1 / a`` with probability at most ``a``. Betting on low
values (``lambda <= 0``) tests "the rate is at least ``r``"; betting on high ones tests "at
most ``r``". Both tests are supermartingales over the whole composite hypothesis (any rate
above, resp. below, ``r``), so testing at the threshold itself decides the verdict. For a fixed
corpus only one of the two hypotheses at the threshold is true (its rate is below it, or at or
above it), and only a win of the side betting against the true one is a wrong verdict; so each
side is run at ``a = alpha``, and a wrong early verdict has probability at most ``alpha``. The
interval of rates neither side rejects then covers the corpus's rate at every ``n`` at once,
under any stopping rule, with probability at least ``1 - 2 alpha``: at the true rate itself
both hypotheses hold, and either side can miss it.

The bets: a Kelly-style "approximate growth-rate adaptive" stake, ``lambda_i = e / (v + e^2)``
with ``e`` the gap between the mean seen so far and ``mu_i(r)`` and ``v`` the variance seen so
far (both shrunk towards 1/2 and 1/4 by one pseudo-case), capped at :data:`BET_CAP` of the
largest stake that keeps the capital positive; each side only ever bets its own way. Any
stake chosen from past cases keeps the guarantee; this one only decides how soon it pays.
The rates the unseen cases make impossible (all of them passing, or all failing) are cut off
exactly, so the interval closes on the corpus's exact rate when the last case arrives. The
verdict is read at the threshold itself; the interval is the set of rates, each tested with
the stakes sized for it, that neither side has rejected so far (found on a grid, then
bisected), so the verdict and the interval's ends agree.

Under the gate's ``lower_bound`` policy the full replay fails when its rate is below a cut
that depends on how many results it counts (:mod:`harness.stats.wilson_cut`), a count known
only at the end; :func:`advance_counts` tests, before each case, the cut most favourable to
the side betting (the smallest for "below", the largest for "above") over the counts still
possible, which keeps each side's capital a supermartingale whenever its verdict would be
wrong (docs/statistics.md, "Under the lower_bound policy").

Validity is checked in tests/test_confidence_sequence.py against exact enumeration: every
distinct ordering of small corpora, each as likely as any other under a random permutation.

>>> seq = RateSequence(population=640, thresholds=[0.95], alpha=0.05)
>>> passed = np.array([[1, 1, 1, 1, 0] * 20])  # 100 cases of 640, 80 passed
>>> seq.update(passed, np.ones_like(passed))
>>> seq.verdicts()  # the full replay's rate will be below 95%
['fail']
>>> low, high = seq.interval(0)
>>> round(low, 3), round(high, 3)
(0.69, 0.896)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from harness.stats.wilson_cut import lower_bound_cut, wilson_passes

#: The largest stake, as a share of the capital, either side bets on one case. Below 1, so a
#: single case can never take the capital to zero.
BET_CAP = 0.5

Verdict = Literal["fail", "pass", "open"]
_FloatArray = npt.NDArray[np.float64]
_Tolerance = 1e-12


@dataclass
class _Bets:
    """The bettor's running state, one entry per row (a criterion, or an ordering)."""

    seen: int
    total: _FloatArray  # sum of z over the cases seen (with ``uncounted``: of their passes)
    spread: _FloatArray  # sum of squared deviations from the running mean
    log_low: _FloatArray  # log capital betting the rate is below the threshold
    log_high: _FloatArray  # log capital betting it is above
    #: The share of results not counted, summed over the cases seen (None: all counted, or
    #: folded into ``total`` at a fixed rate). At a rate r the values seen sum to
    #: ``total + r uncounted``, so the rate tested may change from one case to the next.
    uncounted: _FloatArray | None = None


def _zeros(rows: int) -> _FloatArray:
    return np.zeros(rows, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Step:
    """What one block of cases showed, per row: the steps at which each side first won."""

    fail_at: npt.NDArray[np.int64]  # 1-based step, 0 when not in this block
    pass_at: npt.NDArray[np.int64]
    log_low: _FloatArray  # the largest log capital of each side within the block
    log_high: _FloatArray


@dataclass(frozen=True, slots=True)
class _Stakes:
    low: _FloatArray  # the stake on "below the threshold", <= 0
    high: _FloatArray  # the stake on "above", >= 0
    z: _FloatArray  # each case's value at the rate tested on it
    remaining: _FloatArray  # the unseen cases' mean if the rate were the one tested
    total_after: _FloatArray  # sum of z seen, at the rate tested on each case
    passes_after: _FloatArray
    uncounted_after: _FloatArray
    spread_after: _FloatArray
    unseen_after: _FloatArray


def _values(
    passed: _FloatArray, counted: _FloatArray, rate: _FloatArray, repeats: int
) -> _FloatArray:
    return (passed + rate * (repeats - counted)) / repeats


def _stakes(
    bets: _Bets,
    passes: _FloatArray,
    uncounted: _FloatArray,
    population: int,
    rates: _FloatArray,
) -> _Stakes:
    """Each case's stake (Kelly-style, capped) and the unseen cases' mean under the rate tested.

    ``passes`` and ``uncounted``: each case's passes and results not counted, as shares of its
    repeats (rows x cases); ``rates`` (rows x cases): the rate tested on each case, fixed
    before the case is seen. Under "the corpus's rate is r" the unseen cases' mean of
    ``z(r) = passes + r uncounted`` is known, whatever r was tested on the cases before.
    """
    step = np.arange(bets.seen + 1, bets.seen + passes.shape[1] + 1, dtype=np.float64)
    z = passes + rates * uncounted
    was_uncounted = bets.uncounted if bets.uncounted is not None else _zeros(len(bets.total))
    passes_before = bets.total[:, None] + np.cumsum(passes, axis=1) - passes
    uncounted_before = was_uncounted[:, None] + np.cumsum(uncounted, axis=1) - uncounted
    total_before = passes_before + rates * uncounted_before
    mean_before = (0.5 + total_before) / step
    mean_after = (0.5 + total_before + z) / (step + 1)
    deviation = (z - mean_after) ** 2
    spread_before = bets.spread[:, None] + np.cumsum(deviation, axis=1) - deviation
    variance = (0.25 + spread_before) / step
    unseen_before = population - step + 1
    remaining = np.clip((population * rates - total_before) / unseen_before, 0, 1)
    edge = mean_before - remaining
    kelly = edge / (variance + edge * edge)
    return _Stakes(
        low=np.clip(kelly, -BET_CAP / np.maximum(1 - remaining, 1e-9), 0.0),
        high=np.clip(kelly, 0.0, BET_CAP / np.maximum(remaining, 1e-9)),
        z=z,
        remaining=remaining,
        total_after=total_before + z,
        passes_after=passes_before + passes,
        uncounted_after=uncounted_before + uncounted,
        spread_after=spread_before + deviation,
        unseen_after=unseen_before - 1,
    )


def _bet(
    bets: _Bets, passes: _FloatArray, uncounted: _FloatArray, rates: _FloatArray, population: int
) -> tuple[_FloatArray, _FloatArray, _Stakes]:
    """Both sides' log capital after each case of the block (rows x cases); carries the state."""
    stakes = _stakes(bets, passes, uncounted, population, rates)
    surprise = stakes.z - stakes.remaining
    log_low = bets.log_low[:, None] + np.cumsum(np.log1p(stakes.low * surprise), axis=1)
    log_high = bets.log_high[:, None] + np.cumsum(np.log1p(stakes.high * surprise), axis=1)
    bets.seen += passes.shape[1]
    bets.total = stakes.passes_after[:, -1]
    bets.uncounted = stakes.uncounted_after[:, -1]
    bets.spread = stakes.spread_after[:, -1]
    bets.log_low = log_low[:, -1]
    bets.log_high = log_high[:, -1]
    return log_low, log_high, stakes


def _no_step(rows: int) -> Step:
    none = np.zeros(rows, dtype=np.int64)
    return Step(none, none, np.full(rows, -np.inf), np.full(rows, -np.inf))


def advance(
    bets: _Bets,
    z: _FloatArray,
    *,
    population: int,
    threshold: _FloatArray,
    level: float,
) -> Step:
    """Feed one block of values ``z`` (rows x cases, at the threshold) to the bettors.

    The ``point`` policy's test, at a fixed threshold per row. Vectorised over rows and over
    the block; the state carries to the next block, so feeding a sequence in blocks of any
    size gives the same capital as feeding it whole.
    """
    if z.shape[1] == 0:
        return _no_step(z.shape[0])
    rates = np.broadcast_to(threshold[:, None], z.shape)
    log_low, log_high, stakes = _bet(bets, z, np.zeros_like(z), rates, population)
    # What is certain: the total the unseen cases need, against what they can still give.
    need = population * threshold[:, None] - stakes.total_after
    fails = (log_low >= level) | (need > stakes.unseen_after + _Tolerance)
    passes = (log_high >= level) | (need <= _Tolerance)
    return Step(_first(fails), _first(passes), log_low.max(axis=1), log_high.max(axis=1))


@dataclass
class Counts:
    """Per row (a criterion, or an ordering): passes and counted results so far, and how the
    gate will judge the full replay's (the threshold, the counted results a pass needs, and
    whether the Wilson lower bound is compared rather than the rate)."""

    threshold: _FloatArray
    needed: npt.NDArray[np.int64]
    lower_bound: bool
    passed: _FloatArray
    counted: _FloatArray

    @classmethod
    def start(cls, threshold: _FloatArray, needed: npt.ArrayLike, lower_bound: bool) -> Counts:
        rows = len(threshold)
        return cls(
            threshold,
            np.broadcast_to(np.asarray(needed, dtype=np.int64), (rows,)).copy(),
            lower_bound,
            _zeros(rows),
            _zeros(rows),
        )

    def fail_cut(self, counted: _FloatArray, most: _FloatArray) -> _FloatArray:
        """The smallest rate below which the full replay fails, over the counted results it
        can still have (``counted`` .. ``most``): the threshold, or under ``lower_bound``
        (once a pass could have enough results) the Wilson cut at the most results."""
        t = self.threshold[:, None] + 0 * counted
        if not self.lower_bound:
            return t
        enough = counted >= self.needed[:, None]
        return np.where(enough, np.minimum(1.0, lower_bound_cut(t, most)), t)

    def pass_cut(self, counted: _FloatArray) -> _FloatArray:
        """The largest rate the full replay's pass needs, over the counted results it can
        still have: the threshold, or the Wilson cut at the fewest (``counted``)."""
        t = self.threshold[:, None] + 0 * counted
        return np.minimum(1.0, lower_bound_cut(t, counted)) if self.lower_bound else t


def advance_counts(
    low: _Bets,
    high: _Bets,
    counts: Counts,
    passed: _FloatArray,
    counted: _FloatArray,
    *,
    population: int,
    repeats: int,
    level: float,
) -> Step:
    """Feed one block of cases (rows x cases of passes and counted results) to both sides.

    Under the ``point`` policy both sides test the threshold. Under ``lower_bound`` the full
    replay fails when its rate is below the cut ``lower_bound_cut(t, n)`` of its ``n``
    counted results, which lies between what has been counted and that plus every result
    not yet seen; the cut falls as ``n`` grows. So the side betting "below" tests, before
    each case, the smallest cut the full replay can still have (the cut at the most
    results; the threshold while a pass could still lack the results it needs, when a rate
    at the threshold would be inconclusive, not failing), and the side betting "above" the
    largest (the cut at the results counted so far). Each rate is fixed before the case it
    is tested on, and whenever the full replay's verdict is the other one, every rate that
    side tests is on the true side of the corpus's rate: its capital stays a
    supermartingale, so it wins wrongly with probability at most ``exp(-level)``.
    """
    if passed.shape[1] == 0:
        return _no_step(passed.shape[0])
    cases = passed.shape[1]
    counted_before = counts.counted[:, None] + np.cumsum(counted, axis=1) - counted
    unseen_before = population - low.seen - np.arange(cases, dtype=np.float64)
    most_before = counted_before + repeats * unseen_before
    share, left = passed / repeats, (repeats - counted) / repeats
    log_low, _, _ = _bet(low, share, left, counts.fail_cut(counted_before, most_before), population)
    _, log_high, _ = _bet(high, share, left, counts.pass_cut(counted_before), population)
    # What is certain, from the counts: the best and worst the unseen results can do.
    passed_now = counts.passed[:, None] + np.cumsum(passed, axis=1)
    counted_now = counted_before + counted
    unseen = repeats * (unseen_before - 1)
    t = counts.threshold[:, None]
    fails = passed_now + unseen < (t - _Tolerance) * (counted_now + unseen)
    passes = passed_now >= (t - _Tolerance) * (counted_now + unseen)
    if counts.lower_bound:
        # the best completion passes every unseen result, or counts none of them (the
        # Wilson test is convex in the passes added); the worst fails every one
        enough = counted_now >= counts.needed[:, None]
        fails |= enough & ~(
            wilson_passes(passed_now, counted_now, t)
            | wilson_passes(passed_now + unseen, counted_now + unseen, t)
        )
        passes &= wilson_passes(passed_now, counted_now + unseen, t)
    counts.passed = passed_now[:, -1]
    counts.counted = counted_now[:, -1]
    fails |= log_low >= level
    passes |= log_high >= level
    return Step(_first(fails), _first(passes), log_low.max(axis=1), log_high.max(axis=1))


def _first(hits: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    any_hit = hits.any(axis=1)
    return np.where(any_hit, np.argmax(hits, axis=1) + 1, 0).astype(np.int64)


def evidence_level(alpha: float, criteria: int = 1) -> float:
    """The log capital at which a side wins: ``log(criteria / alpha)``.

    Each side of each criterion runs at ``alpha / criteria``. For a fixed corpus only one side
    of a criterion bets against a true hypothesis, and only its win is a wrong verdict, so a
    union bound over the ``criteria`` sides that can be wrong gives: every early verdict is
    the full replay's with probability at least ``1 - alpha``. Each criterion's interval (both
    sides) covers its corpus rate with probability at least ``1 - 2 alpha / criteria``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha} must lie strictly between 0 and 1")
    return math.log(criteria / alpha)


class RateSequence:
    """The confidence sequences of several criteria over one randomly ordered corpus.

    ``update`` takes the next cases in order (criteria x cases arrays of passes and counted
    results); ``verdicts`` says per criterion whether the full replay's verdict is already
    known ("fail": its rate will be below the threshold, or under ``policy="lower_bound"``
    its Wilson lower bound will; "pass": at or above it, with at least ``min_cases`` counted
    results), and ``interval`` gives the confidence interval for the whole corpus's rate.
    Each side of each criterion runs at ``alpha / criteria``.
    """

    def __init__(
        self,
        *,
        population: int,
        thresholds: Sequence[float],
        alpha: float,
        repeats: int = 1,
        min_cases: Sequence[int] | None = None,
        policy: Literal["point", "lower_bound"] = "point",
    ) -> None:
        if population < 1:
            raise ValueError(f"population={population} must be at least 1")
        if repeats < 1:
            raise ValueError(f"repeats={repeats} must be at least 1")
        self.population = population
        self.repeats = repeats
        self.alpha = alpha
        self.policy = policy
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        rows = len(self.thresholds)
        self.level = evidence_level(alpha, max(rows, 1))
        self.min_cases = np.asarray(
            min_cases if min_cases is not None else [1] * rows, dtype=np.int64
        )
        self._low = _Bets(0, _zeros(rows), _zeros(rows), _zeros(rows), _zeros(rows))
        self._high = _Bets(0, _zeros(rows), _zeros(rows), _zeros(rows), _zeros(rows))
        self._counts = Counts.start(self.thresholds, self.min_cases, policy == "lower_bound")
        self._fail = np.zeros(rows, dtype=bool)
        self._pass = np.zeros(rows, dtype=bool)
        self._passed: list[npt.NDArray[np.int16]] = []
        self._counted: list[npt.NDArray[np.int16]] = []
        self._counted_total = np.zeros(rows, dtype=np.int64)

    @property
    def seen(self) -> int:
        """How many cases (in order) have been fed."""
        return self._low.seen

    def update(self, passed: npt.ArrayLike, counted: npt.ArrayLike) -> None:
        """Feed the next cases in order: ``passed`` and ``counted`` are criteria x cases."""
        p = np.asarray(passed, dtype=np.float64).reshape(len(self.thresholds), -1)
        c = np.asarray(counted, dtype=np.float64).reshape(p.shape)
        if p.shape[1] == 0:
            return
        if self.seen + p.shape[1] > self.population:
            raise ValueError(f"more cases than the population of {self.population}")
        if (p < 0).any() or (p > c).any() or (c > self.repeats).any():
            raise ValueError("need 0 <= passed <= counted <= repeats for every case")
        step = advance_counts(
            self._low,
            self._high,
            self._counts,
            p,
            c,
            population=self.population,
            repeats=self.repeats,
            level=self.level,
        )
        self._passed.append(p.astype(np.int16))
        self._counted.append(c.astype(np.int16))
        self._fail |= step.fail_at > 0
        self._counted_total += c.sum(axis=1).astype(np.int64)
        self._pass |= (step.pass_at > 0) & ~self._fail
        if self.seen == self.population:  # every case seen: the rate is exact
            self._pass = ~self._fail

    def cut_range(self, row: int) -> tuple[float, float, int, int] | None:
        """Under ``lower_bound``: the cut rates the full replay of criterion ``row`` can still
        have (the smallest, at the most counted results; the largest, at the fewest) and
        those counts; None under the ``point`` policy, which compares the threshold itself."""
        if self.policy != "lower_bound":
            return None
        fewest = int(self._counted_total[row])
        most = fewest + self.repeats * (self.population - self.seen)
        t = self.thresholds[row]
        return (float(lower_bound_cut(t, most)), float(lower_bound_cut(t, fewest)), fewest, most)

    def verdicts(self) -> list[Verdict]:
        """Per criterion: "fail", "pass" (with enough counted results) or "open"."""
        enough = self._counted_total >= self.min_cases
        return [
            "fail" if f else "pass" if (p and e) else "open"
            for f, p, e in zip(self._fail, self._pass, enough, strict=True)
        ]

    def interval(self, row: int) -> tuple[float, float]:
        """The confidence interval for criterion ``row``'s whole-corpus rate, to about 1e-4.

        The rates neither side has rejected at any point so far (each rate tested with the
        stakes sized for it, so the interval's ends and the verdict at the threshold agree),
        within what the unseen cases still allow.
        """
        if not self._passed:
            return (0.0, 1.0)
        p = np.concatenate(self._passed, axis=1)[row].astype(np.float64)
        c = np.concatenate(self._counted, axis=1)[row].astype(np.float64)
        room = c.sum() + self.repeats * (self.population - len(p))
        if room == 0:
            return (0.0, 1.0)
        certain = (p.sum() / room, (p.sum() + room - c.sum()) / room)

        def kept(rates: _FloatArray) -> npt.NDArray[np.bool_]:
            z = _values(p[None, :], c[None, :], rates[:, None], self.repeats)
            bets = _Bets(
                0, _zeros(len(rates)), _zeros(len(rates)), _zeros(len(rates)), _zeros(len(rates))
            )
            grid = np.broadcast_to(rates[:, None], z.shape)
            stakes = _stakes(bets, z, np.zeros_like(z), self.population, grid)
            surprise = z - stakes.remaining
            low = np.cumsum(np.log1p(stakes.low * surprise), axis=1).max(axis=1)
            high = np.cumsum(np.log1p(stakes.high * surprise), axis=1).max(axis=1)
            open_: npt.NDArray[np.bool_] = (low < self.level) & (high < self.level)
            return open_

        # A coarse grid finds the kept rates; bisection then finds each end to within the
        # grid's step / 2**14 (201 points and 12 halvings gave the same ends within 1e-6,
        # at five times the cost).
        grid = np.linspace(certain[0], certain[1], 41)
        inside = np.flatnonzero(kept(grid))
        if len(inside) == 0:  # every rate rejected: an ordering as rare as alpha
            middle = float(p.sum() / c.sum()) if c.sum() else 0.5
            return (middle, middle)

        def edge(keep: float, reject: float) -> float:
            for _ in range(14):
                middle = (keep + reject) / 2
                if kept(np.array([middle]))[0]:
                    keep = middle
                else:
                    reject = middle
            return keep

        first, last = inside[0], inside[-1]
        low = grid[first] if first == 0 else edge(grid[first], grid[first - 1])
        high = grid[last] if last == len(grid) - 1 else edge(grid[last], grid[last + 1])
        return (float(low), float(high))
