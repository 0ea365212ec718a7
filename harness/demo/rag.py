"""The RAG demo corpus: customers' questions to the broker's knowledge-base assistant.

Each case is one question, the passages the retriever returned for it (the right article,
sometimes with a distractor, now and then without the right one), the reference answer a
compliance reviewer wrote, and what the production assistant answered: mostly close to the
reference or a faithful paraphrase, sometimes only partial, and a few wrong answers (a
30-day cooling-off period, a hard search for an eligibility check). The fact
``reference_contexts`` lists the article a perfect retriever would have returned, for the
non-LLM context precision and recall metrics.

The same seed gives the same bytes::

    python -m harness.demo.rag --out corpus/rag-demo

>>> cases = generate_rag_cases(20261123)
>>> len(cases), cases[0].contexts is not None
(48, True)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.corpus.cases import Case, Turn
from harness.corpus.files import write_cases
from harness.errors import ExitStatus, HarnessError

DEFAULT_SEED = 20261123
SOURCE = "brightwell-kb-assistant"
FILE_NAME = "kb_questions.parquet"
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

# The knowledge base: article id -> passage.
ARTICLES = {
    "commission": "Brightwell is a credit broker, not a lender. If you take out finance through "
    "us, the lender pays us a commission. The amount can vary depending on the lender and the "
    "product, and you can ask us how much we will receive before you decide.",
    "soft_search": "Checking your eligibility is a soft search. A soft search does not affect "
    "your credit score and other lenders cannot see it. If you go on to apply, the lender "
    "carries out a hard search, which is recorded on your credit file.",
    "withdrawal": "Once you sign a credit agreement you have 14 days to withdraw from it without "
    "giving a reason. You repay the amount borrowed plus interest for the days you had it.",
    "early_repayment": "You can repay your loan early at any time, in full or in part. The "
    "lender may charge up to 58 days' interest as an early settlement fee, and will tell you "
    "the settlement figure before you pay.",
    "representative_apr": "The representative APR is the rate at least 51% of accepted customers "
    "receive. The rate you are offered depends on your circumstances and may be higher.",
    "declined": "If a lender declines your application, we may be able to introduce you to "
    "another lender on our panel. Each full application leaves a hard search on your credit "
    "file, so we check eligibility with a soft search first.",
    "eligibility": "To apply you must be 18 or over, live in the UK, own your home and have a "
    "regular income. Loans are available from £1,000 to £25,000.",
    "terms": "Finance terms run from 12 to 120 months. A longer term lowers the monthly payment "
    "but you pay more interest in total.",
    "missed_payments": "If you miss a payment, contact your lender straight away. Missed payments "
    "can lead to fees, are reported to credit reference agencies and can make borrowing "
    "harder in future. Free debt advice is available from MoneyHelper.",
    "data_sharing": "We share the details you give us with the lenders on our panel. They use "
    "credit reference agencies such as Experian, Equifax and TransUnion to check your "
    "identity and credit history.",
    "complaints": "If you are unhappy with our service, tell us and we will investigate. If you "
    "are still unhappy after eight weeks, or with our final response, you can refer your "
    "complaint to the Financial Ombudsman Service free of charge.",
    "installation": "Your installer, not the lender, is responsible for the installation and its "
    "workmanship warranty. The finance is usually paid to the installer once the work is "
    "complete and you have confirmed you are satisfied.",
}

# Per article: questions customers asked, the reference answer, and production's answers.
TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "commission": {
        "questions": (
            "Do you get paid if I take this loan?",
            "How do you make money from arranging the finance?",
            "Is there a commission on this finance?",
            "Who pays you, me or the lender?",
        ),
        "reference": (
            "The lender pays us a commission if you take out the finance. The amount "
            "can vary by lender and product, and you can ask us how much we will receive.",
        ),
        "good": (
            "The lender pays us a commission if you take out the finance. The amount can "
            "vary by lender and product, and you can ask us how much we will receive.",
        ),
        "paraphrase": (
            "We're paid by the lender, not by you: they pay us a commission that "
            "varies by lender and product. Just ask and we'll tell you the amount.",
        ),
        "partial": ("Yes, the lender pays us a commission.",),
        "wrong": ("No, we don't earn anything from arranging your finance.",),
    },
    "soft_search": {
        "questions": (
            "Will checking if I'm eligible hurt my credit score?",
            "Does the eligibility check affect my credit rating?",
            "Is the check you run a hard search?",
            "Can other lenders see the eligibility check?",
        ),
        "reference": (
            "No. The eligibility check is a soft search, which does not affect your "
            "credit score and other lenders cannot see it. Only a full application "
            "leads to a hard search by the lender.",
        ),
        "good": (
            "No. The eligibility check is a soft search, which does not affect your credit "
            "score and other lenders cannot see it. Only a full application leads to a "
            "hard search by the lender.",
        ),
        "paraphrase": (
            "It won't harm your score: checking eligibility is only a soft search "
            "that other lenders can't see. The lender does a hard search only if "
            "you apply.",
        ),
        "partial": ("It's a soft search, so your score is fine.",),
        "wrong": ("The eligibility check is a hard search, so it will show on your credit file.",),
    },
    "withdrawal": {
        "questions": (
            "Can I change my mind after signing?",
            "Is there a cooling-off period on the loan?",
            "How long do I have to cancel the credit agreement?",
            "What if I want to back out after I sign?",
        ),
        "reference": (
            "Yes. Once you sign the credit agreement you have 14 days to withdraw "
            "without giving a reason; you repay what you borrowed plus interest for "
            "the days you had it.",
        ),
        "good": (
            "Yes. Once you sign the credit agreement you have 14 days to withdraw without "
            "giving a reason; you repay what you borrowed plus interest for the days you "
            "had it.",
        ),
        "paraphrase": (
            "You can pull out within 14 days of signing, no reason needed. You'd "
            "just pay back the amount borrowed and a few days' interest.",
        ),
        "partial": ("Yes, there is a cooling-off period after you sign.",),
        "wrong": ("You have 30 days after signing to cancel, and nothing extra to pay.",),
    },
    "early_repayment": {
        "questions": (
            "Can I pay the loan off early?",
            "Is there a penalty for settling early?",
            "What happens if I want to clear the finance ahead of time?",
        ),
        "reference": (
            "Yes, you can repay early at any time, in full or in part. The lender may "
            "charge up to 58 days' interest as an early settlement fee and will give "
            "you the settlement figure first.",
        ),
        "good": (
            "Yes, you can repay early at any time, in full or in part. The lender may "
            "charge up to 58 days' interest as an early settlement fee and will give you "
            "the settlement figure first.",
        ),
        "paraphrase": (
            "You can settle whenever you like, fully or partly. Expect a fee of up to "
            "58 days' interest; the lender confirms the exact figure beforehand.",
        ),
        "partial": ("Yes, you can repay early.",),
        "wrong": ("Early repayment isn't allowed on this finance.",),
    },
    "representative_apr": {
        "questions": (
            "What does representative APR mean?",
            "Will I definitely get the advertised APR?",
            "Why might my rate differ from the representative one?",
        ),
        "reference": (
            "The representative APR is the rate at least 51% of accepted customers "
            "get. Your rate depends on your circumstances and may be higher.",
        ),
        "good": (
            "The representative APR is the rate at least 51% of accepted customers get. "
            "Your rate depends on your circumstances and may be higher.",
        ),
        "paraphrase": (
            "At least half of accepted customers (51%) get the representative APR; "
            "yours depends on your circumstances and could be higher.",
        ),
        "partial": ("It's the typical rate customers get.",),
        "wrong": ("Everyone gets exactly the representative APR, it's guaranteed.",),
    },
    "eligibility": {
        "questions": (
            "Who can apply for the finance?",
            "Do I need to own my home to apply?",
            "What's the most I can borrow?",
        ),
        "reference": (
            "You must be 18 or over, live in the UK, own your home and have a regular "
            "income. You can borrow from £1,000 to £25,000.",
        ),
        "good": (
            "You must be 18 or over, live in the UK, own your home and have a regular "
            "income. You can borrow from £1,000 to £25,000.",
        ),
        "paraphrase": (
            "Applicants need to be UK-resident homeowners aged 18+ with a regular "
            "income; loans range from £1,000 up to £25,000.",
        ),
        "partial": ("You need to be over 18.",),
        "wrong": ("Anyone can apply, and there's no upper limit on borrowing.",),
    },
    "missed_payments": {
        "questions": (
            "What happens if I miss a payment?",
            "I'm worried I might miss a repayment, what then?",
        ),
        "reference": (
            "Contact your lender straight away. Missed payments can lead to fees, are "
            "reported to credit reference agencies and can make borrowing harder; "
            "MoneyHelper gives free debt advice.",
        ),
        "good": (
            "Contact your lender straight away. Missed payments can lead to fees, are "
            "reported to credit reference agencies and can make borrowing harder; "
            "MoneyHelper gives free debt advice.",
        ),
        "paraphrase": (
            "Speak to the lender as soon as you can: a missed payment may bring fees "
            "and a mark on your credit file. MoneyHelper offers free debt advice.",
        ),
        "partial": ("Call your lender.",),
        "wrong": ("Nothing happens if you miss one payment, it isn't reported anywhere.",),
    },
    "complaints": {
        "questions": (
            "How do I make a complaint?",
            "Who can I go to if I'm unhappy with how you handled this?",
        ),
        "reference": (
            "Tell us and we will investigate. If you are still unhappy after eight "
            "weeks or with our final response, you can refer it to the Financial "
            "Ombudsman Service for free.",
        ),
        "good": (
            "Tell us and we will investigate. If you are still unhappy after eight weeks or "
            "with our final response, you can refer it to the Financial Ombudsman Service "
            "for free.",
        ),
        "paraphrase": (
            "Let us know and we'll look into it; after eight weeks, or if our final "
            "answer doesn't satisfy you, the Financial Ombudsman Service can review "
            "it free of charge.",
        ),
        "partial": ("You can complain to us.",),
        "wrong": ("Complaints have to go through the installer, we can't help with those.",),
    },
}
# Production's answers: mostly right, some thin, a few wrong.
QUALITY_WEIGHTS = {"good": 0.5, "paraphrase": 0.3, "partial": 0.1, "wrong": 0.1}
LEADS = ("", "Good question. ", "Thanks for asking. ", "Happy to explain. ")
DISTRACTOR_RATE = 0.4  # a second, unrelated passage came back too
MISS_RATE = 0.05  # the retriever missed the right article


def generate_rag_cases(seed: int = DEFAULT_SEED) -> list[Case]:
    """Every question of every topic, once, as a recorded case (sorted by id)."""
    cases = []
    number = 0
    others = sorted(ARTICLES)
    for topic in sorted(TOPICS):
        spec = TOPICS[topic]
        for question in spec["questions"]:
            number += 1
            rng = random.Random(f"{seed}:rag:{number}")
            quality = rng.choices(list(QUALITY_WEIGHTS), list(QUALITY_WEIGHTS.values()))[0]
            distractors = [a for a in others if a != topic]
            contexts = [ARTICLES[topic]]
            if rng.random() < MISS_RATE:
                contexts = [ARTICLES[rng.choice(distractors)]]
            if rng.random() < DISTRACTOR_RATE:
                contexts.append(ARTICLES[rng.choice(distractors)])
            answer = _answer(rng, spec, quality)
            cases.append(
                Case(
                    case_id=f"kb-{number:03d}",
                    source=SOURCE,
                    recorded_at=START + timedelta(hours=7 * number),
                    tags={"kind": "rag", "topic": topic, "answer": quality},
                    facts={"reference_contexts": json.dumps([ARTICLES[topic]])},
                    turns=(
                        Turn(role="customer", text=question),
                        Turn(role="agent", text=answer),
                    ),
                    question=question,
                    contexts=tuple(contexts),
                    reference=spec["reference"][0],
                )
            )
    # Pad to a round demo size with repeat questions from other days (distinct ids).
    while number < 48:
        number += 1
        rng = random.Random(f"{seed}:rag:{number}")
        base = cases[rng.randrange(len(cases))]
        quality = rng.choices(list(QUALITY_WEIGHTS), list(QUALITY_WEIGHTS.values()))[0]
        topic = base.tags["topic"]
        cases.append(
            base.model_copy(
                update={
                    "case_id": f"kb-{number:03d}",
                    "recorded_at": START + timedelta(hours=7 * number),
                    "tags": {**base.tags, "answer": quality},
                    "turns": (
                        base.turns[0],
                        Turn(role="agent", text=_answer(rng, TOPICS[topic], quality)),
                    ),
                }
            )
        )
    return sorted(cases, key=lambda c: c.case_id)


def _answer(rng: random.Random, spec: dict[str, tuple[str, ...]], quality: str) -> str:
    """Production's answer of that quality; a good one opens in its own words."""
    text = rng.choice(spec[quality])
    return rng.choice(LEADS) + text if quality == "good" else text


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the RAG demo corpus into ``--out``; exit 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.demo.rag", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("corpus/rag-demo"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    try:
        cases = generate_rag_cases(args.seed)
        write_cases(args.out / FILE_NAME, cases)
    except (HarnessError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    print(f"wrote {len(cases)} cases to {args.out / FILE_NAME}")
    return ExitStatus.PASSED


if __name__ == "__main__":
    sys.exit(main())
