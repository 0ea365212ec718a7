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
from harness.testing.api_server import DEFAULT_MODELS, MessagesApiServer
from harness.testing.faults import FaultPlan

_ENDPOINTS = f"""endpoints:
  POST /v1/messages                     the Anthropic Messages API
  POST /v1/messages/batches             Message Batches: create
  GET  /v1/messages/batches/ID[/results]  retrieve a batch, its results (JSON Lines)
  POST /v1/chat/completions             an OpenAI-compatible chat endpoint

model ids accepted (any other is answered 404, as the real APIs answer an unknown model):
  {", ".join(sorted(DEFAULT_MODELS))}

The offline responder (the default) answers as the shipped demo's reference broker agent:
it speaks the demo domain (a UK credit broker financing heat pumps, solar panels and home
batteries) and reads the disclosures in force from a system prompt laid out like
scenarios/prompts/broker_agent/v1.j2; with another prompt it answers generically.
Point the anthropic provider at it with options.base_url (or ANTHROPIC_BASE_URL) and any
API key unless --api-key is given."""


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; prints the base URL first, for scripts to read."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.testing.serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="A local provider server on 127.0.0.1, for tests, benchmarks and manual "
        "tries without an API key. It prints its base URL first, then serves until SIGINT "
        "or SIGTERM.",
        epilog=_ENDPOINTS,
    )
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
