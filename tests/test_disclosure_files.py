"""The shipped demo disclosures: they load, they are versioned, and each wording says its facts."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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


def _check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "disclosures", "check", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_disclosures_check_passes_the_shipped_registry() -> None:
    done = _check(FOLDER)
    assert done.returncode == 0, done.stderr
    checked = sum(
        v.status in ("approved", "superseded")
        for d in REGISTRY.ids
        for v in REGISTRY.disclosure(d).versions
    )
    assert f"all {checked} approved and superseded versions of {len(REGISTRY.ids)}" in done.stdout


def test_disclosures_check_names_the_version_and_key_fact_its_wording_misses(
    tmp_path: Path,
) -> None:
    """A superseded version whose wording no longer says a key fact (its phrases edited away)
    fails the check with exit 2, naming disclosure, version and key fact; a draft is skipped."""
    shutil.copytree(FOLDER, tmp_path / "d")
    path = tmp_path / "d" / "soft_search.yaml"
    data = yaml.safe_load(path.read_text())
    wrong = copy.deepcopy(data["versions"][0])
    wrong.update(version=2, status="superseded", approved_on="2025-06-01")
    wrong["wording"] = wrong["wording"].replace("soft search", "quick look")
    draft = copy.deepcopy(wrong)
    draft.update(version=3, status="draft")
    del draft["approved_by"], draft["approved_on"]
    data["versions"][0]["status"] = "superseded"
    data["versions"] += [wrong, draft]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    done = _check(tmp_path / "d")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line]
    assert lines == [
        f"harness: error: {tmp_path / 'd'}: disclosure soft_search v2: the approved wording "
        "does not convey key fact 'soft_search' (The eligibility check is a soft search.); "
        "add a phrase or pattern that matches it"
    ]
    assert "Traceback" not in done.stderr


def test_disclosures_check_of_a_missing_folder_exits_2(tmp_path: Path) -> None:
    done = _check(tmp_path / "nowhere")
    assert done.returncode == 2
    assert f"{tmp_path / 'nowhere'}: disclosure folder not found" in done.stderr
