"""Building the command line: a sub-command with its handler, shared by every command group.

Command modules import only this, :mod:`argparse`, :mod:`harness.errors` and
:mod:`harness.outputs.console` (everything they print goes through it) at the top, and
the library inside their handlers, so ``harness --help`` loads nothing heavy.

>>> parser = argparse.ArgumentParser(prog="harness")
>>> group = parser.add_subparsers()
>>> add_command(group, "hello", lambda args: 0, "say hello").prog
'harness hello'
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.store import DEFAULT_DB

Handler = Callable[[argparse.Namespace], int]

#: Where the disclosure registry is unless a command is told otherwise.
DISCLOSURES = Path("scenarios/disclosures")
#: The response cache modes (:data:`harness.config.calls.CACHE_MODES`; a test keeps them equal).
CACHE_MODES = ("read-write", "read-only", "off", "require")


def add_command(
    group: Any, name: str, handler: Handler, help: str, *, registry: bool = False
) -> argparse.ArgumentParser:
    """Add sub-command ``name`` to ``group``; ``registry`` adds ``--disclosures``."""
    parser: argparse.ArgumentParser = group.add_parser(name, help=help, description=help)
    parser.set_defaults(func=handler)
    if registry:
        parser.add_argument(
            "--disclosures",
            type=Path,
            default=DISCLOSURES,
            help=f"disclosure registry folder (default: {DISCLOSURES})",
        )
    return parser


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """The ``--db`` option, the same on every command that reads or writes the run database."""
    parser.add_argument(
        "--db", type=Path, default=DEFAULT_DB, help=f"run database (default: {DEFAULT_DB})"
    )
