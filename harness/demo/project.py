"""The demo's files as a project folder: its scenarios, disclosures, prompt and corpus.

An installed wheel carries them as package data (``harness/demo/shipped/``, copied there by
``setup.py`` from the repository's ``scenarios/`` and ``corpus/``); a source checkout has them
in place. :func:`copy_demo_project` writes them into a folder of the user's, where
``harness demo`` replays them, so the demo runs the same from a wheel as from a clone.

This module imports only the harness's error tree; ``setup.py`` reads :data:`DEMO_FILES` and
:data:`DOC_FILES` from its source to learn what to copy.

>>> "scenarios/demo-baseline.yaml" in DEMO_FILES
True
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.errors import ConfigError

#: What the demo needs, relative to the project folder: the files and whole folders copied.
#: The scenarios name their corpus as ``../corpus/...``, so the layout is kept.
DEMO_FILES = (
    "scenarios/demo-baseline.yaml",
    "scenarios/demo-candidate.yaml",
    "scenarios/demo-recorded.yaml",
    "scenarios/disclosures",
    "scenarios/prompts/broker_agent",
    "corpus/demo",
    "corpus/demo-hard",
)

#: The file formats' documentation, which the wheel carries too (``harness init --help``).
DOC_FILES = (
    "docs/scenarios.md",
    "docs/disclosures.md",
    "docs/prompts.md",
    "docs/corpus.md",
)

#: Where the wheel keeps them, inside this package.
PACKAGED = Path(__file__).resolve().parent / "shipped"
#: The source checkout this module sits in, when it is one.
CHECKOUT = Path(__file__).resolve().parents[2]


def demo_source() -> Path:
    """The folder that holds :data:`DEMO_FILES`: the installed package data, else the checkout.

    >>> (demo_source() / "scenarios" / "demo-baseline.yaml").is_file()
    True
    """
    for root in (PACKAGED, CHECKOUT):
        if all((root / name).exists() for name in DEMO_FILES):
            return root
    raise ConfigError(
        f"the demo's files are not installed: neither {PACKAGED} nor {CHECKOUT} holds "
        f"{DEMO_FILES[0]}; reinstall the package (pip install --force-reinstall replay-harness)"
    )


def docs_folder() -> Path:
    """Where the format documentation is: the installed copy, else the checkout's ``docs/``.

    >>> (docs_folder() / "scenarios.md").is_file()
    True
    """
    for root in (PACKAGED, CHECKOUT):
        if all((root / name).is_file() for name in DOC_FILES):
            return root / "docs"
    return PACKAGED / "docs"  # not reached in an installed package: the wheel carries them


def copy_demo_project(dest: Path) -> Path:
    """Copy the demo's scenarios and corpus into ``dest`` (new or empty); return ``dest``.

    Refuses a folder that already holds files, so nothing of the user's is overwritten.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = copy_demo_project(Path(tmp) / "demo")
    ...     sorted(p.name for p in (root / "scenarios").glob("*.yaml"))
    ['demo-baseline.yaml', 'demo-candidate.yaml', 'demo-recorded.yaml']
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConfigError(
            f"{dest}: already exists and is not an empty folder; "
            "name a new folder for the demo's files, or remove this one"
        )
    source = demo_source()
    for name in DEMO_FILES:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (source / name).is_dir():
            shutil.copytree(source / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source / name, target)
    return dest
