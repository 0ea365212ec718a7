"""A whole run in one process: parts, DuckDB, gate, results, manifest and report."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from harness.errors import ConfigError
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from tests.world import World


def test_run_writes_outputs_and_gates_in_duckdb(world: World, tmp_path: Path) -> None:
    plan = load_plan(world.scenario)
    db = tmp_path / "harness.duckdb"
    outcome = run_scenario(plan, out_dir=tmp_path / "out", db_path=db)
    assert outcome is not None

    figures = {c.criterion: (c.passed, c.applicable, c.verdict) for c in outcome.gate.criteria}
    # broker_status: cases 1, 2, 4 pass; 3 says it after the offer; 5 never says it.
    # apr: cases 1, 2 pass; 3 late; 4 quotes the wrong APR; 5 has no offer (not applicable).
    assert figures == {"broker_status": (3, 5, "pass"), "apr": (2, 4, "pass")}
    assert outcome.gate.passed
    assert outcome.cases == 5

    results = pq.read_table(outcome.results_path).to_pylist()
    assert len(results) == 10
    assert [(r["case_id"], r["criterion"]) for r in results] == sorted(
        (r["case_id"], r["criterion"]) for r in results
    )
    manifest = json.loads(outcome.manifest_path.read_text())
    assert manifest["model"] == {"provider": "recorded", "id": "production", "options": {}}
    assert manifest["prompt"]["name"] == "agent" and manifest["prompt"]["version"] == 1
    assert [d["id"] for d in manifest["disclosures"]] == ["broker_status", "apr"]
    assert manifest["corpus"]["sha256"] == plan.corpus_hash

    with duckdb.connect(str(db), read_only=True) as con:
        tables = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("runs", "results", "transcripts", "model_calls")
        }
    assert tables == {"runs": 1, "results": 10, "transcripts": 5, "model_calls": 10}

    html = outcome.report_path.read_text()
    # the passing case-001 is shown only in the QA sample of passes, never as a failure
    start = html.index('<section id="pass-sample"')
    outside = html[:start] + html[html.index("</section>", start) :]
    assert "case-003" in outside and "case-004" in outside and "case-001" not in outside
    assert "case-001" in html[start:]


def test_threshold_breach_fails_the_gate_not_the_run(world: World, tmp_path: Path) -> None:
    world.write_scenario(thresholds={"default": 0.5, "criteria": {"apr": 0.9}})
    outcome = run_scenario(
        load_plan(world.scenario), out_dir=tmp_path / "o", db_path=tmp_path / "d"
    )
    assert outcome is not None
    assert not outcome.gate.passed
    assert [c.criterion for c in outcome.gate.failing] == ["apr"]
    assert outcome.gate.headline() == "FAILED: 1 of 2 criteria below threshold (apr)."


def test_disclosure_without_applicable_case_fails_and_says_so(world: World, tmp_path: Path) -> None:
    world.write_scenario(corpus={"paths": ["../corpus"], "tags": {"channel": "phone"}})
    outcome = run_scenario(
        load_plan(world.scenario), out_dir=tmp_path / "o", db_path=tmp_path / "d"
    )
    assert outcome is not None
    apr = outcome.gate.criteria[1]
    assert (apr.criterion, apr.applicable, apr.verdict) == ("apr", 0, "no_cases")
    assert apr.reason == "no applicable case in the corpus selection: nothing was checked"
    assert not outcome.gate.passed


def test_selection_matching_no_case_is_a_config_error(world: World, tmp_path: Path) -> None:
    world.write_scenario(corpus={"paths": ["../corpus"], "tags": {"channel": "fax"}})
    with pytest.raises(
        ConfigError, match=r"mini\.yaml: field 'corpus': the selection matched no case"
    ):
        run_scenario(load_plan(world.scenario), out_dir=tmp_path / "o", db_path=tmp_path / "d")


def test_baseline_delta_uses_latest_run_of_the_baseline_scenario(
    world: World, tmp_path: Path
) -> None:
    db = tmp_path / "d.duckdb"
    base = run_scenario(load_plan(world.write_scenario("base")), out_dir=tmp_path / "b", db_path=db)
    assert base is not None
    cand_path = world.write_scenario("cand", baseline={"scenario": "base"})
    cand = run_scenario(load_plan(cand_path), out_dir=tmp_path / "c", db_path=db)
    assert cand is not None
    assert cand.gate.baseline_run_id == base.run_id
    assert [c.delta for c in cand.gate.criteria] == [0.0, 0.0]
