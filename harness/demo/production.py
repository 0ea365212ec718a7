"""What the production agent said: its lines, its accepted rephrasings and its known slips.

The recorded corpus is "what production said". Production mostly used the approved wording,
sometimes its own rephrasing that compliance accepted (each phrasing below conveys every key
fact of the disclosure's current version), and now and then slipped: the kinds of slip are
listed in :data:`SLIPS` with the wording production used when it slipped.

Templates are filled with ``str.format`` from the case facts plus ``name``.

>>> LINES["offer"][0].format(lender="Northmoor Bank")
'Here is the finance offer from Northmoor Bank.'
"""

from __future__ import annotations

from dataclasses import dataclass

# Conversational lines, by the agent move they belong to. None of them says a key fact or a
# contradicting phrase of any disclosure, so they never mask or fake a disclosure.
LINES: dict[str, tuple[str, ...]] = {
    "greet": (
        "Hi {name}, thanks for getting in touch. I'm the finance assistant at Brightwell Home "
        "Finance and I can help you spread the cost of your {product_name}.",
        "Hello {name}, welcome to Brightwell Home Finance. Happy to help with finance for your "
        "{product_name} from {installer}.",
    ),
    "greet_hurried": ("Hi {name}, no problem, I'll keep it quick.",),
    "greet_next": ("Would you like me to check whether you're likely to be accepted?",),
    "ack": ("Thanks, {name}.", "Of course, {name}."),
    "check": ("Of course, I can check that now.", "Happy to check that for you."),
    "check_next": ("I'm running the check now.",),
    "early_cost": ("Here are the figures for your {product_name} quote.",),
    "early_cost_next": ("If you'd like, I can check whether you're likely to be accepted.",),
    "offer": (
        "Here is the finance offer from {lender}.",
        "Here are the figures for your quote from {lender}.",
    ),
    "offer_next": ("Would you like to go ahead and apply?",),
    "apply": ("Great, let's get your application started.", "Lovely, I'll set that up."),
    "apply_next": ("I'm submitting your application to {lender} now.",),
    "signing": (
        "Congratulations! {lender} will email you the credit agreement to read and sign "
        "online. Please read it carefully before you sign.",
    ),
    "close_signed": (
        "You're all set, {name}. {installer} will be in touch to book the installation.",
    ),
    "close_decline": (
        "That's absolutely fine, {name}. There's no obligation, and you're welcome to come "
        "back to us any time.",
    ),
    "close_pause": (
        "Of course, {name}. Your quote stays valid for 30 days if you decide to go ahead later.",
    ),
}

# Production's own rephrasings, accepted by compliance: each conveys every key fact.
REPHRASINGS: dict[str, tuple[str, ...]] = {
    "broker_status": (
        "Just to be clear, we're a credit broker rather than a lender: we work with a panel of "
        "lenders and we'll introduce you to one of them.",
        "I should explain that Brightwell is a credit broker, not a lender. We work with "
        "several lenders and can introduce you to the one best placed to help.",
    ),
    "commission": (
        "We're paid a commission by the lender if you go ahead, and the amount can vary "
        "depending on the lender and the product. If you'd like to know the figure, just ask "
        "us how much.",
        "The lender pays us a commission if you take out the finance. The amount varies by "
        "lender and product, and you're welcome to ask us how much we'll receive.",
    ),
    "representative_example": (
        "For your quote: borrowing £{amount} over {term_months} months at {apr}% APR "
        "representative, that's {term_months} monthly payments of £{monthly_payment} and a "
        "total amount payable of £{total_payable} (cash price £{cash_price}, deposit "
        "£{deposit}).",
    ),
    "soft_search": (
        "The eligibility check is a soft search, so it won't affect your credit score. If you "
        "then apply, the lender does a hard search, which does show on your credit file.",
        "It's a soft credit check, which doesn't affect your credit score. A full application "
        "would mean a hard credit search.",
    ),
    "right_to_withdraw": (
        "If you're accepted and sign, you'll have 14 days from signing to withdraw, no reason "
        "needed.",
        "And if you change your mind, you have 14 days after you sign the agreement to withdraw.",
    ),
    "vulnerability_support": (
        "Thank you for telling me. There's no pressure at all, and we can slow down or stop "
        "here. StepChange and MoneyHelper both give free, impartial debt advice if that would "
        "help.",
        "I'm sorry to hear that. Please take your time; we can pause whenever you like. "
        "MoneyHelper offers free debt advice on 0800 138 7777.",
    ),
    "data_sharing": (
        "Before we apply, you should know we'll share your details with the lenders on our "
        "panel, and they'll check them with credit reference agencies.",
    ),
}

