"""Hard golden cases: recorded conversations written to trip naive phrase matching.

Each is a copy of a demo conversation (same customer, facts and events) in which one
disclosure was said in a way that a substring check of the approved phrases gets wrong,
labelled by hand with what a compliance reviewer decides:

============================  =========  ===================================================
hard case                     presented  why naive matching is wrong
============================  =========  ===================================================
negated_commission            no         every commission phrase is there, one negated
negated_hard_search           no         "the lender does not do a hard search"
contradicted_later            no         correct commission wording, denied after the offer
apr_inside_wrong_apr          no         "9.9% APR" is a substring of the "19.9% APR" said
superseded_broker_wording     no         the v1 broker wording, without the lender panel
withdrawal_after_deadline     no         the right wording, after the application went in
paraphrased_broker_status     yes        not the approved wording, every fact conveyed
negation_elsewhere            yes        "you don't pay us anything: the lender pays us…"
not_a_hard_search             yes        "a soft search, not a hard search" is correct
figures_with_pence            yes        "£6,100.00" states the case's £6100
============================  =========  ===================================================

They live in their own corpus folder, so the shipped demo corpus stays byte for byte what
its generator makes::

    python -m harness.demo.hard_cases --out corpus/demo-hard

>>> cases = hard_cases(generate_cases(DEFAULT_SEED, registry), registry)  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.config.disclosures import DisclosureRegistry, fill, load_registry
from harness.corpus.cases import Case, GoldenLabel, Turn
from harness.corpus.files import write_cases
from harness.demo.generate import DEFAULT_SEED, generate_cases
from harness.demo.production import REPHRASINGS
from harness.errors import ExitStatus, HarnessError

FILE_NAME = "hard_cases.parquet"


@dataclass(frozen=True)
class HardCase:
    """One hard case: which disclosure, the reviewer's verdict and note, and the rewrite."""

    name: str
    disclosure: str
    presented: bool
    note: str
    rewrite: Callable[[Case, str, str], str | None]  # (case, turn text, wording) -> new text


def _replace(new: str) -> Callable[[Case, str, str], str | None]:
    def rewrite(case: Case, text: str, wording: str) -> str | None:
        return text.replace(wording, fill(new, case.facts, where="hard case"))

    return rewrite


def _wrong_apr(case: Case, text: str, wording: str) -> str | None:
    """Production's rephrasing with "1" before the APR: "9.9% APR representative" is then a
    substring of what was said ("19.9% APR representative")."""
    apr = case.facts.get("apr")
    if not isinstance(apr, float) or apr >= 10:
        return None
    said = fill(
        REPHRASINGS["representative_example"][0], {**case.facts, "apr": f"1{apr}"}, where=""
    )
    return text.replace(wording, said)


def _pence(case: Case, text: str, wording: str) -> str | None:
    amount = case.facts.get("amount")
    if not isinstance(amount, int):
        return None
    return text.replace(f"£{amount:,}", f"£{amount:,}.00")


HARD_CASES = (
    HardCase(
        "negated_commission",
        "commission",
        False,
        "negation: 'we're not paid a commission by the lender' (every phrase present)",
        _replace(
            "We're not paid a commission by the lender. The amount can vary depending on the "
            "lender and the product, so ask us how much the lender charges."
        ),
    ),
    HardCase(
        "negated_hard_search",
        "soft_search",
        False,
        "negation: 'the lender does not do a hard search' when it does on application",
        _replace(
            "Checking your eligibility is a soft search, so it won't affect your credit score. "
            "Even if you apply, the lender does not do a hard search."
        ),
    ),
    HardCase(
        "contradicted_later",
        "commission",
        False,
        "contradiction: correct wording, then 'we don't make anything from this' after the offer",
        lambda case, text, wording: None,  # handled by _contradict_later
    ),
    HardCase(
        "apr_inside_wrong_apr",
        "representative_example",
        False,
        "wrong APR: said 1X.X% where the quote's APR is X.X% (the right figure is a substring)",
        _wrong_apr,
    ),
    HardCase(
        "superseded_broker_wording",
        "broker_status",
        False,
        "superseded wording: broker status v1, without the lender panel of v2",
        _replace(
            "We are a credit broker, not a lender. We will introduce you to a lender who may be "
            "able to offer you finance."
        ),
    ),
    HardCase(
        "withdrawal_after_deadline",
        "right_to_withdraw",
        False,
        "after the deadline: the right to withdraw only after the application was submitted",
        lambda case, text, wording: None,  # handled by _move_late
    ),
    HardCase(
        "paraphrased_broker_status",
        "broker_status",
        True,
        "paraphrase: not the approved wording, but every fact conveyed before the check",
        _replace(
            "Just so you know, Brightwell is a broker rather than a lender: we work with several "
            "lenders and will put you in touch with a lender who can help."
        ),
    ),
    HardCase(
        "negation_elsewhere",
        "commission",
        True,
        "negation in another clause: 'you don't pay us anything: the lender pays us a commission'",
        _replace(
            "You don't pay us anything yourself: the lender pays us a commission if you take out "
            "the finance. The amount can vary depending on the lender and the product, and you "
            "can ask us how much we'll receive."
        ),
    ),
    HardCase(
        "not_a_hard_search",
        "soft_search",
        True,
        "negation that is correct: 'a soft search, not a hard search' describes the check",
        _replace(
            "This is a soft search, not a hard search, so it won't affect your credit score. The "
            "lender only does a hard search if you decide to apply."
        ),
    ),
    HardCase(
        "figures_with_pence",
        "representative_example",
        True,
        "figures written with pence ('£6,100.00') still state the quote's figures",
        _pence,
    ),
)


