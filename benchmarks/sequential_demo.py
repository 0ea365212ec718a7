"""The sequential gate on the shipped demo: the share of calls it makes, and its bookkeeping.

    python benchmarks/sequential_demo.py            # prints the figures
    python benchmarks/sequential_demo.py --processes 2

1. ``harness run scenarios/demo-candidate-sequential.yaml`` (a subprocess, the real command
   line) against the same scenario with ``--no-sequential``: both exit 1; the calls each made
   (manifest and model_calls) and the share the sequential run made. Then the same scenario
   through ``pytest --harness-scenario scenarios/demo-candidate-sequential.yaml -n 2`` (a
   subprocess) in a new temporary folder holding only the demo's files, as a user's project
   would: its exit status and the calls it made against the full replay's.
2. The bookkeeping, in this process, measured around the functions that do it, each
   function's own time (a nested call counted once): reading the random order, the watch
   (every finished case), the confidence sequence, the sequential gate at finish and the
   ``not_run`` rows of the cases not replayed. The worst case is a run that never stops:
   the baseline scenario with the sequential gate on (it passes, so ``stop_on: fail`` never
   stops and every case goes through the watch); its share is the bookkeeping over the
   rest of that run's wall time, the full replay's. Then the candidate, which stops, in a
   new process (whose caches are cold, as a user's run is): its bookkeeping, ``not_run``
   rows included, over the same full replay's time.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

import harness.run.case as case_module
import harness.run.finish as finish
import harness.run.plan as plan_module
import harness.run.process as process_module
from harness.config.sequential import SequentialPolicy
from harness.run.case import CaseReplay
from harness.run.finish import run_scenario
from harness.run.parts import PartWriter
from harness.run.plan import ReplayPlan, load_plan
from harness.run.sequential import SequentialWatch
from harness.stats.confidence_sequence import RateSequence

ROOT = Path(__file__).resolve().parent.parent
CANDIDATE = ROOT / "scenarios" / "demo-candidate-sequential.yaml"
BASELINE = ROOT / "scenarios" / "demo-baseline.yaml"
#: What a project running the candidate needs, relative to its folder (the layout is kept:
#: the scenario names its corpus as ../corpus/demo).
PROJECT_FILES = (
    "scenarios/demo-candidate-sequential.yaml",
    "scenarios/disclosures",
    "scenarios/prompts/broker_agent",
    "corpus/demo",
)


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _calls(db: Path, out: Path) -> tuple[int, dict[str, Any]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM model_calls WHERE run_id = ?", [manifest["run_id"]]
        ).fetchone()
    return (int(row[0]) if row else 0), manifest


def command_line(work: Path, processes: str) -> dict[str, Any]:
    """Part 1: the real command, sequential and full."""
    figures: dict[str, Any] = {"load_before": _load()}
    for label, extra in (("sequential", []), ("full", ["--no-sequential"])):
        out = work / label
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", str(CANDIDATE), "--out", str(out),
             "--db", str(work / "h.db"), "--cache", "off", "--processes", processes, *extra],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        figures[f"{label}_s"] = time.perf_counter() - started
        figures[f"{label}_exit"] = done.returncode
        figures[f"{label}_calls"], manifest = _calls(work / "h.db", out)
        if label == "sequential":
            figures["decided_after"] = manifest["sequential"]["decided_after"]
            figures["cases"] = manifest["sequential"]["population"]
            figures["line"] = next(
                (x for x in done.stdout.splitlines() if x.startswith("sequential gate:")), ""
            )
    figures["share_of_calls"] = figures["sequential_calls"] / figures["full_calls"]
    figures["load_after"] = _load()
    return figures


def under_pytest(workers: str) -> dict[str, Any]:
    """Part 1, through pytest: a new folder holding the demo's files, the real command."""
    figures: dict[str, Any] = {"load_before": _load()}
    with tempfile.TemporaryDirectory(prefix="harness-pytest-") as folder:
        project = Path(folder)
        for name in PROJECT_FILES:
            source, target = ROOT / name, project / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        command = [sys.executable, "-m", "pytest", "--harness-scenario",
                   "scenarios/demo-candidate-sequential.yaml", "-n", workers, "-q"]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        figures["s"] = time.perf_counter() - started
        figures["exit"] = done.returncode
        figures["command"] = " ".join(["pytest", *command[3:]])
        outs = sorted((project / "reports").glob("*/manifest.json"))
        if not outs:
            raise SystemExit(f"pytest wrote no run (exit {done.returncode}):\n{done.stdout}")
        figures["calls"], manifest = _calls(project / "reports" / "harness.duckdb", outs[0].parent)
        figures["decided_after"] = (manifest.get("sequential") or {}).get("decided_after")
        lines = done.stdout.splitlines()
        figures["line"] = next((x for x in lines if x.startswith("sequential gate:")), "")
        figures["outcome"] = next((x for x in reversed(lines) if " in " in x), "").strip("= ")
    figures["load_after"] = _load()
    return figures


