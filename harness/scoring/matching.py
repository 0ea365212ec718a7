"""Finding a key fact in an agent turn: where it was said, in which words, and how it reads.

Builds on :mod:`harness.config.phrases` (normalisation, token-bounded and fuzzy matching) and
:mod:`harness.scoring.statements` (what kind of statement a position is in), and adds what a
verdict needs as evidence: the sentence as the agent said it, the normalised span, and the
reading: a statement or only a question, echo, quotation or hypothetical; negated by a cue
in its clause ("we're **not** paid a commission by the lender" does not convey "paid a
commission by the lender"); doubted (a hedge, a negation in an earlier clause). A phrase
that carries its own negation ("won't affect your credit score") is negated only by one
more, and a fuzzy match whose words differ in polarity from the phrase is negated.

It also reads figures: :func:`stated_figures` finds what a phrase such as
``"representative {apr}% APR"`` was said with, so a wrong APR is reported as the figure
stated against the case's own.

>>> said = "We aren't paid a commission by the lender."
>>> m = find_in_turn(said, ["paid a commission by the lender"])
>>> (m.negated_by, m.quote)
("aren't", "We aren't paid a commission by the lender.")
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from harness.config.disclosures import fill, placeholders
from harness.config.phrases import bounded_starts, normalise, required_words
from harness.corpus.cases import FactValue
from harness.scoring.sentences import Sentence, sentences
from harness.scoring.statements import NEGATION_CUES, Reading, negation_count, reading

_NUMBER = r"(\d+(?:\.\d+)?)"
_SENTINEL = "zqxfact{}zqx"


STATEMENT = Reading("statement")


@dataclass(frozen=True, slots=True)
class TurnMatch:
    """A phrase found in one turn: the normalised span, the sentence as said, how it reads."""

    phrase: str
    span: str
    quote: str
    exact: bool
    similarity: float
    reading: Reading = STATEMENT

    @property
    def negated_by(self) -> str | None:
        return self.reading.negated_by

    @property
    def firm(self) -> bool:
        """An exact match in a firm statement: evidence that admits no other reading."""
        return self.exact and self.reading.firm


def find_matches(
    text: str,
    phrases: Sequence[str],
    *,
    fuzzy_threshold: int = 100,
    patterns: Sequence[re.Pattern[str]] = (),
    customer: str = "",
) -> list[TurnMatch]:
    """Every sentence of ``text`` where a phrase or pattern is found, best match each.

    Exact (normalised, token-bounded) matches and ``patterns`` (searched in the normalised
    sentence) come first; a phrase of 12 or more characters may also match fuzzily at
    ``fuzzy_threshold`` (0-100) or above where nothing matched exactly. ``customer`` is what
    the customer said just before, to tell an echo of it.
    """
    return list(_find_matches(text, tuple(phrases), fuzzy_threshold, tuple(patterns), customer))


@functools.lru_cache(maxsize=65536)
def _find_matches(
    text: str,
    phrases: tuple[str, ...],
    fuzzy_threshold: int,
    patterns: tuple[re.Pattern[str], ...],
    customer: str,
) -> tuple[TurnMatch, ...]:
    """Cached: a turn is searched for the same key fact again for every repeat, calibration
    and superseded version, and a replay's stock sentences recur across cases.

    The turn's sentences are searched as one text (joined by line breaks, which neither a
    normalised sentence nor a pattern's ``.`` crosses), one pass per phrase or pattern; only
    the sentences with a hit are read.
    """
    told = sentences(text)
    joined, starts = _joined(told)
    hits: dict[int, list[TurnMatch]] = {}

    def add(start: int, end: int, phrase: str, norm: str | None, similarity: float) -> None:
        index = bisect.bisect_right(starts, start) - 1
        offset = starts[index]
        match = _match(told[index], phrase, start - offset, end - offset, similarity,
                       exact=similarity >= 100.0, phrase_norm=norm, customer=customer)  # fmt: skip
        if not (norm is not None and similarity < 100.0 and match.negated_by == _POLARITY):
            hits.setdefault(index, []).append(match)

    for pattern in patterns:
        words = required_words(pattern.pattern)
        if words is not None and not any(w in joined for w in words):
            continue  # a plain substring check rules the pattern out without running it
        for hit in pattern.finditer(joined):
            if hit.end() > hit.start() and "\n" not in hit.group(0):
                add(hit.start(), hit.end(), pattern.pattern, None, 100.0)
    norm_phrases = [(p, normalise(p)) for p in phrases]
    for phrase, norm_phrase in norm_phrases:
        for start in bounded_starts(norm_phrase, joined):
            add(start, start + len(norm_phrase), phrase, norm_phrase, 100.0)
    if fuzzy_threshold < 100:
        # One alignment per phrase over the whole turn: the best window, if close enough,
        # is a match in the sentence it falls in (unless that sentence matched exactly).
        for phrase, norm_phrase in norm_phrases:
            if len(norm_phrase) < 12:
                continue  # short phrases fuzzily match too much: exact only
            alignment = fuzz.partial_ratio_alignment(
                norm_phrase, joined, score_cutoff=fuzzy_threshold
            )
            if alignment is None or alignment.score < fuzzy_threshold:
                continue
            index = bisect.bisect_right(starts, alignment.dest_start) - 1
            if index in hits or "\n" in joined[alignment.dest_start : alignment.dest_end]:
                continue
            add(alignment.dest_start, alignment.dest_end, phrase, norm_phrase,
                round(alignment.score, 1))  # fmt: skip
    found = []
    for index in sorted(hits):
        best: TurnMatch | None = None
        for match in hits[index]:
            best = _better(best, match)
        assert best is not None
        found.append(best)
    return tuple(found)


@functools.lru_cache(maxsize=8192)
def _joined(told: tuple[Sentence, ...]) -> tuple[str, list[int]]:
    starts, offset = [], 0
    for sentence in told:
        starts.append(offset)
        offset += len(sentence.norm) + 1
    return "\n".join(s.norm for s in told), starts


def find_in_turn(
    text: str,
    phrases: Sequence[str],
    *,
    fuzzy_threshold: int = 100,
    patterns: Sequence[re.Pattern[str]] = (),
    customer: str = "",
) -> TurnMatch | None:
    """The best match in ``text``: a firm one first, then a statement, then a negated one."""
    matches = find_matches(
        text, phrases, fuzzy_threshold=fuzzy_threshold, patterns=patterns, customer=customer
    )
    return min(matches, key=_rank, default=None)


_POLARITY = "(the words differ from the phrase in polarity)"
_NEGATING_PATTERN = re.compile(
    r"\b(?:not|no|never|don't|doesn't|won't|can't|cannot|isn't|aren't|without|nothing|"
    r"zero|nobody|none)\b|n't"
)
# A negative lookaround ("not a word ending in n't"): words a pattern refuses, not says.
_REFUSED = re.compile(r"\(\?<?!(?:[^()]|\([^()]*\))*\)")


def _matched_text(pattern: str) -> str:
    """A pattern's text without its negative lookarounds and word boundaries."""
    return _REFUSED.sub(" ", pattern).replace("\\b", " ")


