"""The ``harness`` command: a thin client over the library.

Exit status: 0 the gate passed, 1 the gate failed, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.cli.calibrate import register as register_scoring
from harness.cli.corpus import register as register_corpus
from harness.cli.history import register as register_history
from harness.config.scenario import Scenario
from harness.corpus.files import count_cases
from harness.corpus.selection import block_cases
from harness.errors import ConfigError, HarnessError
from harness.outputs.github import publish_step_summary
from harness.outputs.table import gate_table
from harness.plugins.registry import Registries, build_registries
from harness.replay.cache import CACHE_MODES
from harness.run.finish import DEFAULT_DB, RunOutcome, run_scenario
from harness.run.folder import Shard, find_unfinished
from harness.run.merge import merge_runs
from harness.run.plan import load_plan
from harness.run.progress import Progress
from harness.run.workers.pool import MIN_CASES_PER_PROCESS, WorkerSpec, auto_processes, warm_up
from harness.store.database import RunStore

EXIT_PASS, EXIT_GATE_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Replay a corpus of historical cases through a model, score every "
        "disclosure, gate on pass rates and write an HTML report.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="replay a scenario, gate it and write its report",
        description="Replay SCENARIO's corpus, score each disclosure, gate on the thresholds "
        "and write report.html, results.parquet and manifest.json. Exit 0 when every "
        "criterion passes, 1 when the gate fails, 2 on bad input.",
    )
    run.add_argument(
        "scenario", type=Path, help="scenario file, e.g. scenarios/demo-candidate.yaml"
    )
    run.add_argument("--out", type=Path, help="output folder (default: reports/<run-id>/)")
    run.add_argument(
        "--db", type=Path, default=DEFAULT_DB, help=f"run database (default: {DEFAULT_DB})"
    )
    run.add_argument("--concurrency", type=int, help="calls in flight (default: the scenario's)")
    run.add_argument(
        "--processes",
        default="auto",
        metavar="N|auto",
        help="replay in N worker processes sharing the concurrency (default: auto, one per "
        f"core once there are {MIN_CASES_PER_PROCESS:,} cases per process; 1 with --batch)",
    )
    run.add_argument(
        "--model",
        metavar="PROVIDER:MODEL_ID",
        help="replay through this model instead of the scenario's, "
        "e.g. anthropic:claude-sonnet-4-6 or openai-compatible:llama-3.1-8b",
    )
    run.add_argument(
        "--cache",
        choices=CACHE_MODES,
        help="response cache mode (default: the scenario's, normally read-write)",
    )
    run.add_argument(
        "--cache-dir", type=Path, help="response cache folder (default: .harness-cache)"
    )
    run.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="RUN_ID",
        help="finish an interrupted run: the latest unfinished run of this scenario, or "
        "RUN_ID (its folder under reports/, or --out); cases already committed are not "
        "replayed and paid answers come from the response cache",
    )
    run.add_argument(
        "--shard",
        metavar="K/N",
        help="replay only shard K of N (a stable split by case id); gate the shards "
        "together with `harness merge`",
    )
    run.add_argument(
        "--batch",
        action="store_true",
        help="answer through the provider's message batches (half price, slower); re-running "
        "with the same --out resumes the batches already submitted",
    )
    merge = commands.add_parser(
        "merge",
        help="combine shard run folders into one run, gate it and write one report",
        description="Merge the folders written by `harness run --shard K/N` (all N shards "
        "of one scenario, model, prompt, disclosures and corpus) into one run in the "
        "database, gate it and write report.html, results.parquet and manifest.json.",
    )
    merge.add_argument("folders", type=Path, nargs="+", metavar="DIR", help="shard run folders")
    merge.add_argument("--out", type=Path, help="output folder (default: reports/<run-id>/)")
    merge.add_argument(
        "--db", type=Path, default=DEFAULT_DB, help=f"run database (default: {DEFAULT_DB})"
    )

    estimate = commands.add_parser(
        "estimate",
        help="estimate the calls, tokens and cost of a scenario before running it",
        description="Count the calls SCENARIO would make and estimate tokens and cost from "
        "the price table, discounting answers already in the response cache. Makes no call.",
    )
    estimate.add_argument("scenario", type=Path, help="scenario file")
    estimate.add_argument("--model", metavar="PROVIDER:MODEL_ID", help="estimate for this model")
    estimate.add_argument("--cache-dir", type=Path, help="response cache folder to discount")

    demo = commands.add_parser(
        "demo",
        help="replay the shipped demo: the baseline passes, the candidate's regression is caught",
        description="Replay scenarios/demo-baseline.yaml (expected to pass) and then "
        "scenarios/demo-candidate.yaml (expected to fail the gate: its prompt drops the "
        "commission disclosure for hurried customers). Exit 0 when both behave as designed.",
    )
    demo.add_argument("--scenarios", type=Path, default=Path("scenarios"), help="scenario folder")
    demo.add_argument(
        "--db", type=Path, default=DEFAULT_DB, help=f"run database (default: {DEFAULT_DB})"
    )
    run.set_defaults(func=_run)
    merge.set_defaults(func=_merge)
    estimate.set_defaults(func=_estimate)
    demo.set_defaults(func=_demo)
    # Command groups kept in their own modules register the same way (func on the parser).
    register_corpus(commands)
    register_scoring(commands)
    register_history(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    if args.concurrency is not None and args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    shard = Shard.parse(args.shard) if args.shard else None
    # Decide on worker processes before loading the plan, so their forkserver starts
    # importing while this process loads (see harness.run.workers.pool).
    scenario = Scenario.load(args.scenario)
    try:
        cases = count_cases(scenario.corpus_paths)
    except HarnessError:
        cases = 0  # load_plan below names the problem, with the scenario file
    items = cases * scenario.repeats
    concurrency = args.concurrency or scenario.concurrency
    count = _process_count(args.processes, items // (shard.count if shard else 1), concurrency)
    if args.batch or scenario.batch.enabled:
        count = 1  # one process submits and polls the batches
    registries = build_registries()
    processes = WorkerSpec(
        count=count,
        scenario_path=str(args.scenario),
        model=args.model,
        concurrency=concurrency,
        cache_mode=args.cache,
        cache_dir=str(args.cache_dir) if args.cache_dir else None,
        preload=_adapter_preload(registries, scenario, args.model),
        block_cases=block_cases(cases, count),
    )
    if count > 1:
        warm_up(processes)
    plan = load_plan(args.scenario, registries=registries, model=args.model, scenario=scenario)
    out_dir = args.out
    if args.resume is not None:
        reports = Path("reports")
        if args.resume == "latest" and out_dir is None:
            with RunStore(args.db) as store:
                out_dir = find_unfinished(reports, plan.scenario.name, store).path
        else:
            out_dir = out_dir or reports / args.resume
    if not items:
        items = count_cases(plan.scenario.corpus_paths) * plan.scenario.repeats
    progress = Progress(
        items,
        sys.stderr,
        live=sys.stderr.isatty(),
        total_is_bound=bool(plan.scenario.corpus.tags or plan.scenario.corpus.limit or shard),
    )
    runner = None  # worker processes build their own
    if count == 1:
        runner = plan.make_runner(
            process="main",
            concurrency=args.concurrency,
            cache_mode=args.cache,
            cache_dir=args.cache_dir,
            batch=True if args.batch else None,
            batch_state=(out_dir / "batches.json") if out_dir else None,
        )
    outcome = run_scenario(
        plan,
        out_dir=out_dir,
        db_path=args.db,
        runner=runner,
        shard=shard,
        resume=args.resume is not None,
        progress=progress,
        processes=processes,
    )
    if outcome is None:
        print(
            f"scenario {plan.scenario.name}: shard {shard} replayed; gate all shards with "
            "`harness merge DIR...`"
        )
        return EXIT_PASS
    return _print_outcome(plan.scenario.name, plan.model_label, plan.prompt_label, outcome)


def _adapter_preload(
    registries: Registries, scenario: Scenario, model: str | None
) -> tuple[str, ...]:
    """The modules the scenario's model adapter has worker processes import ahead."""
    try:
        chosen = scenario.with_model(model) if model else scenario
        return registries.models.get(chosen.model.provider, source="").preload
    except HarnessError:
        return ()  # load_plan names the problem, with the scenario file


