"""Replay processes: one ``harness run`` spread over the machine's cores.

A replay is I/O-bound until the client's own work per call (the SDK building the request and
parsing the answer, the harness replaying and scoring) fills a core: at C = 256 calls in
flight and 100 ms per call that is 2,560 calls a second, more than one Python process can
drive. So a large run starts one worker process per core, each with its share of the
concurrency and of the cost budget, replaying blocks of 64 consecutive selected cases that
the workers claim in turn from a shared counter (:class:`harness.corpus.selection.ClaimedBlocks`:
a worker that gets more CPU takes more blocks, so all finish together), into its own part
files in the run folder, exactly as pytest-xdist workers or shards do. The parent only relays
progress and waits; it then finishes the run from all the parts
(:func:`harness.run.finish.finish_run`).

Workers are forked from a ``forkserver`` that :func:`warm_up` starts as soon as the command
knows it will need them: the server imports the harness and the SDK while the parent loads
the plan, so a worker starts in milliseconds rather than the second those imports take, and
it inherits no thread, lock or open file from the parent. A worker re-loads the scenario
from its file (with the same ``--model`` override), so no adapter, client or open file
crosses a process boundary. A worker whose parent dies (kill -9, a cancelled CI job) exits
at once, so a resumed run repeats no call. Workers ignore SIGINT and SIGTERM: the parent,
told by the command line, asks each to stop over its pipe; each cancels its cases in flight,
commits those finished and reports back. An error in any worker stops the others and is
raised again in the parent, as the same error class.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import secrets
import select
import signal
import threading
import time
import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.corpus.selection import BLOCK_CASES, ClaimedBlocks
from harness.errors import ModelError, RunInterrupted
from harness.run.interrupt import Interruption
from harness.run.workers import MIN_CASES_PER_PROCESS, ablation, forkserver

if TYPE_CHECKING:
    from harness.replay.calls import CallRunner
    from harness.run.case import CaseReplay
    from harness.run.process import ReplayStats
    from harness.run.progress import Progress
    from harness.run.sequential import SequentialWatch

MAX_PROCESSES = 8
_RELAY_INTERVAL_S = 0.25
#: How long workers asked to stop get to commit what they finished before they are killed.
_STOP_GRACE_S = 30.0


def auto_processes(items: int, concurrency: int, *, cpus: int | None = None) -> int:
    """How many replay processes ``--processes auto`` uses for ``items`` (case × repeat).

    One per core, but no more than one per :data:`MIN_CASES_PER_PROCESS` items, never more
    processes than calls in flight, and at most :data:`MAX_PROCESSES`.

    >>> auto_processes(640, 8, cpus=2), auto_processes(10_000, 64, cpus=2)
    (1, 2)
    """
    cpus = cpus or os.cpu_count() or 1
    return max(1, min(cpus, items // MIN_CASES_PER_PROCESS, concurrency, MAX_PROCESSES))


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs to rebuild the plan and its runner (all picklable).

    The command line fills in the first part; :func:`harness.run.finish.run_scenario` the run's.
    """

    count: int
    scenario_path: str
    model: str | None
    concurrency: int  # the run's total; each worker takes its share
    cache_mode: str | None = None
    cache_dir: str | None = None
    # The run's own, set by run_scenario:
    parts_dir: str = ""
    run_id: str = ""
    shard: str | None = None
    skip_committed: bool = False  # a resumed run: skip the cases already in the parts
    preload: tuple[str, ...] = ()  # the model adapter's own (ModelAdapter.preload)
    block_cases: int = BLOCK_CASES  # cases per claimed block (selection.block_cases)
    sequential: bool = False  # the random order; each finished case's statuses go to the parent

    def share(self, index: int) -> int:
        """Worker ``index``'s calls in flight: the total split as evenly as it goes."""
        base, rest = divmod(self.concurrency, self.count)
        return max(1, base + (1 if index < rest else 0))


