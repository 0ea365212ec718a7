"""The gate: per criterion, pass rate against threshold, computed in DuckDB.

A failed gate is a result, not an exception: the CLI and the pytest plugin turn
:attr:`GateResult.passed` into exit status 0 or 1.

>>> with RunStore(":memory:") as store:  # doctest: +SKIP
...     gate = evaluate_gate(store, "run-1", {"commission": 0.95}, errors_are_failures=True)
>>> gate.failing  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from harness.config.scenario import GatePolicy
from harness.gate.drift import Flip, Regression, regression_from_row
from harness.gate.scorer_error import ScorerError, scorer_error
from harness.gate.sequential_verdict import SequentialCriterion, SequentialSummary
from harness.scoring.calibration import CalibrationRow
from harness.stats.binomial import wilson_interval
from harness.store.database import RunStore

CriterionVerdict = Literal["pass", "fail", "no_cases", "inconclusive"]
_Z2 = 1.959963984540054**2  # z squared for a two-sided 95% interval


def cases_for_threshold(threshold: float) -> int | None:
    """The fewest counted cases at which a threshold can be told apart from chance.

    The smallest n whose Wilson 95% lower bound at a 100% pass rate (n / (n + z²)) reaches
    ``threshold``: below it, even a flawless run cannot show the pass rate is above the
    threshold. None for a threshold of 100%, which no finite count reaches.

    >>> cases_for_threshold(0.95), cases_for_threshold(0.9), cases_for_threshold(0.5)
    (73, 35, 4)
    """
    if threshold >= 1.0:
        return None
    if threshold <= 0.0:
        return 1
    n = max(1, math.ceil(_Z2 * threshold / (1.0 - threshold)) - 1)
    while wilson_interval(n, n)[0] < threshold - 1e-12:
        n += 1
    return n


class CriterionResult(BaseModel):
    """One criterion's figures in one run."""

    model_config = ConfigDict(frozen=True)

    criterion: str
    threshold: float
    applicable: int
    passed: int
    failed: int
    errors: int
    pass_rate: float | None
    not_run: int = 0
    verdict: CriterionVerdict
    baseline_pass_rate: float | None = None
    #: The pass rate's denominator: applicable, less errors when they do not count.
    counted: int | None = None
    #: The Wilson 95% interval of the pass rate (None with no counted case).
    interval_low: float | None = None
    interval_high: float | None = None
    #: Counted cases needed for the threshold to mean anything (see cases_for_threshold).
    needed: int | None = None
    policy: Literal["point", "lower_bound"] = "point"
    regression: Regression | None = None
    #: Results in review (the scorer unsure, nothing settled it) and how the gate counted them.
    reviews: int = 0
    review_counts_as: Literal["fail", "pass", "excluded"] = "fail"
    #: The scorer's measured error on the scenario's labelled calibration set (None without
    #: one): beside the pass rate, so a reader knows what a green check proves.
    calibration: ScorerError | None = None
    #: In a sequential run: what was decided and the whole corpus's interval (gate/sequential.py).
    sequential: SequentialCriterion | None = None

    @property
    def delta(self) -> float | None:
        if self.pass_rate is None or self.baseline_pass_rate is None:
            return None
        return self.pass_rate - self.baseline_pass_rate

    @property
    def reason(self) -> str:
        if self.sequential is not None and self.verdict != "no_cases":
            return self.sequential.reason(self.passed, self.counted, self.threshold)
        if self.verdict == "no_cases":
            return "no applicable case in the corpus selection: nothing was checked"
        if self.verdict == "inconclusive":
            return (
                f"inconclusive: {self.counted} counted cases, {self.needed} needed before a "
                f"{self.threshold:.0%} threshold can be told apart from chance"
            )
        if self.policy == "lower_bound" and self.interval_low is not None:
            relation = "at or above" if self.verdict == "pass" else "below"
            return (
                f"Wilson 95% lower bound {self.interval_low:.1%} ({self.passed} of "
                f"{self.counted} passed), {relation} {self.threshold:.0%}"
            )
        rate = f"{self.pass_rate:.1%}" if self.pass_rate is not None else "n/a"
        relation = "at or above" if self.verdict == "pass" else "below"
        return (
            f"{rate} of {self.applicable} applicable cases passed, {relation} {self.threshold:.0%}"
        )


class RateJudgement(BaseModel):
    """A pass count judged against a threshold under a gate policy."""

    model_config = ConfigDict(frozen=True)

    counted: int
    pass_rate: float | None
    interval_low: float | None
    interval_high: float | None
    needed: int | None
    verdict: CriterionVerdict


