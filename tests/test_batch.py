"""Batch mode against the local Message Batches API: rounds, discount, resume, expiry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from harness.config.calls import BatchSettings, CallPolicy
from harness.corpus.cases import Case, Turn
from harness.models.anthropic import AnthropicModel
from harness.models.base import CompletionRequest, Message
from harness.replay.batch import BatchCallRunner
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from harness.testing import MessagesApiServer
from tests.world import World

KEY = "sk-ant-batch-test-key"
MODEL = "claude-sonnet-4-6"
FAST = {"poll_initial_s": 0.01, "poll_max_s": 0.05, "linger_s": 0.05}


def _scenario(world: World, **changes: Any) -> Path:
    return world.write_scenario(
        model={"provider": "anthropic", "id": MODEL},
        cache={"mode": "read-write", "dir": str(world.root / "cache")},
        batch={"enabled": True, **FAST},
        **changes,
    )


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)


def test_batch_run_answers_every_turn_in_rounds_at_half_price(
    world: World, env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with MessagesApiServer(api_key=KEY, batch_polls=2) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        plan = load_plan(_scenario(world))
        runner = plan.make_runner(process="main", batch_state=tmp_path / "batches.json")
        outcome = run_scenario(
            plan, out_dir=tmp_path / "o", db_path=tmp_path / "h.db", runner=runner
        )
        assert outcome is not None
        stats = server.stats()
    # five cases with two agent turns each: the first turns in one batch, the second in another
    assert stats.by_endpoint.get("messages", 0) == 0
    assert stats.by_endpoint["batches.create"] == 2
    assert outcome.cases == 5
    rows = pq.read_table(outcome.results_path).to_pylist()
    assert {r["status"] for r in rows} <= {"passed", "failed", "not_applicable"}
    with duckdb.connect(str(tmp_path / "h.db"), read_only=True) as con:
        calls, cost, tokens_in, tokens_out = con.execute(
            "SELECT count(*), sum(cost_usd), sum(input_tokens), sum(output_tokens) "
            "FROM model_calls WHERE run_id = ?",
            [outcome.run_id],
        ).fetchone()  # type: ignore[misc]
    assert calls == 10
    full_price = (tokens_in * 3.0 + tokens_out * 15.0) / 1_000_000  # claude-sonnet-4 family
    assert cost == pytest.approx(full_price * 0.5, rel=0.2)  # cache tokens aside
    state = json.loads((tmp_path / "batches.json").read_text())
    assert len(state["batches"]) == 2


def _request(n: int) -> CompletionRequest:
    case = Case(case_id=f"c{n}", source="t", turns=(Turn(role="customer", text="hi"),))
    return CompletionRequest("You are a broker.", (Message("user", f"question {n}"),), n, case, 1)


def test_restart_polls_submitted_batches_instead_of_submitting_again(
    env: None, tmp_path: Path
) -> None:
    state = tmp_path / "batches.json"
    settings = BatchSettings(enabled=True, **FAST)
    with MessagesApiServer(api_key=KEY, batch_polls=10_000) as server:
        first = BatchCallRunner(
            AnthropicModel.from_config(MODEL, {"base_url": server.base_url}, "t"),
            CallPolicy(),
            settings,
            state_path=state,
        )

        async def interrupted() -> None:
            tasks = [
                asyncio.ensure_future(
                    first.complete(_request(n), log=[], case_id=f"c{n}", repeat=0)
                )
                for n in range(3)
            ]
            for _ in range(200):  # until the batch is submitted and recorded
                await asyncio.sleep(0.01)
                if state.exists():
                    break
            for task in tasks:
                task.cancel()
            await first.aclose()

        asyncio.run(interrupted())
        assert server.stats().by_endpoint["batches.create"] == 1
        server.finish_batches()  # the provider finishes the batch while we are away
        second = BatchCallRunner(
            AnthropicModel.from_config(MODEL, {"base_url": server.base_url}, "t"),
            CallPolicy(),
            settings,
            state_path=state,
        )

        async def resumed() -> list[str]:
            answers = await asyncio.gather(
                *(second.complete(_request(n), log=[], case_id=f"c{n}", repeat=0) for n in range(3))
            )
            await second.aclose()
            return [a.text for a in answers]

        texts = asyncio.run(resumed())
        assert server.stats().by_endpoint["batches.create"] == 1
    assert len(texts) == 3 and all(texts)
    assert second.batches_resumed == 1 and second.batches_submitted == 0


def test_expired_batches_become_error_results_with_a_clear_reason(
    world: World, env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with MessagesApiServer(api_key=KEY, expire_batches=True) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        plan = load_plan(_scenario(world, calls={"max_attempts": 2}))
        runner = plan.make_runner(process="main", batch_state=tmp_path / "b.json")
        outcome = run_scenario(
            plan, out_dir=tmp_path / "o", db_path=tmp_path / "h.db", runner=runner
        )
        assert outcome is not None
        created = server.stats().by_endpoint["batches.create"]
    assert created == 2  # the first round, then its resubmission; no second round
    rows = pq.read_table(outcome.results_path).to_pylist()
    errors = {r["error"] for r in rows if r["status"] == "error"}
    assert errors and all("expired in 2 batch(es)" in e for e in errors)
    assert not outcome.gate.passed


def test_batch_mode_needs_a_batching_provider(world: World) -> None:
    from harness.errors import ConfigError

    plan = load_plan(world.write_scenario(batch={"enabled": True}))
    with pytest.raises(ConfigError, match="provider 'recorded' has no batch mode"):
        plan.make_runner(process="main")
