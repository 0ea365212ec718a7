"""Ctrl-C, a cancelled CI job and kill -9, at half way, in one process and in two.

SIGINT and SIGTERM: no case in flight is committed, one line says how far the run got and
how to finish it, the exit status is 130 (SIGINT) or 143 (SIGTERM) without a traceback; with
two processes the signal goes to the whole process group, as Ctrl-C sends it.
kill -9: the workers stop calling with their parent. After either, the resumed run's
verdicts equal an uninterrupted run's, at most K + C requests were made in all (K the
uninterrupted run's, C the calls in flight), and every request the server answered is in
the call log as a paid call, so the run's cost is true.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from harness.errors import ExitStatus
from harness.run.folder import RunFolder
from harness.testing import MessagesApiServer
from tests.world import World, build_world, make_case

KEY = "sk-ant-interrupt-test"
CASES = 160
CONCURRENCY = 4
DROP = ["run_id", "duration_ms"]


def _rows(folder: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = (
        pq.read_table(folder / "results.parquet").drop_columns(DROP).to_pylist()
    )
    return rows


def _start(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", *args],
        cwd=cwd,
        env={**clean, **env},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's job or a CI step
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    cases = [
        make_case(f"case-{i:04d}", ["We are a credit broker", "ok"], distinct=True)
        for i in range(CASES)
    ]
    world = build_world(tmp_path_factory.mktemp("interrupt") / "w", cases=cases)
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
        concurrency=CONCURRENCY,
    )
    return world


@pytest.fixture(scope="module")
def straight(world: World) -> tuple[list[dict[str, object]], int]:
    """The uninterrupted run's rows and how many requests it made."""
    with MessagesApiServer(api_key=KEY, latency_s=0.03) as server:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
        args = ("--out", "straight", "--cache", "off", "--db", "h.db", "--processes", "1")
        done = _start(world.root, env, str(world.scenario), *args)
        _out, err = done.communicate(timeout=120)
        assert done.returncode in (0, 1), err
        requests = server.stats().requests
    return _rows(world.root / "straight"), requests


