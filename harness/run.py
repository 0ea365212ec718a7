"""Running a scenario: replay every selected case into parts, then finish the run.

Two steps, so that pytest-xdist workers can do the first and only the controller the second:

* :func:`replay_into_parts` replays cases (up to ``concurrency`` calls in flight) and streams
  rows into this process's part files;
* :func:`finish_run` merges all parts into DuckDB, computes the gate, and writes
  ``results.parquet``, ``manifest.json`` and ``report.html``.

:func:`run_scenario` does both in one process (what ``harness run`` calls).

>>> outcome = run_scenario(load_plan("scenarios/demo-baseline.yaml"))  # doctest: +SKIP
>>> outcome.gate.passed  # doctest: +SKIP
True
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.calls import CallRunner
from harness.cases import Case
from harness.errors import ConfigError, StoreError
from harness.gate import GateResult, evaluate_gate
from harness.manifest import build_manifest
from harness.models.base import Usage
from harness.plan import ReplayPlan
from harness.replay import CaseReplay, not_run_case, replay_case
from harness.report import FailingCase, ReportData, render_report
from harness.results import PART_KINDS, PartWriter
from harness.store import RunStore

DEFAULT_DB = Path("reports/harness.duckdb")
REPORT_FAILING_CASES = 500


@dataclass(frozen=True)
class RunOutcome:
    """What a finished run produced."""

    run_id: str
    out_dir: Path
    gate: GateResult
    cases: int
    report_path: Path
    results_path: Path
    manifest_path: Path


def new_run_id(scenario_name: str, now: datetime | None = None) -> str:
    """``<scenario>-<UTC time>-<random>``: sortable by time and unique across machines."""
    now = now or datetime.now(UTC)
    return f"{scenario_name}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class ReplayStats:
    """What one process's replay did: cases, calls made, cache hits, and why it stopped early."""

    cases: int
    calls_made: int
    cache_hits: int
    spent_usd: float
    stopped: str | None


def replay_into_parts(
    plan: ReplayPlan,
    cases: Iterable[Case],
    *,
    parts_dir: Path,
    process: str,
    run_id: str,
    runner: CallRunner | None = None,
) -> ReplayStats:
    """Replay ``cases`` (every repeat) into this process's part files.

    Up to the runner's concurrency cases are in flight at once; each case's turns run in
    order. If the run is stopped cleanly (circuit breaker, budget, time bound), the cases
    left are written as ``not_run``; a fatal stop or a configuration error propagates after
    the rows already finished are flushed.
    """
    runner = runner or plan.make_runner(process=process)
    with PartWriter(parts_dir, process, run_id=run_id, plan=plan) as writer:
        try:
            done = asyncio.run(_replay_all(plan, cases, writer, runner))
        finally:
            if runner.cache is not None:
                runner.cache.close()
    return ReplayStats(
        cases=done,
        calls_made=runner.calls_made,
        cache_hits=runner.cache.hits if runner.cache is not None else 0,
        spent_usd=runner.spent_usd,
        stopped=str(runner.stopped) if runner.stopped is not None else None,
    )


async def _replay_all(
    plan: ReplayPlan, cases: Iterable[Case], writer: PartWriter, runner: CallRunner
) -> int:
    limit = runner.limiter.ceiling
    pending: set[asyncio.Future[CaseReplay]] = set()
    done_count = 0

    def collect(finished: Iterable[asyncio.Future[CaseReplay]]) -> None:
        nonlocal done_count
        for task in finished:
            writer.add(task.result())
            done_count += 1

    try:
        for case in cases:
            for repeat in range(plan.scenario.repeats):
                if runner.stopped is not None and not runner.stopped.fatal:
                    writer.add(not_run_case(plan, case, repeat=repeat, reason=str(runner.stopped)))
                    done_count += 1
                    continue
                if len(pending) >= limit:
                    finished, pending = await asyncio.wait(
                        pending, return_when=asyncio.FIRST_COMPLETED
                    )
                    collect(finished)
                pending.add(asyncio.ensure_future(replay_case(plan, runner, case, repeat=repeat)))
        while pending:
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            collect(finished)
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await runner.aclose()
    return done_count // plan.scenario.repeats


