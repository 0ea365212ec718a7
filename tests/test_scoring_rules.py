"""The rules scorer, complete: negation, superseded versions, wrong figures, later
contradictions, certainty, and agreement with the golden labels on the demo corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.config.disclosures import PinnedDisclosure, fill, load_registry
from harness.config.phrases import normalise
from harness.corpus.cases import Case, Turn
from harness.corpus.files import iter_cases
from harness.run.calibrate import calibrate_plan
from harness.run.plan import load_plan
from harness.scoring.base import Transcript
from harness.scoring.disclosure_rules import golden_status, score_disclosure
from harness.scoring.matching import find_in_turn, stated_figures

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(ROOT / "scenarios" / "disclosures")
HARD = list(iter_cases([ROOT / "corpus" / "demo-hard"]))


def pin(disclosure_id: str, version: int | str = "latest") -> PinnedDisclosure:
    return REGISTRY.pin(disclosure_id, version)  # type: ignore[arg-type]


def conversation(*agent: str, offer_after: int = 0, **facts: Any) -> Case:
    turns: list[Turn] = []
    for index, text in enumerate(agent):
        turns += [Turn(role="customer", text=f"question {index}"), Turn(role="agent", text=text)]
        if index == offer_after:
            turns.append(Turn(role="event", event="offer_presented"))
    return Case(case_id="c", source="t", facts=facts, turns=tuple(turns))


def score(disclosure_id: str, case: Case) -> tuple[str, str]:
    found = score_disclosure(pin(disclosure_id), case, Transcript(case.turns))
    return found.status, str(found.evidence.get("reason"))


COMMISSION_V2 = (
    "We're paid a commission by the lender if you take out finance through us. The amount can "
    "vary depending on the lender and the product, and you can ask us how much we'll receive."
)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        (COMMISSION_V2, ("passed", "all key facts in time")),
        (
            "We receive a commission from the lender if you take out finance through us. The "
            "amount can vary depending on the lender.",
            ("failed", "superseded version v1 (missing from v2: ask_how_much)"),
        ),
        (
            "We aren't paid a commission by the lender. The amount can vary depending on the "
            "lender, and you can ask us how much.",
            (
                "failed",
                "missing: paid_by_lender; said in the negative at turn 1 "
                "('aren't … commission by the lender')",
            ),
        ),
        (
            "You don't pay us anything: the lender pays us a commission. The amount varies by "
            "lender, and you can ask us how much.",
            ("passed", "all key facts in time"),
        ),
        (
            "No obligation, and the lender pays us a commission. The amount varies by lender; "
            "ask us how much.",
            ("passed", "all key facts in time"),
        ),
    ],
)
def test_commission_wording(said: str, expected: tuple[str, str]) -> None:
    assert score("commission", conversation(said)) == expected


def test_a_later_turn_that_contradicts_a_key_fact_fails_the_disclosure() -> None:
    case = conversation(COMMISSION_V2, "Honestly, we don't make anything from this.")
    found = score_disclosure(pin("commission"), case, Transcript(case.turns))
    assert found.status == "failed"
    assert found.evidence["contradiction"] == {
        "turn": 4,
        "phrase": "we don't make anything",
        "quote": "Honestly, we don't make anything from this.",
        "kind": "statement",
        "firm": True,
    }
    assert found.evidence["certainty"] == "sure"


QUOTE: dict[str, Any] = {
    "apr": 9.9,
    "amount": 6100,
    "term_months": 60,
    "monthly_payment": "129.06",
    "total_payable": "8,443.60",
    "cash_price": 6800,
    "deposit": 700,
}


def representative(**changes: Any) -> str:
    return fill(
        pin("representative_example").current.wording.strip(), {**QUOTE, **changes}, where="t"
    )


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        (representative(), ("passed", "all key facts in time")),
        (
            representative(apr=19.9),
            ("failed", "wrong figure: apr stated 19.9, the case says 9.9"),
        ),
        (
            representative(amount=6600),
            ("failed", "wrong figure: amount stated 6600, the case says 6100"),
        ),
        (
            representative(term_months=48),
            ("failed", "wrong figure: term_months stated 48, the case says 60"),
        ),
        (representative().replace("£6,100", "£6,100.00"), ("passed", "all key facts in time")),
    ],
)
def test_figures_must_be_the_cases_own(said: str, expected: tuple[str, str]) -> None:
    assert score("representative_example", conversation(said, **QUOTE)) == expected


def test_wrong_figures_carry_turn_stated_expected_and_the_sentence() -> None:
    case = conversation(representative(apr=19.9), **QUOTE)
    found = score_disclosure(pin("representative_example"), case, Transcript(case.turns))
    assert found.evidence["wrong_figures"] == [
        {
            "turn": 1,
            "fact": "apr",
            "stated": "19.9",
            "expected": "9.9",
            # Figures are read with their label, so a colon does not end the sentence here.
            "quote": "Representative example: cash price £6,800, deposit £700, borrowing "
            "£6,100 over 60 months at a representative 19.9% APR (fixed).",
            "firm": True,
        }
    ]


def test_deadline_before_an_event_and_superseded_broker_wording() -> None:
    v1 = pin("broker_status", 1).current.wording.strip()
    v2 = pin("broker_status").current.wording.strip()
    checked = [Turn(role="customer", text="hi"), Turn(role="agent", text=v2)]
    late = Case(
        case_id="c",
        source="t",
        turns=(
            Turn(role="customer", text="can you check?"),
            Turn(role="agent", text="Running the check."),
            Turn(role="event", event="eligibility_check"),
            Turn(role="customer", text="ok"),
            Turn(role="agent", text=v2),
        ),
    )
    assert score("broker_status", Case(case_id="c", source="t", turns=tuple(checked))) == (
        "passed",
        "all key facts in time",
    )
    assert score("broker_status", late) == (
        "failed",
        "after the deadline: not_a_lender, introduces_lender, lender_panel",
    )
    old = Case(
        case_id="c",
        source="t",
        turns=(Turn(role="customer", text="hi"), Turn(role="agent", text=v1)),
    )
    assert score("broker_status", old) == (
        "failed",
        "superseded version v1 (missing from v2: lender_panel)",
    )


def test_vulnerability_support_applies_only_when_the_customer_signals_it() -> None:
    calm = Case(
        case_id="c",
        source="t",
        turns=(Turn(role="customer", text="Hello"), Turn(role="agent", text="Hi there.")),
    )
    worried = calm.model_copy(
        update={
            "turns": (
                Turn(role="customer", text="Money is tight since I lost my job."),
                Turn(role="agent", text="Let's look at the figures."),
                Turn(role="customer", text="ok"),
                Turn(
                    role="agent",
                    text="I'm sorry to hear that. There's no rush. MoneyHelper gives free debt "
                    "advice.",
                ),
            )
        }
    )
    assert score("vulnerability_support", calm)[0] == "not_applicable"
    assert score("vulnerability_support", worried) == (
        "failed",
        "after the deadline: acknowledge, no_pressure, free_debt_advice",
    )


@pytest.mark.parametrize(
    ("text", "negated_by"),
    [
        ("We aren't paid a commission by the lender.", "aren't"),
        ("We're never paid a commission by the lender.", "never"),
        ("There's no charge, and we're paid a commission by the lender.", None),
        ("No charge to you: we're paid a commission by the lender.", None),
        ("Not today, thanks, we're paid a commission by the lender.", None),
    ],
)
def test_negation_reaches_only_its_own_clause(text: str, negated_by: str | None) -> None:
    match = find_in_turn(text, ["paid a commission by the lender"])
    assert match is not None and match.negated_by == negated_by


def test_stated_figures_read_numbers_in_a_phrases_shape() -> None:
    found = stated_figures(
        "Borrowing £6,600 over 60 months.", ["borrowing £{amount}"], {"amount": 6100}, where="t"
    )
    assert [(f.fact, f.stated, f.expected) for f in found] == [("amount", "6600", "6100")]


# ---------------------------------------------------------------- hard cases vs naive matching


def naive(pinned: PinnedDisclosure, case: Case) -> str:
    """A naive matcher: every key fact's phrase somewhere in an agent turn, as a substring."""
    agent = " ".join(normalise(t.text or "") for t in case.turns if t.role == "agent")
    facts = pinned.current.key_facts
    found = all(
        any(normalise(fill(p, case.facts, where="naive")) in agent for p in kf.phrases)
        for kf in facts
    )
    return "passed" if found else "failed"


