"""What the machine gives without the harness: a bare SDK loop, and the server's own CPU.

Every replay benchmark prints these beside its ratio, measured in the same run against the
same server, so a reader can tell the harness's overhead from the machine's:

* the **bare client**: a plain ``AsyncAnthropic`` loop (the official SDK over its aiohttp
  transport, as the adapter uses it, no retries) making the same K calls with C in flight,
  in a process of its own; its wall time over K·L/C is the floor a client reaches here,
  and its CPU per call (user + system, over its replay phase only) what the SDK costs;
* the **server**: the local Messages-API server's CPU per request while it served a run.

    python benchmarks/bare_client.py --url http://127.0.0.1:8765 --calls 2000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MODEL = "claude-sonnet-4-6"


@dataclass(frozen=True)
class BareRun:
    """A bare SDK loop: its replay phase's wall time and CPU per call."""

    calls: int
    wall_s: float
    cpu_ms_per_call: float

    def ratio(self, floor_s: float) -> float:
        return self.wall_s / floor_s


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_run(url: str, calls: int, concurrency: int, turns: int = 1) -> BareRun:
    """Run the bare loop in a fresh process (its own CPU, its own imports) and read it back."""
    command = [sys.executable, __file__, "--url", url, "--calls", str(calls)]
    done = subprocess.run(
        [*command, "--concurrency", str(concurrency), "--turns", str(turns)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ANTHROPIC_API_KEY": os.environ.get("ANTHROPIC_API_KEY", "sk-bare")},
    )
    return BareRun(**json.loads(done.stdout.splitlines()[-1]))


async def _loop(url: str, calls: int, concurrency: int, turns: int) -> BareRun:
    import anthropic

    client = anthropic.AsyncAnthropic(
        base_url=url, max_retries=0, http_client=anthropic.DefaultAioHttpClient()
    )
    slots = asyncio.Semaphore(concurrency)

    async def conversation(number: int) -> None:
        messages: list[dict[str, str]] = []
        for turn in range(turns):  # each turn waits for the answer before it, as a case does
            messages.append({"role": "user", "content": f"case {number} question {turn}"})
            async with slots:
                answer = await client.messages.create(
                    model=MODEL, max_tokens=256, system="You are a broker.", messages=messages
                )
            messages.append({"role": "assistant", "content": answer.content[0].text})

    conversations = calls // turns
    await conversation(-1)  # the first call builds the connection pool; not timed
    cpu, began = time.process_time(), time.monotonic()
    await asyncio.gather(*(conversation(n) for n in range(conversations)))
    wall, used = time.monotonic() - began, time.process_time() - cpu
    await client.close()
    made = conversations * turns
    return BareRun(calls=made, wall_s=wall, cpu_ms_per_call=used / made * 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--turns", type=int, default=1)
    args = parser.parse_args()
    run = asyncio.run(_loop(args.url, args.calls, args.concurrency, args.turns))
    print(json.dumps(run.__dict__))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