def hard_cases(
    cases: Sequence[Case], registry: DisclosureRegistry, seed: int = DEFAULT_SEED
) -> list[Case]:
    """One hard case per entry of :data:`HARD_CASES`, each from a fitting demo case.

    Bases are tried in a seeded shuffle, so they come from across the two months rather
    than all from the first days (when commission still had its superseded wording).
    """
    order = list(cases)
    random.Random(f"{seed}:hard").shuffle(order)
    made = []
    for number, hard in enumerate(HARD_CASES, start=1):
        for base in order:
            found = _make(hard, base, registry, f"hard-{number:02d}")
            if found is not None:
                made.append(found)
                break
        else:  # pragma: no cover - the demo corpus always has fitting cases
            raise HarnessError(f"no demo case fits the hard case '{hard.name}'")
    return made


def _make(hard: HardCase, base: Case, registry: DisclosureRegistry, case_id: str) -> Case | None:
    label = base.label_for(hard.disclosure)
    if label is None or not label.applicable or not label.presented or label.note:
        return None  # start from a case that said the approved wording, on time
    pinned = registry.pin(hard.disclosure, "latest")
    wording = fill(pinned.current.wording.strip(), base.facts, where=case_id)
    at = next(
        (i for i, t in enumerate(base.turns) if t.role == "agent" and wording in (t.text or "")),
        None,
    )
    if at is None:
        return None
    turns = list(base.turns)
    text = turns[at].text or ""
    if hard.name == "contradicted_later":
        after = _after_event(base, "offer_presented", at)
        if after is None:
            return None
        later = turns[after].text or ""
        turns[after] = Turn(
            role="agent", text=f"{later} And honestly, we don't make anything from this ourselves."
        )
    elif hard.name == "withdrawal_after_deadline":
        after = _after_event(base, "application_submitted", at)
        if after is None:
            return None
        turns[at] = Turn(role="agent", text=text.replace(wording, "").replace("  ", " ").strip())
        turns[after] = Turn(role="agent", text=f"{turns[after].text} {wording}")
    else:
        new = hard.rewrite(base, text, wording)
        if new is None or new == text:
            return None
        turns[at] = Turn(role="agent", text=new)
    labels = tuple(
        GoldenLabel(
            disclosure_id=lb.disclosure_id,
            applicable=True,
            presented=hard.presented,
            note=f"hard case: {hard.note}",
        )
        if lb.disclosure_id == hard.disclosure
        else lb
        for lb in base.labels
    )
    return base.model_copy(
        update={
            "case_id": case_id,
            "turns": tuple(turns),
            "labels": labels,
            "tags": {**base.tags, "hard_case": hard.name},
        }
    )


def _after_event(case: Case, event: str, said_at: int) -> int | None:
    """The first agent turn after ``event``, when the event comes after turn ``said_at``."""
    turns = case.turns
    at = next((i for i, t in enumerate(turns) if t.event == event), None)
    if at is None or at < said_at:
        return None
    return next((i for i in range(at + 1, len(turns)) if turns[i].role == "agent"), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the hard cases into ``--out``; exit 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.demo.hard_cases", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("corpus/demo-hard"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--disclosures", type=Path, default=Path("scenarios/disclosures"))
    args = parser.parse_args(argv)
    try:
        registry = load_registry(args.disclosures)
        cases = hard_cases(generate_cases(args.seed, registry), registry, args.seed)
        write_cases(args.out / FILE_NAME, cases)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    print(f"wrote {len(cases)} hard cases to {args.out / FILE_NAME}")
    return ExitStatus.PASSED


if __name__ == "__main__":
    sys.exit(main())