def _process_count(value: str, items: int, concurrency: int) -> int:
    if value == "auto":
        return auto_processes(items, concurrency)
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise ConfigError(
            f"--processes must be 'auto' or a whole number of at least 1, not {value!r}"
        )
    return min(count, concurrency)


def _print_outcome(name: str, model: str, prompt: str, outcome: RunOutcome) -> int:
    print(f"scenario {name}: {outcome.cases} cases, model {model}, prompt {prompt}")
    print(gate_table(outcome.gate))
    print(outcome.gate.headline())
    print(f"report:  {outcome.report_path}")
    print(f"results: {outcome.results_path}")
    if outcome.surfaces is not None:
        print(f"summary: {outcome.surfaces.summary}")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:  # in GitHub Actions: the job summary and the annotations
            publish_step_summary(outcome.surfaces, Path(step_summary))
            print(outcome.surfaces.annotations.read_text(encoding="utf-8"), end="")
    return EXIT_PASS if outcome.gate.passed else EXIT_GATE_FAILED


def _merge(args: argparse.Namespace) -> int:
    outcome = merge_runs(list(args.folders), out_dir=args.out, db_path=args.db)
    manifest = json.loads(outcome.manifest_path.read_text(encoding="utf-8"))
    prompt = f"{manifest['prompt']['name']} v{manifest['prompt']['version']}"
    model = f"{manifest['model']['provider']}:{manifest['model']['id']}"
    print(f"merged {len(args.folders)} shard(s) into run {outcome.run_id}")
    return _print_outcome(manifest["scenario"]["name"], model, prompt, outcome)


