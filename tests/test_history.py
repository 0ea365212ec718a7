"""``harness history``: pass rates per run and criterion from the run database, newest last."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.history import history_table
from harness.cli.main import main
from harness.store.database import RunStore
from tests.gate_data import load_run

RUNS = [  # (run id, scenario, finished at, verdict, commission statuses of c1..c4)
    ("a-1", "alpha", "2026-01-01T10:00:00+00:00", "pass", ["passed"] * 4),
    ("a-2", "alpha", "2026-01-02T10:00:00+00:00", "fail", ["passed", "failed", "failed", "passed"]),
    ("a-3", "alpha", "2026-01-03T10:00:00+00:00", "pass", ["passed", "passed", "passed", "error"]),
    ("b-1", "beta", "2026-01-02T12:00:00+00:00", "pass", ["passed", "not_applicable"] * 2),
]


def _manifest(run_id: str, scenario: str, finished: str) -> dict[str, object]:
    return {
        "run_id": run_id,
        "scenario": {"name": scenario},
        "started_at": finished,
        "finished_at": finished,
        "model": {"provider": "recorded", "id": "production"},
        "git": {"commit": "0123456789abcdef0123"} if scenario == "alpha" else {},
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "runs.duckdb"
    with RunStore(path) as store:
        for run_id, scenario, finished, verdict, commission in RUNS:
            statuses = {(f"c{i + 1}", "commission"): s for i, s in enumerate(commission)}
            statuses |= {(f"c{i + 1}", "apr"): "passed" for i in range(4)}
            load_run(store, tmp_path / run_id, run_id, statuses, {})
            store.record_run(_manifest(run_id, scenario, finished), verdict, str(tmp_path))
        store.record_start("a-4", "alpha", "2026-01-04T10:00:00+00:00", str(tmp_path))  # unfinished
    return path


def test_history_rows_oldest_first_per_scenario(db: Path) -> None:
    with RunStore(db) as store:
        rows = store.run_history("alpha", limit=2)
    assert [(r["run_id"], r["criterion"], r["passed"], r["applicable"]) for r in rows] == [
        ("a-2", "apr", 4, 4),
        ("a-2", "commission", 2, 4),
        ("a-3", "apr", 4, 4),
        ("a-3", "commission", 3, 4),  # the error counts as a failure
    ]


def test_history_table(db: Path) -> None:
    with RunStore(db) as store:
        rows = store.run_history(None, limit=10)
    assert history_table(rows).splitlines() == [
        "scenario alpha",
        "run  verdict  model                commit           apr  commission",
        "-" * 67,
        "a-1  pass     recorded:production  0123456789ab  100.0%      100.0%",
        "a-2  fail     recorded:production  0123456789ab  100.0%       50.0%",
        "a-3  pass     recorded:production  0123456789ab  100.0%       75.0%",
        "",
        "scenario beta",
        "run  verdict  model                commit           apr  commission",
        "-" * 67,
        "b-1  pass     recorded:production  unknown       100.0%      100.0%",
    ]


def test_history_command(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--db", str(db), "--scenario", "alpha", "--limit", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "a-3  pass     recorded:production  0123456789ab  100.0%       75.0%"
    )
    assert main(["history", "--db", str(db), "--scenario", "gamma"]) == 0
    assert capsys.readouterr().out == f"no finished run of scenario gamma in {db}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "harness: error: --limit must be at least 1, got 0"),
        (
            ["--db", "missing.duckdb"],
            "harness: error: missing.duckdb: no run database; run a scenario first or pass --db",
        ),
    ],
)
def test_history_bad_input_exits_2(
    db: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    full = ["history", *(["--db", str(db)] if "--db" not in args else []), *args]
    assert main(full) == 2
    assert capsys.readouterr().err.strip() == message
