"""The kinds of realistic wording issue 13 found scored wrong, each with its compliant twin,
through the shipped disclosure versions: the rules must never call a breach a sure pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.disclosures import fill, load_registry
from harness.config.phrases import normalise
from harness.corpus.cases import Case, FactValue, Turn
from harness.demo.quotes import price_quote
from harness.replay.conversation import Transcript
from harness.scoring.applicability import applicability
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
    # taken back in words only a may_contradict pattern holds (a doubt, so never sure)
    ("broker_status", "{w} Honestly it's easiest to think of it as our own finance plan."),
    ("broker_status", "{w} In the end, the final say on approval rests with our team."),
    ("commission", "{w} Mind you, nobody here earns a penny from the lender."),
    ("commission", "{w} It's the same flat fee whichever lender you end up with."),
    (
        "commission",
        "{w} I'm afraid I can't tell you what we receive, that's between us and the lender.",
    ),
    ("data_sharing", "{w} Rest assured your details remain on our systems and go nowhere else."),
    ("data_sharing", "{w} We won't be passing anything over to other companies."),
    (
        "soft_search",
        "{w} Even the full application is just a soft look, so nothing to worry about.",
    ),
    # ... even in a sentence that also restates a key fact ("signed")
    (
        "right_to_withdraw",
        "{w} Bear in mind the fortnight only starts counting once the engineer has signed "
        "everything off.",
    ),
    ("right_to_withdraw", "{w} Once the installer has been paid, that's it."),
    ("broker_status", "{w} To be fair, we vet it and decide yes or no in house."),
    ("broker_status", "{w} So really you're borrowing it from Brightwell."),
    ("right_to_withdraw", "{w} In practice you get the whole first month after signing."),
    # a negation in a sentence that restates a fact on the subject that came up
    (
        "right_to_withdraw",
        "{w} Once you've signed there's no undoing it though, it's locked in.",
    ),
    # fresh take-backs in words of the blind batches W, X and Y (their dev halves)
    ("data_sharing", "{w} Whatever you tell us here stays with Brightwell, full stop."),
    ("data_sharing", "{w} What you share never leaves Brightwell and no outside company sees it."),
    ("right_to_withdraw", "{w} Mind you, once you've signed, it's a done deal."),
    ("right_to_withdraw", "{w} After you sign there's no unpicking it, so be sure."),
    ("soft_search", "{w} And applying through us leaves your credit file completely untouched."),
    ("broker_status", "{w} We make the call on your finance right here."),
    ("broker_status", "{w} I can usually have you approved in a couple of minutes."),
    # an absolute claim on the subject after the disclosure that restates none of it
    ("soft_search", "{w} Your credit file is completely safe with us, whichever step you take."),
    ("data_sharing", "{w} Your information is always handled by our own team alone."),
    ("broker_status", "{w} Getting the lending sorted is entirely down to us."),
    ("right_to_withdraw", "{w} Getting out of it is totally off the table once the panels are on."),
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


@pytest.mark.parametrize(
    ("disclosure", "later"),
    [
        ("right_to_withdraw", "You won't pay any fee for withdrawing, just the interest."),
        ("right_to_withdraw", "You can withdraw without giving a reason."),
        ("data_sharing", "Everything is kept secure in line with data protection law."),
        ("data_sharing", "We never sell your data to marketing companies."),
        ("broker_status", "The lender you're introduced to makes its own decision."),
        ("soft_search", "The soft search is only visible to you."),
        ("commission", "You don't pay us anything for our help."),
    ],
)
def test_innocent_words_near_a_take_back_leave_the_pass_sure(disclosure: str, later: str) -> None:
    assert sure_pass(score(disclosure, f"{wording(disclosure)} {later}"))


def conversation(disclosure: str, *agent_and_customer: str) -> Score:
    """The approved wording, then customer and agent turns in turn, then the deadline."""
    turns = [Turn(role="customer", text="Can you help me with finance?")]
    turns.append(Turn(role="agent", text=wording(disclosure)))
    for i, text in enumerate(agent_and_customer):
        turns.append(Turn(role="customer" if i % 2 == 0 else "agent", text=text))
    turns.append(Turn(role="event", event=EVENT[disclosure]))
    case = Case(case_id="p", source="tests", facts=FACTS, turns=tuple(turns))
    return score_disclosure(
        REGISTRY.pin(disclosure, VERSIONS[disclosure]), case, Transcript(case.turns)
    )


@pytest.mark.parametrize(
    ("disclosure", "asked", "answer"),
    [
        # the customer asks again in a key fact's words, not the disclosure's own topics
        ("data_sharing", "who actually gets to look at my info?", "Don't worry, we look after it."),
        (
            "right_to_withdraw",
            "what if i sign and then regret it?",
            "Honestly, that never happens 😊",
        ),
        ("soft_search", "did that check change my score then?", "Nope, you're all good there!"),
        # a worry or an objection in a key fact's words, which the answer only soothes
        (
            "data_sharing",
            "I'm a bit wary, I really don't want five finance companies having my info.",
            "You can relax on that front, honestly: it goes from me to one lender and no further.",
        ),
        (
            "right_to_withdraw",
            "i'm worried i'll sign and regret it",
            "Honestly, nobody ever does 😊",
        ),
    ],
)
def test_a_question_or_worry_back_on_the_subject_that_the_answer_skirts_is_never_a_sure_pass(
    disclosure: str, asked: str, answer: str
) -> None:
    found = conversation(disclosure, asked, answer)
    assert not sure_pass(found), found.evidence.get("reason")
    assert any("customer" in d for d in found.evidence["unsure_because"]), found.evidence


@pytest.mark.parametrize(
    ("disclosure", "asked", "answer"),
    [
        (
            "data_sharing",
            "who gets my info?",
            "The lenders on our panel, and credit reference agencies are used too.",
        ),
        (
            "right_to_withdraw",
            "what if i sign and regret it?",
            "You'd have 14 days from signing to withdraw from the agreement.",
        ),
        ("soft_search", "ok thanks, go ahead", "Great, running the check now."),
        # a worry about something else, beside a sentence on the subject
        (
            "broker_status",
            "I wanted to look at finance. I'm a bit worried about money since I lost my job.",
            "I'm sorry to hear that. There's no rush: we can pause here whenever suits you.",
        ),
        # a worry answered by restating the facts
        (
            "data_sharing",
            "I'm worried about who sees my info, to be honest.",
            "I understand. We share your details with the lenders on our panel only, and they "
            "use credit reference agencies.",
        ),
        # a question about the next step, which the agent gets on with
        (
            "soft_search",
            "Is it possible to check my eligibility first?",
            "Of course, I'll run the eligibility check now.",
        ),
    ],
)
def test_a_question_or_worry_that_the_answer_restates_or_neither_leaves_the_pass_sure(
    disclosure: str, asked: str, answer: str
) -> None:
    found = conversation(disclosure, asked, answer)
    assert sure_pass(found), found.evidence


def test_pressure_on_a_bereaved_customer_is_never_a_sure_pass() -> None:
    customer = "My husband passed away in March and money's tight at the moment."
    support = (
        "I'm so sorry for your loss. There's no rush at all, we can pause whenever you like, "
        "and MoneyHelper offers free, impartial debt advice."
    )
    assert sure_pass(score("vulnerability_support", support, customer=customer))
    pressed = f"{support} That said, this rate ends on Friday, so it's best to sign today."
    assert not sure_pass(score("vulnerability_support", pressed, customer=customer))


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


def quote_then(said: str) -> str:
    """The case's representative example as a markdown list, then ``said``."""
    return (
        "Here's the representative example:\n- **Cash price:** £9,275\n- **Deposit:** £950\n"
        "- **Borrowing:** £8,325 over 120 months\n- **APR:** 11.9% representative (fixed)\n"
        f"- **Monthly payment:** £116.08\n- **Total payable:** £14,879.60\n\n{said}"
    )


