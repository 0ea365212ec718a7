"""Stopping a running replay once the full replay's verdict is known (the sequential gate).

The process that decides holds a :class:`SequentialWatch`: ``harness run`` itself in one
process, the parent of its worker processes (workers relay each finished case's statuses,
:func:`case_statuses`), or a pytest controller. Cases finish out of order; the watch feeds
the confidence sequence only the longest prefix of the random order whose cases have all
finished, :data:`~harness.gate.sequential.CHECK_EVERY` cases at a time, so what it reads is
always a simple random sample. When :func:`~harness.gate.sequential.should_stop` says so,
the run stops calling the model: the cases left are written ``not_run``
(:data:`SEQUENTIAL_STOP` is their reason) and the gate decides from the same prefix
(:func:`~harness.gate.sequential.judge_sequentially`).

>>> watch = SequentialWatch.for_plan(plan)  # doctest: +SKIP
>>> watch.add("case-0412", 0, {"commission": "failed"})  # doctest: +SKIP
False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.config.sequential import SequentialPolicy
from harness.corpus.order import replay_order
from harness.corpus.strata import StratifiedOrder, stratified_order
from harness.gate.drift import Regression
from harness.gate.policy import GateResult
from harness.gate.sequential import (
    CHECK_EVERY,
    Counting,
    SequentialJudgement,
    apply_sequential,
    case_values,
    judge_sequentially,
    new_sequence,
    should_stop,
)
from harness.gate.sequential_verdict import StratumSeen
from harness.run.case import CaseReplay
from harness.run.folder import read_chunk
from harness.run.plan import ReplayPlan
from harness.store.database import RunStore

#: Why the cases a sequential run did not replay are ``not_run``: not a failure.
SEQUENTIAL_STOP = "sequential gate: the full replay's verdict is already known"


def counting(plan: ReplayPlan) -> Counting:
    """How ``plan``'s gate counts results."""
    scenario = plan.scenario
    return Counting(
        errors_are_failures=scenario.errors_are_failures,
        review_counts_as=scenario.gate.review_counts_as,
        repeat_policy=scenario.repeat_policy or "mean",
        repeats=scenario.repeats,
    )


def case_statuses(replayed: CaseReplay) -> dict[str, str]:
    """A finished case's status per criterion (what a worker relays to its parent)."""
    return {score.criterion: score.status for score in replayed.scores}


class SequentialWatch:
    """Decides, case by case, whether the run may stop calling the model."""

    def __init__(
        self,
        policy: SequentialPolicy,
        plan: ReplayPlan,
        order: Sequence[str],
        strata: Sequence[int] | None = None,
    ) -> None:
        self.policy = policy
        self.thresholds = plan.thresholds()
        self.counting = counting(plan)
        self._rank = {case_id: i for i, case_id in enumerate(order)}
        self._criteria = {c: i for i, c in enumerate(self.thresholds)}
        size = (len(self._criteria), len(order))
        self._passed = np.zeros(size, dtype=np.int16)
        self._counted = np.zeros(size, dtype=np.int16)
        self._statuses: dict[int, list[Mapping[str, str]]] = {}
        self._complete = np.zeros(len(order), dtype=bool)
        self._prefix = 0  # cases of the order finished, from the first
        self._fed = 0  # cases fed to the confidence sequence
        self._sequence = new_sequence(
            policy, plan.scenario.gate, self.thresholds, len(order), self.counting, strata
        )
        self.decided_after: int | None = None

    @classmethod
    def for_plan(cls, plan: ReplayPlan) -> SequentialWatch | None:
        """The watch for a sequential plan (None when the plan replays everything)."""
        if plan.sequential is None:
            return None
        stratified = plan.stratified_order()
        if stratified is not None:  # each stratum in its own order, interleaved
            return cls(plan.sequential, plan, stratified.case_ids, stratified.strata)
        return cls(plan.sequential, plan, plan.replay_order())

    @property
    def decided(self) -> bool:
        return self.decided_after is not None

    def add_replay(self, replayed: CaseReplay) -> bool:
        """:meth:`add` for a finished case of this process."""
        return self.add(replayed.case.case_id, replayed.repeat, case_statuses(replayed))

    def add(self, case_id: str, repeat: int, statuses: Mapping[str, str]) -> bool:
        """Take one finished case and repeat; True once the run may stop."""
        position = self._rank.get(case_id)
        if position is None or self.decided:
            return self.decided
        if any(status == "not_run" for status in statuses.values()):
            return False  # cut short by a stop: the prefix ends before it
        found = self._statuses.setdefault(position, [])
        found.append(statuses)
        if len(found) < self.counting.repeats:
            return False
        for criterion, row in self._criteria.items():
            values = [s[criterion] for s in found if criterion in s]
            self._passed[row, position], self._counted[row, position] = case_values(
                values, self.counting
            )
        del self._statuses[position]
        self._complete[position] = True
        while self._prefix < len(self._complete) and self._complete[self._prefix]:
            self._prefix += 1
        if self._prefix - self._fed >= CHECK_EVERY or self._prefix == len(self._complete):
            self._check()
        return self.decided

    def _check(self) -> None:
        # Fed in the same blocks as judge_sequentially reads them, so both stop at one case.
        while self._prefix - self._fed >= CHECK_EVERY or (
            self._prefix == len(self._complete) and self._fed < self._prefix
        ):
            stop = min(self._fed + CHECK_EVERY, self._prefix)
            self._sequence.update(
                self._passed[:, self._fed : stop], self._counted[:, self._fed : stop]
            )
            self._fed = stop
            if should_stop(self._sequence.verdicts(), self.policy.stop_on):
                self.decided_after = stop
                return