@pytest.mark.parametrize(
    ("signum", "processes"),
    [(signal.SIGINT, "1"), (signal.SIGINT, "2"), (signal.SIGTERM, "1"), (signal.SIGTERM, "2")],
    ids=["sigint-1", "sigint-2", "sigterm-1", "sigterm-2"],
)
def test_a_signal_at_half_way_commits_no_case_in_flight_and_resumes_to_the_same_verdicts(
    world: World, straight: tuple[list[dict[str, object]], int], signum: int, processes: str
) -> None:
    expected, uninterrupted = straight
    out = f"stopped-{signum}-{processes}"
    scenario = str(world.scenario)
    cache = f"cache-{out}"
    common = ("--db", "h.db", "--processes", processes, "--cache-dir", cache)
    with MessagesApiServer(api_key=KEY, latency_s=0.03) as server:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
        victim = _start(world.root, env, scenario, "--out", out, *common)
        deadline = time.monotonic() + 60
        while server.stats().requests < uninterrupted // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        if processes == "1":
            victim.send_signal(signum)  # as `kill` does
        else:
            os.killpg(victim.pid, signum)  # as Ctrl-C does: the workers and forkserver too
        _stdout, stderr = victim.communicate(timeout=60)

        status = ExitStatus.INTERRUPTED if signum == signal.SIGINT else ExitStatus.TERMINATED
        assert victim.returncode == status, stderr
        assert "Traceback" not in stderr
        folder = RunFolder(world.root / out)
        run_id = folder.info()["run_id"]
        committed = len(folder.completed())
        assert 0 < committed < CASES
        resume = f"harness run {scenario} --resume {run_id} --out {out} {' '.join(common)}"
        lines = stderr.splitlines()
        assert lines[-1] == (
            f"interrupted: {committed} of {CASES} cases committed; finish with {resume}"
        ), stderr
        assert not [line for line in lines[:-1] if not line.startswith("replayed ")], stderr
        # Nothing in flight was committed: no server fault was injected, so an error or a
        # case not run could only come from the interruption.
        chunks = list((world.root / out / "parts").glob("*-results-*.parquet"))
        statuses = {s for c in chunks for s in pq.read_table(c).column("status").to_pylist()}
        assert statuses <= {"passed", "failed", "not_applicable"}

        resumed = subprocess.run(
            [sys.executable, "-m", "harness.cli", *resume.split()[1:]],
            cwd=world.root,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert resumed.returncode in (0, 1), resumed.stderr
        requests = server.stats().requests
    assert _rows(world.root / out) == expected
    # A call cut short by the signal may be asked again: at most one per slot.
    assert uninterrupted <= requests <= uninterrupted + CONCURRENCY
    # Every request made is in the call log, the ones the signal cut short included (as
    # 'interrupted'); one cut short before it reached the server is logged but not counted.
    with duckdb.connect(str(world.root / "h.db"), read_only=True) as con:
        attempts = con.execute(
            "SELECT count(*) FROM model_calls WHERE run_id = ? AND NOT cache_hit", [run_id]
        ).fetchone()
    assert attempts is not None
    assert requests <= attempts[0] <= requests + CONCURRENCY
    print(  # the figures of docs/reliability.md (pytest -s)
        f"reliability: {signal.Signals(signum).name} --processes {processes}: "
        f"K={uninterrupted} C={CONCURRENCY} requests={requests} committed={committed}/{CASES} "
        f"attempts-in-log={attempts[0]}"
    )


@pytest.mark.parametrize("processes", ["1", "2"])
def test_kill_9_at_half_way_then_resume_loses_no_paid_call_and_repeats_no_finished_one(
    world: World, straight: tuple[list[dict[str, object]], int], processes: str
) -> None:
    """Killed at half way, in one process or with two worker processes, then resumed.

    The straight run uses one process, so equal rows also show that worker processes
    change nothing in the results.
    """
    expected, uninterrupted = straight
    assert uninterrupted == 2 * CASES
    out = f"killed-{processes}"
    scenario = str(world.scenario)
    common = ("--db", "h.db", "--processes", processes, "--cache-dir", f"cache-{out}")
    with MessagesApiServer(api_key=KEY, latency_s=0.03) as server:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
        victim = _start(world.root, env, scenario, "--out", out, *common)
        deadline = time.monotonic() + 60
        while server.stats().requests < uninterrupted // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        dead_at = time.monotonic()  # its files closed: its workers see the lifeline end
        time.sleep(1.5)  # a worker process left behind would go on calling meanwhile
        before_resume = server.stats().requests
        time.sleep(1.0)
        assert server.stats().requests == before_resume, "an orphaned worker is still calling"
        # No call starts after the parent's death: what arrives later was in flight, at most
        # one a slot (test_workers checks the worker's check before each call).
        late = [round(t - dead_at, 3) for t in server.arrivals() if t > dead_at]
        assert len(late) <= CONCURRENCY, f"{len(late)} requests arrived after the death: {late}"
        assert 0 < before_resume < uninterrupted
        folder = RunFolder(world.root / out)
        assert folder.info()["finished_at"] is None

        resumed = _start(world.root, env, scenario, "--resume", "--out", out, *common)
        _out, err = resumed.communicate(timeout=120)
        assert resumed.returncode in (0, 1), err
        stats = server.stats()
    # Every request the uninterrupted run made was made once; a call still in flight at the
    # kill (its answer never reached the journal) may be asked again, at most one a slot.
    assert stats.distinct_bodies == uninterrupted
    assert uninterrupted <= stats.requests <= uninterrupted + CONCURRENCY
    assert _rows(world.root / out) == expected
    assert folder.info()["finished_at"] is not None
    assert not list((world.root / out / "parts").glob("*.calls.jsonl"))
    # Every request the server answered is in the call log once, as a paid call with its
    # cost, not as a free cache hit, except those in flight at the kill (their answers never
    # arrived): at most one a slot. So the run's cost is true.
    with duckdb.connect(str(world.root / "h.db"), read_only=True) as con:
        paid = con.execute(
            "SELECT request_id, cost_usd FROM model_calls "
            "WHERE run_id = ? AND NOT cache_hit AND status = 'ok'",
            [folder.info()["run_id"]],
        ).fetchall()
        hits = con.execute(
            "SELECT count(*) FROM model_calls WHERE run_id = ? AND cache_hit",
            [folder.info()["run_id"]],
        ).fetchone()
    assert hits is not None
    answered = stats.by_status[200]
    assert answered - CONCURRENCY <= len(paid) <= answered
    assert len({request_id for request_id, _cost in paid}) == len(paid)  # none logged twice
    assert all(cost > 0 for _id, cost in paid)
    assert len(paid) + hits[0] >= uninterrupted  # each call of the run is in the log
    print(  # the figures of docs/reliability.md (pytest -s)
        f"reliability: kill -9 --processes {processes}: K={uninterrupted} C={CONCURRENCY} "
        f"requests={stats.requests} answered={answered} paid-in-log={len(paid)} "
        f"cache-hits={hits[0]} seconds-after-death={late}"
    )
