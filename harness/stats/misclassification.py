"""A pass rate corrected for the scorer's own error: Rogan–Gladen, with its uncertainty.

A gate counts the scorer's verdicts, and the scorer is sometimes wrong: it passes some
disclosures people would fail (wrong-pass rate ``fp``) and fails some they would pass
(wrong-fail rate ``ff``), both measured on a labelled calibration set. If the observed pass
rate is ``p``, the true rate ``t`` satisfies ``p = t·(1 − ff) + (1 − t)·fp``, so

    t = (p − fp) / (1 − ff − fp)            (Rogan & Gladen, Am J Epidemiol 1978)

clipped to [0, 1]. The interval here is conservative: the Wilson interval of each of the
three rates at 1 − α/3 (a Bonferroni split, so the three hold together with probability at
least 1 − α), and the corrected rate at the corners of that box: for fixed values of the
other two, ``t`` is monotone in each rate (its slope in ``fp`` has the sign of
``p − 1 + ff``, in ``ff`` that of ``p − fp``), so its extremes over the box are corners. A
scorer no better than chance (``1 − ff − fp <= 0`` anywhere in the box) leaves [0, 1]:
its verdicts say nothing about the true rate.

>>> round(corrected_rate(0.95, false_pass=0.05, false_fail=0.02), 4)
0.9677
>>> low, high = corrected_interval(95, 100, false_pass=(1, 40), false_fail=(1, 50))
>>> round(low, 3), round(high, 3)
(0.846, 1.0)
"""

from __future__ import annotations

from itertools import product

from harness.stats.binomial import wilson_interval


def corrected_rate(observed: float, *, false_pass: float, false_fail: float) -> float:
    """The Rogan–Gladen estimate of the true pass rate, clipped to [0, 1]."""
    informative = 1.0 - false_fail - false_pass
    if informative <= 0:
        return observed
    return min(1.0, max(0.0, (observed - false_pass) / informative))


def corrected_interval(
    passed: int,
    counted: int,
    *,
    false_pass: tuple[int, int],
    false_fail: tuple[int, int],
    confidence: float = 0.95,
) -> tuple[float, float]:
    """A conservative interval for the true pass rate from ``passed`` of ``counted`` and the
    calibration counts ``false_pass`` (wrong passes, labelled misses) and ``false_fail``
    (wrong fails, labelled presentations)."""
    if counted <= 0:
        return (0.0, 1.0)
    each = 1 - (1 - confidence) / 3
    p_box = wilson_interval(passed, counted, each)
    fp_box = wilson_interval(*false_pass, each) if false_pass[1] else (0.0, 1.0)
    ff_box = wilson_interval(*false_fail, each) if false_fail[1] else (0.0, 1.0)
    corners = []
    for p, fp, ff in product(p_box, fp_box, ff_box):
        if 1.0 - ff - fp <= 0:
            return (0.0, 1.0)
        corners.append(corrected_rate(p, false_pass=fp, false_fail=ff))
    return (min(corners), max(corners))
