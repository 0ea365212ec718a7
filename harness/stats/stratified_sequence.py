"""An anytime-valid test of a corpus's pass rate when its cases are replayed stratum by stratum.

A stratified sequential run (``gate.sequential.stratify_by``) replays each stratum ``s`` (of
``N_s`` of the corpus's ``N`` cases) in its own seeded random order and interleaves the
strata in proportion to their sizes (:mod:`harness.corpus.strata`). A prefix of that order
is not a simple random sample of the corpus, but each stratum's part of it is one of that
stratum, drawn without replacement, independently of the other strata.

**What is tested.** As in :mod:`harness.stats.confidence_sequence`, a case is worth ``z_i(r)
= (passed_i + r (repeats - counted_i)) / repeats`` for a candidate corpus rate ``r``, and the
full replay's rate is at least ``r`` exactly when ``sum_s w_s m_s(r) >= r``, with ``w_s =
N_s / N`` and ``m_s(r)`` the mean of ``z(r)`` over stratum ``s``. The results a stratum does
not count enter it at the *corpus* rate ``r``, so the strata add up to the corpus's own
ratio ``passed / counted`` (weighting the strata's own pass rates by ``N_s`` would not).

**Per stratum, a bettor per candidate mean.** For each point ``g`` of a grid of candidate
means (:data:`GRID_STEPS` steps on [0, 1]) and each side, stratum ``s`` keeps the capital of
the betting test of Waudby-Smith & Ramdas ("Confidence sequences for sampling without
replacement", NeurIPS 2020, section 3) with the stakes of
:mod:`harness.stats.confidence_sequence`: ``K_s(g) = prod (1 + lambda_i (z_i - mu_i(g)))``,
where ``mu_i(g)``, clipped to [0, 1], is the mean the stratum's unseen cases would have if
its mean were ``g``. When the stratum's true mean is at least ``g``, the bet on low values
(``lambda <= 0``) is a non-negative supermartingale (the clipped ``mu_i(g)`` is at most the
unseen cases' true mean); when it is at most ``g``, the bet on high values is.

**Combined by a union-intersection test** (Stark, "Sets of half-average nulls generate
risk-limiting audits: SHANGRLA", 2020; Spertus & Stark, "Sweeter than SUITE: supermartingale
stratified union-intersection tests of elevated means", 2022; Spertus, Sridhar & Stark,
"Sequential stratified inference for the mean", arXiv:2409.06680, 2024). "The corpus's rate
is at least ``t``" is the union, over the allocations ``theta`` with ``sum_s w_s theta_s =
t``, of the intersections "every stratum's mean is at least ``theta_s``". If it holds, one
allocation ``theta* <= m`` (stratum by stratum) is true, and so is its grid point below,
``g* = floor(theta*)``, with ``sum_s w_s g*_s > t - 1/GRID_STEPS``. The strata are
independent and the interleave is fixed in advance, so the product ``prod_s K_s(g*_s)`` is a
non-negative supermartingale over the whole order; by Ville's inequality it ever reaches ``1
/ a`` with probability at most ``a``. The test therefore rejects (the full replay will fail)
when even the smallest product over every grid allocation with ``sum_s w_s g_s >= t -
1/GRID_STEPS`` (and ``g_s`` no higher than stratum ``s`` can still reach) is at least ``1 /
a``. That minimum is bounded from below by the Lagrangian dual, ``max_{lambda >= 0} lambda c
+ sum_s min_g (log K_s(g) - lambda w_s g)``, one stratum at a time; any ``lambda`` gives a
valid bound, so a fixed set of them (:data:`MULTIPLIERS`) is tried (``c`` is the bound on
``sum_s w_s g_s``). The pass side is the mirror image. No share of alpha is spent per
stratum: each side of each criterion runs at the level of the unstratified sequence
(:func:`evidence_level`), and the exact rules (the unseen cases cannot lift, or pull, the
rate across the threshold) hold as there.

The interval is the set of rates ``r`` neither side rejects at the current step (each
stratum's bettors rerun on ``z(r)``). Validity is checked in tests/test_stratified_sequence.py
against exact enumeration: every ordering within each stratum of small stratified corpora.

>>> strata = [0, 1] * 100  # two strata of 100 cases, interleaved
>>> seq = StratifiedRateSequence(strata=strata, thresholds=[0.95], alpha=0.05)
>>> passed = np.array([[1, 1, 1, 0] * 20])  # 80 cases of 200, 60 passed
>>> seq.update(passed, np.ones_like(passed))
>>> seq.verdicts()  # the full replay's rate will be below 95%
['fail']
>>> seq.seen_per_stratum()
[40, 40]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from harness.stats.confidence_sequence import BET_CAP, Verdict, evidence_level

#: Candidate stratum means each bettor tracks: 0, 1/512, ..., 1 (any grid keeps the
#: guarantee; a finer one costs time and gives back at most its step of evidence).
GRID_STEPS = 512
#: The Lagrange multipliers tried when the strata's evidence is combined (any one is valid).
MULTIPLIERS = np.r_[0.0, np.geomspace(0.05, 5e4, 48)]

_FloatArray = npt.NDArray[np.float64]
_BoolArray = npt.NDArray[np.bool_]
_Tolerance = 1e-12
#: Rows x grid x cases fed at once: a longer block is fed in pieces.
_CHUNK = 2_000_000


@dataclass
class _GridBets:
    """One stratum's bettors, one row per criterion (or per candidate rate), across the grid."""

    seen: int
    total: _FloatArray  # rows: sum of z over the stratum's cases seen
    spread: _FloatArray  # rows: sum of squared deviations from the running mean
    log_low: _FloatArray  # rows x grid: log capital betting on low values
    log_high: _FloatArray
    grid: _FloatArray  # the candidate means, 0 to 1

    @classmethod
    def empty(cls, rows: int, steps: int = GRID_STEPS) -> _GridBets:
        zeros = np.zeros(rows, dtype=np.float64)
        capital = np.zeros((rows, steps + 1), dtype=np.float64)
        grid = np.linspace(0.0, 1.0, steps + 1)
        return cls(0, zeros.copy(), zeros.copy(), capital.copy(), capital.copy(), grid)


