"""Whether a disclosure applies to a case, and how sure the rules can be of it.

Conditions on events and case facts are certain. A condition on what the customer said
(``customer_cues``: a taxonomy of cues by driver, such as the FCA's four drivers of
vulnerability) is read turn by turn: a cue the customer states ("since the divorce", "I've
just come out of hospital") makes the disclosure apply, and its turn is the trigger a
deadline counts from; a cue the customer negates ("no money worries, thankfully") or only
asks about does not; a weak cue ("bills are going up") makes it possible, and the rules
are then unsure, so the judge or a person decides.

>>> found = applicability(pinned, case)  # doctest: +SKIP
>>> (found.applies, found.sure, found.trigger_turn)  # doctest: +SKIP
(True, True, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from harness.config.conditions import (
    Cues,
    CueTaxonomy,
    CustomerCuesCondition,
    condition_holds,
)
from harness.config.disclosures import PinnedDisclosure
from harness.config.phrases import normalise, phrases_pattern, required_words
from harness.corpus.cases import Case
from harness.scoring.findings import facts_stated
from harness.scoring.sentences import Sentence, sentences
from harness.scoring.statements import reading


@dataclass(frozen=True, slots=True)
class Applicability:
    """Whether the disclosure applies; ``sure`` False when only a weak cue says so."""

    applies: bool
    sure: bool = True
    why: str | None = None  # which cue, in which customer turn
    trigger_turn: int | None = None  # the customer turn a cue was found in


@dataclass(frozen=True, slots=True)
class _Cue:
    turn: int
    said: str
    driver: str
    firm: bool


#: A cue as one customer turn holds it, wherever the turn is: (what was said, driver, firm).
_TurnCue = tuple[str, str, bool]


def applicability(pinned: PinnedDisclosure, case: Case) -> Applicability:
    """Whether ``pinned``'s version in force applies to ``case``, read as the rules can."""
    condition = pinned.current.applies_when
    if not isinstance(condition, CustomerCuesCondition):
        return Applicability(condition_holds(condition, case))
    taxonomy = _prepared(condition.customer_cues)
    found: list[_Cue] = []
    weighed = False  # a cue negated or excluded: the customer's words were weighed
    for index, turn in enumerate(case.turns):
        if turn.role != "customer":
            continue
        cues, set_aside = _turn_cues(turn.text or "", taxonomy)
        found += (_Cue(index, *cue) for cue in cues)
        weighed = weighed or set_aside
    firm = [c for c in found if c.firm]
    if firm:
        cue = firm[0]
        return Applicability(True, True, _why(cue), cue.turn)
    if found:
        cue = found[0]
        reason = f"{_why(cue)}, which may or may not be a sign of vulnerability"
        return Applicability(True, False, reason, cue.turn)
    answered = None if weighed else _answered_as_if(pinned, case)
    return answered or Applicability(False)


@dataclass(frozen=True, slots=True, eq=False)
class _Taxonomy:
    """A taxonomy's searches, prepared once (compared by identity: :func:`_prepared` makes
    one per taxonomy, so a turn's reading is cached per taxonomy without hashing it)."""

    drivers: tuple[tuple[str, _Search, bool], ...]  # each driver's cues; strong or weak
    exclude: _Search


def _prepared(taxonomy: CueTaxonomy) -> _Taxonomy:
    return _prepared_from(tuple(taxonomy.drivers.items()), taxonomy.weak, taxonomy.exclude)


@lru_cache(maxsize=64)
def _prepared_from(drivers: tuple[tuple[str, Cues], ...], weak: Cues, exclude: Cues) -> _Taxonomy:
    searches = [(driver, _search(cues), True) for driver, cues in drivers]
    searches.append(("weak", _search(weak), False))
    return _Taxonomy(tuple(searches), _search(exclude))


@lru_cache(maxsize=8192)
def _turn_cues(text: str, taxonomy: _Taxonomy) -> tuple[tuple[_TurnCue, ...], bool]:
    """The cues in one customer turn, and whether a
    cue there was set aside (negated, or in a sentence about something else). Cached by
    text: customers repeat short turns ("Yes please", "That's fine") across a corpus."""
    norm = normalise(text)
    said = _set_apart(sentences(text), norm, taxonomy.exclude)
    set_aside: list[str] = []
    found: list[_TurnCue] = []
    for driver, search, strong in taxonomy.drivers:
        found += _cues(said, norm, search, driver, strong, set_aside)
    return tuple(found), bool(set_aside)


