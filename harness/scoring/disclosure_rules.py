"""The deterministic disclosure scorer: key facts, in time, in the current version, uncontradicted.

For each disclosure version in force and each case:

* not applicable when the version's ``applies_when`` does not hold for the historical case
  (conditions on case facts, events and what the customer said);
* otherwise the *eligible* agent turns are those before the deadline event (all of them when
  the case lacks it), or the first N agent turns after the trigger;
* it passes when every key fact is found, not negated, in an eligible agent turn (any of its
  phrasings, ``{fact}`` placeholders filled from the case, normalised, fuzzy for long
  phrases), no agent turn states a figure that differs from the case's (a wrong APR, amount
  or term) and no agent turn says a contradicting phrase.

When it fails, an older version whose key facts were all said in time is named: the agent
used superseded wording, and the reason says ``superseded version v1``.

Each score carries its evidence: the deadline; for each fact the turn, the normalised span
and the sentence as said; which facts were missing, late or negated (with the cue); each
wrong figure (stated and expected); the contradiction (turn, phrase, sentence); the
superseded version; and ``certainty``: ``sure``, or ``unsure`` with why, which the combined
scorer uses to ask the judge only where the rules cannot be sure (a fuzzy match, a
negation, or facts missing where a paraphrase could hide them).

>>> scorer = disclosure_rules(ScorerContext(disclosures=pinned))  # doctest: +SKIP
>>> scorer(case, transcript)[0].evidence["reason"]  # doctest: +SKIP
'superseded version v1 (missing from v2: ask_how_much)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.config.disclosures import DisclosureVersion, PinnedDisclosure, fill, placeholders
from harness.config.phrases import contains_any, find_phrase
from harness.corpus.cases import Case, GoldenLabel
from harness.errors import ConfigError
from harness.replay.conversation import Transcript
from harness.scoring.base import Score, ScorerContext, ScoreStatus
from harness.scoring.matching import find_in_turn, stated_figures

RULES = "rules"


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
        return [score_disclosure(d, case, transcript) for d in self._disclosures]

    def calibrate(self, case: Case) -> dict[str, dict[str, ScoreStatus | str]]:
        """Each labelled disclosure's golden verdict and the rules' on the recorded turns."""
        entries = {}
        for pinned in self._disclosures:
            entry = calibration_entry(pinned, case)
            if entry is not None:
                entries[pinned.id] = entry
        return entries


def golden_status(label: GoldenLabel) -> ScoreStatus:
    """A person's label as the status a scorer should have given."""
    if not label.applicable:
        return "not_applicable"
    return "passed" if label.presented else "failed"


def calibration_entry(pinned: PinnedDisclosure, case: Case) -> dict[str, ScoreStatus | str] | None:
    """``{"gold": …, "rules": …}`` for a labelled case; None when it has no label for it.

    Golden labels describe what production said, so the rules score the recorded turns.
    """
    label = case.label_for(pinned.id)
    if label is None:
        return None
    rules = score_disclosure(pinned, case, Transcript(case.turns))
    return {"gold": golden_status(label), RULES: rules.status}


def score_disclosure(pinned: PinnedDisclosure, case: Case, transcript: Transcript) -> Score:
    """The rules verdict on one disclosure for one replayed case."""
    version = pinned.current.version
    if not pinned.applies_to(case):
        return Score(
            pinned.id,
            "not_applicable",
            criterion_version=version,
            verdicts={RULES: "not_applicable"},
        )
    if transcript.error is not None:
        return Score(
            pinned.id,
            "error",
            error=transcript.error,
            criterion_version=version,
            verdicts={RULES: "error"},
        )
    try:
        return _judge(pinned, case, transcript)
    except ConfigError as exc:
        return Score(
            pinned.id, "error", error=str(exc), criterion_version=version, verdicts={RULES: "error"}
        )


def eligible_window(pinned: PinnedDisclosure, case: Case) -> tuple[int, int, str]:
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


@dataclass
class _Findings:
    """What the turns say about one version's key facts."""

    facts: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    negated: list[dict[str, Any]] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.late


def _find_facts(
    version: DisclosureVersion,
    case: Case,
    agent_turns: list[tuple[int, str]],
    window: tuple[int, int],
    where: str,
) -> _Findings:
    start, end = window
    found = _Findings()
    for key_fact in version.key_facts:
        phrases = [fill(p, case.facts, where=where) for p in key_fact.phrases]
        patterns = key_fact.compiled_patterns()
        hit: dict[str, Any] | None = None
        late_at: dict[str, Any] | None = None
        for index, text in agent_turns:
            match = find_in_turn(
                text, phrases, fuzzy_threshold=version.fuzzy_threshold, patterns=patterns
            )
            if match is None:
                continue
            if match.negated_by is not None:
                found.negated.append(
                    {"id": key_fact.id, "turn": index, "span": match.span, "cue": match.negated_by}
                )
                continue
            entry = {
                "id": key_fact.id,
                "turn": index,
                "span": match.span,
                "quote": match.quote,
                "exact": match.exact,
                "similarity": match.similarity,
            }
            if start <= index < end:
                hit = entry
                break
            if late_at is None and index >= end:
                late_at = {**entry, "late": True}
        if hit is not None:
            found.facts.append(hit)
            if not hit["exact"]:
                found.fuzzy.append(key_fact.id)
        elif late_at is not None:
            found.late.append(key_fact.id)
            found.facts.append(late_at)
        else:
            found.missing.append(key_fact.id)
    return found


