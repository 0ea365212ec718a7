"""The ``recorded`` provider: serves the agent turns production actually said.

Replaying through it scores the historical conversations as they happened, which is how the
golden labels are checked against the scorer.
"""

from __future__ import annotations

from typing import ClassVar

from harness.errors import ModelError
from harness.models.base import Completion, CompletionRequest, ModelAdapter


class RecordedModel(ModelAdapter):
    """Answers each agent turn with the historical text at that position of the case."""

    provider = "recorded"
    answers_may_be_empty: ClassVar[bool] = True  # production said nothing: that is scored

    async def complete(self, request: CompletionRequest) -> Completion:
        turns = request.case.turns
        if not 0 <= request.turn_index < len(turns) or turns[request.turn_index].role != "agent":
            raise ModelError(
                f"case {request.case.case_id}: turn {request.turn_index} "
                "is not a recorded agent turn"
            )
        text = turns[request.turn_index].text or ""
        return Completion(text=text, model=self.model_id, stop_reason="recorded")
