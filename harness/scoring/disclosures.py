"""The ``disclosures`` scorer: each disclosure scored by the rules, the judge, or both.

The scenario chooses per disclosure (``scoring.disclosures.<id>.mode``, default
``scoring.default_mode``):

* ``rules``: the deterministic scorer alone (:mod:`harness.scoring.disclosure_rules`);
* ``judge``: the LLM judge alone (:mod:`harness.scoring.judge`);
* ``both``, combined by ``combine``:

  - ``both_must_pass`` (default): a pass needs both. When the rules already fail, the
    judge is not asked (it could not turn the verdict into a pass);
  - ``judge_if_unsure``: where the rules are sure of their verdict it stands; where they
    are not (a hedge, a question, a negation, facts missing that a paraphrase could
    explain), the judge decides;
  - ``judge_confirms_passes`` (recommended when a judge is set): every rules pass goes to
    the judge, which catches contradictions worded as no list holds them, and so does
    every verdict the rules are unsure of; a sure rules failure stands without a call.

With the rules alone, a verdict they are unsure of is ``review`` (the gate counts it as the
scenario's ``gate.review_counts_as`` says, failing by default). Applicability comes from the
rules; where they are unsure of it too, the judge reads the chat. Every score keeps each
verdict in ``verdicts`` and the rules' evidence, with the judge's under ``evidence["judge"]``.

>>> scorer = disclosures(ScorerContext(disclosures=pinned, scoring=settings))  # doctest: +SKIP
>>> scores = await scorer.ascore(case, transcript, calls)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.config.disclosures import PinnedDisclosure
from harness.config.scoring import DisclosureScoring, ScoringSettings
from harness.corpus.cases import Case
from harness.errors import ConfigError, did_you_mean
from harness.replay.conversation import Transcript
from harness.scoring.base import Score, ScorerContext, ScoreStatus, ScoringCalls
from harness.scoring.calibration import ECHO
from harness.scoring.disclosure_rules import (
    GATED,
    RULES,
    calibration_entry,
    eligible_window,
    score_disclosure,
    to_review,
    unsure,
)
from harness.scoring.judge import JUDGE, build_prompt, is_echo, judge_disclosure
from harness.scoring.rubrics import Rubric, load_rubric


def disclosures(context: ScorerContext) -> DisclosureScorer:
    """Factory: one criterion per disclosure, scored as ``scoring:`` says; checked at load."""
    settings, source = context.scoring, context.source
    ids = [d.id for d in context.disclosures]
    for name in settings.disclosures:
        if name not in ids:
            raise ConfigError(
                f"{source}: field 'scoring.disclosures.{name}': '{name}' is not a disclosure "
                f"in force{did_you_mean(name, ids)}; disclosures: {', '.join(ids)}"
            )
    judged = [d for d in context.disclosures if settings.mode_for(d.id).mode != "rules"]
    if judged and settings.judge is None:
        first = judged[0].id
        raise ConfigError(
            f"{source}: field 'scoring.judge' is required: '{first}' is scored with mode "
            f"'{settings.mode_for(first).mode}'; name the judge's model (scoring.judge.provider "
            "and scoring.judge.id), or score it with mode: rules"
        )
    folder = context.disclosure_folder or Path("disclosures")
    rubrics = {
        d.id: load_rubric(folder, d.id, source=source, field=_mode_field(settings, d.id))
        for d in judged
    }
    return DisclosureScorer(tuple(context.disclosures), settings, rubrics)


def _mode_field(settings: ScoringSettings, disclosure_id: str) -> str:
    if disclosure_id in settings.disclosures:
        return f"scoring.disclosures.{disclosure_id}.mode"
    return "scoring.default_mode"


class DisclosureScorer:
    """Stateless: holds the disclosures in force, the scoring settings and the rubrics."""

    def __init__(
        self,
        pinned: tuple[PinnedDisclosure, ...],
        settings: ScoringSettings,
        rubrics: Mapping[str, Rubric],
    ) -> None:
        self._pinned = pinned
        self._settings = settings
        self._rubrics = dict(rubrics)

    @property
    def criteria(self) -> tuple[str, ...]:
        return tuple(d.id for d in self._pinned)

    @property
    def needs_judge(self) -> bool:
        return bool(self._rubrics)

    async def ascore(self, case: Case, transcript: Transcript, calls: ScoringCalls) -> list[Score]:
        return [await self._score(d, case, transcript, calls) for d in self._pinned]

    async def acalibrate(
        self, case: Case, calls: ScoringCalls
    ) -> dict[str, dict[str, ScoreStatus | str]]:
        """Each labelled disclosure's golden verdict and each scorer's, on the recorded turns."""
        historical = Transcript(case.turns)
        entries: dict[str, dict[str, ScoreStatus | str]] = {}
        for pinned in self._pinned:
            entry = calibration_entry(pinned, case)
            if entry is None:
                continue
            if pinned.id in self._rubrics:
                judged = await self._judge(pinned, case, historical, calls)
                entry[JUDGE] = judged.status if judged is not None else "not_applicable"
                if judged is not None and is_echo(judged):
                    entry[ECHO] = "yes"
            entry[GATED] = (await self._score(pinned, case, historical, calls)).status
            entries[pinned.id] = entry
        return entries

    def judge_questions(
        self, case: Case, transcript: Transcript, *, calibrating: bool = False
    ) -> list[tuple[str, str, str]]:
        """``(criterion, system, user)`` of each judge prompt scoring ``transcript`` asks under
        the scenario's policy (no call is made); ``calibrating``: those calibration asks, the
        judge's verdict on every applicable judged disclosure."""
        asked = []
        for pinned in self._pinned:
            if pinned.id not in self._rubrics:
                continue
            if calibrating:
                ask = pinned.applies_to(case)
            else:
                rules = score_disclosure(pinned, case, transcript)
                how = self._settings.mode_for(pinned.id)
                ask = rules.status not in ("not_applicable", "error") and (
                    how.mode == "judge" or _judge_asked(rules, how.policy) is None
                )
            if ask:
                _, _, window = eligible_window(pinned, case)
                system, user = build_prompt(
                    pinned, self._rubrics[pinned.id], case, transcript, window
                )
                asked.append((pinned.id, system, user))
        return asked

    async def _judge(
        self, pinned: PinnedDisclosure, case: Case, transcript: Transcript, calls: ScoringCalls
    ) -> Score | None:
        if not pinned.applies_to(case):
            return None
        settings = self._settings.judge
        assert settings is not None  # checked by the factory
        _, _, window = eligible_window(pinned, case)
        return await judge_disclosure(
            pinned, self._rubrics[pinned.id], case, transcript, calls, settings, window=window
        )

    async def _score(
        self, pinned: PinnedDisclosure, case: Case, transcript: Transcript, calls: ScoringCalls
    ) -> Score:
        rules = score_disclosure(pinned, case, transcript)
        how = self._settings.mode_for(pinned.id)
        if how.mode == "rules" or rules.status in ("not_applicable", "error"):
            return to_review(rules)
        if how.mode == "both":
            asked = _judge_asked(rules, how.policy)
            if asked is not None:
                return _annotated(rules, how, asked)
        judged = await self._judge(pinned, case, transcript, calls)
        assert judged is not None  # the rules found the disclosure applicable
        return _combined(rules, judged, how)


