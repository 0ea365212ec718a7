"""Replay throughput against the local Messages-API server, as a ratio to K·L/C.

With per-call latency L, concurrency C and K calls, no run can finish faster than K·L/C.
This runs the whole `harness run` process (startup shown apart) on a synthetic corpus of
single- or multi-turn cases through the anthropic adapter, against
`python -m harness.testing.serve --latency L --responder fixed` on the same machine.

    python benchmarks/replay_throughput.py --cases 10000 --turns 1 --latency 0.1 --concurrency 64
    python benchmarks/replay_throughput.py --cases 2000 --turns 4 --latency 0.1 --concurrency 64
    python benchmarks/replay_throughput.py --cases 2000 --turns 4 --pytest 2 ...

Each figure is the median of --repeats runs (the machine is shared and noisy). Beside the
ratio it prints what the machine gives without the harness, measured in the same run
against the same server (:mod:`benchmarks.bare_client`): the wall time a bare SDK loop takes
for the same calls (its ratio is the floor a client reaches here), its CPU per call, and
the server's CPU per request.

``--off VAR=VALUE`` measures what one mechanism pays: runs alternate with and without that
private switch (:mod:`harness.run.workers.ablation`), on, off, on, off, so the machine's
load falls on both alike, and it prints both medians and the load average:

    nice python benchmarks/replay_throughput.py --cases 10000 --off HARNESS_BENCH_START_METHOD=spawn
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bare_client import bare_run, process_cpu_s  # noqa: E402
from harness.corpus.cases import Case, Turn  # noqa: E402
from tests.world import build_world  # noqa: E402  (a small real world on disk)


def synthetic_cases(count: int, turns: int, start: int = 0) -> list[Case]:
    cases = []
    for i in range(start, start + count):
        convo: list[Turn] = []
        for t in range(turns):
            convo.append(Turn(role="customer", text=f"case {i} question {t}"))
            convo.append(Turn(role="agent", text="recorded answer"))
            if t == 0:
                convo.append(Turn(role="event", event="offer_presented"))
        cases.append(
            Case(
                case_id=f"bench-{i:07d}",
                source="bench",
                tags={"channel": "online"},
                facts={"apr": 9.9, "broker": "Bench Finance"},
                turns=tuple(convo),
            )
        )
    return cases


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.testing.serve",
            "--latency",
            str(latency),
            "--responder",
            "fixed",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pytest", type=int, default=0, help="use pytest -n N instead")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--processes", default="auto", help="harness run --processes")
    parser.add_argument("--off", default="", help="VAR=VALUE: alternate runs with this switch")
    args = parser.parse_args()

    calls = args.cases * args.turns
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(Path(tmp) / "w", cases=synthetic_cases(args.cases, args.turns))
        world.write_scenario(
            model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
            cache={"mode": "off"},
            concurrency=args.concurrency,
            calls={"timeout_s": 30},
        )
        server, url = start_server(args.latency)
        env = {**os.environ, "ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": url}
        try:
            startup = _time([sys.executable, "-m", "harness.cli", "--help"], env, world.root)
            walls = []
            offs: list[float] = []
            switch = dict([args.off.split("=", 1)]) if args.off else {}
            server_cpu = process_cpu_s(server.pid)
            for n in range(args.repeats * (2 if switch else 1)):
                if args.pytest:
                    cmd = [
                        sys.executable,
                        "-m",
                        "pytest",
                        "--harness-scenario",
                        str(world.scenario),
                        "-n",
                        str(args.pytest),
                        "-q",
                        "-p",
                        "no:cacheprovider",
                        "-p",
                        "no:langsmith_plugin",
                        "--harness-out",
                        f"out{n}",
                        "--harness-db",
                        f"h{n}.duckdb",
                    ]
                else:
                    cmd = harness_run(world.scenario, n, "--processes", args.processes)
                if switch and n % 2:
                    offs.append(_time(cmd, {**env, **switch}, world.root))
                else:
                    walls.append(_time(cmd, env, world.root))
            runs = args.repeats * (2 if switch else 1)
            server_ms = (process_cpu_s(server.pid) - server_cpu) / (calls * runs) * 1000
            bare = bare_run(url, calls, args.concurrency, args.turns)
        finally:
            server.terminate()
            server.wait(timeout=30)
    floor = calls * args.latency / args.concurrency
    wall = statistics.median(walls)
    how = f"pytest -n {args.pytest}" if args.pytest else "harness run"
    print(
        f"{args.cases:,} cases x {args.turns} turns, L={args.latency * 1000:.0f} ms, "
        f"C={args.concurrency}, {how}: median {wall:.1f} s over {args.repeats} runs "
        f"(runs: {', '.join(f'{w:.1f}' for w in walls)}); K·L/C = {floor:.1f} s; "
        f"ratio {wall / floor:.2f}; process startup {startup:.2f} s"
    )
    if offs:
        off = statistics.median(offs)
        print(
            f"with {args.off}: median {off:.1f} s (runs: {', '.join(f'{w:.1f}' for w in offs)}); "
            f"ratio {off / floor:.2f}; off - on {off - wall:+.1f} s"
        )
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(
        f"same machine, same run: bare SDK loop {bare.wall_s:.1f} s (ratio "
        f"{bare.ratio(floor):.2f}), {bare.cpu_ms_per_call:.2f} ms CPU per call; "
        f"server {server_ms:.2f} ms CPU per call"
    )
    return 0


def harness_run(scenario: Path, n: int, *extra: str) -> list[str]:
    """The `harness run` command of repeat ``n``: its own output folder and database."""
    return [
        sys.executable,
        "-m",
        "harness.cli.main",
        "run",
        str(scenario),
        *("--out", f"out{n}", "--db", f"h{n}.duckdb"),
        *extra,
    ]


def _time(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    began = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - began


if __name__ == "__main__":
    raise SystemExit(main())
