"""What a run pays outside its request phase: starting, reaching the first call, exiting.

    python benchmarks/start_and_exit.py --cases 1000 --latency 0.1 --concurrency 32

Times, each the median of --repeats runs:

* ``harness --help``: the installed command, from exec to exit;
* a whole ``harness run`` of --cases single-turn cases through the anthropic adapter (the
  official SDK) against the local Messages-API server in this process
  (:class:`harness.testing.MessagesApiServer`, fixed answers, latency L): from the moment
  the command is started to the first request the server sees, and from the last answer
  (the last request's arrival plus L) to the command's exit; its wall time against K·L/C.

The clock is ``time.monotonic()``, one clock for every process on the machine. Beside the
ratio: a bare SDK loop's wall time for the same calls and its CPU per call, and the server's
CPU per request (:mod:`benchmarks.bare_client`), measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bare_client import bare_run, process_cpu_s  # noqa: E402
from benchmarks.replay_throughput import synthetic_cases  # noqa: E402
from harness.testing import MessagesApiServer  # noqa: E402
from harness.testing.api_formats import fixed_responder  # noqa: E402
from tests.world import build_world  # noqa: E402

KEY = "sk-bench-start"


@dataclass(frozen=True)
class RunTimes:
    to_first_call: float
    after_last_answer: float
    wall: float
    #: The command's own CPU seconds (this process only, not its workers), sampled every
    #: 20 ms: less sensitive than wall time to what else the machine runs.
    cpu_to_first_call: float
    cpu_after_last_answer: float


def harness_command() -> list[str]:
    """The installed ``harness`` script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).parent / "harness"
    found = str(script) if script.exists() else shutil.which("harness")
    return [found] if found else [sys.executable, "-m", "harness.cli"]


def time_help(repeats: int) -> list[float]:
    walls = []
    for _ in range(repeats):
        began = time.monotonic()
        subprocess.run([*harness_command(), "--help"], capture_output=True, check=True)
        walls.append(time.monotonic() - began)
    return walls


def time_run(
    server: MessagesApiServer, cwd: Path, scenario: Path, n: int, latency: float, processes: str
) -> RunTimes:
    server.reset()
    env = {**os.environ, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
    command = [*harness_command(), "run", str(scenario), "--out", f"out{n}", "--db", f"h{n}.db"]
    began = time.monotonic()
    child = subprocess.Popen(
        [*command, "--processes", processes],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[float, float]] = []  # (when, the command's CPU seconds so far)
    done = threading.Event()

    def sample() -> None:
        with contextlib.suppress(OSError, IndexError, ValueError):
            while not done.wait(0.02):
                samples.append((time.monotonic(), process_cpu_s(child.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    ended = time.monotonic()
    child.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if child.returncode not in (0, 1):
        raise SystemExit(f"harness run failed ({child.returncode}):\n{stderr[-3000:]}")
    arrivals = server.arrivals()
    first, last = min(arrivals), max(arrivals) + latency
    total_cpu = usage.ru_utime + usage.ru_stime

    def cpu_at(moment: float) -> float:
        return next((cpu for when, cpu in samples if when >= moment), total_cpu)

    return RunTimes(
        to_first_call=first - began,
        after_last_answer=ended - last,
        wall=ended - began,
        cpu_to_first_call=cpu_at(first),
        cpu_after_last_answer=total_cpu - cpu_at(last),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--processes", default="auto", help="harness run --processes")
    args = parser.parse_args()

    helps = time_help(args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(Path(tmp) / "w", cases=synthetic_cases(args.cases, 1))
        world.write_scenario(
            model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
            cache={"mode": "off"},
            concurrency=args.concurrency,
        )
        with MessagesApiServer(
            api_key=KEY, latency_s=args.latency, responder=fixed_responder
        ) as server:
            # This process only waits while a run goes on: its CPU is the server thread's.
            server_cpu = process_cpu_s(os.getpid())
            runs = [
                time_run(server, world.root, world.scenario, n, args.latency, args.processes)
                for n in range(args.repeats)
            ]
            server_ms = (process_cpu_s(os.getpid()) - server_cpu) / (args.cases * args.repeats)
            os.environ["ANTHROPIC_API_KEY"] = KEY
            bare = bare_run(server.base_url, args.cases, args.concurrency)
    floor = args.cases * args.latency / args.concurrency

    def show(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s ({', '.join(f'{v:.2f}' for v in values)})"

    wall = statistics.median(r.wall for r in runs)
    print(f"harness --help: {show(helps)}")
    print(
        f"harness run, {args.cases:,} cases, L={args.latency * 1000:.0f} ms, "
        f"C={args.concurrency}, --processes {args.processes}:"
    )
    print(
        f"  start to first call: {show([r.to_first_call for r in runs])}; its CPU "
        f"{show([r.cpu_to_first_call for r in runs])}"
    )
    print(
        f"  last answer to exit: {show([r.after_last_answer for r in runs])}; its CPU "
        f"{show([r.cpu_after_last_answer for r in runs])}"
    )
    walls = show([r.wall for r in runs])
    print(f"  wall: {walls}; K·L/C = {floor:.2f} s; ratio {wall / floor:.2f}")
    print(
        f"same machine, same run: bare SDK loop {bare.wall_s:.2f} s (ratio "
        f"{bare.ratio(floor):.2f}), {bare.cpu_ms_per_call:.2f} ms CPU per call; "
        f"server {server_ms * 1000:.2f} ms CPU per call"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
