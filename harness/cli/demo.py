"""``harness demo``: replay the shipped demo; the baseline passes, the candidate is caught."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.groups import add_command, add_db_option
from harness.errors import ConfigError, ExitStatus
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
        "commission disclosure for hurried customers). Exit 0 when both behave as designed. "
        "In a checkout of the project it uses the checkout's scenarios/ and writes reports/; "
        "anywhere else it first copies the demo's scenarios and corpus (installed with the "
        "package) into --into DIR, or a new temporary folder, and runs them there."
    )
    demo.add_argument(
        "--scenarios",
        type=Path,
        default=None,
        help="scenario folder holding demo-baseline.yaml and demo-candidate.yaml "
        "(default: ./scenarios when it holds them, else the copied demo's)",
    )
    demo.add_argument(
        "--into",
        type=Path,
        metavar="DIR",
        help="copy the demo's scenarios and corpus into DIR (new or empty) and run them there; "
        "its reports and run database go to DIR/reports/",
    )
    add_db_option(demo)
    demo.set_defaults(db=None)  # reports/harness.duckdb of the folder the demo runs in


def demo_folder(args: argparse.Namespace) -> tuple[Path, Path]:
    """The scenario folder the demo replays and the folder its reports go to."""
    from harness.demo.project import copy_demo_project

    if args.into is not None and args.scenarios is not None:
        raise ConfigError(
            "--scenarios replays a folder you have and --into copies the shipped demo: choose one"
        )
    if args.scenarios is not None:
        return args.scenarios, Path("reports")
    here = Path("scenarios")
    if args.into is None and all((here / f"{name}.yaml").is_file() for name in EXPECTED):
        return here, Path("reports")
    if args.into is None:
        import tempfile

        root = copy_demo_project(Path(tempfile.mkdtemp(prefix="harness-demo-")))
    else:
        root = copy_demo_project(args.into)
    emit(f"demo files copied to {root} (scenarios/, corpus/); reports go to {root / 'reports'}")
    return root / "scenarios", root / "reports"


def demo_command(args: argparse.Namespace) -> int:
    from harness.outputs.table import gate_table
    from harness.run.finish import new_run_id, run_scenario
    from harness.run.plan import load_plan

    scenarios, reports = demo_folder(args)
    db_path = args.db if args.db is not None else reports / "harness.duckdb"
    outcomes = {}
    for name, should_pass in EXPECTED.items():
        plan = load_plan(scenarios / f"{name}.yaml")
        emit(f"\n== {name}: {plan.scenario.description.strip()}")
        run_id = new_run_id(plan.scenario.name)
        outcome = run_scenario(plan, out_dir=reports / run_id, db_path=db_path, run_id=run_id)
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