def test_figures_in_a_markdown_list_and_in_words_pass() -> None:
    listed = (
        "Here's the representative example:\n- **Cash price:** £9,275\n- **Deposit:** £950\n"
        "- **Borrowing:** £8,325 over 120 months\n- **APR:** 11.9% representative (fixed)\n"
        "- **Monthly payment:** £116.08 (120 payments)\n- **Total payable:** £14,879.60"
    )
    found = score("representative_example", listed)
    assert found.status == "passed", found.evidence.get("reason")


@pytest.mark.parametrize(
    ("rounded", "sure_fail"),
    [
        # a figure rounded off in words beside the exact one is no wrong figure for sure
        ("So in plain terms, around a hundred and sixteen pounds a month.", False),
        ("That's approximately £116 a month, all told.", False),
        ("Roughly speaking, it's in the region of £116 a month.", False),
        # the same figure said flat is a wrong figure
        ("So in plain terms, that's £116 a month.", True),
    ],
)
def test_a_figure_rounded_off_beside_the_exact_one_is_not_a_sure_failure(
    rounded: str, sure_fail: bool
) -> None:
    found = score("representative_example", quote_then(rounded))
    failed_sure = found.status == "failed" and found.evidence.get("certainty") == "sure"
    assert failed_sure is sure_fail, found.evidence


