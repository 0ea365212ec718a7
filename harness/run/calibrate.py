"""Calibrating a loaded scenario: score every labelled case's recorded turns, tabulate agreement.

What ``harness calibrate`` runs. The agreement arithmetic is :mod:`harness.scoring.calibration`.

>>> rows = calibrate_plan(load_plan("scenarios/demo-recorded.yaml"))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from harness.run.plan import ReplayPlan
from harness.scoring.base import ScoringCalls
from harness.scoring.calibration import (
    CalibrationEntry,
    CalibrationRow,
    calibration_table,
    collect_calibration,
)


def calibrate_plan(plan: ReplayPlan) -> list[CalibrationRow]:
    """Score the recorded turns of every labelled case of ``plan`` and tabulate agreement.

    Makes judge calls (through the judge's runner, with its cache) only when the scenario
    judges a disclosure; the rules need none.
    """
    return asyncio.run(_calibrate(plan))


async def _calibrate(plan: ReplayPlan) -> list[CalibrationRow]:
    runner = None
    if plan.judge is not None:
        cache = plan.scenario.cache
        runner = plan.judge.make_runner(
            plan.scenario.calls,
            concurrency=plan.scenario.concurrency,
            cache_mode=cache.mode,
            cache_dir=Path(cache.dir),
        )
    entries: list[CalibrationEntry] = []
    try:
        for case in plan.cases():
            if not case.labels:
                continue
            seed = plan.case_seed(case.case_id, 0)
            calls = ScoringCalls(runner, [], case.case_id, 0, seed)
            found = await collect_calibration(plan.scorers, case, calls)
            entries.extend(CalibrationEntry(case.case_id, c, v) for c, v in found.items())
    finally:
        if runner is not None:
            if runner.cache is not None:
                runner.cache.close()
            await runner.aclose()
    return calibration_table(entries)
