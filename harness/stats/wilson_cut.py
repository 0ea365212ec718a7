"""The ``lower_bound`` policy's cut: the pass rate whose Wilson lower bound is the threshold.

Under ``policy: lower_bound`` a criterion with ``n`` counted results passes when the lower end
of the Wilson 95% interval of its pass rate reaches the threshold ``t``
(:func:`harness.gate.policy.judge_rate`). The Wilson interval is the set of rates ``p`` with
``(rate - p)^2 <= z^2 p (1 - p) / n``, so its lower end is at least ``t`` exactly when ``t``
lies below the rate and outside that set:

    rate >= cut(t, n) = t + z sqrt(t (1 - t) / n)

(for ``0 <= t < 1``; at ``t = 1`` no count passes, since the lower bound of a perfect rate is
``n / (n + z^2) < 1``, and the cut is infinite). So "passes the lower bound" is "the rate is at
least the cut", a rate that falls as ``n`` grows; ``tests/test_wilson_cut.py`` checks both
against the gate's own verdict for every count up to 2,000, rather than trusting the algebra.
The sequential gate (:mod:`harness.stats.confidence_sequence`) tests the corpus's rate against
the cut at the counts the full replay can still have.

>>> round(float(lower_bound_cut(0.95, 640)), 4)
0.9669
>>> float(lower_bound_cut(0.95, 0)), float(lower_bound_cut(1.0, 640))
(inf, inf)
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import numpy.typing as npt

#: z of the gate's two-sided Wilson 95% interval, computed as harness.stats.binomial does.
WILSON_Z = NormalDist().inv_cdf(1 - (1 - 0.95) / 2)


def lower_bound_cut(threshold: npt.ArrayLike, counted: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The smallest pass rate whose Wilson 95% lower bound over ``counted`` results reaches
    ``threshold`` (elementwise; infinite with nothing counted or a threshold of 100%)."""
    t = np.asarray(threshold, dtype=np.float64)
    n = np.asarray(counted, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = t + WILSON_Z * np.sqrt(np.clip(t * (1 - t), 0, None) / n)
    return np.where((n <= 0) | (t >= 1), np.inf, np.where(t <= 0, 0.0, cut))


def wilson_passes(
    passed: npt.ArrayLike, counted: npt.ArrayLike, threshold: npt.ArrayLike
) -> npt.NDArray[np.bool_]:
    """Whether ``passed`` of ``counted`` results has a Wilson lower bound at or above
    ``threshold``, as the gate judges it (elementwise; False with nothing counted)."""
    p = np.asarray(passed, dtype=np.float64)
    n = np.asarray(counted, dtype=np.float64)
    cut = lower_bound_cut(threshold, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: npt.NDArray[np.bool_] = (n > 0) & (p >= cut * n - 1e-9)
    return result
