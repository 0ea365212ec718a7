"""Statistics checked against published and hand-computed values."""

from __future__ import annotations

import pytest

from harness.stats.binomial import binomial_cdf, mcnemar_exact, required_cases, wilson_interval


@pytest.mark.parametrize(
    ("passed", "n", "low", "high"),
    [
        # Newcombe (1998), Table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (20, 20, 0.8389, 1.0),
        (95, 100, 0.8882, 0.9785),
    ],
)
def test_wilson_interval_matches_published_values(
    passed: int, n: int, low: float, high: float
) -> None:
    got = wilson_interval(passed, n)
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_binomial_cdf_small_cases() -> None:
    assert binomial_cdf(0, 3, 0.5) == pytest.approx(1 / 8)
    assert binomial_cdf(1, 3, 0.5) == pytest.approx(4 / 8)
    assert binomial_cdf(3, 3, 0.5) == 1.0


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        (3, 10, 0.0923),  # 2 * P(X <= 3 | 13, 1/2) = 2 * 378 / 8192
        (0, 5, 0.0625),
        (5, 5, 1.0),
        (0, 0, 1.0),
    ],
)
def test_mcnemar_exact(b: int, c: int, p: float) -> None:
    assert round(mcnemar_exact(b, c), 4) == p


def test_required_cases_reaches_the_asked_power() -> None:
    from harness.stats.binomial import critical_count

    n = required_cases(0.95, 0.90)
    k = critical_count(n, 0.95, 0.05)
    assert binomial_cdf(k, n, 0.95) <= 0.05  # a good agent is rarely failed
    assert binomial_cdf(k, n, 0.90) >= 0.8  # a bad agent is caught with 80% power
    assert 120 < n < 260  # the normal approximation gives 150
    # The power stays there as the corpus grows (an exact test's power is a saw-tooth).
    for m in range(n, n + 60):
        assert binomial_cdf(critical_count(m, 0.95, 0.05), m, 0.90) >= 0.8
    assert binomial_cdf(critical_count(n - 1, 0.95, 0.05), n - 1, 0.90) < 0.8
