"""Whole `harness run` processes at scale: a re-run served from the response cache, and the
peak memory of a million-case run.

    python benchmarks/scale_runs.py cache-rerun --cases 100000
    python benchmarks/scale_runs.py memory --cases 1000000

``cache-rerun`` fills the response cache with one run against the local Messages-API server
(no latency), then times re-runs that are all cache hits: replay, scoring, gate, results,
report, everything a user waits for. ``memory`` replays through the offline reference agent
and samples the memory of the whole process tree (the parent, the forkserver and the worker
processes: their proportional set sizes, so a page they share counts once) every 50 ms; the
figure is the highest sum seen. Each is the median of
--repeats runs; process startup (`harness --help`) is shown apart.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.replay_throughput import harness_run, start_server, synthetic_cases  # noqa: E402
from harness.corpus.files import write_cases  # noqa: E402
from tests.world import World, build_world  # noqa: E402

FILE_CASES = 50_000  # cases per corpus file: the corpus is written in pieces, never held whole


def build_corpus(root: Path, cases: int) -> World:
    world = build_world(root, cases=synthetic_cases(1, 1))
    world.corpus_file.unlink()
    for start in range(0, cases, FILE_CASES):
        batch = synthetic_cases(min(FILE_CASES, cases - start), 1, start=start)
        write_cases(root / "corpus" / f"cases-{start // FILE_CASES:04d}.parquet", batch)
    return world


class TreeMemory:
    """Samples the memory (PSS) of a process and all its descendants, summed, every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    return found


def _rss(pid: int) -> int:
    """The process's proportional set size: pages shared with the others counted once."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak tree memory (bytes) of one command; exit 0 or 1 expected."""
    began = time.perf_counter()
    process = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with TreeMemory(process.pid) as memory:
        _out, err = process.communicate()
    wall = time.perf_counter() - began
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({process.returncode}):\n{err[-3000:]}")
    return wall, memory.peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["cache-rerun", "memory"])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = build_corpus(Path(tmp) / "w", args.cases)
        env = dict(os.environ)
        startup, _ = run([sys.executable, "-m", "harness.cli", "--help"], env, world.root)
        if args.what == "memory":
            world.write_scenario(
                model={"provider": "offline", "id": "reference-broker-1"},
                concurrency=args.concurrency,
            )
            commands = [harness_run(world.scenario, n) for n in range(args.repeats)]
            figures = [run(cmd, env, world.root) for cmd in commands]
            wall = statistics.median(f[0] for f in figures)
            peak = statistics.median(f[1] for f in figures)
            print(
                f"{args.cases:,} cases, offline model, harness run: peak memory of the process "
                f"tree {peak / 2**20:,.0f} MiB (median of {args.repeats}; runs: "
                f"{', '.join(f'{f[1] / 2**20:,.0f}' for f in figures)} MiB); wall {wall:.1f} s; "
                f"process startup {startup:.2f} s"
            )
            return 0
        world.write_scenario(
            model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
            cache={"mode": "read-write", "dir": "cache"},
            concurrency=args.concurrency,
            calls={"timeout_s": 60},
        )
        server, url = start_server(0.0)
        env.update(ANTHROPIC_API_KEY="sk-bench", ANTHROPIC_BASE_URL=url)
        try:
            fill, _ = run(harness_run(world.scenario, 99), env, world.root)
            figures = [
                run(harness_run(world.scenario, n, "--cache", "require"), env, world.root)
                for n in range(args.repeats)
            ]
        finally:
            server.terminate()
            server.wait(timeout=30)
    wall = statistics.median(f[0] for f in figures)
    print(
        f"{args.cases:,} cases, all cache hits (--cache require), with scoring, gate and report: "
        f"median {wall:.1f} s over {args.repeats} runs (runs: "
        f"{', '.join(f'{f[0]:.1f}' for f in figures)}); peak memory "
        f"{statistics.median(f[1] for f in figures) / 2**20:,.0f} MiB; the filling run took "
        f"{fill:.1f} s; process startup {startup:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
