"""Baselines named by scenario (and git branch), by run id, or by a results file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config.scenario import Scenario
from harness.errors import ConfigError
from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import load_plan
from harness.store.database import RunStore
from tests.test_report import run_world
from tests.world import build_world


def _candidate(tmp_path: Path, db: Path, baseline: dict[str, str]) -> RunOutcome:
    world = build_world(tmp_path / "cand")
    world.write_scenario(baseline=baseline, thresholds={"default": 0.6})
    outcome = run_scenario(load_plan(world.scenario), out_dir=tmp_path / "out", db_path=db)
    assert outcome is not None
    return outcome


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    return run_world(tmp_path_factory.mktemp("base"), name="base")


def _db(base: RunOutcome) -> Path:
    return base.out_dir.parent / "harness.duckdb"


def test_by_run_id_compares_with_that_run(base: RunOutcome, tmp_path: Path) -> None:
    cand = _candidate(tmp_path, _db(base), {"run_id": base.run_id})
    assert cand.gate.baseline_run_id == base.run_id
    assert all(c.regression is not None for c in cand.gate.criteria)  # paired with it
    manifest = json.loads(cand.manifest_path.read_text())
    assert manifest["baseline"]["run_id"] == base.run_id


def test_an_unknown_run_id_is_an_error_naming_the_field(base: RunOutcome, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"field 'baseline\.run_id': no run 'nope'"):
        _candidate(tmp_path, _db(base), {"run_id": "nope"})


def test_by_results_file_compares_with_the_file_rows(base: RunOutcome, tmp_path: Path) -> None:
    # A fresh database: the baseline exists only as another run's results.parquet.
    cand = _candidate(
        tmp_path / "1", tmp_path / "fresh.duckdb", {"results": str(base.results_path)}
    )
    assert cand.gate.baseline_run_id is not None
    assert cand.gate.baseline_run_id.startswith("results-file-")
    by_id = {c.criterion: c for c in cand.gate.criteria}
    with RunStore(base.out_dir.parent / "harness.duckdb") as store:
        rates = store.pass_rates(base.run_id)
    for criterion, rate in rates.items():
        assert by_id[criterion].baseline_pass_rate == pytest.approx(rate)
    # Loading the same file again reuses its rows rather than adding them twice.
    again = _candidate(
        tmp_path / "2", tmp_path / "fresh.duckdb", {"results": str(base.results_path)}
    )
    assert again.gate.baseline_run_id == cand.gate.baseline_run_id
    with RunStore(tmp_path / "fresh.duckdb") as store:
        assert store.case_count(cand.gate.baseline_run_id) == base.cases


def test_a_file_that_is_not_results_is_an_error_naming_the_field(
    base: RunOutcome, tmp_path: Path
) -> None:
    wrong = tmp_path / "not-results.parquet"
    wrong.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(ConfigError, match=r"field 'baseline\.results': .*not a results file"):
        _candidate(tmp_path, tmp_path / "fresh.duckdb", {"results": str(wrong)})
    with pytest.raises(ConfigError, match=r"field 'baseline\.results': .*no such results file"):
        _candidate(tmp_path / "2", tmp_path / "fresh.duckdb", {"results": "missing.parquet"})


def test_latest_on_a_branch_reads_the_branch_each_run_recorded(tmp_path: Path) -> None:
    with RunStore(tmp_path / "h.duckdb") as store:
        for run_id, branch, finished in [
            ("r-main-old", "main", "2026-11-01T10:00:00+00:00"),
            ("r-feature", "feature/x", "2026-11-02T10:00:00+00:00"),
            ("r-main-new", "main", "2026-11-03T10:00:00+00:00"),
            ("r-other", "feature/x", "2026-11-04T10:00:00+00:00"),
        ]:
            manifest = {
                "run_id": run_id,
                "scenario": {"name": "s"},
                "started_at": finished,
                "finished_at": finished,
                "git": {"branch": branch},
            }
            store.record_run(manifest, "passed", str(tmp_path))
        assert store.latest_run("s") == "r-other"
        assert store.latest_run("s", branch="main") == "r-main-new"
        assert store.latest_run("s", branch="main", exclude="r-main-new") == "r-main-old"
        assert store.latest_run("s", branch="release") is None


@pytest.mark.parametrize(
    ("baseline", "message"),
    [
        ({"scenario": "a", "run_id": "b"}, "exactly one of"),
        ({}, "exactly one of"),
        ({"run_id": "b", "branch": "main"}, "'branch' picks the latest run of a 'scenario'"),
    ],
)
def test_the_baseline_must_name_one_source(
    tmp_path: Path, baseline: dict[str, str], message: str
) -> None:
    world = build_world(tmp_path / "w")
    path = world.write_scenario(baseline=baseline)
    with pytest.raises(ConfigError, match=message):
        Scenario.load(path)
