"""The reliability suite: nothing wrong, nothing lost, under faults of every kind.

500 cases (1,000 model calls, each request distinct) replay through the official SDK
against the local Messages-API server, which fails 20% of the requests, spread evenly over
every fault it can inject (429, 500, 529, a dropped connection, a 200 that is not JSON, an
answer slower than the call timeout, an answer holding a content block no SDK knows, an
empty answer). Each request body fails on its first three sights at most, so every call
gets its answer within the call policy's attempts, and the run must show it: every case
committed once, no error, and the call log accounting for every request the server saw,
as an answered call or a faulted attempt.

The rest of the suite (docs/reliability.md): kill -9 at half way and resume
(``test_reliability_kill.py``), SIGINT and SIGTERM at half way (``test_interrupt.py``),
hostile text through every print path (``test_hostile_text.py``, ``test_secrets.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import load_plan
from harness.testing import FaultPlan, MessagesApiServer, ServerStats
from harness.testing.faults import FAULT_KINDS
from tests.world import build_world, make_case

KEY = "sk-ant-reliability-0123456789"
CASES = 500
CALLS = CASES * 2  # two agent turns a case
CRITERIA = ("apr", "broker_status")
RATE = 0.2
#: A request that faults as ``slow`` is answered after the call timeout: a timeout.
TIMEOUT_S, SLOW_S = 5.0, 5.5  # far above a normal answer, even on a loaded machine
#: Every fault but ``novel_block`` makes its attempt fail (that one is a normal answer).
FAILING = frozenset(FAULT_KINDS) - {"novel_block"}


#: The cases also replayed without faults, whose verdicts the faulted run must repeat.
CLEAN_CASES = 100


@dataclass(frozen=True)
class Faulted:
    outcome: RunOutcome
    server: ServerStats
    db: Path
    clean: list[dict[str, object]]  # the result rows of the first cases, without faults


def _scenario(root: Path, cases: int) -> Path:
    world = build_world(
        root,
        cases=[
            make_case(f"case-{i:04d}", ["We are a credit broker", "ok"], distinct=True)
            for i in range(cases)
        ],
    )
    return world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "off"},
        concurrency=32,
        calls={
            "timeout_s": TIMEOUT_S,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
            "max_attempts": 4,
        },
    )


def _rows(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = (
        pq.read_table(path).drop_columns(["run_id", "duration_ms"]).to_pylist()
    )
    return rows


@pytest.fixture(scope="module")
def faulted(tmp_path_factory: pytest.TempPathFactory) -> Faulted:
    root = tmp_path_factory.mktemp("reliability")
    scenario = _scenario(root / "w", CASES)
    faults = FaultPlan(
        rates=dict.fromkeys(FAULT_KINDS, RATE / len(FAULT_KINDS)),
        seed=14,
        first_attempts=3,  # the fourth attempt of a request always gets its answer
        retry_after_s=0.01,
        slow_s=SLOW_S,
    )
    with (
        MessagesApiServer(api_key=KEY, faults=faults) as server,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("ANTHROPIC_API_KEY", KEY)
        mp.setenv("ANTHROPIC_BASE_URL", server.base_url)
        outcome = run_scenario(load_plan(scenario), out_dir=root / "o", db_path=root / "h.db")
        assert outcome is not None
        stats = server.stats()
    with MessagesApiServer(api_key=KEY) as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTHROPIC_API_KEY", KEY)
        mp.setenv("ANTHROPIC_BASE_URL", server.base_url)
        clean = run_scenario(
            load_plan(_scenario(root / "clean", CLEAN_CASES)),
            out_dir=root / "clean-out",
            db_path=root / "clean.db",
        )
        assert clean is not None
    return Faulted(outcome, stats, root / "h.db", _rows(clean.results_path))


def test_every_kind_of_fault_struck_a_fifth_of_the_requests(faulted: Faulted) -> None:
    struck = faulted.server.by_fault
    assert set(struck) == set(FAULT_KINDS), struck
    share = sum(struck.values()) / faulted.server.requests
    assert 0.15 < share < 0.25, (share, struck)


def test_no_case_is_lost_doubled_or_wrong(faulted: Faulted) -> None:
    rows = pq.read_table(faulted.outcome.results_path).to_pylist()
    keys = Counter((r["case_id"], r["criterion"], r["repeat"]) for r in rows)
    expected = {(f"case-{i:04d}", c, 0) for i in range(CASES) for c in CRITERIA}
    assert set(keys) == expected  # 0 missing
    assert max(keys.values()) == 1  # 0 duplicate rows
    # Every call got its answer in the end: no fault became a verdict or an error row.
    assert {r["status"] for r in rows} <= {"passed", "failed", "not_applicable"}
    # ... and the verdicts are those of a run that saw no fault.
    first = {f"case-{i:04d}" for i in range(CLEAN_CASES)}
    seen = [r for r in _rows(faulted.outcome.results_path) if r["case_id"] in first]
    assert seen == faulted.clean
    with duckdb.connect(str(faulted.db), read_only=True) as con:
        stored = con.execute(
            "SELECT count(*), count(DISTINCT (case_id, criterion, repeat)) FROM results "
            "WHERE run_id = ?",
            [faulted.outcome.run_id],
        ).fetchone()
    assert stored == (len(expected), len(expected))


def test_every_request_is_an_answered_call_or_a_faulted_attempt(faulted: Faulted) -> None:
    with duckdb.connect(str(faulted.db), read_only=True) as con:
        calls = con.execute(
            "SELECT case_id, turn_index, attempt, status, error_class, request_id, cost_usd, "
            "cache_hit FROM model_calls WHERE run_id = ?",
            [faulted.outcome.run_id],
        ).fetchall()
    answered = [c for c in calls if c[3] == "ok"]
    failed = [c for c in calls if c[3] == "error"]
    faulted_attempts = sum(n for kind, n in faulted.server.by_fault.items() if kind in FAILING)
    # Each call answered exactly once, each fault logged as one failed attempt, no more.
    assert len(answered) == CALLS
    assert len({(c[0], c[1]) for c in answered}) == CALLS
    assert len(failed) == faulted_attempts
    assert faulted.server.requests == len(answered) + len(failed)
    assert len({(c[0], c[1], c[2]) for c in calls}) == len(calls)  # no attempt logged twice
    ids = [c[5] for c in answered]
    assert None not in ids and len(set(ids)) == CALLS  # each answer a different request
    assert not [c for c in calls if c[7]]  # the cache is off: no free hit
    assert all(c[6] > 0 for c in answered)  # every answer paid for
    by_class = Counter(c[4] for c in failed)
    struck = faulted.server.by_fault
    assert by_class["rate_limited"] == struck["rate_limit"]
    assert by_class["server_error"] == struck["server_error"]
    assert by_class["overloaded"] == struck["overloaded"]
    assert by_class["timeout"] == struck["slow"]
    assert by_class["empty"] == struck["empty"]
    assert sum(by_class.values()) == faulted_attempts
    print(  # the figures of docs/reliability.md (pytest -s)
        f"reliability: {CASES} cases, {RATE:.0%} faults: requests={faulted.server.requests} "
        f"answered={len(answered)} faulted={len(failed)} by kind={dict(sorted(struck.items()))}"
    )


def test_the_first_call_s_timeout_does_not_count_loading_the_sdk(tmp_path: Path) -> None:
    """The defect: a fresh process imports the SDK inside its first call, under that call's
    timeout. The import takes seconds on a busy machine, so with a short timeout the first
    calls failed as timeouts without ever reaching the server, and were retried: logged
    attempts the provider never saw."""
    world = build_world(tmp_path / "w")
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "off"},
        calls={"timeout_s": 1.0, "backoff_base_s": 0.01, "max_attempts": 3},
        concurrency=2,
    )
    with MessagesApiServer(api_key=KEY) as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")},
            "ANTHROPIC_API_KEY": KEY,
            "ANTHROPIC_BASE_URL": server.base_url,
        }
        args = ("--out", "o", "--db", "h.db", "--processes", "1")
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", str(world.scenario), *args],
            cwd=world.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        requests = server.stats().requests
    assert done.returncode in (0, 1), done.stderr
    with duckdb.connect(str(world.root / "h.db"), read_only=True) as con:
        calls = con.execute("SELECT status, error_class FROM model_calls").fetchall()
    assert calls == [("ok", None)] * 10
    assert requests == 10
