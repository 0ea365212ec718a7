"""Replaying one case: customer turns fed in order, agent turns regenerated, events kept.

Events are shown to the model inside the next user message as ``[event: name]`` lines, the
way a chat platform would surface them. An agent turn that opens the conversation is
prompted by ``[conversation starts]``. Every call is recorded, failed or not.

>>> replayed = asyncio.run(replay_case(plan, adapter, case, repeat=0))  # doctest: +SKIP
>>> [s.status for s in replayed.scores]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.cases import Case, Turn
from harness.models.base import CompletionRequest, Message, ModelAdapter
from harness.scoring.base import Score, Transcript

if TYPE_CHECKING:
    from harness.plan import ReplayPlan

CONVERSATION_START = "[conversation starts]"


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One call to the model: what it cost and how it ended."""

    case_id: str
    repeat: int
    turn_index: int
    attempt: int
    status: str  # "ok" or "error"
    latency_ms: float
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    cache_hit: bool = False
    error_class: str | None = None
    request_id: str | None = None


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

    @property
    def failed_scores(self) -> list[Score]:
        return [s for s in self.scores if s.status in ("failed", "error")]


async def replay_case(
    plan: ReplayPlan, adapter: ModelAdapter, case: Case, *, repeat: int = 0
) -> CaseReplay:
    """Replay ``case`` through ``adapter`` and score it with every scorer of ``plan``."""
    started = time.perf_counter()
    seed = plan.case_seed(case.case_id, repeat)
    transcript, calls = await _converse(plan, adapter, case, seed, repeat)
    scores: list[Score] = []
    for scorer in plan.scorers:
        scores.extend(scorer(case, transcript))
    return CaseReplay(
        case=case,
        repeat=repeat,
        seed=seed,
        transcript=transcript,
        scores=tuple(scores),
        calls=tuple(calls),
        duration_ms=(time.perf_counter() - started) * 1000,
    )


async def _converse(
    plan: ReplayPlan, adapter: ModelAdapter, case: Case, seed: int, repeat: int
) -> tuple[Transcript, list[ModelCall]]:
    calls: list[ModelCall] = []
    # A prompt that cannot render is a configuration error for the whole run, not a
    # property of this case's answer: it propagates (and the run stops with status 2).
    system = plan.prompt.render(case, plan.disclosures)
    turns: list[Turn] = []
    messages: list[Message] = []
    pending: list[str] = []
    for index, turn in enumerate(case.turns):
        if turn.role != "agent":
            pending.append(turn.text or "" if turn.role == "customer" else f"[event: {turn.event}]")
            turns.append(turn)
            continue
        messages.append(Message("user", "\n".join(pending) if pending else CONVERSATION_START))
        pending = []
        request = CompletionRequest(system, tuple(messages), seed, case, index)
        began = time.perf_counter()
        try:
            completion = await adapter.complete(request)
        except Exception as exc:  # any adapter failure becomes an error result, never lost
            calls.append(
                ModelCall(
                    case.case_id,
                    repeat,
                    index,
                    1,
                    "error",
                    (time.perf_counter() - began) * 1000,
                    error_class=type(exc).__name__,
                )
            )
            message = f"model call for turn {index} failed: {type(exc).__name__}: {exc}"
            return Transcript(tuple(turns), error=message), calls
        usage = completion.usage
        calls.append(
            ModelCall(
                case.case_id,
                repeat,
                index,
                1,
                "ok",
                (time.perf_counter() - began) * 1000,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                request_id=completion.request_id,
            )
        )
        messages.append(Message("assistant", completion.text))
        turns.append(Turn(role="agent", text=completion.text))
    return Transcript(tuple(turns)), calls
