"""Validating a corpus: every problem reported with file, row and column; valid corpora pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.disclosures import load_registry
from harness.corpus.cases import CASE_SCHEMA, SCHEMA_METADATA_KEY, Case, GoldenLabel, Turn
from harness.corpus.files import write_cases
from harness.golden.validate import validate_corpus

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpus" / "demo"
REGISTRY = load_registry(ROOT / "scenarios" / "disclosures")


def _case(case_id: str, *labels: GoldenLabel, text: str = "Can I get finance?") -> Case:
    return Case(
        case_id=case_id, source="t", turns=[Turn(role="customer", text=text)], labels=labels
    )


def test_the_demo_corpus_is_valid() -> None:
    report = validate_corpus(DEMO, REGISTRY)
    assert (report.ok, report.files, report.cases, report.problems) == (True, 3, 640, [])


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    write_cases(
        folder / "a.parquet",
        [
            _case("c1", GoldenLabel(disclosure_id="comission", applicable=True, presented=False)),
            _case(
                "c2",
                GoldenLabel(disclosure_id="broker_status", applicable=False, presented=True),
                GoldenLabel(disclosure_id="broker_status", applicable=True, presented=True),
            ),
        ],
    )
    write_cases(folder / "b.parquet", [_case("c1")])
    rows = [
        {**_case("c3").to_row(), "turns": [{"role": "agent", "text": "hi", "event": None}]},
        _case("c4").to_row(),
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=CASE_SCHEMA), folder / "c.parquet")
    report = validate_corpus(folder, REGISTRY)
    found = [str(p).replace(f"{folder}/", "") for p in report.problems]
    assert found == [
        "error: a.parquet row 0 column 'labels' [0]: label for unknown disclosure 'comission' "
        f"(did you mean 'commission'?); {REGISTRY.folder} defines: {', '.join(REGISTRY.ids)}",
        "error: a.parquet row 1 column 'labels' [0]: presented=true but applicable=false",
        "error: a.parquet row 1 column 'labels' [1]: disclosure 'broker_status' is labelled "
        "twice in one case",
        "error: b.parquet row 0: duplicate case_id 'c1' (first at a.parquet row 0); case ids "
        "must be unique across the corpus",
        "error: c.parquet row 0: column 'turns' is invalid: Value error, every case needs at "
        "least one customer turn",
        "warning: a.parquet row 1 (c2): label says 'broker_status' is not applicable, the "
        "registry's v2 conditions say it applies",
        "error: MANIFEST.json: not checked: fix the errors above first",
    ]
    assert report.cases == 4 and not report.ok


def test_a_newer_schema_and_a_foreign_file_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    write_cases(folder / "good.parquet", [_case("c1")])
    newer = CASE_SCHEMA.with_metadata({SCHEMA_METADATA_KEY: b"9"})
    pq.write_table(
        pa.Table.from_pylist([_case("c2").to_row()], schema=newer), folder / "new.parquet"
    )
    pq.write_table(pa.table({"sku": ["a"]}), folder / "other.parquet")
    (folder / "broken.parquet").write_bytes(b"PAR1 not really")
    report = validate_corpus(folder, REGISTRY, contract=False)
    found = [str(p).replace(f"{folder}/", "") for p in report.problems]
    assert found[0].startswith("error: broken.parquet: not a readable Parquet file")
    assert found[1:] == [
        "error: new.parquet: corpus schema version 9 is newer than this harness knows (1); "
        "upgrade the harness (pip install -U replay-harness)",
        "error: other.parquet: column 'case_id' is missing; a case file needs the columns "
        "case_id, source, turns",
    ]


def test_a_single_file_is_checked_against_its_folders_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    write_cases(folder / "battery.parquet", [_case("x1")])
    report = validate_corpus(folder / "battery.parquet", REGISTRY)
    assert [p.where for p in report.problems] == [str(folder / "battery.parquet")]
    assert "content changed (rows 130 → 1" in report.problems[0].message
