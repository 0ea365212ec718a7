"""Text normalisation and phrase matching, shared by disclosure scoring and applicability.

Normalising folds case, curly quotes, dashes, punctuation and whitespace, and drops the
thousands separators inside numbers, so "We’re a BROKER — not a lender" and "we're a broker
not a lender" compare equal, and "£10,000" matches "£10000".

>>> normalise("We’re a  BROKER — not a lender!")
"we're a broker not a lender"
>>> contains_any("Borrowing £10,000 at 9.9% APR", ["£10000 at 9.9% apr"])
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": " ",
        "\u2014": " ",
        "\u00a0": " ",
    }
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
# Keep what carries meaning in disclosures: letters, digits, apostrophes inside words,
# % and £, and a decimal point between digits.
_PUNCT = re.compile(r"(?!(?<=\d)\.(?=\d))[^\w\s%£']|(?<!\w)'|'(?!\w)")
_SPACE = re.compile(r"\s+")
_ZERO_DECIMALS = re.compile(r"\.0+(?!\d)")


@lru_cache(maxsize=1024)
def normalise(text: str) -> str:
    """Fold case, quotes, punctuation, number separators and whitespace.

    Cached: every case normalises the same disclosure phrases and facts again.
    """
    text = text.translate(_TRANSLATE).lower()
    text = _THOUSANDS.sub("", text)
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """Where a phrase was found in a text: the phrase, the matched span and how closely."""

    phrase: str
    span: str
    score: float
    exact: bool


def find_phrase(
    text: str, phrases: Iterable[str], *, fuzzy_threshold: int = 100
) -> PhraseMatch | None:
    """The best match of any of ``phrases`` in ``text``, or None.

    Exact (normalised substring) matches win; otherwise a fuzzy partial match scoring at
    least ``fuzzy_threshold`` (0-100) counts, for wording that legitimately varies.
    """
    norm_text = normalise(text)
    best: PhraseMatch | None = None
    for phrase in phrases:
        norm_phrase = normalise(phrase)
        if not norm_phrase:
            continue
        if next(bounded_starts(norm_phrase, norm_text), -1) >= 0:
            return PhraseMatch(phrase, norm_phrase, 100.0, exact=True)
        if fuzzy_threshold >= 100 or len(norm_phrase) < 12:
            continue  # short phrases fuzzily match too much: exact only
        alignment = fuzz.partial_ratio_alignment(norm_phrase, norm_text)
        if alignment is None or alignment.score < fuzzy_threshold:
            continue
        span = norm_text[alignment.dest_start : alignment.dest_end]
        if best is None or alignment.score > best.score:
            best = PhraseMatch(phrase, span, round(alignment.score, 1), exact=False)
    return best


def bounded_starts(phrase: str, text: str) -> Iterator[int]:
    """Every index of ``phrase`` in ``text`` (both normalised) that sits on word boundaries,
    so "9.9%" is not found in "19.9%" while "£10000" is found in "£10000.00"."""
    if not phrase:
        return
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        before_ok = start == 0 or not _joins(text[start - 1], phrase[0])
        after_ok = (
            end == len(text)
            or not _joins(text[end], phrase[-1])
            or _ZERO_DECIMALS.match(text, end) is not None
        )
        if before_ok and after_ok:
            yield start
        start = text.find(phrase, start + 1)


def _joins(neighbour: str, edge: str) -> bool:
    """Whether ``neighbour`` would continue the token that ends (or starts) with ``edge``."""
    return edge.isalnum() and (neighbour.isalnum() or neighbour == ".")


def contains_any(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` contains any of ``phrases`` exactly (after normalising)."""
    return find_phrase(text, phrases) is not None
