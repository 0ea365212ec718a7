"""The sequential gate through real runs: one process, worker processes, shards, resume."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.config.scenario import GatePolicy
from harness.config.sequential import SequentialPolicy
from harness.errors import RunInterrupted
from harness.gate.sequential import Counting, judge_sequentially
from harness.replay.calls import CallRunner
from harness.run.case import CaseReplay
from harness.run.finish import RunOutcome, run_scenario
from harness.run.interrupt import Interruption
from harness.run.merge import merge_runs
from harness.run.plan import load_plan
from harness.run.progress import Progress
from harness.stats.confidence_sequence import RateSequence
from harness.stats.wilson_cut import lower_bound_cut
from tests.world import World, build_world, make_case

GOOD = "We are a credit broker, not a lender. Representative 9.9% APR."
SILENT = "Representative 9.9% APR."  # no broker status: that criterion fails
CASES = 400


def _world(root: Path, silent_every: int | None) -> World:
    """400 cases; every ``silent_every``-th one never says it is a broker."""
    cases = [
        make_case(
            f"case-{i:04d}",
            [SILENT if silent_every and i % silent_every == 0 else GOOD, "ok"],
            distinct=True,
        )
        for i in range(CASES)
    ]
    return build_world(root, cases=cases)


@pytest.fixture
def failing(tmp_path: Path) -> World:
    """broker_status passes in 75% of the cases against a 95% threshold."""
    world = _world(tmp_path / "failing", silent_every=4)
    world.write_scenario(
        thresholds={"default": 0.95}, gate={"sequential": {"alpha": 0.05, "stop_on": "fail"}}
    )
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


def test_a_failing_candidate_stops_early_with_the_full_replays_verdict(failing: World) -> None:
    early = _run(failing, failing.root / "early")
    full = _run(failing, failing.root / "full", sequential=False)
    summary = early.gate.sequential
    assert summary is not None and summary.decided_after is not None
    assert summary.decided_after <= CASES // 4
    assert full.gate.sequential is None and not full.gate.passed
    assert early.gate.verdict == full.gate.verdict == "fail"
    broker = {c.criterion: c for c in early.gate.criteria}["broker_status"]
    assert broker.verdict == "fail"
    assert broker.sequential is not None and broker.sequential.interval_high < 0.95
    assert broker.sequential.interval_low <= 0.75 <= broker.sequential.interval_high
    # cases not replayed are not_run and are not counted: the rate is over replayed cases
    assert broker.applicable == broker.counted == summary.replayed
    assert _statuses(early.out_dir)["not_run"] > CASES // 2
    assert "not_run" not in _statuses(full.out_dir)
    assert early.gate.headline() == (
        "FAILED: 1 of 2 criteria below threshold (broker_status); " + summary.words() + "."
    )
    manifest = json.loads(early.manifest_path.read_text(encoding="utf-8"))
    assert manifest["sequential"]["decided_after"] == summary.decided_after


def test_stop_on_decided_passes_a_good_candidate_early(tmp_path: Path) -> None:
    world = _world(tmp_path / "good", silent_every=None)
    world.write_scenario(thresholds={"default": 0.9}, gate={"sequential": {"stop_on": "decided"}})
    outcome = _run(world, world.root / "out")
    summary = outcome.gate.sequential
    assert outcome.gate.passed
    assert summary is not None and summary.decided_after is not None
    assert summary.decided_after < CASES
    assert all(c.sequential and c.sequential.decided == "pass" for c in outcome.gate.criteria)
    assert all(c.sequential and c.sequential.interval_low >= 0.9 for c in outcome.gate.criteria)


def test_the_same_seed_stops_at_the_same_case_and_another_seed_elsewhere(failing: World) -> None:
    first = _run(failing, failing.root / "a").gate.sequential
    again = _run(failing, failing.root / "b").gate.sequential
    assert first is not None and again is not None
    assert first.decided_after == again.decided_after
    failing.write_scenario(
        thresholds={"default": 0.95}, gate={"sequential": {"stop_on": "fail"}}, seed=8
    )
    other = _run(failing, failing.root / "c")
    assert other.gate.verdict == "fail" and other.gate.sequential is not None


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


def test_worker_processes_stop_early_too(failing: World) -> None:
    done = _cli(failing, "--out", "two", "--processes", "2")
    assert done.returncode == 1, done.stderr
    assert "sequential gate: decided after" in done.stdout
    manifest = json.loads((failing.root / "two" / "manifest.json").read_text(encoding="utf-8"))
    # Worker processes replayed it; on a loaded machine the second may start after the
    # verdict, with no case of its own, and then it writes no part the manifest could list.
    assert 1 <= len(manifest["processes"]) <= 2
    assert all(re.fullmatch(r"p[01]-[0-9a-f]{6}", p) for p in manifest["processes"])
    assert manifest["sequential"]["decided_after"] <= CASES // 4
    statuses = _statuses(failing.root / "two")
    assert statuses["not_run"] > CASES // 2


@pytest.mark.parametrize("workers", ["0", "2"])
def test_pytest_stops_early_too(pytester: pytest.Pytester, failing: World, workers: str) -> None:
    """``pytest --harness-scenario`` (one process, or xdist workers) stops calling the model
    once the verdict is known: the cases left are skipped items, ``not_run`` in the results."""
    out = failing.root / f"pytest-{workers}"
    result = pytester.runpytest_subprocess(
        "--harness-scenario",
        str(failing.scenario),
        "--harness-db",
        str(failing.root / "h.db"),
        "--harness-out",
        str(out),
        "-p",
        "no:cacheprovider",
        "-n",
        workers,
        "-rs",
        timeout=300,
    )
    assert result.ret == 1, result.stdout.str()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sequential"]["decided_after"] is not None, result.stdout.str()
    assert manifest["sequential"]["decided_after"] <= CASES // 4
    statuses = _statuses(out)
    assert statuses["not_run"] > CASES // 2
    outcomes = result.parseoutcomes()
    # a case the gate did not need is skipped, not failed: only replayed cases fail. In one
    # process the replay feeds the watch itself, so only the cases in flight run past the
    # decision; xdist workers learn it from the controller, as late as the machine's load
    # makes it, so there the count is bounded by the not_run rows rather than pinned.
    assert 0 < outcomes["skipped"] <= statuses["not_run"]
    if workers == "0":
        assert outcomes["skipped"] > CASES // 2
    assert outcomes["failed"] <= manifest["sequential"]["replayed"] // 2
    assert "sequential gate: the full replay's verdict is already known" in result.stdout.str()
    result.stdout.fnmatch_lines(["*sequential gate: decided after*"])


def test_no_sequential_replays_every_case(failing: World) -> None:
    done = _cli(failing, "--out", "full", "--no-sequential")
    assert done.returncode == 1, done.stderr
    assert "sequential gate" not in done.stdout
    assert "not_run" not in _statuses(failing.root / "full")


def test_shards_replay_their_cases_in_full_and_merge_gates_the_whole(failing: World) -> None:
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
    assert merged.gate.sequential.words() == (
        f"not decided early: all {CASES} cases replayed (alpha 5%)"
    )
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


def test_a_resumed_run_decides_at_the_same_case_as_an_uninterrupted_one(failing: World) -> None:
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
    assert resumed.gate.sequential.decided_after == straight.decided_after
    assert resumed.gate.verdict == "fail"


def test_under_the_lower_bound_policy_a_failing_candidate_stops_with_the_full_verdict(
    failing: World,
) -> None:
    failing.write_scenario(
        thresholds={"default": 0.95},
        gate={"policy": "lower_bound", "sequential": {"alpha": 0.05, "stop_on": "fail"}},
    )
    early = _run(failing, failing.root / "early")
    full = _run(failing, failing.root / "full", sequential=False)
    summary = early.gate.sequential
    assert summary is not None and summary.decided_after is not None
    assert summary.decided_after <= CASES // 4
    assert early.gate.verdict == full.gate.verdict == "fail"
    broker = {c.criterion: c for c in early.gate.criteria}["broker_status"]
    seq = broker.sequential
    assert broker.verdict == "fail" and seq is not None
    # every case applies and counts: the full replay counts 400 results, and the cut is the
    # rate whose Wilson lower bound over 400 reaches 95%
    assert seq.counted_high == CASES and seq.cut_low == pytest.approx(lower_bound_cut(0.95, 400))
    assert seq.cut_low is not None and seq.interval_high < seq.cut_low
    assert f"below its lower-bound cut, at least {seq.cut_low:.1%}" in broker.reason
    compared = f"95% (cut at least {seq.cut_low:.1%})"
    assert seq.compared(0.95) == compared
    assert early.surfaces is not None
    assert f"| {compared} | will fail |" in early.surfaces.summary.read_text(encoding="utf-8")
    assert compared in early.report_path.read_text(encoding="utf-8")


def test_under_the_lower_bound_policy_a_good_candidate_passes_early(tmp_path: Path) -> None:
    world = _world(tmp_path / "good", silent_every=None)
    world.write_scenario(
        thresholds={"default": 0.9},
        gate={"policy": "lower_bound", "sequential": {"stop_on": "decided"}},
    )
    early = _run(world, world.root / "early")
    summary = early.gate.sequential
    assert early.gate.passed
    assert summary is not None and summary.decided_after is not None
    assert summary.decided_after < CASES
    for c in early.gate.criteria:
        seq = c.sequential
        assert seq is not None and seq.decided == "pass" and seq.cut_high is not None
        # the pass needs the largest cut the full replay can have: at the results counted
        assert seq.counted_low == summary.decided_after
        assert seq.cut_high == pytest.approx(lower_bound_cut(0.9, summary.decided_after))
        assert seq.interval_low >= seq.cut_high - 1e-3


def test_under_the_lower_bound_policy_a_rate_above_the_threshold_can_still_fail(
    tmp_path: Path,
) -> None:
    # 96% of the cases pass against 95%: the point policy passes it, but the Wilson lower
    # bound over 400 results is below 95%; the sequential gate gives the full replay's fail.
    world = _world(tmp_path / "near", silent_every=25)
    world.write_scenario(
        thresholds={"default": 0.95},
        gate={"policy": "lower_bound", "sequential": {"stop_on": "decided"}},
    )
    full = _run(world, world.root / "full", sequential=False)
    early = _run(world, world.root / "early")
    broker = {c.criterion: c for c in full.gate.criteria}["broker_status"]
    assert broker.pass_rate == 0.96 and broker.verdict == "fail"
    assert early.gate.verdict == "fail"
    assert {c.criterion: c for c in early.gate.criteria}["broker_status"].verdict == "fail"


def test_a_run_on_the_baseline_branch_replays_everything(failing: World) -> None:
    git = ["git", "-C", str(failing.root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "start"], check=True)
    failing.write_scenario(
        thresholds={"default": 0.95},
        gate={"sequential": {"stop_on": "fail"}},
        baseline={"scenario": "mini", "branch": "main"},
    )
    assert load_plan(failing.scenario).sequential is None
    failing.write_scenario(
        thresholds={"default": 0.95},
        gate={"sequential": {"stop_on": "fail"}},
        baseline={"scenario": "mini", "branch": "release"},
    )
    assert load_plan(failing.scenario).sequential is not None


def test_the_gate_at_finish_computes_each_interval_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interval is a grid search over the whole run (the costliest step of the sequential
    gate's bookkeeping, docs/benchmarks.md): each criterion's is computed once."""
    computed: list[int] = []
    interval = RateSequence.interval

    def counted(self: RateSequence, row: int) -> tuple[float, float]:
        computed.append(row)
        return interval(self, row)

    monkeypatch.setattr(RateSequence, "interval", counted)
    order = [f"case-{i:03d}" for i in range(64)]
    statuses = [(c, k, "passed") for c in order for k in ("a", "b", "c")]
    judged = judge_sequentially(
        statuses,
        order,
        policy=SequentialPolicy(),
        gate=GatePolicy(),
        thresholds={"a": 0.9, "b": 0.9, "c": 0.9},
        counting=Counting(),
        calls_made=64,
        cost_usd=0.0,
    )
    assert sorted(computed) == [0, 1, 2]
    assert all(j.interval_low <= 1.0 == j.interval_high for j in judged.criteria.values())
