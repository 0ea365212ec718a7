"""The rules read the same conversation the same way however it is typed.

Each rewrite below keeps the meaning of every agent turn of the realistic golden set's dev
split (contractions written out, negations contracted, typographic quotes, a courtesy
before each reply, texting shorthand, other bullets and emphasis). None may turn a verdict
into a wrong one marked sure: a reader who writes "do not" or "u" is owed the verdict of
one who writes "don't" or "you". Verdicts may move to or from unsure; docs/scoring.md
says how many do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from harness.config.disclosures import load_registry
from harness.corpus.cases import Case, GoldenLabel
from harness.corpus.files import iter_cases
from harness.replay.conversation import Transcript
from harness.scoring.disclosure_rules import score_disclosure

ROOT = Path(__file__).parent.parent
VERSIONS = {
    "broker_status": 2,
    "commission": 2,
    "representative_example": 1,
    "soft_search": 1,
    "right_to_withdraw": 1,
    "vulnerability_support": 1,
    "data_sharing": 1,
}

_WRITTEN_OUT = [
    ("won't", "will not"),
    ("can't", "cannot"),
    ("don't", "do not"),
    ("doesn't", "does not"),
    ("didn't", "did not"),
    ("isn't", "is not"),
    ("aren't", "are not"),
    ("wasn't", "was not"),
    ("wouldn't", "would not"),
    ("haven't", "have not"),
    ("hasn't", "has not"),
    ("we're", "we are"),
    ("you're", "you are"),
    ("they're", "they are"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("there's", "there is"),
    ("we'll", "we will"),
    ("you'll", "you will"),
    ("you've", "you have"),
    ("we've", "we have"),
    ("I'm", "I am"),
]
# "you'd taken" is "you had taken"; "you'd pay" is "you would pay"
_HAD = re.compile(
    r"\b(you|we|I|they)'d (?=(?:been|had|got|taken|gone|done|made|\w+ed)\b)", re.IGNORECASE
)
_WOULD = re.compile(r"\b(you|we|I|they)'d\b", re.IGNORECASE)


def _each_way(text: str, pairs: list[tuple[str, str]], *, contract: bool) -> str:
    for short, long in pairs:
        old, new = (long, short) if contract else (short, long)
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        text = re.sub(rf"\b{re.escape(old.capitalize())}\b", new.capitalize(), text)
    return text


def written_out(text: str) -> str:
    text = _HAD.sub(r"\1 had ", text)
    text = _WOULD.sub(r"\1 would", text)
    return _each_way(text, _WRITTEN_OUT, contract=False)


def negations_contracted(text: str) -> str:
    return _each_way(text, _WRITTEN_OUT[:11], contract=True)


def typographic_quotes(text: str) -> str:
    text = re.sub(r"(?<![\w.,!?])'", "\u2018", text).replace("'", "\u2019")
    text = re.sub(r'(?<![\w.,!?])"', "\u201c", text)
    return text.replace('"', "\u201d")


def courtesy_first(text: str) -> str:
    return f"Great question! {text}"


def texting(text: str) -> str:
    for word, short in (("you", "u"), ("You", "U"), ("your", "ur"), ("with", "w/")):
        text = re.sub(rf"\b{word}\b", short, text)
    return text


def other_bullets(text: str) -> str:
    return re.sub(r"(?m)^(\s*)[-*] ", r"\1• ", text).replace("**", "*")


REWRITES: dict[str, Callable[[str], str]] = {
    "written_out": written_out,
    "negations_contracted": negations_contracted,
    "typographic_quotes": typographic_quotes,
    "courtesy_first": courtesy_first,
    "texting": texting,
    "other_bullets": other_bullets,
}


def test_the_rewrites_keep_the_words_they_are_about() -> None:
    assert written_out("You'd taken it, so you'd have 14 days; we're not") == (
        "You had taken it, so you would have 14 days; we are not"
    )
    assert negations_contracted("It does not affect it, it is not") == (
        "It doesn't affect it, it isn't"
    )
    assert texting("with you and your lender") == "w/ u and ur lender"


@cache
def _dev_cases() -> tuple[Case, ...]:
    return tuple(iter_cases([ROOT / "corpus/golden-realistic/dev/cases.parquet"]))


def _gold(label: GoldenLabel) -> str:
    if not label.applicable:
        return "not_applicable"
    return "passed" if label.presented else "failed"


def _verdicts(rewrite: Callable[[str], str] | None) -> dict[str, tuple[str, str, str]]:
    """Per case: (gold, rules status, certainty), with every agent turn rewritten."""
    registry = load_registry(ROOT / "scenarios/disclosures")
    found: dict[str, tuple[str, str, str]] = {}
    for case in _dev_cases():
        if rewrite is not None:
            turns = tuple(
                t.model_copy(update={"text": rewrite(t.text)})
                if t.role == "agent" and t.text
                else t
                for t in case.turns
            )
            case = case.model_copy(update={"turns": turns})
        for label in case.labels:
            pinned = registry.pin(label.disclosure_id, VERSIONS[label.disclosure_id])
            score = score_disclosure(pinned, case, Transcript(case.turns))
            certainty = str(score.evidence.get("certainty", "sure"))
            found[f"{case.case_id}/{label.disclosure_id}"] = (_gold(label), score.status, certainty)
    return found


def _sure_wrong(verdicts: dict[str, tuple[str, str, str]]) -> set[str]:
    return {k for k, (gold, status, sure) in verdicts.items() if sure == "sure" and status != gold}


@cache
def _sure_wrong_as_written() -> frozenset[str]:
    return frozenset(_sure_wrong(_verdicts(None)))


@pytest.mark.parametrize("name", REWRITES)
def test_no_rewrite_turns_a_verdict_into_a_wrong_one_marked_sure(name: str) -> None:
    before = _sure_wrong_as_written()
    after = _sure_wrong(_verdicts(REWRITES[name]))
    assert after <= before, sorted(after - before)
