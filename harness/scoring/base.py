"""The scoring seam: a factory takes the run's context and returns a stateless scorer.

A scorer is called once per replayed case and returns one :class:`Score` per criterion it
owns. It keeps no results on itself, so one instance scores many cases at once.

>>> def always_pass(context: ScorerContext) -> Scorer:
...     class _Scorer:
...         criteria = ("politeness",)
...         def __call__(self, case, transcript):
...             return [Score(criterion="politeness", status="passed", score=1.0)]
...     return _Scorer()

A scorer that needs model calls (the LLM judge, ragas's LLM metrics) implements
:class:`AsyncScorer` instead: ``replay_case`` awaits its ``ascore`` with a
:class:`ScoringCalls`, which carries the judge's own :class:`~harness.replay.calls.CallRunner`
(retries, cache, cost) and the case's call log, so its calls are counted apart from the
agent's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from harness.config.disclosures import PinnedDisclosure
from harness.config.scoring import ScoringSettings
from harness.corpus.cases import Case
from harness.replay.conversation import Transcript as Transcript  # re-exported for scorers

if TYPE_CHECKING:
    from harness.replay.calls import CallRunner, ModelCall

#: ``review``: the scorer was not sure and nothing settled it (no judge): a person decides.
#: The gate counts it as the scenario's ``gate.review_counts_as`` says (failing by default).
ScoreStatus = Literal["passed", "failed", "not_applicable", "error", "not_run", "review"]


@dataclass(frozen=True, slots=True)
class Score:
    """One verdict on one criterion for one replayed case, with its evidence."""

    criterion: str
    status: ScoreStatus
    score: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    criterion_version: int | None = None
    #: Each component scorer's own status (e.g. ``{"rules": "passed", "judge": "failed"}``),
    #: kept for calibration against golden labels; empty for single-scorer criteria.
    verdicts: Mapping[str, ScoreStatus] = field(default_factory=dict)

    @property
    def applicable(self) -> bool:
        return self.status != "not_applicable"


@dataclass(frozen=True)
class ScorerContext:
    """What a scorer factory may configure itself from.

    ``scoring`` is the scenario's ``scoring:`` section, ``disclosure_folder`` where the
    disclosures (and their rubrics) live, ``source`` the scenario file and ``corpus_paths``
    its corpus, for messages that name where a bad case is.
    """

    disclosures: Sequence[PinnedDisclosure]
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    disclosure_folder: Path | None = None
    source: str = "scenario"
    corpus_paths: tuple[Path, ...] = ()


class Scorer(Protocol):
    """A stateless callable scoring one case; ``criteria`` lists what it scores."""

    @property
    def criteria(self) -> tuple[str, ...]: ...

    def __call__(self, case: Case, transcript: Transcript) -> list[Score]: ...


@dataclass(frozen=True)
class ScoringCalls:
    """What a model-calling scorer gets for one case and repeat.

    ``runner`` is the judge's call runner (``None`` when the scenario configures no judge);
    every attempt is appended to ``log``; ``seed`` is the case's seed for this repeat. One
    instance serves one case: it holds no state across cases.
    """

    runner: CallRunner | None
    log: list[ModelCall]
    case_id: str
    repeat: int
    seed: int
    #: Verdicts already reached for this case, by question, so scoring and calibration of
    #: the same transcript ask the judge once.
    memo: dict[str, Any] = field(default_factory=dict)


class AsyncScorer(Protocol):
    """A stateless scorer whose verdicts need model calls, awaited by ``replay_case``."""

    @property
    def criteria(self) -> tuple[str, ...]: ...

    @property
    def needs_judge(self) -> bool:
        """Whether ``ascore`` calls the judge's model (the plan then builds its runner)."""
        ...

    async def ascore(
        self, case: Case, transcript: Transcript, calls: ScoringCalls
    ) -> list[Score]: ...


AnyScorer = Scorer | AsyncScorer
ScorerFactory = Callable[[ScorerContext], AnyScorer]


def is_async(scorer: AnyScorer) -> bool:
    """Whether ``scorer`` is awaited (:class:`AsyncScorer`) rather than called."""
    return callable(getattr(scorer, "ascore", None))
