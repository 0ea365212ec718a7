"""The finite-population confidence sequence against exact enumeration of every ordering.

A random permutation of a small corpus makes each distinct ordering of its case values
equally likely, so enumerating them gives the exact probability of each event over the seed.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from harness.config.scenario import GatePolicy
from harness.gate.policy import judge_rate
from harness.stats.confidence_sequence import (
    Counts,
    RateSequence,
    _Bets,
    _zeros,
    advance,
    advance_counts,
    evidence_level,
)

# (passed, counted) per case, for one repeat: a pass, a fail, a case the criterion skips
PASS, FAIL, SKIP = (1, 1), (0, 1), (0, 0)


def orderings(population: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Every distinct ordering of the cases: orderings x cases x (passed, counted)."""
    size = len(population)
    passes, fails = population.count(PASS), population.count(FAIL)
    rows = []
    for at_pass in itertools.combinations(range(size), passes):
        rest = [i for i in range(size) if i not in at_pass]
        for at_fail in itertools.combinations(rest, fails):
            row = np.tile(np.array(SKIP, dtype=np.float64), (size, 1))
            row[list(at_pass)] = PASS
            row[list(at_fail)] = FAIL
            rows.append(row)
    assert len(rows) == math.comb(size, passes) * math.comb(size - passes, fails)
    return np.array(rows)


def corpora(size: int) -> list[tuple[tuple[int, int], ...]]:
    return [
        (PASS,) * p + (FAIL,) * f + (SKIP,) * (size - p - f)
        for p in range(size + 1)
        for f in range(size + 1 - p)
        if p + f > 0
    ]


def first_decisions(
    cases: np.ndarray, threshold: float, alpha: float, repeats: int = 1, criteria: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Feed each ordering case by case: when each side first won, and each side's top capital."""
    rows, size = cases.shape[:2]
    z = (cases[:, :, 0] + threshold * (repeats - cases[:, :, 1])) / repeats
    bets = _Bets(0, _zeros(rows), _zeros(rows), _zeros(rows), _zeros(rows))
    step = advance(
        bets,
        z,
        population=size,
        threshold=np.full(rows, threshold),
        level=evidence_level(alpha, criteria),
    )
    return step.fail_at, step.pass_at, step.log_low, step.log_high


@pytest.mark.parametrize("criteria", [1, 2])
@pytest.mark.parametrize("alpha", [0.2, 0.4])
@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.75, 0.8])
def test_a_wrong_early_verdict_has_probability_at_most_alpha_over_the_criteria(
    threshold: float, alpha: float, criteria: int
) -> None:
    # Each side runs at alpha / k and only the side whose hypothesis is true can be wrong, so
    # one criterion of k is wrong with probability at most alpha / k (alpha when k is 1).
    worst = 0.0
    for population in corpora(8):
        cases = orderings(population)
        passed, counted = cases[0, :, 0].sum(), cases[0, :, 1].sum()
        full_passes = passed / counted >= threshold - 1e-12
        fail_at, pass_at, _, _ = first_decisions(cases, threshold, alpha, criteria=criteria)
        first_fail = np.where(fail_at > 0, fail_at, math.inf)
        first_pass = np.where(pass_at > 0, pass_at, math.inf)
        decided_fail = (first_fail <= first_pass) & (fail_at > 0)
        decided_pass = (first_pass < first_fail) & (pass_at > 0)
        wrong = decided_pass if not full_passes else decided_fail
        worst = max(worst, float(wrong.mean()))
    assert worst <= alpha / criteria


@pytest.mark.parametrize("alpha", [0.15, 0.3])
def test_the_interval_covers_the_corpus_rate_at_every_step_with_probability_1_minus_2_alpha(
    alpha: float,
) -> None:
    # The true rate is rejected only when one side's capital, tested at the true rate itself,
    # ever reaches the evidence level: each side does so with probability <= alpha, so the
    # interval misses with probability <= 2 alpha (both hypotheses hold at the true rate).
    level = evidence_level(alpha)
    worst_low = worst_high = worst = 0.0
    for population in corpora(8):
        cases = orderings(population)
        rate = cases[0, :, 0].sum() / cases[0, :, 1].sum()
        _, _, log_low, log_high = first_decisions(cases, rate, alpha)
        worst_low = max(worst_low, float((log_low >= level).mean()))
        worst_high = max(worst_high, float((log_high >= level).mean()))
        worst = max(worst, float(((log_low >= level) | (log_high >= level)).mean()))
    assert 0 < worst_low <= alpha and 0 < worst_high <= alpha
    assert worst <= 2 * alpha


