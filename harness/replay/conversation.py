"""Replaying one conversation: customer turns fed in order, agent turns regenerated, events kept.

Events are shown to the model inside the next user message as ``[event: name]`` lines, the
way a chat platform would surface them. An agent turn that opens the conversation is
prompted by ``[conversation starts]``. Calls go through a :class:`harness.replay.calls.CallRunner`
(retries, cache, limits), which logs every attempt.

>>> log: list[ModelCall] = []
>>> transcript = await replay_conversation(  # doctest: +SKIP
...     runner, case, system, seed=7, repeat=0, log=log
... )
>>> transcript.error is None  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness.corpus.cases import Case, Turn
from harness.errors import ProviderError
from harness.models.base import CONVERSATION_START, EVENT_LINE, CompletionRequest, Message
from harness.replay.calls import CallRunner, ModelCall


@dataclass(frozen=True, slots=True)
class Transcript:
    """A replayed conversation: the case's turns with agent turns as the model said them.

    Turn positions match ``case.turns`` one for one, so deadlines found by index in the
    historical case apply to the replayed transcript. ``error`` is set when the replay
    failed; scorers then return ``error`` for every criterion that applies to the case.
    """

    turns: tuple[Turn, ...]
    error: str | None = None

    def agent_turns(self) -> list[tuple[int, str]]:
        return [(i, t.text or "") for i, t in enumerate(self.turns) if t.role == "agent"]


async def replay_conversation(
    runner: CallRunner,
    case: Case,
    system: str,
    *,
    seed: int,
    repeat: int,
    log: list[ModelCall],
) -> Transcript:
    """Regenerate every agent turn of ``case`` through ``runner`` under the ``system`` prompt.

    A failed call ends the conversation there: the transcript holds the turns answered so
    far and says which call failed. A stop of the run (:class:`RunStopped`) propagates.
    """
    messages: list[Message] = []
    answers: dict[int, str] = {}
    for index, user in user_messages(case):
        messages.append(Message("user", user))
        request = CompletionRequest(system, tuple(messages), seed, case, index)
        try:
            completion = await runner.complete(
                request, log=log, case_id=case.case_id, repeat=repeat
            )
        except ProviderError as exc:
            message = f"model call for turn {index} failed ({exc.kind}): {exc}"
            return Transcript(_answered(case, answers, until=index), error=message)
        messages.append(Message("assistant", completion.text))
        answers[index] = completion.text
    return Transcript(_answered(case, answers, until=len(case.turns)))


def user_messages(case: Case) -> Iterator[tuple[int, str]]:
    """For each agent turn of ``case`` (by index), the user message that prompts it.

    The customer turns and events since the previous agent turn, one per line (events as
    ``[event: name]``); :data:`CONVERSATION_START` when the agent speaks first.
    """
    pending: list[str] = []
    for index, turn in enumerate(case.turns):
        if turn.role == "agent":
            yield index, "\n".join(pending) if pending else CONVERSATION_START
            pending = []
        elif turn.role == "customer":
            pending.append(turn.text or "")
        else:
            pending.append(EVENT_LINE.format(event=turn.event))


def _answered(case: Case, answers: dict[int, str], *, until: int) -> tuple[Turn, ...]:
    """The case's turns before ``until``, with each agent turn replaced by the model's."""
    return tuple(
        Turn(role="agent", text=answers[i]) if turn.role == "agent" else turn
        for i, turn in enumerate(case.turns[:until])
    )
