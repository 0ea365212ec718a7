"""SIGINT and SIGTERM on the command line: one line, the right exit status, no traceback.

GitHub sends SIGINT when a job is cancelled (then SIGTERM, then SIGKILL); a terminal sends
SIGINT on Ctrl-C. During ``harness run`` the first signal asks the replay to stop
(:class:`harness.run.interrupt.Interruption`): no case in flight is committed, the finished
ones are, and the command prints ``interrupted: N of M cases committed; finish with
harness run ... --resume RUN`` and exits 130 (SIGINT) or 143 (SIGTERM). A second signal
stops at once, writing nothing more. Outside a replay a signal ends the command straight
away with the same statuses.

>>> resume_command("scenarios/x.yaml", ["scenarios/x.yaml", "--db", "h.db"], "x-1", "o")
'harness run scenarios/x.yaml --resume x-1 --out o --db h.db'
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from harness.errors import ExitStatus, RunInterrupted

if TYPE_CHECKING:
    from harness.run.interrupt import Interruption

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The options of ``harness run`` that a resumed run needs as they were, with or without
#: a value (--out and --resume are written by resume_command itself).
_KEPT_WITH_VALUE = (
    "--db",
    "--db-wait",
    "--model",
    "--cache",
    "--cache-dir",
    "--concurrency",
    "--processes",
)
_KEPT_FLAGS = ("--batch",)


@contextlib.contextmanager
def stop_on_signals(interruption: Interruption | None = None) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM stop the command cleanly.

    With ``interruption`` (a :class:`harness.run.interrupt.Interruption`), the first signal
    is handed to it; when no replay is attached to it, or with none, the signal raises
    :class:`RunInterrupted` where the command is.
    """

    def handle(signum: int, _frame: FrameType | None) -> None:
        if interruption is not None:
            if interruption.requested:  # the second one: stop at once
                os.write(2, b"interrupted again: stopped at once\n")
                os._exit(_status(signum))
            if interruption.request(signum):
                return  # the replay stops itself and raises RunInterrupted
        raise RunInterrupted(signum)

    previous = {signum: signal.signal(signum, handle) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def resume_command(scenario: str, argv: Sequence[str], run_id: str, out_dir: str) -> str:
    """The ``harness run`` command that finishes run ``run_id`` in ``out_dir``, keeping the
    options of ``argv`` (the interrupted command's arguments after ``run``) it needs."""
    words = ["harness", "run", scenario, "--resume", run_id, "--out", out_dir]
    args = list(argv)
    for i, arg in enumerate(args):
        name, has_value, value = arg.partition("=")
        if name in _KEPT_WITH_VALUE:
            if has_value:
                words += [name, value]
            elif i + 1 < len(args):
                words += [name, args[i + 1]]
        elif arg in _KEPT_FLAGS:
            words.append(arg)
    return shlex.join(words)


def interrupted_line(
    stop: RunInterrupted, total: int | None, resume: str | None, *, bound: bool = False
) -> str:
    """The one line an interrupted run prints; ``bound``: ``total`` is an upper bound."""
    if stop.run_id is None or resume is None:
        return "interrupted before the run started: nothing was replayed"
    of = f" of {'at most ' if bound else ''}{total:,}" if total else ""
    return f"interrupted: {stop.committed:,}{of} cases committed; finish with {resume}"


def _status(signum: int) -> int:
    return ExitStatus.TERMINATED if signum == signal.SIGTERM else ExitStatus.INTERRUPTED
