"""Running a scenario: replay every selected case into parts, then finish the run.

Two steps, so that pytest-xdist workers can do the first and only the controller the second:

* :func:`harness.run.process.replay_into_parts` replays cases (up to ``concurrency`` calls in
  flight) and streams rows into this process's part files;
* :func:`finish_run` merges all parts into DuckDB, computes the gate, and writes
  ``results.parquet``, ``manifest.json`` and ``report.html``.

:func:`run_scenario` does both in one process (what ``harness run`` calls).

>>> outcome = run_scenario(load_plan("scenarios/demo-baseline.yaml"))  # doctest: +SKIP
>>> outcome.gate.passed  # doctest: +SKIP
True
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, DatabaseLocked, RunInterrupted, StoreError
from harness.gate.baseline import describe_baseline, resolve_baseline
from harness.gate.policy import GateResult, evaluate_gate
from harness.models.base import Usage
from harness.outputs.github import CiSurfaces, write_ci_surfaces
from harness.outputs.locations import criterion_locations, repository_root
from harness.outputs.redacted_results import REDACTED_RESULTS, write_redacted_results
from harness.outputs.report import FailingCase, ReportData, render_report
from harness.outputs.report.pass_sample import PassSample, SampledPass
from harness.replay.calls import CallRunner
from harness.run.folder import RunFolder, Shard, check_chunk, salvage_calls
from harness.run.interrupt import Interruption
from harness.run.manifest import build_manifest, report_redaction
from harness.run.plan import ReplayPlan
from harness.run.process import replay_into_parts
from harness.run.progress import Progress
from harness.run.scoring_summary import scoring_manifest, summarise_scoring
from harness.run.seal import seal_outputs
from harness.run.sequential import (
    SequentialWatch,
    feed_committed,
    sequential_gate,
    without_sequential_stop,
)
from harness.run.workers.pool import WorkerSpec, replay_in_processes
from harness.store import DEFAULT_DB
from harness.store.database import RunStore
from harness.store.rows import PART_KINDS

#: Failing cases the report holds (newly failing first); the rest are in results.parquet.
REPORT_FAILING_CASES = 10_000


#: How long a run waits for a run database another process holds, by default (seconds).
DB_WAIT_S = 60.0


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
    #: summary.md, pr-comment.md, annotations.txt and junit.xml (see harness.outputs.github).
    surfaces: CiSurfaces | None = None


def new_run_id(scenario_name: str, now: datetime | None = None) -> str:
    """``<scenario>-<UTC time>-<random>``: sortable by time and unique across machines."""
    now = now or datetime.now(UTC)
    return f"{scenario_name}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def no_case_message(plan: ReplayPlan) -> str:
    selection = plan.scenario.corpus
    return (
        f"{plan.scenario.source_path}: field 'corpus': the selection matched no case "
        f"(paths {', '.join(selection.paths)}, tags {selection.tags or 'any'}); "
        "widen the tag filter or check the corpus paths"
    )


def _pass_sample(store: RunStore, plan: ReplayPlan, run_id: str) -> PassSample:
    """The report's quality-assurance sample of passing results, seeded by the run id."""
    size = plan.scenario.report.pass_sample
    rows = store.pass_sample(run_id, size=size, seed=run_id)
    return PassSample(size, run_id, [SampledPass.from_store_row(r) for r in rows])


def part_files(parts_dir: Path) -> dict[str, list[Path]]:
    """Every process's committed part chunks in ``parts_dir``, by kind, sorted."""
    return {kind: sorted(parts_dir.glob(f"*-{kind}-*.parquet")) for kind in PART_KINDS}


