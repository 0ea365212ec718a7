"""The sequential gate: the full replay's verdict, known from the first cases of a random order.

A sequential run (the scenario's ``gate.sequential``) replays its cases in a seeded random
order (:mod:`harness.corpus.order`) and stops calling the model once every criterion's verdict
is known, or one criterion's failure is (``stop_on``). :func:`judge_sequentially` reads the
run's results in that order, counts each case as the gate counts it (:func:`case_values`),
and feeds the longest fully replayed prefix to the confidence sequence of
:mod:`harness.stats.confidence_sequence`; :func:`apply_sequential` then gates on what it
decided. Cases never replayed are ``not_run`` and are not counted.

>>> case_values(["passed", "review"], Counting(repeats=2))  # review counts as a failure
(1, 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from harness.config.scenario import GatePolicy, RepeatPolicy
from harness.config.sequential import SequentialPolicy
from harness.gate.policy import GateResult, cases_for_threshold
from harness.gate.sequential_verdict import SequentialCriterion, SequentialSummary
from harness.stats.binomial import wilson_interval
from harness.stats.confidence_sequence import RateSequence
from harness.stats.stratified_sequence import StratifiedRateSequence

#: Cases fed to the confidence sequence at a time while a run is going (the simulation in
#: benchmarks/sequential_simulation.py checks as often).
CHECK_EVERY = 16


@dataclass(frozen=True, slots=True)
class Counting:
    """How the gate counts a result (the scenario's choices), for :func:`case_values`."""

    errors_are_failures: bool = True
    review_counts_as: Literal["fail", "pass", "excluded"] = "fail"
    repeat_policy: RepeatPolicy = "mean"
    repeats: int = 1

    @property
    def per_case(self) -> int:
        """Results a case contributes at most: its repeats, or one under pass_k."""
        return 1 if self.repeat_policy == "pass_k" else self.repeats


def _counted(status: str, counting: Counting) -> tuple[int, int]:
    if status == "review":
        status = {"fail": "review", "pass": "passed", "excluded": "not_applicable"}[
            counting.review_counts_as
        ]
    if status == "passed":
        return (1, 1)
    if status == "not_applicable" or (status == "error" and not counting.errors_are_failures):
        return (0, 0)
    return (0, 1)  # failed, review, error, not_run: counted, not passed


def case_values(statuses: Sequence[str], counting: Counting) -> tuple[int, int]:
    """One case's (passed, counted) for a criterion, from each repeat's status, as the gate
    counts them (errors, review, pass_k as in harness/store/gate_queries.py).

    >>> case_values(["passed", "error"], Counting(repeats=2))
    (1, 2)
    >>> case_values(["passed", "failed"], Counting(repeat_policy="pass_k", repeats=2))
    (0, 1)
    """
    if counting.repeat_policy == "pass_k":
        combined = [_pass_k_status(statuses, counting)]
        return _counted(combined[0], Counting(counting.errors_are_failures, "fail"))
    passed = counted = 0
    for status in statuses:
        p, c = _counted(status, counting)
        passed, counted = passed + p, counted + c
    return (passed, counted)


def _pass_k_status(statuses: Sequence[str], counting: Counting) -> str:
    mapped = [
        {"fail": "review", "pass": "passed", "excluded": "not_applicable"}[
            counting.review_counts_as
        ]
        if s == "review"
        else s
        for s in statuses
    ]
    if all(s == "not_applicable" for s in mapped):
        return "not_applicable"
    for status in ("failed", "error", "not_run", "review"):
        if status in mapped:
            return status
    return "passed"


def new_sequence(
    policy: SequentialPolicy,
    gate: GatePolicy,
    thresholds: Mapping[str, float],
    population: int,
    counting: Counting,
    strata: Sequence[int] | None = None,
) -> RateSequence | StratifiedRateSequence:
    """The confidence sequences for ``thresholds``' criteria over ``population`` cases
    (over their ``strata``, each place's stratum, when the order is stratified)."""
    needed = [gate.min_cases or cases_for_threshold(t) or 1 for t in thresholds.values()]
    if strata is not None:
        return StratifiedRateSequence(
            strata=strata,
            thresholds=list(thresholds.values()),
            alpha=policy.alpha,
            repeats=counting.per_case,
            min_cases=needed,
        )
    return RateSequence(
        population=population,
        thresholds=list(thresholds.values()),
        alpha=policy.alpha,
        repeats=counting.per_case,
        min_cases=needed,
        policy=gate.policy,
    )


def should_stop(verdicts: Sequence[str], stop_on: str) -> bool:
    """Whether a run stops: one criterion will fail, or (``decided``) every one will pass."""
    return "fail" in verdicts or (stop_on == "decided" and all(v == "pass" for v in verdicts))


@dataclass(frozen=True)
class SequentialJudgement:
    summary: SequentialSummary
    criteria: dict[str, SequentialCriterion]


def judge_sequentially(
    statuses: Iterable[tuple[str, str, str]],
    order: Sequence[str],
    *,
    policy: SequentialPolicy,
    gate: GatePolicy,
    thresholds: Mapping[str, float],
    counting: Counting,
    calls_made: int,
    cost_usd: float,
    strata: Sequence[int] | None = None,
) -> SequentialJudgement:
    """Read a run's results (case id, criterion, status; one row per repeat) in ``order``.

    The longest prefix of ``order`` whose cases were all replayed (no repeat ``not_run``) is
    fed to the confidence sequence in blocks of :data:`CHECK_EVERY`, stopping at the first
    check that decides as the run did; the verdicts and intervals are read there.
    ``strata``: each place's stratum when the order is stratified (harness.corpus.strata).
    """
    criteria = list(thresholds)
    index = {c: i for i, c in enumerate(criteria)}
    rank = {case_id: i for i, case_id in enumerate(order)}
    per_case: dict[tuple[int, int], list[str]] = {}
    replayed = np.zeros(len(order), dtype=bool)
    not_run = np.zeros(len(order), dtype=bool)
    for case_id, criterion, status in statuses:
        position = rank.get(case_id)
        if position is None or criterion not in index:
            continue
        per_case.setdefault((index[criterion], position), []).append(status)
        if status == "not_run":
            not_run[position] = True
        else:
            replayed[position] = True
    complete = replayed & ~not_run
    prefix = int(np.argmin(complete)) if not complete.all() else len(order)
    passed = np.zeros((len(criteria), prefix), dtype=np.int16)
    counted = np.zeros((len(criteria), prefix), dtype=np.int16)
    for (row, position), found in per_case.items():
        if position < prefix:
            passed[row, position], counted[row, position] = case_values(found, counting)
    sequence = new_sequence(policy, gate, thresholds, len(order), counting, strata)
    decided_after = None
    for start in range(0, prefix, CHECK_EVERY):
        stop = min(start + CHECK_EVERY, prefix)
        sequence.update(passed[:, start:stop], counted[:, start:stop])
        # every case replayed: the full replay's own verdict stands, read to the end
        if should_stop(sequence.verdicts(), policy.stop_on) and not complete.all():
            decided_after = stop
            break
    verdicts = sequence.verdicts()
    intervals = [sequence.interval(i) for i in range(len(criteria))]  # a grid search each
    judged = {
        c: SequentialCriterion.of(verdicts[i], intervals[i], sequence.cut_range(i))
        for i, c in enumerate(criteria)
    }
    summary = SequentialSummary(
        alpha=policy.alpha,
        stop_on=policy.stop_on,
        population=len(order),
        decided_after=decided_after,
        replayed=int(complete.sum()),
        calls_made=calls_made,
        cost_usd=cost_usd,
        criteria=len(criteria),
    )
    return SequentialJudgement(summary, judged)


def apply_sequential(gate: GateResult, judged: SequentialJudgement) -> GateResult:
    """``gate`` with each criterion counted over the replayed cases only and judged on what
    the confidence sequence decided; a criterion left open by a stop is ``inconclusive``
    and does not block the gate (:meth:`GateResult.blocks`): the run stopped on another."""
    criteria = []
    for c in gate.criteria:
        seq = judged.criteria.get(c.criterion)
        if seq is None or judged.summary.decided_after is None:
            criteria.append(c)  # not stopped early: the gate's own figures and verdict
            continue
        counted = (c.counted or 0) - c.not_run
        low, high = wilson_interval(c.passed, counted) if counted else (None, None)
        verdict = {"fail": "fail", "pass": "pass", "open": "inconclusive"}[seq.decided]
        criteria.append(
            c.model_copy(
                update={
                    "applicable": c.applicable - c.not_run,
                    "counted": counted,
                    "pass_rate": c.passed / counted if counted else None,
                    "interval_low": low,
                    "interval_high": high,
                    "verdict": verdict,
                    "sequential": seq,
                }
            )
        )
    return gate.model_copy(update={"criteria": tuple(criteria), "sequential": judged.summary})
