"""The scenario's ``gate.sequential`` section: stop replaying once the verdict is known.

>>> SequentialPolicy().alpha, SequentialPolicy().stop_on, SequentialPolicy().stratify_by
(0.05, 'fail', None)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SequentialPolicy(BaseModel):
    """Replay the cases in a seeded random order and stop calling the model early.

    ``stop_on: fail`` stops as soon as a criterion will fail the full replay (its whole-corpus
    upper bound is below its threshold, or under ``policy: lower_bound`` below the rate at which
    the Wilson lower bound reaches it); ``decided`` also stops when every criterion will pass.
    ``alpha``: the largest probability, over the seed, that the early verdict differs from the
    full replay's (see docs/statistics.md). A run on the git branch the scenario's baseline is
    taken from (``baseline.branch``) is a future baseline and replays everything.
    ``stratify_by``: a case tag (a segment, such as ``channel``) or, when no case has that
    tag, a case fact; each of its values is a stratum, replayed in its own random order and
    interleaved in proportion to its size (harness.corpus.strata), so every segment is seen
    in its share of every prefix.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    stop_on: Literal["fail", "decided"] = "fail"
    stratify_by: str | None = Field(default=None, min_length=1)
