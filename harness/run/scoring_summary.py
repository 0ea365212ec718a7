"""A finished run's scoring summary, read from the run store, and how the run scored.

>>> summary = summarise_scoring(store, plan, run_id)  # doctest: +SKIP
>>> summary.refused  # doctest: +SKIP
()
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from harness.run.calibrate import calibrate_plan
from harness.run.plan import ReplayPlan
from harness.scoring.calibration import (
    GATED,
    CalibrationEntry,
    calibration_floor,
    calibration_table,
    floor_violations,
)
from harness.scoring.repeats import repeat_report
from harness.scoring.rubrics import rubric_path
from harness.scoring.summary import ScoringSummary
from harness.store.database import RunStore


def summarise_scoring(store: RunStore, plan: ReplayPlan, run_id: str) -> ScoringSummary:
    """The scoring summary of ``run_id`` (whose parts are already in ``store``).

    Calibration comes from the scenario's calibration set when it names one (scored now,
    on the recorded turns), else from the labelled cases the run replayed.
    """
    scenario = plan.scenario
    if scenario.calibration.paths:
        rows = tuple(calibrate_plan(plan))
    else:
        entries = [
            CalibrationEntry(row["case_id"], criterion, verdicts)
            for row in store.calibration_entries(run_id)
            for criterion, verdicts in json.loads(row["calibration"]).items()
        ]
        rows = tuple(calibration_table(entries, review_counts_as=scenario.gate.review_counts_as))
    judge = scenario.scoring.judge
    min_kappa = judge.min_kappa if judge is not None and plan.judge is not None else None
    source = str(scenario.source_path or scenario.name)
    refused = tuple(floor_violations(rows, min_kappa, source=source))
    floor_missing = tuple(
        calibration_floor(
            [r for r in rows if r.scorer == GATED],
            plan.criteria,
            min_cases=scenario.calibration.min_cases,
            max_false_pass_rate=scenario.calibration.max_false_pass_rate,
            source=source,
        )
    )
    repeats = plan.scenario.repeats
    report = repeat_report(store.repeat_outcomes(run_id), repeats) if repeats > 1 else None
    judge_calls = store.call_totals(run_id, purpose="judge") if plan.judge is not None else None
    return ScoringSummary(
        rows,
        refused,
        report,
        min_kappa,
        judge_calls,
        judge.label if judge and plan.judge else None,
        floor_missing=floor_missing,
        review_counts_as=scenario.gate.review_counts_as,
    )


def scoring_manifest(plan: ReplayPlan) -> dict[str, Any]:
    """How the run scored, for the manifest: modes, the judge and its rubrics' hashes."""
    scenario = plan.scenario
    settings = scenario.scoring
    judge = settings.judge if plan.judge is not None else None
    rubrics = {}
    if judge is not None:
        for pinned in plan.disclosures:
            if settings.mode_for(pinned.id).mode != "rules":
                path = rubric_path(scenario.disclosure_folder, pinned.id)
                rubrics[pinned.id] = {
                    "path": str(path),
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                }
    return {
        "modes": {d.id: settings.mode_for(d.id).model_dump(mode="json") for d in plan.disclosures},
        "judge": None
        if judge is None
        else {"provider": judge.provider, "id": judge.id, "min_kappa": judge.min_kappa},
        "rubrics": rubrics,
        "ragas": [m.model_dump(mode="json") for m in settings.ragas.metrics],
        "repeat_policy": scenario.repeat_policy,
    }