def feed_committed(watch: SequentialWatch, parts: Path) -> None:
    """Give a resumed run's watch the cases its folder already committed, in any order."""
    found: dict[tuple[str, int], dict[str, str]] = {}
    for chunk in sorted(parts.glob("*-results-*.parquet")):
        table = read_chunk(chunk, columns=["case_id", "repeat", "criterion", "status"])
        for case_id, repeat, criterion, status in zip(
            *(table.column(c).to_pylist() for c in ("case_id", "repeat", "criterion", "status")),
            strict=True,
        ):
            found.setdefault((case_id, repeat), {})[criterion] = status
    for (case_id, repeat), statuses in sorted(found.items()):
        watch.add(case_id, repeat, statuses)


def without_sequential_stop(stopped: list[str]) -> list[str]:
    """The reasons a run stopped, less the sequential gate's (which is no failure)."""
    return [reason for reason in stopped if reason != SEQUENTIAL_STOP]


def sequential_gate(store: RunStore, plan: ReplayPlan, run_id: str, gate: GateResult) -> GateResult:
    """``gate`` judged as the sequential gate decides (unchanged for a full-replay plan)."""
    if plan.sequential is None:
        return gate
    calls = store.call_totals(run_id, purpose="agent")
    stratified = plan.stratified_order()
    judged = judge_sequentially(
        store.result_statuses(run_id),
        stratified.case_ids if stratified is not None else plan.replay_order(),
        policy=plan.sequential,
        gate=plan.scenario.gate,
        thresholds=plan.thresholds(),
        counting=counting(plan),
        calls_made=int(calls["calls"]),
        cost_usd=float(calls["cost_usd"]),
        strata=stratified.strata if stratified is not None else None,
    )
    if stratified is not None:
        judged = with_strata_seen(judged, stratified)
    gate = apply_sequential(gate, judged)
    if judged.summary.decided_after is None or gate.baseline_run_id is None:
        return gate
    return _unpair_not_run(gate, store, plan, run_id)


def with_strata_seen(judged: SequentialJudgement, order: StratifiedOrder) -> SequentialJudgement:
    """``judged`` saying, per stratum, how many of its cases the early verdict rests on."""
    summary = judged.summary
    if summary.decided_after is None:
        return SequentialJudgement(
            summary.model_copy(update={"stratify_by": order.field}), judged.criteria
        )
    seen = np.bincount(
        np.asarray(order.strata[: summary.decided_after], dtype=np.int64),
        minlength=len(order.names),
    )
    strata = tuple(
        StratumSeen(name=name, seen=int(seen[s]), size=order.sizes[s])
        for s, name in enumerate(order.names)
    )
    update = {"stratify_by": order.field, "strata": strata}
    return SequentialJudgement(summary.model_copy(update=update), judged.criteria)


