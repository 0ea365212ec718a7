"""ragas metrics as scorers: the offline RAG demo, LLM metrics through our runner and local
Messages-API server, telemetry off with no user-id file, and bad input that exits 2."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from harness.cli.main import main as cli_main
from harness.corpus.cases import Case, Turn
from harness.corpus.files import write_cases
from harness.errors import ConfigError
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from harness.scoring import ragas_metrics
from harness.scoring.ragas_metrics import RagSample, hashed_embedding, score_metric
from harness.testing import ApiPrompt, MessagesApiServer
from harness.testing.api_formats import RequestRejected, parse_messages_body

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-ant-ragas-test-0123456789"
CONTEXT = (
    "Once you sign a credit agreement you have 14 days to withdraw from it without giving a "
    "reason. You repay the amount borrowed plus interest for the days you had it."
)
DISTRACTOR = "Finance terms run from 12 to 120 months."
ANSWER = "You have 14 days after signing to withdraw, without giving a reason."


def rag_case(case_id: str, *, contexts: tuple[str, ...] | None = (CONTEXT, DISTRACTOR)) -> Case:
    return Case(
        case_id=case_id,
        source="tests",
        facts={"reference_contexts": json.dumps([CONTEXT])},
        turns=(
            Turn(role="customer", text="Can I change my mind after signing?"),
            Turn(role="agent", text=ANSWER),
        ),
        question="Can I change my mind after signing?",
        contexts=contexts,
        reference="Yes: you have 14 days after signing to withdraw without giving a reason.",
    )


def rag_world(root: Path, cases: list[Case], metrics: list[dict[str, Any]], **extra: Any) -> Path:
    (root / "prompts" / "kb").mkdir(parents=True)
    (root / "prompts" / "kb" / "v1.j2").write_text(
        "Answer from these passages only.\n{% for p in rag.contexts %}- {{ p }}\n{% endfor %}"
    )
    write_cases(root / "corpus" / "rag.parquet", cases)
    scenario: dict[str, Any] = {
        "name": "rag-mini",
        "model": {"provider": "recorded", "id": "kb"},
        "prompt": {"name": "kb", "version": 1},
        "corpus": {"paths": ["corpus"]},
        "scorers": ["ragas"],
        "scoring": {"ragas": {"metrics": metrics}},
        "thresholds": {"default": 0.5},
        "cache": {"mode": "read-write", "dir": str(root / "cache")},
    }
    scenario["scoring"].update(extra)
    path = root / "rag.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


# ---------------------------------------------------------------- the offline demo


def test_the_rag_demo_runs_offline_and_gates_each_metric(tmp_path: Path) -> None:
    outcome = run_scenario(
        load_plan(ROOT / "scenarios" / "demo-rag.yaml"),
        out_dir=tmp_path / "out",
        db_path=tmp_path / "h.duckdb",
    )
    assert outcome is not None
    assert [(c.criterion, c.threshold, c.verdict) for c in outcome.gate.criteria] == [
        ("rouge_l", 0.8, "pass"),
        ("chrf", 0.8, "pass"),
        ("string_similarity", 0.8, "pass"),
        ("non_llm_context_precision", 0.9, "pass"),
        ("non_llm_context_recall", 0.9, "pass"),
    ]
    assert outcome.gate.passed and outcome.cases == 48
    with duckdb.connect(str(tmp_path / "h.duckdb"), read_only=True) as con:
        wrong = con.execute(
            "SELECT DISTINCT r.case_id FROM results r JOIN transcripts t USING (run_id, case_id) "
            "WHERE r.run_id = ? AND r.criterion = 'rouge_l' AND r.status = 'failed' "
            "AND t.tags->>'answer' = 'good'",
            [outcome.run_id],
        ).fetchall()
        evidence = con.execute(
            "SELECT evidence FROM results WHERE run_id = ? AND case_id = 'kb-002' "
            "AND criterion = 'rouge_l'",
            [outcome.run_id],
        ).fetchone()
    assert wrong == []  # the metric never fails a good answer
    assert evidence is not None
    assert json.loads(evidence[0]) == {
        "answer_turn": 1,
        "metric": "rouge_l",
        "min_score": 0.2,
        "ragas": "0.4.3",
        "reason": json.loads(evidence[0])["reason"],
        "value": json.loads(evidence[0])["value"],
    }
    assert re.fullmatch(r"rouge_l \d\.\d{3}, at or above 0\.2", json.loads(evidence[0])["reason"])


def test_regenerating_the_rag_demo_gives_the_committed_bytes(tmp_path: Path) -> None:
    from harness.demo.rag import FILE_NAME, main

    assert main(["--out", str(tmp_path)]) == 0
    shipped = ROOT / "corpus" / "rag-demo" / FILE_NAME
    assert (tmp_path / FILE_NAME).read_bytes() == shipped.read_bytes()


def test_telemetry_is_off_and_no_user_id_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("RAGAS_DO_NOT_TRACK", raising=False)
    sample = RagSample("q", ANSWER, (CONTEXT, DISTRACTOR), "ref", (CONTEXT,))
    value, _ = asyncio.run(score_metric("non_llm_context_precision", sample))
    assert value == pytest.approx(1.0)
    import os

    import ragas._analytics as analytics

    sent: list[Any] = []
    monkeypatch.setattr("ragas._analytics.requests.post", lambda *a, **k: sent.append(a))
    analytics._analytics_batcher.flush()  # what its background thread would do
    assert os.environ["RAGAS_DO_NOT_TRACK"] == "true"
    assert analytics.do_not_track() is True
    assert sent == []
    assert list(tmp_path.rglob("*")) == []  # no ~/.local/share/ragas/uuid.json


def test_hashed_embeddings_are_deterministic_unit_vectors() -> None:
    one, two = hashed_embedding("Can I cancel?"), hashed_embedding("can i cancel")
    assert one == two and len(one) == 512
    other = hashed_embedding("What is the APR?")
    assert sum(a * b for a, b in zip(one, other, strict=True)) < 0.5


# ---------------------------------------------------------------- LLM metrics via our runner


def _ragas_responder(prompt: ApiPrompt) -> str:
    """Answers ragas's metric prompts with JSON, as a careful model would."""
    text = prompt.messages[-1].content
    found = re.search(r"input: (\{.*\})\s*Output:", text, re.DOTALL)
    assert found is not None, text[:200]
    data = json.loads(found.group(1))
    titles = re.findall(r'"title": "(\w+Output)"', text)
    kind = titles[-1]
    if kind == "StatementGeneratorOutput":
        return json.dumps({"statements": [s for s in data["answer"].split(", ") if s]})
    if kind == "NLIStatementOutput":
        return json.dumps(
            {
                "statements": [
                    {"statement": s, "reason": "in the context", "verdict": int("14 days" in s)}
                    for s in data["statements"]
                ]
            }
        )
    if kind == "AnswerRelevanceOutput":
        return json.dumps({"question": "Can I change my mind after signing?", "noncommittal": 0})
    if kind == "ContextPrecisionOutput":
        return json.dumps({"reason": "r", "verdict": int("14 days" in data["context"])})
    raise AssertionError(f"unexpected prompt {kind}")


