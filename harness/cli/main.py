"""The ``harness`` command: one entry point, one error handler, a module per command group.

Exit status (:class:`harness.errors.ExitStatus`): 0 the gate passed, 1 the gate failed,
2 bad input or configuration, named in one message on stderr and never a traceback;
130 after SIGINT, 143 after SIGTERM (:mod:`harness.cli.interrupts`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness.cli import calibrate, corpus, demo, disclosures, estimate, history, report, run, verify
from harness.cli.interrupts import stop_on_signals
from harness.errors import ExitStatus, HarnessError
from harness.outputs.console import emit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Replay a corpus of historical cases through a model, score every "
        "disclosure, gate on pass rates and write an HTML report.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (run, estimate, demo, corpus, calibrate, disclosures, history, report, verify):
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv[1:]  # after the command's name: what `harness run` repeats to resume
    try:
        with stop_on_signals():  # `harness run` installs its own, replay-aware handlers
            return int(args.func(args))
    except HarnessError as exc:
        emit(f"harness: error: {exc}", sys.stderr)
        return ExitStatus.USAGE
    except KeyboardInterrupt as exc:  # SIGINT or SIGTERM outside a replay
        emit("harness: interrupted", sys.stderr)
        return getattr(exc, "exit_status", ExitStatus.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
