"""Packaging hook: the wheel carries the demo's scenarios and corpus as package data.

They live at the repository root (``scenarios/``, ``corpus/``), where the tests and the
README use them; ``build_py`` copies the ones :data:`harness.demo.project.DEMO_FILES` names
into ``harness/demo/shipped/`` of the build, so ``harness demo`` works from a wheel.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def demo_files() -> tuple[str, ...]:
    """DEMO_FILES, read from the module's source (the package is not importable here)."""
    tree = ast.parse((ROOT / "harness" / "demo" / "project.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DEMO_FILES" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise RuntimeError("harness/demo/project.py defines no DEMO_FILES")


class BuildWithDemo(build_py):
    """``build_py`` that also copies the demo's files into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install finds them in the checkout
            return
        target = Path(self.build_lib) / "harness" / "demo" / "shipped"
        for name in demo_files():
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True)
            else:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithDemo})
