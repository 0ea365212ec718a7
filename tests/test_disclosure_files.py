"""The shipped demo disclosures: they load, they are versioned, and each wording says its facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.disclosures import Disclosure, DisclosureVersion, fill, load_registry
from harness.config.phrases import find_phrase
from harness.corpus.cases import FactValue
from harness.demo.quotes import price_quote

FOLDER = Path(__file__).resolve().parent.parent / "scenarios" / "disclosures"
REGISTRY = load_registry(FOLDER)
ALL_VERSIONS = [
    pytest.param(REGISTRY.disclosure(d), v, id=f"{d}-v{v.version}")
    for d in REGISTRY.ids
    for v in REGISTRY.disclosure(d).versions
]


def _facts() -> dict[str, FactValue]:
    quote = price_quote(
        cash_price=9275, deposit=950, apr=11.9, term_months=120, lender="Alder Home Credit"
    )
    return {"customer_first_name": "Priya", **quote.facts()}


def _missing_facts(version: DisclosureVersion, text: str) -> list[str]:
    facts = _facts()
    return [
        kf.id
        for kf in version.key_facts
        if find_phrase(
            text,
            [fill(p, facts, where=kf.id) for p in kf.phrases],
            fuzzy_threshold=version.fuzzy_threshold,
        )
        is None
    ]


def test_registry_holds_the_seven_demo_disclosures() -> None:
    assert REGISTRY.ids == [
        "broker_status",
        "commission",
        "data_sharing",
        "representative_example",
        "right_to_withdraw",
        "soft_search",
        "vulnerability_support",
    ]


def test_two_disclosures_have_a_superseded_and_an_approved_version() -> None:
    history = {
        d: [(v.version, v.status) for v in REGISTRY.disclosure(d).versions]
        for d in REGISTRY.ids
        if len(REGISTRY.disclosure(d).versions) > 1
    }
    assert history == {
        "broker_status": [(1, "superseded"), (2, "approved")],
        "commission": [(1, "superseded"), (2, "approved")],
    }


@pytest.mark.parametrize(("disclosure", "version"), ALL_VERSIONS)
def test_every_wording_conveys_its_own_key_facts(
    disclosure: Disclosure, version: DisclosureVersion
) -> None:
    wording = fill(version.wording, _facts(), where="test")
    assert _missing_facts(version, wording) == []


@pytest.mark.parametrize(("disclosure", "version"), ALL_VERSIONS)
def test_no_wording_says_a_contradiction(
    disclosure: Disclosure, version: DisclosureVersion
) -> None:
    wording = fill(version.wording, _facts(), where="test")
    assert find_phrase(wording, version.contradictions) is None


@pytest.mark.parametrize(("disclosure", "version"), ALL_VERSIONS)
def test_every_approved_version_names_its_approver(
    disclosure: Disclosure, version: DisclosureVersion
) -> None:
    assert version.approved_by and version.approved_on


def test_commission_v2_adds_ask_how_much_so_the_v1_wording_no_longer_passes() -> None:
    commission = REGISTRY.disclosure("commission")
    v1, v2 = commission.version(1), commission.version(2)
    assert [kf.id for kf in v1.key_facts] == ["paid_by_lender", "amount_varies"]
    assert [kf.id for kf in v2.key_facts] == ["paid_by_lender", "amount_varies", "ask_how_much"]
    assert _missing_facts(v2, v1.wording) == ["ask_how_much"]


def test_broker_status_v2_adds_the_lender_panel() -> None:
    broker = REGISTRY.disclosure("broker_status")
    assert _missing_facts(broker.version(2), broker.version(1).wording) == ["lender_panel"]


def test_a_wrong_apr_does_not_pass_for_the_right_one() -> None:
    version = REGISTRY.disclosure("representative_example").version(1)
    wording = fill(version.wording, {**_facts(), "apr": 1.9}, where="test")
    assert _missing_facts(version, wording) == ["apr"]


def test_vulnerability_support_applies_and_triggers_on_the_same_cues() -> None:
    version = REGISTRY.disclosure("vulnerability_support").latest_approved()
    assert version.applies_when is not None
    taxonomy = version.applies_when.customer_cues  # type: ignore[union-attr]
    assert sorted(taxonomy.drivers) == ["capability", "health", "life_events", "resilience"]
    assert version.deadline.trigger == "customer_cues"
    assert version.deadline.within_agent_turns == 1
    # The prompt lists every driver's cue phrases as the moments to respond.
    phrases = version.trigger_phrases()
    assert {"hospital", "passed away", "money worries", "dyslexia"} <= set(phrases)


def test_deadlines_and_applicability_of_the_current_versions() -> None:
    summary = {}
    for d in REGISTRY.ids:
        version = REGISTRY.disclosure(d).latest_approved()
        condition = version.applies_when
        summary[d] = (getattr(condition, "event", None), version.deadline.before_event)
    assert summary == {
        "broker_status": (None, "eligibility_check"),
        "commission": ("offer_presented", "offer_presented"),
        "data_sharing": ("application_submitted", "application_submitted"),
        "representative_example": ("offer_presented", "offer_presented"),
        "right_to_withdraw": ("application_submitted", "application_submitted"),
        "soft_search": ("eligibility_check", "eligibility_check"),
        "vulnerability_support": (None, None),
    }