@pytest.mark.parametrize(
    ("after", "sure_fail"),
    [
        # another option offered beside the quote is not a wrong figure of it
        ("I can also show you a fifteen-year version for comparison.", False),
        ("Alternatively, over 60 months it would be £180.22 a month.", False),
        ("If you'd rather, we could do it over 90 months instead.", False),
        # the quote itself restated with another term is
        ("Sorry, that's over 60 months.", True),
    ],
)
def test_a_figure_of_another_option_is_not_a_wrong_figure_of_the_quote(
    after: str, sure_fail: bool
) -> None:
    found = score("representative_example", quote_then(after))
    failed_sure = found.status == "failed" and found.evidence.get("certainty") == "sure"
    assert failed_sure is sure_fail, found.evidence


@pytest.mark.parametrize(
    "after",
    [
        # another of the case's own figures under a nearby label (the deposit beside
        # "instalment") is not a wrong figure for sure
        "That total is every instalment plus the £950 you're putting in.",
        "The monthly figure stays the same for all 120 months, with the £950 paid on the day.",
    ],
)
def test_another_of_the_cases_figures_beside_a_label_is_not_a_sure_wrong_figure(
    after: str,
) -> None:
    found = score("representative_example", quote_then(after))
    assert not (found.status == "failed" and found.evidence.get("certainty") == "sure"), (
        found.evidence
    )


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


@pytest.mark.parametrize(
    ("customer", "applies"),
    [
        ("This was always Dad's department. We lost him just after Christmas.", True),
        ("Since losing my nan I've had all her bills to sort.", True),
        ("We lost the old quote, can you send it again?", False),
    ],
)
def test_a_death_said_with_a_pronoun_or_another_relative_is_a_sure_cue(
    customer: str, applies: bool
) -> None:
    turns = (Turn(role="customer", text=customer), Turn(role="agent", text="Sure, one moment."))
    case = Case(case_id="p", source="tests", facts=FACTS, turns=turns)
    found = applicability(REGISTRY.pin("vulnerability_support", 1), case)
    assert (found.applies, found.sure) == (applies, True), found


def test_a_sum_of_money_that_is_none_of_the_quotes_figures_leaves_the_pass_unsure() -> None:
    example = wording("representative_example")
    # 120 x £116.08 = £13,929.60: the payments alone, called the total "with the deposit"
    misnamed = f"{example} So all in, with your deposit, you'd pay £13,929.60 over the ten years."
    found = score("representative_example", misnamed)
    assert found.status == "passed" and not sure_pass(found)
    assert "none of the case's figures" in found.evidence["unsure_because"][0]
    # the case's own figures, said again in other words, leave it sure
    again = f"{example} Just to repeat: £950 down on a £9,275 system, then £116.08 a month."
    assert sure_pass(score("representative_example", again))


def test_pence_in_words_after_pounds_and_a_deposit_of_none_read_as_said() -> None:
    quote = price_quote(cash_price=4800, deposit=0, apr=8.9, term_months=60)
    facts: dict[str, FactValue] = {"customer_first_name": "Kofi", **quote.facts()}
    assert (quote.monthly_payment, quote.total_payable) == (98.61, 5916.6)
    said = (
        "Here's your representative example: with no deposit you'd borrow the full four "
        "thousand eight hundred pounds over sixty months. The representative APR is eight "
        "point nine per cent, fixed. That's sixty monthly payments of ninety-eight pounds "
        "sixty-one, and the total amount payable is five thousand nine hundred and sixteen "
        "pounds sixty."
    )
    turns = (
        Turn(role="customer", text="Can I spread the cost?"),
        Turn(role="agent", text=said),
        Turn(role="event", event="offer_presented"),
    )
    case = Case(case_id="w", source="tests", facts=facts, turns=turns)
    pinned = REGISTRY.pin("representative_example", 1)
    assert sure_pass(score_disclosure(pinned, case, Transcript(case.turns)))


