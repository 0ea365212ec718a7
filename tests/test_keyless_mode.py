"""Keyless pull-request mode: with every answer cached, ``--cache require`` needs no API key.

A pull request from a fork gets no secrets, so the check replays from the response cache the
default branch recorded. Each test runs the real ``harness`` command with no
``ANTHROPIC_*`` variable in its environment except the local server's address, against the
official SDK speaking to our local Messages-API server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.testing import MessagesApiServer
from tests.world import World

KEY = "sk-ant-test-keyless-0123456789abcdef"
MODEL = "claude-sonnet-4-6"


@pytest.fixture
def server() -> Iterator[MessagesApiServer]:
    with MessagesApiServer(api_key=KEY) as running:
        yield running


def _harness(
    world: World, server: MessagesApiServer, *args: str, key: bool
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    env["ANTHROPIC_BASE_URL"] = server.base_url
    if key:
        env["ANTHROPIC_API_KEY"] = KEY
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        cwd=world.root,
        env=env,
        timeout=300,
    )


def _scenario(world: World, mode: str = "read-write") -> Path:
    return world.write_scenario(
        model={"provider": "anthropic", "id": MODEL, "options": {"max_tokens": 256}},
        cache={"mode": mode, "dir": "cache"},
    )


def _run(world: World, server: MessagesApiServer, *args: str, key: bool) -> str:
    done = _harness(world, server, "run", str(world.scenario), "--db", "h.duckdb", *args, key=key)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.stdout


def test_require_with_every_answer_cached_runs_without_a_key(
    world: World, server: MessagesApiServer
) -> None:
    _scenario(world)
    recorded = _run(world, server, "--out", "recorded", key=True)
    calls = server.stats().requests
    assert calls == 10  # five cases, two agent turns each

    replayed = _run(world, server, "--out", "keyless", "--cache", "require", key=False)

    assert server.stats().requests == calls  # every answer came from the cache
    assert _gate_table(replayed) == _gate_table(recorded)
    assert "criterion" in _gate_table(recorded)[0]


def _gate_table(stdout: str) -> list[str]:
    """The printed gate: the table and the verdict, without the run's own paths."""
    lines = stdout.splitlines()
    return lines[1 : next(i for i, line in enumerate(lines) if line.startswith("report:"))]


def test_a_scenario_whose_cache_mode_is_require_runs_without_a_key(
    world: World, server: MessagesApiServer
) -> None:
    _scenario(world)
    _run(world, server, "--out", "recorded", key=True)
    _scenario(world, mode="require")

    _run(world, server, "--out", "keyless", key=False)

    assert server.stats().requests == 10


def test_require_without_a_key_names_the_missing_answer_not_the_key(
    world: World, server: MessagesApiServer
) -> None:
    _scenario(world)
    args = ("run", str(world.scenario), "--db", "h.duckdb", "--cache", "require")

    done = _harness(world, server, *args, "--concurrency", "1", key=False)

    assert done.returncode == 2
    assert "harness: error: case case-001 turn 1: no cached answer" in done.stderr
    assert "ANTHROPIC_API_KEY" not in done.stderr
    assert server.stats().requests == 0


def test_a_run_that_may_call_still_needs_the_key_before_any_call(
    world: World, server: MessagesApiServer
) -> None:
    _scenario(world)

    done = _harness(world, server, "run", str(world.scenario), "--db", "h.duckdb", key=False)

    assert done.returncode == 2
    assert done.stderr.strip() == (
        "harness: error: model provider 'anthropic': the environment variable "
        "ANTHROPIC_API_KEY is not set; put your Anthropic API key in it, or name another "
        "variable with model.options.api_key_env (a run with --cache require, every answer "
        "cached, needs none)"
    )
    assert server.stats().requests == 0


def test_estimate_of_an_anthropic_scenario_needs_no_key(
    world: World, server: MessagesApiServer
) -> None:
    _scenario(world)

    done = _harness(world, server, "estimate", str(world.scenario), key=False)

    assert done.returncode == 0, done.stderr
    assert f"scenario mini: model anthropic:{MODEL}" in done.stdout
    assert "calls                       10  (0 already cached)" in done.stdout
    assert server.stats().requests == 0