@pytest.fixture
def ragas_server() -> Iterator[MessagesApiServer]:
    with MessagesApiServer(api_key=KEY, responder=_ragas_responder) as server:
        yield server


def test_llm_metrics_go_through_the_judges_runner_and_our_local_server(
    tmp_path: Path, ragas_server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    metrics = [
        {"metric": "faithfulness", "min_score": 0.5},
        {"metric": "context_precision", "min_score": 0.9},
        {"metric": "answer_relevancy", "min_score": 0.9},
    ]
    judge = {
        "provider": "anthropic",
        "id": "claude-haiku-4-5",
        "options": {"base_url": ragas_server.base_url, "max_tokens": 600},
    }
    path = rag_world(tmp_path / "w", [rag_case("r-1")], metrics, judge=judge)
    outcome = run_scenario(load_plan(path), out_dir=tmp_path / "out", db_path=tmp_path / "h.db")
    assert outcome is not None
    with duckdb.connect(str(tmp_path / "h.db"), read_only=True) as con:
        scores = con.execute(
            "SELECT criterion, status, score FROM results WHERE run_id = ? ORDER BY criterion",
            [outcome.run_id],
        ).fetchall()
        calls = con.execute(
            "SELECT purpose, criterion, count(*) FROM model_calls WHERE run_id = ? "
            "GROUP BY ALL ORDER BY ALL",
            [outcome.run_id],
        ).fetchall()
    assert scores == [
        ("answer_relevancy", "passed", 1.0),
        ("context_precision", "passed", 1.0),
        ("faithfulness", "passed", 0.5),  # "without giving a reason" is not about 14 days
    ]
    assert calls == [
        ("agent", None, 1),
        ("judge", "answer_relevancy", 1),
        ("judge", "context_precision", 2),
        ("judge", "faithfulness", 2),
    ]
    assert ragas_server.stats().by_status == {200: 5}  # no request was rejected
    # A second run is answered from our response cache (keyed by model and request).
    run_scenario(load_plan(path), out_dir=tmp_path / "out2", db_path=tmp_path / "h.db")
    assert ragas_server.stats().by_status == {200: 5}


def test_ragas_own_anthropic_defaults_are_rejected_by_the_messages_api() -> None:
    """Why the harness does not use ragas's Anthropic path: it sends temperature and top_p."""
    from ragas.llms.base import InstructorModelArgs

    sent = InstructorModelArgs().model_dump(exclude={"system_prompt"})
    body = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}], **sent}
    with pytest.raises(RequestRejected, match="temperature: Extra inputs are not permitted"):
        parse_messages_body(body, {"claude-haiku-4-5"})


