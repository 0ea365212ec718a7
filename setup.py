"""Packaging hook: the wheel carries the demo's scenarios and corpus and the format docs.

They live at the repository root (``scenarios/``, ``corpus/``, ``docs/``), where the tests
and the README use them; ``build_py`` copies the ones ``harness/demo/project.py`` names
into ``harness/demo/shipped/`` of the build, so ``harness demo`` works from a wheel and
``harness init --help`` points to docs that are installed.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def shipped_files() -> tuple[str, ...]:
    """DEMO_FILES and DOC_FILES, read from the module's source (harness is not importable)."""
    tree = ast.parse((ROOT / "harness" / "demo" / "project.py").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in {"DEMO_FILES", "DOC_FILES"}:
                    found[target.id] = tuple(ast.literal_eval(node.value))
    if set(found) != {"DEMO_FILES", "DOC_FILES"}:
        raise RuntimeError("harness/demo/project.py must define DEMO_FILES and DOC_FILES")
    return found["DEMO_FILES"] + found["DOC_FILES"]


class BuildWithDemo(build_py):
    """``build_py`` that also copies the demo's files into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install finds them in the checkout
            return
        target = Path(self.build_lib) / "harness" / "demo" / "shipped"
        for name in shipped_files():
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True)
            else:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithDemo})
