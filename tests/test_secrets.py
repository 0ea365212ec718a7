"""No key reaches a file or a log, not even in part.

The unit rows pin what a :class:`Scrubber` removes and keeps. The end-to-end tests run a
real ``harness run`` against the local server while it echoes the key minus its last
characters (or without its prefix) in its answers and in its 500 bodies, then read every
file the run wrote (Parquet rows, the DuckDB run store, the cache, report, summary, PR
comment, JUnit, annotations, manifest, the job summary) and what it printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from harness.config.secrets import MIN_RUN, Scrubber
from harness.models.provider_errors import scrub
from harness.outputs.console import inert
from harness.testing import FaultPlan, MessagesApiServer
from harness.testing.api_formats import ApiPrompt
from tests.world import World, build_world, make_case

KEY = "sk-ant-api03-Zq8xPLmR4vT2wK9sJ6hNbV1cX5dF7gH3yU0"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (f"key {KEY} refused", "key [redacted] refused"),
        (f"key {KEY[:-4]} refused", "key [redacted] refused"),
        (f"echo {KEY[13:]}!", "echo [redacted]!"),
        (f"a run of 8: {KEY[20:28]}.", "a run of 8: [redacted]."),
        (f"a run of 7: {KEY[20:27]}.", f"a run of 7: {KEY[20:27]}."),
        (f"{KEY[30:40]} then {KEY[2:12]}", "[redacted] then [redacted]"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1.x-y_z", "Authorization: Bearer [redacted]"),
        ("authorization: bearer  abcdefgh12", "authorization: bearer  [redacted]"),
        ("x-api-key: abcd1234", "x-api-key: [redacted]"),
        ('{"x-api-key": "zz99zz99"}', '{"x-api-key": "[redacted]"}'),
        ("X-Api-Key=k3y-v4lue", "X-Api-Key=[redacted]"),
        ("other key sk-ant-admin01-AAAABBBBCCCC", "other key [redacted]"),
        ("openai sk-proj-1234567890abcdef", "openai [redacted]"),
        ("sk-short and sk-", "sk-short and sk-"),
        ("task-12345678 and desk-abcdefghij", "task-12345678 and desk-abcdefghij"),
        ("9.9% APR, the bearer of good news", "9.9% APR, the bearer of good news"),
        ("BEARER ABCDEFGH12 sent", "BEARER [redacted] sent"),
        ("token: BeArEr\tabcdefghij", "token: BeArEr\t[redacted]"),
    ],
    ids=[
        "whole",
        "minus-last-chars",
        "without-prefix",
        "run-of-8",
        "run-of-7-kept",
        "two-runs",
        "bearer",
        "bearer-lower-two-spaces",
        "x-api-key-header",
        "x-api-key-json",
        "x-api-key-equals",
        "other-anthropic-key",
        "openai-key",
        "too-short",
        "words-ending-in-sk",
        "ordinary-text",
        "bearer-upper-no-hyphen",
        "bearer-mixed-case-tab",
    ],
)
def test_a_scrubber_removes_key_runs_and_credential_shapes(text: str, scrubbed: str) -> None:
    assert Scrubber([KEY]).scrub(text) == scrubbed


def test_the_quick_test_before_the_shapes_misses_no_bearer_spelling() -> None:
    # The scrubber skips the shapes' regular expression for a text with no hyphen whose
    # lower case lacks "bearer": sound only if no character but the ASCII cases of b, e,
    # a and r matches them case-insensitively (unlike i and k: "ı", "İ", the Kelvin sign).
    folds = re.compile("(?i:[bear])")
    found = {c for c in map(chr, range(sys.maxunicode + 1)) if folds.fullmatch(c)}
    assert found == set("bearBEAR")


def test_a_short_key_is_scrubbed_whole_only_and_keys_never_show() -> None:
    scrubber = Scrubber(["hunter2", None, "", KEY])
    assert scrubber.scrub("pw hunter2, not hunter") == "pw [redacted], not hunter"
    assert KEY not in repr(scrubber) and repr(scrubber) == "Scrubber(2 keys)"
    assert scrubber.scrub_optional(None) is None


def test_provider_errors_and_printed_text_are_scrubbed() -> None:
    assert scrub(f"HTTP 500: {KEY[:-3]}", KEY) == "HTTP 500: [redacted]"
    assert inert("sent Bearer abcdefgh1234 and sk-ant-zzzzzzzzzz") == (
        "sent Bearer [redacted] and [redacted]"
    )


def leaked(text: str) -> list[str]:
    """The runs of 8 characters of the key found in ``text``."""
    return sorted({KEY[i : i + MIN_RUN] for i in range(len(KEY) - MIN_RUN + 1)} & _runs(text))


def _runs(text: str) -> set[str]:
    return {text[i : i + MIN_RUN] for i in range(len(text) - MIN_RUN + 1)}


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return json.dumps(pq.read_table(path).to_pylist(), default=str)
    if path.suffix in (".db", ".duckdb"):
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            return "".join(
                str(con.execute(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{t}"').fetchall())
                for (t,) in tables
            )
    return path.read_bytes().decode("utf-8", "replace")


def leaks_in(root: Path) -> dict[str, list[str]]:
    """Every file under ``root`` (but the corpus and scenarios) holding part of the key."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not {"corpus", "scenarios"} & set(path.relative_to(root).parts):
            runs = leaked(_file_text(path))
            if runs:
                found[str(path.relative_to(root))] = runs
    return found


