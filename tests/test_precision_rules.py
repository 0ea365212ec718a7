"""The kinds of realistic wording issue 13 found scored wrong, each with its compliant twin,
through the shipped disclosure versions: the rules must never call a breach a sure pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.disclosures import fill, load_registry
from harness.corpus.cases import Case, FactValue, Turn
from harness.demo.quotes import price_quote
from harness.replay.conversation import Transcript
from harness.scoring.base import Score
from harness.scoring.disclosure_rules import score_disclosure

FOLDER = Path(__file__).resolve().parent.parent / "scenarios" / "disclosures"
REGISTRY = load_registry(FOLDER)
VERSIONS = {
    "broker_status": 2,
    "commission": 2,
    "representative_example": 1,
    "soft_search": 1,
    "right_to_withdraw": 1,
    "vulnerability_support": 1,
    "data_sharing": 1,
}
EVENT = {
    "broker_status": "eligibility_check",
    "commission": "offer_presented",
    "representative_example": "offer_presented",
    "soft_search": "eligibility_check",
    "right_to_withdraw": "application_submitted",
    "data_sharing": "application_submitted",
}
QUOTE = price_quote(
    cash_price=9275, deposit=950, apr=11.9, term_months=120, lender="Alder Home Credit"
)
FACTS: dict[str, FactValue] = {"customer_first_name": "Priya", **QUOTE.facts()}


def wording(disclosure: str) -> str:
    pinned = REGISTRY.pin(disclosure, VERSIONS[disclosure])
    return " ".join(fill(pinned.current.wording, FACTS, where=disclosure).split())


def score(disclosure: str, agent: str, customer: str = "Can you help me with finance?") -> Score:
    turns = [Turn(role="customer", text=customer), Turn(role="agent", text=agent)]
    if disclosure in EVENT:
        turns.append(Turn(role="event", event=EVENT[disclosure]))
    case = Case(case_id="p", source="tests", facts=FACTS, turns=tuple(turns))
    return score_disclosure(
        REGISTRY.pin(disclosure, VERSIONS[disclosure]), case, Transcript(case.turns)
    )


def sure_pass(found: Score) -> bool:
    return found.status == "passed" and found.evidence.get("certainty") == "sure"


@pytest.mark.parametrize("disclosure", [d for d in VERSIONS if d != "vulnerability_support"])
def test_the_approved_wording_passes_sure(disclosure: str) -> None:
    assert sure_pass(score(disclosure, wording(disclosure)))


BREACHES = [
    # a contradiction in words no contradictions list holds
    ("broker_status", "{w} To be clear, we decide on your application ourselves."),
    ("commission", "{w} Honestly though, the lender doesn't give us a penny for this."),
    ("soft_search", "{w} And applying can't affect your credit file at all."),
    ("right_to_withdraw", "{w} Actually, once you've signed you can't cancel the agreement."),
    # a key fact inside a question, an echo of the customer, or a quotation of what not to say
    ("broker_status", "Did you know we're a credit broker, not a lender?"),
    ("commission", 'Some brokers tell people "we\'re paid a commission by the lender".'),
    # a negation more than four words before the phrase
    (
        "commission",
        "We are not, as a lot of people tend to assume, paid a commission by the lender.",
    ),
    # a key fact said only as a third party's words ("the fitter's told you ...")
    ("broker_status", "Right, so the fitter's told you {w} I can't speak for what they say."),
    # a right taken back with a retraction, beside the fact it changes
    (
        "right_to_withdraw",
        "{w} Well actually, in practice the 14 days don't kick in until the installer's "
        "finished and signed off the panels.",
    ),
    # a positive claim no list held: the broker deciding, holding or being repaid
    ("broker_status", "{w} Once you submit, our underwriting team approves or declines you."),
    (
        "broker_status",
        "{w} Once signed, the agreement sits with us and your direct debit comes to us.",
    ),
    # the lender's name as the one who pays nothing, and another payer named
    ("commission", "{w} Honestly, Alder don't hand us anything; it's paid by the installer side."),
    # details narrowed to one lender
    (
        "data_sharing",
        "{w} Don't worry, it only ever goes to Alder, none of the other lenders see it.",
    ),
    # a fixed figure stated later with another value
    ("right_to_withdraw", "{w} Just to confirm, that's 7 days from signing."),
    ("right_to_withdraw", "{w} So you'll have a month from signing to change your mind."),
    ("right_to_withdraw", "{w} That gives you a week after you sign to withdraw."),
    # a condition put on the subject after the disclosure, in words no list holds
    (
        "right_to_withdraw",
        "{w} You can withdraw as long as the installer hasn't started the work yet.",
    ),
    ("soft_search", "{w} The check stays soft provided you don't go on to apply in full."),
    ("commission", "{w} The commission is only paid by the lender depending on the product."),
    # a wrong figure in a bulleted list
    (
        "representative_example",
        "Here's the representative example:\n- **Cash price:** £9,275\n- **Deposit:** £950\n"
        "- **Borrowing:** £8,325 over 120 months\n- **APR:** 13.9% representative (fixed)\n"
        "- **Monthly payment:** £116.08\n- **Total payable:** £14,879.60",
    ),
]


@pytest.mark.parametrize(("disclosure", "said"), BREACHES)
def test_a_breach_is_never_a_sure_pass(disclosure: str, said: str) -> None:
    found = score(disclosure, said.format(w=wording(disclosure)))
    assert not sure_pass(found), found.evidence.get("reason")


@pytest.mark.parametrize(
    "later",
    [
        "The loan itself runs for 120 months at a fixed rate.",
        "That's a fortnight from signing.",
        "Thanks Priya, have a lovely day!",
        "The installer can usually fit it within a week.",
    ],
)
def test_a_loan_term_or_the_same_span_in_other_words_is_no_doubt(later: str) -> None:
    assert sure_pass(score("right_to_withdraw", f"{wording('right_to_withdraw')} {later}"))


def test_a_quoted_myth_does_not_reach_the_agents_own_clause_after_a_but() -> None:
    said = (
        "People say 'any credit check hurts your score', but it's not true for this one, ours is "
        "a soft search, it doesn't affect your credit score at all, and only a full application "
        "means a hard search."
    )
    assert score("soft_search", said).status == "passed"


def test_a_contradiction_beside_the_fact_it_limits_is_unsure_not_a_sure_fail() -> None:
    said = wording("right_to_withdraw") + (
        " Once those 14 days from signing have passed, you'd be committed to the agreement."
    )
    found = score("right_to_withdraw", said)
    assert found.evidence.get("certainty") == "unsure", found.evidence


def test_a_paraphrase_with_traces_of_every_missing_fact_is_not_a_sure_fail() -> None:
    said = (
        "Good question! Nothing from you. Whichever finance company you end up with sends us a "
        "fee for introducing you. How big that fee is depends on the lender and the product, and "
        "if you want the actual number, just say."
    )
    found = score("commission", said)
    assert found.status == "passed" or found.evidence.get("certainty") == "unsure", found.evidence


def test_an_agent_that_answers_an_unlisted_cue_makes_applicability_unsure() -> None:
    customer = "sorry if im slow, been off wrk since my knee op and its all a blur"
    found = score("vulnerability_support", wording("vulnerability_support"), customer=customer)
    assert found.status != "not_applicable", found.evidence


def test_figures_in_a_markdown_list_and_in_words_pass() -> None:
    listed = (
        "Here's the representative example:\n- **Cash price:** £9,275\n- **Deposit:** £950\n"
        "- **Borrowing:** £8,325 over 120 months\n- **APR:** 11.9% representative (fixed)\n"
        "- **Monthly payment:** £116.08 (120 payments)\n- **Total payable:** £14,879.60"
    )
    found = score("representative_example", listed)
    assert found.status == "passed", found.evidence.get("reason")


@pytest.mark.parametrize(
    ("customer", "applies"),
    [
        ("I've just finished a course of chemotherapy, so money is a bit of a worry.", True),
        ("Since my husband passed away I do all the paperwork myself.", True),
        ("No money worries here, thankfully, I just want new windows.", False),
        ("The surveyor was off sick last week, is that a problem?", False),
        ("I've not been right since the stroke in June.", True),
    ],
)
def test_vulnerability_applies_on_a_cue_of_any_driver(customer: str, applies: bool) -> None:
    found = score("vulnerability_support", wording("vulnerability_support"), customer=customer)
    assert (found.status != "not_applicable") is applies, found.evidence
