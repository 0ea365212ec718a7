"""The git checkout holding a folder, read from git itself: the one module that runs ``git``
to learn the state of the work tree (the run manifest's commit, branch and dirtiness; the
top level that CI annotations are relative to).

Every question is answered, or is ``None`` when git cannot tell (git missing, the folder
outside any checkout, a command that fails or hangs for more than ten seconds); nothing here
raises for it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def _git(folder: Path, *args: str) -> str | None:
    """``git ARGS`` run in ``folder``: its stripped output, or ``None`` when it fails."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(folder: Path) -> dict[str, Any]:
    """The git state of the checkout holding ``folder``, stated exactly.

    ``state`` is ``not_a_repository`` (git is missing, or ``folder`` is outside any
    checkout), ``no_commit`` (a repository without a commit yet) or ``commit``; ``dirty``
    whether any file differs from the commit, a new file git does not ignore included (the
    run may have read it); ``None`` when it could not be told.
    """
    if _git(folder, "rev-parse", "--is-inside-work-tree") != "true":
        return {"state": "not_a_repository", "commit": None, "branch": None, "dirty": None}
    commit = _git(folder, "rev-parse", "--verify", "--quiet", "HEAD")
    status = _git(folder, "status", "--porcelain", "--untracked-files=normal")
    return {
        "state": "commit" if commit else "no_commit",
        "commit": commit,
        "branch": _git(folder, "symbolic-ref", "--short", "--quiet", "HEAD"),  # None: detached
        "dirty": bool(status) if status is not None else None,
    }


def top_level(folder: Path) -> Path | None:
    """The top folder of the work tree holding ``folder`` (resolved), or ``None`` outside one."""
    found = _git(folder, "rev-parse", "--show-toplevel")
    return Path(found).resolve() if found else None