def warm_up(spec: WorkerSpec) -> None:
    """Start the forkserver now, importing what ``spec``'s workers need in the background."""
    forkserver.context(spec.preload)
    forkserver.start()


def replay_in_processes(
    spec: WorkerSpec,
    progress: Progress | None,
    *,
    interruption: Interruption | None = None,
    sequential: SequentialWatch | None = None,
) -> ReplayStats:
    """Run ``spec.count`` worker processes to completion and add up what they did.

    Raises the first worker's error (same class, same message) after stopping the others;
    rows every worker already committed stay in the parts, so ``--resume`` continues. A
    request on ``interruption`` is passed to every worker, which cancels its cases in flight
    and commits the finished ones; then :class:`RunInterrupted` is raised here. A
    ``sequential`` watch reads every case the workers finish; once it has decided, a flag
    the workers check before each call stops them cleanly (the cases left are ``not_run``).
    """
    from harness.run.process import ReplayStats

    context = forkserver.context(spec.preload)
    messages = context.Queue()
    blocks = context.Value("q", 0)  # the next block of cases no worker has claimed
    decided = context.Value("b", 0)  # set once the sequential watch knows the verdict
    # The parent keeps the only write end of the lifeline: a worker reading EOF knows the
    # parent is gone. Each worker's own pipe carries a "stop" when the run is interrupted.
    lifeline, keep_alive = context.Pipe(duplex=False)
    pipes = [context.Pipe(duplex=False) for _ in range(spec.count)]
    workers = [
        context.Process(
            target=_worker_main,
            args=(spec, index, messages, (lifeline, pipes[index][0]), (blocks, decided)),
            name=f"harness-replay-{index}",
            daemon=True,
        )
        for index in range(spec.count)
    ]
    started: list[Any] = []
    results: dict[int, ReplayStats] = {}
    server_pid: int | None = None  # the forkserver's pid, as a worker saw it
    stopped: set[int] = set()  # workers that stopped on the interruption
    totals = _Totals()
    failure: BaseException | None = None
    told_at: float | None = None
    watch = interruption.attached(lambda: None) if interruption else contextlib.nullcontext()
    try:
        with watch:  # a signal now only sets the flag: this loop passes it on
            forkserver.start()
            # Started inside the watch: a signal while a worker starts (the first waits
            # for the forkserver's imports) must not leave a worker half started, reading
            # its arguments after this function has gone and their semaphores with it.
            for worker in workers:
                worker.start()
                started.append(worker)
            while len(results) + len(stopped) < spec.count and failure is None:
                if interruption is not None and interruption.signum and told_at is None:
                    told_at = time.monotonic()
                    for _reader, writer in pipes:
                        with contextlib.suppress(OSError):
                            writer.send(("stop", interruption.signum))
                if told_at is not None and time.monotonic() - told_at > _STOP_GRACE_S:
                    break  # a worker did not stop in time: it is killed below
                try:
                    message = messages.get(timeout=0.05 if told_at is None else 0.2)
                except queue.Empty:
                    failure = _dead_worker(workers, results.keys() | stopped)
                    continue
                kind, index, payload = message
                if kind == "progress":
                    totals.update(index, *payload)
                    if progress is not None:
                        progress.add(payload[0], payload[1], totals)
                elif kind == "sequential":
                    if sequential is not None and sequential.add(*payload):
                        decided.value = 1
                elif kind == "started":
                    server_pid = payload
                elif kind == "done":
                    results[index] = payload
                else:  # "error"
                    error = _rebuild_error(*payload)
                    if isinstance(error, RunInterrupted):
                        stopped.add(index)
                    else:
                        failure = error
    finally:
        if failure is not None or len(results) + len(stopped) < spec.count:
            for worker in started:
                if worker.is_alive():
                    worker.kill()  # workers ignore SIGTERM: their parent stops them
        for worker in started:
            worker.join(timeout=30)
        messages.close()
        keep_alive.close()
        for _reader, writer in pipes:
            writer.close()
        if server_pid is not None:
            forkserver.stop(server_pid)
    if failure is not None:
        raise failure
    if interruption is not None:
        interruption.check()
    if progress is not None:
        progress.finish(totals)
    stopped_reasons = [s.stopped for s in results.values() if s.stopped]
    return ReplayStats(
        cases=sum(s.cases for s in results.values()),
        calls_made=sum(s.calls_made for s in results.values()),
        cache_hits=sum(s.cache_hits for s in results.values()),
        spent_usd=sum(s.spent_usd for s in results.values()),
        stopped="; ".join(dict.fromkeys(stopped_reasons)) or None,
    )


