"""Duplicates: exact and near, the older case kept, optional removal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.corpus.cases import Case, Turn
from harness.corpus.files import iter_cases, write_cases
from harness.golden.dedupe import Duplicate, find_duplicates, remove_cases

ROOT = Path(__file__).resolve().parent.parent


def _case(case_id: str, text: str, day: int | None) -> Case:
    at = datetime(2026, 9, day, tzinfo=UTC) if day else None
    return Case(
        case_id=case_id,
        source="s",
        recorded_at=at,
        turns=[
            Turn(role="customer", text=text),
            Turn(role="agent", text="We're a credit broker, not a lender."),
        ],
    )


CASES = [
    _case("new", "Can I get finance for my heat pump please?", 20),
    _case("old", "Can I get FINANCE for my heat pump, please!", 2),
    _case("near", "Can I get finance for my heat pumps please?", 10),
    _case("other", "What is the APR on the solar panels?", 5),
    _case("undated", "Can I get finance for my heat pump please?", None),
]


def test_exact_and_near_duplicates_keep_the_older_case() -> None:
    assert find_duplicates(CASES, threshold=0.97) == [
        Duplicate("new", "old", 1.0, True),
        Duplicate("near", "old", pytest.approx(0.9945, abs=1e-3), False),  # type: ignore[arg-type]
        Duplicate("undated", "old", 1.0, True),
    ]
    assert [d.dropped for d in find_duplicates(CASES, threshold=1.0)] == ["new", "undated"]
    with pytest.raises(ValueError, match="threshold"):
        find_duplicates(CASES, threshold=0)


def test_the_demo_corpus_has_one_near_duplicate_at_the_default() -> None:
    cases = list(iter_cases([ROOT / "corpus" / "demo" / "solar_pv.parquet"]))
    assert find_duplicates(cases, threshold=1.0) == []


def test_removing_rewrites_only_the_files_that_held_them(tmp_path: Path) -> None:
    write_cases(tmp_path / "a.parquet", CASES[:3])
    write_cases(tmp_path / "b.parquet", CASES[3:])
    untouched = (tmp_path / "b.parquet").read_bytes()
    assert remove_cases(tmp_path, {"new", "near"}) == {tmp_path / "a.parquet": 2}
    assert [c.case_id for c in iter_cases([tmp_path])] == ["old", "other", "undated"]
    assert (tmp_path / "b.parquet").read_bytes() == untouched