# ---------------------------------------------------------------- bad input


def test_a_rag_case_without_contexts_exits_2_naming_file_row_column_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [rag_case("r-1"), rag_case("r-2", contexts=None)]
    path = rag_world(tmp_path / "w", cases, [{"metric": "non_llm_context_recall", "min_score": 1}])
    assert (
        cli_main(["run", str(path), "--out", str(tmp_path / "o"), "--db", str(tmp_path / "d")]) == 2
    )
    corpus = tmp_path / "w" / "corpus" / "rag.parquet"
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"harness: error: {corpus} row 1: case r-2: column 'contexts' is empty, but metric "
        f"'non_llm_context_recall' (scoring.ragas.metrics[0] in {path}) needs it; add the "
        "passages the retriever returned (a list of strings), or select only RAG cases "
        "(corpus.paths, corpus.tags)"
    )


def test_a_metric_without_the_extra_installed_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib import util

    real = util.find_spec
    monkeypatch.setattr(util, "find_spec", lambda name, *a: None if name == "ragas" else real(name))
    path = rag_world(tmp_path / "w", [rag_case("r-1")], [{"metric": "rouge_l", "min_score": 0.3}])
    assert cli_main(["run", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"harness: error: {path}: field 'scoring.ragas.metrics[0].metric': ragas metric "
        "'rouge_l' needs the ragas extra (ragas not installed); install it with: "
        "pip install 'replay-harness[ragas]'\n"
    )


@pytest.mark.parametrize(
    ("metrics", "extra", "message"),
    [
        (
            [{"metric": "rouge", "min_score": 0.3}],
            {},
            "field 'scoring.ragas.metrics[0].metric': unknown ragas metric 'rouge' (did you mean "
            "'rouge_l'?); known metrics: string_similarity, rouge_l, bleu, chrf, "
            "non_llm_context_precision, non_llm_context_recall, faithfulness, answer_relevancy, "
            "context_precision",
        ),
        (
            [{"metric": "faithfulness", "min_score": 0.3}],
            {},
            "field 'scoring.ragas.metrics[0].metric': 'faithfulness' is an LLM metric and needs a "
            "model: set scoring.judge (provider and id), or choose an offline metric",
        ),
        (
            [],
            {},
            "field 'scoring.ragas.metrics' is empty, but the scorer 'ragas' is listed; add "
            "metrics, e.g. - {metric: rouge_l, min_score: 0.4}",
        ),
        (
            [{"metric": "rouge_l", "min_score": 0.3}, {"metric": "rouge_l", "min_score": 0.5}],
            {},
            "field 'scoring.ragas.metrics[1]': criterion 'rouge_l' is already scored by "
            "scoring.ragas.metrics[0]; give one a 'criterion' name",
        ),
    ],
)
def test_metric_configuration_errors(
    tmp_path: Path, metrics: list[dict[str, Any]], extra: dict[str, Any], message: str
) -> None:
    path = rag_world(tmp_path / "w", [rag_case("r-1")], metrics, **extra)
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    assert str(caught.value) == f"{path}: {message}"


def test_ragas_is_imported_by_one_module_only() -> None:
    harness = ROOT / "harness"
    importers = sorted(
        str(p.relative_to(ROOT))
        for p in harness.rglob("*.py")
        if re.search(r"^\s*(import ragas|from ragas)|import_module\(\"ragas", p.read_text(), re.M)
    )
    assert importers == ["harness/scoring/ragas_metrics.py"]
    assert ragas_metrics.INSTALL == "pip install 'replay-harness[ragas]'"
