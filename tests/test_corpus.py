"""Reading the corpus: real Parquet files, streamed and validated, with precise errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.corpus.cases import CASE_SCHEMA, SCHEMA_METADATA_KEY, Case, Turn, cases_to_table
from harness.corpus.files import corpus_hash, iter_cases, write_cases
from harness.errors import CorpusError
from tests.world import default_cases, make_case


def test_round_trip_preserves_every_field(tmp_path: Path) -> None:
    cases = default_cases()
    write_cases(tmp_path / "c.parquet", cases)
    assert list(iter_cases([tmp_path])) == cases


def test_reads_in_batches_across_files_in_order(tmp_path: Path) -> None:
    first = [make_case(f"a-{i:03d}", ["hi"]) for i in range(25)]
    second = [make_case(f"b-{i:03d}", ["hi"]) for i in range(10)]
    write_cases(tmp_path / "1.parquet", first)
    write_cases(tmp_path / "2.parquet", second)
    ids = [c.case_id for c in iter_cases([tmp_path], batch_size=4)]
    assert ids == [c.case_id for c in first + second]


def test_hash_changes_with_content(tmp_path: Path) -> None:
    write_cases(tmp_path / "c.parquet", default_cases())
    before = corpus_hash([tmp_path])
    write_cases(tmp_path / "c.parquet", default_cases()[:-1])
    assert corpus_hash([tmp_path]) != before


def _write_rows(path: Path, rows: list[dict[str, object]], schema: pa.Schema = CASE_SCHEMA) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def _row(case_id: str = "c1", **changes: object) -> dict[str, object]:
    row = Case(case_id=case_id, source="s", turns=(Turn(role="customer", text="hi"),)).to_row()
    row.update(changes)
    return row


def _nullable(schema: pa.Schema) -> pa.Schema:
    fields = [f.with_nullable(True) for f in schema]
    return pa.schema(fields, metadata=schema.metadata)


@pytest.mark.parametrize(
    ("rows", "schema", "message"),
    [
        (
            [_row("c1"), _row("c2", turns=None)],
            _nullable(CASE_SCHEMA),
            "bad.parquet row 1: column 'turns' is null; every case needs one "
            "(at least one customer turn)",
        ),
        (
            [_row("c1"), _row("c1")],
            CASE_SCHEMA,
            "bad.parquet row 1: duplicate case_id 'c1' (first seen at ",
        ),
        (
            [_row("c1", turns=[{"role": "agent", "text": "hi", "event": None}])],
            CASE_SCHEMA,
            "bad.parquet row 0: column 'turns' is invalid: Value error, every case needs at "
            "least one customer turn",
        ),
        (
            [_row("c1", facts="{not json")],
            CASE_SCHEMA,
            "bad.parquet row 0: column 'facts' is not a JSON object",
        ),
        (
            [_row("c1", turns=[{"role": "robot", "text": "hi", "event": None}])],
            CASE_SCHEMA,
            "bad.parquet row 0: column 'turns' is invalid at 0.role: Input should be "
            "'customer', 'agent' or 'event'",
        ),
    ],
    ids=["null-turns", "duplicate-id", "no-customer-turn", "bad-facts-json", "bad-role"],
)
def test_bad_rows_name_file_row_and_column(
    tmp_path: Path, rows: list[dict[str, object]], schema: pa.Schema, message: str
) -> None:
    path = _write_rows(tmp_path / "bad.parquet", rows, schema)
    with pytest.raises(CorpusError) as excinfo:
        list(iter_cases([path]))
    assert message in str(excinfo.value)
    assert str(path) in str(excinfo.value)


def test_missing_column_is_named(tmp_path: Path) -> None:
    table = cases_to_table(default_cases()).drop_columns(["turns"])
    pq.write_table(table, tmp_path / "c.parquet")
    with pytest.raises(CorpusError, match=r"c\.parquet: column 'turns' is missing"):
        list(iter_cases([tmp_path]))


def test_mistyped_column_is_named(tmp_path: Path) -> None:
    table = cases_to_table(default_cases())
    table = table.set_column(
        table.schema.get_field_index("source"), "source", pa.array([1] * table.num_rows)
    )
    pq.write_table(table, tmp_path / "c.parquet")
    with pytest.raises(CorpusError, match=r"column 'source' has type int64, expected string"):
        list(iter_cases([tmp_path]))


def test_corrupt_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    write_cases(path, default_cases())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusError, match=r"c\.parquet: not a readable Parquet file"):
        list(iter_cases([path]))


def test_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"nowhere: no such corpus file or folder"):
        list(iter_cases([tmp_path / "nowhere"]))


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    table = cases_to_table(default_cases())
    table = table.replace_schema_metadata({SCHEMA_METADATA_KEY: b"99"})
    pq.write_table(table, tmp_path / "c.parquet")
    with pytest.raises(CorpusError, match="schema version 99 is newer than this harness knows"):
        list(iter_cases([tmp_path]))
