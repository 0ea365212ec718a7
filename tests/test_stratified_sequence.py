"""The stratified sequential test against exact enumeration of every ordering within strata.

A stratified replay order takes each stratum in its own uniformly random order and
interleaves the strata by a fixed rule, so every combination of distinct orderings of the
strata is equally likely: enumerating them gives the exact probability of each event.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from harness.corpus.strata import interleave
from harness.stats.confidence_sequence import RateSequence, evidence_level
from harness.stats.stratified_sequence import (
    StratifiedRateSequence,
    _GridBets,
    feed,
    rate_evidence,
)

# (passed, counted) per case, for one repeat: a pass, a fail, a case the criterion skips
PASS, FAIL, SKIP = (1, 1), (0, 1), (0, 0)


def orderings(stratum: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Every distinct ordering of one stratum's cases: orderings x cases x (passed, counted)."""
    distinct = sorted(set(itertools.permutations(stratum)))
    return np.array(distinct, dtype=np.float64)


def mixes(size: int) -> list[tuple[tuple[int, int], ...]]:
    return [
        (PASS,) * p + (FAIL,) * f + (SKIP,) * (size - p - f)
        for p in range(size + 1)
        for f in range(size + 1 - p)
    ]


def combined(strata: list[tuple[tuple[int, int], ...]]) -> list[np.ndarray]:
    """Per stratum, its orderings repeated so that row ``k`` of every stratum together is
    the ``k``-th combination: all combinations, each equally likely."""
    each = [orderings(s) for s in strata]
    grids = np.meshgrid(*[np.arange(len(e)) for e in each], indexing="ij")
    return [e[g.ravel()] for e, g in zip(each, grids, strict=True)]


