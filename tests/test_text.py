"""Normalisation and phrase matching."""

from __future__ import annotations

import pytest

from harness.config.phrases import find_phrase, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("We’re a  BROKER — not a lender!", "we're a broker not a lender"),
        ("Borrow £10,000.00 over 120 months", "borrow £10000.00 over 120 months"),
        ("9.9% APR.", "9.9% apr"),
        ("“quoted”   words\n\tand tabs", "quoted words and tabs"),
        ("'single' quotes", "single quotes"),
        # chat shorthand written out, "&" as "and"
        (
            "U don't pay us anything, we work w/ a panel",
            "you don't pay us anything we work with a panel",
        ),
        (
            "varies by lender & by product thru ur lender",
            "varies by lender and by product through your lender",
        ),
        ("u'll get 14 days pls", "you'll get 14 days please"),
        # a letter inside a word or a name is no shorthand
        ("bus route uk", "bus route uk"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_exact_match_wins_and_reports_span() -> None:
    match = find_phrase("So: we are a credit broker.", ["credit broker", "broker"])
    assert match is not None
    assert (match.phrase, match.span, match.exact) == ("credit broker", "credit broker", True)


def test_short_phrases_never_match_fuzzily() -> None:
    assert find_phrase("12.9% apr", ["9.9% apr"], fuzzy_threshold=50) is None


def test_fuzzy_match_respects_threshold() -> None:
    text = "we get paid a commision by the lender"
    phrase = ["we are paid a commission by the lender"]
    assert find_phrase(text, phrase, fuzzy_threshold=90) is not None
    assert find_phrase(text, phrase, fuzzy_threshold=99) is None


@pytest.mark.parametrize(
    ("text", "phrase", "found"),
    [
        ("at 19.9% apr", "9.9% apr", False),
        ("at 9.95% apr", "9.9", False),
        ("borrowing £10,000.00 today", "£10000", True),
        ("borrowing £10,000.50 today", "£10000", False),
        ("a brokerage", "broker", False),
    ],
)
def test_exact_matches_respect_token_boundaries(text: str, phrase: str, found: bool) -> None:
    assert (find_phrase(text, [phrase]) is not None) is found
