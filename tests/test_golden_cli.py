"""``harness corpus``: every command from the real CLI in a subprocess, with its exit status."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import build_parser
from harness.corpus.files import iter_cases

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "corpus" / "examples"


def _corpus(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "corpus", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the demo corpus and the disclosure registry, laid out like the repository."""
    shutil.copytree(ROOT / "corpus" / "demo", tmp_path / "corpus" / "demo")
    shutil.copytree(ROOT / "scenarios" / "disclosures", tmp_path / "scenarios" / "disclosures")
    return tmp_path


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_corpus_command_has_help() -> None:
    corpus = _subparsers(build_parser())["corpus"]
    commands = _subparsers(corpus)
    assert sorted(commands) == sorted(
        [
            "import",
            "validate",
            "manifest",
            "stats",
            "label",
            "dedupe",
            "sample",
            "split",
            "diff",
            "migrate",
            "export",
            "sql",
        ]
    )
    for name, parser in {
        **commands,
        **{f"label {k}": v for k, v in _subparsers(commands["label"]).items()},
    }.items():
        assert parser.description, name
        assert all(a.help for a in parser._actions if a.dest not in ("help", "label_command")), name


def test_stats_prints_the_power_analysis_of_the_demo() -> None:
    done = _corpus("stats", "corpus/demo")
    assert done.returncode == 0, done.stderr
    assert "vulnerability_support   v1               75     191  NO (116 short)" in done.stdout
    strict = _corpus("stats", "corpus/demo", "--strict", "--json")
    assert strict.returncode == 1
    assert '"under_covered": [\n    "vulnerability_support"\n  ]' in strict.stdout


def test_validate_and_manifest_enforce_the_contract(workdir: Path) -> None:
    assert _corpus("validate", "corpus/demo", cwd=workdir).returncode == 0
    label = _corpus(
        "label",
        "set",
        "corpus/demo",
        "--case",
        "pos-0003",
        "--disclosure",
        "commission",
        "--applicable",
        "yes",
        "--presented",
        "yes",
        "--note",
        "accepted on review",
        "--by",
        "Priya Shah",
        "--why",
        "QA review 14",
        cwd=workdir,
    )
    assert label.returncode == 0, label.stderr
    assert "→ presented (accepted on review)" in label.stdout
    drift = _corpus("validate", "corpus/demo", cwd=workdir)
    assert drift.returncode == 1
    assert (
        "error: corpus/demo/heat_pump.parquet: content changed (rows same" in drift.stdout
        and "run `harness corpus manifest corpus/demo` and commit MANIFEST.json" in drift.stdout
    )
    assert _corpus("manifest", "corpus/demo", "--check", cwd=workdir).returncode == 1
    assert _corpus("manifest", "corpus/demo", cwd=workdir).returncode == 0
    assert _corpus("validate", "corpus/demo", cwd=workdir).returncode == 0
    history = _corpus("label", "history", "corpus/demo", cwd=workdir)
    assert "Priya Shah: pos-0003 commission: missed" in history.stdout
    assert "why: QA review 14" in history.stdout


def test_import_exit_statuses(workdir: Path) -> None:
    ok = _corpus(
        "import",
        str(EXAMPLES / "demo-audit-log.jsonl.gz"),
        "--out",
        "demo.parquet",
        "--no-redact",
        cwd=workdir,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("imported 640 cases from demo-audit-log.jsonl.gz as audit-log")
    assert _corpus("diff", "corpus/demo", "demo.parquet", cwd=workdir).stdout == "no changes\n"
    (workdir / "bad.jsonl").write_text('{"case_id": "a", "text": "hi"}\n{oops\n')
    partial = _corpus("import", "bad.jsonl", "--out", "bad.parquet", cwd=workdir)
    assert partial.returncode == 1
    assert (
        "rejected: bad.jsonl line 2: not valid JSON (Expecting property name enclosed in "
        "double quotes, column 2)" in partial.stderr
    )
    assert (workdir / "bad.rejects.jsonl").exists()
    (workdir / "semi.csv").write_text("case_id;text\na;hi\n")
    usage = _corpus("import", "semi.csv", "--out", "x.parquet", cwd=workdir)
    assert usage.returncode == 2
    assert "pass --delimiter ';'" in usage.stderr and "Traceback" not in usage.stderr


def test_dedupe_sample_split_migrate_export_and_sql(workdir: Path) -> None:
    dedupe = _corpus("dedupe", "corpus/demo", cwd=workdir)
    assert dedupe.returncode == 1
    assert "pos-0572: near duplicate (98.0%) of older pos-0521" in dedupe.stdout
    sample = _corpus(
        "sample",
        "corpus/demo",
        "--out",
        "pr.parquet",
        "--size",
        "64",
        "--by",
        "product",
        "--seed",
        "1",
        cwd=workdir,
    )
    assert sample.returncode == 0, sample.stderr
    assert len(list(iter_cases([workdir / "pr.parquet"]))) == 64
    split = _corpus(
        "split",
        "corpus/demo",
        "--out-dir",
        "parts",
        "--part",
        "pr=0.25",
        "--part",
        "nightly=0.75",
        cwd=workdir,
    )
    assert split.stdout.splitlines() == [
        "wrote 160 cases to parts/pr.parquet",
        "wrote 480 cases to parts/nightly.parquet",
    ]
    bad = _corpus("split", "corpus/demo", "--out-dir", "p", "--part", "pr", cwd=workdir)
    assert (bad.returncode, bad.stderr.strip()) == (
        2,
        "harness: error: --part 'pr': expected NAME=FRACTION, e.g. --part pr=0.2",
    )
    migrate = _corpus("migrate", "corpus/demo/battery.parquet", cwd=workdir)
    assert migrate.stdout.strip() == "corpus/demo/battery.parquet: already current (130 rows)"
    export = _corpus("export", "corpus/demo", "--out", "log.jsonl", cwd=workdir)
    assert export.stdout.strip() == "wrote 10789 audit-log lines to log.jsonl"
    sql = _corpus(
        "sql",
        "SELECT count(*) AS n FROM cases WHERE tags['vulnerable'] = 'yes'",
        "--corpus",
        "corpus/demo",
        "--csv",
        cwd=workdir,
    )
    assert sql.stdout == "n\n75\n", sql.stderr


DOCS = (ROOT / "docs" / "corpus.md").read_text(encoding="utf-8")


def test_every_documented_command_line_parses() -> None:
    import shlex

    lines = [ln.removeprefix("$ ") for ln in DOCS.splitlines() if ln.startswith("$ harness corpus")]
    assert len(lines) >= 15
    for line in lines:
        argv = shlex.split(line)[1:]
        try:
            args = build_parser().parse_args(argv)
        except SystemExit:  # pragma: no cover - the message names the line
            pytest.fail(f"docs/corpus.md: {line!r} does not parse")
        assert args.command == "corpus" and callable(args.func), line


def test_the_documented_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    monkeypatch.chdir(ROOT)
    for block in re.findall(r"```python\n(.*?)```", DOCS, re.S):
        code = block.replace('"/tmp/', f'"{tmp_path}/')
        exec(compile(code, "docs/corpus.md", "exec"), {})
