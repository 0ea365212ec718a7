"""The sequential gate on the shipped demo: the share of calls it makes, and its bookkeeping.

    python benchmarks/sequential_demo.py            # prints the figures
    python benchmarks/sequential_demo.py --processes 2

1. ``harness run scenarios/demo-candidate-sequential.yaml`` (a subprocess, the real command
   line) against the same scenario with ``--no-sequential``: both exit 1; the calls each made
   (manifest and model_calls) and the share the sequential run made.
2. The bookkeeping: in this process, the baseline scenario with the sequential gate switched
   on (it passes, so ``stop_on: fail`` never stops and every case goes through the watch: the
   worst case), with the time spent reading the order, in the watch and in the sequential
   gate measured around those functions, against the wall time of the whole run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

import harness.run.finish as finish
from harness.config.sequential import SequentialPolicy
from harness.run.finish import run_scenario
from harness.run.plan import ReplayPlan, load_plan
from harness.run.sequential import SequentialWatch

ROOT = Path(__file__).resolve().parent.parent
CANDIDATE = ROOT / "scenarios" / "demo-candidate-sequential.yaml"
BASELINE = ROOT / "scenarios" / "demo-baseline.yaml"


def _calls(db: Path, out: Path) -> tuple[int, dict[str, Any]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM model_calls WHERE run_id = ?", [manifest["run_id"]]
        ).fetchone()
    return (int(row[0]) if row else 0), manifest


def command_line(work: Path, processes: str) -> dict[str, Any]:
    """Part 1: the real command, sequential and full."""
    figures: dict[str, Any] = {}
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
    return figures


def _timed(owner: Any, name: str, spent: list[float]) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began

    setattr(owner, name, wrapper)


def bookkeeping(work: Path) -> dict[str, float]:
    """Part 2: the order's, the watch's and the sequential gate's time in a full replay."""
    # the baseline with the sequential gate on: it passes, so it is read to the last case
    plan = replace(load_plan(BASELINE), sequential=SequentialPolicy())
    spent = [0.0]
    _timed(SequentialWatch, "add", spent)  # every finished case, and the checks
    _timed(ReplayPlan, "replay_order", spent)  # the extra read of the selection's ids
    _timed(finish, "sequential_gate", spent)  # the early verdict from the store
    started = time.perf_counter()
    outcome = run_scenario(plan, out_dir=work / "book", db_path=work / "book.db")
    wall = time.perf_counter() - started
    assert outcome is not None and outcome.gate.passed
    return {"wall_s": wall, "bookkeeping_s": spent[0], "share": spent[0] / wall}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--processes", default="1")
    parser.add_argument("--bookkeeping-only", action="store_true", help="skip part 1")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cli = None if args.bookkeeping_only else command_line(work, args.processes)
        book = bookkeeping(work)
    if cli is not None:
        print(f"harness run {CANDIDATE.relative_to(ROOT)} --processes {args.processes}:")
        print(f"  {cli['line']}")
        print(
            f"  exit {cli['sequential_exit']} after {cli['sequential_calls']:,} calls "
            f"({cli['sequential_s']:.1f} s); --no-sequential: exit {cli['full_exit']} after "
            f"{cli['full_calls']:,} calls ({cli['full_s']:.1f} s): "
            f"{cli['share_of_calls']:.1%} of the calls (target: at most 25%)"
        )
    print(
        f"bookkeeping in a full sequential replay of {BASELINE.name}: "
        f"{book['bookkeeping_s'] * 1000:.0f} ms of {book['wall_s']:.1f} s wall, "
        f"{book['share']:.2%} (target: at most 2%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