def finish_run(
    plan: ReplayPlan,
    *,
    run_id: str,
    out_dir: Path,
    db_path: Path | str,
    started_at: datetime,
    stopped: list[str] | None = None,
    parts_dirs: list[Path] | None = None,
    db_wait_s: float = 0.0,
    waiting: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Merge parts into the store, gate, and write results, manifest and report into ``out_dir``.

    ``parts_dirs`` (default ``out_dir/parts``) may name several shards' part folders. A
    database locked by another process is waited for up to ``db_wait_s`` (telling
    ``waiting``); then :class:`DatabaseLocked` names the run, whose parts stay on disk.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    folders = parts_dirs or [out_dir / "parts"]
    files: dict[str, list[Path]] = {kind: [] for kind in PART_KINDS}
    for folder in folders:  # the calls of cases cut short become chunks (replay.journal)
        salvage_calls(folder, RunFolder(folder.parent).completed, run_id)
    for folder in folders:
        for kind, found in part_files(folder).items():
            files[kind].extend(found)
    for found in files.values():
        for chunk in found:
            check_chunk(chunk)
    if not files["results"]:
        raise StoreError(
            f"{', '.join(map(str, folders))}: no result parts to merge; did any case run?"
        )
    processes = sorted({p.name.rsplit("-results-", 1)[0] for p in files["results"]})
    try:
        opened = RunStore(db_path, lock_wait_s=db_wait_s, waiting=waiting)
    except DatabaseLocked as locked:
        raise DatabaseLocked(
            f"{locked}; every result is kept in {out_dir / 'parts'}",
            run_id=run_id,
            out_dir=str(out_dir),
        ) from None
    with opened as store:
        store.ingest_parts(run_id, files)
        cases = store.case_count(run_id)
        baseline_run = resolve_baseline(store, plan.scenario, exclude=run_id)
        scoring = summarise_scoring(store, plan, run_id)  # calibration, kappa floor, repeats
        gate = evaluate_gate(
            store,
            run_id,
            plan.thresholds(),
            errors_are_failures=plan.scenario.errors_are_failures,
            baseline_run_id=baseline_run,
            stopped=tuple(stopped or ()),
            repeat_policy=plan.scenario.repeat_policy or "mean",
            refused=scoring.refused,
            policy=plan.scenario.gate,  # statistical gate: intervals, inconclusive, McNemar
            calibration=scoring.gated(),  # the scorer's measured error beside each rate
            floor_missing=scoring.floor_missing,
        )
        gate = sequential_gate(store, plan, run_id, gate)  # a sequential run's early verdict
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
        manifest["baseline"].update(describe_baseline(store, baseline_run))
        manifest["scoring"] = scoring_manifest(plan)
        if gate.sequential is not None:
            manifest["sequential"] = gate.sequential.model_dump()
        results_path = out_dir / "results.parquet"
        store.export_results(run_id, results_path)
        redaction = report_redaction(plan)  # the approved wordings' numbers kept
        # The rows that may leave the machine (the CI artifact): text quoting cases redacted.
        rows = store.results_with_facts(run_id)
        write_redacted_results(rows, out_dir / REDACTED_RESULTS, redaction, like=results_path)
        # Every failing case, newly failing first, with the baseline's turns and verdicts;
        # the report renders the first ones as HTML and embeds the rest for its script.
        failing = store.report_cases(
            run_id,
            baseline_run,
            errors_are_failures=plan.scenario.errors_are_failures,
            limit=REPORT_FAILING_CASES,
        )
        total_failing = store.failing_case_count(run_id)
        data = ReportData(
            gate=gate,
            manifest=manifest,
            failing_cases=[FailingCase.from_store_row(r) for r in failing],
            failing_cases_total=total_failing,
            pass_sample=_pass_sample(store, plan, run_id),  # the QA sample of passes
            call_totals=_call_totals(store, plan, run_id),
            scoring=scoring,
            baseline_call_totals=(
                store.call_totals(baseline_run, purpose="agent") if baseline_run else None
            ),
            history=store.run_history(plan.scenario.name, limit=ReportData.TREND_RUNS),
            redaction=redaction,
        )
        store.record_run(manifest, gate.verdict, str(out_dir))
    report_path = render_report(data, out_dir / "report.html")
    source = plan.scenario.source_path
    places = (  # where each failing criterion's annotation attaches: its threshold's line
        criterion_locations(
            (c.criterion for c in gate.failing),
            source,
            plan.scenario.disclosure_folder,
            repository_root(source.parent),
        )
        if source is not None and not gate.passed
        else {}
    )
    surfaces = write_ci_surfaces(out_dir, gate, manifest, data.failing_cases, total_failing, places)
    # Last, so it lists the SHA-256 of every output above (harness verify checks them).
    manifest_path = seal_outputs(out_dir, manifest)
    return RunOutcome(
        run_id, out_dir, gate, cases, report_path, results_path, manifest_path, surfaces
    )


def _call_totals(store: RunStore, plan: ReplayPlan, run_id: str) -> dict[str, Any]:
    """The run's call figures, with what prompt caching saved and cost per criterion."""
    totals = store.call_totals(run_id, purpose="agent")  # the judge's are in data.scoring
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
    shard: Shard | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    processes: WorkerSpec | None = None,
    overwrite: bool = False,
    interruption: Interruption | None = None,
    db_wait_s: float = DB_WAIT_S,
    waiting: Callable[[str], None] | None = None,
) -> RunOutcome | None:
    """Replay ``plan`` in this process and finish the run.

    ``resume``: ``out_dir`` holds an unfinished run of the same configuration; only the
    cases not yet committed are replayed (paid answers already received come from the
    response cache), and the final results equal an uninterrupted run's. ``shard``: replay
    only that shard's cases and stop before gating (``harness merge`` gates the shards
    together); returns None then. ``processes``: replay in that many worker processes (see
    :mod:`harness.run.workers.pool`) instead of this one; ``runner`` is then not used.
    Without ``resume``, an ``out_dir`` that holds a run is refused (:class:`ConfigError`)
    unless ``overwrite`` says to remove that run's files first.

    Before the first call, the run database is opened (waiting up to ``db_wait_s`` while
    another process holds it, telling ``waiting``) and the scenario's baseline resolved, so
    a locked or damaged database or a wrong baseline fails before anything is paid for.

    A request on ``interruption`` (the CLI's SIGINT or SIGTERM) stops the replay without
    committing a case in flight and raises :class:`RunInterrupted` naming the run, its
    folder and the cases committed, so it can be finished with ``resume``.
    """
    started_at = datetime.now(UTC)
    if resume:
        if out_dir is None:
            raise ConfigError("resuming needs the run's folder")
        folder = RunFolder(out_dir)
        info = folder.info()
        folder.check_matches(plan)
        run_id = str(info["run_id"])
        shard = Shard.parse(info["shard"]) if info.get("shard") else None
        started_at = datetime.fromisoformat(info["started_at"])
    else:
        run_id = run_id or new_run_id(plan.scenario.name, started_at)
        out_dir = out_dir or Path("reports") / run_id
        folder = RunFolder(out_dir)
    with folder:
        try:
            return _replay_and_finish(
                plan,
                folder,
                run_id,
                started_at,
                db_path,
                runner,
                shard,
                resume,
                progress,
                processes,
                overwrite,
                interruption,
                db_wait_s=db_wait_s,
                waiting=waiting,
            )
        except RunInterrupted as stop:
            raise RunInterrupted(
                stop.signum,
                run_id=run_id,
                out_dir=str(folder.path),
                committed=len(folder.completed()) if folder.parts.is_dir() else 0,
            ) from None