def judge_rate(
    passed: int, counted: int, threshold: float, policy: GatePolicy | None = None
) -> RateJudgement:
    """Verdict of ``passed`` out of ``counted`` against ``threshold``.

    ``no_cases`` with nothing counted; ``fail`` when the pass rate (or, under the
    ``lower_bound`` policy, its Wilson lower bound) is below the threshold and there are
    enough cases; ``inconclusive`` when there are fewer than ``needed`` cases and the
    observed rate is not already below the threshold (a shortfall fails at any count);
    else ``pass``.

    >>> judge_rate(10, 10, 0.95).verdict, judge_rate(10, 10, 0.95).needed
    ('inconclusive', 73)
    """
    policy = policy or GatePolicy()
    needed = policy.min_cases if policy.min_cases is not None else cases_for_threshold(threshold)
    if counted <= 0:
        return RateJudgement(
            counted=0,
            pass_rate=None,
            interval_low=None,
            interval_high=None,
            needed=needed,
            verdict="no_cases",
        )
    low, high = wilson_interval(passed, counted)
    rate = passed / counted
    verdict: CriterionVerdict
    if rate < threshold - 1e-12:
        verdict = "fail"
    elif needed is not None and counted < needed:
        verdict = "inconclusive"
    elif policy.policy == "lower_bound" and low < threshold - 1e-12:
        verdict = "fail"
    else:
        verdict = "pass"
    return RateJudgement(
        counted=counted,
        pass_rate=rate,
        interval_low=low,
        interval_high=high,
        needed=needed,
        verdict=verdict,
    )


class SegmentResult(BaseModel):
    """One criterion's figures over the cases of one segment (a tag key and value)."""

    model_config = ConfigDict(frozen=True)

    tag: str
    value: str
    criterion: str
    threshold: float
    applicable: int
    passed: int
    errors: int
    judgement: RateJudgement


