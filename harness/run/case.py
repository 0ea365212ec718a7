"""One case of a run: its conversation replayed, then scored by every scorer of the plan.

The conversation itself is :func:`harness.replay.conversation.replay_conversation`; this
adds the plan's prompt and seed, the scorers, calibration for labelled cases, and turns a
clean stop of the run into a ``not_run`` case.

>>> replayed = await replay_case(plan, runner, case, repeat=0)  # doctest: +SKIP
>>> [s.status for s in replayed.scores]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from harness.corpus.cases import Case
from harness.errors import RunStopped
from harness.replay.calls import CallRunner, ModelCall
from harness.replay.conversation import Transcript, replay_conversation
from harness.scoring.base import AsyncScorer, Score, Scorer, ScoringCalls, is_async
from harness.scoring.calibration import collect_calibration

if TYPE_CHECKING:
    from harness.run.plan import ReplayPlan


@dataclass(frozen=True, slots=True)
class CaseReplay:
    """The outcome of one case and repeat: transcript, scores and model calls."""

    case: Case
    repeat: int
    seed: int
    transcript: Transcript
    scores: tuple[Score, ...]
    calls: tuple[ModelCall, ...]
    duration_ms: float
    #: For a case with golden labels (first repeat only): per criterion, the label's status
    #: and each scorer's on the recorded turns, e.g. ``{"gold": "passed", "rules": "passed"}``.
    calibration: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def failed_scores(self) -> list[Score]:
        return [s for s in self.scores if s.status in ("failed", "error", "not_run", "review")]


async def replay_case(
    plan: ReplayPlan, runner: CallRunner, case: Case, *, repeat: int = 0
) -> CaseReplay:
    """Replay ``case`` through ``runner`` and score it with every scorer of ``plan``.

    When the run is stopped (circuit breaker, budget, time bound) before or during this
    case, the case is returned as ``not_run``; a fatal stop propagates.
    """
    started = time.perf_counter()
    seed = plan.case_seed(case.case_id, repeat)
    calls: list[ModelCall] = []
    try:
        runner.check()
        # A prompt that cannot render is a configuration error for the whole run, not a
        # property of this case's answer: it propagates (and the run stops with status 2).
        system = plan.prompt.render(case, plan.disclosures)
        transcript = await replay_conversation(
            runner, case, system, seed=seed, repeat=repeat, log=calls
        )
        # Scorers that call a model (the judge) do so through the judge's own runner; a
        # stop while they do marks the case not run, like a stop while replaying.
        scoring = ScoringCalls(plan.judge_runner(runner), calls, case.case_id, repeat, seed)
        scores: list[Score] = []
        for scorer in plan.scorers:
            if is_async(scorer):
                scores.extend(await cast(AsyncScorer, scorer).ascore(case, transcript, scoring))
            else:
                scores.extend(cast(Scorer, scorer)(case, transcript))
        calibration = {}
        if repeat == 0 and case.labels:
            calibration = await collect_calibration(plan.scorers, case, scoring)
    except RunStopped as stop:
        if stop.fatal:
            raise
        return not_run_case(plan, case, repeat=repeat, reason=str(stop), calls=calls)
    return CaseReplay(
        case=case,
        repeat=repeat,
        seed=seed,
        transcript=transcript,
        scores=tuple(scores),
        calls=tuple(calls),
        duration_ms=(time.perf_counter() - started) * 1000,
        calibration=calibration,
    )


def not_run_case(
    plan: ReplayPlan,
    case: Case,
    *,
    repeat: int,
    reason: str,
    calls: list[ModelCall] | None = None,
) -> CaseReplay:
    """The case as not replayed: every applicable criterion ``not_run``, with the reason."""
    seed = plan.case_seed(case.case_id, repeat)
    replayed = _scored(
        plan,
        case,
        repeat,
        seed,
        Transcript(case.turns, error=f"not run: {reason}"),
        calls or [],
        time.perf_counter(),
    )
    scores = tuple(
        replace(s, status="not_run") if s.status == "error" else s for s in replayed.scores
    )
    return replace(replayed, scores=scores)


def _scored(
    plan: ReplayPlan,
    case: Case,
    repeat: int,
    seed: int,
    transcript: Transcript,
    calls: list[ModelCall],
    started: float,
) -> CaseReplay:
    scores: list[Score] = []
    for scorer in plan.scorers:
        if is_async(scorer):
            # A transcript that failed makes no model call, so this never suspends.
            idle = ScoringCalls(None, [], case.case_id, repeat, seed)
            scores.extend(_finish(cast(AsyncScorer, scorer).ascore(case, transcript, idle)))
        else:
            scores.extend(cast(Scorer, scorer)(case, transcript))
    return CaseReplay(
        case=case,
        repeat=repeat,
        seed=seed,
        transcript=transcript,
        scores=tuple(scores),
        calls=tuple(calls),
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _finish(coroutine: Coroutine[Any, Any, list[Score]]) -> list[Score]:
    """The result of a coroutine that completes without waiting on anything."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: list[Score] = done.value
        return result
    coroutine.close()
    raise RuntimeError("a scorer awaited a model call while scoring a replay that failed")