def feed(bets: _GridBets, z: _FloatArray, *, size: int) -> None:
    """Feed a stratum's next values ``z`` (rows x cases) to its bettors, in place.

    The stakes are :mod:`harness.stats.confidence_sequence`'s, sized per grid point; blocks
    of any size give the same state as one case at a time.
    """
    if z.shape[1] == 0:
        return
    grid = bets.grid
    piece = max(1, _CHUNK // (len(grid) * max(z.shape[0], 1)))
    if z.shape[1] > piece:
        for start in range(0, z.shape[1], piece):
            feed(bets, z[:, start : start + piece], size=size)
        return
    step = np.arange(bets.seen + 1, bets.seen + z.shape[1] + 1, dtype=np.float64)
    total_before = bets.total[:, None] + np.cumsum(z, axis=1) - z
    mean_before = (0.5 + total_before) / step
    mean_after = (0.5 + total_before + z) / (step + 1)
    deviation = (z - mean_after) ** 2
    spread_before = bets.spread[:, None] + np.cumsum(deviation, axis=1) - deviation
    variance = ((0.25 + spread_before) / step)[:, None, :]
    unseen = size - step + 1
    remaining = np.clip((size * grid[None, :, None] - total_before[:, None, :]) / unseen, 0, 1)
    edge = mean_before[:, None, :] - remaining  # rows x grid x cases
    kelly = edge / (variance + edge * edge)
    low = np.clip(kelly, -BET_CAP / np.maximum(1 - remaining, 1e-9), 0.0)
    high = np.clip(kelly, 0.0, BET_CAP / np.maximum(remaining, 1e-9))
    surprise = z[:, None, :] - remaining
    bets.log_low = bets.log_low + np.log1p(low * surprise).sum(axis=2)
    bets.log_high = bets.log_high + np.log1p(high * surprise).sum(axis=2)
    bets.seen += z.shape[1]
    bets.total = total_before[:, -1] + z[:, -1]
    bets.spread = spread_before[:, -1] + deviation[:, -1]


@dataclass(frozen=True, slots=True)
class Rejections:
    """Per row, what the strata's evidence shows now about the rate against ``threshold``."""

    below: _BoolArray  # the corpus's rate is below the threshold: the full replay fails
    at_or_above: _BoolArray  # it is at or above: the full replay passes


def rate_evidence(
    strata: Sequence[_GridBets],
    sizes: Sequence[int],
    threshold: _FloatArray,
    level: float,
    *,
    interval: bool = False,
) -> Rejections:
    """The union-intersection tests of "rate >= threshold" and "rate < threshold" (per row),
    from every stratum's bettors as they stand. ``interval``: test "rate <= threshold"
    instead of "rate < threshold" where it is certain (a rate the interval may keep)."""
    population = float(sum(sizes))
    grid = strata[0].grid
    slack = 1.0 / (len(grid) - 1)
    rows = len(threshold)
    low_dual = MULTIPLIERS[None, :] * (threshold[:, None] - slack)  # rows x multipliers
    high_dual = -MULTIPLIERS[None, :] * (threshold[:, None] + slack)
    top = np.zeros(rows)
    bottom = np.zeros(rows)
    for bets, size in zip(strata, sizes, strict=True):
        weight = size / population
        unseen = size - bets.seen
        top += bets.total + unseen
        bottom += bets.total
        # Only means the stratum can still reach: its true one always can.
        reach_high = grid[None, :] <= (bets.total[:, None] + unseen) / size + _Tolerance
        reach_low = grid[None, :] >= bets.total[:, None] / size - _Tolerance
        tilt = MULTIPLIERS[None, :, None] * weight * grid[None, None, :]
        low = np.where(reach_high[:, None, :], bets.log_low[:, None, :] - tilt, np.inf)
        high = np.where(reach_low[:, None, :], bets.log_high[:, None, :] + tilt, np.inf)
        low_dual = low_dual + low.min(axis=2)
        high_dual = high_dual + high.min(axis=2)
    need = population * threshold
    certain_above = bottom > need + _Tolerance if interval else bottom >= need - _Tolerance
    return Rejections(
        below=(low_dual.max(axis=1) >= level) | (top < need - _Tolerance),
        at_or_above=(high_dual.max(axis=1) >= level) | certain_above,
    )


class StratifiedRateSequence:
    """The sequential tests of several criteria over a corpus replayed in strata.

    ``strata``: the stratum (0, 1, ...) of each place of the replay order, as
    :func:`harness.corpus.strata.interleave` gives it; the population is its length.
    ``update``, ``verdicts`` and ``interval`` behave as :class:`RateSequence`'s.
    """

    def __init__(
        self,
        *,
        strata: Sequence[int],
        thresholds: Sequence[float],
        alpha: float,
        repeats: int = 1,
        min_cases: Sequence[int] | None = None,
        grid_steps: int = GRID_STEPS,
    ) -> None:
        if len(strata) == 0:
            raise ValueError("population=0 must be at least 1")
        if repeats < 1:
            raise ValueError(f"repeats={repeats} must be at least 1")
        self.strata = np.asarray(strata, dtype=np.int64)
        self.population = len(self.strata)
        self.sizes = [int(n) for n in np.bincount(self.strata)]
        if 0 in self.sizes:
            raise ValueError("strata must be numbered 0, 1, ... with no stratum empty")
        self.repeats = repeats
        self.alpha = alpha
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        rows = len(self.thresholds)
        self.level = evidence_level(alpha, max(rows, 1))
        self.min_cases = np.asarray(
            min_cases if min_cases is not None else [1] * rows, dtype=np.int64
        )
        self.grid_steps = grid_steps
        self._bets = [_GridBets.empty(rows, grid_steps) for _ in self.sizes]
        self._passed: list[list[_FloatArray]] = [[] for _ in self.sizes]
        self._counted: list[list[_FloatArray]] = [[] for _ in self.sizes]
        self.seen = 0
        self._fail = np.zeros(rows, dtype=bool)
        self._pass = np.zeros(rows, dtype=bool)
        self._counted_total = np.zeros(rows, dtype=np.int64)
        self._intervals: dict[int, tuple[float, float]] = {}

    def _z(self, p: _FloatArray, c: _FloatArray, rate: _FloatArray) -> _FloatArray:
        return (p + rate[:, None] * (self.repeats - c)) / self.repeats

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
        places = self.strata[self.seen : self.seen + p.shape[1]]
        for s in np.unique(places):
            mine = places == s
            self._passed[s].append(p[:, mine])
            self._counted[s].append(c[:, mine])
            z = self._z(p[:, mine], c[:, mine], self.thresholds)
            feed(self._bets[s], z, size=self.sizes[s])
        self.seen += p.shape[1]
        self._counted_total += c.sum(axis=1).astype(np.int64)
        self._intervals.clear()
        found = rate_evidence(self._bets, self.sizes, self.thresholds, self.level)
        self._fail |= found.below
        self._pass |= found.at_or_above & ~self._fail
        if self.seen == self.population:  # every case seen: the rate is exact
            total = sum(bets.total for bets in self._bets)
            self._fail = total < self.population * self.thresholds - _Tolerance
            self._pass = ~self._fail

    def verdicts(self) -> list[Verdict]:
        """Per criterion: "fail", "pass" (with enough counted results) or "open"."""
        enough = self._counted_total >= self.min_cases
        return [
            "fail" if f else "pass" if (p and e) else "open"
            for f, p, e in zip(self._fail, self._pass, enough, strict=True)
        ]

    def seen_per_stratum(self) -> list[int]:
        """How many cases of each stratum have been fed."""
        return [bets.seen for bets in self._bets]

    def cut_range(self, row: int) -> None:
        """No cut: a stratified sequence gates under the ``point`` policy only."""
        return None

    def interval(self, row: int) -> tuple[float, float]:
        """The confidence interval for criterion ``row``'s whole-corpus rate, to about 1e-4:
        the rates neither side rejects now (each stratum's bettors rerun on ``z(r)``),
        within what the unseen cases still allow."""
        if row not in self._intervals:
            self._intervals[row] = self._interval(row)
        return self._intervals[row]

    def _history(self, row: int) -> list[tuple[_FloatArray, _FloatArray]]:
        found = []
        for blocks_p, blocks_c in zip(self._passed, self._counted, strict=True):
            p = np.concatenate([b[row] for b in blocks_p]) if blocks_p else np.zeros(0)
            c = np.concatenate([b[row] for b in blocks_c]) if blocks_c else np.zeros(0)
            found.append((p, c))
        return found

    def _interval(self, row: int) -> tuple[float, float]:
        history = self._history(row)
        p = sum(float(h[0].sum()) for h in history)
        c = sum(float(h[1].sum()) for h in history)
        room = c + self.repeats * (self.population - self.seen)
        if self.seen == 0 or room == 0:
            return (0.0, 1.0)
        certain = (p / room, (p + room - c) / room)
        if self.seen == self.population:
            return (certain[0], certain[0])

        def kept(rates: _FloatArray) -> _BoolArray:
            strata = []
            for s, (ps, cs) in enumerate(history):
                bets = _GridBets.empty(len(rates), self.grid_steps)
                feed(bets, self._z(ps[None, :], cs[None, :], rates), size=self.sizes[s])
                strata.append(bets)
            found = rate_evidence(strata, self.sizes, rates, self.level, interval=True)
            open_: _BoolArray = ~found.below & ~found.at_or_above
            return open_

        grid = np.linspace(certain[0], certain[1], 21)
        inside = np.flatnonzero(kept(grid))
        if len(inside) == 0:  # every rate rejected: an ordering as rare as alpha
            middle = p / c if c else 0.5
            return (middle, middle)

        def edge(keep: float, reject: float) -> float:
            for _ in range(12):
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
