"""`make demo` installs only what the demo needs; `make test` adds the tools and extras.

Asked of make itself (``make -n``, which prints the commands a target would run) in a fresh
folder holding the Makefile and what its install rules depend on, so nothing is installed.
The time this saves is a measured figure in the README (`make demo` from a clean clone).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _planned(tmp_path: Path, target: str) -> list[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "tools").mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / "tools" / name, tmp_path / "tools" / name)
    # Run under `make test`, a child make would inherit MAKEFLAGS and MAKELEVEL and print
    # "make[1]: Entering directory" lines around the plan.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target, "PYTHON=python3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def test_make_demo_installs_the_project_alone_and_runs_the_demo(tmp_path: Path) -> None:
    planned = _planned(tmp_path, "demo")
    installs = [line for line in planned if " install " in line]
    assert installs == [".venv/bin/python -m pip install --quiet -c constraints.txt -e ."]
    assert not any("npm" in line or "[dev]" in line for line in planned), planned
    assert planned[-1] == ".venv/bin/harness demo"


def test_make_test_adds_the_dev_extra_and_the_node_tools(tmp_path: Path) -> None:
    planned = _planned(tmp_path, "test")
    assert any('-e ".[dev]"' in line for line in planned), planned
    assert any(line.startswith("npm ci --prefix tools") for line in planned), planned
