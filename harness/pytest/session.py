"""One process's state in a scenario session: its plan, its share and its replay machinery.

The pytest plugin (:mod:`harness.pytest.plugin`) keeps one in ``config.stash``, in the
controller and in each xdist worker. It says which cases the process replays
(:meth:`SessionState.owns`), starts their background replay (:mod:`harness.pytest.prefetch`)
with the process's share of the concurrency and budget, writes each finished case to the
process's Parquet part, and, under a sequential gate, raises the stop flag once the verdict
is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness.corpus.cases import Case
from harness.pytest.prefetch import Prefetcher
from harness.pytest.scheduling import assigned_worker
from harness.pytest.sequential import StopFlag
from harness.replay.calls import CallRunner
from harness.run.case import CaseReplay
from harness.run.finish import RunOutcome
from harness.run.folder import Shard
from harness.run.parts import PartWriter
from harness.run.plan import ReplayPlan
from harness.run.sequential import SequentialWatch


@dataclass
class SessionState:
    """Per-process state of a scenario session, kept in ``config.stash``."""

    plan: ReplayPlan
    run_id: str
    out_dir: Path
    db_path: Path
    process: str
    is_controller: bool
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    workers: int = 1
    worker_index: int = 0
    prefetcher: Prefetcher | None = None
    runner: CallRunner | None = None
    writer: PartWriter | None = None
    shard: Shard | None = None
    outcome: RunOutcome | None = None
    finish_error: str | None = None
    fatal_errors: list[str] = field(default_factory=list)
    numbered: int = 0  #: workers numbered so far (the controller's count)
    #: The controller's, when the gate is sequential: every finished case's statuses.
    watch: SequentialWatch | None = None

    @property
    def stop_flag(self) -> StopFlag | None:
        """Raised by the controller once the sequential gate knows the verdict."""
        if self.plan.sequential is None or self.shard is not None:
            return None  # a shard replays its cases in full (as `harness run --shard`)
        return StopFlag(self.out_dir)

    def owns(self, case_id: str) -> bool:
        """Whether this process replays ``case_id``: its share under xdist, every case alone.

        The split :class:`~harness.pytest.scheduling.CaseScheduling` sends items by, so a
        worker prefetches exactly the items it will be sent.
        """
        return assigned_worker(case_id, self.workers) == self.worker_index

    def prefetch(self, items: list[tuple[Case, int]]) -> None:
        """Start replaying this process's cases in the background (see harness.pytest.prefetch)."""
        if self.prefetcher is None:
            concurrency = -(-self.plan.scenario.concurrency // max(1, self.workers))
            self.runner = self.plan.make_runner(
                process=self.process,
                concurrency=concurrency,
                budget_share=1.0 / max(1, self.workers),
            )
            self.writer = PartWriter(
                self.out_dir / "parts", self.process, run_id=self.run_id, plan=self.plan
            )
            self.runner.journal = self.writer.journal  # calls on disk as they end
            if self.stop_flag is not None:
                self.stop_flag.guard(self.runner)  # stop calling once the verdict is known
            # Under a sequential gate a worker's replay stays a few cases ahead of its items,
            # whose reports are how the controller learns that the verdict is known.
            lead = 2 * concurrency + 2 if self.stop_flag is not None else None
            self.prefetcher = Prefetcher(self.plan, self.runner, on_done=self._case_done, lead=lead)
        self.prefetcher.start(items)

    @property
    def feeds_watch_itself(self) -> bool:
        """Under ``-n 0`` the one process's prefetcher gives the watch each finished case.

        Its background replay runs ahead of the test items, so waiting for their reports
        would let it replay cases the gate no longer needs (all of them, on a fast server).
        An xdist controller neither collects nor replays, so it has no prefetcher.
        """
        return self.watch is not None and self.prefetcher is not None

    def _case_done(self, replayed: CaseReplay) -> None:
        assert self.writer is not None
        self.writer.add(replayed)
        flag = self.stop_flag
        watch = self.watch if self.feeds_watch_itself else None
        if (
            watch is not None
            and flag is not None
            and not watch.decided
            and watch.add_replay(replayed)
        ):
            flag.raise_flag()

    def replay(self, case: Case, repeat: int) -> CaseReplay:
        if self.prefetcher is None:
            self.prefetch([])
        assert self.prefetcher is not None
        return self.prefetcher.result(case, repeat)

    def close(self) -> None:
        if self.prefetcher is not None:
            self.prefetcher.close()
        if self.writer is not None:
            self.writer.close()
        if self.runner is not None and self.runner.cache is not None:
            self.runner.cache.close()