def no_case_message(plan: ReplayPlan) -> str:
    selection = plan.scenario.corpus
    return (
        f"{plan.scenario.source_path}: field 'corpus': the selection matched no case "
        f"(paths {', '.join(selection.paths)}, tags {selection.tags or 'any'}); "
        "widen the tag filter or check the corpus paths"
    )


def part_files(parts_dir: Path) -> dict[str, list[Path]]:
    """Every process's part files in ``parts_dir``, by kind, sorted."""
    return {kind: sorted(parts_dir.glob(f"*-{kind}.parquet")) for kind in PART_KINDS}


def finish_run(
    plan: ReplayPlan,
    *,
    run_id: str,
    out_dir: Path,
    db_path: Path | str,
    started_at: datetime,
    stopped: list[str] | None = None,
) -> RunOutcome:
    """Merge parts into the store, gate, and write results, manifest and report into ``out_dir``."""
    parts_dir = out_dir / "parts"
    files = part_files(parts_dir)
    if not files["results"]:
        raise StoreError(f"{parts_dir}: no result parts to merge; did any case run?")
    processes = sorted(p.name.removesuffix("-results.parquet") for p in files["results"])
    with RunStore(db_path) as store:
        store.ingest_parts(run_id, files)
        cases = store.case_count(run_id)
        baseline = plan.scenario.baseline
        baseline_run = store.latest_run(baseline.scenario, exclude=run_id) if baseline else None
        gate = evaluate_gate(
            store,
            run_id,
            plan.thresholds(),
            errors_are_failures=plan.scenario.errors_are_failures,
            baseline_run_id=baseline_run,
            stopped=tuple(stopped or ()),
        )
        manifest = build_manifest(
            plan,
            run_id=run_id,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            cases=cases,
            processes=processes,
            baseline_run_id=baseline_run,
            stopped=list(stopped or ()),
        )
        results_path = out_dir / "results.parquet"
        store.export_results(run_id, results_path)
        failing = store.failing_cases(run_id, limit=REPORT_FAILING_CASES)
        total_failing = store.failing_case_count(run_id)
        data = ReportData(
            gate=gate,
            manifest=manifest,
            failing_cases=[FailingCase.from_store_row(r) for r in failing],
            failing_cases_total=total_failing,
            call_totals=_call_totals(store, plan, run_id),
        )
        store.record_run(manifest, gate.verdict)
    manifest_path = out_dir / "manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    report_path = render_report(data, out_dir / "report.html")
    return RunOutcome(run_id, out_dir, gate, cases, report_path, results_path, manifest_path)


def _call_totals(store: RunStore, plan: ReplayPlan, run_id: str) -> dict[str, Any]:
    """The run's call figures, with what prompt caching saved and cost per criterion."""
    totals = store.call_totals(run_id)
    saved = None
    if plan.price is not None:
        saved = plan.price.saved_by_cache_reads(
            Usage(cache_read_tokens=totals["cache_read_tokens"])
        )
    return {
        **totals,
        "prompt_cache_saved_usd": saved,
        "cost_by_criterion": store.cost_by_criterion(run_id),
    }


def run_scenario(
    plan: ReplayPlan,
    *,
    out_dir: Path | None = None,
    db_path: Path | str = DEFAULT_DB,
    run_id: str | None = None,
    runner: CallRunner | None = None,
) -> RunOutcome:
    """Replay ``plan`` in this process and finish the run."""
    started_at = datetime.now(UTC)
    run_id = run_id or new_run_id(plan.scenario.name, started_at)
    out_dir = out_dir or Path("reports") / run_id
    stats = replay_into_parts(
        plan,
        plan.cases(),
        parts_dir=out_dir / "parts",
        process="main",
        run_id=run_id,
        runner=runner,
    )
    if stats.cases == 0:
        raise ConfigError(no_case_message(plan))
    return finish_run(plan, run_id=run_id, out_dir=out_dir, db_path=db_path, started_at=started_at)
