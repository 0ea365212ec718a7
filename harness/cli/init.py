"""``harness init [DIR]``: a minimal project of one's own that passes its gate right away.

It writes one disclosure with two key facts, a prompt, a scenario on the ``recorded``
provider, 20 example cases as JSON Lines and imported to Parquet, a workflow using the
harness's GitHub Action, a ``.gitignore`` and a README of what to edit next. The files are
package data (``harness/cli/init_files/``); nothing that exists is ever overwritten.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from harness.cli.groups import add_command
from harness.errors import ConfigError, ExitStatus

#: The files ``init`` copies, as a project's tree.
TEMPLATE = Path(__file__).resolve().parent / "init_files"
#: Template names written under another name: dot-files do not travel well as package data.
RENAMED = {"github": ".github", "gitignore": ".gitignore"}
#: The corpus ``init`` imports from the example cases, relative to the project.
EXAMPLES = Path("corpus/examples/cases.jsonl")
CORPUS = Path("corpus/cases.parquet")
SCENARIO = Path("scenarios/candidate.yaml")


def register(commands: Any) -> None:
    """Add ``init`` to the ``harness`` command's subparsers."""
    from harness.demo.project import docs_folder

    init = add_command(
        commands,
        "init",
        init_command,
        "write a minimal working project: a disclosure, a prompt, a scenario, 20 cases, a workflow",
    )
    init.description = (
        "Write a minimal project into DIR (default: the current folder) whose gate passes "
        "right away: one disclosure with two key facts, a prompt, a scenario on the recorded "
        "provider, 20 example cases as JSON Lines and imported to Parquet, a GitHub workflow "
        "using the harness's action, and a README of what to edit next. Refuses when any of "
        "those files exists already."
    )
    init.epilog = (
        "The file formats (scenarios.md, disclosures.md, prompts.md, corpus.md) are in "
        f"{docs_folder()}."
    )
    init.add_argument(
        "dir", nargs="?", type=Path, default=Path("."), metavar="DIR", help="project folder"
    )


def planned_files(dest: Path) -> list[tuple[Path, Path]]:
    """Each template file and where ``init`` writes it under ``dest``, in a stable order."""
    pairs = []
    for source in sorted(TEMPLATE.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        parts = source.relative_to(TEMPLATE).parts
        target = Path(RENAMED.get(parts[0], parts[0]), *parts[1:])
        pairs.append((source, dest / target))
    return pairs


def init_command(args: argparse.Namespace) -> int:
    from harness.config.disclosures import load_registry
    from harness.golden.importers import import_files

    dest: Path = args.dir
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest}: is a file; name a folder for the project")
    pairs = planned_files(dest)
    taken = [t for _, t in pairs if t.exists()] + [dest / CORPUS] * (dest / CORPUS).exists()
    if taken:
        names = ", ".join(str(t.relative_to(dest)) for t in taken[:3])
        more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
        raise ConfigError(
            f"{dest}: already holds {names}{more}; harness init never overwrites a file: "
            "run it in a new or empty folder (harness init DIR), or move those files away"
        )
    for source, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    registry = load_registry(dest / "scenarios" / "disclosures")
    report = import_files([dest / EXAMPLES], dest / CORPUS, registry=registry)
    if report.rejects or report.imported != 20:  # the shipped examples are known good
        raise ConfigError(f"{dest / EXAMPLES}: {len(report.rejects)} example cases rejected")
    print(f"wrote a replay-gate project into {dest}:")
    for _, target in pairs:
        print(f"  {target.relative_to(dest)}")
    print(f"  {CORPUS} ({report.imported} cases imported from {EXAMPLES})")
    where = "" if dest == Path(".") else f"cd {dest} && "
    print(f"next: {where}harness run {SCENARIO}   (then read README.md: what to edit next)")
    return ExitStatus.PASSED