def _answered_as_if(pinned: PinnedDisclosure, case: Case) -> Applicability | None:
    """No cue found, but an agent reply firmly says two or more of the key facts (sympathy
    and a signpost to debt advice): the agent answered a cue the taxonomy lacks ("been off
    work since my op"), so whether the disclosure applies is unsure, never a sure no."""
    enough = min(2, len(pinned.current.key_facts))
    for index, turn in enumerate(case.turns):
        if turn.role != "agent" or not turn.text or index == 0:
            continue
        said = facts_stated(pinned.current, turn.text)
        if len(said) >= enough:
            customer = max(
                (i for i in range(index) if case.turns[i].role == "customer"), default=None
            )
            if customer is None:
                continue
            why = (
                f"no cue found, but agent turn {index} answers customer turn {customer} "
                f"as if it held one ({', '.join(said)})"
            )
            return Applicability(True, False, why, customer)
    return None


def _why(cue: _Cue) -> str:
    driver = "" if cue.driver == "weak" else f" ({cue.driver.replace('_', ' ')})"
    return f"customer turn {cue.turn}: '{cue.said}'{driver}"


@dataclass(frozen=True, slots=True)
class _Search:
    """One set of cues, prepared once: its phrases, normalised, and its patterns, each with
    the words a match must contain (None: not known), so that a sentence is searched only
    for what could match in it."""

    phrases: tuple[str, ...]
    phrase_words: re.Pattern[str] | None  # of the phrases' combined pattern
    patterns: tuple[tuple[re.Pattern[str], re.Pattern[str] | None], ...]

    def turn_patterns(self, norm: str) -> tuple[re.Pattern[str], ...]:
        """The patterns that may match in a turn normalised as ``norm`` at all."""
        return tuple(p for p, words in self.patterns if _may_hold(words, norm))

    def sentence_patterns(
        self, sentence: str, patterns: tuple[re.Pattern[str], ...], norm: str
    ) -> tuple[re.Pattern[str], ...]:
        """``patterns`` and one of the phrases found in ``sentence`` (normalised), longest
        first: a phrase that is not a substring of the sentence cannot match in it, so the
        matches are those of the pattern of every phrase, for far less."""
        if not _may_hold(self.phrase_words, norm):
            return patterns
        combined = _phrases_in(self.phrases, sentence)
        return patterns if combined is None else (combined, *patterns)


def _may_hold(words: re.Pattern[str] | None, norm: str) -> bool:
    return words is None or words.search(norm) is not None


def _any_of(words: tuple[str, ...] | None) -> re.Pattern[str] | None:
    """A pattern finding any of ``words`` anywhere (as ``word in text`` does), or None."""
    return None if words is None else re.compile("|".join(re.escape(w) for w in words))


@lru_cache(maxsize=256)
def _search(cues: Cues) -> _Search:
    phrases = tuple(normalise(p) for p in cues.phrases)
    combined = phrases_pattern(phrases)
    words = _any_of(required_words(combined.pattern)) if combined is not None else None
    patterns = tuple((p, _any_of(required_words(p.pattern))) for p in cues.compiled_patterns())
    return _Search(tuple(filter(None, phrases)), words, patterns)


def _phrases_in(phrases: tuple[str, ...], sentence: str) -> re.Pattern[str] | None:
    """The combined pattern (:func:`phrases_pattern`) of those of ``phrases`` in ``sentence``."""
    present = tuple(p for p in phrases if p in sentence)
    return _phrases_pattern(present) if present else None


@lru_cache(maxsize=1024)
def _phrases_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    return phrases_pattern(phrases)


def _set_apart(
    said: tuple[Sentence, ...], norm: str, exclude: _Search
) -> list[tuple[Sentence, bool]]:
    """Each sentence of a turn (normalised: ``norm``), and whether ``exclude`` sets it apart."""
    excluded = exclude.turn_patterns(norm)
    return [
        (
            sentence,
            any(
                p.search(sentence.norm)
                for p in exclude.sentence_patterns(sentence.norm, excluded, norm)
            ),
        )
        for sentence in said
    ]


def _cues(
    said: list[tuple[Sentence, bool]],
    norm: str,
    cues: _Search,
    driver: str,
    strong: bool,
    set_aside: list[str],
) -> list[_TurnCue]:
    """Each cue found in a turn's sentences (the turn normalised: ``norm``): firm when
    stated (not negated, asked or hypothetical), none in a sentence set apart as about
    something else (those, and negated cues, go to ``set_aside``)."""
    found = []
    patterns = cues.turn_patterns(norm)
    for sentence, excluded in said:
        if excluded:
            set_aside.append(sentence.norm)
            continue
        searched = cues.sentence_patterns(sentence.norm, patterns, norm)
        spans = [m.span() for pattern in searched for m in pattern.finditer(sentence.norm)]
        for start, end in sorted(spans):
            read = reading(sentence, start, end)
            if read.negated_by is not None:
                set_aside.append(sentence.norm[start:end])
                continue  # "no money worries", "I'm not ill"
            stated = read.kind == "statement"
            found.append((sentence.norm[start:end], driver, strong and stated))
    return found
