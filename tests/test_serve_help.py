"""``python -m harness.testing.serve --help`` says what the local server answers."""

from __future__ import annotations

import subprocess
import sys

from harness.testing.api_server import DEFAULT_MODELS


def test_help_lists_the_endpoints_the_models_and_the_responder_s_domain() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.testing.serve", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    routes = [words[:2] for words in lines if words[:1] in (["POST"], ["GET"])]
    assert routes == [
        ["POST", "/v1/messages"],
        ["POST", "/v1/messages/batches"],
        ["GET", "/v1/messages/batches/ID[/results]"],
        ["POST", "/v1/chat/completions"],
    ]
    assert ", ".join(sorted(DEFAULT_MODELS)) in done.stdout
    assert "speaks the demo domain (a UK credit broker" in " ".join(done.stdout.split())
