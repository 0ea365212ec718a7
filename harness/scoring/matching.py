"""Finding a key fact in an agent turn: where it was said, in which words, and whether negated.

Builds on :mod:`harness.config.phrases` (normalisation, token-bounded and fuzzy matching) and
adds what a verdict needs as evidence: the sentence as the agent said it, the normalised span,
and the negation cue when a phrase was said in the negative ("we're **not** paid a commission by the
lender" does not convey "paid a commission by the lender"). A negation counts only inside
the same clause and within a few words before the phrase, so "This is a soft search, not a
hard search" still leaves "the lender only does a hard search" free to convey the fact.

It also reads figures: :func:`stated_figures` finds what a phrase such as
``"representative {apr}% APR"`` was said with, so a wrong APR is reported as the figure
stated against the case's own.

>>> said = "We aren't paid a commission by the lender."
>>> m = find_in_turn(said, ["paid a commission by the lender"])
>>> (m.negated_by, m.quote)
("aren't", "We aren't paid a commission by the lender.")
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from harness.config.disclosures import fill, placeholders
from harness.config.phrases import bounded_starts, normalise
from harness.corpus.cases import FactValue

# Words that negate what follows them in the same clause.
NEGATION_CUES = frozenset(
    {
        "not", "no", "never", "don't", "doesn't", "didn't", "won't", "wouldn't", "isn't",
        "aren't", "wasn't", "weren't", "can't", "cannot", "couldn't", "shouldn't", "haven't",
        "hasn't", "without", "nothing", "neither", "nor", "dont", "doesnt", "wont", "cant",
    }
)  # fmt: skip
# Words that start a new clause: a negation before them does not reach past them.
_CLAUSE_WORDS = frozenset({"and", "but", "so", "because", "which", "if", "when", "while", "or"})
NEGATION_WINDOW = 4  # words before the phrase that a negation cue may sit in
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
_CLAUSE_BREAK = re.compile(r",\s+|\s+[\u2013\u2014-]\s+|[()]")
_NUMBER = r"(\d+(?:\.\d+)?)"
_SENTINEL = "zqxfact{}zqx"


@dataclass(frozen=True, slots=True)
class TurnMatch:
    """A phrase found in one turn: the normalised span, the sentence as said, how closely."""

    phrase: str
    span: str
    quote: str
    exact: bool
    similarity: float
    negated_by: str | None = None


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str  # as said
    norm: str  # normalised, clause pieces joined by one space
    clause_starts: tuple[int, ...]  # offsets in ``norm`` where each clause piece starts


@functools.lru_cache(maxsize=4096)
def sentences(text: str) -> tuple[_Sentence, ...]:
    """``text`` split into sentences, each normalised with its clause boundaries kept.

    Cached: one agent turn is searched for every key fact of every disclosure, so the same
    text is split many times per case.
    """
    found = []
    for raw in _SENTENCE_END.split(text.strip()):
        if not raw.strip():
            continue
        pieces = [p for p in (normalise(x) for x in _CLAUSE_BREAK.split(raw)) if p]
        starts, offset = [], 0
        for piece in pieces:
            starts.append(offset)
            offset += len(piece) + 1
        found.append(_Sentence(raw.strip(), " ".join(pieces), tuple(starts)))
    return tuple(found)


def find_in_turn(
    text: str,
    phrases: Sequence[str],
    *,
    fuzzy_threshold: int = 100,
    patterns: Sequence[re.Pattern[str]] = (),
) -> TurnMatch | None:
    """The first non-negated match of any phrase in ``text``; else the first negated one.

    Exact (normalised, token-bounded) matches are preferred, then regular-expression
    ``patterns`` searched in the normalised sentence; a phrase of 12 or more characters
    may also match fuzzily at ``fuzzy_threshold`` (0-100) or above.
    """
    negated: TurnMatch | None = None
    norm_phrases = [(p, normalise(p)) for p in phrases]
    for sentence in sentences(text):
        for pattern in patterns:
            for found in pattern.finditer(sentence.norm):
                if found.end() == found.start():
                    continue
                match = _match(
                    sentence,
                    pattern.pattern,
                    found.start(),
                    found.end() - found.start(),
                    100.0,
                    exact=True,
                )
                if match.negated_by is None:
                    return match
                negated = negated or match
    for sentence in sentences(text):
        for phrase, norm_phrase in norm_phrases:
            for start in bounded_starts(norm_phrase, sentence.norm):
                match = _match(sentence, phrase, start, len(norm_phrase), 100.0, exact=True)
                if match.negated_by is None:
                    return match
                negated = negated or match
    if fuzzy_threshold < 100:
        for sentence in sentences(text):
            best: TurnMatch | None = None
            for phrase, norm_phrase in norm_phrases:
                if len(norm_phrase) < 12:
                    continue  # short phrases fuzzily match too much: exact only
                alignment = fuzz.partial_ratio_alignment(norm_phrase, sentence.norm)
                if alignment is None or alignment.score < fuzzy_threshold:
                    continue
                start, end = alignment.dest_start, alignment.dest_end
                match = _match(
                    sentence, phrase, start, end - start, round(alignment.score, 1), exact=False
                )
                if best is None or match.similarity > best.similarity:
                    best = match
            if best is not None and best.negated_by is None:
                return best
            negated = negated or best
    return negated


def _match(
    sentence: _Sentence, phrase: str, start: int, length: int, similarity: float, *, exact: bool
) -> TurnMatch:
    return TurnMatch(
        phrase=phrase,
        span=sentence.norm[start : start + length],
        quote=sentence.text,
        exact=exact,
        similarity=similarity,
        negated_by=negation_before(sentence, start),
    )


def negation_before(sentence: _Sentence, start: int) -> str | None:
    """The negation cue in the words just before ``start`` in its clause, if any."""
    clause_start = max((s for s in sentence.clause_starts if s <= start), default=0)
    words = sentence.norm[clause_start:start].split()
    for word in reversed(words[-NEGATION_WINDOW:]):
        if word in _CLAUSE_WORDS:
            return None
        if word in NEGATION_CUES:
            return word
    return None


@dataclass(frozen=True, slots=True)
class StatedFigure:
    """A figure said where a phrase expects a case fact, differing from the case's value."""

    fact: str
    stated: str
    expected: str
    quote: str