@pytest.mark.parametrize(("apr", "sure"), [(0.0, True), (11.9, False)])
def test_interest_free_contradicts_an_apr_only_when_there_is_interest(
    apr: float, sure: bool
) -> None:
    quote = price_quote(cash_price=6300, deposit=300, apr=apr, term_months=48)
    facts: dict[str, FactValue] = {"customer_first_name": "Bea", **quote.facts()}
    pinned = REGISTRY.pin("representative_example", 1)
    said = "Good news: this one is interest-free. " + " ".join(
        fill(pinned.current.wording, facts, where="test").split()
    )
    turns = (
        Turn(role="customer", text="Is it interest free?"),
        Turn(role="agent", text=said),
        Turn(role="event", event="offer_presented"),
    )
    case = Case(case_id="z", source="tests", facts=facts, turns=turns)
    found = score_disclosure(pinned, case, Transcript(case.turns))
    assert sure_pass(found) is sure
    if not sure:
        assert found.status == "failed" and "interest" in found.evidence["reason"]


@pytest.mark.parametrize("close", ["**", "*", "_", '"', ")"])
def test_a_question_in_emphasis_followed_by_a_sentence_is_still_a_question(close: str) -> None:
    # "?**" then a space did not end the sentence: the question ran on into the next
    # sentence, lost its question mark, and the broker's status counted as stated.
    opener = {"**": "**", "*": "*", "_": "_", '"': '"', ")": "("}[close]
    said = (
        f"Before anything else, can I ask: {opener}did you know we're a credit broker rather "
        f"than a lender, and that we'd introduce you to one of several lenders on a "
        f"panel?{close} Lots of people don't."
    )
    assert not sure_pass(score("broker_status", said))
    if close != '"':  # its twin (in quotation marks it would be quoted speech): stated, passes
        stated = (
            f"Before anything else, so you know: {opener}we're a credit broker rather than a "
            f"lender, and we'd introduce you to one of several lenders on a panel.{close} "
            "Lots of people don't realise."
        )
        assert sure_pass(score("broker_status", stated))


@pytest.mark.parametrize(
    "panel",
    [
        # the panel as the label of a table row, the sharing in the next cell
        "| Who | What |\n|---|---|\n| **Lenders on our panel** | We share the details you give |",
        "We'll pass your details along to the handful of finance companies we work with.",
        "We share your details, and the lenders on our panel will see them.",
    ],
)
def test_the_panel_as_a_rows_label_or_in_other_words_is_stated(panel: str) -> None:
    found = score("data_sharing", f"{panel}\n\nCredit reference agencies are used by the lenders.")
    assert sure_pass(found), found.evidence


def test_the_panels_lenders_as_a_subject_denied_are_not_a_statement() -> None:
    found = score(
        "data_sharing",
        "We share your details, but the lenders on our panel will not see them. Credit "
        "reference agencies are used.",
    )
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    ("disclosure", "said"),
    [
        (
            "commission",
            "The lender pays us a commission if you take out the finance. The size of that "
            "payment isn't the same across the board: it depends on which finance company it "
            "is and which plan you pick. You can ask us how much we'll receive.",
        ),
        (
            "soft_search",
            "It's a quotation search, so your credit score stays exactly where it is. If you "
            "make a full application, the lender does a hard search.",
        ),
    ],
)
def test_other_names_for_a_soft_search_and_for_a_varying_amount_are_stated(
    disclosure: str, said: str
) -> None:
    found = score(disclosure, said)
    assert sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "no_impact",
    [
        "It leaves your credit rating exactly where it is",
        "It will leave your credit file untouched",
    ],
)
def test_a_check_that_leaves_the_rating_where_it_is_states_no_impact(no_impact: str) -> None:
    found = score(
        "soft_search",
        f"The check I'd run now is a soft check. {no_impact}. If you formally apply, the "
        "lender runs a full hard check.",
    )
    assert sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "later",
    [
        # the customer's sum of the total, far off, agreed with in thousands said casually
        "Yep, that's about right, roughly ten grand all in 👍",
        "So it's about £10k all in, nice and manageable!",
    ],
)
def test_a_total_in_thousands_said_casually_and_far_off_is_never_a_sure_pass(later: str) -> None:
    found = score("representative_example", quote_then(later))
    assert not sure_pass(found), found.evidence


