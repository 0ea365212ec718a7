"""The shipped judge scenario, end to end against the local Messages-API server answering as
the rules echo judge (a test double): no key, no network, the whole judge path at demo scale."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from harness.config.disclosures import load_registry
from harness.corpus.cases import Case, Turn
from harness.models.base import Message
from harness.outputs.table import gate_table
from harness.replay.conversation import Transcript
from harness.run.calibrate import calibrate_plan
from harness.run.estimate import estimate_judge
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from harness.scoring.calibration import ECHO_NOTE, format_table
from harness.scoring.disclosure_rules import score_disclosure
from harness.scoring.judge import ECHO_MARK, build_prompt, parse_answer
from harness.scoring.rubrics import load_rubric
from harness.testing import ApiPrompt, MessagesApiServer
from harness.testing.echo_judge import rules_echo_judge

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def _demo_judge(tmp_path: Path, policy: str | None = None) -> Path:
    """The shipped judge scenario, its paths made absolute, on 120 cases, under ``policy``."""
    data = yaml.safe_load((SCENARIOS / "demo-judge.yaml").read_text())
    data["corpus"] = {
        "paths": [str(SCENARIOS / p) for p in data["corpus"]["paths"]],
        "limit": 120,
    }
    data["disclosures"]["folder"] = str(SCENARIOS / "disclosures")
    data["prompt"]["folder"] = str(SCENARIOS / "prompts")
    data["cache"] = {"mode": "read-write", "dir": str(tmp_path / "cache")}
    if policy is not None:
        for how in data["scoring"]["disclosures"].values():
            how["combine"] = policy
    path = tmp_path / f"demo-judge-{policy or 'shipped'}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_demo_judge_runs_end_to_end_and_calibrates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responder = rules_echo_judge(SCENARIOS / "disclosures")
    with MessagesApiServer(api_key="sk-ant-demo", responder=responder) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-demo")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        plan = load_plan(_demo_judge(tmp_path))
        estimate = estimate_judge(plan)
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
        # the estimate, made before the run, counted every judge call the run made
        assert estimate is not None and estimate.cached_calls == 0
        assert estimate.calls + estimate.calibration_calls == calls[1][1]
        assert set(estimate.policies.values()) == {"both (judge_confirms_passes)"}
        # every place showing this calibration says the judge was the rules echo
        assert all(r.echo == (r.criterion in judged and r.scorer != "rules") for r in rows)
        assert ECHO_NOTE in format_table(rows)
        assert "judge: the rules echo test double" in gate_table(outcome.gate)


def test_judge_confirms_passes_asks_the_judge_more_than_judge_if_unsure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Estimated on the same cases: confirming every rules pass costs more calls than settling
    only the unsure verdicts, and fewer than judging everything; nothing is called."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-demo")
    counts = {}
    for policy in ("judge_if_unsure", "judge_confirms_passes", "both_must_pass"):
        estimate = estimate_judge(load_plan(_demo_judge(tmp_path, policy)))
        assert estimate is not None
        counts[policy] = estimate.calls
    assert 0 < counts["judge_if_unsure"] < counts["judge_confirms_passes"]
    assert counts["judge_confirms_passes"] <= counts["both_must_pass"]


def test_the_echo_judge_reads_multi_line_turns_and_says_it_is_a_test_double() -> None:
    registry = load_registry(SCENARIOS / "disclosures")
    pinned = registry.pin("commission", 2)
    rubric = load_rubric(SCENARIOS / "disclosures", "commission", source="t", field="f")
    turns = (
        Turn(role="customer", text="How do you get paid?"),
        Turn(
            role="agent",
            text="Good question.\n\n- We're a credit broker, not a lender.\n- **The lender pays "
            "us a commission** for introducing you.\n- It doesn't change your rate.",
        ),
        Turn(role="event", event="offer_presented"),
    )
    case = Case(case_id="c-md", source="t", facts={}, turns=turns)
    transcript = Transcript(turns)
    system, user = build_prompt(pinned, rubric, case, transcript, "before offer_presented")
    assert "<b>" not in user and "**The lender pays us a commission**" in user
    answer = json.loads(
        rules_echo_judge(SCENARIOS / "disclosures")(
            ApiPrompt("claude-haiku-4-5", system, (Message("user", user),), 1)
        )
    )
    rules = score_disclosure(pinned, case, transcript)
    assert answer["verdict"] == ("presented" if rules.status == "passed" else "not_presented")
    assert answer["reasoning"].startswith(ECHO_MARK)
    parsed = parse_answer(json.dumps(answer), transcript)
    assert parsed.verdict == answer["verdict"]
