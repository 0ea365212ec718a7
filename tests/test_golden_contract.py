"""The corpus contract: the committed manifest matches the committed corpus; drift is named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.corpus.files import iter_cases, write_cases
from harness.errors import CorpusError
from harness.golden.contract import (
    MANIFEST_NAME,
    build_manifest,
    check_contract,
    read_manifest,
    write_manifest,
)
from harness.golden.labels import LabelEdit, apply_label_edits

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpus" / "demo"


def test_the_committed_demo_manifest_matches_the_committed_corpus() -> None:
    """What CI runs: change corpus/demo without updating its manifest and this fails."""
    assert [str(p) for p in check_contract(DEMO)] == []
    assert read_manifest(DEMO) == build_manifest(DEMO)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    return folder


def test_a_changed_file_names_the_file_and_the_fix(corpus: Path) -> None:
    cases = list(iter_cases([corpus / "battery.parquet"]))
    write_cases(corpus / "battery.parquet", cases[:-1])
    before = {e.path: e for e in read_manifest(corpus).files}["battery.parquet"]  # type: ignore[union-attr]
    after = {e.path: e for e in build_manifest(corpus).files}["battery.parquet"]
    assert [str(p) for p in check_contract(corpus)] == [
        f"{corpus}/battery.parquet: content changed (rows 130 → 129, sha256 "
        f"{before.content_sha256[:12]}… → {after.content_sha256[:12]}…) but MANIFEST.json was "
        f"not updated; review the change, then run `harness corpus manifest {corpus}` and "
        "commit MANIFEST.json"
    ]
    write_manifest(corpus)
    assert check_contract(corpus) == []


def test_rewriting_the_same_cases_is_not_a_change(corpus: Path) -> None:
    path = corpus / "solar_pv.parquet"
    cases = list(iter_cases([path]))
    path.write_bytes(b"")
    write_cases(path, cases)
    assert check_contract(corpus) == []


def test_new_and_missing_files_and_a_missing_manifest(corpus: Path) -> None:
    shutil.copy(corpus / "battery.parquet", corpus / "extra.parquet")
    (corpus / "heat_pump.parquet").unlink()
    fix = f"review the change, then run `harness corpus manifest {corpus}` and commit MANIFEST.json"
    assert [str(p) for p in check_contract(corpus)] == [
        f"{corpus}/extra.parquet: new file not in MANIFEST.json; {fix}",
        f"{corpus}/heat_pump.parquet: listed in MANIFEST.json but missing; {fix}",
    ]
    (corpus / MANIFEST_NAME).unlink()
    assert [str(p) for p in check_contract(corpus)] == [
        f"{corpus}/MANIFEST.json: missing: the corpus has no contract; create it with "
        f"`harness corpus manifest {corpus}` and commit it"
    ]


def test_the_label_history_is_append_only(corpus: Path) -> None:
    edit = LabelEdit("pos-0003", "commission", True, True, "v1 wording accepted")
    apply_label_edits(corpus, [edit], by="Priya", why="QA 14")
    problems = {Path(p.path).name: p.message for p in check_contract(corpus)}
    assert sorted(problems) == ["LABELS.jsonl", "heat_pump.parquet"]
    assert problems["LABELS.jsonl"].startswith("new label history not in MANIFEST.json")
    assert problems["heat_pump.parquet"].startswith("content changed")
    write_manifest(corpus)
    manifest = read_manifest(corpus)
    assert manifest is not None and manifest.label_history is not None
    assert manifest.label_history.entries == 1
    history = corpus / "LABELS.jsonl"
    entry = json.loads(history.read_text())
    entry["why"] = "rewritten later"
    history.write_text(json.dumps(entry) + "\n")
    assert [p.message for p in check_contract(corpus)] == [
        "entries 1-1 were edited or removed; the label history is append-only: restore them "
        "and record corrections as new entries"
    ]
    with pytest.raises(CorpusError, match="the label history is append-only"):
        write_manifest(corpus)