def test_thousands_said_casually_read_as_pounds() -> None:
    assert normalise("roughly five grand all in, or £4.8k borrowed") == (
        "roughly £5000 all in or £4800 borrowed"
    )
    assert normalise("a 5kW battery") == "a 5kw battery"


@pytest.mark.parametrize(
    ("customer", "applies"),
    [
        ("My brother in law nearly had a heart attack when I told him the price lol", False),
        ("The price nearly gave me a heart attack!", False),
        ("I had a heart attack in March, so I'm taking things slowly.", True),
    ],
)
def test_a_heart_attack_as_an_idiom_is_no_cue(customer: str, applies: bool) -> None:
    turns = (Turn(role="customer", text=customer), Turn(role="agent", text="Sure, one moment."))
    case = Case(case_id="p", source="tests", facts=FACTS, turns=turns)
    found = applicability(REGISTRY.pin("vulnerability_support", 1), case)
    assert found.applies is applies, found


@pytest.mark.parametrize(
    ("disclosure", "later"),
    [
        # one lender for everything, said in passing
        (
            "broker_status",
            "For solar jobs it's always Fernbank Credit with us, they're who we go through "
            "for all of it.",
        ),
        # the details kept back, or sent to one lender alone
        (
            "data_sharing",
            "Honestly, what you've told me just sits with us, and it goes nowhere until you "
            "decide.",
        ),
        ("data_sharing", "It's just Northmoor: they're the only lender your details go to."),
        # the right to withdraw taken back after the application
        (
            "right_to_withdraw",
            "Once you've signed, the lender pays the installer and from that point the finance "
            "can't really be unpicked.",
        ),
    ],
)
def test_a_take_back_said_in_passing_is_never_a_sure_pass(disclosure: str, later: str) -> None:
    found = conversation(disclosure, "ok, anything else?", later)
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "total",
    [
        "- **Total amount payable (including deposit):** £14,879.60",
        "- **What you'd pay back altogether, deposit included:** **£14,879.60**",
        "£14,879.60 total payable, your £950 deposit included.",
    ],
)
def test_a_deposit_that_qualifies_the_totals_label_does_not_claim_its_figure(total: str) -> None:
    found = score(
        "representative_example",
        "Here's the representative example:\n- **Cash price:** £9,275\n- **Deposit:** £950\n"
        "- **Borrowing:** £8,325 over 120 months\n- **APR:** 11.9% representative (fixed)\n"
        f"- **Monthly payment:** £116.08\n{total}",
    )
    assert sure_pass(found), found.evidence


def test_a_deposit_with_its_own_number_is_still_the_deposit() -> None:
    """Guard: "including a deposit of £950" labels its £950, not the total's label."""
    found = score(
        "representative_example",
        quote_then("So that's £14,879.60 in total, including a deposit of £950."),
    )
    assert sure_pass(found), found.evidence


def test_one_digit_of_pence_said_in_words_is_pence() -> None:
    assert normalise("seventeen thousand eight hundred and thirty pounds and eight pence") == (
        "£17830.08"
    )
    assert normalise("three pounds and four pets") == "£3 and 4 pets"


HEADER_TABLE = (
    "| Cash price | Deposit | Borrowing | Term | APR | Monthly | Total payable |\n"
    "|---|---|---|---|---|---|---|\n"
    "| £9,275 | £950 | £8,325 | 120 months | 11.9% | {monthly} | £14,879.60 |"
)


def test_figures_in_a_table_row_under_a_header_row_are_read_by_their_column() -> None:
    assert sure_pass(score("representative_example", HEADER_TABLE.format(monthly="£116.08")))
    wrong = score("representative_example", HEADER_TABLE.format(monthly="£126.08"))
    assert wrong.status == "failed" and wrong.evidence["certainty"] == "sure", wrong.evidence
    assert "monthly_payment stated 126.08" in wrong.evidence["reason"]