def _estimate(args: argparse.Namespace) -> int:
    from harness.replay.cache import ResponseCache
    from harness.run.estimate import estimate_plan

    plan = load_plan(args.scenario, model=args.model)
    folder = args.cache_dir or Path(plan.scenario.cache.dir)
    cache = ResponseCache(folder, "read-only", process="estimate") if folder.is_dir() else None
    est = estimate_plan(plan, cache)
    cost = f"${est.cost_usd:,.2f}" if est.cost_usd is not None else "unknown (no price for model)"
    print(f"scenario {plan.scenario.name}: model {plan.model_label}")
    print(f"cases x repeats   {est.cases:>12,}")
    print(f"calls             {est.calls:>12,}  ({est.cached_calls:,} already cached)")
    print(f"input tokens      {est.input_tokens:>12,}  (estimated: 4 characters a token)")
    print(f"cache write/read  {est.cache_write_tokens:>12,} / {est.cache_read_tokens:,}")
    print(f"output tokens     {est.output_tokens:>12,}")
    print(f"estimated cost    {cost:>12}")
    budget = plan.scenario.max_cost_usd
    if budget is not None and est.cost_usd is not None and est.cost_usd > budget:
        print(f"warning: above the scenario's budget of ${budget:,.2f}; the run would stop there")
    return EXIT_PASS


def _demo(args: argparse.Namespace) -> int:
    expected = {"demo-baseline": True, "demo-candidate": False}
    outcomes = {}
    for name, should_pass in expected.items():
        plan = load_plan(args.scenarios / f"{name}.yaml")
        print(f"\n== {name}: {plan.scenario.description.strip()}")
        outcome = run_scenario(plan, db_path=args.db)
        assert outcome is not None  # not a shard
        outcomes[name] = outcome
        print(
            f"{outcome.cases} cases replayed through {plan.model_label}, prompt {plan.prompt_label}"
        )
        print(gate_table(outcome.gate))
        print(outcome.gate.headline())
        print(f"report: {outcome.report_path}")
        expectation = "expected to pass" if should_pass else "expected to fail"
        as_designed = outcome.gate.passed == should_pass
        print(
            f"exit status would be {0 if outcome.gate.passed else 1} ({expectation}: "
            f"{'as designed' if as_designed else 'NOT as designed'})"
        )
    as_designed = all(outcomes[n].gate.passed == p for n, p in expected.items())
    print()
    if as_designed:
        print(
            "Demo worked as designed: the baseline passes the gate, and the candidate's "
            "regression is caught (its gate fails, which is the point of the demo)."
        )
        return EXIT_PASS
    print("Demo did NOT work as designed: see the tables above.")
    return EXIT_GATE_FAILED


if __name__ == "__main__":
    sys.exit(main())