def _echo(prompt: ApiPrompt) -> str:
    return (
        "We are a credit broker, not a lender. Your key "
        f"{KEY[:-4]} (or {KEY[13:]}) works; x-api-key: {KEY[5:-2]}"
    )


@pytest.fixture
def world(tmp_path: Path) -> World:
    cases = [make_case(f"case-{i:03d}", ["We are a credit broker", "ok"]) for i in range(4)]
    world = build_world(tmp_path / "w", cases=cases)
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
        calls={"max_attempts": 2, "backoff_base_s": 0.01, "circuit_breaker_failures": 3},
        thresholds={"default": 0.9},
    )
    return world


_ARGS = ("--out", "out", "--db", "h.db", "--processes", "1")


def _run(world: World, server: MessagesApiServer) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "GITHUB_"))}
    env = {
        **clean,
        "ANTHROPIC_API_KEY": KEY,
        "ANTHROPIC_BASE_URL": server.base_url,
        "GITHUB_STEP_SUMMARY": str(world.root / "step-summary.md"),
    }
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(world.scenario), *_ARGS],
        cwd=world.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_answer_echoing_the_key_leaves_no_part_of_it_anywhere(world: World) -> None:
    with MessagesApiServer(api_key=KEY, responder=_echo) as server:
        done = _run(world, server)

    assert done.returncode == 1, done.stderr
    written = {p.name for p in (world.root / "out").iterdir()}
    assert {"results.parquet", "report.html", "junit.xml", "manifest.json"} <= written
    assert leaks_in(world.root) == {}
    assert leaked(done.stdout + done.stderr) == []
    transcripts = "".join(
        _file_text(p) for p in (world.root / "out" / "parts").glob("*transcripts*")
    )
    assert "Your key [redacted] (or [redacted]) works; x-api-key: [redacted]" in transcripts


def test_error_bodies_echoing_the_key_leave_no_part_of_it_anywhere(world: World) -> None:
    faults = FaultPlan(rates={"server_error": 1.0}, error_detail=f"bad key {KEY[:-3]}")
    with MessagesApiServer(api_key=KEY, faults=faults) as server:
        done = _run(world, server)

    assert done.returncode == 1, done.stderr
    assert "circuit breaker opened" in done.stdout
    assert "bad key [redacted]" in done.stdout
    assert leaks_in(world.root) == {}
    assert leaked(done.stdout + done.stderr) == []


def test_a_refused_key_echoed_back_is_not_printed(world: World) -> None:
    faults = FaultPlan(error_detail=f"invalid x-api-key {KEY[:-5]}")
    with MessagesApiServer(api_key=KEY + "-other", faults=faults) as server:
        done = _run(world, server)

    assert done.returncode == 2, done.stderr
    assert "authentication failed" in done.stderr and "Traceback" not in done.stderr
    assert leaked(done.stdout + done.stderr) == []
    assert leaks_in(world.root) == {}
