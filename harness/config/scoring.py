"""The scenario's ``scoring:`` section: how each disclosure is scored, the judge, ragas metrics.

Every field has a default, so a scenario without ``scoring:`` scores every disclosure with
the rules alone, as before. A scenario that judges a disclosure names the judge's model::

    scorers: [disclosures, ragas]
    scoring:
      default_mode: rules            # rules | judge | both
      disclosures:
        commission: {mode: both, combine: judge_if_unsure}
        vulnerability_support: {mode: judge}
      judge:
        provider: anthropic
        id: claude-haiku-4-5
        options: {max_tokens: 600}
        min_kappa: 0.8               # refuse to gate when the judge agrees less with people
      ragas:
        metrics:
          - {metric: rouge_l, min_score: 0.35}
          - {metric: faithfulness, min_score: 0.8}

>>> ScoringSettings().mode_for("commission").mode
'rules'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_FROZEN = ConfigDict(frozen=True, extra="forbid")

ScoringMode = Literal["rules", "judge", "both"]
CombinePolicy = Literal["both_must_pass", "judge_if_unsure", "judge_confirms_passes"]


class DisclosureScoring(BaseModel):
    """How one disclosure is scored.

    ``mode``: ``rules`` (deterministic), ``judge`` (the LLM judge alone) or ``both``, combined
    by ``combine``: ``both_must_pass`` (a pass needs the rules and the judge to pass),
    ``judge_if_unsure`` (the rules decide where they are sure; the judge decides the rest)
    or ``judge_confirms_passes`` (the judge confirms every rules pass, which catches
    contradictions no list holds, and settles every unsure verdict; a sure rules failure
    stands without a call). With ``rules`` alone, a verdict the rules are unsure of is
    ``review``.
    """

    model_config = _FROZEN
    mode: ScoringMode = "rules"
    combine: CombinePolicy | None = None

    @model_validator(mode="after")
    def _combine_only_with_both(self) -> DisclosureScoring:
        if self.combine is not None and self.mode != "both":
            raise ValueError(
                f"'combine' applies only to mode 'both', but mode is '{self.mode}'; "
                "remove 'combine' or set mode: both"
            )
        return self

    @property
    def policy(self) -> CombinePolicy:
        return self.combine or "both_must_pass"


class JudgeSettings(BaseModel):
    """The judge's model (its own adapter, cache keys and cost) and the kappa floor."""

    model_config = _FROZEN
    provider: str = "anthropic"
    id: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)
    min_kappa: float | None = Field(default=None, ge=-1.0, le=1.0)
    max_attempts: int = Field(default=2, ge=1, le=5)

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.id}"


class RagasMetricSpec(BaseModel):
    """One ragas metric scored as its own criterion: a case passes at ``min_score`` or above."""

    model_config = _FROZEN
    metric: str
    criterion: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    min_score: float = Field(ge=0.0, le=1.0)

    @property
    def name(self) -> str:
        return self.criterion or self.metric


class RagasSettings(BaseModel):
    model_config = _FROZEN
    metrics: tuple[RagasMetricSpec, ...] = ()


class ScoringSettings(BaseModel):
    """The scenario's ``scoring:`` section."""

    model_config = _FROZEN
    default_mode: ScoringMode = "rules"
    disclosures: dict[str, DisclosureScoring] = Field(default_factory=dict)
    judge: JudgeSettings | None = None
    ragas: RagasSettings = RagasSettings()

    def mode_for(self, disclosure_id: str) -> DisclosureScoring:
        return self.disclosures.get(disclosure_id, DisclosureScoring(mode=self.default_mode))
