"""Stopping a replay on request (SIGINT, SIGTERM) without committing a case cut short.

An :class:`Interruption` is what the edge that owns the signals (the ``harness`` command, or
a worker process told by its parent) hands to the replay. The replay attaches a stop
callback while it runs; :meth:`Interruption.request` calls it, which cancels every case in
flight (their rows are never written), and the replay then commits the cases already
finished and raises :class:`harness.errors.RunInterrupted`. Outside a replay there is
nothing to cancel: :meth:`request` says so and the edge raises at once.

Nothing here installs a signal handler: that is the caller's business.

>>> interruption = Interruption()
>>> interruption.request(2)  # no replay attached: the caller raises RunInterrupted itself
False
>>> interruption.signum
2
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from harness.errors import RunInterrupted


class Interruption:
    """Which signal asked this process to stop, and how to stop the replay running now.

    Safe to call from a signal handler (the main thread, between two bytecodes) and from
    other threads: the lock is re-entrant and the stop callbacks only schedule work.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._stop: Callable[[], None] | None = None
        self._lock = threading.RLock()

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int) -> bool:
        """Ask the replay to stop; False when none is attached (nothing was cancelled)."""
        with self._lock:
            if self.signum is None:
                self.signum = signum
            stop = self._stop
        if stop is None:
            return False
        stop()
        return True

    @contextmanager
    def attached(self, stop: Callable[[], None]) -> Iterator[None]:
        """While the block runs, a request calls ``stop`` (at once if one came already)."""
        with self._lock:
            self._stop = stop
            pending = self.signum is not None
        if pending:
            stop()
        try:
            yield
        finally:
            with self._lock:
                self._stop = None

    def check(self) -> None:
        """Raise :class:`RunInterrupted` if a stop was requested."""
        if self.signum is not None:
            raise RunInterrupted(self.signum)


def cancel_task(task: asyncio.Task[object]) -> Callable[[], None]:
    """A stop callback that cancels ``task`` on its own event loop, from any thread."""
    loop = task.get_loop()

    def stop() -> None:
        loop.call_soon_threadsafe(task.cancel)

    return stop
