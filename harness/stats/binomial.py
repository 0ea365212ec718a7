"""Statistics the gate and the corpus tooling share: intervals, paired tests, sample sizes.

Pure functions over counts; no I/O. Checked against published values in the tests.

>>> low, high = wilson_interval(95, 100)
>>> round(low, 4), round(high, 4)
(0.8882, 0.9785)
>>> required_cases(0.95, 0.90)
191
"""

from __future__ import annotations

import math
from statistics import NormalDist

_NORMAL = NormalDist()


def wilson_interval(passed: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for ``passed`` successes in ``n`` trials.

    Unlike the normal ("Wald") interval it stays inside [0, 1] and behaves near 0% and 100%,
    where pass rates of a good agent live.
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= passed <= n:
        raise ValueError(f"passed={passed} must lie between 0 and n={n}")
    z = _NORMAL.inv_cdf(1 - (1 - confidence) / 2)
    p = passed / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if passed == 0 else max(0.0, centre - half)
    high = 1.0 if passed == n else min(1.0, centre + half)
    return (low, high)


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (stable for large n)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        log_term = (
            math.lgamma(n + 1)
            - math.lgamma(i + 1)
            - math.lgamma(n - i + 1)
            + i * log_p
            + (n - i) * log_q
        )
        total += math.exp(log_term)
    return min(1.0, total)


def mcnemar_exact(pass_to_fail: int, fail_to_pass: int) -> float:
    """Two-sided exact McNemar p-value for paired outcomes (baseline vs candidate).

    Only discordant pairs carry information: under no change, each flip is equally likely
    to go either way, so the smaller count is Binomial(b + c, 1/2).
    """
    discordant = pass_to_fail + fail_to_pass
    if discordant == 0:
        return 1.0
    smaller = min(pass_to_fail, fail_to_pass)
    return min(1.0, 2 * binomial_cdf(smaller, discordant, 0.5))


def required_cases(p_good: float, p_bad: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Applicable cases needed to tell an agent at ``p_good`` from one at ``p_bad``.

    A one-sided exact binomial test at level ``alpha`` (rejecting "the pass rate is
    ``p_good``" when few enough cases pass) must detect ``p_bad`` with at least ``power``.
    An exact test's power is a saw-tooth in n: with the defaults it first reaches 80% at 169
    cases but drops back to 74.8% at 172 and below 80% again up to 190. So this is the
    smallest n from which the power *stays* at or above ``power`` (checked over the next
    quarter of n, at least 50 sizes): 191 for 95% against 90%. A corpus that grows never
    loses the power it was promised.
    """
    if not 0 < p_bad < p_good < 1:
        raise ValueError("need 0 < p_bad < p_good < 1")

    def enough(n: int) -> bool:
        k = critical_count(n, p_good, alpha)
        return k >= 0 and binomial_cdf(k, n, p_bad) >= power

    n = 10
    while n < 1_000_000:
        if enough(n):
            later = next((m for m in range(n + 1, n + max(50, n // 4) + 1) if not enough(m)), None)
            if later is None:
                return n
            n = later
        n += 1
    raise ValueError("no sample size below 1,000,000 reaches that power")


def critical_count(n: int, p: float, alpha: float) -> int:
    """The largest pass count k with P(X <= k | p) <= alpha (-1 when none)."""
    mean = int(n * p)
    k = mean
    while k >= 0 and binomial_cdf(k, n, p) > alpha:
        k -= 1
    return k
