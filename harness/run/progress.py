"""Progress of a replay: a live line on a terminal, periodic plain lines in CI logs.

>>> progress = Progress(total=640, stream=sys.stderr, live=sys.stderr.isatty())  # doctest: +SKIP
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from harness.replay.calls import CallRunner
    from harness.run.case import CaseReplay


class CallTotals(Protocol):
    """Calls made and cost so far: a :class:`CallRunner`, or the sum over worker processes."""

    @property
    def calls_made(self) -> int: ...

    @property
    def spent_usd(self) -> float: ...


class ProgressSink(Protocol):
    """What a replay reports to as cases finish (:class:`Progress`, or a worker's relay)."""

    def case_done(self, replayed: CaseReplay, runner: CallRunner) -> None: ...

    def finish(self, runner: CallRunner) -> None: ...


class Progress:
    """Counts finished cases and reports: done, rate, ETA, errors, calls and cost so far.

    ``live``: redraw one line in place (a terminal), at most five times a second.
    Otherwise: print a plain line every ``interval_s`` seconds (CI logs stay readable).
    ``total`` may be an upper bound (a tag filter or shard selects fewer), shown as "≤".
    """

    def __init__(
        self,
        total: int | None,
        stream: TextIO,
        *,
        live: bool,
        interval_s: float = 10.0,
        total_is_bound: bool = False,
    ) -> None:
        self.total = total
        self.stream = stream
        self.live = live
        self.interval_s = 0.2 if live else interval_s
        self.bound = total_is_bound
        self.done = 0
        self.errors = 0
        self._started = time.monotonic()
        self._last = 0.0

    def case_done(self, replayed: CaseReplay, runner: CallRunner) -> None:
        self.add(1, int(any(s.status == "error" for s in replayed.scores)), runner)

    def add(self, done: int, errors: int, totals: CallTotals) -> None:
        """Count ``done`` more finished cases, ``errors`` of them with an error."""
        self.done += done
        self.errors += errors
        now = time.monotonic()
        if now - self._last >= self.interval_s:
            self._last = now
            self._emit(totals, final=False)

    def finish(self, runner: CallTotals) -> None:
        self._emit(runner, final=True)

    def line(self, runner: CallTotals) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = self.done / elapsed
        of = f" of {'≤' if self.bound else ''}{self.total:,}" if self.total else ""
        eta = ""
        if self.total and rate > 0 and self.done < self.total:
            eta = f", ETA {_duration((self.total - self.done) / rate)}"
        return (
            f"replayed {self.done:,}{of} cases, {rate:,.1f}/s{eta}, {self.errors:,} errors, "
            f"{runner.calls_made:,} calls, ${runner.spent_usd:,.2f}"
        )

    def _emit(self, runner: CallTotals, *, final: bool) -> None:
        text = self.line(runner)
        if self.live:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
