"""Text normalisation and phrase matching, shared by disclosure scoring and applicability.

Normalising folds case, curly quotes, dashes, punctuation, markdown emphasis and list
markers, and whitespace; drops the thousands separators inside numbers; and writes figures
one way: numbers said in words become digits where they are figures ("fourteen days",
"nine point nine per cent", "eighty-seven pounds sixty-two"), "per cent" becomes "%" and
"7,050 pounds" or "GBP 7,050" becomes "£7050". So "We’re a **BROKER** — not a lender" and
"we're a broker not a lender" compare equal, and "£10,000" matches "£10000".

>>> normalise("We’re a  **BROKER** — not a lender!")
"we're a broker not a lender"
>>> normalise("Fourteen days; nine point nine per cent; eighty-seven pounds sixty-two")
'14 days 9.9% £87.62'
>>> contains_any("Borrowing £10,000 at 9.9% APR", ["£10000 at 9.9% apr"])
True
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
        "|": " ",  # markdown table cells
    }
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
# Keep what carries meaning in disclosures: letters, digits, apostrophes inside words,
# % and £, and a decimal point between digits.
_PUNCT = re.compile(r"(?!(?<=\d)\.(?=\d))[^\w\s%£']|(?<!\w)'|'(?!\w)|_+")
_SPACE = re.compile(r"\s+")
_ZERO_DECIMALS = re.compile(r"\.0+(?!\d)")
# Markdown a chat model writes: list markers and headings at line starts.
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)]|#{1,6})\s+", re.MULTILINE)

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES], key=len, reverse=True))
# A run of number words ("one hundred and twenty", "eighty-seven", "nine point nine").
_WORDS_RUN = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:(?:,?[\s-]+|\s+and\s+)(?:{_NUMBER_WORD}))*"
    rf"(?:\s+point(?:\s+(?:{'|'.join(_UNITS)}))+)?\b",
    re.IGNORECASE,
)
# What makes a single number word a figure: a unit after it, or a pound sign before it.
_FIGURE_UNIT = re.compile(
    r"\s*(?:-\s*)?(?:days?|weeks?|months?|years?|pounds?|pence|per\s*cent|percent|%|"
    r"monthly|payments?|instal?ments?|repayments?|grand)\b",
    re.IGNORECASE,
)
_POUNDS_BEFORE = re.compile(r"\bpounds?(?: and)?\s+$", re.IGNORECASE)


def _thousands(found: re.Match[str]) -> str:
    """ "£5k" or "5 grand" as pounds: "£5000"."""
    pounds = f"{float(found[1] or found[2]) * 1000:.2f}"
    return "£" + pounds.removesuffix(".00")


_MONEY_WORDS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"\bgbp\s?(?=\d)"), "£"),
    # thousands, said the casual way: "£5k", "£4.8k", "five grand" (after the words above)
    (re.compile(r"£(\d+(?:\.\d+)?)\s?k\b|\b(?<!£)(\d+(?:\.\d+)?) grand\b"), _thousands),
    # "seventeen thousand pounds and eight pence": one digit of pence, said as pence
    (re.compile(r"(\d+) pounds?(?: and)? (\d) ?(?:pence|p)\b"), r"£\1.0\2"),
    (re.compile(r"(\d+) pounds?(?: and)? (\d{2})(?: pence| ?p)?\b"), r"£\1.\2"),
    (re.compile(r"(\d[\d,]*(?:\.\d+)?) (?:pounds?|quid)\b"), r"£\1"),
    (re.compile(r"(\d)\s*(?:per\s?cent|percent|pct)\b|(\d)\s+%"), r"\1\2%"),
)


def words_to_figures(text: str) -> str:
    """Number words that are figures as digits; other number words ("one of them") stay.

    >>> words_to_figures("one of our lenders, one hundred and twenty months, 9 point 9")
    'one of our lenders, 120 months, 9 point 9'
    """

    def convert(found: re.Match[str]) -> str:
        words = found.group(0).lower()
        single = not re.search(r"[\s-]", words.strip())
        if single and not _FIGURE_UNIT.match(text, found.end()):
            before = text[max(0, found.start() - 12) : found.start()]
            # "£" before it, or the pence after "pounds" ("nine hundred pounds sixty")
            if "£" not in before[-2:] and not _POUNDS_BEFORE.search(before):
                return found.group(0)
        value = _words_value(words)
        return found.group(0) if value is None else value

    return _WORDS_RUN.sub(convert, text)


def _words_value(words: str) -> str | None:
    whole, _, decimals = words.partition(" point ")
    total, current, last = 0, 0, ""
    for word in re.split(r",?[\s-]+", whole.strip()):
        if word == "and" or not word:
            continue
        if word in _UNITS:
            if last in ("unit", "teen") or (last == "tens" and _UNITS[word] >= 10):
                return None  # "one, two": a list, not one number
            current += _UNITS[word]
            last = "unit" if _UNITS[word] < 10 else "teen"
        elif word in _TENS:
            if last in ("unit", "teen", "tens"):
                return None
            current += _TENS[word]
            last = "tens"
        elif word == "hundred":
            current = max(current, 1) * 100
            last = "scale"
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current, last = 0, "scale"
        else:
            return None
    number = str(total + current)
    if decimals:
        digits = [str(_UNITS.get(w, "")) for w in decimals.split()]
        if not all(d.isdigit() and len(d) == 1 for d in digits):
            return None
        number += "." + "".join(digits)
    return number


@lru_cache(maxsize=16384)
def normalise(text: str) -> str:
    """Fold case, quotes, punctuation, markdown, number separators, figures and whitespace.

    Cached: every case normalises the same disclosure phrases and facts again.
    """
    text = _LIST_MARKER.sub(" ", text.translate(_TRANSLATE)).lower()
    text = words_to_figures(text)
    text = _THOUSANDS.sub("", text)
    for pattern, replacement in _MONEY_WORDS:
        text = pattern.sub(replacement, text)
    text = _PUNCT.sub(" ", text.replace("&", " and "))
    text = _SPACE.sub(" ", text).strip()
    if _SHORTHAND_WORD.search(text) is None:
        return text
    return " ".join(_SHORTHAND.get(word, word) for word in text.split(" "))


# Chat shorthand written out ("u don't pay us anything", "w/ a panel", "thru u"), so that
# phrases, patterns and cues read a texting assistant as they read a formal one.
_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "u'll": "you'll",
    "u'd": "you'd",
    "u're": "you're",
    "u've": "you've",
    "r": "are",
    "w": "with",
    "thru": "through",
    "tho": "though",
    "pls": "please",
    "plz": "please",
    "b4": "before",
    "cos": "because",
    "coz": "because",
}
_SHORTHAND_WORD = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in _SHORTHAND) + r")(?![\w'])")


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


@lru_cache(maxsize=4096)
def phrases_pattern(norm_phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regular expression finding any of ``norm_phrases`` (normalised) on word
    boundaries, as :func:`bounded_starts` does, longest first: one scan of a text instead
    of one per phrase. None when there is no phrase."""
    alternatives = []
    for phrase in sorted(set(filter(None, norm_phrases)), key=len, reverse=True):
        before = r"(?<![^\W_])(?<!\.)" if phrase[0].isalnum() else ""
        after = r"(?:(?![^\W_]|\.)|(?=\.0+(?!\d)))" if phrase[-1].isalnum() else ""
        alternatives.append(before + re.escape(phrase) + after)
    return re.compile("|".join(alternatives)) if alternatives else None