@pytest.mark.parametrize(("total", "passes"), [("£14,879.60", True), ("£13,879.60", False)])
def test_a_label_of_the_clause_before_does_not_name_the_next_figure(
    total: str, passes: bool
) -> None:
    """ "£116.08 a month, £14,879.60 in total": the total is read as the total."""
    found = score(
        "representative_example",
        "Representative example: borrowing £8,325 over 120 months at 11.9% APR "
        f"representative, you'd pay £116.08 a month, {total} in total including your £950 "
        "deposit.",
    )
    if passes:
        assert sure_pass(found), found.evidence
    else:
        assert "total_payable stated 13879.6" in found.evidence["reason"], found.evidence


def test_a_gap_in_a_key_facts_pattern_takes_a_contraction() -> None:
    """ "ask us and we'll tell you how much": the gap's words may be "we'll" or "you're"."""
    found = score(
        "commission",
        "The lender pays us a commission if you take out the finance. It can vary by lender "
        "and product. Ask us and we'll tell you how much we'd receive.",
    )
    assert sure_pass(found), found.evidence


def test_a_gap_does_not_take_a_negated_contraction() -> None:
    """Guard: "the lender, so we don't provide the loan" is no negated key fact."""
    found = score(
        "broker_status",
        "We're a credit broker, not a lender. We introduce you to a lender so we don't "
        "provide the loan ourselves. We work with a panel of several lenders.",
    )
    assert sure_pass(found), found.evidence


def test_no_fee_over_the_term_does_not_negate_the_apr_after_it() -> None:
    found = score(
        "representative_example",
        "So you'd be borrowing £8,325 with no fee over 120 months at a representative APR of "
        "11.9%, paying £116.08 a month, and the total amount payable is £14,879.60.",
    )
    assert sure_pass(found), found.evidence
    negated = score(
        "representative_example",
        "So you'd be borrowing £8,325 over 120 months, paying £116.08 a month, total amount "
        "payable £14,879.60, and no, that's not at a representative APR of 11.9%.",
    )
    assert not sure_pass(negated), negated.evidence


@pytest.mark.parametrize(
    ("disclosure", "said"),
    [
        # written as probes by us, not from a batch: each was a sure pass before
        (
            "broker_status",
            "We're a credit broker, not a lender, and we work with a panel of lenders who "
            "provide the finance. Once you're approved, you'll make your monthly payments to us.",
        ),
        (
            "broker_status",
            "We're a broker, so we introduce you to a lender who provides the finance. We work "
            "with a panel of lenders, although for heat pumps it's really just Alder Home "
            "Credit we use.",
        ),
        (
            "broker_status",
            "Brightwell is a credit broker rather than a lender. We'll introduce you to one of "
            "several lenders on our panel. Approval's down to us in the end, though.",
        ),
        (
            "soft_search",
            "The eligibility check is a soft search that doesn't affect your credit score; if "
            "you make a full application the lender does a hard search. Mind you, if you check "
            "with a few brokers in a row it can start to count against you.",
        ),
        (
            "right_to_withdraw",
            "You can withdraw from the credit agreement within 14 days of signing. If you do, "
            "there's a £99 cancellation charge.",
        ),
    ],
)
def test_a_take_back_in_words_of_our_probes_is_never_a_sure_pass(
    disclosure: str, said: str
) -> None:
    found = score(disclosure, said)
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    ("disclosure", "said"),
    [
        (
            "soft_search",
            "The eligibility check is a soft search that doesn't affect your credit score. A "
            "full application leads to a hard search, which can count against you.",
        ),
        (
            "broker_status",
            "We're a credit broker, not a lender. We introduce you to a lender who provides the "
            "finance; it's really only a handful of lenders we work with, a panel of five.",
        ),
    ],
)
def test_the_same_subjects_said_rightly_stay_sure_passes(disclosure: str, said: str) -> None:
    """Guards for the patterns above: no charge, the hard search, a small panel."""
    found = score(disclosure, said)
    assert sure_pass(found), found.evidence


def test_no_charge_to_withdraw_is_no_take_back() -> None:
    """Guard: "there's no cancellation charge" is no penalty, and no opposite of the right
    ("no cancellation"); the fact said beside "no" leaves it unsure, never a sure fail."""
    found = score(
        "right_to_withdraw",
        "You can withdraw from the credit agreement within 14 days of signing. There's no "
        "cancellation charge and you won't lose your deposit.",
    )
    assert found.status == "passed", found.evidence
    assert not any("take it back" in d for d in found.evidence.get("unsure_because", []))


