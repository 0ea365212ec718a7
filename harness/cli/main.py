"""The ``harness`` command: one entry point, one error handler, a module per command group.

Exit status (:class:`harness.errors.ExitStatus`): 0 the gate passed, 1 the gate failed,
2 bad input or configuration, named in one message on stderr and never a traceback;
130 after SIGINT, 143 after SIGTERM (:mod:`harness.cli.interrupts`).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from harness.cli import (
    calibrate,
    corpus,
    demo,
    disclosures,
    estimate,
    history,
    init,
    report,
    run,
    verify,
)
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
    for group in (
        init,
        run,
        estimate,
        demo,
        corpus,
        calibrate,
        disclosures,
        history,
        report,
        verify,
    ):
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
    except BrokenPipeError:
        # The reader left (`harness calibrate --json | head`): nothing more can be shown, and
        # a traceback would only say so; the later flush must not fail on the closed pipe.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.BROKEN_PIPE


def entry() -> NoReturn:
    """The installed ``harness`` command: :func:`main`, then :func:`exit_now`."""
    exit_now(main())


def exit_now(status: int) -> NoReturn:
    """Exit with ``status`` once the output is flushed and the ``atexit`` handlers have run,
    without tearing the interpreter down.

    The teardown finalises every module and object one by one; after a run, with the SDK's
    three thousand modules loaded, that took 0.4 s to several seconds on a busy machine
    (docs/benchmarks.md), all of it after the command's last line, while CI waits. Nothing
    is left to do by then: every file the command wrote is closed, and the handlers that
    ``atexit`` holds (logging, multiprocessing, a coverage collector) still run.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe has nothing to flush
            stream.flush()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    entry()