class _Totals:
    """Calls and cost so far, over all workers (what :class:`Progress` shows)."""

    def __init__(self) -> None:
        self._calls: dict[int, int] = {}
        self._spent: dict[int, float] = {}

    def update(self, index: int, _done: int, _errors: int, calls: int, spent: float) -> None:
        self._calls[index] = calls
        self._spent[index] = spent

    @property
    def calls_made(self) -> int:
        return sum(self._calls.values())

    @property
    def spent_usd(self) -> float:
        return sum(self._spent.values())


class _ProgressRelay:
    """A worker's progress sink: batches finished cases and sends them to the parent."""

    def __init__(self, index: int, messages: Any, *, sequential: bool = False) -> None:
        self.index = index
        self.messages = messages
        self.sequential = sequential
        self.done = 0
        self.errors = 0
        self._last = time.monotonic()

    def case_done(self, replayed: CaseReplay, runner: CallRunner) -> None:
        if self.sequential:  # at once: the parent's watch decides when the run may stop
            from harness.run.sequential import case_statuses

            payload = (replayed.case.case_id, replayed.repeat, case_statuses(replayed))
            self.messages.put(("sequential", self.index, payload))
        self.done += 1
        if any(s.status == "error" for s in replayed.scores):
            self.errors += 1
        if time.monotonic() - self._last >= _RELAY_INTERVAL_S:
            self._send(runner)

    def finish(self, runner: CallRunner) -> None:
        self._send(runner)

    def _send(self, runner: CallRunner) -> None:
        self._last = time.monotonic()
        payload = (self.done, self.errors, runner.calls_made, runner.spent_usd)
        self.messages.put(("progress", self.index, payload))
        self.done = self.errors = 0


def _worker_main(
    spec: WorkerSpec, index: int, messages: Any, pipes: tuple[Any, Any], shared: tuple[Any, Any]
) -> None:
    # First of all, before any collection can walk them: everything this worker inherited
    # from the forkserver (the harness, the SDK, pandas) moves to the permanent generation,
    # so the worker's collections never walk those objects, nor copy the pages it shares
    # with the other workers (the gc.freeze recipe for fork without exec).
    if ablation.gc_freeze():  # on unless a benchmark switches it off
        gc.freeze()
    # Ctrl-C reaches the whole process group, and a CI job's cancellation may too: the
    # parent alone decides, and tells each worker over its pipe (see _exit_with_parent).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    lifeline, stops = pipes
    interruption = Interruption()
    _exit_with_parent(lifeline, stops, interruption)
    messages.put(("started", index, os.getppid()))  # the forkserver, for the parent to stop
    try:
        blocks, decided = shared
        check = _parent_check(lifeline)
        stats = _replay_share(spec, index, messages, blocks, interruption, check, decided)
        messages.put(("done", index, stats))
    except BaseException as exc:  # everything goes back to the parent, which decides
        messages.put(("error", index, _describe_error(exc)))
    finally:
        messages.close()
        messages.join_thread()


