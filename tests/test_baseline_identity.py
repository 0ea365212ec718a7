"""A baseline means what it says: the scenario's own configuration, a run that passed its gate.

Before, a ``--model`` run of the baseline scenario was stored under the scenario's name and
silently became the next baseline: a candidate then showed "+98.6 pts" against a baseline
that had failed everything. Real runs throughout (Parquet corpus, DuckDB, the gate); the
overriding model is the offline reference agent, which fails this small world's cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import load_plan
from tests.world import World

OTHER_MODEL = "offline:reference-broker-1"


def _run(world: World, name: str, *, model: str | None = None, **changes: Any) -> RunOutcome:
    scenario = world.write_scenario(name, **changes)
    plan = load_plan(scenario, model=model)
    outcome = run_scenario(plan, db_path=world.root / "h.duckdb", out_dir=None)
    assert outcome is not None
    return outcome


def _manifest(outcome: RunOutcome) -> dict[str, Any]:
    return dict(json.loads(outcome.manifest_path.read_text(encoding="utf-8")))


@pytest.fixture
def chdir_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(world.root)  # reports/<run-id>/ under the world
    return world


def test_a_run_with_an_overridden_model_is_never_the_next_baseline(chdir_world: World) -> None:
    world = chdir_world
    declared = _run(world, "base")
    overridden = _run(world, "base", model=OTHER_MODEL)
    assert (declared.gate.passed, overridden.gate.passed) == (True, False)

    candidate = _run(world, "mini", baseline={"scenario": "base"})

    assert candidate.gate.baseline_run_id == declared.run_id
    assert _manifest(overridden)["overrides"] == {"model": OTHER_MODEL}
    assert _manifest(declared)["overrides"] == {}


def test_the_baseline_is_the_latest_run_that_passed_its_own_gate(chdir_world: World) -> None:
    world = chdir_world
    passed = _run(world, "base")
    failed = _run(world, "base", thresholds={"default": 0.95})
    assert (passed.gate.passed, failed.gate.passed) == (True, False)

    default = _run(world, "mini", baseline={"scenario": "base"})
    any_verdict = _run(world, "mini", baseline={"scenario": "base", "passing": False})

    assert default.gate.baseline_run_id == passed.run_id
    assert any_verdict.gate.baseline_run_id == failed.run_id


def test_no_run_that_passed_means_no_baseline(chdir_world: World) -> None:
    world = chdir_world
    _run(world, "base", thresholds={"default": 0.95})

    candidate = _run(world, "mini", baseline={"scenario": "base"})

    assert candidate.gate.baseline_run_id is None


def test_the_summary_names_the_baseline_and_warns_when_it_is_not_the_scenario_s(
    chdir_world: World,
) -> None:
    world = chdir_world
    overridden = _run(world, "base", model=OTHER_MODEL)
    commit = str((_manifest(overridden)["git"] or {}).get("commit") or "unknown")[:12]

    candidate = _run(world, "mini", baseline={"run_id": overridden.run_id})

    assert candidate.surfaces is not None
    lines = candidate.surfaces.summary.read_text(encoding="utf-8").splitlines()
    described = [line for line in lines if line.startswith("- baseline")]
    assert described == [
        f"- baseline run: {overridden.run_id}",
        f"- baseline model, prompt, disclosures, commit: {OTHER_MODEL}, "
        f"agent v1, broker\\_status v1, apr v2, {commit}",
        "- baseline warning: the baseline ran with --model offline:reference-broker-1; "
        "scenario base "
        "declares recorded:production",
        "- baseline warning: the baseline failed its own gate",
    ]
    assert _manifest(candidate)["baseline"]["model"] == OTHER_MODEL
    report = candidate.report_path.read_text(encoding="utf-8")
    assert (
        f'<td id="baseline-ran">model <code>{OTHER_MODEL}</code>, prompt agent v1, '
        f'disclosures broker_status v1, apr v2, commit <code class="hash">{commit}</code></td>'
    ) in report
    assert "<strong>Warning:</strong> the baseline failed its own gate" in report


def test_history_shows_each_run_s_model_and_commit(chdir_world: World) -> None:
    world = chdir_world
    declared = _run(world, "base")
    overridden = _run(world, "base", model=OTHER_MODEL)
    commit = str((_manifest(declared)["git"] or {}).get("commit") or "unknown")[:12]

    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "history", "--db", "h.duckdb"],
        capture_output=True,
        text=True,
        cwd=world.root,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:4] for line in done.stdout.splitlines()[3:]}
    assert rows[declared.run_id] == ["pass", "recorded:production", commit]
    assert rows[overridden.run_id] == ["fail", OTHER_MODEL, commit]


def test_shards_of_an_overridden_run_merge_and_stay_overridden(chdir_world: World) -> None:
    from harness.run.folder import Shard
    from harness.run.merge import merge_runs

    world = chdir_world
    scenario = world.write_scenario("base")
    shards = [world.root / f"shard{k}" for k in (1, 2)]
    for k, folder in enumerate(shards, start=1):
        plan = load_plan(scenario, model=OTHER_MODEL)
        assert run_scenario(plan, out_dir=folder, db_path="h.duckdb", shard=Shard(k, 2)) is None

    merged = merge_runs(shards, out_dir=world.root / "merged", db_path="h.duckdb")

    manifest = json.loads((world.root / "merged" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["overrides"], manifest["model"]["id"]) == (
        {"model": OTHER_MODEL},
        "reference-broker-1",
    )
    assert merged.gate.passed is False
