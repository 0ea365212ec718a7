"""Overlapped calls under pytest: each process replays its cases ahead of its test items.

pytest runs one item at a time, but a replay is almost all waiting for the model. So each
process (an xdist worker, or the single process under ``-n 0``) starts a background thread
with an event loop that replays *all the cases this process will run*, in order, with up
to its share of the scenario's concurrency in flight; each test item then only waits for
its own case's result and reports it. Calls overlap while every case stays one test item.
Under a sequential gate the replay is kept a few cases ahead of the items (``lead``), so
the controller, which learns of each case from its item's report, can stop it in time.

Which cases a worker will run is known in advance because the plugin's scheduler
(:class:`harness.pytest.scheduling.CaseScheduling`) assigns items to workers by a stable
hash of the case id, and a worker computes the same assignment for itself.

>>> prefetcher = Prefetcher(plan, runner, on_done=writer.add)  # doctest: +SKIP
>>> prefetcher.start([(case, 0) for case in my_cases])  # doctest: +SKIP
>>> prefetcher.result("case-001", 0).scores  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from harness.corpus.cases import Case
from harness.replay.calls import CallRunner
from harness.run.case import CaseReplay
from harness.run.plan import ReplayPlan
from harness.run.process import replay_stream

Key = tuple[str, int]


class Prefetcher:
    """Replays a process's cases on a background event loop; items wait for their result."""

    def __init__(
        self,
        plan: ReplayPlan,
        runner: CallRunner,
        on_done: Callable[[CaseReplay], None],
        *,
        lead: int | None = None,
    ) -> None:
        """``lead`` bounds how many cases the replay may start beyond those whose result a
        test item has taken: under a sequential gate the controller only learns of a case
        from its item's report, and an unbounded replay would run far ahead of the reports
        (all of a worker's cases, on a fast server) and make calls the gate did not need.
        """
        self._plan = plan
        self._runner = runner
        self._on_done = on_done
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="harness-prefetch", daemon=True
        )
        self._lock = threading.Lock()
        self._futures: dict[Key, concurrent.futures.Future[CaseReplay]] = {}
        self._started = False
        self._lead = lead
        self._bounded: set[Key] = set()  #: the keys of the first start, the lead applies to
        self._admitted = 0  #: cases of the first start taken by the replay
        self._taken = 0  #: of those, results taken by an item
        self._room = asyncio.Condition()

    def start(self, items: Sequence[tuple[Case, int]]) -> None:
        """Begin replaying ``items`` in order in the background."""
        first = not self._started
        with self._lock:
            for case, repeat in items:
                self._futures.setdefault((case.case_id, repeat), concurrent.futures.Future())
                if first and self._lead is not None:
                    self._bounded.add((case.case_id, repeat))
        if first:
            self._thread.start()
            self._started = True
        admit = self._admit if first and self._lead is not None else None
        asyncio.run_coroutine_threadsafe(self._replay(list(items), admit), self._loop)

    def result(self, case: Case, repeat: int) -> CaseReplay:
        """The replayed case, waiting for it; a case not prefetched is replayed now."""
        key = (case.case_id, repeat)
        with self._lock:
            future = self._futures.get(key)
        if future is None:
            self.start([(case, repeat)])
            with self._lock:
                future = self._futures[key]
        replayed = future.result()
        with self._lock:
            self._futures.pop(key, None)
            bounded = key in self._bounded
            self._bounded.discard(key)
        if bounded:
            asyncio.run_coroutine_threadsafe(self._took_one(), self._loop)
        return replayed

    def close(self) -> None:
        if self._started:
            asyncio.run_coroutine_threadsafe(self._runner.aclose(), self._loop).result(timeout=60)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=60)
        self._loop.close()

    async def _admit(self) -> None:
        lead = self._lead
        assert lead is not None
        async with self._room:
            await self._room.wait_for(lambda: self._admitted - self._taken < lead)
            self._admitted += 1

    async def _took_one(self) -> None:
        async with self._room:
            self._taken += 1
            self._room.notify_all()

    async def _replay(
        self, items: list[tuple[Case, int]], admit: Callable[[], Awaitable[None]] | None
    ) -> None:
        def done(replayed: CaseReplay) -> None:
            self._on_done(replayed)
            self._settle((replayed.case.case_id, replayed.repeat), result=replayed)

        try:
            await replay_stream(self._plan, items, self._runner, done, admit)
        except BaseException as exc:  # a fatal stop: every case still waiting learns why
            for case, repeat in items:
                self._settle((case.case_id, repeat), error=exc)
            if not isinstance(exc, Exception):
                raise

    def _settle(self, key: Key, *, result: CaseReplay | None = None, error: Any = None) -> None:
        with self._lock:
            future = self._futures.get(key)
        if future is None or future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]
