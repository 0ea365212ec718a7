"""The scoring seam: a factory takes the run's context and returns a stateless scorer.

A scorer is called once per replayed case and returns one :class:`Score` per criterion it
owns. It keeps no results on itself, so one instance scores many cases at once.

>>> def always_pass(context: ScorerContext) -> Scorer:
...     class _Scorer:
...         criteria = ("politeness",)
...         def __call__(self, case, transcript):
...             return [Score(criterion="politeness", status="passed", score=1.0)]
...     return _Scorer()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from harness.cases import Case, Turn
from harness.disclosures import PinnedDisclosure

ScoreStatus = Literal["passed", "failed", "not_applicable", "error", "not_run"]


@dataclass(frozen=True, slots=True)
class Score:
    """One verdict on one criterion for one replayed case, with its evidence."""

    criterion: str
    status: ScoreStatus
    score: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    criterion_version: int | None = None

    @property
    def applicable(self) -> bool:
        return self.status != "not_applicable"


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


@dataclass(frozen=True)
class ScorerContext:
    """What a scorer factory may configure itself from."""

    disclosures: Sequence[PinnedDisclosure]


class Scorer(Protocol):
    """A stateless callable scoring one case; ``criteria`` lists what it scores."""

    @property
    def criteria(self) -> tuple[str, ...]: ...

    def __call__(self, case: Case, transcript: Transcript) -> list[Score]: ...


ScorerFactory = Callable[[ScorerContext], Scorer]