def _replay_and_finish(
    plan: ReplayPlan,
    folder: RunFolder,
    run_id: str,
    started_at: datetime,
    db_path: Path | str,
    runner: CallRunner | None,
    shard: Shard | None,
    resume: bool,
    progress: Progress | None,
    processes: WorkerSpec | None,
    overwrite: bool,
    interruption: Interruption | None,
    *,
    db_wait_s: float,
    waiting: Callable[[str], None] | None,
) -> RunOutcome | None:
    out_dir = folder.path
    with RunStore(db_path, lock_wait_s=db_wait_s, waiting=waiting) as store:
        if shard is None:  # a wrong baseline fails now, not after every call is paid for
            resolve_baseline(store, plan.scenario, exclude=run_id)
        if not resume:
            folder.start(plan, run_id, shard, overwrite=overwrite)
            store.record_start(run_id, plan.scenario.name, started_at.isoformat(), str(out_dir))
    if resume:
        folder.drop_orphans()
        done = folder.completed()
        # The calls of cases cut short are kept before those cases are replayed again.
        salvage_calls(folder.parts, lambda: done, run_id)
    else:
        done = set()
    # A shard replays its share in the random order, all of it: its own cases are not a
    # sample of the whole corpus, so only `harness merge` could decide, and it gates in full.
    watch = SequentialWatch.for_plan(plan) if shard is None else None
    if watch is not None and done:
        feed_committed(watch, folder.parts)
    if processes is not None and processes.count > 1:
        spec = replace(
            processes,
            parts_dir=str(folder.parts),
            run_id=run_id,
            shard=str(shard) if shard is not None else None,
            skip_committed=bool(done),
            sequential=plan.sequential is not None,
        )
        stats = replay_in_processes(spec, progress, interruption=interruption, sequential=watch)
    else:
        cases = plan.cases(in_shard=shard.contains if shard is not None else None)
        stats = replay_into_parts(
            plan,
            cases,
            parts_dir=folder.parts,
            process=f"main-{secrets.token_hex(3)}",
            run_id=run_id,
            runner=runner,
            skip=done,
            progress=progress,
            interruption=interruption,
            watch=watch,
        )
    if interruption is not None:
        interruption.check()  # asked to stop as the last case finished: do not gate
    if stats.cases == 0 and not done:
        raise ConfigError(no_case_message(plan))
    if shard is not None:
        folder.finish()
        return None
    outcome = finish_run(
        plan,
        run_id=run_id,
        out_dir=out_dir,
        db_path=db_path,
        started_at=started_at,
        stopped=without_sequential_stop([stats.stopped] if stats.stopped else []),
        db_wait_s=db_wait_s,
        waiting=waiting,
    )
    folder.finish()
    return outcome