class GateResult(BaseModel):
    """The gate over a run: every criterion's figures and the overall verdict."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    criteria: tuple[CriterionResult, ...]
    baseline_run_id: str | None = None
    stopped: tuple[str, ...] = ()
    #: Why the gate was refused (a judge below its kappa floor): the figures stand, the
    #: verdict is a failure.
    refused: tuple[str, ...] = ()
    repeat_policy: Literal["mean", "pass_k"] = "mean"
    inconclusive_fails: bool = True
    #: Per tag key and value, each criterion's figures (shown, not gated).
    segments: tuple[SegmentResult, ...] = ()
    #: What the scenario's calibration floor found missing: the run is refused (exit 2).
    floor_missing: tuple[str, ...] = ()
    #: A sequential run: when its verdict was known and what it saved (gate/sequential.py).
    sequential: SequentialSummary | None = None

    def blocks(self, c: CriterionResult) -> bool:
        """Whether ``c`` fails the gate: its verdict, or a significant drop when that fails."""
        if c.sequential is not None and c.sequential.decided == "open":
            return False  # a sequential run stopped on another criterion before this one
        if c.regression is not None and c.regression.fails_gate:
            return True
        if c.verdict == "inconclusive":
            return self.inconclusive_fails
        return c.verdict != "pass"

    @property
    def passed(self) -> bool:
        return not self.stopped and not self.refused and not self.floor_missing and not self.failing

    @property
    def failing(self) -> list[CriterionResult]:
        return [c for c in self.criteria if self.blocks(c)]

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        return "pass" if self.passed else "fail"

    @property
    def flipped(self) -> list[tuple[str, Flip]]:
        """Every (criterion, flip) against the baseline: newly failing first, then by case."""
        found = [
            (c.criterion, f) for c in self.criteria if c.regression for f in c.regression.flips
        ]
        return sorted(found, key=lambda x: (x[1].direction != "pass_to_fail", x[1].case_id, x[0]))

    def headline(self) -> str:
        """The verdict in plain words, for a terminal, a summary or a report."""
        if self.sequential is not None and not self.stopped:
            return f"{self._headline()[:-1]}; {self.sequential.words()}."
        return self._headline()

    def _headline(self) -> str:
        if self.floor_missing:
            return (
                "NOT GATED (exit 2): the scoring is below the scenario's calibration floor: "
                f"{'; '.join(self.floor_missing)}."
            )
        if self.refused:
            return f"NOT GATED (a failure): refusing to gate: {'; '.join(self.refused)}."
        if self.stopped:
            return (
                f"FAILED: the run stopped early ({'; '.join(self.stopped)}); "
                "cases not replayed count as failures."
            )
        if self.passed:
            return f"PASSED: all {len(self.criteria)} criteria met their thresholds."
        count = f"{len(self.failing)} of {len(self.criteria)}"
        if all(c.verdict in ("fail", "no_cases") for c in self.failing):
            names = ", ".join(c.criterion for c in self.failing)
            return f"FAILED: {count} criteria below threshold ({names})."
        reasons = "; ".join(f"{c.criterion}: {_failure_words(c)}" for c in self.failing)
        return f"FAILED: {count} criteria failed the gate ({reasons})."


def _failure_words(c: CriterionResult) -> str:
    if c.verdict == "inconclusive":
        return f"inconclusive, {c.counted} of {c.needed} cases needed"
    if c.verdict in ("fail", "no_cases"):
        return "below threshold" if c.verdict == "fail" else "no applicable cases"
    assert c.regression is not None
    return f"significant drop against the baseline (McNemar p = {c.regression.p_value:.2g})"


def evaluate_gate(
    store: RunStore,
    run_id: str,
    thresholds: Mapping[str, float],
    *,
    errors_are_failures: bool,
    baseline_run_id: str | None = None,
    stopped: tuple[str, ...] = (),
    repeat_policy: Literal["mean", "pass_k"] = "mean",
    refused: tuple[str, ...] = (),
    policy: GatePolicy | None = None,
    calibration: Mapping[str, CalibrationRow] | None = None,
    floor_missing: tuple[str, ...] = (),
) -> GateResult:
    """Compute the gate of ``run_id`` in the store, with deltas against ``baseline_run_id``.

    With repeats, ``repeat_policy`` ``pass_k`` gates the share of cases whose every repeat
    passed; ``mean`` the share of all (case, repeat) results. ``policy`` (the scenario's
    ``gate:`` section) chooses point or lower-bound gating, what an inconclusive criterion
    does, whether a significant paired drop against the baseline fails and how a ``review``
    result counts. ``calibration``: the gated verdict's calibration row per criterion, shown
    beside its pass rate with the rate corrected for the scorer's error.
    """
    policy = policy or GatePolicy()
    review = policy.review_counts_as
    calibration = calibration or {}
    rows = store.gate_rows(
        run_id,
        thresholds,
        errors_are_failures=errors_are_failures,
        repeat_policy=repeat_policy,
        review_counts_as=review,
    )
    baseline = store.pass_rates(baseline_run_id) if baseline_run_id else {}
    paired = (
        {
            r["criterion"]: r
            for r in store.paired_rows(
                run_id,
                baseline_run_id,
                errors_are_failures=errors_are_failures,
                review_counts_as=review,
            )
        }
        if baseline_run_id
        else {}
    )
    segments = tuple(
        _segment(r, errors_are_failures, policy)
        for r in store.segment_rows(
            run_id, thresholds, repeat_policy=repeat_policy, review_counts_as=review
        )
    )
    criteria = []
    for r in rows:
        judged = judge_rate(r["passed"], r["counted"], r["threshold"], policy)
        criteria.append(
            CriterionResult(
                criterion=r["criterion"],
                threshold=r["threshold"],
                applicable=r["applicable"],
                passed=r["passed"],
                failed=r["failed"],
                errors=r["errors"],
                not_run=r["not_run"],
                pass_rate=r["pass_rate"],
                verdict=judged.verdict,
                baseline_pass_rate=baseline.get(r["criterion"]),
                counted=r["counted"],
                interval_low=judged.interval_low,
                interval_high=judged.interval_high,
                needed=judged.needed,
                policy=policy.policy,
                regression=regression_from_row(paired.get(r["criterion"]), policy.regression),
                reviews=r["reviews"],
                review_counts_as=review,
                calibration=(
                    scorer_error(calibration[r["criterion"]], r["passed"], r["counted"])
                    if r["criterion"] in calibration
                    else None
                ),
            )
        )
    return GateResult(
        run_id=run_id,
        baseline_run_id=baseline_run_id,
        stopped=stopped,
        refused=refused,
        repeat_policy=repeat_policy,
        criteria=tuple(criteria),
        inconclusive_fails=policy.inconclusive_fails,
        segments=segments,
        floor_missing=floor_missing,
    )


def _segment(
    row: Mapping[str, Any], errors_are_failures: bool, policy: GatePolicy
) -> SegmentResult:
    counted = row["applicable"] - (0 if errors_are_failures else row["errors"])
    return SegmentResult(
        tag=row["tag"],
        value=str(row["tag_value"]),
        criterion=row["criterion"],
        threshold=row["threshold"],
        applicable=row["applicable"],
        passed=row["passed"],
        errors=row["errors"],
        judgement=judge_rate(row["passed"], counted, row["threshold"], policy),
    )
