"""``harness disclosures check [FOLDER]``: every approved and superseded version's approved
wording must pass its own rules.

A thin client over :func:`harness.scoring.wording.wording_problems`, which a scenario's load
also runs on the versions it pins. Exit status: 0 every version passes, 2 a folder that cannot
be loaded or a wording its rules would fail, each named by disclosure, version and key fact::

    harness disclosures check scenarios/disclosures
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.cli.groups import DISCLOSURES, add_command
from harness.errors import ConfigError, ExitStatus
from harness.outputs.console import emit

#: The versions whose wording was or is in force; a draft may still be wrong.
CHECKED_STATUSES = ("approved", "superseded")


def register(commands: Any) -> None:
    """Add ``harness disclosures`` (with ``check``) to the CLI's sub-commands."""
    group = commands.add_parser(
        "disclosures",
        help="check the disclosure registry",
        description="Commands over a disclosure registry folder (one <id>.yaml per disclosure).",
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = add_command(
        actions,
        "check",
        run_check,
        "score each approved and superseded version's own approved wording with its rules: "
        "every key fact must be found, sure, and no contradiction or opposite may match; exit "
        "2 naming the disclosure, version and key fact of each that fails",
    )
    check.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=DISCLOSURES,
        help=f"disclosure registry folder (default: {DISCLOSURES})",
    )


def run_check(args: argparse.Namespace) -> int:
    from harness.config.disclosures import load_registry
    from harness.scoring.wording import wording_problems

    registry = load_registry(args.folder)
    problems: list[str] = []
    checked = 0
    for disclosure_id in registry.ids:
        for version in registry.disclosure(disclosure_id).versions:
            if version.status not in CHECKED_STATUSES:
                continue
            checked += 1
            problems += wording_problems(registry.pin(disclosure_id, version.version))
    if problems:
        for problem in problems[:-1]:
            emit(f"harness: error: {args.folder}: {problem}", sys.stderr)
        raise ConfigError(f"{args.folder}: {problems[-1]}")
    emit(
        f"{args.folder}: the approved wording of all {checked} approved and superseded "
        f"versions of {len(registry.ids)} disclosures passes its own rules"
    )
    return ExitStatus.PASSED
