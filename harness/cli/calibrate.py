"""``harness calibrate``: how far each scorer agrees with the golden labels, a thin client.

Scores the recorded turns of every labelled case the scenario selects with the rules (and
the judge, for judged disclosures), then prints agreement, Cohen's kappa and the confusion
matrix per disclosure and scorer; ``--json`` prints one object per disclosure and scorer.

Exit status: 0 printed (every judged disclosure meets ``scoring.judge.min_kappa``), 1 a
judge's kappa is below that floor, 2 bad input or configuration::

    harness calibrate scenarios/demo-recorded.yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.errors import ExitStatus
from harness.outputs.console import emit


def register(commands: Any) -> None:
    """Add ``calibrate`` to the ``harness`` command's subparsers."""
    calibrate = commands.add_parser(
        "calibrate",
        help="agreement and Cohen's kappa of each scorer with the golden labels",
        description="Score the recorded turns of every labelled case in SCENARIO's corpus "
        "with the rules and, for judged disclosures, the judge; print agreement, Cohen's "
        "kappa and the confusion matrix per disclosure and scorer. Exit 1 when a judge's "
        "kappa is below scoring.judge.min_kappa, 2 on bad input.",
    )
    calibrate.add_argument("scenario", type=Path, help="scenario file")
    calibrate.add_argument(
        "--json", action="store_true", help="print JSON: one entry per disclosure and scorer"
    )
    calibrate.set_defaults(func=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    """Print the calibration table of ``args.scenario``; errors propagate to the caller."""
    from harness.run.calibrate import calibrate_plan
    from harness.run.plan import load_plan
    from harness.scoring.calibration import floor_violations, format_table

    plan = load_plan(args.scenario)
    rows = calibrate_plan(plan)
    judge = plan.scenario.scoring.judge
    min_kappa = judge.min_kappa if judge is not None and plan.judge is not None else None
    problems = floor_violations(rows, min_kappa, source=str(args.scenario))
    if args.json:
        entries = []
        for row in rows:
            entry = row.as_json()
            if row.scorer == "judge" and min_kappa is not None:
                entry["min_kappa"] = min_kappa
                entry["meets_floor"] = row.kappa is not None and row.kappa >= min_kappa
            entries.append(entry)
        emit(json.dumps(entries, indent=2))
    else:
        labelled = max((r.cases for r in rows), default=0)
        emit(f"scenario {plan.scenario.name}: scorers against golden labels (recorded turns)")
        emit(format_table(rows) if rows else "no labelled case in the corpus selection")
        if rows:
            emit(f"up to {labelled} labelled cases per disclosure; kappa: Cohen's kappa")
    for problem in problems:
        emit(f"harness: below the floor: {problem}", sys.stderr)
    return ExitStatus.GATE_FAILED if problems else ExitStatus.PASSED
