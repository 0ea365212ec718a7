"""The run manifest's git state, stated exactly (harness/git.py), and the checkout's top level."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.git import git_state, top_level


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def test_a_folder_outside_git_says_so(tmp_path: Path) -> None:
    assert git_state(tmp_path) == {
        "state": "not_a_repository",
        "commit": None,
        "branch": None,
        "dirty": None,
    }


def test_a_repository_without_a_commit_says_so(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    (tmp_path / "scenario.yaml").write_text("name: x\n")
    assert git_state(tmp_path) == {
        "state": "no_commit",
        "commit": None,
        "branch": "trunk",
        "dirty": True,
    }


@pytest.mark.parametrize(
    ("change", "dirty"),
    [
        (None, False),
        ("edit", True),  # a tracked file changed
        ("add", True),  # a new file not yet added: the run may have read it
        ("ignored", False),  # a file git is told to ignore
    ],
)
def test_a_commit_says_whether_the_work_tree_differs(
    tmp_path: Path, change: str | None, dirty: bool
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "scenario.yaml").write_text("name: x\n")
    (tmp_path / ".gitignore").write_text("reports/\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    if change == "edit":
        (tmp_path / "scenario.yaml").write_text("name: y\n")
    elif change == "add":
        (tmp_path / "prompt.j2").write_text("hello\n")
    elif change == "ignored":
        (tmp_path / "reports").mkdir()
        (tmp_path / "reports" / "report.html").write_text("<p>\n")
    info = git_state(tmp_path / "reports" if change == "ignored" else tmp_path)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert info == {"state": "commit", "commit": head, "branch": "main", "dirty": dirty}


def test_the_top_level_is_the_checkouts_root_from_any_folder_in_it(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "scenarios" / "disclosures").mkdir(parents=True)
    assert top_level(tmp_path / "scenarios" / "disclosures") == tmp_path.resolve()
    assert top_level(tmp_path) == tmp_path.resolve()


@pytest.mark.parametrize("where", ["plain folder", "missing folder"])
def test_outside_a_checkout_there_is_no_top_level(tmp_path: Path, where: str) -> None:
    folder = tmp_path / "nothing-here" if where == "missing folder" else tmp_path
    assert top_level(folder) is None
