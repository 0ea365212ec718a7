"""Text from outside never takes control of a CI log: no printed line is a workflow command.

A GitHub runner executes any line of a job's stdout or stderr whose first non-blank
characters are ``::`` (``##[`` in the older form), and it breaks lines at ``\\r`` too.
Each test runs a real ``harness run`` (or ``pytest --harness-scenario``, or ``harness corpus``)
subprocess whose input is hostile: a server that answers 500 or 401 with such lines, a
case id holding them, an agent turn holding them. Every line printed must be inert, the
only commands being the harness's own annotations, and the hostile text must still be
shown (escaped), so a reader sees what the server or the case said.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.testing import FaultPlan, MessagesApiServer
from harness.testing.api_formats import ApiPrompt
from tests.world import World, build_world, make_case

KEY = "sk-ant-hostile-test-key-0123456789"
#: Every way a line can become a command, behind a harmless first line.
HOSTILE = (
    "boom\n::error title=pwned::owned\r::add-mask::masked\n  ::stop-commands::tok\n"
    "##[error]old form\u2028::warning::separator\x0b::notice::vertical\x1b[2K"
)
EVIL_ID = "case-evil\n::error title=id::from a case id\r##[warning]too"
_COMMAND = re.compile(r"^[\s\u200b-\u200f\u2060\ufeff]*(::|##\[)")


def commands(text: str) -> list[str]:
    """The lines of ``text`` a runner would execute (any line break counts)."""
    return [line for line in text.splitlines() if _COMMAND.match(line)]


def assert_inert(output: str, annotations: Path | None = None) -> None:
    """No line of ``output`` is a command, but for the run's own annotations, each whole."""
    own = annotations.read_text(encoding="utf-8").splitlines() if annotations else []
    assert all(
        line.startswith(("::error title=", "::error file=", "::notice title=")) for line in own
    ), own
    assert commands(output) == own, output


def _harness(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC", "GITHUB_")) and k != "PYTEST_ADDOPTS"
    }
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _hostile_answer(prompt: ApiPrompt) -> str:
    return f"We are a credit broker, not a lender. {HOSTILE}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    good = "We are a credit broker, not a lender. Representative 9.9% APR."
    cases = [
        make_case("case-001", [good, "Thanks"]),
        make_case(EVIL_ID, [f"Hello! {HOSTILE}", f"not a lender {HOSTILE}"]),
        make_case("case-003", [HOSTILE, good]),
    ]
    world = build_world(tmp_path_factory.mktemp("hostile") / "w", cases=cases)
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
        calls={"max_attempts": 2, "backoff_base_s": 0.01, "circuit_breaker_failures": 3},
        thresholds={"default": 0.9},
    )
    return world


@pytest.fixture
def server() -> Iterator[MessagesApiServer]:
    with MessagesApiServer(api_key=KEY) as running:
        yield running


def _env(server: MessagesApiServer, world: World, *, key: str = KEY) -> dict[str, str]:
    summary = world.root / "step-summary.md"
    return {
        "ANTHROPIC_API_KEY": key,
        "ANTHROPIC_BASE_URL": server.base_url,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ACTIONS": "true",
    }


def _run(
    world: World, env: dict[str, str], out: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    args = ("--out", out, "--db", "h.db", "--processes", "1", "--overwrite", *extra)
    return _harness(world.root, env, "harness.cli", "run", str(world.scenario), *args)


def test_a_hostile_500_body_reaches_the_headline_and_annotations_inert(
    world: World, server: MessagesApiServer
) -> None:
    """The defect: the circuit breaker's reason quoted the body, printed verbatim."""
    server.faults = FaultPlan(rates={"server_error": 1.0}, error_detail=HOSTILE)

    done = _run(world, _env(server, world), "body", "--cache", "off")

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "circuit breaker opened" in done.stdout
    assert_inert(done.stdout + done.stderr, world.root / "body" / "annotations.txt")
    # shown, escaped: the reader sees what the server said
    assert "\\::error title=pwned::owned\\r::add-mask::masked" in done.stdout
    assert "\\u2028::warning::separator\\x0b::notice::vertical\\x1b[2K" in done.stdout


def test_a_hostile_401_body_reaches_the_error_message_inert(
    world: World, server: MessagesApiServer
) -> None:
    server.faults = FaultPlan(error_detail=HOSTILE)

    done = _run(world, _env(server, world, key="sk-ant-wrong"), "refused", "--cache", "off")

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("harness: error: anthropic model 'claude-sonnet-4-6': auth")
    assert_inert(done.stdout + done.stderr)
    assert "\\::stop-commands::tok" in done.stderr


def test_a_hostile_case_id_reaches_the_error_message_inert(
    world: World, server: MessagesApiServer
) -> None:
    done = _run(world, _env(server, world), "require", "--cache", "require")

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert_inert(done.stdout + done.stderr)
    assert "no cached answer" in done.stderr
    assert server.stats().requests == 0


def test_hostile_agent_turns_and_case_id_through_a_whole_run_print_inert(
    world: World, server: MessagesApiServer
) -> None:
    server.responder = _hostile_answer

    done = _run(world, _env(server, world), "agent", "--cache", "off")

    assert done.returncode == 1, done.stderr
    assert_inert(done.stdout + done.stderr, world.root / "agent" / "annotations.txt")
    recorded = _run(world, _env(server, world), "recorded", "--model", "recorded:production")
    assert recorded.returncode == 1, recorded.stderr
    assert_inert(recorded.stdout + recorded.stderr, world.root / "recorded" / "annotations.txt")


def test_the_pytest_plugin_prints_hostile_case_ids_and_agent_turns_inert(
    world: World, server: MessagesApiServer
) -> None:
    """Failing items quote what the agent said and name the case: both printed inert."""
    env = {**_env(server, world), "PYTEST_ADDOPTS": "-p no:cacheprovider"}
    args = (
        "pytest",
        "-v",
        "-n",
        "0",
        "--harness-scenario",
        str(world.scenario),
        "--harness-out",
        "pytest",
    )

    done = _harness(world.root, env, *args, "--harness-db", "h.db")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "case-evil\\n::error title=id::from a case id\\r##[warning]too" in done.stdout
    assert_inert(done.stdout + done.stderr, world.root / "pytest" / "annotations.txt")


def test_corpus_commands_print_case_text_inert(world: World) -> None:
    query = "SELECT case_id, text FROM turns WHERE role = 'agent'"
    shown = _harness(world.root, {}, "harness.cli", "corpus", "sql", query, "--results", "none*")
    as_csv = _harness(
        world.root, {}, "harness.cli", "corpus", "sql", query, "--results", "none*", "--csv"
    )

    for done in (shown, as_csv):
        assert done.returncode == 0, done.stderr
        assert "case-evil" in done.stdout
        assert_inert(done.stdout + done.stderr)


def test_harness_verify_prints_a_tampered_manifest_inert(
    world: World, server: MessagesApiServer
) -> None:
    """The manifest of a folder someone hands over is outside text: a hash it lists is
    quoted when the file does not match, so a forged one must not become a command."""
    done = _run(world, _env(server, world), "verify", "--model", "recorded:production")
    assert done.returncode == 1, done.stderr
    manifest = world.root / "verify" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["outputs"]["report.html"] = HOSTILE
    manifest.write_text(json.dumps(data), encoding="utf-8")

    checked = _harness(world.root, {}, "harness.cli", "verify", "verify")

    assert checked.returncode == 1, checked.stderr
    assert "Traceback" not in checked.stderr
    assert "report.html: changed (sha256 " in checked.stdout
    assert_inert(checked.stdout + checked.stderr)
