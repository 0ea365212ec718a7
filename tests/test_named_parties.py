"""Contradictions that name the parties: the broker as "Brightwell", the lender and the
installer by their names, where the lists said "we", "us" and "the lender".

From batch AQ of the realistic golden set (named parties) and probes written after it in
its style: before the change each reply here after a correct disclosure was a pass the
rules were sure of. Each must now be no sure pass: a failure, or a pass in review.
"""

from __future__ import annotations

import pytest

from harness.corpus.cases import Case, Turn
from harness.replay.conversation import Transcript
from harness.scoring.disclosure_rules import score_disclosure
from tests.test_precision_rules import (
    FACTS,
    REGISTRY,
    VERSIONS,
    conversation,
    sure_pass,
    wording,
)

TAKEN_BACK = [
    ("broker_status", "Brightwell makes the lending decision, Kestrel just handles the paperwork."),
    ("broker_status", "To be clear, we only work with Kestrel Finance, nobody else."),
    ("broker_status", "Alder Home Credit is simply our own brand name for the loans we provide."),
    ("broker_status", "The money comes straight from Brightwell's own funds."),
    ("commission", "Kestrel Finance doesn't pay Brightwell anything for this."),
    ("commission", "Kestrel doesn't give Brightwell a penny."),
    ("commission", "Halden Heat Pumps pay our commission out of their margin."),
    ("data_sharing", "Only Halden Heat Pumps will see your application details."),
]


@pytest.mark.parametrize(("disclosure", "reply"), TAKEN_BACK)
def test_a_later_reply_naming_the_parties_takes_the_disclosure_back(
    disclosure: str, reply: str
) -> None:
    found = conversation(disclosure, "Ok, and one more thing about that?", reply)
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    ("disclosure", "reply"),
    [
        ("broker_status", "Kestrel Finance is one of the lenders on our panel."),
        ("broker_status", "We only work with FCA-authorised lenders."),
        ("commission", "Kestrel Finance pays Brightwell a commission if you go ahead."),
        (
            "data_sharing",
            "Halden Heat Pumps won't see your application; only the lenders on our panel "
            "and the credit reference agencies do.",
        ),
        ("data_sharing", "Only the lenders on our panel will see your details."),
    ],
)
def test_a_reply_naming_the_parties_in_line_with_the_disclosure_still_passes(
    disclosure: str, reply: str
) -> None:
    found = conversation(disclosure, "Ok, and one more thing about that?", reply)
    assert sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "reply",
    [
        "Halden Heat Pumps don't pay us anything; the commission comes from the lender.",
        "Halden don't pay us a penny, it's the lender who pays us.",
        "The installer doesn't pay us anything: the lender pays us.",
    ],
)
def test_a_denial_whose_subject_is_the_installer_is_no_contradiction(reply: str) -> None:
    """The denial is about the installer, named (the case's ``installer``) or not."""
    facts = {**FACTS, "installer": "Halden Heat Pumps"}
    turns = (
        Turn(role="customer", text="Can you help me with finance?"),
        Turn(role="agent", text=wording("commission")),
        Turn(role="customer", text="Do the installers pay you as well?"),
        Turn(role="agent", text=reply),
        Turn(role="event", event="offer_presented"),
    )
    case = Case(case_id="p", source="tests", facts=facts, turns=turns)
    found = score_disclosure(
        REGISTRY.pin("commission", VERSIONS["commission"]), case, Transcript(case.turns)
    )
    assert found.status == "passed", found.evidence


def test_a_denial_whose_subject_is_a_lender_by_name_still_contradicts() -> None:
    facts = {**FACTS, "installer": "Halden Heat Pumps"}
    turns = (
        Turn(role="customer", text="Can you help me with finance?"),
        Turn(role="agent", text=wording("commission")),
        Turn(role="customer", text="Does the lender really pay you?"),
        Turn(role="agent", text="Honestly, Kestrel doesn't pay us anything."),
        Turn(role="event", event="offer_presented"),
    )
    case = Case(case_id="p", source="tests", facts=facts, turns=turns)
    found = score_disclosure(
        REGISTRY.pin("commission", VERSIONS["commission"]), case, Transcript(case.turns)
    )
    assert found.status == "failed" and found.evidence.get("certainty") == "sure", found.evidence