def test_the_interval_closes_on_the_exact_rate_when_every_case_is_in() -> None:
    rng = np.random.default_rng(3)
    cases = rng.permutation([1] * 57 + [0] * 6 + [2] * 7)  # 2: not applicable
    passed = (cases == 1).astype(int)[None, :]
    counted = (cases != 2).astype(int)[None, :]
    seq = RateSequence(population=70, thresholds=[0.9], alpha=0.05)
    seq.update(passed[:, :40], counted[:, :40])
    low, high = seq.interval(0)
    assert low < 57 / 63 < high
    seq.update(passed[:, 40:], counted[:, 40:])
    low, high = seq.interval(0)
    assert (low, high) == pytest.approx((57 / 63, 57 / 63), abs=1e-9)
    assert seq.verdicts() == ["pass"]


def test_blocks_of_any_size_give_the_same_state_as_one_case_at_a_time() -> None:
    rng = np.random.default_rng(5)
    passed = (rng.random((3, 200)) < [[0.8], [0.95], [0.99]]).astype(int)
    counted = np.ones_like(passed)
    whole = RateSequence(population=500, thresholds=[0.9, 0.95, 0.97], alpha=0.05)
    whole.update(passed, counted)
    pieces = RateSequence(population=500, thresholds=[0.9, 0.95, 0.97], alpha=0.05)
    for start, stop in [(0, 1), (1, 17), (17, 64), (64, 200)]:
        pieces.update(passed[:, start:stop], counted[:, start:stop])
    assert pieces.verdicts() == whole.verdicts()
    assert pieces._low.log_low == pytest.approx(whole._low.log_low)
    assert pieces._high.log_high == pytest.approx(whole._high.log_high)
    assert [pieces.interval(i) for i in range(3)] == [whole.interval(i) for i in range(3)]


def test_the_verdict_and_the_interval_agree() -> None:
    rng = np.random.default_rng(11)
    for rate in (0.8, 0.9, 0.93, 0.97, 0.99):
        values = rng.permutation(
            np.r_[np.ones(round(rate * 600)), np.zeros(600 - round(rate * 600))]
        )
        seq = RateSequence(population=600, thresholds=[0.95], alpha=0.05)
        for start in range(0, 600, 32):
            block = values[None, start : start + 32].astype(int)
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


def test_repeats_count_each_result_and_pass_needs_enough_counted_results() -> None:
    # two repeats per case: (passed, counted) per case; 2 of 2, 1 of 2, or skipped
    seq = RateSequence(population=4, thresholds=[0.6], alpha=0.2, repeats=2, min_cases=[5])
    seq.update([[2, 1, 0, 2]], [[2, 2, 0, 2]])
    assert seq.interval(0) == pytest.approx((5 / 6, 5 / 6))
    assert seq.verdicts() == ["pass"]  # 5 of 6 results
    short = RateSequence(population=2, thresholds=[0.6], alpha=0.2, repeats=2, min_cases=[5])
    short.update([[2, 2]], [[2, 2]])
    assert short.verdicts() == ["open"]  # a perfect rate on 4 results is too few to pass


