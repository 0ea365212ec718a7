"""The prefilter's words are sound: a pattern never matches text that holds none of them.

:func:`harness.config.phrases.required_words` lets the scorer skip a pattern on a turn
without running it. A word it names that a match can lack would silently drop a key fact,
a contradiction or a cue, so every pattern of the shipped disclosures is run over every
sentence of the realistic golden set's dev split, and each match must hold a word.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from harness.config.phrases import compiled, required_words
from harness.corpus.files import iter_cases
from harness.scoring.sentences import sentences

ROOT = Path(__file__).parent.parent


def _patterns(node: object) -> list[str]:
    """Every string under a key of a disclosure file that holds patterns (``patterns``,
    ``opposite_patterns``, ``may_contradict``)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).endswith(("patterns", "may_contradict")) and isinstance(value, list):
                found += [p for p in value if isinstance(p, str)]
            else:
                found += _patterns(value)
    elif isinstance(node, list):
        for item in node:
            found += _patterns(item)
    return found


@cache
def _shipped() -> tuple[str, ...]:
    files = sorted((ROOT / "scenarios/disclosures").glob("*.yaml"))
    raw = {p for f in files for p in _patterns(yaml.safe_load(f.read_text(encoding="utf-8")))}
    return tuple(p.pattern for p in compiled(tuple(sorted(raw))))


@cache
def _text() -> str:
    """The dev split's sentences, normalised, one per line (a pattern does not cross one)."""
    cases = iter_cases([ROOT / "corpus/golden-realistic/dev/cases.parquet"])
    turns = {turn.text for case in cases for turn in case.turns if turn.text}
    return "\n".join(s.norm for text in sorted(turns) for s in sentences(text))


def test_the_shipped_patterns_are_mostly_prefiltered() -> None:
    patterns = _shipped()
    assert len(patterns) > 100
    unknown = [p for p in patterns if required_words(p) is None]
    assert len(unknown) <= 0.05 * len(patterns), unknown


def test_every_match_of_a_shipped_pattern_holds_one_of_its_words() -> None:
    text = _text()
    checked = 0
    for source in _shipped():
        words = required_words(source)
        if words is None:
            continue
        for hit in re.compile(source).finditer(text):
            if "\n" in hit.group(0) or not hit.group(0):
                continue
            checked += 1
            assert any(w in hit.group(0) for w in words), (source, words, hit.group(0))
    assert checked > 1000  # the check saw real matches


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"(?:so |really )?sorry (?:to hear|about)", ("sorry ",)),  # optional part first
        (r"(?:i|we) (?:completely )?understand", ("understand",)),  # short parts stepped over
        (r"(?:i|we) understand (?:that|how)", (" understand ",)),
        (r"(?:won't|will not) share", ("won't", "will not")),  # factored common prefix
        (r"(?:\w+ )?(?:debt|money) (?:advice )?charity", ("debt", "money")),
        (r"(?:abc)+d?ef", ("abc",)),  # a repeat of at least one holds its words
        (r"\d+ days", (" days",)),
        (r"(?:a|b)(?:c|d)", None),  # nothing of two characters or more is required
        (r"(a)\1", None),  # a group reference: not told
    ],
)
def test_required_words_step_over_what_a_match_may_lack(
    pattern: str, words: tuple[str, ...] | None
) -> None:
    assert required_words(pattern) == words
