"""Corpus diff, schema migration (a real version-0 file), and the DuckDB views."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.corpus.cases import SCHEMA_METADATA_KEY, Case, GoldenLabel, Turn
from harness.corpus.files import iter_cases, write_cases
from harness.corpus.migrate import migrate_file, schema_version, write_v0_file
from harness.errors import CorpusError
from harness.golden.diff import LabelDelta, diff_corpora, render_diff
from harness.store.views import connect, query

ROOT = Path(__file__).resolve().parent.parent
LABEL = GoldenLabel(disclosure_id="commission", applicable=True, presented=False, note="late")


def _case(case_id: str, text: str = "hi", *labels: GoldenLabel) -> Case:
    return Case(
        case_id=case_id, source="s", turns=[Turn(role="customer", text=text)], labels=labels
    )


def test_diff_lists_added_removed_changed_and_label_changes() -> None:
    old = [_case("a"), _case("b"), _case("c", "hi", LABEL)]
    fixed = LABEL.model_copy(update={"presented": True, "note": None})
    new = [_case("a", "hello"), _case("c", "hi", fixed), _case("d")]
    change = diff_corpora(old, new)
    assert (change.added, change.removed, change.changed) == (["d"], ["b"], {"a": ["turns"]})
    assert change.labels == [LabelDelta("c", "commission", LABEL, fixed)]
    assert render_diff(change) == (
        "added (1):\n  d\nremoved (1):\n  b\nchanged (1):\n  a: turns\n"
        "label changes (1):\n  c commission: missed (late) → presented"
    )
    assert render_diff(diff_corpora(old, old)) == "no changes"


V0_ROW = {
    "id": "old-1",
    "source": "2024-export",
    "recorded_at": datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
    "tags": '{"product": "heat_pump"}',
    "facts": '{"apr": 9.9}',
    "turns": [
        {"role": "user", "text": "Can I spread the cost?", "event": None},
        {"role": "assistant", "text": "We're a credit broker, not a lender.", "event": None},
        {"role": "event", "text": None, "event": "offer_presented"},
    ],
    "labels": [{"disclosure_id": "broker_status", "applicable": True, "presented": True}],
}


def test_a_version_0_file_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    old = tmp_path / "old.parquet"
    write_v0_file(old, [V0_ROW])
    assert schema_version(old, pq.read_schema(old)) == 0
    done = migrate_file(old)
    assert (done.from_version, done.to_version, done.rows) == (0, 1, 1)
    assert pq.read_schema(old).metadata[SCHEMA_METADATA_KEY] == b"1"
    assert list(iter_cases([old])) == [
        Case(
            case_id="old-1",
            source="2024-export",
            recorded_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
            tags={"product": "heat_pump"},
            facts={"apr": 9.9},
            turns=[
                Turn(role="customer", text="Can I spread the cost?"),
                Turn(role="agent", text="We're a credit broker, not a lender."),
                Turn(role="event", event="offer_presented"),
            ],
            labels=[GoldenLabel(disclosure_id="broker_status", applicable=True, presented=True)],
        )
    ]
    assert migrate_file(old).from_version == 1  # already current: a no-op


def test_a_version_0_file_is_migrated_on_read(tmp_path: Path) -> None:
    old = tmp_path / "old.parquet"
    write_v0_file(old, [V0_ROW])
    before = old.read_bytes()
    [case] = list(iter_cases([old]))
    assert (case.case_id, case.tags, case.facts) == (
        "old-1",
        {"product": "heat_pump"},
        {"apr": 9.9},
    )
    assert old.read_bytes() == before  # read, not rewritten: `harness corpus migrate` rewrites


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        ("{not json", "row 0: column 'tags' is not JSON (Expecting property name enclosed in"),
        ('["product", "heat_pump"]', "row 0: column 'tags' is a JSON list, not an object"),
    ],
    ids=["not-json", "a-list"],
)
def test_a_version_0_file_with_bad_tags_is_refused_naming_the_row(
    tmp_path: Path, tags: str, problem: str
) -> None:
    """User input, so a CorpusError (exit 2) naming file and row, never a bare built-in."""
    old = tmp_path / "old.parquet"
    write_v0_file(old, [{**V0_ROW, "tags": tags}])
    with pytest.raises(CorpusError) as caught:
        migrate_file(old)
    assert str(caught.value).startswith(
        f"{old}: cannot migrate from schema version 0 to 1 ({problem}"
    )


def test_a_newer_schema_version_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "new.parquet"
    write_cases(path, [_case("a")])
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({SCHEMA_METADATA_KEY: b"2"}), path)
    with pytest.raises(CorpusError) as caught:
        migrate_file(path)
    assert str(caught.value) == (
        f"{path}: corpus schema version 2 is newer than this harness knows (1); upgrade the "
        "harness (pip install -U replay-harness)"
    )


def test_views_answer_questions_in_one_line(tmp_path: Path) -> None:
    demo = [ROOT / "corpus" / "demo"]
    assert query("SELECT count(*) FROM cases", demo, results=None).fetchall() == [(640,)]
    missed = query(
        "SELECT disclosure_id, count(*) AS n FROM labels WHERE applicable AND NOT presented "
        "GROUP BY 1 ORDER BY 1",
        demo,
        results=None,
    ).df()
    assert dict(zip(missed["disclosure_id"], missed["n"], strict=True)) == {
        "broker_status": 14,
        "commission": 24,
        "data_sharing": 21,
        "representative_example": 13,
        "right_to_withdraw": 13,
        "soft_search": 23,
        "vulnerability_support": 4,
    }
    con = connect(demo, results=None)
    assert con.sql(
        "SELECT role, event FROM turns WHERE case_id = 'pos-0003' AND role = 'event' "
        "ORDER BY position"
    ).fetchall() == [
        ("event", "eligibility_check"),
        ("event", "offer_presented"),
        ("event", "application_submitted"),
    ]
    assert con.sql(
        "SELECT value FROM case_tags WHERE case_id = 'pos-0003' AND tag = 'product'"
    ).fetchall() == [("heat_pump",)]
    assert con.sql("SELECT facts->>'lender' FROM cases WHERE case_id = 'pos-0003'").fetchall() == [
        ("Alder Home Credit",)
    ]


def test_results_join_the_golden_labels(tmp_path: Path) -> None:
    results = tmp_path / "run" / "results.parquet"
    results.parent.mkdir()
    import pyarrow as pa

    pq.write_table(
        pa.table(
            {
                "run_id": ["r1"],
                "case_id": ["pos-0003"],
                "criterion": ["commission"],
                "status": ["passed"],
            }
        ),
        results,
    )
    rows = query(
        "SELECT case_id, criterion, status, label_applicable, label_presented FROM case_results",
        [ROOT / "corpus" / "demo"],
        results=str(tmp_path / "*" / "results.parquet"),
    ).fetchall()
    assert rows == [("pos-0003", "commission", "passed", True, False)]
