"""Asides after a disclosure: what takes it back in passing, and what only sounds like it.

From batch AM of the realistic golden set (take-backs in passing) and from meaning-keeping
rewrites of the dev split (contractions written out): each case here is a verdict the rules
got wrong, sure, before the change it guards.
"""

from __future__ import annotations

import pytest

from harness.corpus.cases import Case, Turn
from harness.replay.conversation import Transcript
from harness.scoring.disclosure_rules import score_disclosure
from tests.test_precision_rules import (
    COMMISSION,
    FACTS,
    REGISTRY,
    SHARING,
    SOFT,
    VERSIONS,
    conversation,
    score,
    sure_pass,
    wording,
)

WITHDRAW = (
    "If you sign the credit agreement, you have 14 days from signing to withdraw from it, "
    "without giving a reason."
)


def sure_fail(found: object) -> bool:
    return getattr(found, "status", None) == "failed" and (
        getattr(found, "evidence", {}).get("certainty") == "sure"
    )


@pytest.mark.parametrize(
    "aside",
    [
        "Oh, and we don't earn anything from the installer for sending customers their way.",
        "We don't earn anything from you, either: it's the lender who pays us.",
        "And we don't earn anything from Halden for sending you to them.",
    ],
)
def test_a_denial_about_someone_other_than_the_lender_is_no_contradiction(aside: str) -> None:
    facts = {**FACTS, "installer": "Halden Heat Pumps"}
    turns = (
        Turn(role="customer", text="Can you help me with finance?"),
        Turn(role="agent", text=f"{COMMISSION} {aside}"),
        Turn(role="event", event="offer_presented"),
    )
    case = Case(case_id="p", source="tests", facts=facts, turns=turns)
    found = score_disclosure(
        REGISTRY.pin("commission", VERSIONS["commission"]), case, Transcript(case.turns)
    )
    assert found.status == "passed", found.evidence


def test_a_denial_of_earning_anything_at_all_still_contradicts() -> None:
    found = score("commission", f"{COMMISSION} Honestly, we don't earn anything on these.")
    assert sure_fail(found), found.evidence


def test_a_claim_that_lists_the_disclosed_recipients_after_it_is_a_doubt_not_a_failure() -> None:
    said = (
        f"{SHARING} Your credit information stays between us, the lenders on our panel and "
        "the credit reference agencies I mentioned."
    )
    found = score("data_sharing", said)
    assert found.status == "passed" and not sure_pass(found), found.evidence


def test_the_same_claim_on_its_own_still_contradicts() -> None:
    found = score("data_sharing", f"{SHARING} Your credit information stays between us.")
    assert not sure_pass(found), found.evidence


def test_going_ahead_now_left_to_the_customer_is_no_sure_pressure() -> None:
    customer = "My wife was diagnosed with dementia last year and I'm caring for her."
    support = (
        "I'm really sorry to hear that. There's no rush at all, we can pause whenever you "
        "like. MoneyHelper offers free, impartial debt advice if money is ever a worry. "
    )
    turns = (
        Turn(role="customer", text=customer),
        Turn(role="agent", text=support),
        Turn(role="customer", text="I'd rather get it done today."),
        Turn(role="agent", text="If you do want to go ahead now, before I submit: here it is."),
    )
    case = Case(case_id="p", source="tests", facts=FACTS, turns=turns)
    pinned = REGISTRY.pin("vulnerability_support", VERSIONS["vulnerability_support"])
    found = score_disclosure(pinned, case, Transcript(case.turns))
    assert found.status == "passed", found.evidence


@pytest.mark.parametrize(
    "aside",
    [
        "Once the panels are on the roof the finance side is pretty much set in stone.",
        "So the real window for changing your minds is before install day.",
    ],
)
def test_a_take_back_of_the_right_to_withdraw_in_passing_is_no_sure_pass(aside: str) -> None:
    found = score("right_to_withdraw", f"{WITHDRAW} {aside}")
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "said",
    [
        "If you sign the agreement, you would have 14 days from signing to withdraw from it.",
        "You'd have 14 days from signing the agreement to withdraw from it.",
    ],
)
def test_you_would_have_14_days_is_a_statement_written_out(said: str) -> None:
    assert sure_pass(score("right_to_withdraw", said))


def test_a_right_that_only_a_bank_loan_would_have_given_is_still_a_hypothetical() -> None:
    said = (
        "If you'd taken an ordinary personal loan from your bank instead, you'd have 14 days "
        "from signing to withdraw from it."
    )
    assert score("right_to_withdraw", said).status == "failed"


def test_that_is_it_locked_in_written_out_contradicts_as_the_contraction_does() -> None:
    said = f"{WITHDRAW} Just bear in mind once you have e-signed, that is it locked in."
    assert sure_fail(score("right_to_withdraw", said))


def test_do_not_written_out_inside_a_fact_is_no_negation_of_it() -> None:
    said = (
        "Brightwell is a credit broker rather than a lender, so we do not provide the loan "
        "ourselves. We introduce you to a lender who provides the finance, from a panel of "
        "several lenders we work with."
    )
    assert sure_pass(score("broker_status", said))


def test_what_the_agent_refuses_to_say_is_not_said() -> None:
    said = (
        "What I won't do — however tempting it is, and however many sites say it — is tell you "
        "that the eligibility check is a soft search that won't affect your credit score. A "
        "full application leads to a hard search."
    )
    assert not sure_pass(score("soft_search", said))