def _replay_share(
    spec: WorkerSpec,
    index: int,
    messages: Any,
    blocks: Any,
    interruption: Interruption,
    parent_check: Callable[[], None],
    decided: Any = None,
) -> ReplayStats:
    from harness.run.folder import RunFolder, Shard
    from harness.run.plan import load_plan
    from harness.run.process import replay_into_parts

    plan = load_plan(
        spec.scenario_path,
        model=spec.model,
        preflight=False,
        sequential=spec.sequential,
        cache_mode=spec.cache_mode,  # type: ignore[arg-type]
    )
    process = f"p{index}-{secrets.token_hex(3)}"
    runner = plan.make_runner(
        process=process,
        concurrency=spec.share(index),
        cache_mode=spec.cache_mode,  # type: ignore[arg-type]
        cache_dir=Path(spec.cache_dir) if spec.cache_dir else None,
        budget_share=1 / spec.count,
    )
    runner.before_call = parent_check

    if decided is not None and spec.sequential:
        from harness.run.sequential import SEQUENTIAL_STOP

        def before_call() -> None:
            parent_check()
            if decided.value:  # the parent's sequential watch knows the verdict
                runner.stop(SEQUENTIAL_STOP)
                runner.check()

        runner.before_call = before_call
    shard = Shard.parse(spec.shard) if spec.shard is not None else None
    share = ClaimedBlocks(_claimer(blocks), size=spec.block_cases)
    cases = plan.cases(in_shard=shard.contains if shard else None, share=share)
    parts = Path(spec.parts_dir)
    skip = RunFolder(parts.parent).completed() if spec.skip_committed else set()
    return replay_into_parts(
        plan,
        cases,
        parts_dir=parts,
        process=process,
        run_id=spec.run_id,
        runner=runner,
        skip=skip,
        progress=_ProgressRelay(index, messages, sequential=spec.sequential),
        interruption=interruption,
    )


def _claimer(blocks: Any) -> Callable[[], int]:
    """Claims the next block of cases from the counter every worker of the run shares."""

    def claim() -> int:
        with blocks.get_lock():
            block = int(blocks.value)
            blocks.value = block + 1
        return block

    return claim


def _exit_with_parent(lifeline: Any, stops: Any, interruption: Interruption) -> None:
    """Leave at once when the parent process is gone, so an orphan makes no further call;
    stop cleanly when the parent sends ``("stop", signum)`` on ``stops``."""

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                ready = multiprocessing.connection.wait([lifeline, stops])
                if lifeline in ready:
                    break  # only its end makes it readable: the parent is gone
                kind, signum = stops.recv()
                if kind == "stop":
                    interruption.request(signum)
        os._exit(3)

    threading.Thread(target=watch, name="harness-parent-watch", daemon=True).start()


def _parent_check(lifeline: Any) -> Callable[[], None]:
    """Checked before each call: exit if the parent is gone. The watching thread needs the
    GIL to act, which a busy event loop can hold for a tenth of a second; this check sees
    the lifeline's end the moment it happens, so no call starts after the parent's death."""
    descriptor = lifeline.fileno()

    def check() -> None:
        if select.select([descriptor], [], [], 0)[0]:
            os._exit(3)

    return check


def _describe_error(exc: BaseException) -> tuple[bytes | None, str, str, str]:
    """The error as the parent will raise it: pickled whole when it can be (every harness
    error pickles with its fields), else its class name, message and traceback."""
    try:
        pickled: bytes | None = pickle.dumps(exc)
    except Exception:  # an outside library's error that does not pickle
        pickled = None
    return pickled, type(exc).__name__, str(exc), traceback.format_exc()


def _rebuild_error(pickled: bytes | None, name: str, message: str, trace: str) -> BaseException:
    if pickled is not None:
        with contextlib.suppress(Exception):
            error: BaseException = pickle.loads(pickled)
            return error
    return RuntimeError(f"a replay process failed with {name}: {message}\n{trace}")


def _dead_worker(workers: list[Any], finished: Collection[int]) -> BaseException | None:
    for index, worker in enumerate(workers):
        if index not in finished and worker.exitcode not in (None, 0):
            return ModelError(
                f"replay process {index} died (exit code {worker.exitcode}) before it "
                "finished; the cases it committed are kept: run again with --resume"
            )
    return None