def _joins(neighbour: str, edge: str) -> bool:
    """Whether ``neighbour`` would continue the token that ends (or starts) with ``edge``."""
    return edge.isalnum() and (neighbour.isalnum() or neighbour == ".")


def contains_any(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` contains any of ``phrases`` exactly (after normalising)."""
    return find_phrase(text, phrases) is not None


@lru_cache(maxsize=4096)
def required_words(pattern: str) -> tuple[str, ...] | None:
    """Words of which a match of ``pattern`` must contain one, or None when that cannot be
    told: those of its first required element that has some, the alternatives of a branch
    when each starts with a literal word of two characters or more (``(?:share|pass)``), or
    a run of three literal characters or more.

    A scorer checks a text for them (a plain substring search) before it runs the pattern,
    which skips most patterns on most turns.

    >>> required_words(r"\\b(?:share|pass)(?:es|ed)? (?:\\w+ )?details")
    ('share', 'pass')
    >>> required_words(r"\\b(?:so |very )?sorry (?:to|about)")  # the optional part stepped over
    ('sorry ',)
    >>> required_words(r"\\b(?:i|we) understand")
    (' understand',)
    >>> required_words(r"\\b(?:a|\\w+)") is None
    True
    """
    try:
        # The stdlib's own regex parser (re._parser): no second regex grammar here.
        items = list(importlib.import_module("re._parser").parse(pattern))
    except Exception:  # a pattern the parser cannot read is simply not prefiltered
        return None
    return _first_words(items)


def _first_words(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """The words of the first element of ``items`` that a match must hold and that gives
    words: optional elements (``(?:so )?``), assertions, character classes and elements
    with no words of their own (``(?:i|we)``) are stepped over, since every required element
    after them is in a match too."""
    index = 0
    while index < len(items):
        op, value = items[index]
        name = str(op)
        words: tuple[str, ...] | None = None
        step = 1
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, inner = value
            words = _first_words(list(inner)) if low >= 1 else None
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            words = _first_words(list(value[-1] if name == "SUBPATTERN" else value))
        elif name == "BRANCH":
            words = _branch_words(value[1])
        elif name == "LITERAL":
            run = _literal_run(items[index:]) or ""
            step = len(run)
            rest = items[index + step :]
            if len(run) >= 3:
                words = (run.lower(),)
            elif rest and str(rest[0][0]) == "BRANCH":
                # The parser factors out a common prefix: "(?:won't|will not)" is "w" then
                # a branch of "on't" and "ill not".
                tails = _branch_words(rest[0][1][1])
                words = None if tails is None else tuple(run.lower() + w for w in tails)
        elif name not in ("AT", "ASSERT", "ASSERT_NOT", "IN", "ANY", "NOT_LITERAL", "CATEGORY"):
            return None  # a group reference, a conditional: not told
        if words is not None:
            return words
        index += step
    return None


def _branch_words(alternatives: list[list[tuple[Any, Any]]]) -> tuple[str, ...] | None:
    """One word per alternative (its leading literal run, two characters or more), or None."""
    words = []
    for alternative in alternatives:
        run = _literal_run(list(alternative))
        if run is None or len(run) < 2:
            return None
        words.append(run.lower())
    return tuple(words)


def _literal_run(items: list[tuple[object, object]]) -> str | None:
    """The literal characters ``items`` start with (all of them must be in a match)."""
    chars = []
    for op, value in items:
        if str(op) != "LITERAL":
            break
        chars.append(chr(value))  # type: ignore[arg-type]
    return "".join(chars) or None


_UPPER_OUTSIDE_ESCAPES = re.compile(r"(?<!\\)[A-Z]")


@functools.lru_cache(maxsize=1024)
def compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """``patterns`` compiled once, for matching normalised (lower-case) text.

    A lower-case pattern is compiled case-sensitively, and a leading ``\\b`` becomes a
    look-behind: both let the regex engine scan two to three times faster, which the
    scorer needs (every pattern runs over every agent turn). A pattern with capitals is
    compiled case-insensitively.
    """
    found = []
    for pattern in patterns:
        flags = re.IGNORECASE if _UPPER_OUTSIDE_ESCAPES.search(pattern) else 0
        if pattern.startswith("\\b"):
            pattern = "(?<!\\w)" + pattern[2:]
        found.append(re.compile(pattern, flags))
    return tuple(found)


def compiling(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """``patterns`` unchanged when each compiles; a pydantic validator's ValueError naming
    the one that does not, and how to mend it."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"regular expression {pattern!r} does not compile ({exc}); escape "
                "special characters such as ( ) [ ] . ? with a backslash, or list the "
                "wording under 'phrases' instead"
            ) from None
    return patterns
