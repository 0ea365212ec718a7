"""``harness demo``: replay the shipped demo; the baseline passes, the candidate is caught."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.groups import add_command, add_db_option
from harness.errors import ExitStatus
from harness.outputs.console import emit

#: Each demo scenario and whether its gate is designed to pass.
EXPECTED = {"demo-baseline": True, "demo-candidate": False}


def register(commands: Any) -> None:
    """Add ``demo`` to the ``harness`` command's subparsers."""
    demo = add_command(
        commands,
        "demo",
        demo_command,
        "replay the shipped demo: the baseline passes, the candidate's regression is caught",
    )
    demo.description = (
        "Replay scenarios/demo-baseline.yaml (expected to pass) and then "
        "scenarios/demo-candidate.yaml (expected to fail the gate: its prompt drops the "
        "commission disclosure for hurried customers). Exit 0 when both behave as designed."
    )
    demo.add_argument("--scenarios", type=Path, default=Path("scenarios"), help="scenario folder")
    add_db_option(demo)


def demo_command(args: argparse.Namespace) -> int:
    from harness.outputs.table import gate_table
    from harness.run.finish import run_scenario
    from harness.run.plan import load_plan

    outcomes = {}
    for name, should_pass in EXPECTED.items():
        plan = load_plan(args.scenarios / f"{name}.yaml")
        emit(f"\n== {name}: {plan.scenario.description.strip()}")
        outcome = run_scenario(plan, db_path=args.db)
        assert outcome is not None  # not a shard
        outcomes[name] = outcome
        emit(
            f"{outcome.cases} cases replayed through {plan.model_label}, prompt {plan.prompt_label}"
        )
        emit(gate_table(outcome.gate))
        emit(outcome.gate.headline())
        emit(f"report: {outcome.report_path}")
        expectation = "expected to pass" if should_pass else "expected to fail"
        as_designed = outcome.gate.passed == should_pass
        status = ExitStatus.PASSED if outcome.gate.passed else ExitStatus.GATE_FAILED
        emit(
            f"exit status would be {int(status)} ({expectation}: "
            f"{'as designed' if as_designed else 'NOT as designed'})"
        )
    emit()
    if all(outcomes[n].gate.passed == p for n, p in EXPECTED.items()):
        emit(
            "Demo worked as designed: the baseline passes the gate, and the candidate's "
            "regression is caught (its gate fails, which is the point of the demo)."
        )
        return ExitStatus.PASSED
    emit("Demo did NOT work as designed: see the tables above.")
    return ExitStatus.GATE_FAILED
