"""The deterministic disclosure scorer: key facts, in time, not contradicted.

For each disclosure version in force and each case:

* not applicable when the version's ``applies_when`` does not hold for the historical case;
* otherwise the *eligible* agent turns are those before the deadline event (all of them when
  the case lacks it), or the first N agent turns after the trigger;
* it passes when every key fact is found in an eligible agent turn (any of its phrasings,
  ``{fact}`` placeholders filled from the case, normalised, fuzzy for long phrases) and no
  agent turn says a contradicting phrase.

Each score carries its evidence: the deadline, where each fact was found (turn and span),
which facts were missing or came late, and any contradiction.

>>> scorer = disclosure_rules(ScorerContext(disclosures=pinned))  # doctest: +SKIP
>>> scorer(case, transcript)[0].status  # doctest: +SKIP
'passed'
"""

from __future__ import annotations

from typing import Any

from harness.cases import Case
from harness.disclosures import PinnedDisclosure, fill
from harness.errors import ConfigError
from harness.scoring.base import Score, ScorerContext, Transcript
from harness.text import contains_any, find_phrase


def disclosure_rules(context: ScorerContext) -> DisclosureRulesScorer:
    """Factory: a scorer with one criterion per disclosure in force (criterion = its id)."""
    return DisclosureRulesScorer(tuple(context.disclosures))


class DisclosureRulesScorer:
    """Stateless: holds only the disclosure versions it checks."""

    def __init__(self, disclosures: tuple[PinnedDisclosure, ...]) -> None:
        self._disclosures = disclosures

    @property
    def criteria(self) -> tuple[str, ...]:
        return tuple(d.id for d in self._disclosures)

    def __call__(self, case: Case, transcript: Transcript) -> list[Score]:
        return [self._score(d, case, transcript) for d in self._disclosures]

    def _score(self, pinned: PinnedDisclosure, case: Case, transcript: Transcript) -> Score:
        version = pinned.current.version
        if not pinned.applies_to(case):
            return Score(pinned.id, "not_applicable", criterion_version=version)
        if transcript.error is not None:
            return Score(pinned.id, "error", error=transcript.error, criterion_version=version)
        try:
            return _judge(pinned, case, transcript)
        except ConfigError as exc:
            return Score(pinned.id, "error", error=str(exc), criterion_version=version)


def _eligible_window(pinned: PinnedDisclosure, case: Case) -> tuple[int, int, str]:
    """The [start, end) turn-index window in which the disclosure counts, and its description."""
    deadline = pinned.current.deadline
    turns = case.turns
    if deadline.before_event:
        for index, turn in enumerate(turns):
            if turn.role == "event" and turn.event == deadline.before_event:
                return 0, index, f"before {deadline.before_event} (turn {index})"
        return 0, len(turns), f"by the end ({deadline.before_event} did not happen)"
    if deadline.trigger and deadline.within_agent_turns:
        for index, turn in enumerate(turns):
            if turn.role == "customer" and contains_any(turn.text or "", deadline.trigger):
                agent_after = [i for i in range(index + 1, len(turns)) if turns[i].role == "agent"]
                window = agent_after[: deadline.within_agent_turns]
                end = window[-1] + 1 if window else index + 1
                n = deadline.within_agent_turns
                return index + 1, end, f"within {n} agent turn(s) of the trigger at turn {index}"
    return 0, len(turns), "any time in the conversation"


def _judge(pinned: PinnedDisclosure, case: Case, transcript: Transcript) -> Score:
    version = pinned.current
    start, end, deadline_text = _eligible_window(pinned, case)
    agent_turns = transcript.agent_turns()
    where = f"case {case.case_id}: disclosure {pinned.id} v{version.version}"
    facts: list[dict[str, Any]] = []
    missing: list[str] = []
    late: list[str] = []
    for key_fact in version.key_facts:
        phrases = [fill(p, case.facts, where=where) for p in key_fact.phrases]
        found: dict[str, Any] | None = None
        late_at: int | None = None
        for index, text in agent_turns:
            match = find_phrase(text, phrases, fuzzy_threshold=version.fuzzy_threshold)
            if match is None:
                continue
            if start <= index < end:
                found = {
                    "id": key_fact.id,
                    "turn": index,
                    "span": match.span,
                    "exact": match.exact,
                    "similarity": match.score,
                }
                break
            if late_at is None and index >= end:
                late_at = index
        if found is not None:
            facts.append(found)
        elif late_at is not None:
            late.append(key_fact.id)
            facts.append({"id": key_fact.id, "turn": late_at, "late": True})
        else:
            missing.append(key_fact.id)
    contradiction = _contradiction(version.contradictions, agent_turns)
    evidence: dict[str, Any] = {"deadline": deadline_text, "facts": facts}
    reasons = []
    if missing:
        evidence["missing"] = missing
        reasons.append("missing: " + ", ".join(missing))
    if late:
        evidence["late"] = late
        reasons.append("after the deadline: " + ", ".join(late))
    if contradiction:
        evidence["contradiction"] = contradiction
        reasons.append(f"contradicted at turn {contradiction['turn']}: '{contradiction['phrase']}'")
    found_count = len(version.key_facts) - len(missing) - len(late)
    passed = not reasons
    evidence["reason"] = "; ".join(reasons) if reasons else "all key facts in time"
    return Score(
        criterion=pinned.id,
        criterion_version=version.version,
        status="passed" if passed else "failed",
        score=round(found_count / len(version.key_facts), 4),
        evidence=evidence,
    )


def _contradiction(
    phrases: tuple[str, ...], agent_turns: list[tuple[int, str]]
) -> dict[str, Any] | None:
    if not phrases:
        return None
    for index, text in agent_turns:
        match = find_phrase(text, phrases)
        if match is not None:
            return {"turn": index, "phrase": match.span}
    return None