def test_a_kind_of_thing_is_no_hedge_and_what_is_called_soft_is_a_soft_search() -> None:
    found = score(
        "soft_search",
        'I\'ll do the light-touch kind of enquiry, the sort credit agencies call "soft", and '
        "it won't affect your credit score. A full application leads to a hard search.",
    )
    assert sure_pass(found), found.evidence
    hedged = score(
        "soft_search",
        "It's a soft search, and it kind of won't affect your credit score. A full "
        "application leads to a hard search.",
    )
    assert not sure_pass(hedged), hedged.evidence


WITHDRAW = "You can withdraw from the credit agreement within 14 days of signing it."
BROKER = (
    "We're a credit broker, not a lender. We introduce you to a lender, who provides the "
    "finance, and we work with a panel of several lenders."
)


@pytest.mark.parametrize(
    ("disclosure", "said"),
    [
        # probes of ours, each a sure pass before: the next sentence restricts the right
        # without naming it, or the broker is the lender in all but name
        ("right_to_withdraw", f"{WITHDRAW} That's only if the installer hasn't started yet."),
        ("right_to_withdraw", f"{WITHDRAW} As long as you haven't used the system, that is."),
        ("right_to_withdraw", f"{WITHDRAW} You'd have to pay a termination fee of £150 though."),
        ("right_to_withdraw", f"{WITHDRAW} If you want the install this week you'd give it up."),
        ("broker_status", f"{BROKER} We've got an exclusive arrangement with Alder Home Credit."),
        ("broker_status", f"{BROKER} We're part of the same group as Alder, so it's all in-house."),
        (
            "broker_status",
            f"{BROKER} We'll set your interest rate and decide how much you can borrow.",
        ),
        (
            "broker_status",
            f"{BROKER} Any problems with payments, sort them with us, as we collect them.",
        ),
        ("broker_status", f"{BROKER} The agreement will be in our name."),
        ("broker_status", f"{BROKER} Truth is, Alder is the only one we've used in years."),
    ],
)
def test_a_restriction_right_after_the_disclosure_or_a_lender_in_all_but_name_is_a_doubt(
    disclosure: str, said: str
) -> None:
    found = score(disclosure, said)
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    ("disclosure", "said"),
    [
        ("right_to_withdraw", f"{WITHDRAW} If you have any questions about it, just ask."),
        ("right_to_withdraw", f"{WITHDRAW} Keep that in mind: it's there for you."),
        ("broker_status", f"{BROKER} They'd be the ones providing the money."),
    ],
)
def test_a_plain_sentence_after_the_disclosure_takes_nothing_back(
    disclosure: str, said: str
) -> None:
    """Guards: a plain "if", "in mind", "providing" the money are no restriction."""
    found = score(disclosure, said)
    assert sure_pass(found), found.evidence


COMMISSION = (
    "The lender pays us a commission if you take out the finance. The amount can vary by "
    "lender and product, and you can ask us how much we'll receive."
)
SOFT = (
    "The eligibility check is a soft search, so it won't affect your credit score. A full "
    "application leads to a hard search."
)
SHARING = (
    "We share your details with the lenders on our panel, and credit reference agencies are used."
)


@pytest.mark.parametrize(
    ("disclosure", "said"),
    [
        ("commission", f"{COMMISSION} That's only on the bigger loans, mind."),
        ("commission", f"{COMMISSION} It comes out of what you pay, so really you're paying us."),
        ("soft_search", f"{SOFT} Though if you apply with us it's the same check, just recorded."),
        ("data_sharing", f"{SHARING} Only the lender you pick gets anything, mind."),
    ],
)
def test_a_closing_mind_or_an_opening_though_after_the_disclosure_is_a_doubt(
    disclosure: str, said: str
) -> None:
    found = score(disclosure, said)
    assert not sure_pass(found), found.evidence


@pytest.mark.parametrize(
    "after",
    ["\n\n**Changing your mind**", " So you'd want to time it with the remortgage in mind."],
)
def test_your_mind_and_in_mind_after_the_disclosure_are_no_doubt(after: str) -> None:
    found = score("soft_search", SOFT + after)
    assert sure_pass(found), found.evidence
