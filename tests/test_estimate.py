"""harness estimate: calls, tokens and cost before a run, discounting cached answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.replay.cache import ResponseCache
from harness.run.estimate import CHARS_PER_TOKEN, estimate_plan
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from harness.testing import MessagesApiServer
from tests.world import World

KEY = "sk-ant-estimate"


def test_estimate_counts_calls_and_prices_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    path = world.write_scenario(
        model={
            "provider": "anthropic",
            "id": "claude-sonnet-4-6",
            "options": {"prompt_cache": False},
        }
    )
    estimate = estimate_plan(load_plan(path))
    assert (estimate.cases, estimate.calls, estimate.cached_calls) == (5, 10, 0)
    # every call sends the system prompt: ten of them, no prompt caching
    system_tokens = (
        len(
            load_plan(path).prompt.render(
                next(load_plan(path).cases()), load_plan(path).disclosures
            )
        )
        // CHARS_PER_TOKEN
    )
    assert estimate.input_tokens > 10 * system_tokens
    assert estimate.cost_usd == pytest.approx(
        (estimate.input_tokens * 3.0 + estimate.output_tokens * 15.0) / 1_000_000
    )


def test_cached_cases_are_discounted(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    path = world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": str(cache)},
    )
    with MessagesApiServer(api_key=KEY) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        run_scenario(load_plan(path), out_dir=tmp_path / "o", db_path=tmp_path / "h.db")
        estimate = estimate_plan(
            load_plan(path), ResponseCache(cache, "read-only", process="estimate")
        )
    assert (estimate.calls, estimate.cached_calls, estimate.cost_usd) == (10, 10, 0.0)


def test_estimate_command_prints_the_figures(world: World) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "estimate", str(world.scenario)],
        capture_output=True,
        text=True,
        cwd=world.root,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "calls                       10  (0 already cached)" in done.stdout
    assert "estimated cost           $0.00" in done.stdout  # the recorded provider costs nothing