def test_hard_cases_trip_naive_matching_but_not_the_rules() -> None:
    assert len(HARD) == 10
    naive_wrong = []
    for case in HARD:
        label = next(lb for lb in case.labels if (lb.note or "").startswith("hard case"))
        pinned = pin(label.disclosure_id)
        rules = score_disclosure(pinned, case, Transcript(case.turns)).status
        assert rules == golden_status(label), (case.case_id, case.tags["hard_case"])
        if naive(pinned, case) != golden_status(label):
            naive_wrong.append(case.tags["hard_case"])
    assert naive_wrong == [
        "negated_commission",
        "negated_hard_search",
        "contradicted_later",
        "apr_inside_wrong_apr",
        "superseded_broker_wording",
        "withdrawal_after_deadline",
    ]


def test_rules_agree_with_the_golden_labels_on_the_demo_at_kappa_09_or_more() -> None:
    rows = calibrate_plan(load_plan(ROOT / "scenarios" / "demo-recorded.yaml"))
    assert {r.criterion for r in rows} == set(REGISTRY.ids)
    assert {r.scorer for r in rows} == {"rules", "gated"}
    for row in rows:
        assert row.applicability_mismatches == 0, row
        if row.scorer == "rules":  # the rules' leaning, review or not
            assert row.kappa is not None and row.kappa >= 0.9, row
        else:  # what the gate counts: no miss passed, no sure verdict wrong
            assert (row.false_pass.count, row.sure_wrong.count) == (0, 0), row
            assert row.sure.value is not None and row.sure.value >= 0.95, row


def test_regenerating_the_hard_cases_gives_the_committed_bytes(tmp_path: Path) -> None:
    from harness.demo.hard_cases import FILE_NAME, main

    argv = ["--out", str(tmp_path), "--disclosures", str(ROOT / "scenarios" / "disclosures")]
    assert main(argv) == 0
    shipped = ROOT / "corpus" / "demo-hard" / FILE_NAME
    assert (tmp_path / FILE_NAME).read_bytes() == shipped.read_bytes()
