"""``harness estimate``: the calls, tokens and cost of a scenario before it runs (no call made)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.groups import add_command
from harness.errors import ExitStatus
from harness.outputs.console import emit


def register(commands: Any) -> None:
    """Add ``estimate`` to the ``harness`` command's subparsers."""
    estimate = add_command(
        commands,
        "estimate",
        estimate_command,
        "estimate the calls, tokens and cost of a scenario before running it",
    )
    estimate.description = (
        "Count the calls SCENARIO would make and estimate tokens and cost from the price "
        "table, discounting answers already in the response cache. Makes no call."
    )
    estimate.add_argument("scenario", type=Path, help="scenario file")
    estimate.add_argument("--model", metavar="PROVIDER:MODEL_ID", help="estimate for this model")
    estimate.add_argument("--cache-dir", type=Path, help="response cache folder to discount")
    estimate.add_argument(
        "--db",
        type=Path,
        default=Path("reports/harness.duckdb"),
        help="run database holding the baseline run (for a sequential gate's expected saving)",
    )


def estimate_command(args: argparse.Namespace) -> int:
    from harness.replay.cache import ResponseCache
    from harness.run.estimate import JUDGE_ANSWER_TOKENS, estimate_judge, estimate_plan
    from harness.run.plan import load_plan

    plan = load_plan(args.scenario, model=args.model, may_call=False)  # so needs no key
    folder = args.cache_dir or Path(plan.scenario.cache.dir)
    cache = ResponseCache(folder, "read-only", process="estimate") if folder.is_dir() else None
    est = estimate_plan(plan, cache)
    cost = f"${est.cost_usd:,.2f}" if est.cost_usd is not None else "unknown (no price for model)"
    emit(f"scenario {plan.scenario.name}: model {plan.model_label}")
    emit(f"cases x repeats   {est.cases:>12,}")
    emit(f"calls             {est.calls:>12,}  ({est.cached_calls:,} already cached)")
    emit(f"input tokens      {est.input_tokens:>12,}  (estimated: 4 characters a token)")
    emit(f"cache write/read  {est.cache_write_tokens:>12,} / {est.cache_read_tokens:,}")
    emit(f"output tokens     {est.output_tokens:>12,}")
    emit(f"estimated cost    {cost:>12}")
    judge = estimate_judge(plan, cache)
    if judge is not None:
        assert plan.judge is not None
        judge_cost = (
            f"${judge.cost_usd:,.2f}"
            if judge.cost_usd is not None
            else "unknown (no price for the judge's model)"
        )
        policies = ", ".join(f"{c} {p}" for c, p in judge.policies.items())
        emit(f"judge             {plan.judge.settings.label}: {policies}")
        emit(
            f"judge calls       {judge.calls + judge.calibration_calls:>12,}  ({judge.calls:,} "
            f"scoring, {judge.calibration_calls:,} calibrating; {judge.cached_calls:,} "
            "already cached)"
        )
        emit(
            f"judge tokens      {judge.input_tokens:>12,} / {judge.output_tokens:,}  (input / "
            f"output; answers taken as {JUDGE_ANSWER_TOKENS} tokens)"
        )
        emit(f"judge cost        {judge_cost:>12}")
        emit(
            "                  (counted on the recorded turns: the rules' verdicts there decide "
            "where the policy asks the judge)"
        )
    print_expected_saving(plan, args.db)
    budget = plan.scenario.max_cost_usd
    if budget is not None and est.cost_usd is not None and est.cost_usd > budget:
        emit(f"warning: above the scenario's budget of ${budget:,.2f}; the run would stop there")
    return ExitStatus.PASSED


def print_expected_saving(plan: Any, db: Path) -> None:
    """A sequential gate's expected saving, from the scenario's baseline run (if there is one)."""
    if plan.sequential is None:
        return
    from harness.gate.baseline import resolve_baseline
    from harness.run.sequential import expected_saving
    from harness.store.database import RunStore

    if not db.is_file():
        print("sequential gate: no run database yet, so no baseline to estimate the saving from")
        return
    with RunStore(db) as store:
        baseline = resolve_baseline(store, plan.scenario, exclude="")
        saving = expected_saving(plan, store, baseline) if baseline else None
    if saving is None:
        print("sequential gate: no baseline run to estimate the saving from")
        return
    print(saving.words())