# Harder phrasings that still convey every fact: a typo a fuzzy match forgives, and a
# negation that is correct ("not a hard search" describes the eligibility check).
HARD_PASSES: dict[str, tuple[str, str]] = {
    "broker_status": (
        "We're a credit broker, not a lendor. We work with a panel of lenders and will "
        "introduce you to the one best placed to offer you finance.",
        "typo 'lendor': matches 'credit broker, not a lender' fuzzily",
    ),
    "vulnerability_support": (
        "Thanks for letting me know. There's no rush at all, we can pause whenever you like. "
        "You can get free, impartial debt advise from the government's money guidance service.",
        "typo 'advise': matches 'free, impartial debt advice' fuzzily",
    ),
    "soft_search": (
        "This is a soft search, not a hard search, so it won't affect your credit score. The "
        "lender only does a hard search if you decide to apply.",
        "negation 'not a hard search' describes the eligibility check correctly",
    ),
}


@dataclass(frozen=True, slots=True)
class Slip:
    """A kind of historical miss: what production said instead, and the label's note.

    ``kind`` is ``omitted`` (nothing said), ``late`` (the approved wording, but only after
    the deadline), or ``replaced`` (``text`` said instead of the disclosure).
    """

    name: str
    kind: str
    note: str
    text: str = ""
    weight: float = 1.0


SLIPS: dict[str, tuple[Slip, ...]] = {
    "broker_status": (
        Slip("omitted", "omitted", "omitted: never said we are a broker", weight=5),
        Slip("late", "late", "said after the eligibility check", weight=3),
        Slip(
            "contradiction",
            "replaced",
            "contradiction: implied we lend the money ourselves",
            "Good news, we'll be lending you the money directly, so it's all very simple.",
            weight=2,
        ),
    ),
    "commission": (
        Slip("omitted", "omitted", "omitted: commission never mentioned", weight=3),
        Slip("late", "late", "commission explained only after the offer", weight=3),
        Slip(
            "contradiction",
            "replaced",
            "contradiction: 'we don't earn anything from this'",
            "And don't worry, we don't earn anything from this: the lender covers everything.",
            weight=3,
        ),
    ),
    "representative_example": (
        Slip("wrong_apr", "replaced", "wrong APR", weight=4),  # the APR is chosen per case
        Slip(
            "partial",
            "replaced",
            "partial: monthly payment only, no APR, credit amount or total payable",
            "It would be £{monthly_payment} a month over {term_months} months.",
            weight=3,
        ),
        Slip("late", "late", "representative example given only after the offer", weight=2),
    ),
    "soft_search": (
        Slip("omitted", "omitted", "omitted: ran the check with no soft-search notice", weight=3),
        Slip("late", "late", "soft-search notice given only after the check", weight=3),
        Slip(
            "contradiction",
            "replaced",
            "contradiction: 'this won't affect your credit score at all', no hard search notice",
            "Don't worry, this won't affect your credit score at all.",
            weight=3,
        ),
    ),
    "right_to_withdraw": (
        Slip("omitted", "omitted", "omitted: no mention of the right to withdraw", weight=4),
        Slip(
            "wrong_period",
            "replaced",
            "wrong period: said 30 days instead of 14",
            "If you sign the credit agreement, you have 30 days after signing to withdraw from it.",
            weight=3,
        ),
        Slip(
            "contradiction",
            "replaced",
            "contradiction: said the customer cannot withdraw after signing",
            "Just bear in mind that once you've signed, you can't withdraw, so be sure first.",
            weight=3,
        ),
    ),
    "vulnerability_support": (
        Slip("omitted", "omitted", "omitted: carried on without acknowledging", weight=4),
        Slip("late", "late", "support offered a turn too late", weight=3),
        Slip(
            "contradiction",
            "replaced",
            "contradiction: pressure to decide ('only available today')",
            "I understand. Just so you know, this price is only available today.",
            weight=3,
        ),
    ),
    "data_sharing": (
        Slip("omitted", "omitted", "omitted: no data-sharing notice before applying", weight=4),
        Slip("late", "late", "data-sharing notice given only after submitting", weight=3),
        Slip(
            "contradiction",
            "replaced",
            "contradiction: said the details stay with us",
            "Your details stay with us, so there's nothing to worry about there.",
            weight=3,
        ),
    ),
}
