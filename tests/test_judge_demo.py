"""The shipped judge scenario, end to end against the local Messages-API server answering as
the reference judge: no key, no network, the whole judge path at demo scale."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from harness.run.calibrate import calibrate_plan
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from harness.testing import MessagesApiServer
from harness.testing.reference_judge import reference_judge

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def test_demo_judge_runs_end_to_end_and_calibrates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responder = reference_judge(SCENARIOS / "disclosures")
    with MessagesApiServer(api_key="sk-ant-demo", responder=responder) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-demo")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        data = yaml.safe_load((SCENARIOS / "demo-judge.yaml").read_text())
        data["corpus"] = {
            "paths": [str(SCENARIOS / p) for p in data["corpus"]["paths"]],
            "limit": 120,
        }
        data["disclosures"]["folder"] = str(SCENARIOS / "disclosures")
        data["prompt"]["folder"] = str(SCENARIOS / "prompts")
        data["cache"] = {"mode": "read-write", "dir": str(tmp_path / "cache")}
        path = tmp_path / "demo-judge.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        plan = load_plan(path)
        outcome = run_scenario(plan, out_dir=tmp_path / "out", db_path=tmp_path / "h.db")
        assert outcome is not None
        rows = calibrate_plan(plan)
        judged = {r.criterion: r for r in rows if r.scorer == "judge"}
        assert sorted(judged) == ["commission", "soft_search", "vulnerability_support"]
        assert all(r.kappa is not None and r.kappa >= 0.8 for r in judged.values())
        assert outcome.gate.refused == ()
        with duckdb.connect(str(tmp_path / "h.db"), read_only=True) as con:
            calls = con.execute(
                "SELECT purpose, count(*) FROM model_calls WHERE run_id = ? GROUP BY 1 ORDER BY 1",
                [outcome.run_id],
            ).fetchall()
            decided = con.execute(
                "SELECT count(*) FROM results WHERE run_id = ? AND verdicts LIKE '%judge%' "
                "AND evidence->>'combined' LIKE '%the judge decided%'",
                [outcome.run_id],
            ).fetchone()
        assert calls[0][0] == "agent" and calls[1][0] == "judge" and calls[1][1] > 0
        assert decided is not None and decided[0] > 0
        # calibrate_plan reads the judge's answers from the cache the run filled
        assert server.stats().requests == calls[1][1]
