"""The disclosure rules scorer on hand-written transcripts: verdicts and their evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.disclosures import PinnedDisclosure, load_registry
from harness.corpus.cases import Case, Turn
from harness.scoring.base import ScorerContext, Transcript
from harness.scoring.disclosure_rules import disclosure_rules
from tests.world import World, make_case


@pytest.fixture
def pinned(world: World) -> tuple[PinnedDisclosure, ...]:
    registry = load_registry(world.root / "scenarios" / "disclosures")
    return (registry.pin("broker_status", 1), registry.pin("apr", 2))


def _score(pinned: tuple[PinnedDisclosure, ...], case: Case) -> dict[str, tuple[str, object]]:
    scores = disclosure_rules(ScorerContext(disclosures=pinned))(case, Transcript(case.turns))
    return {s.criterion: (s.status, s.evidence.get("reason")) for s in scores}


def test_passes_when_every_fact_is_in_time(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = make_case("c", ["We’re a CREDIT broker — not a lender. Representative 9.9% APR."])
    assert _score(pinned, case) == {
        "broker_status": ("passed", "all key facts in time"),
        "apr": ("passed", "all key facts in time"),
    }


def test_fact_after_the_deadline_fails_as_late(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = make_case("c", ["Hello", "We are a credit broker, not a lender. 9.9% APR."])
    assert _score(pinned, case) == {
        "broker_status": ("failed", "after the deadline: is_broker, not_lender"),
        "apr": ("failed", "after the deadline: apr"),
    }


def test_wrong_figure_is_missing_not_matched(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = make_case("c", ["We are a credit broker, not a lender. Representative 19.9% APR."])
    assert _score(pinned, case)["apr"] == (
        "failed",
        "wrong figure: apr stated 19.9, the case says 9.9",
    )


def test_contradiction_fails_even_with_the_wording(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = make_case(
        "c", ["We are a credit broker, not a lender. 9.9% APR.", "Actually we lend you the money."]
    )
    status, reason = _score(pinned, case)["broker_status"]
    assert status == "failed"
    assert reason == "contradicted at turn 4: 'we lend you the money'"


def test_fuzzy_paraphrase_of_a_long_phrase_counts(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = make_case("c", ["We are a credit brokers, and not the lender. 9.9% APR"])
    assert _score(pinned, case)["broker_status"] == ("passed", "all key facts in time")


def test_not_applicable_without_the_event(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = make_case("c", ["We are a credit broker, not a lender."], offer=False)
    assert _score(pinned, case)["apr"] == ("not_applicable", None)


def test_replay_error_is_an_error_where_applicable(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = Case(case_id="c", source="t", turns=(Turn(role="customer", text="hi"),))
    scores = disclosure_rules(ScorerContext(disclosures=pinned))(
        case, Transcript(case.turns, error="model call for turn 1 failed")
    )
    assert [(s.criterion, s.status, s.error) for s in scores] == [
        ("broker_status", "error", "model call for turn 1 failed"),
        ("apr", "not_applicable", None),
    ]


def test_evidence_names_turn_and_span(pinned: tuple[PinnedDisclosure, ...]) -> None:
    case = make_case("c", ["We are a credit broker, not a lender. 9.9% APR."])
    scores = disclosure_rules(ScorerContext(disclosures=pinned))(case, Transcript(case.turns))
    assert scores[0].evidence == {
        "deadline": "before offer_presented (turn 2)",
        "facts": [
            {
                "id": "is_broker",
                "turn": 1,
                "span": "we are a credit broker",
                "quote": "We are a credit broker, not a lender.",
                "exact": True,
                "similarity": 100.0,
            },
            {
                "id": "not_lender",
                "turn": 1,
                "span": "not a lender",
                "quote": "We are a credit broker, not a lender.",
                "exact": True,
                "similarity": 100.0,
            },
        ],
        "reason": "all key facts in time",
        "certainty": "sure",
    }


def test_registry_errors_name_file_and_fix(tmp_path: Path, world: World) -> None:
    folder = world.root / "scenarios" / "disclosures"
    (folder / "apr.yaml").rename(folder / "rate.yaml")
    from harness.errors import ConfigError

    with pytest.raises(ConfigError, match=r"rate\.yaml: field 'id' is 'apr' but the file is named"):
        load_registry(folder)


def _with_pattern(world: World, pattern: str) -> None:
    import yaml

    path = world.root / "scenarios" / "disclosures" / "broker_status.yaml"
    data = yaml.safe_load(path.read_text())
    data["versions"][0]["key_facts"][1]["patterns"] = [pattern]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_pattern_matches_wording_phrases_cannot_list(world: World) -> None:
    _with_pattern(world, r"\bnot (?:ourselves )?(?:a|the) (?:lender|bank)\b")
    registry = load_registry(world.root / "scenarios" / "disclosures")
    pinned = (registry.pin("broker_status", 1),)
    case = make_case("c", ["We are a credit broker and NOT ourselves the bank."])
    scores = disclosure_rules(ScorerContext(disclosures=pinned))(case, Transcript(case.turns))
    assert scores[0].status == "passed"
    spans = {f["id"]: f["span"] for f in scores[0].evidence["facts"]}
    assert spans["not_lender"] == "not ourselves the bank"


def test_a_regex_that_does_not_compile_exits_2_naming_file_and_field(world: World) -> None:
    import subprocess
    import sys

    _with_pattern(world, r"not (a|the lender")
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(world.scenario), "--db", "h.duckdb"],
        capture_output=True,
        text=True,
        cwd=world.root,
        timeout=60,
    )
    assert done.returncode == 2
    assert "broker_status.yaml: field 'versions.0.key_facts.1.patterns'" in done.stderr
    assert "regular expression 'not (a|the lender' does not compile" in done.stderr
    assert "escape special characters" in done.stderr
