"""Repeats: k replays per case with distinct seeds, pass fraction, pass^k, flipped verdicts,
the scenario's explicit gate policy, and the flaky cases in the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from harness.errors import ConfigError
from harness.models.base import Completion, CompletionRequest, Message, ModelAdapter
from harness.plugins.hooks import hookimpl
from harness.plugins.registry import build_registries
from harness.replay.cache import cache_key
from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import ReplayPlan, load_plan
from tests.world import World

GOOD = "We are a credit broker, not a lender. Representative 9.9% APR."


class CoinModel(ModelAdapter):
    """Says the disclosures on even seeds only (case-001 always): a flaky agent."""

    provider = "coin"

    async def complete(self, request: CompletionRequest) -> Completion:
        says = request.seed % 2 == 0 or request.case.case_id == "case-001"
        return Completion(text=GOOD if says else "Hello!", model=self.model_id)


class CoinPlugin:
    @hookimpl
    def harness_register_models(self, register: Any) -> None:
        register(CoinModel)


def _plan(world: World, **changes: Any) -> ReplayPlan:
    path = world.write_scenario(model={"provider": "coin", "id": "coin-1"}, **changes)
    return load_plan(path, registries=build_registries(CoinPlugin(), entry_points=False))


def _run(plan: ReplayPlan, tmp_path: Path) -> RunOutcome:
    outcome = run_scenario(plan, out_dir=tmp_path / "out", db_path=tmp_path / "h.duckdb")
    assert outcome is not None
    return outcome


def _expected(plan: ReplayPlan, repeats: int) -> dict[str, list[bool]]:
    """Whether broker_status passes, per case and repeat, from the seeds alone."""
    found = {}
    for case in plan.cases():
        found[case.case_id] = [
            case.case_id == "case-001" or plan.case_seed(case.case_id, r) % 2 == 0
            for r in range(repeats)
        ]
    return found


def test_each_repeat_has_its_own_seed_and_cache_key(world: World) -> None:
    plan = _plan(world, repeats=3, repeat_policy="mean")
    case = next(iter(plan.cases()))
    seeds = [plan.case_seed(case.case_id, r) for r in range(3)]
    assert len(set(seeds)) == 3
    adapter = plan.make_adapter()
    keys = {
        cache_key(adapter, CompletionRequest("s", (Message("user", "hi"),), seed, case, 1))
        for seed in seeds
    }
    assert len(keys) == 3


def test_flaky_cases_are_listed_with_pass_fraction_and_pass_k(world: World, tmp_path: Path) -> None:
    plan = _plan(world, repeats=3, repeat_policy="mean")
    expected = _expected(plan, 3)
    outcome = _run(plan, tmp_path)
    with duckdb.connect(str(tmp_path / "h.duckdb"), read_only=True) as con:
        rows = con.execute(
            'SELECT case_id, list(status ORDER BY "repeat"), count(DISTINCT seed) FROM results '
            "WHERE run_id = ? AND criterion = 'broker_status' GROUP BY case_id ORDER BY case_id",
            [outcome.run_id],
        ).fetchall()
    assert [(r[0], [s == "passed" for s in r[1]], r[2]) for r in rows] == [
        (case_id, passes, 3) for case_id, passes in sorted(expected.items())
    ]
    flaky = sorted(c for c, passes in expected.items() if len(set(passes)) > 1)
    assert flaky, "the seeds should make at least one case flip"
    report = outcome.report_path.read_text()
    assert f"Repeats and flaky cases ({len(flaky) + _apr_flips(expected)})" in report
    for case_id in flaky:
        assert f"<tr><td>{case_id}</td><td>broker_status</td>" in report
    mean = sum(sum(p) for p in expected.values()) / 15
    broker = next(c for c in outcome.gate.criteria if c.criterion == "broker_status")
    assert broker.pass_rate == pytest.approx(mean)
    assert outcome.gate.repeat_policy == "mean"


def _apr_flips(expected: dict[str, list[bool]]) -> int:
    # apr applies to the cases with an offer (1-4) and flips with the same seeds.
    offered = ("case-001", "case-002", "case-003", "case-004")
    return sum(1 for c, passes in expected.items() if c in offered and len(set(passes)) > 1)


def test_pass_k_gates_the_share_of_cases_whose_every_repeat_passed(
    world: World, tmp_path: Path
) -> None:
    plan = _plan(world, repeats=3, repeat_policy="pass_k")
    expected = _expected(plan, 3)
    outcome = _run(plan, tmp_path)
    broker = next(c for c in outcome.gate.criteria if c.criterion == "broker_status")
    assert broker.applicable == 5  # cases, not case-repeats
    assert broker.pass_rate == pytest.approx(sum(all(p) for p in expected.values()) / 5)
    assert "a case as passed only when all its repeats passed (pass^k)" in (
        outcome.report_path.read_text()
    )


def test_repeats_without_an_explicit_policy_is_a_config_error(world: World) -> None:
    path = world.write_scenario(repeats=3)
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    assert str(caught.value) == (
        f"{path}: field 'repeat_policy' is required when repeats is 3: choose 'mean' (the pass "
        "rate over every case and repeat) or 'pass_k' (a case passes only when all its repeats "
        "pass)"
    )
