"""Importing a report review's labels file: who decided each label, and where, in the history."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.config.disclosures import load_registry
from harness.errors import CorpusError
from harness.golden.labels import LabelEdit, apply_label_edits, import_labels_csv, read_history

ROOT = Path(__file__).resolve().parent.parent
DISCLOSURES = ROOT / "scenarios" / "disclosures"
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
HEADER = "case_id,disclosure_id,applicable,presented,note,reviewer,verdict,review,source\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(ROOT / "corpus" / "demo", folder)
    return folder


def test_each_row_is_recorded_under_its_reviewer_with_its_source(
    corpus: Path, tmp_path: Path
) -> None:
    labels = tmp_path / "review.csv"
    labels.write_text(
        HEADER + '"pos-0001","commission","yes","no","said it after the offer","Priya Shah",'
        '"passed","wrong","report of run r1, QA sample of passes: verdict passed, judged wrong"\n'
        + '"pos-0002","soft_search","no","no","","Sam Okafor","failed","wrong",'
        '"report of run r1, failing cases: verdict failed, judged wrong"\n',
        encoding="utf-8",
    )
    done = import_labels_csv(
        corpus, labels, by=None, why="QA review 15", registry=load_registry(DISCLOSURES), at=AT
    )
    assert done.rejects == []
    history = read_history(corpus)
    assert history == done.changes
    assert [(c.case_id, c.disclosure_id, c.by, c.why, c.source) for c in history] == [
        (
            "pos-0001",
            "commission",
            "Priya Shah",
            "QA review 15",
            "report of run r1, QA sample of passes: verdict passed, judged wrong",
        ),
        (
            "pos-0002",
            "soft_search",
            "Sam Okafor",
            "QA review 15",
            "report of run r1, failing cases: verdict failed, judged wrong",
        ),
    ]
    assert history[0].label.model_dump() == {
        "applicable": True,
        "presented": False,
        "note": "said it after the offer",
    }


def test_a_row_without_a_reviewer_needs_by(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "review.csv"
    labels.write_text(HEADER + "pos-0001,commission,yes,no,,,passed,wrong,run r1\n")
    args = ["corpus", "label", "import", str(corpus), str(labels), "--why", "QA"]
    args += ["--disclosures", str(DISCLOSURES)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"rejected: {labels} line 2: no reviewer: fill the 'reviewer' column or pass --by" in err
    assert read_history(corpus) == []
    assert main([*args, "--by", "Ana Ruiz"]) == 0
    [change] = read_history(corpus)
    assert (change.by, change.source, change.why) == ("Ana Ruiz", "run r1", "QA")


def test_the_history_of_older_harnesses_still_reads(corpus: Path) -> None:
    """A history line without ``source`` (written before reviews) reads as no source."""
    edit = LabelEdit("pos-0001", "commission", True, True)
    [change] = apply_label_edits(corpus, [edit], by="Priya", why="QA", at=AT)
    line = change.model_dump_json(exclude={"source"})
    (corpus / "LABELS.jsonl").write_text(line + "\n", encoding="utf-8")
    [read] = read_history(corpus)
    assert read.source is None and read.by == "Priya"


def test_an_edit_without_anyone_is_refused(corpus: Path) -> None:
    edit = LabelEdit("pos-0001", "commission", True, True)
    with pytest.raises(CorpusError, match=r"needs who made it \(--by\) and why \(--why\)"):
        apply_label_edits(corpus, [edit], by="", why="QA")
    assert (
        apply_label_edits(
            corpus, [LabelEdit("pos-0001", "commission", True, True, by="Kim")], by="", why="QA"
        )[0].by
        == "Kim"
    )