def evidence_path(
    cases: list[np.ndarray], rate: float, level: float, *, interval: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Feed every combination in the interleaved order, one case at a time: per step and
    row, whether each side rejects at ``rate`` (steps x rows)."""
    sizes = [c.shape[1] for c in cases]
    rows = cases[0].shape[0]
    bets = [_GridBets.empty(rows, STEPS) for _ in sizes]
    taken = [0] * len(sizes)
    below, above = [], []
    thresholds = np.full(rows, rate)
    for s in interleave(sizes):
        value = cases[s][:, taken[s], :]
        taken[s] += 1
        z = (value[:, 0] + rate * (1 - value[:, 1]))[:, None]
        feed(bets[s], z, size=sizes[s])
        found = rate_evidence(bets, sizes, thresholds, level, interval=interval)
        below.append(found.below)
        above.append(found.at_or_above)
    return np.array(below), np.array(above)


STRATA = [(4, 4), (5, 3)]
#: A coarse grid keeps the enumeration quick; the guarantee holds for any grid.
STEPS = 64


@pytest.mark.parametrize("sizes", STRATA)
@pytest.mark.parametrize(("alpha", "threshold"), [(0.6, 0.5), (0.8, 0.75)])
def test_a_wrong_early_verdict_has_probability_at_most_one_sides_alpha(
    sizes: tuple[int, int], alpha: float, threshold: float
) -> None:
    # Only the side whose hypothesis is true can be wrong; each side runs at exp(-level).
    level = evidence_level(alpha)
    worst = 0.0
    for first, second in itertools.product(mixes(sizes[0]), mixes(sizes[1])):
        cases = combined([first, second])
        passed = sum(c[0, :, 0].sum() for c in cases)
        counted = sum(c[0, :, 1].sum() for c in cases)
        if counted == 0:
            continue
        full_passes = passed / counted >= threshold - 1e-12
        below, above = evidence_path(cases, threshold, level)
        steps = below.shape[0]
        first_fail = np.where(below.any(axis=0), np.argmax(below, axis=0), steps)
        first_pass = np.where(above.any(axis=0), np.argmax(above, axis=0), steps)
        # as the sequence decides: a fail wins a tie, and the last step is the full replay's
        early = np.minimum(first_fail, first_pass) < steps - 1
        decided_fail = early & (first_fail <= first_pass)
        decided_pass = early & (first_pass < first_fail)
        wrong = decided_fail if full_passes else decided_pass
        worst = max(worst, float(wrong.mean()))
    assert worst <= math.exp(-level) + 1e-12


@pytest.mark.parametrize("sizes", STRATA)
@pytest.mark.parametrize("alpha", [0.6])
def test_the_interval_covers_the_corpus_rate_at_every_step_with_probability_1_minus_alpha(
    sizes: tuple[int, int], alpha: float
) -> None:
    # The true rate is left out only when a side rejects it: over all combinations of
    # orderings, at any step, that has probability at most alpha (each side exp(-level)).
    level = evidence_level(alpha)
    worst = 0.0
    for first, second in itertools.product(mixes(sizes[0]), mixes(sizes[1])):
        cases = combined([first, second])
        counted = sum(c[0, :, 1].sum() for c in cases)
        if counted == 0:
            continue
        rate = sum(c[0, :, 0].sum() for c in cases) / counted
        below, above = evidence_path(cases, rate, level, interval=True)
        missed = (below | above).any(axis=0)
        worst = max(worst, float(missed.mean()))
    assert 0 < worst <= 2 * math.exp(-level)


def test_the_verdict_is_exact_when_every_case_is_in_and_the_interval_closes() -> None:
    rng = np.random.default_rng(3)
    values = rng.permutation([1] * 57 + [0] * 6 + [2] * 7)  # 2: not applicable
    passed = (values == 1).astype(int)[None, :]
    counted = (values != 2).astype(int)[None, :]
    strata = interleave([30, 25, 15])
    seq = StratifiedRateSequence(strata=strata, thresholds=[0.9], alpha=0.05)
    seq.update(passed[:, :40], counted[:, :40])
    low, high = seq.interval(0)
    assert low < 57 / 63 < high
    seq.update(passed[:, 40:], counted[:, 40:])
    assert seq.interval(0) == pytest.approx((57 / 63, 57 / 63), abs=1e-9)
    assert seq.verdicts() == ["pass"]
    assert seq.seen_per_stratum() == [30, 25, 15]


def test_blocks_of_any_size_give_the_same_state_as_one_case_at_a_time() -> None:
    rng = np.random.default_rng(5)
    passed = (rng.random((2, 150)) < [[0.8], [0.97]]).astype(int)
    counted = np.ones_like(passed)
    strata = interleave([250, 150, 100])
    whole = StratifiedRateSequence(strata=strata, thresholds=[0.9, 0.95], alpha=0.05)
    whole.update(passed, counted)
    pieces = StratifiedRateSequence(strata=strata, thresholds=[0.9, 0.95], alpha=0.05)
    for start, stop in [(0, 1), (1, 17), (17, 64), (64, 150)]:
        pieces.update(passed[:, start:stop], counted[:, start:stop])
    assert pieces.verdicts() == whole.verdicts() == ["fail", "open"]
    for a, b in zip(pieces._bets, whole._bets, strict=True):
        assert a.log_low == pytest.approx(b.log_low)
        assert a.log_high == pytest.approx(b.log_high)
    assert [pieces.interval(i) for i in range(2)] == [whole.interval(i) for i in range(2)]


def test_the_verdict_and_the_interval_agree() -> None:
    rng = np.random.default_rng(11)
    strata = interleave([200, 150, 50])
    for rate in (0.8, 0.9, 0.97, 0.99):
        ones = round(rate * 400)
        values = rng.permutation(np.r_[np.ones(ones), np.zeros(400 - ones)])
        seq = StratifiedRateSequence(strata=strata, thresholds=[0.95], alpha=0.05)
        for start in range(0, 400, 48):
            block = values[None, start : start + 48].astype(int)
            seq.update(block, np.ones_like(block))
            low, high = seq.interval(0)
            verdict = seq.verdicts()[0]
            if verdict == "fail":
                assert high < 0.95 + 1e-3
                break
            if verdict == "pass":
                assert low >= 0.95 - 1e-3
                break
            assert low <= 0.95 + 1e-3 and high >= 0.95 - 1e-3


def test_a_segment_that_fails_alone_is_found_sooner_than_without_strata() -> None:
    # 3 strata; the small one (40 of 600 cases) always fails: the corpus is at 93.3%, and
    # the strata's own variance is nil, which the stratified test uses and the plain one not.
    strata = interleave([360, 200, 40])
    values = np.array([0 if s == 2 else 1 for s in strata])[None, :]
    stops = []
    for seq in (
        StratifiedRateSequence(strata=strata, thresholds=[0.95], alpha=0.05),
        RateSequence(population=600, thresholds=[0.95], alpha=0.05),
    ):
        for start in range(0, 600, 16):
            seq.update(values[:, start : start + 16], np.ones((1, 16), dtype=int))
            if seq.verdicts() != ["open"]:
                break
        assert seq.verdicts() == ["fail"]
        stops.append(seq.seen)
    # each side at alpha / k (k = 1 here): sooner than at alpha / 2, and strata still help
    assert stops == [288, 448]


def test_repeats_count_each_result_and_pass_needs_enough_counted_results() -> None:
    seq = StratifiedRateSequence(
        strata=[0, 1, 0, 1], thresholds=[0.6], alpha=0.2, repeats=2, min_cases=[5]
    )
    seq.update([[2, 1, 0, 2]], [[2, 2, 0, 2]])
    assert seq.interval(0) == pytest.approx((5 / 6, 5 / 6))
    assert seq.verdicts() == ["pass"]  # 5 of 6 results
    short = StratifiedRateSequence(
        strata=[0, 1], thresholds=[0.6], alpha=0.2, repeats=2, min_cases=[5]
    )
    short.update([[2, 2]], [[2, 2]])
    assert short.verdicts() == ["open"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: StratifiedRateSequence(strata=[], thresholds=[0.9], alpha=0.05),
            "population=0 must be at least 1",
        ),
        (
            lambda: StratifiedRateSequence(strata=[0, 2], thresholds=[0.9], alpha=0.05),
            "strata must be numbered 0, 1, ... with no stratum empty",
        ),
        (
            lambda: StratifiedRateSequence(strata=[0], thresholds=[0.9], alpha=0.05, repeats=0),
            "repeats=0 must be at least 1",
        ),
        (
            lambda: StratifiedRateSequence(strata=[0, 1], thresholds=[0.9], alpha=0.05).update(
                [[1, 1, 1]], [[1, 1, 1]]
            ),
            "more cases than the population of 2",
        ),
    ],
)
def test_bad_arguments_say_what_is_allowed(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
