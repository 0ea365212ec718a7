"""Concurrent resumes, shards and their merge, truncated chunks (kill -9: test_interrupt.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.errors import ConfigError, StoreError
from harness.run.finish import run_scenario
from harness.run.folder import RunFolder, Shard
from harness.run.merge import merge_runs
from harness.run.plan import load_plan
from tests.world import World, build_world, make_case

KEY = "sk-ant-resume-test"
DROP = ["run_id", "duration_ms"]


def _rows(folder: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = (
        pq.read_table(folder / "results.parquet").drop_columns(DROP).to_pylist()
    )
    return rows


def _harness(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", *args],
        cwd=cwd,
        env={**clean, **env},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def big_world(tmp_path: Path) -> World:
    cases = [
        make_case(f"case-{i:04d}", ["We are a credit broker", "ok"], distinct=True)
        for i in range(160)
    ]
    world = build_world(tmp_path / "w", cases=cases)
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
        concurrency=4,
    )
    return world


def test_a_second_concurrent_resume_is_refused(world: World, tmp_path: Path) -> None:
    out = tmp_path / "run"
    folder = RunFolder(out)
    folder.start(load_plan(world.scenario), "mini-1", None)
    with folder:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "harness.cli.main",
                "run",
                str(world.scenario),
                "--resume",
                "mini-1",
                "--out",
                str(out),
                "--db",
                str(tmp_path / "h.db"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"run {out.name} is already being run or resumed by pid {os.getpid()}" in done.stderr


def test_resume_refuses_a_changed_configuration(world: World, tmp_path: Path) -> None:
    out = tmp_path / "run"
    RunFolder(out).start(load_plan(world.scenario), "mini-1", None)
    world.write_scenario(thresholds={"default": 0.5}, seed=99)
    with pytest.raises(ConfigError, match="different scenario sha256"):
        run_scenario(load_plan(world.scenario), out_dir=out, db_path=tmp_path / "h", resume=True)


def test_shards_merge_into_the_unsharded_run(world: World, tmp_path: Path) -> None:
    whole = run_scenario(
        load_plan(world.scenario), out_dir=tmp_path / "whole", db_path=tmp_path / "h.db"
    )
    assert whole is not None
    shards = []
    for k in (1, 2, 3):
        folder = tmp_path / f"shard{k}"
        assert (
            run_scenario(
                load_plan(world.scenario),
                out_dir=folder,
                db_path=tmp_path / "h.db",
                shard=Shard(k, 3),
            )
            is None
        )
        shards.append(folder)
    sizes = [len(RunFolder(f).completed()) for f in shards]
    assert sum(sizes) == 5 and max(sizes) < 5
    merged = merge_runs(shards, out_dir=tmp_path / "merged", db_path=tmp_path / "h.db")
    assert _rows(tmp_path / "merged") == _rows(tmp_path / "whole")
    assert merged.gate.criteria == whole.gate.criteria


def test_merge_refuses_mismatches_and_names_truncated_chunks(world: World, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    run_scenario(load_plan(world.scenario), out_dir=a, db_path=tmp_path / "h", shard=Shard(1, 2))
    with pytest.raises(ConfigError, match=r"shard\(s\) 2/2 missing"):
        merge_runs([a], db_path=tmp_path / "h")
    other = build_world(tmp_path / "other")
    other.write_scenario(prompt={"name": "agent", "version": 1}, seed=8)
    run_scenario(load_plan(other.scenario), out_dir=b, db_path=tmp_path / "h", shard=Shard(2, 2))
    with pytest.raises(ConfigError, match=rf"cannot merge {b} with {a}: they differ in "):
        merge_runs([a, b], db_path=tmp_path / "h")
    run_scenario(
        load_plan(world.scenario),
        out_dir=b,
        db_path=tmp_path / "h",
        shard=Shard(2, 2),
        overwrite=True,  # b holds the other world's shard
    )
    chunk = next((b / "parts").glob("*-results-*.parquet"))
    chunk.write_bytes(chunk.read_bytes()[:-20])
    with pytest.raises(StoreError, match=rf"{chunk.name}: truncated or corrupt result chunk"):
        merge_runs([a, b], db_path=tmp_path / "h")


def test_shard_split_is_stable_and_complete() -> None:
    ids = [f"case-{i}" for i in range(1000)]
    owners = [[k for k in (1, 2, 3, 4) if Shard(k, 4).contains(i)] for i in ids]
    assert all(len(o) == 1 for o in owners)
    counts = [sum(1 for o in owners if o == [k]) for k in (1, 2, 3, 4)]
    assert min(counts) > 200
    assert Shard.parse("2/4") == Shard(2, 4)
    with pytest.raises(ConfigError, match="K must be between 1 and N"):
        Shard.parse("5/4")