def stated_figures(
    text: str, templates: Iterable[str], facts: Mapping[str, FactValue], *, where: str
) -> list[StatedFigure]:
    """Figures said in ``text`` in the shape of a phrase template but not the case's value.

    >>> stated_figures("at a representative 10.9% APR", ["representative {apr}% APR"],
    ...                {"apr": 9.9}, where="x")[0].stated
    '10.9'
    """
    wrong: list[StatedFigure] = []
    for template in templates:
        names = placeholders(template)
        if not names:
            continue
        pattern = _template_pattern(template, names)
        expected = {n: normalise(fill("{" + n + "}", facts, where=where)) for n in names}
        for sentence in sentences(text):
            for found in pattern.finditer(sentence.norm):
                for name, stated in zip(names, found.groups(), strict=True):
                    if _same_number(stated, expected[name]):
                        continue
                    wrong.append(StatedFigure(name, stated, expected[name], sentence.text))
    return wrong


def _template_pattern(template: str, names: list[str]) -> re.Pattern[str]:
    marked = template
    for index, name in enumerate(names):
        marked = marked.replace("{" + name + "}", _SENTINEL.format(index), 1)
    norm = normalise(marked)
    parts = re.split(r"zqxfact\d+zqx", norm)
    body = _NUMBER.join(re.escape(p) for p in parts)
    return re.compile(r"(?<![\w.])" + body + r"(?![\w])")


def _same_number(stated: str, expected: str) -> bool:
    try:
        return float(stated) == float(expected.lstrip("£"))
    except ValueError:
        return stated == expected