@pytest.mark.parametrize("opening", ["Yes, that's right.", "Great question! Yes, that's right."])
def test_agreeing_with_the_customers_contrary_claim_after_a_courtesy_still_contradicts(
    opening: str,
) -> None:
    customer = "right so after the check its you lot i pay back each month yeah?"
    found = score("broker_status", f"{opening} {wording('broker_status')}", customer=customer)
    assert sure_fail(found), found.evidence


PROSE_EXAMPLE = (
    "Alder would lend you £8,325, which is the price less the £950 you're putting in "
    "yourself. You'd pay that back in 120 equal monthly instalments, ten years in all, of "
    "£{monthly} each. The APR for this quote, the representative figure, is 11.9%. Putting "
    "everything together, the grand total you'd have paid by the end comes to £14,879.60."
)


def test_a_representative_example_in_prose_names_its_figures_in_other_words() -> None:
    """ "would lend you £X" is the amount of credit, "instalments ... of £Y each" the payment."""
    assert sure_pass(score("representative_example", PROSE_EXAMPLE.format(monthly="116.08")))


def test_a_wrong_payment_in_the_same_prose_is_caught() -> None:
    found = score("representative_example", PROSE_EXAMPLE.format(monthly="118.08"))
    assert sure_fail(found) and "monthly_payment stated 118.08" in found.evidence["reason"]


def test_not_only_before_an_exclusive_claim_negates_it() -> None:
    said = f"{SHARING} Your details will not only go to Alder Home Credit."
    assert sure_pass(score("data_sharing", said))
    assert sure_fail(score("data_sharing", f"{SHARING} Your details will only go to Alder."))


def test_a_texting_agent_is_read_as_a_formal_one() -> None:
    said = (
        "Quick one on how we're paid: if u take the finance, the lender pays us a commission. "
        "U don't pay us anything. It varies by lender & by product, & u can ask me how much "
        "we'd get."
    )
    assert sure_pass(score("commission", said))


def test_what_the_agent_can_promise_is_said() -> None:
    assert sure_pass(score("soft_search", f"What I can promise is this: {SOFT}"))


# From batch AO (misunderstandings and corrections): the offer of a pause was read as
# negated by the loss it denies ("nothing lost by stopping"), and a pace offered in other
# words was not read at all, so a careful reply failed, sure.
VULNERABLE = "fyi I've been signed off work with my nerves since xmas, on sertraline"
SUPPORT = (
    "That sounds like a rough few months, and thanks for telling me. {pace} "
    "StepChange offers free debt advice."
)


@pytest.mark.parametrize(
    "pace",
    [
        "Drop it altogether if you like: nothing lost by stopping.",
        "There's no harm in stopping here and coming back to it.",
        "Nothing is lost by pausing for a week.",
        "We go at whatever speed suits you.",
        "There's no clock running on this.",
    ],
)
def test_a_pause_offered_beside_a_loss_it_denies_is_offered(pace: str) -> None:
    said = SUPPORT.format(pace=pace)
    found = score("vulnerability_support", said, customer=VULNERABLE)
    assert sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "pressed",
    [
        "There's no point in stopping now, let's get it done.",
        "No stopping now, we're nearly there.",
        "We can't pause this one, the quote won't hold.",
        # From batch AP: a take-back phrase the agent negates ("no pressure from us to
        # decide today") leaves a careful reply unsure; reading it as negated was tried and
        # not kept (docs/scoring.md). Not negated, it still holds:
        "Take your time. Don't wait too long though, decide today if you can.",
        "Take your time, but honestly it's best to decide today.",
    ],
)
def test_a_pause_refused_is_still_not_offered(pressed: str) -> None:
    said = SUPPORT.format(pace=pressed)
    found = score("vulnerability_support", said, customer=VULNERABLE)
    assert not sure_pass(found), found.evidence


# From batch AP (structured answers and small print): a broker status told plainly stayed
# unsure for two words that take nothing back, "our lending partners" (the panel, not our
# own lending) and "actually" stressing a restated fact.
@pytest.mark.parametrize(
    "later",
    [
        "We'll look for finance for you through one of our lending partners.",
        "It's that lender who actually provides the loan.",
        "Honestly, the lender provides the finance, and we introduce you to them.",
    ],
)
def test_a_restatement_stressed_or_naming_the_lending_partners_leaves_the_pass_sure(
    later: str,
) -> None:
    found = conversation("broker_status", "Ok, so who lends it?", later)
    assert sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "later",
    [
        "Actually, we're the lender here, so it's our money.",
        "Actually, the lender provides the loan, but we make the decision.",
        "Our lending decisions are made in house.",
        "Honestly, the lender doesn't provide the loan, we do.",
    ],
)
def test_a_take_back_with_the_same_words_is_still_no_sure_pass(later: str) -> None:
    found = conversation("broker_status", "Ok, so who lends it?", later)
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "recap",
    [
        "Our commission comes from Harrowgate Thermal, out of their margin, rather than "
        "coming from the lender.",
        "To recap: the installer covers our fee, instead of the lender.",
        "Brightwell's commission is paid by the retailer, not by the lender.",
    ],
)
def test_a_recap_that_sets_the_lender_against_who_pays_contradicts(recap: str) -> None:
    """Batch AQ (named parties): a recap names another payer "rather than the lender"."""
    found = score("commission", f"{COMMISSION} {recap}")
    assert sure_fail(found), found.evidence


@pytest.mark.parametrize(
    "aside",
    [
        "The commission is paid by the lender rather than by you.",
        "The loan itself comes from the lender, not from us.",
        "We're a broker, not the lender, so the lender decides.",
    ],
)
def test_the_lender_named_as_the_payer_beside_a_contrast_still_passes(aside: str) -> None:
    found = score("commission", f"{COMMISSION} {aside}")
    assert sure_pass(found), found.evidence