class Clock:
    """Each wrapped function's own time, in named buckets: a wrapped call inside another
    is taken out of the outer one's, so nothing is counted twice."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._inner: list[float] = []  # per open call: the time of the wrapped calls inside

    def wrap(
        self, owner: Any, name: str, bucket: str, when: Callable[..., bool] | None = None
    ) -> None:
        original: Callable[..., Any] = getattr(owner, name)
        is_class_method = isinstance(inspect.getattr_static(owner, name), classmethod)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if when is not None and not when(*args, **kwargs):
                return original(*args, **kwargs)
            self._inner.append(0.0)
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - began
                self.spent[bucket] += elapsed - self._inner.pop()
                if self._inner:
                    self._inner[-1] += elapsed

        setattr(owner, name, staticmethod(wrapper) if is_class_method else wrapper)

    def total(self) -> float:
        return sum(self.spent.values())


def _not_run(_writer: PartWriter, replayed: CaseReplay) -> bool:
    return (replayed.transcript.error or "").startswith("not run:")


def _clock() -> Clock:
    clock = Clock()
    clock.wrap(plan_module, "replay_order", "order")  # the seeded order, in plan.cases()
    clock.wrap(ReplayPlan, "replay_order", "order")  # the selection's ids, read again
    clock.wrap(SequentialWatch, "for_plan", "watch")
    clock.wrap(SequentialWatch, "add_replay", "watch")  # every finished case
    clock.wrap(SequentialWatch, "add", "watch")
    for name in ("__init__", "update", "verdicts", "interval"):
        clock.wrap(RateSequence, name, "confidence sequence")
    clock.wrap(finish, "sequential_gate", "gate at finish")  # the early verdict from the store
    clock.wrap(process_module, "not_run_case", "not_run rows")  # the cases never started
    clock.wrap(case_module, "not_run_case", "not_run rows")  # a case cut short by the stop
    clock.wrap(PartWriter, "add", "not_run rows", when=_not_run)
    return clock


def bookkeeping(work: Path) -> dict[str, Any]:
    """Part 2: the bookkeeping of a run that never stops, and of one that stops."""
    clock = _clock()
    figures: dict[str, Any] = {"load_before": _load()}
    # the worst case: the baseline with the sequential gate on passes, so it reads every case
    plan = replace(load_plan(BASELINE, cache_mode="off"), sequential=SequentialPolicy())
    started = time.perf_counter()
    outcome = run_scenario(plan, out_dir=work / "book", db_path=work / "book.db")
    wall = time.perf_counter() - started
    assert outcome is not None and outcome.gate.passed
    assert outcome.gate.sequential is not None and outcome.gate.sequential.decided_after is None
    spent = clock.total()
    figures.update(
        wall_s=wall, bookkeeping_s=spent, parts=dict(clock.spent), share=spent / (wall - spent)
    )
    # the candidate stops: its not_run rows, over the same full replay's time, in a new
    # process (as a user's run is: this one's caches hold every turn of the corpus by now)
    stops = subprocess.run(
        [sys.executable, __file__, "--stopping-run-in", str(work / "stops")],
        check=True,
        capture_output=True,
        text=True,
    )
    figures.update(json.loads(stops.stdout.splitlines()[-1]))
    figures["stops_share"] = sum(figures["stops_parts"].values()) / (wall - spent)
    figures["load_after"] = _load()
    return figures


def stopping_run(work: Path) -> dict[str, Any]:
    """The candidate, which stops, in this (new) process: its bookkeeping by part."""
    clock = _clock()
    plan = load_plan(CANDIDATE, cache_mode="off")
    started = time.perf_counter()
    outcome = run_scenario(plan, out_dir=work / "out", db_path=work / "stops.db")
    wall = time.perf_counter() - started
    assert outcome is not None and outcome.gate.sequential is not None
    return {
        "stops_wall_s": wall,
        "stops_after": outcome.gate.sequential.decided_after,
        "stops_parts": dict(clock.spent),
    }


def _ms(parts: dict[str, float]) -> str:
    return ", ".join(f"{name} {s * 1000:.0f} ms" for name, s in sorted(parts.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--processes", default="1", help="harness run --processes")
    parser.add_argument("--pytest-workers", default="2", help="pytest -n (0: one process)")
    parser.add_argument("--bookkeeping-only", action="store_true", help="skip part 1")
    parser.add_argument("--stopping-run-in", type=Path, help=argparse.SUPPRESS)  # part 2's
    args = parser.parse_args(argv)
    if args.stopping_run_in is not None:
        print(json.dumps(stopping_run(args.stopping_run_in)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cli = None if args.bookkeeping_only else command_line(work, args.processes)
        tests = None if args.bookkeeping_only else under_pytest(args.pytest_workers)
        book = bookkeeping(work)
    if cli is not None and tests is not None:
        print(f"harness run {CANDIDATE.relative_to(ROOT)} --processes {args.processes}:")
        print(f"  {cli['line']}")
        print(
            f"  exit {cli['sequential_exit']} after {cli['sequential_calls']:,} calls "
            f"({cli['sequential_s']:.1f} s); --no-sequential: exit {cli['full_exit']} after "
            f"{cli['full_calls']:,} calls ({cli['full_s']:.1f} s): "
            f"{cli['share_of_calls']:.1%} of the calls (target: at most 25%)"
        )
        print(f"  ({cli['load_before']} before, {cli['load_after']} after)")
        print(f"{tests['command']} (in a new folder holding the demo's files):")
        print(f"  {tests['line'] or 'no sequential gate line'}")
        print(
            f"  exit {tests['exit']} after {tests['calls']:,} calls ({tests['s']:.1f} s; "
            f"{tests['outcome']}): {tests['calls'] / cli['full_calls']:.1%} of the full "
            f"replay's {cli['full_calls']:,} calls (target: at most 25%)"
        )
        print(f"  ({tests['load_before']} before, {tests['load_after']} after)")
    print(
        f"bookkeeping in a full sequential replay of {BASELINE.name} (never stops): "
        f"{book['bookkeeping_s'] * 1000:.0f} ms over {book['wall_s'] - book['bookkeeping_s']:.1f}"
        f" s of the rest of the run, {book['share']:.2%} (target: at most 2%)"
    )
    print(f"  {_ms(book['parts'])}")
    print(
        f"{CANDIDATE.name} in a new process, stopped after {book['stops_after']} cases "
        f"({book['stops_wall_s']:.1f} s): {_ms(book['stops_parts'])}; "
        f"{book['stops_share']:.2%} of the full replay's time above"
    )
    print(f"  ({book['load_before']} before, {book['load_after']} after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
