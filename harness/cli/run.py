"""``harness run`` and ``harness merge``: replay a scenario (or gate shards) and print the gate.

Exit status: 0 every criterion passed, 1 the gate failed, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli.groups import CACHE_MODES, add_command, add_db_option
from harness.cli.interrupts import interrupted_line, resume_command, stop_on_signals
from harness.errors import ConfigError, DatabaseLocked, ExitStatus, HarnessError, RunInterrupted
from harness.outputs.console import emit, workflow_commands
from harness.run.workers import MIN_CASES_PER_PROCESS

if TYPE_CHECKING:
    from harness.config.scenario import Scenario
    from harness.plugins.registry import Registries
    from harness.run.finish import RunOutcome
    from harness.run.interrupt import Interruption


def register(commands: Any) -> None:
    """Add ``run`` and ``merge`` to the ``harness`` command's subparsers."""
    from harness.demo.project import docs_folder

    run = add_command(
        commands,
        "run",
        run_command,
        "replay a scenario, gate it and write its report",
    )
    run.description = (
        "Replay SCENARIO's corpus, score each disclosure, gate on the thresholds and write "
        "report.html, results.parquet and manifest.json. Exit 0 when every criterion passes, "
        "1 when the gate fails, 2 on bad input. Also writes summary.md, pr-comment.md, "
        "junit.xml and annotations.txt; in GitHub Actions (GITHUB_STEP_SUMMARY set) it "
        "appends summary.md to the job summary and prints one annotation per failing "
        "disclosure, on its threshold's line of the scenario file."
    )
    run.epilog = f"The scenario file format: {docs_folder() / 'scenarios.md'}."
    run.add_argument(
        "scenario", type=Path, help="scenario file, e.g. scenarios/demo-candidate.yaml"
    )
    run.add_argument("--out", type=Path, help="output folder (default: reports/<run-id>/)")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="--out holds an earlier run: remove that run's files first (without it, a folder "
        "that holds a run is refused, so two runs are never gated as one)",
    )
    add_db_option(run)
    run.add_argument(
        "--db-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="while another process holds the run database, wait this long for it (default: "
        "60); then the run's results stay in --out and the command to finish it is printed",
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
        "--no-sequential",
        dest="sequential",
        action="store_false",
        help="replay every case even when the scenario's gate is sequential (gate.sequential)",
    )
    run.add_argument(
        "--batch",
        action="store_true",
        help="answer through the provider's message batches (half price, slower); --resume "
        "polls the batches already submitted instead of paying for them again",
    )
    merge = add_command(
        commands,
        "merge",
        merge_command,
        "combine shard run folders into one run, gate it and write one report",
    )
    merge.description = (
        "Merge the folders written by `harness run --shard K/N` (all N shards of one scenario, "
        "model, prompt, disclosures and corpus) into one run in the database, gate it and "
        "write report.html, results.parquet and manifest.json."
    )
    merge.add_argument("folders", type=Path, nargs="+", metavar="DIR", help="shard run folders")
    merge.add_argument("--out", type=Path, help="output folder (default: reports/<run-id>/)")
    add_db_option(merge)


def run_command(args: argparse.Namespace) -> int:
    """``harness run``; SIGINT and SIGTERM stop it cleanly (see harness.cli.interrupts)."""
    from harness.run.interrupt import Interruption

    interruption = Interruption()
    progress_total: list[tuple[int, bool]] = []
    try:
        with stop_on_signals(interruption):
            return _run(args, interruption, progress_total)
    except DatabaseLocked as locked:
        if locked.run_id is None or locked.out_dir is None:
            raise
        resume = resume_command(str(args.scenario), args.argv, locked.run_id, locked.out_dir)
        emit(f"harness: error: {locked}; finish the run with {resume}", sys.stderr)
        return ExitStatus.USAGE
    except RunInterrupted as stop:
        resume = None
        if stop.run_id is not None and stop.out_dir is not None:
            resume = resume_command(str(args.scenario), args.argv, stop.run_id, stop.out_dir)
        total, bound = progress_total[0] if progress_total else (None, False)
        if sys.stderr.isatty():
            sys.stderr.write("\n")  # after the live progress line
        emit(interrupted_line(stop, total, resume, bound=bound), sys.stderr)
        return stop.exit_status


def _run(
    args: argparse.Namespace,
    interruption: Interruption,
    progress_total: list[tuple[int, bool]],
) -> int:
    from harness.cli.verify import key_from_environment, sign_run
    from harness.config.scenario import Scenario
    from harness.corpus.files import count_cases
    from harness.corpus.selection import block_cases
    from harness.plugins.registry import build_registries
    from harness.run.finish import run_scenario
    from harness.run.folder import Shard, find_unfinished
    from harness.run.plan import load_plan
    from harness.run.progress import Progress
    from harness.run.workers.pool import WorkerSpec, warm_up
    from harness.store.database import RunStore

    key = key_from_environment()  # a bad key is refused before the first paid call
    if args.concurrency is not None and args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if args.overwrite and args.resume is not None:
        raise ConfigError(
            "--overwrite empties the run folder and --resume finishes the run in it: choose one"
        )
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
    plan = load_plan(
        args.scenario,
        registries=registries,
        model=args.model,
        scenario=scenario,
        sequential=args.sequential,
        cache_mode=args.cache,
    )
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
    bound = bool(plan.scenario.corpus.tags or plan.scenario.corpus.limit or shard)
    progress = Progress(items, sys.stderr, live=sys.stderr.isatty(), total_is_bound=bound)
    progress_total.append((items, bound))
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
        overwrite=args.overwrite,
        interruption=interruption,
        db_wait_s=max(0.0, args.db_wait),
        waiting=lambda message: emit(message, sys.stderr),
    )
    if outcome is None:
        emit(
            f"scenario {plan.scenario.name}: shard {shard} replayed; gate all shards with "
            "`harness merge DIR...`"
        )
        return ExitStatus.PASSED
    sign_run(outcome.out_dir, key)
    return print_outcome(plan.scenario.name, plan.model_label, plan.prompt_label, outcome)


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
    from harness.run.workers.pool import auto_processes

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


