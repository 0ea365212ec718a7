"""Run the local provider server from the command line, for benchmarks and manual tries.

    python -m harness.testing.serve --port 8765 --latency 0.1 [--fault-rate 0.2 --seed 1]

Prints the base URL first (for scripts to read), then serves on 127.0.0.1 until SIGINT
or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import threading

from harness.testing.api_formats import fixed_responder, offline_responder
from harness.testing.api_server import MessagesApiServer
from harness.testing.faults import FaultPlan


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; prints the base URL first, for scripts to read."""
    parser = argparse.ArgumentParser(prog="python -m harness.testing.serve")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of 429/500/529 answers"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random faults")
    parser.add_argument("--api-key", default=None, help="require this key (default: any)")
    parser.add_argument(
        "--responder",
        choices=("offline", "fixed"),
        default="offline",
        help="offline: the reference agent's answer; fixed: one short sentence (cheap, for "
        "benchmarks that measure the harness rather than the server)",
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    faults = FaultPlan.uniform(args.fault_rate, seed=args.seed) if args.fault_rate else None
    responder = offline_responder if args.responder == "offline" else fixed_responder
    with MessagesApiServer(
        api_key=args.api_key,
        port=args.port,
        latency_s=args.latency,
        faults=faults,
        responder=responder,
    ) as server:
        print(server.base_url, flush=True)
        while not stop.wait(0.5):  # a timed wait, so signals are handled promptly
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
