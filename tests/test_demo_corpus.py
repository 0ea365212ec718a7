"""The shipped demo corpus: reproducible to the byte, varied, correct in its figures and labels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness.config.disclosures import load_registry
from harness.corpus.cases import Case
from harness.corpus.files import corpus_files, corpus_hash, iter_cases
from harness.demo.generate import DEFAULT_SEED, main
from harness.demo.quotes import price_quote
from harness.models.offline_cues import EVENT_ORDER
from harness.scoring.base import ScorerContext, Transcript
from harness.scoring.disclosure_rules import disclosure_rules

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "corpus" / "demo"
DISCLOSURES = ROOT / "scenarios" / "disclosures"
REGISTRY = load_registry(DISCLOSURES)
PINNED = tuple(REGISTRY.pin(d, "latest") for d in REGISTRY.ids)
CASES = list(iter_cases([SHIPPED]))


def test_regenerating_gives_the_committed_bytes(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    argv = ["--out", str(out), "--seed", str(DEFAULT_SEED), "--disclosures", str(DISCLOSURES)]
    assert main(argv) == 0
    shipped, fresh = corpus_files([SHIPPED]), corpus_files([out])
    assert [p.name for p in fresh] == [p.name for p in shipped]
    assert [p.read_bytes() for p in fresh] == [p.read_bytes() for p in shipped]
    assert corpus_hash([out]) == corpus_hash([SHIPPED])


def test_a_bad_disclosure_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path), "--disclosures", str(tmp_path / "nowhere")]) == 2
    missing = tmp_path / "nowhere"
    assert capsys.readouterr().err == f"error: {missing}: disclosure folder not found\n"


def test_is_large_enough_and_covers_every_segment() -> None:
    assert len(CASES) >= 600
    values = {tag: sorted({c.tags[tag] for c in CASES}) for tag in CASES[0].tags}
    assert values == {
        "product": ["battery", "heat_pump", "solar_pv"],
        "channel": ["in_home", "online", "phone"],
        "hurried": ["no", "yes"],
        "vulnerable": ["no", "yes"],
        "asks_cost": ["no", "yes"],
        "outcome": ["applied", "declined", "eligibility_only"],
    }
    share = {
        tag: Counter(c.tags[tag] for c in CASES)["yes"] / len(CASES)
        for tag in ("hurried", "vulnerable")
    }
    assert 0.15 <= share["hurried"] <= 0.20
    assert 0.08 <= share["vulnerable"] <= 0.13


def test_conversations_are_4_to_12_messages_with_events_after_agent_replies() -> None:
    for case in CASES:
        messages = [t for t in case.turns if t.role != "event"]
        assert 4 <= len(messages) <= 12, case.case_id
        for index, turn in enumerate(case.turns):
            if turn.role == "event":
                assert case.turns[index - 1].role in ("agent", "event"), case.case_id
        assert list(case.events) == [e for e in EVENT_ORDER if e in case.events], case.case_id


def test_ids_are_unique_and_sorted_by_time() -> None:
    ordered = sorted(CASES, key=lambda c: c.case_id)
    assert len({c.case_id for c in CASES}) == len(CASES)
    times = [c.recorded_at for c in ordered]
    assert times == sorted(t for t in times if t is not None)


def test_quotes_follow_the_amortisation_formula() -> None:
    for case in CASES:
        facts = case.facts
        assert isinstance(facts["cash_price"], int) and isinstance(facts["deposit"], int)
        assert isinstance(facts["apr"], float) and isinstance(facts["term_months"], int)
        quote = price_quote(
            cash_price=facts["cash_price"],
            deposit=facts["deposit"],
            apr=facts["apr"],
            term_months=facts["term_months"],
        )
        assert facts["amount"] == facts["cash_price"] - facts["deposit"]
        assert facts["monthly_payment"] == f"{quote.monthly_payment:,.2f}"
        assert facts["total_payable"] == f"{quote.total_payable:,.2f}"
        monthly = float(str(facts["monthly_payment"]).replace(",", ""))
        total = float(str(facts["total_payable"]).replace(",", ""))
        assert total == pytest.approx(monthly * facts["term_months"] + facts["deposit"], abs=0.005)


def test_the_formula_matches_a_worked_example() -> None:
    # £10,000 over 60 months at 9.9% APR, worked by hand: r = 1.099 ** (1/12) - 1 = 0.0078978,
    # (1 + r) ** -60 = 1.099 ** -5 = 0.623752, payment = 10000 * r / (1 - 0.623752) = 209.91.
    quote = price_quote(cash_price=10000, deposit=0, apr=9.9, term_months=60)
    assert (quote.monthly_payment, quote.total_payable) == (209.91, 12594.6)


def test_every_disclosure_applies_to_at_least_40_cases() -> None:
    applicable = {p.id: sum(p.applies_to(c) for c in CASES) for p in PINNED}
    assert min(applicable.values()) >= 40, applicable


def _scores(case: Case) -> dict[str, str]:
    """Each disclosure's rules verdict, a verdict in review read as the rules' leaning."""
    verdicts = disclosure_rules(ScorerContext(disclosures=PINNED))(case, Transcript(case.turns))
    return {s.criterion: str(s.evidence.get("lean", s.status)) for s in verdicts}


def _reviews(case: Case) -> int:
    verdicts = disclosure_rules(ScorerContext(disclosures=PINNED))(case, Transcript(case.turns))
    return sum(s.status == "review" for s in verdicts)


def test_golden_labels_agree_with_what_the_recorded_turns_contain() -> None:
    labelled = [c for c in CASES if c.labels]
    assert 150 <= len(labelled) <= 200
    disagreements = []
    for case in labelled:
        assert sorted(lb.disclosure_id for lb in case.labels) == REGISTRY.ids
        verdicts = _scores(case)
        for label in case.labels:
            verdict = verdicts[label.disclosure_id]
            expected = (
                ("passed" if label.presented else "failed")
                if label.applicable
                else ("not_applicable")
            )
            if verdict != expected:
                disagreements.append((case.case_id, label.disclosure_id, verdict, label.note))
    assert disagreements == []
    # The rules are sure of nearly every demo verdict (a fuzzy typo goes to review).
    reviews = sum(_reviews(case) for case in labelled)
    assert reviews <= 0.02 * len(labelled) * len(REGISTRY.ids), reviews


def test_labels_include_the_hard_cases() -> None:
    notes = {lb.note.split(":")[0] for c in CASES for lb in c.labels if lb.note}
    assert {
        "accepted rephrasing of the approved wording",
        "superseded wording",
        "wrong APR",
        "typo 'lendor'",
        "typo 'advise'",
        "negation 'not a hard search' describes the eligibility check correctly",
        "contradiction",
        "omitted",
        "commission explained only after the offer",
        "soft-search notice given only after the check",
    } <= notes


def test_production_mostly_complied_with_a_few_misses_per_disclosure() -> None:
    failed: Counter[str] = Counter()
    applicable: Counter[str] = Counter()
    for case in CASES:
        for criterion, status in _scores(case).items():
            if status != "not_applicable":
                applicable[criterion] += 1
                failed[criterion] += status == "failed"
    rates = {d: failed[d] / applicable[d] for d in applicable}
    assert all(0.02 <= rate <= 0.08 for rate in rates.values()), rates