def print_outcome(name: str, model: str, prompt: str, outcome: RunOutcome) -> int:
    """Print the gate of a finished run; its exit status (0 passed, 1 failed)."""
    from harness.outputs.github import publish_step_summary
    from harness.outputs.table import gate_table

    emit(f"scenario {name}: {outcome.cases} cases, model {model}, prompt {prompt}")
    emit(gate_table(outcome.gate))
    emit(outcome.gate.headline())
    emit(f"report:  {outcome.report_path}")
    emit(f"results: {outcome.results_path}")
    if outcome.surfaces is not None:
        emit(f"summary: {outcome.surfaces.summary}")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:  # in GitHub Actions: the job summary and the annotations
            publish_step_summary(outcome.surfaces, Path(step_summary))
            annotations = outcome.surfaces.annotations.read_text(encoding="utf-8")
            sys.stdout.write(workflow_commands(annotations))
    if outcome.gate.floor_missing:
        for missing in outcome.gate.floor_missing:
            emit(f"harness: error: below the calibration floor: {missing}", sys.stderr)
        return ExitStatus.USAGE
    return ExitStatus.PASSED if outcome.gate.passed else ExitStatus.GATE_FAILED


def merge_command(args: argparse.Namespace) -> int:
    from harness.cli.verify import key_from_environment, sign_run
    from harness.run.merge import merge_runs

    key = key_from_environment()
    outcome = merge_runs(list(args.folders), out_dir=args.out, db_path=args.db)
    sign_run(outcome.out_dir, key)
    manifest = json.loads(outcome.manifest_path.read_text(encoding="utf-8"))
    prompt = f"{manifest['prompt']['name']} v{manifest['prompt']['version']}"
    model = f"{manifest['model']['provider']}:{manifest['model']['id']}"
    emit(f"merged {len(args.folders)} shard(s) into run {outcome.run_id}")
    return print_outcome(manifest["scenario"]["name"], model, prompt, outcome)
