"""The sequential gate under pytest: the controller decides, every replaying process stops.

Under ``pytest --harness-scenario`` the cases are replayed by each xdist worker's prefetcher
(or by the one process's, under ``-n 0``), but only the controller sees every case finish:
each case item's report carries the case's status per criterion (:func:`attach_statuses`),
and pytest-xdist sends the report, with it, to the controller. There a
:class:`~harness.run.sequential.SequentialWatch` reads them (:func:`feed`); once it knows
the full replay's verdict the controller raises a :class:`StopFlag`, a file in the run's
folder that every replaying process checks before each model call, as a ``harness run``
worker checks its parent's flag. The cases left are then replayed as ``not_run`` without a
call (:data:`~harness.run.sequential.SEQUENTIAL_STOP` is their reason) and their items are
skipped (:func:`stopped_by_the_gate`); the gate decides at finish from the same prefix of
the random order.

>>> flag = StopFlag(Path(out_dir))  # doctest: +SKIP
>>> flag.guard(runner)  # before each call: stop once the controller raised it  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.replay.calls import CallRunner
from harness.run.case import CaseReplay
from harness.run.sequential import SEQUENTIAL_STOP, SequentialWatch, case_statuses

#: The flag's file name in the run folder; removed before the run is finished.
FLAG = ".sequential-decided"
#: The attribute of a case item's call report that carries [case id, repeat, statuses].
REPORT_KEY = "harness_case"


class StopFlag:
    """The controller's "the verdict is known", seen by every process of the session."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / FLAG

    def raise_flag(self) -> None:
        self.path.touch()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def guard(self, runner: CallRunner) -> None:
        """Make ``runner`` stop cleanly before its next call once the flag is raised."""
        previous = runner.before_call
        path = self.path

        def before_call() -> None:
            if previous is not None:
                previous()
            if path.exists():  # one stat per call, next to a model call
                runner.stop(SEQUENTIAL_STOP)
                runner.check()

        runner.before_call = before_call


def attach_statuses(report: Any, replayed: CaseReplay) -> None:
    """Carry ``replayed``'s statuses on its item's report (xdist serializes the attribute)."""
    setattr(report, REPORT_KEY, [replayed.case.case_id, replayed.repeat, case_statuses(replayed)])


def feed(watch: SequentialWatch, report: Any) -> bool:
    """Give ``watch`` the case a report carries; True once the run may stop."""
    carried = getattr(report, REPORT_KEY, None)
    if carried is None:
        return watch.decided
    case_id, repeat, statuses = carried
    return watch.add(str(case_id), int(repeat), dict(statuses))


def stopped_by_the_gate(replayed: CaseReplay) -> bool:
    """Whether ``replayed`` was not run because the sequential gate had decided."""
    return replayed.transcript.error == f"not run: {SEQUENTIAL_STOP}"