def _judge_asked(rules: Score, policy: str) -> str | None:
    """Why the judge is not asked under ``policy`` (None: it is asked)."""
    if policy == "both_must_pass" and rules.status == "failed":
        return "the rules failed, so the judge was not asked"
    if policy == "judge_if_unsure" and not unsure(rules):
        return "the rules were sure, so the judge was not asked"
    if policy == "judge_confirms_passes" and rules.status == "failed" and not unsure(rules):
        return "the rules failed on firm ground, so the judge was not asked"
    return None


def _annotated(rules: Score, how: DisclosureScoring, note: str) -> Score:
    evidence = {**rules.evidence, "combined": f"{how.mode} ({how.policy}): {note}"}
    return Score(
        rules.criterion,
        rules.status,
        score=rules.score,
        evidence=evidence,
        criterion_version=rules.criterion_version,
        verdicts=rules.verdicts,
    )


def _combined(rules: Score, judged: Score, how: DisclosureScoring) -> Score:
    """The judge's verdict (mode judge, judge_if_unsure) or both's (both_must_pass)."""
    verdicts: dict[str, ScoreStatus] = {RULES: rules.status, JUDGE: judged.status}
    evidence: dict[str, Any] = {**rules.evidence, **judged.evidence}
    evidence["rules_reason"] = rules.evidence.get("reason")
    status: ScoreStatus = judged.status
    if how.mode == "judge":
        evidence["combined"] = "judge: the judge's verdict"
    elif how.policy == "judge_if_unsure":
        why = "; ".join(rules.evidence.get("unsure_because") or ["the rules were unsure"])
        evidence["combined"] = f"both (judge_if_unsure): the judge decided, because {why}"
    elif how.policy == "judge_confirms_passes":
        why = (
            "the rules passed and every pass is confirmed"
            if rules.status == "passed"
            else "the rules were unsure: " + "; ".join(rules.evidence.get("unsure_because", []))
        )
        evidence["combined"] = f"both (judge_confirms_passes): the judge decided, because {why}"
    else:
        evidence["combined"] = (
            "both (both_must_pass): the rules passed; the judge's verdict decides"
        )
    if judged.status == "error":
        evidence["reason"] = f"the judge could not score it: {judged.error}"
    return Score(
        rules.criterion,
        status,
        score=judged.score,
        evidence=evidence,
        error=judged.error,
        criterion_version=rules.criterion_version,
        verdicts=verdicts,
    )