def test_a_criterion_that_never_applies_stays_open() -> None:
    seq = RateSequence(population=10, thresholds=[0.95], alpha=0.05)
    seq.update(np.zeros((1, 10)), np.zeros((1, 10)))
    assert seq.verdicts() == ["open"]
    assert seq.interval(0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: RateSequence(population=0, thresholds=[0.9], alpha=0.05),
            "population=0 must be at least 1",
        ),
        (
            lambda: RateSequence(population=5, thresholds=[0.9], alpha=0.05, repeats=0),
            "repeats=0 must be at least 1",
        ),
        (
            lambda: RateSequence(population=5, thresholds=[0.9], alpha=1.0),
            "alpha=1.0 must lie strictly between 0 and 1",
        ),
        (
            lambda: RateSequence(population=2, thresholds=[0.9], alpha=0.05).update(
                [[1, 1, 1]], [[1, 1, 1]]
            ),
            "more cases than the population of 2",
        ),
        (
            lambda: RateSequence(population=5, thresholds=[0.9], alpha=0.05).update([[1]], [[0]]),
            "need 0 <= passed <= counted <= repeats for every case",
        ),
    ],
)
def test_bad_arguments_say_what_is_allowed(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def lower_bound_decisions(
    cases: np.ndarray, threshold: float, alpha: float, needed: int, repeats: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Feed each ordering case by case under the lower_bound policy, stopping at the first
    verdict (``stop_on: decided``): that verdict per ordering ("" when none before the last
    case), and the verdict after the last case."""
    rows, size = cases.shape[:2]
    low = _Bets(0, _zeros(rows), _zeros(rows), _zeros(rows), _zeros(rows))
    high = _Bets(0, _zeros(rows), _zeros(rows), _zeros(rows), _zeros(rows))
    counts = Counts.start(np.full(rows, threshold), needed, lower_bound=True)
    early = np.full(rows, "", dtype=object)
    failed = np.zeros(rows, dtype=bool)
    passed = np.zeros(rows, dtype=bool)
    for i in range(size):
        step = advance_counts(
            low,
            high,
            counts,
            cases[:, i : i + 1, 0],
            cases[:, i : i + 1, 1],
            population=size,
            repeats=repeats,
            level=evidence_level(alpha),
        )
        failed |= step.fail_at > 0
        passed |= step.pass_at > 0
        verdict = np.where(
            failed, "fail", np.where(passed & (counts.counted >= needed), "pass", "")
        )
        if i < size - 1:
            early = np.where(early == "", verdict, early)
    return early, verdict


def _full_verdict(cases: np.ndarray, threshold: float, needed: int) -> str:
    passed, counted = int(cases[0, :, 0].sum()), int(cases[0, :, 1].sum())
    policy = GatePolicy(policy="lower_bound", min_cases=needed)
    return judge_rate(passed, counted, threshold, policy).verdict


@pytest.mark.parametrize("alpha", [0.3, 0.5])
@pytest.mark.parametrize(("threshold", "needed"), [(0.3, 1), (0.5, 3), (0.5, 4), (0.6, 2)])
def test_under_the_lower_bound_policy_a_wrong_early_verdict_has_probability_at_most_alpha(
    threshold: float, needed: int, alpha: float
) -> None:
    # Every corpus of 8 cases (passed, failed, not applicable in every mix), every ordering:
    # the early verdict differs from the full replay's (judged by the gate itself, Wilson
    # lower bound against the threshold) with probability at most alpha. With no evidence
    # (alpha ~ 0) only what is certain decides: after the last case, the full replay's
    # verdict exactly ("inconclusive" stays open).
    worst, decided = 0.0, 0
    for population in corpora(8):
        cases = orderings(population)
        full = _full_verdict(cases, threshold, needed)
        early, _ = lower_bound_decisions(cases, threshold, alpha, needed)
        wrong = ((early == "fail") & (full != "fail")) | ((early == "pass") & (full != "pass"))
        worst = max(worst, float(wrong.mean()))
        decided += int((early != "").sum())
        certain, last = lower_bound_decisions(cases, threshold, 1e-12, needed)
        assert (last == {"fail": "fail", "pass": "pass"}.get(full, "")).all(), (population, full)
        assert not (
            ((certain == "fail") & (full != "fail")) | ((certain == "pass") & (full != "pass"))
        ).any()
    assert worst <= alpha
    assert decided > 0  # the test is not vacuous: some orderings stop early


@pytest.mark.parametrize("alpha", [0.3, 0.5])
@pytest.mark.parametrize("threshold", [0.3, 0.5])
def test_under_the_lower_bound_policy_with_repeats_and_skipped_results_too(
    threshold: float, alpha: float
) -> None:
    # Two repeats per case, 5 cases: each case 2, 1 or 0 of 2 passed, 1 of 1 (the other
    # repeat an error not counted), or not applicable; every corpus of such cases, every
    # distinct ordering.
    kinds = [(2, 2), (1, 2), (0, 2), (1, 1), (0, 0)]
    worst = 0.0
    for population in itertools.combinations_with_replacement(kinds, 5):
        if sum(c for _, c in population) == 0:
            continue
        cases = np.array(sorted(set(itertools.permutations(population))), dtype=np.float64)
        full = _full_verdict(cases, threshold, 3)
        early, _ = lower_bound_decisions(cases, threshold, alpha, 3, repeats=2)
        wrong = ((early == "fail") & (full != "fail")) | ((early == "pass") & (full != "pass"))
        worst = max(worst, float(wrong.mean()))
        _, last = lower_bound_decisions(cases, threshold, 1e-12, 3, repeats=2)
        assert (last == {"fail": "fail", "pass": "pass"}.get(full, "")).all(), (population, full)
    assert worst <= alpha
