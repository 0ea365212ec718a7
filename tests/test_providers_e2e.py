"""Replays through the anthropic adapter against our local Messages-API server, end to end."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from harness.errors import ConfigError
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from harness.testing import FaultPlan, MessagesApiServer
from tests.world import World, build_world, make_case

KEY = "sk-ant-test-0123456789abcdef-SECRET"
MODEL = "claude-sonnet-4-6"


def _anthropic_scenario(world: World, **changes: Any) -> Path:
    settings: dict[str, Any] = {
        "model": {"provider": "anthropic", "id": MODEL, "options": {"max_tokens": 256}},
        "cache": {"mode": "read-write", "dir": str(world.root / "cache")},
    }
    return world.write_scenario(**{**settings, **changes})


@pytest.fixture
def server() -> Iterator[MessagesApiServer]:
    with MessagesApiServer(api_key=KEY) as running:
        yield running


def test_second_run_makes_zero_calls(
    world: World, server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    path = _anthropic_scenario(world)
    first = run_scenario(load_plan(path), out_dir=tmp_path / "a", db_path=tmp_path / "h.db")
    assert first is not None
    calls_first = server.stats().requests
    assert calls_first == 10  # five cases, two agent turns each
    second = run_scenario(load_plan(path), out_dir=tmp_path / "b", db_path=tmp_path / "h.db")
    assert second is not None
    assert server.stats().requests == calls_first
    rows_a = pq.read_table(first.results_path).drop_columns(["run_id", "duration_ms"])
    rows_b = pq.read_table(second.results_path).drop_columns(["run_id", "duration_ms"])
    assert rows_a.equals(rows_b)
    import duckdb

    with duckdb.connect(str(tmp_path / "h.db"), read_only=True) as con:
        hits = con.execute(
            "SELECT count(*) FILTER (WHERE cache_hit), count(*) FROM model_calls WHERE run_id = ?",
            [second.run_id],
        ).fetchone()
    assert hits == (10, 10)
    report = first.report_path.read_text()
    assert "Prompt caching of the system prompt saved $" in report


def test_require_mode_with_an_empty_cache_exits_2_naming_the_case(
    world: World, server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _anthropic_scenario(world)
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
    done = _cli(world, env, "--cache", "require", "--concurrency", "1")
    assert done.returncode == 2
    assert "harness: error: case case-001 turn 1: no cached answer" in done.stderr
    assert server.stats().requests == 0


def test_invalid_key_stops_the_run_at_once(world: World, server: MessagesApiServer) -> None:
    _anthropic_scenario(world)
    env = {"ANTHROPIC_API_KEY": "sk-wrong", "ANTHROPIC_BASE_URL": server.base_url}
    done = _cli(world, env, "--concurrency", "1")
    assert done.returncode == 2
    assert done.stderr.count("harness: error:") == 1
    assert "auth" in done.stderr.lower() and "401" in done.stderr
    assert server.stats().requests == 1


def test_missing_key_fails_before_any_case(world: World, server: MessagesApiServer) -> None:
    _anthropic_scenario(world)
    done = _cli(world, {"ANTHROPIC_BASE_URL": server.base_url})
    assert done.returncode == 2
    assert "ANTHROPIC_API_KEY is not set" in done.stderr
    assert server.stats().requests == 0


def test_model_override_from_the_command_line(world: World, server: MessagesApiServer) -> None:
    world.write_scenario(cache={"mode": "off"})  # the recorded model in the file
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
    done = _cli(world, env, "--model", f"anthropic:{MODEL}")
    assert done.returncode in (0, 1), done.stderr
    assert f"model anthropic:{MODEL}" in done.stdout
    assert server.stats().requests == 10


def test_unknown_model_stops_the_run_with_one_clear_error(
    world: World, server: MessagesApiServer
) -> None:
    world.write_scenario(cache={"mode": "off"})
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
    done = _cli(world, env, "--model", "anthropic:claude-nonexistent-9", "--concurrency", "1")
    assert done.returncode == 2
    assert done.stderr.startswith("harness: error: anthropic: unknown model 'claude-nonexistent-9'")
    assert server.stats().requests == 1


def test_an_empty_answer_is_retried_and_never_scored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 200 with no content is a failed call (``empty``), retried; the verdicts are those of
    a run that never saw one, and its tokens are still counted."""
    cases = [make_case(f"case-{i}", ["Hi", "Bye"], distinct=True) for i in range(5)]
    world = build_world(tmp_path / "w", cases=cases)
    path = _anthropic_scenario(world, cache={"mode": "off"}, calls={"backoff_base_s": 0.01})
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with MessagesApiServer(api_key=KEY) as clean:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", clean.base_url)
        straight = run_scenario(load_plan(path), out_dir=tmp_path / "a", db_path=tmp_path / "h")
        assert straight is not None
    faults = FaultPlan(rates={"empty": 1.0}, first_attempts=1)
    with MessagesApiServer(api_key=KEY, faults=faults) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        retried = run_scenario(load_plan(path), out_dir=tmp_path / "b", db_path=tmp_path / "h")
        assert retried is not None
        assert server.stats().requests == 20  # each of the ten calls answered empty once
    drop = ["run_id", "duration_ms"]
    assert (
        pq.read_table(retried.results_path)
        .drop_columns(drop)
        .equals(pq.read_table(straight.results_path).drop_columns(drop))
    )
    import duckdb

    with duckdb.connect(str(tmp_path / "h"), read_only=True) as con:
        rows = con.execute(
            "SELECT attempt, status, error_class, input_tokens > 0 FROM model_calls "
            "WHERE run_id = ? GROUP BY ALL ORDER BY attempt",
            [retried.run_id],
        ).fetchall()
    assert rows == [(1, "error", "empty", True), (2, "ok", None, True)]


