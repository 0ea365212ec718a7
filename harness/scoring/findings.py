"""What the agent's turns say about one disclosure version: the evidence the rules weigh.

:func:`find_facts` looks for every key fact (its phrases, patterns and figure) in every
agent turn and sorts each match by how it reads (:mod:`harness.scoring.statements`): a firm
statement in time, a weak one (fuzzy, hedged, a negation that may reach it), one only after
the deadline, one said only as a question, echo, quotation or hypothetical, or one said in
the negative. :func:`facts_stated` says which key facts a piece of text firmly states.
Figures said with another value are in :mod:`harness.scoring.wrong_figures`; the listed
contradictions and opposites in :mod:`harness.scoring.contradictions`; what may take a
disclosure back in words no list holds in :mod:`harness.scoring.doubts`.

>>> turns = agent_turns(transcript)  # doctest: +SKIP
>>> findings = find_facts(version, case, turns, (0, 9), "case c1")  # doctest: +SKIP
>>> findings.missing  # doctest: +SKIP
['ask_how_much']
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from harness.config.disclosures import DisclosureVersion, KeyFact, fill, placeholders
from harness.config.phrases import bounded_starts, normalise
from harness.corpus.cases import Case
from harness.replay.conversation import Transcript
from harness.scoring.figures import read_figures, same_value
from harness.scoring.matching import TurnMatch, find_matches
from harness.scoring.sentences import sentences

_STOP = frozenset(
    {"your", "you", "the", "and", "that", "with", "will", "from", "this", "have", "they",
     "their", "our", "for", "are", "can", "its", "it's", "we're", "you're", "any"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AgentTurn:
    """An agent turn of the transcript, with what the customer said just before it."""

    index: int
    text: str
    customer: str


def agent_turns(transcript: Transcript) -> list[AgentTurn]:
    turns, customer = [], ""
    for index, turn in enumerate(transcript.turns):
        if turn.role == "customer":
            customer = turn.text or ""
        elif turn.role == "agent":
            turns.append(AgentTurn(index, turn.text or "", customer))
    return turns


@dataclass
class Findings:
    """What the turns say about one version's key facts."""

    facts: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    negated: list[dict[str, Any]] = field(default_factory=list)
    not_statements: list[dict[str, Any]] = field(default_factory=list)
    weak: list[str] = field(default_factory=list)  # "fact: why", for facts found only weakly
    #: Missing facts of which the eligible turns hold no trace (no match of any kind, no
    #: topic word): a failure on one of them admits no other reading.
    silent: list[str] = field(default_factory=list)
    _figures: dict[str, set[str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.late

    @property
    def late_only(self) -> bool:
        """Facts said, as fact, only after the deadline, and nothing else in doubt."""
        return bool(self.late) and not self.missing

    @property
    def nothing_said(self) -> bool:
        """A fact is missing and the eligible turns hold no trace of it."""
        return bool(self.silent)

    def figure_names(self, key_fact: str) -> set[str]:
        return self._figures.get(key_fact, set())


def find_facts(
    version: DisclosureVersion,
    case: Case,
    turns: list[AgentTurn],
    window: tuple[int, int],
    where: str,
) -> Findings:
    """Every key fact of ``version`` in ``turns``, sorted by how and when it was said."""
    start, end = window
    found = Findings()
    specs = version.figure_specs()
    for key_fact in version.key_facts:
        phrases = [fill(p, case.facts, where=where) for p in key_fact.phrases]
        found._figures[key_fact.id] = {n for p in key_fact.phrases for n in placeholders(p)} | (
            {key_fact.figure.name} if key_fact.figure is not None else set()
        )
        firm: dict[str, Any] | None = None
        weak: tuple[dict[str, Any], str] | None = None
        late: dict[str, Any] | None = None
        others: list[dict[str, Any]] = []
        traces = 0  # matches of any kind in time, negated ones included
        for turn in turns:
            in_time = start <= turn.index < end
            for match in _fact_matches(key_fact, phrases, specs, case, turn, version, where):
                entry = _entry(key_fact.id, turn.index, match)
                traces += in_time
                if match.negated_by is not None and _contrastive(match):
                    continue  # "a soft search, not a hard search": a correction, not a denial
                if match.negated_by is not None:
                    found.negated.append(
                        {
                            "id": key_fact.id,
                            "turn": turn.index,
                            "span": match.span,
                            "cue": match.negated_by,
                        }
                    )
                elif match.reading.kind == "question" and key_fact.may_be_asked:
                    if in_time and firm is None and match.exact:
                        firm = entry  # an offer made as a question is still made
                elif match.reading.kind != "statement":
                    if in_time:
                        others.append({**entry, "kind": match.reading.kind})
                elif in_time and match.firm and firm is None:
                    firm = entry
                elif in_time and weak is None:
                    weak = (entry, _weak_why(match))
                elif turn.index >= end and late is None:
                    late = {**entry, "late": True}
        if firm is not None:
            found.facts.append(firm)
        elif weak is not None:
            found.facts.append({**weak[0], "weak": weak[1]})
            found.weak.append(f"{key_fact.id} ({weak[1]})")
        elif late is not None:
            found.late.append(key_fact.id)
            found.facts.append(late)
        else:
            found.missing.append(key_fact.id)
            found.not_statements += others[:1]
            # traces only in the sentences that said it as a question, echo, quotation or
            # hypothetical: the agent spoke of it only so, which no paraphrase explains
            asked = {o["quote"] for o in others}
            if traces == len(others) and not _mentioned(key_fact, version, turns, window, asked):
                found.silent.append(key_fact.id)
        if firm is None and weak is None and others and late is not None:
            found.not_statements += others[:1]
    return found


def _contrastive(match: TurnMatch) -> bool:
    """A "not" that opens its clause after a statement: "it's a soft search, not a hard one"."""
    if match.negated_by != "not":
        return False
    sentence = next((s for s in sentences(match.quote)), None)
    if sentence is None:
        return False
    start = sentence.norm.find(match.span)
    clause = sentence.clause_at(start)
    return clause > 0 and sentence.clause_text(clause).split()[:1] == ["not"]


def _entry(fact_id: str, turn: int, match: TurnMatch) -> dict[str, Any]:
    return {
        "id": fact_id,
        "turn": turn,
        "span": match.span,
        "quote": match.quote,
        "exact": match.exact,
        "similarity": match.similarity,
    }


def _weak_why(match: TurnMatch) -> str:
    if match.reading.doubts:
        return "; ".join(match.reading.doubts)
    return f"close but not exact wording ({match.similarity:.0f}%)"


def _fact_matches(
    key_fact: KeyFact,
    phrases: list[str],
    specs: Any,
    case: Case,
    turn: AgentTurn,
    version: DisclosureVersion,
    where: str,
) -> list[TurnMatch]:
    """Phrase and pattern matches, and figure statements with the case's own value."""
    matches = []
    if phrases or key_fact.patterns:
        matches = find_matches(
            turn.text,
            phrases,
            fuzzy_threshold=version.fuzzy_threshold,
            patterns=key_fact.compiled_patterns(),
            customer=turn.customer,
        )
    spec = key_fact.figure
    if spec is not None:
        expected = spec.expected(case.facts, where=where)
        for number in read_figures(turn.text, specs, customer=turn.customer):
            if number.name == spec.name and same_value(spec, number.value, expected):
                matches.append(
                    TurnMatch(number.said, number.said, number.quote, True, 100.0, number.reading)
                )
    return matches


def _mentioned(
    key_fact: KeyFact,
    version: DisclosureVersion,
    turns: list[AgentTurn],
    window: tuple[int, int],
    skip: Collection[str] = (),
) -> bool:
    """Whether an eligible agent sentence (but those in ``skip``) holds one of the fact's
    topic words (the version's, when the fact names none): a fact is silent, its absence
    admitting no other reading, only when none comes up."""
    own = key_fact.topics or version.topics or _derived_topics(key_fact)
    topics = [normalise(t) for t in own]
    for turn in turns:
        if window[0] <= turn.index < window[1]:
            for sentence in sentences(turn.text):
                if sentence.text in skip:
                    continue
                if any(next(bounded_starts(t, sentence.norm), -1) >= 0 for t in topics if t):
                    return True
    return False


def topics_of(version: DisclosureVersion) -> tuple[str, ...]:
    """The version's ``topics``, or the most telling word of each key fact's phrases."""
    if version.topics:
        return version.topics
    return tuple(word for kf in version.key_facts for word in _derived_topics(kf))


def _derived_topics(key_fact: KeyFact) -> tuple[str, ...]:
    """The word most of a key fact's phrases share (placeholders left out)."""
    counts: dict[str, int] = {}
    for phrase in key_fact.phrases:
        for word in set(normalise(re.sub(r"\{[^}]*\}", " ", phrase)).split()):
            if len(word) > 3 and word not in _STOP:
                counts[word] = counts.get(word, 0) + 1
    return (max(sorted(counts), key=lambda w: counts[w]),) if counts else ()


def states_a_fact(version: DisclosureVersion, text: str, *, figures: bool = False) -> bool:
    """Whether ``text`` firmly states one of the version's key facts (by a phrase or pattern
    with no placeholder in it); with ``figures``, one of those that hold a figure (14 days)."""
    return bool(facts_stated(version, text, figures=figures, first=True))


def facts_stated(
    version: DisclosureVersion, text: str, *, figures: bool = False, first: bool = False
) -> list[str]:
    """The ids of the key facts ``text`` firmly states, by a phrase or pattern with no
    placeholder in it (the case's figures are not needed); ``first``: stop at the first."""
    stated = []
    for key_fact in version.key_facts:
        if figures and key_fact.figure is None:
            continue
        phrases = [p for p in key_fact.phrases if "{" not in p]
        if any(m.firm for m in find_matches(text, phrases, patterns=key_fact.compiled_patterns())):
            stated.append(key_fact.id)
            if first:
                break
    return stated
