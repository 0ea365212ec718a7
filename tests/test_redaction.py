"""Redaction: one policy for imports and reports; each kind of personal data, and what stays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.config.redaction import (
    RedactionPolicy,
    apply_redactions,
    find_personal_data,
    keep_wordings,
    names_in_facts,
    redact,
    redact_case,
    redact_facts,
)
from harness.config.scenario import Scenario
from harness.corpus.cases import Case, GoldenLabel, Turn
from harness.errors import ConfigError
from tests.world import build_world

POLICY = RedactionPolicy()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email me at grace.o'neil+x@example.co.uk", "email me at [EMAIL]"),
        ("mobile 07700 900123, home (020) 7946 0958", "mobile [PHONE], home [PHONE]"),
        ("call +44 7700 900123 or +44 (0)20 7946 0958", "call [PHONE] or [PHONE]"),
        ("I live at SW1A 1AA, near M1 1AE", "I live at [POSTCODE], near [POSTCODE]"),
        ("DOB: 04/07/1981", "DOB: [DATE_OF_BIRTH]"),
        ("I was born on 3 March 1962", "I was born on [DATE_OF_BIRTH]"),
        ("sort code 12-34-56, account 12345678", "sort code [SORT_CODE], account [ACCOUNT_NUMBER]"),
        ("card 4111 1111 1111 1111", "card [CARD_NUMBER]"),
        # What must stay: money, rates, terms, ordinary dates and counts.
        ("£10,514.40 over 120 months at 8.9% APR", "£10,514.40 over 120 months at 8.9% APR"),
        ("signed on 12/03/2026, 14 days to withdraw", "signed on 12/03/2026, 14 days to withdraw"),
    ],
)
def test_each_kind_is_redacted_and_figures_are_not(text: str, expected: str) -> None:
    assert redact(text, POLICY) == expected


def test_names_come_from_the_case_and_match_whole_words() -> None:
    assert redact("Grace asked about the grace period; Graceland", POLICY, names=["Grace"]) == (
        "[NAME] asked about the grace period; Graceland"
    )
    assert names_in_facts({"customer_first_name": "Grace", "apr": 9.9, "name": "x"}, POLICY) == (
        "Grace",
    )


def test_kinds_can_be_switched_off_and_strings_kept() -> None:
    policy = RedactionPolicy(phone_numbers=False, keep=("SW1A 1AA",))
    assert (
        redact("07700 900123 at SW1A 1AA or M1 1AE", policy)
        == "07700 900123 at SW1A 1AA or [POSTCODE]"
    )
    assert redact("a@b.com", RedactionPolicy(enabled=False)) == "a@b.com"


def test_a_whole_case_is_redacted() -> None:
    case = Case(
        case_id="c1",
        source="s",
        facts={"customer_first_name": "Alan", "installer": "Halden Heat Pumps", "apr": 9.9},
        tags={"channel": "phone"},
        turns=[
            Turn(role="customer", text="Alan here, 07700 900123"),
            Turn(role="event", event="offer_presented"),
        ],
        labels=[
            GoldenLabel(disclosure_id="x", applicable=True, presented=False, note="Alan hung up")
        ],
    )
    clean = redact_case(case, POLICY)
    assert clean.facts == {
        "customer_first_name": "[NAME]",
        "installer": "Halden Heat Pumps",
        "apr": 9.9,
    }
    assert clean.turns[0].text == "[NAME] here, [PHONE]"
    assert clean.turns[1] == case.turns[1]
    assert clean.labels[0].note == "[NAME] hung up"


def test_a_policy_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "policy.yaml"
    good.write_text("keep: ['0800 138 7777']\npostcodes: false\n")
    assert RedactionPolicy.load(good) == RedactionPolicy(keep=("0800 138 7777",), postcodes=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("emials: false\n")
    with pytest.raises(ConfigError, match="unknown key 'emials' \\(did you mean 'emails'\\?\\)"):
        RedactionPolicy.load(bad)


@pytest.mark.parametrize(
    ("text", "names", "found"),
    [
        ("Hi Alan, I'm at SW1A 1AA", ["Alan"], [("Alan", "[NAME]"), ("SW1A 1AA", "[POSTCODE]")]),
        # The email's digits are not also a phone number: kinds never overlap.
        ("alan07700900123@example.com", [], [("alan07700900123@example.com", "[EMAIL]")]),
        ("born on 3 March 1962", [], [("3 March 1962", "[DATE_OF_BIRTH]")]),
        # Among figures (whose digits are many, but in short runs), each kind is still found.
        (
            "£9,550 over 60 months at 9.9%; call 020 7946 0958, card 4111-1111-1111-1111, "
            "sort code 12-34-56, account 12345678; £12,027.60 in all",
            [],
            [
                ("020 7946 0958", "[PHONE]"),
                ("4111-1111-1111-1111", "[CARD_NUMBER]"),
                ("12-34-56", "[SORT_CODE]"),
                ("12345678", "[ACCOUNT_NUMBER]"),
            ],
        ),
        ("£9,550 over 60 months at 9.9%, total £12,027.60", [], []),
    ],
)
def test_personal_data_is_found_as_spans_that_redact_applies(
    text: str, names: list[str], found: list[tuple[str, str]]
) -> None:
    spans = find_personal_data(text, POLICY, names=names)
    assert [(text[r.start : r.end], r.placeholder) for r in spans] == found
    expected = text  # each found piece replaced by its placeholder, in order
    for piece, placeholder in found:
        expected = expected.replace(piece, placeholder, 1)
    assert apply_redactions(text, spans) == expected
    assert redact(text, POLICY, names=names) == expected


def test_loose_matching_is_for_normalised_text() -> None:
    quote = "hello alan we're a credit broker based in sw1a 1aa"
    assert redact(quote, POLICY, names=["Alan"]) == quote
    assert redact(quote, POLICY, names=["Alan"], loose=True) == (
        "hello [NAME] we're a credit broker based in [POSTCODE]"
    )


def test_facts_are_redacted_name_facts_whole() -> None:
    facts: dict[str, str | float] = {
        "customer_first_name": "Mary Ann",
        "note": "Mary rang from 07700 900123",
        "apr": 9.9,
    }
    assert redact_facts(facts, POLICY) == {
        "customer_first_name": "[NAME]",
        "note": "[NAME] rang from [PHONE]",
        "apr": 9.9,
    }
    assert redact_facts(facts, RedactionPolicy(enabled=False)) == facts


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (None, RedactionPolicy()),
        ({"redaction": False}, RedactionPolicy(enabled=False)),
        (
            {"redaction": {"emails": False, "keep": ["0800 138 7777"]}},
            RedactionPolicy(emails=False, keep=("0800 138 7777",)),
        ),
    ],
)
def test_a_scenario_sets_the_report_s_redaction(
    tmp_path: Path, report: dict[str, Any] | None, expected: RedactionPolicy
) -> None:
    world = build_world(tmp_path)
    path = world.write_scenario(report=report) if report is not None else world.write_scenario()
    assert Scenario.load(path).report.redaction == expected


def test_a_misspelt_report_setting_names_the_right_one(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    path = world.write_scenario(report={"redact": False})
    with pytest.raises(
        ConfigError, match=r"unknown key 'report\.redact' \(did you mean 'redaction'\?\)"
    ):
        Scenario.load(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dates of birth in ISO form, after each cue people use.
        ("DOB 1981-07-04", "DOB [DATE_OF_BIRTH]"),
        ("date of birth: 1981-07-04", "date of birth: [DATE_OF_BIRTH]"),
        ("my date of birth is 1981-07-04", "my date of birth is [DATE_OF_BIRTH]"),
        ("I was born 1962-03-03, so retired", "I was born [DATE_OF_BIRTH], so retired"),
        ("my birthday's 1962-03-03", "my birthday's [DATE_OF_BIRTH]"),
        ("DOB 19810704", "DOB [DATE_OF_BIRTH]"),
        # UK National Insurance numbers, spaced or not, any case.
        ("my NI number is QQ 12 34 56 C", "my NI number is [NI_NUMBER]"),
        ("NINO AB123456D.", "NINO [NI_NUMBER]."),
        ("national insurance jz 65 43 21 a", "national insurance [NI_NUMBER]"),
        # An ordinary ISO date, a reference that is not an NI number: kept.
        ("the agreement dated 2026-01-10", "the agreement dated 2026-01-10"),
        ("order AB123456 was placed", "order AB123456 was placed"),
    ],
)
def test_iso_dates_of_birth_and_ni_numbers_are_redacted(text: str, expected: str) -> None:
    assert redact(text, POLICY) == expected


def test_a_date_of_birth_fact_is_redacted_whole() -> None:
    facts: dict[str, str | float] = {"date_of_birth": "1981-07-04", "dob": "04/07/1981", "apr": 9.9}
    assert redact_facts(facts, POLICY) == {
        "date_of_birth": "[DATE_OF_BIRTH]",
        "dob": "[DATE_OF_BIRTH]",
        "apr": 9.9,
    }


def test_ni_numbers_can_be_switched_off() -> None:
    policy = RedactionPolicy(national_insurance_numbers=False)
    assert redact("NI QQ123456C", policy) == "NI QQ123456C"


VULNERABILITY_WORDING = (
    "If money is a worry, you can get free, impartial debt advice from MoneyHelper on "
    "0800 138 7777 or at moneyhelper.org.uk."
)


def test_what_an_approved_wording_says_is_kept_in_any_spacing() -> None:
    policy = keep_wordings(POLICY, [VULNERABILITY_WORDING, "Call us on 020 7946 0000."])
    assert policy.keep == ("0800 138 7777", "020 7946 0000")
    said = "MoneyHelper is free on 0800 138 7777 (or 08001387777); my mobile is 07700 900123"
    assert redact(said, policy) == (
        "MoneyHelper is free on 0800 138 7777 (or 08001387777); my mobile is [PHONE]"
    )
    # Kept strings the policy already holds are not repeated; a wording without personal
    # data adds nothing; with redaction off nothing changes.
    assert keep_wordings(policy, [VULNERABILITY_WORDING]).keep == policy.keep
    assert keep_wordings(POLICY, ["We are a credit broker, not a lender."]) == POLICY
    off = RedactionPolicy(enabled=False)
    assert keep_wordings(off, [VULNERABILITY_WORDING]) == off