def _unpair_not_run(gate: GateResult, store: RunStore, plan: ReplayPlan, run_id: str) -> GateResult:
    """Against the baseline, pair only the cases replayed: the paired SQL counts a not-run
    result as not passing (when errors count as failures), which would be a flip per case
    the sequential gate never replayed."""
    if not plan.scenario.errors_are_failures:
        return gate  # then not-run results are left out of the pairs already
    assert gate.baseline_run_id is not None
    not_run = {
        (case_id, repeat, criterion)
        for case_id, repeat, criterion, status in store.result_statuses(run_id, repeats=True)
        if status == "not_run"
    }
    was: dict[str, list[int]] = {}  # per criterion: [baseline passed, baseline did not]
    for case_id, repeat, criterion, status in store.result_statuses(
        gate.baseline_run_id, repeats=True
    ):
        if (case_id, repeat, criterion) in not_run and status != "not_applicable":
            passed = status == "passed" or (
                status == "review" and plan.scenario.gate.review_counts_as == "pass"
            )
            excluded = status == "review" and plan.scenario.gate.review_counts_as == "excluded"
            if not excluded:
                was.setdefault(criterion, [0, 0])[0 if passed else 1] += 1
    policy = plan.scenario.gate.regression
    criteria = []
    for c in gate.criteria:
        r = c.regression
        if r is None or c.criterion not in was:
            criteria.append(c)
            continue
        flips = tuple(f for f in r.flips if (f.case_id, f.repeat, c.criterion) not in not_run)
        regression = Regression.from_counts(
            both_pass=r.both_pass,
            pass_to_fail=r.pass_to_fail - was[c.criterion][0],
            fail_to_pass=r.fail_to_pass,
            both_fail=r.both_fail - was[c.criterion][1],
            alpha=policy.alpha,
            fail_on_significant_drop=policy.fail_on_significant_drop,
            flips=flips,
        )
        criteria.append(c.model_copy(update={"regression": regression}))
    return gate.model_copy(update={"criteria": tuple(criteria)})


@dataclass(frozen=True, slots=True)
class ExpectedSaving:
    """What the sequential gate would save on a candidate that scores like a baseline run."""

    baseline_run_id: str
    cases: int
    orderings: int
    stopped: float  # share of the orderings that stop before the last case
    share_of_calls: float  # mean share of the calls a full replay makes

    def words(self) -> str:
        """The line ``harness estimate`` prints."""
        return (
            f"sequential gate: a candidate scoring like {self.baseline_run_id} would stop "
            f"early in {self.stopped:.0%} of {self.orderings} random orders, making "
            f"{self.share_of_calls:.0%} of the calls on average (saving "
            f"{1 - self.share_of_calls:.0%}); one that breaks a criterion stops sooner"
        )


def expected_saving(
    plan: ReplayPlan, store: RunStore, baseline_run_id: str, *, orderings: int = 100
) -> ExpectedSaving | None:
    """Replay the baseline run's verdicts in ``orderings`` random orders through the watch's
    own rule: how soon a candidate scoring like it would stop (None without a sequential
    gate, or a baseline without results)."""
    if plan.sequential is None:
        return None
    cases: dict[str, dict[int, dict[str, str]]] = {}
    for case_id, repeat, criterion, status in store.result_statuses(baseline_run_id, repeats=True):
        cases.setdefault(case_id, {}).setdefault(repeat, {})[criterion] = status
    # the cases it replayed (a sequential baseline did not replay them all)
    ids = sorted(
        case_id
        for case_id, repeats in cases.items()
        if not any(s == "not_run" for found in repeats.values() for s in found.values())
    )
    if not ids:
        return None
    stratified = plan.stratified_order()
    labels = stratified.labels() if stratified is not None else {}
    if stratified is not None:  # the cases the current selection still has
        ids = [case_id for case_id in ids if case_id in labels]
        if not ids:
            return None
    stops = []
    for seed in range(orderings):
        if stratified is not None:
            order = stratified_order(ids, [labels[i] for i in ids], seed)
            watch = SequentialWatch(plan.sequential, plan, order.case_ids, order.strata)
        else:
            watch = SequentialWatch(
                plan.sequential, plan, [ids[i] for i in replay_order(ids, seed)]
            )
        for case_id in ids:
            for repeat, statuses in sorted(cases[case_id].items()):
                watch.add(case_id, repeat, statuses)
        stops.append(watch.decided_after or len(ids))
    early = sum(1 for s in stops if s < len(ids))
    return ExpectedSaving(
        baseline_run_id,
        len(ids),
        orderings,
        stopped=early / orderings,
        share_of_calls=sum(stops) / (orderings * len(ids)),
    )
