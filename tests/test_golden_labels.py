"""Golden labels: who/when/why history, CSV round-trip, precise rejects."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.config.disclosures import load_registry
from harness.corpus.cases import GoldenLabel
from harness.corpus.files import iter_cases
from harness.errors import CorpusError
from harness.golden.labels import (
    LabelEdit,
    apply_label_edits,
    export_labels_csv,
    import_labels_csv,
    read_history,
)

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(ROOT / "scenarios" / "disclosures")
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(ROOT / "corpus" / "demo", folder)
    return folder


def _case(corpus: Path, case_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in iter_cases([corpus]) if c.case_id == case_id)


def test_a_label_change_rewrites_the_case_and_appends_to_the_history(corpus: Path) -> None:
    before = _case(corpus, "pos-0003").label_for("commission")
    edit = LabelEdit("pos-0003", "commission", True, True, "v1 wording still approved that day")
    changes = apply_label_edits(corpus, [edit], by="Priya Shah", why="QA review 14", at=AT)
    assert [c.describe() for c in changes] == [
        "pos-0003 commission: missed (superseded wording: the v1 commission wording has no "
        "'ask us how much') → presented (v1 wording still approved that day)"
    ]
    assert _case(corpus, "pos-0003").label_for("commission") == GoldenLabel(
        disclosure_id="commission",
        applicable=True,
        presented=True,
        note="v1 wording still approved that day",
    )
    history = read_history(corpus)
    assert history == changes
    assert history[0].by == "Priya Shah" and history[0].at == AT
    assert history[0].previous is not None and before is not None
    assert history[0].previous.note == before.note
    # The same label again changes nothing and records nothing.
    assert apply_label_edits(corpus, [edit], by="Priya Shah", why="again") == []
    assert len(read_history(corpus)) == 1


@pytest.mark.parametrize(
    ("edit", "by", "message"),
    [
        (
            LabelEdit("pos-0003", "comission", True, True),
            "P",
            "unknown disclosure 'comission' (did you mean 'commission'?)",
        ),
        (LabelEdit("nope", "commission", True, True), "P", "no case 'nope' in"),
        (
            LabelEdit("pos-0003", "commission", False, True),
            "P",
            "presented without being applicable",
        ),
        (
            LabelEdit("pos-0003", "commission", True, True),
            " ",
            "needs who made it (--by) and why (--why)",
        ),
    ],
    ids=["unknown-disclosure", "unknown-case", "presented-not-applicable", "no-author"],
)
def test_bad_edits_change_nothing(corpus: Path, edit: LabelEdit, by: str, message: str) -> None:
    before = (corpus / "heat_pump.parquet").read_bytes()
    with pytest.raises(
        CorpusError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        apply_label_edits(corpus, [edit], by=by, why="x", registry=REGISTRY)
    assert (corpus / "heat_pump.parquet").read_bytes() == before
    assert read_history(corpus) == []


def test_csv_round_trip_applies_only_changed_rows_and_rejects_bad_ones(
    corpus: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "labels.csv"
    rows_written = export_labels_csv(corpus, sheet, REGISTRY, labelled_only=True)
    assert rows_written == 180 * 7
    with sheet.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "case_id",
        "disclosure_id",
        "applies",
        "applicable",
        "presented",
        "note",
        "customer_said",
    ]
    unchanged = import_labels_csv(corpus, sheet, by="P", why="no-op", registry=REGISTRY)
    assert (unchanged.changes, unchanged.rejects) == ([], [])
    target = next(
        i
        for i, r in enumerate(rows)
        if r["case_id"] == "pos-0003" and r["disclosure_id"] == "commission"
    )
    rows[target].update(presented="yes", note="accepted on review")
    rows[1].update(disclosure_id="comission")
    rows[2].update(applicable="maybe")
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = import_labels_csv(
        corpus, sheet, by="Priya", why="spreadsheet pass 2", registry=REGISTRY, at=AT
    )
    assert [c.describe() for c in result.changes] == [
        "pos-0003 commission: missed (superseded wording: the v1 commission wording has no "
        "'ask us how much') → presented (accepted on review)"
    ]
    assert [(r.line, r.reason) for r in result.rejects] == [
        (
            3,
            "unknown disclosure 'comission' (did you mean 'commission'?); "
            f"{REGISTRY.folder} defines: {', '.join(REGISTRY.ids)}",
        ),
        (4, "column 'applicable' is 'maybe'; use yes or no"),
    ]
    assert len(read_history(corpus)) == 1