_CONTRAST = frozenset({"you", "us", "me", "them", "yourself", "the", "your", "just", "only"})


def _inner_negation(words: list[str]) -> str | None:
    """A negation cue inside a pattern's span, other than a contrast ("the lender, not
    you, pays us"; "not just one lender")."""
    for index, word in enumerate(words):
        if word in NEGATION_CUES:
            following = words[index + 1] if index + 1 < len(words) else ""
            if word == "not" and following in _CONTRAST:
                continue
            return word
    return None


def _rank(match: TurnMatch) -> tuple[int, int, int]:
    reading_ = match.reading
    return (
        reading_.negated_by is not None,
        reading_.kind != "statement",
        (not match.exact) + bool(reading_.doubts),
    )


def _better(best: TurnMatch | None, match: TurnMatch) -> TurnMatch:
    if best is None or _rank(match) < _rank(best):
        return match
    return best


def _match(
    sentence: Sentence,
    phrase: str,
    start: int,
    end: int,
    similarity: float,
    *,
    exact: bool,
    phrase_norm: str | None,
    customer: str,
) -> TurnMatch:
    words = sentence.norm[start:end].split()
    # A fuzzy span may take in a negation cue that the phrase does not start with: the cue
    # then negates the phrase from outside, as if it stood before it.
    if not exact and phrase_norm is not None:
        first = phrase_norm.split()[0] if phrase_norm else ""
        while words and words[0] in NEGATION_CUES and words[0] != first:
            start += len(words[0]) + 1
            words = words[1:]
    span = " ".join(words)
    read = reading(sentence, start, end, customer=customer)
    if read.negated_by is None and phrase_norm is None:
        # A pattern's gap may take in a negation ("we're (not) paid a commission"): it
        # negates the match unless the pattern is itself about a negation ("we don't lend").
        inner = _inner_negation(words)
        if inner is not None and not _NEGATING_PATTERN.search(_matched_text(phrase)):
            read = Reading(read.kind, inner, read.doubts)
    if (
        read.negated_by is None
        and phrase_norm is not None
        and not exact
        and negation_count(span) != negation_count(phrase_norm)
    ):
        read = Reading(read.kind, _POLARITY, read.doubts)
    return TurnMatch(phrase=phrase, span=span, quote=sentence.text, exact=exact,
                     similarity=similarity, reading=read)  # fmt: skip


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
    return [
        StatedFigure(f["fact"], f["stated"], f["expected"], f["quote"])
        for f in template_figures(text, templates, facts, where=where)
    ]


def template_figures(
    text: str, templates: Iterable[str], facts: Mapping[str, FactValue], *, where: str
) -> list[dict[str, Any]]:
    """As :func:`stated_figures`, each with ``firm``: said as plain fact, not asked or hedged."""
    wrong: list[dict[str, Any]] = []
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
                    read = reading(sentence, found.start(), found.end())
                    wrong.append(
                        {
                            "fact": name,
                            "stated": stated,
                            "expected": expected[name],
                            "quote": sentence.text,
                            "firm": read.kind == "statement" and not read.doubts,
                        }
                    )
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
