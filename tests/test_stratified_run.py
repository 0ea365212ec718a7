"""A stratified sequential gate through real runs: one process, worker processes, shards,
resume, a bad field, and the shipped demo candidate."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.corpus.strata import interleave
from harness.errors import ConfigError, RunInterrupted
from harness.replay.calls import CallRunner
from harness.run.case import CaseReplay
from harness.run.finish import RunOutcome, run_scenario
from harness.run.interrupt import Interruption
from harness.run.merge import merge_runs
from harness.run.plan import load_plan
from harness.run.progress import Progress
from harness.run.sequential import expected_saving
from harness.store.database import RunStore
from tests.world import World, build_world, make_case

ROOT = Path(__file__).parent.parent
GOOD = "We are a credit broker, not a lender. Representative 9.9% APR."
SILENT = "Representative 9.9% APR."  # no broker status: that criterion fails
CASES = 400
CHANNELS = {"in_home": 200, "online": 120, "phone": 80}
STRATIFIED = {"sequential": {"alpha": 0.05, "stop_on": "fail", "stratify_by": "channel"}}


def _channel(i: int) -> str:
    return "in_home" if i < 200 else "online" if i < 320 else "phone"


@pytest.fixture
def failing(tmp_path: Path) -> World:
    """broker_status passes in 75% of the cases against a 95% threshold, in every channel."""
    cases = [
        make_case(
            f"case-{i:04d}",
            [SILENT if i % 4 == 0 else GOOD, "ok"],
            distinct=True,
            channel=_channel(i),
        )
        for i in range(CASES)
    ]
    world = build_world(tmp_path / "failing", cases=cases)
    world.write_scenario(thresholds={"default": 0.95}, gate=STRATIFIED)
    return world


def _statuses(out: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in pq.read_table(out / "results.parquet").column("status").to_pylist():
        found[status] = found.get(status, 0) + 1
    return found


def _run(world: World, out: Path, *, sequential: bool = True, **kwargs: object) -> RunOutcome:
    plan = load_plan(world.scenario, sequential=sequential)
    outcome = run_scenario(plan, out_dir=out, db_path=world.root / "h.db", **kwargs)  # type: ignore[arg-type]
    assert outcome is not None
    return outcome


def test_a_stratified_run_stops_early_with_the_full_replays_verdict(failing: World) -> None:
    early = _run(failing, failing.root / "early")
    full = _run(failing, failing.root / "full", sequential=False)
    summary = early.gate.sequential
    assert summary is not None and summary.decided_after is not None
    assert summary.decided_after <= CASES // 4
    assert early.gate.verdict == full.gate.verdict == "fail"
    assert summary.stratify_by == "channel"
    # the decided prefix holds each channel in its share (interleave's bound)
    shares = {s.name: (s.seen, s.size) for s in summary.strata}
    assert {name: size for name, (_, size) in shares.items()} == CHANNELS
    for seen, size in shares.values():
        assert abs(seen - summary.decided_after * size / CASES) <= 0.5 + 1.5 * size / CASES
    assert summary.strata_words() == "every channel was seen: " + ", ".join(
        f"{name} {seen} of {size}" for name, (seen, size) in sorted(shares.items())
    )
    assert early.gate.headline() == (
        "FAILED: 1 of 2 criteria below threshold (broker_status); " + summary.words() + "."
    )
    assert re.fullmatch(
        rf"decided after {summary.decided_after} of 400 cases \(\d+% of the calls, alpha 5%\)",
        summary.words(),
    )
    broker = {c.criterion: c for c in early.gate.criteria}["broker_status"]
    assert broker.sequential is not None and broker.sequential.interval_high < 0.95
    assert broker.sequential.interval_low <= 0.75 <= broker.sequential.interval_high
    assert broker.applicable == broker.counted == summary.replayed
    assert "not_run" not in _statuses(full.out_dir)
    summary_md = (early.out_dir / "summary.md").read_text(encoding="utf-8")
    words = (summary.strata_words() or "").replace("_", "\\_")  # Markdown-escaped
    assert f"Stratified: {words}." in summary_md
    report = (early.out_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="sequential-strata"' in report and "every value was seen" in report


def test_the_replay_order_is_stratified_in_every_prefix(failing: World) -> None:
    plan = load_plan(failing.scenario)
    order = plan.stratified_order()
    assert order is not None and order.names == ("in_home", "online", "phone")
    assert list(order.strata) == interleave([200, 120, 80])
    assert plan.replay_order() == list(order.case_ids)
    assert [c.case_id for c in plan.cases()] == list(order.case_ids)
    pairs = zip(order.case_ids, order.strata, strict=True)
    assert all(_channel(int(c[5:])) == order.names[s] for c, s in pairs)


def _cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(world.scenario), "--db", "h.db", *args],
        cwd=world.root,
        env={k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")},
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )


def test_worker_processes_stop_at_the_same_case_as_one_process(failing: World) -> None:
    one = _run(failing, failing.root / "one").gate.sequential
    assert one is not None and one.decided_after is not None
    done = _cli(failing, "--out", "two", "--processes", "2")
    assert done.returncode == 1, done.stderr
    assert f"sequential gate: decided after {one.decided_after} of 400 cases" in done.stdout
    assert f"  {one.strata_words()}" in done.stdout.splitlines()


def test_shards_replay_in_full_and_the_merge_gates_the_whole(failing: World) -> None:
    for k in (1, 2):
        done = _cli(failing, "--out", f"shard{k}", "--shard", f"{k}/2")
        assert done.returncode == 0, done.stderr
    merged = merge_runs(
        [failing.root / "shard1", failing.root / "shard2"],
        out_dir=failing.root / "merged",
        db_path=failing.root / "h.db",
    )
    assert merged.gate.verdict == "fail" and merged.cases == CASES
    assert merged.gate.sequential is not None and merged.gate.sequential.decided_after is None
    assert "not_run" not in _statuses(failing.root / "merged")


class _StopAfter(Progress):
    """Progress that asks the run to stop after ``cases`` cases, as Ctrl-C would."""

    def __init__(self, cases: int, interruption: Interruption) -> None:
        super().__init__(CASES, sys.stderr, live=False)
        self.left = cases
        self.interruption = interruption

    def case_done(self, replayed: CaseReplay, runner: CallRunner) -> None:
        super().case_done(replayed, runner)
        self.left -= 1
        if self.left == 0:
            self.interruption.request(signal.SIGINT)


def test_a_resumed_run_decides_at_the_same_case(failing: World) -> None:
    straight = _run(failing, failing.root / "straight").gate.sequential
    assert straight is not None and straight.decided_after is not None
    interruption = Interruption()
    with pytest.raises(RunInterrupted):
        _run(
            failing,
            failing.root / "cut",
            progress=_StopAfter(straight.decided_after // 2, interruption),
            interruption=interruption,
        )
    resumed = run_scenario(
        load_plan(failing.scenario),
        out_dir=failing.root / "cut",
        db_path=failing.root / "h.db",
        resume=True,
    )
    assert resumed is not None and resumed.gate.sequential is not None
    assert resumed.gate.sequential == straight.model_copy(
        update={"calls_made": resumed.gate.sequential.calls_made}
    )


def test_an_unknown_field_is_refused_before_any_case_runs(failing: World) -> None:
    gate = {"sequential": {"stratify_by": "chanel"}}
    failing.write_scenario(thresholds={"default": 0.95}, gate=gate)
    with pytest.raises(ConfigError, match="no selected case has a tag or fact 'chanel'"):
        load_plan(failing.scenario)
    done = _cli(failing, "--out", "bad")
    assert done.returncode == 2
    assert (
        f"{failing.scenario}: gate.sequential.stratify_by: no selected case has a tag or fact "
        "'chanel' (did you mean 'channel'?)"
    ) in done.stderr
    assert "Traceback" not in done.stderr
    assert not list((failing.root / "bad").glob("parts/*results*"))


def test_stratifying_under_the_lower_bound_policy_is_refused_with_exit_2(failing: World) -> None:
    gate = {"policy": "lower_bound", **STRATIFIED}
    failing.write_scenario(thresholds={"default": 0.95}, gate=gate)
    done = _cli(failing, "--out", "bad")
    assert done.returncode == 2
    assert "not available under policy: lower_bound yet" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_demo_candidate_stratified_by_channel_stops_early(tmp_path: Path) -> None:
    plan = load_plan(ROOT / "scenarios" / "demo-candidate-stratified.yaml")
    outcome = run_scenario(plan, out_dir=tmp_path / "out", db_path=tmp_path / "h.db")
    assert outcome is not None and outcome.gate.verdict == "fail"
    summary = outcome.gate.sequential
    assert summary is not None and summary.decided_after is not None
    assert summary.decided_after <= 640 // 4
    assert summary.words().startswith(f"decided after {summary.decided_after} of 640 cases")
    assert [s.name for s in summary.strata] == ["in_home", "online", "phone"]
    assert all(s.seen > 0 for s in summary.strata)
    failing = [c.criterion for c in outcome.gate.criteria if outcome.gate.blocks(c)]
    assert failing == ["commission"]


def test_the_estimate_replays_the_baseline_in_stratified_orders(failing: World) -> None:
    full = _run(failing, failing.root / "full", sequential=False)
    plan = load_plan(failing.scenario)
    with RunStore(failing.root / "h.db") as store:
        saving = expected_saving(plan, store, full.run_id, orderings=5)
    assert saving is not None and saving.cases == CASES
    assert saving.stopped == 1.0 and saving.share_of_calls < 0.5