def _judge(pinned: PinnedDisclosure, case: Case, transcript: Transcript) -> Score:
    version = pinned.current
    start, end, deadline_text = eligible_window(pinned, case)
    agent_turns = transcript.agent_turns()
    where = f"case {case.case_id}: disclosure {pinned.id} v{version.version}"
    findings = _find_facts(version, case, agent_turns, (start, end), where)
    wrong = _wrong_figures(version, case, agent_turns, where)
    contradiction = _contradiction(version.contradictions, agent_turns)
    superseded = None
    if not findings.complete:
        superseded = _superseded(pinned, case, agent_turns, (start, end), findings)

    evidence: dict[str, Any] = {"deadline": deadline_text, "facts": findings.facts}
    reasons = []
    if superseded is not None:
        evidence["superseded"] = superseded
        missing_now = ", ".join(superseded["missing_from_current"])
        reasons.append(
            f"superseded version v{superseded['version']} "
            f"(missing from v{version.version}: {missing_now})"
        )
    if findings.missing:
        evidence["missing"] = findings.missing
        # A fact said with the wrong figure is reported as that, not as missing.
        wrong_names = {w["fact"] for w in wrong}
        unexplained = [
            kf.id
            for kf in version.key_facts
            if kf.id in findings.missing
            and not wrong_names & {n for p in kf.phrases for n in placeholders(p)}
        ]
        if superseded is None and unexplained:
            reasons.append("missing: " + ", ".join(unexplained))
    if findings.late:
        evidence["late"] = findings.late
        if superseded is None:  # else the superseded reason already names them
            reasons.append("after the deadline: " + ", ".join(findings.late))
    if findings.negated:
        evidence["negated"] = findings.negated
        negated_missing = sorted({n["id"] for n in findings.negated} & set(findings.missing))
        if negated_missing:
            first = next(n for n in findings.negated if n["id"] == negated_missing[0])
            reasons.append(
                f"said in the negative at turn {first['turn']} ('{first['cue']} … {first['span']}')"
            )
    if wrong:
        evidence["wrong_figures"] = wrong
        shown = "; ".join(
            f"{w['fact']} stated {w['stated']}, the case says {w['expected']}" for w in wrong
        )
        reasons.append(f"wrong figure: {shown}")
    if contradiction:
        evidence["contradiction"] = contradiction
        reasons.append(f"contradicted at turn {contradiction['turn']}: '{contradiction['phrase']}'")
    found_count = len(version.key_facts) - len(findings.missing) - len(findings.late)
    passed = not reasons
    evidence["reason"] = "; ".join(reasons) if reasons else "all key facts in time"
    evidence.update(_certainty(passed, findings, bool(wrong), contradiction, superseded))
    status: ScoreStatus = "passed" if passed else "failed"
    return Score(
        criterion=pinned.id,
        criterion_version=version.version,
        status=status,
        score=round(found_count / len(version.key_facts), 4),
        evidence=evidence,
        verdicts={RULES: status},
    )


def _certainty(
    passed: bool,
    findings: _Findings,
    wrong: bool,
    contradiction: dict[str, Any] | None,
    superseded: dict[str, Any] | None,
) -> dict[str, Any]:
    """Whether the verdict rests on firm ground, and if not, why (for ``judge_if_unsure``)."""
    firm_failure = wrong or contradiction is not None or superseded is not None or findings.late
    if not passed and firm_failure:
        return {"certainty": "sure"}
    doubts = []
    if findings.fuzzy:
        doubts.append("close but not exact wording: " + ", ".join(findings.fuzzy))
    if findings.negated:
        doubts.append("a key fact was also said in the negative")
    if not passed and findings.missing:
        doubts.append("key facts not found, which a paraphrase could explain")
    if not doubts:
        return {"certainty": "sure"}
    return {"certainty": "unsure", "unsure_because": doubts}


def _wrong_figures(
    version: DisclosureVersion, case: Case, agent_turns: list[tuple[int, str]], where: str
) -> list[dict[str, Any]]:
    templates = [p for kf in version.key_facts for p in kf.phrases]
    wrong = []
    seen: set[tuple[int, str, str]] = set()
    for index, text in agent_turns:
        for figure in stated_figures(text, templates, case.facts, where=where):
            key = (index, figure.fact, figure.stated)
            if key in seen:
                continue
            seen.add(key)
            wrong.append(
                {
                    "fact": figure.fact,
                    "turn": index,
                    "stated": figure.stated,
                    "expected": figure.expected,
                    "quote": figure.quote,
                }
            )
    return wrong


def _superseded(
    pinned: PinnedDisclosure,
    case: Case,
    agent_turns: list[tuple[int, str]],
    window: tuple[int, int],
    current: _Findings,
) -> dict[str, Any] | None:
    """The newest older version whose key facts were all said in time, if any."""
    for older in reversed(pinned.older_versions):
        where = f"case {case.case_id}: disclosure {pinned.id} v{older.version}"
        try:
            found = _find_facts(older, case, agent_turns, window, where)
        except ConfigError:
            continue  # an old version may name a fact this case lacks: it was not said
        if found.complete:
            return {
                "version": older.version,
                "status": older.status,
                "missing_from_current": current.missing + current.late,
            }
    return None


def _contradiction(
    phrases: tuple[str, ...], agent_turns: list[tuple[int, str]]
) -> dict[str, Any] | None:
    if not phrases:
        return None
    for index, text in agent_turns:
        match = find_phrase(text, phrases)
        if match is not None:
            quote = next(
                (m.quote for m in [find_in_turn(text, [match.phrase])] if m is not None), text
            )
            return {"turn": index, "phrase": match.span, "quote": quote}
    return None
