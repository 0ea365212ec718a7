"""Streaming cases through the model: up to C calls in flight, rows into part files.

What one process does in a run, whichever process it is: ``harness run`` itself, one of its
worker processes (:mod:`harness.run.workers.pool`), or a pytest-xdist worker's prefetcher
(:mod:`harness.pytest.prefetch`). :func:`replay_stream` overlaps cases (each case's turns in order)
with the runner's concurrency; :func:`replay_into_parts` wraps it with the process's part
writer. Finishing the run from all the parts is :mod:`harness.run.finish`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.corpus.cases import Case
from harness.errors import RunInterrupted
from harness.replay.calls import CallRunner
from harness.run.case import CaseReplay, not_run_case, replay_case
from harness.run.interrupt import Interruption, cancel_task
from harness.run.parts import PartWriter
from harness.run.plan import ReplayPlan
from harness.run.progress import ProgressSink
from harness.run.sequential import SEQUENTIAL_STOP, SequentialWatch


@dataclass(frozen=True)
class ReplayStats:
    """What one process's replay did: cases, calls made, cache hits, and why it stopped early."""

    cases: int
    calls_made: int
    cache_hits: int
    spent_usd: float
    stopped: str | None


def replay_into_parts(
    plan: ReplayPlan,
    cases: Iterable[Case],
    *,
    parts_dir: Path,
    process: str,
    run_id: str,
    runner: CallRunner | None = None,
    skip: set[tuple[str, int]] | None = None,
    progress: ProgressSink | None = None,
    interruption: Interruption | None = None,
    watch: SequentialWatch | None = None,
) -> ReplayStats:
    """Replay ``cases`` (every repeat) into this process's part files.

    Up to the runner's concurrency cases are in flight at once; each case's turns run in
    order. If the run is stopped cleanly (circuit breaker, budget, time bound), the cases
    left are written as ``not_run``; a fatal stop or a configuration error propagates after
    the rows already finished are flushed. A request on ``interruption`` cancels the cases
    in flight (never written), flushes the finished ones and raises :class:`RunInterrupted`.
    A sequential ``watch`` stops the runner cleanly once the verdict is known.
    """
    runner = runner or plan.make_runner(process=process)
    with PartWriter(parts_dir, process, run_id=run_id, plan=plan) as writer:
        runner.journal = writer.journal

        async def replay() -> int:
            work = _replay_all(plan, cases, writer, runner, skip or set(), progress, watch)
            if interruption is None:
                return await work
            task = asyncio.current_task()
            assert task is not None
            with interruption.attached(cancel_task(task)):
                return await work

        try:
            done = asyncio.run(replay())
        except asyncio.CancelledError:
            if interruption is None or interruption.signum is None:
                raise
            raise RunInterrupted(interruption.signum) from None
        finally:
            runner.journal = None
            if runner.cache is not None:
                runner.cache.close()
    return ReplayStats(
        cases=done,
        calls_made=runner.calls_made,
        cache_hits=runner.cache.hits if runner.cache is not None else 0,
        spent_usd=runner.spent_usd,
        stopped=str(runner.stopped) if runner.stopped is not None else None,
    )


async def _replay_all(
    plan: ReplayPlan,
    cases: Iterable[Case],
    writer: PartWriter,
    runner: CallRunner,
    skip: set[tuple[str, int]],
    progress: ProgressSink | None,
    watch: SequentialWatch | None = None,
) -> int:
    def on_done(replayed: CaseReplay) -> None:
        writer.add(replayed)
        if progress is not None:
            progress.case_done(replayed, runner)
        if watch is not None and watch.add_replay(replayed):
            runner.stop(SEQUENTIAL_STOP)

    items = (
        (case, repeat)
        for case in cases
        for repeat in range(plan.scenario.repeats)
        if (case.case_id, repeat) not in skip
    )
    try:
        done_count = await replay_stream(plan, items, runner, on_done)
    finally:
        await runner.aclose()
    if progress is not None:
        progress.finish(runner)
    return done_count // plan.scenario.repeats


@contextlib.contextmanager
def _settled_heap() -> Iterator[None]:
    """Collect once and freeze what this process holds, for the replay (:func:`gc.freeze`).

    A replay allocates a great many short-lived objects, so the collector runs often, and
    each full collection would walk every object loaded at startup: the SDK's types, the
    harness, pandas. Frozen, they are not walked; what the replay allocates is collected
    as usual. At 256 calls in flight this cut a worker's CPU per call by about a sixth
    (docs/benchmarks.md). Unfrozen afterwards, so the process ends as it would have (frozen
    objects would outlive the interpreter's last collection, and native extensions such as
    DuckDB's report them as leaks on exit). A worker process is left as its forkserver froze
    it: unfrozen, its next full collection would copy every page it shares with the others.
    """
    if gc.get_freeze_count():  # a worker: its forkserver froze what it shares, for good
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def replay_stream(
    plan: ReplayPlan,
    items: Iterable[tuple[Case, int]],
    runner: CallRunner,
    on_done: Callable[[CaseReplay], None],
    admit: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Replay ``(case, repeat)`` items with up to the runner's concurrency in flight.

    Items are started in order and ``on_done`` is called as each finishes (in completion
    order). After a clean stop the items left are reported ``not_run`` without calls; a
    fatal stop or a configuration error propagates once in-flight items are cancelled.
    ``admit``, when given, is awaited before each item is taken (a bound on how far the
    replay may run ahead of whoever reads its results). Returns the number of items reported.
    """
    # A few more cases than calls in flight: while C calls wait on the network, a case
    # between two turns (or being scored) does not leave a call slot idle. The runner's
    # limiter keeps calls in flight at C; far more lanes only add scheduling work.
    ceiling = runner.limiter.ceiling
    limit = ceiling + max(2, ceiling // 8)
    iterator = iter(items)
    done_count = 0

    async def lane() -> None:
        # Lanes share one iterator, so items start in order; each lane runs one at a time.
        nonlocal done_count
        while True:
            if admit is not None:
                await admit()
            taken = next(iterator, None)
            if taken is None:
                return
            case, repeat = taken
            if runner.stopped is not None and not runner.stopped.fatal:
                replayed = not_run_case(plan, case, repeat=repeat, reason=str(runner.stopped))
            else:
                replayed = await replay_case(plan, runner, case, repeat=repeat)
            if runner.stopped is not None and runner.stopped.fatal:
                raise runner.stopped  # a case cut short by a fatal stop is not reported
            on_done(replayed)
            done_count += 1

    with _settled_heap():
        lanes = [asyncio.ensure_future(lane()) for _ in range(limit)]
        try:
            await asyncio.gather(*lanes)
        finally:  # one lane failed (a fatal stop, a bad case): stop the others, then raise
            for task in lanes:
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
    return done_count