def test_answers_that_stay_empty_make_the_case_an_error_not_a_missed_disclosure(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _anthropic_scenario(
        world, cache={"mode": "off"}, calls={"backoff_base_s": 0.01, "max_attempts": 2}
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with MessagesApiServer(api_key=KEY, faults=FaultPlan(rates={"empty": 1.0})) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        outcome = run_scenario(load_plan(path), out_dir=tmp_path / "o", db_path=tmp_path / "h")
        assert outcome is not None
    rows = pq.read_table(outcome.results_path).to_pylist()
    assert {r["status"] for r in rows} == {"error", "not_applicable"}
    assert {r["error"] for r in rows if r["status"] == "error"} == {
        "model call for turn 1 failed (empty): anthropic model 'claude-sonnet-4-6': the "
        "answer was empty (HTTP 200 with no text, stop reason end_turn)"
    }


def test_api_key_never_reaches_any_file_or_log(world: World, server: MessagesApiServer) -> None:
    _anthropic_scenario(world)
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
    done = _cli(world, env)
    assert done.returncode in (0, 1), done.stderr
    assert KEY not in done.stdout + done.stderr
    written = [p for p in world.root.rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path


def _cli(world: World, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli.main",
            "run",
            str(world.scenario),
            "--db",
            "h.duckdb",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=world.root,
        timeout=300,
        env={**clean, **env},
    )


def test_provider_options_typo_is_a_config_error(world: World) -> None:
    path = world.write_scenario(
        model={"provider": "anthropic", "id": MODEL, "options": {"max_token": 10}}
    )
    with pytest.raises(ConfigError, match="unknown key 'max_token' \\(did you mean 'max_tokens'"):
        load_plan(path)


def test_demo_corpus_through_the_anthropic_adapter_then_zero_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's acceptance run: the shipped demo corpus through the real SDK, twice."""
    root = Path(__file__).resolve().parent.parent
    scenario = root / "scenarios" / "demo-baseline.yaml"
    cache = tmp_path / "cache"
    with MessagesApiServer(api_key=KEY) as server:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
        args = ("--model", f"anthropic:{MODEL}", "--cache-dir", str(cache), "--concurrency", "32")
        first = _cli_at(tmp_path, scenario, env, "--out", "a", *args)
        assert first.returncode in (0, 1), first.stderr
        assert "640 cases, model anthropic:claude-sonnet-4-6" in first.stdout
        calls = server.stats().requests
        assert calls > 640 * 2
        second = _cli_at(tmp_path, scenario, env, "--out", "b", *args)
        assert second.returncode == first.returncode
        assert server.stats().requests == calls  # every answer came from the cache
    rows_a = pq.read_table(tmp_path / "a" / "results.parquet").drop_columns(
        ["run_id", "duration_ms"]
    )
    rows_b = pq.read_table(tmp_path / "b" / "results.parquet").drop_columns(
        ["run_id", "duration_ms"]
    )
    assert rows_a.equals(rows_b)


def _cli_at(
    cwd: Path, scenario: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(scenario), "--db", "h.duckdb", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={**clean, **env},
    )
