"""Calibrating a loaded scenario: score labelled cases' recorded turns, tabulate agreement.

The labelled cases are the scenario's calibration set (``calibration.paths``) or, without
one, the labelled cases of its corpus selection. What ``harness calibrate`` runs, what a run
shows beside each pass rate, and what the calibration floor is checked against. The
arithmetic is :mod:`harness.scoring.calibration`.

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
    """Score the recorded turns of every labelled case and tabulate agreement, per scorer
    and for the verdict the gate counts.

    Makes judge calls (through the judge's runner, with its cache) only when the scenario
    judges a disclosure; the rules need none.
    """
    entries = asyncio.run(_entries(plan))
    return calibration_table(entries, review_counts_as=plan.scenario.gate.review_counts_as)


async def _entries(plan: ReplayPlan) -> list[CalibrationEntry]:
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
        for case in plan.calibration_cases():
            seed = plan.case_seed(case.case_id, 0)
            calls = ScoringCalls(runner, [], case.case_id, 0, seed)
            found = await collect_calibration(plan.scorers, case, calls)
            entries.extend(CalibrationEntry(case.case_id, c, v) for c, v in found.items())
    finally:
        if runner is not None:
            if runner.cache is not None:
                runner.cache.close()
            await runner.aclose()
    return entries
