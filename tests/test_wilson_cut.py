"""The lower_bound policy's cut rate against the gate's own verdict, count by count."""

from __future__ import annotations

import numpy as np
import pytest

from harness.config.scenario import GatePolicy
from harness.gate.policy import judge_rate
from harness.stats.wilson_cut import lower_bound_cut, wilson_passes

THRESHOLDS = [0.0, 0.05, 0.3, 0.5, 0.8, 0.9, 0.95, 0.97, 0.99, 0.999, 1.0]


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_the_cut_is_exactly_where_the_gate_starts_to_pass(threshold: float) -> None:
    policy = GatePolicy(policy="lower_bound", min_cases=1)
    for n in [*range(1, 200), *range(200, 2001, 37)]:
        passed = np.arange(n + 1)
        gate = np.array(
            [judge_rate(int(p), n, threshold, policy).verdict == "pass" for p in passed]
        )
        assert (wilson_passes(passed, n, threshold) == gate).all(), n
        # the cut separates them: every count at or above it passes, every one below fails
        cut = float(lower_bound_cut(threshold, n))
        assert (gate == (passed / n >= cut - 1e-12)).all(), n


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_the_cut_never_rises_as_the_count_grows(threshold: float) -> None:
    # What the sequential gate relies on: over the counts the full replay can still have,
    # the smallest cut is at the most results and the largest at the fewest. The cut never
    # rises; the smallest rate the gate itself passes at n (a multiple of 1/n, so it jitters)
    # lies within one step above it, and none passes where the cut is above 100%.
    policy = GatePolicy(policy="lower_bound", min_cases=1)
    counts = np.arange(1, 3001)
    cuts = lower_bound_cut(threshold, counts)
    finite = cuts[np.isfinite(cuts)]
    assert (np.diff(finite) <= 1e-15).all()
    for n in range(1, 1500, 13):
        cut = float(lower_bound_cut(threshold, n))
        passing = [p for p in range(n + 1) if judge_rate(p, n, threshold, policy).verdict == "pass"]
        if cut > 1:
            assert not passing
        else:
            assert cut - 1e-12 <= passing[0] / n < cut + 1 / n


def test_nothing_counted_or_a_perfect_threshold_never_passes() -> None:
    assert lower_bound_cut(0.9, 0) == np.inf and not wilson_passes(0, 0, 0.9)
    assert lower_bound_cut(1.0, 10_000) == np.inf and not wilson_passes(10_000, 10_000, 1.0)
    assert lower_bound_cut(0.95, 640) == pytest.approx(0.95 + 1.959964 * (0.0475 / 640) ** 0.5)
