"""Failing before paying, and never losing what was paid, when the run database is not ours.

Everything that can be checked before the first call is: a wrong baseline run id, the run
database (locked, damaged), the output and cache folders (tests/test_bad_input.py). A
database locked by another process at finish is waited for, with a message, for a bounded
time; then the parts stay on disk and the exact ``--resume`` command is printed, and it
finishes the run without paying for any call again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from harness.testing import MessagesApiServer
from tests.world import World, build_world, make_case

KEY = "sk-ant-lock-test-9f8e7d6c5b"
CASES = 12


def _env(server: MessagesApiServer) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "GITHUB_"))}
    return {**clean, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}


def _world(root: Path, **changes: Any) -> World:
    cases = [
        make_case(f"case-{i:03d}", ["We are a credit broker", "ok"], distinct=True)
        for i in range(CASES)
    ]
    world = build_world(root, cases=cases)
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
        concurrency=2,
        **changes,
    )
    return world


@contextmanager
def _database_held(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the DuckDB file open for writing, until the block ends."""
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def _harness(world: World, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", str(world.scenario), *args],
        cwd=world.root,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_wrong_baseline_run_id_fails_before_any_call(tmp_path: Path) -> None:
    """It failed after every call had been paid for, when the gate looked it up."""
    world = _world(tmp_path / "w", baseline={"run_id": "no-such-run"})
    with MessagesApiServer(api_key=KEY) as server:
        done = _harness(world, _env(server), "--db", "h.db", "--processes", "1")
        _out, err = done.communicate(timeout=120)
        assert server.stats().requests == 0
    assert done.returncode == 2, err
    assert "field 'baseline.run_id': no run 'no-such-run'" in err and "Traceback" not in err


def test_a_database_locked_at_the_start_is_waited_for_then_refused_before_any_call(
    tmp_path: Path,
) -> None:
    world = _world(tmp_path / "w")
    with MessagesApiServer(api_key=KEY) as server, _database_held(world.root / "h.db"):
        began = time.monotonic()
        done = _harness(world, _env(server), "--db", "h.db", "--db-wait", "1.5")
        _out, err = done.communicate(timeout=120)
        waited = time.monotonic() - began
        assert server.stats().requests == 0
    assert done.returncode == 2, err
    assert "h.db: the run database is locked by another process; waiting up to 1.5 s" in err
    assert "locked by another process" in err.splitlines()[-1]
    assert "Traceback" not in err
    assert waited >= 1.5


def test_a_database_locked_at_finish_keeps_the_parts_and_prints_the_resume_command(
    tmp_path: Path,
) -> None:
    world = _world(tmp_path / "w")
    args = ("--db", "h.db", "--out", "out", "--processes", "1", "--db-wait", "1")
    with MessagesApiServer(api_key=KEY, latency_s=0.15) as server:
        env = _env(server)
        run = _harness(world, env, *args)
        deadline = time.monotonic() + 60
        while server.stats().requests < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        with _database_held(world.root / "h.db"):  # taken while the cases are replayed
            _out, err = run.communicate(timeout=180)
        paid = server.stats().requests

        assert run.returncode == 2, err
        assert "Traceback" not in err
        last = err.strip().splitlines()[-1]
        assert last.startswith("harness: error: --db h.db: the run database is locked by ")
        assert "; every result is kept in out/parts; finish the run with " in last
        resume = last.split("; finish the run with ", 1)[1]
        assert resume.startswith(f"harness run {world.scenario} --resume mini-")
        assert " --out " in resume and "--db h.db" in resume
        assert paid == 2 * CASES  # every case was replayed before the finish waited

        again = subprocess.run(
            [sys.executable, "-m", "harness.cli", *resume.split()[1:]],
            cwd=world.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert again.returncode in (0, 1), again.stderr
        assert server.stats().requests == paid  # finishing it paid for nothing again
    rows = pq.read_table(world.root / "out" / "results.parquet")
    assert len(set(rows.column("case_id").to_pylist())) == CASES
