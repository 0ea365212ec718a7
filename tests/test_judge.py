"""The LLM judge end to end: the anthropic adapter, our local Messages-API server as the judge,
the judge's calls counted apart, retries of unusable answers, rubrics and combination modes."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from harness.corpus.cases import Turn
from harness.corpus.files import write_cases
from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import load_plan
from harness.scoring.base import Transcript
from harness.scoring.judge import InvalidAnswer, parse_answer
from harness.testing import ApiPrompt, MessagesApiServer
from tests.world import World, build_world, default_cases, make_case

KEY = "sk-ant-judge-test-0123456789"
JUDGE_MODEL = "claude-haiku-4-5"
Responder = Callable[[ApiPrompt], str]


def _chat(prompt: ApiPrompt) -> list[tuple[int, str, str]]:
    """The numbered turns the judge was shown: (index, role, text), each text whole."""
    first = prompt.messages[0].content
    return [
        (int(m[1]), m[2], html.unescape(m[3]))
        for m in re.finditer(r'<turn n="(\d+)" role="(\w+)">(.*?)</turn>', first, re.S)
    ]


def honest_judge(prompt: ApiPrompt) -> str:
    """Judges the test world's two disclosures the way a careful reviewer would."""
    deadline = re.search(r"before offer_presented \(turn (\d+)\)", prompt.system)
    limit = int(deadline.group(1)) if deadline else 10**6
    if "(broker_status)" in prompt.system:
        wanted = "credit broker, not a lender"
    else:
        apr = re.search(r"apr = (\d+(?:\.\d+)?)", prompt.system)
        assert apr is not None
        wanted = f"{apr.group(1)}% APR"
    for index, role, text in _chat(prompt):
        if role == "agent" and wanted.lower() in text.lower() and index < limit:
            start = text.lower().index(wanted.lower())
            return json.dumps(
                {
                    "verdict": "presented",
                    "turn": index,
                    "cited_span": text[start : start + len(wanted)],
                    "reasoning": "Said in the agent's words before the offer.",
                }
            )
    return json.dumps(
        {
            "verdict": "not_presented",
            "turn": None,
            "cited_span": "",
            "reasoning": "Not said in time.",
        }
    )


def yes_judge(prompt: ApiPrompt) -> str:
    """A lenient judge: every disclosure presented, quoting the first agent turn."""
    index, _, text = next(t for t in _chat(prompt) if t[1] == "agent")
    return json.dumps(
        {"verdict": "presented", "turn": index, "cited_span": text[:12], "reasoning": "Fine."}
    )


def prose_judge(prompt: ApiPrompt) -> str:
    return "I think the agent did a reasonable job of explaining things to the customer."


@pytest.fixture
def judge_server(request: pytest.FixtureRequest) -> Iterator[MessagesApiServer]:
    responder: Responder = getattr(request, "param", honest_judge)
    with MessagesApiServer(api_key=KEY, responder=responder) as server:
        yield server


def write_rubrics(world: World, *ids: str) -> None:
    for disclosure_id in ids:
        path = world.root / "scenarios" / "disclosures" / f"{disclosure_id}.rubric.md"
        path.write_text(f"# {disclosure_id}\nPresented when every key fact is said in time.\n")


def judged_scenario(world: World, server: MessagesApiServer, **scoring: Any) -> Path:
    settings: dict[str, Any] = {
        "default_mode": "judge",
        "judge": {
            "provider": "anthropic",
            "id": JUDGE_MODEL,
            "options": {"max_tokens": 400, "base_url": server.base_url},
        },
    }
    settings.update(scoring)
    return world.write_scenario(
        scorers=["disclosures"],
        scoring=settings,
        cache={"mode": "read-write", "dir": str(world.root / "cache")},
    )


def run(path: Path, tmp_path: Path, name: str = "out") -> RunOutcome:
    outcome = run_scenario(load_plan(path), out_dir=tmp_path / name, db_path=tmp_path / "h.duckdb")
    assert outcome is not None
    return outcome


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)


def _results(tmp_path: Path, outcome: RunOutcome) -> dict[tuple[str, str], tuple[str, Any]]:
    with duckdb.connect(str(tmp_path / "h.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT case_id, criterion, status, verdicts FROM results WHERE run_id = ?",
            [outcome.run_id],
        ).fetchall()
    return {(r[0], r[1]): (r[2], json.loads(r[3]) if r[3] else None) for r in rows}


# ---------------------------------------------------------------- end to end


def test_judge_scores_every_applicable_disclosure_through_the_anthropic_adapter(
    world: World, judge_server: MessagesApiServer, keyed: None, tmp_path: Path
) -> None:
    write_rubrics(world, "broker_status", "apr")
    outcome = run(judged_scenario(world, judge_server), tmp_path)
    results = _results(tmp_path, outcome)
    assert {k: v[0] for k, v in results.items()} == {
        ("case-001", "broker_status"): "passed",
        ("case-001", "apr"): "passed",
        ("case-002", "broker_status"): "passed",
        ("case-002", "apr"): "passed",
        ("case-003", "broker_status"): "failed",  # said only after the offer
        ("case-003", "apr"): "failed",
        ("case-004", "broker_status"): "passed",
        ("case-004", "apr"): "failed",  # 12.9% said for 9.9%
        ("case-005", "broker_status"): "failed",
        ("case-005", "apr"): "not_applicable",  # applicability stays with the rules
    }
    assert results[("case-004", "apr")][1] == {"judge": "failed", "rules": "failed"}
    # Nine applicable disclosures, one judge call each, plus calibration on the same
    # recorded turns answered from memory (no second call).
    assert judge_server.stats().by_endpoint == {"messages": 9}
    with duckdb.connect(str(tmp_path / "h.duckdb"), read_only=True) as con:
        purposes = con.execute(
            "SELECT purpose, count(*), count(DISTINCT criterion) FROM model_calls "
            "WHERE run_id = ? GROUP BY purpose ORDER BY purpose",
            [outcome.run_id],
        ).fetchall()
    assert purposes == [("agent", 10, 0), ("judge", 9, 2)]
    report = outcome.report_path.read_text()
    assert "The judge (anthropic:claude-haiku-4-5) made 9 calls" in report
    assert "these are not in the model-call figures above, which are the agent" in report


def test_second_run_answers_the_judge_from_the_cache(
    world: World, judge_server: MessagesApiServer, keyed: None, tmp_path: Path
) -> None:
    write_rubrics(world, "broker_status", "apr")
    path = judged_scenario(world, judge_server)
    first = run(path, tmp_path, "a")
    second = run(path, tmp_path, "b")
    assert judge_server.stats().by_endpoint == {"messages": 9}
    assert _results(tmp_path, first) == _results(tmp_path, second)


@pytest.mark.parametrize("judge_server", [prose_judge], indirect=True)
def test_prose_instead_of_the_schema_is_retried_once_then_an_error(
    world: World, judge_server: MessagesApiServer, keyed: None, tmp_path: Path
) -> None:
    write_rubrics(world, "broker_status", "apr")
    outcome = run(judged_scenario(world, judge_server), tmp_path)
    results = _results(tmp_path, outcome)
    assert {v[0] for k, v in results.items() if k[1] == "broker_status"} == {"error"}
    assert judge_server.stats().by_endpoint == {"messages": 18}  # two attempts each
    assert not outcome.gate.passed
    with duckdb.connect(str(tmp_path / "h.duckdb"), read_only=True) as con:
        error = con.execute(
            "SELECT error FROM results WHERE run_id = ? AND case_id = 'case-001' "
            "AND criterion = 'broker_status'",
            [outcome.run_id],
        ).fetchone()
    assert error == (
        "the judge's answer was unusable after 2 attempts: the answer is not a JSON object: "
        "'I think the agent did a reasonable job of explaining things to the customer.'",
    )


def _fixed_then_good(prompt: ApiPrompt) -> str:
    """Prose first; after the harness names the problem, a valid answer."""
    if len(prompt.messages) == 1:
        return "Presented, I'd say."
    return honest_judge(ApiPrompt(prompt.model, prompt.system, prompt.messages[:1], prompt.seed))


@pytest.mark.parametrize("judge_server", [_fixed_then_good], indirect=True)
def test_an_answer_fixed_on_the_retry_counts(
    world: World, judge_server: MessagesApiServer, keyed: None, tmp_path: Path
) -> None:
    write_rubrics(world, "broker_status", "apr")
    outcome = run(judged_scenario(world, judge_server), tmp_path)
    assert _results(tmp_path, outcome)[("case-001", "broker_status")] == (
        "passed",
        {"judge": "passed", "rules": "passed"},
    )
    assert judge_server.stats().by_endpoint == {"messages": 18}


# ---------------------------------------------------------------- combination policies


@pytest.mark.parametrize("judge_server", [yes_judge], indirect=True)
def test_both_must_pass_needs_the_rules_and_the_judge(
    world: World, judge_server: MessagesApiServer, keyed: None, tmp_path: Path
) -> None:
    write_rubrics(world, "broker_status")
    path = judged_scenario(
        world, judge_server, default_mode="rules", disclosures={"broker_status": {"mode": "both"}}
    )
    results = _results(tmp_path, run(path, tmp_path))
    # The lenient judge says yes everywhere; the rules' failures stand, unasked.
    assert results[("case-003", "broker_status")] == ("failed", {"rules": "failed"})
    assert results[("case-001", "broker_status")] == (
        "passed",
        {"judge": "passed", "rules": "passed"},
    )
    # Scoring asked for cases 1, 2 and 4 only; calibration asks the judge about every case
    # with a golden label (all five here), reusing those three answers.
    assert judge_server.stats().by_endpoint == {"messages": 5}


@pytest.mark.parametrize("judge_server", [yes_judge], indirect=True)
def test_judge_if_unsure_asks_only_where_the_rules_are_unsure(
    judge_server: MessagesApiServer, keyed: None, tmp_path: Path
) -> None:
    hedged = make_case("case-006", ["We are a credit broker, not a lender, I think.", "Ok"])
    world = build_world(tmp_path / "w", cases=[*default_cases(), hedged])
    write_rubrics(world, "broker_status")
    path = judged_scenario(
        world,
        judge_server,
        default_mode="rules",
        disclosures={"broker_status": {"mode": "both", "combine": "judge_if_unsure"}},
    )
    results = _results(tmp_path, run(path, tmp_path))
    # case-006 hedges its broker status: the rules lean pass but are not sure; the judge
    # decides.
    assert results[("case-006", "broker_status")] == (
        "passed",
        {"judge": "passed", "rules": "passed"},
    )
    # case-003 said it after the offer, case-005 never touched it: the rules are sure, the
    # judge is not asked.
    assert results[("case-003", "broker_status")] == ("failed", {"rules": "failed"})
    assert results[("case-005", "broker_status")] == ("failed", {"rules": "failed"})
    with duckdb.connect(str(tmp_path / "h.duckdb"), read_only=True) as con:
        asked = con.execute(
            "SELECT DISTINCT case_id FROM model_calls WHERE purpose = 'judge' AND case_id IN "
            "(SELECT case_id FROM results WHERE verdicts LIKE '%judge%')"
        ).fetchall()
    assert asked == [("case-006",)]  # scoring asked once; calibration asks all labelled cases


# ---------------------------------------------------------------- the kappa floor


@pytest.mark.parametrize("judge_server", [yes_judge], indirect=True)
def test_a_judge_below_its_kappa_floor_refuses_the_gate(
    tmp_path: Path, judge_server: MessagesApiServer, keyed: None
) -> None:
    world = build_world(tmp_path / "world", cases=_labelled_cases())
    write_rubrics(world, "broker_status", "apr")
    settings = {
        "judge": {
            "provider": "anthropic",
            "id": JUDGE_MODEL,
            "options": {"base_url": judge_server.base_url},
            "min_kappa": 0.6,
        }
    }
    path = judged_scenario(world, judge_server, **settings)
    outcome = run(path, tmp_path)
    assert not outcome.gate.passed
    assert outcome.gate.refused[0].startswith(
        "the judge's kappa for 'broker_status' is 0.00 on 4 golden cases, below the floor 0.60"
    )
    assert outcome.gate.headline().startswith("NOT GATED (a failure): refusing to gate:")
    report = outcome.report_path.read_text()
    assert "Refused: the judge&#39;s kappa for &#39;broker_status&#39; is 0.00" in report
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "calibrate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"ANTHROPIC_API_KEY": KEY, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "harness: below the floor: the judge's kappa for 'broker_status' is 0.00" in done.stderr
    assert re.search(r"broker_status\s+judge\s+4\s+50\.0%\s+0\.000", done.stdout)


def _labelled_cases() -> list[Any]:
    from harness.corpus.cases import GoldenLabel
    from tests.world import make_case

    good = "We are a credit broker, not a lender. Representative 9.9% APR."

    def labelled(case_id: str, texts: list[str], presented: bool) -> Any:
        case = make_case(case_id, texts)
        return case.model_copy(
            update={
                "labels": (
                    GoldenLabel(
                        disclosure_id="broker_status", applicable=True, presented=presented
                    ),
                )
            }
        )

    return [
        labelled("g-1", [good, "Thanks"], True),
        labelled("g-2", [good, "Bye"], True),
        labelled("g-3", ["Hello", good], False),
        labelled("g-4", ["Hi", "Sure"], False),
    ]


# ---------------------------------------------------------------- bad input


def test_a_judged_disclosure_without_a_rubric_exits_2_naming_file_field_and_fix(
    world: World, judge_server: MessagesApiServer
) -> None:
    write_rubrics(world, "apr")
    path = judged_scenario(world, judge_server)
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"ANTHROPIC_API_KEY": KEY, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    rubric = world.root / "scenarios" / "disclosures" / "broker_status.rubric.md"
    assert done.returncode == 2
    assert done.stderr == (
        f"harness: error: {path}: field 'scoring.default_mode' asks the judge to score "
        f"'broker_status', but it has no rubric: {rubric} not found; write the rubric in "
        f"{rubric} (what counts as presenting 'broker_status' and what does not; see "
        "docs/scoring.md), or score it with mode: rules\n"
    )
    assert judge_server.stats().requests == 0


def test_a_judged_mode_without_a_judge_model_is_a_config_error(world: World) -> None:
    path = world.write_scenario(scorers=["disclosures"], scoring={"default_mode": "both"})
    with pytest.raises(Exception, match=r"field 'scoring.judge' is required: 'broker_status'"):
        load_plan(path)


# ---------------------------------------------------------------- the answer's schema


TRANSCRIPT = Transcript(
    (
        Turn(role="customer", text="Hi"),
        Turn(role="agent", text="We are a credit broker, not a lender."),
    )
)


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("Looks fine to me.", "the answer is not a JSON object: 'Looks fine to me.'"),
        ('{"verdict": "presented", "turn": 1', "the answer is not a JSON object"),
        (
            '{"verdict": "yes", "reasoning": "ok"}',
            "the answer does not follow the schema (verdict: Input should be 'presented' or "
            "'not_presented')",
        ),
        (
            '{"verdict": "presented", "turn": 1, "cited_span": "x", "reasoning": "ok", "extra": 1}',
            "the answer does not follow the schema (extra: Extra inputs are not permitted)",
        ),
        (
            '{"verdict": "presented", "turn": 1, "cited_span": "", "reasoning": "ok"}',
            "a 'presented' verdict must quote the agent's words in cited_span",
        ),
        (
            '{"verdict": "presented", "turn": 1, "cited_span": "we are the lender", '
            '"reasoning": "ok"}',
            "cited_span 'we are the lender' is not in agent turn 1",
        ),
        (
            '{"verdict": "presented", "turn": 0, "cited_span": "Hi", "reasoning": "ok"}',
            "turn 0 is not an agent turn of this chat",
        ),
    ],
)
def test_unusable_answers_are_named(answer: str, problem: str) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(answer, TRANSCRIPT)
    assert str(caught.value).startswith(problem)


def test_a_fenced_answer_with_an_exact_quote_is_accepted() -> None:
    answer = parse_answer(
        '```json\n{"verdict": "presented", "turn": 1, "cited_span": "credit broker, not a '
        'lender", "reasoning": "Said plainly."}\n```',
        TRANSCRIPT,
    )
    assert answer.model_dump() == {
        "verdict": "presented",
        "turn": 1,
        "cited_span": "credit broker, not a lender",
        "reasoning": "Said plainly.",
    }


@pytest.mark.parametrize(
    ("scoring", "message"),
    [
        (
            {"defalt_mode": "judge"},
            "unknown key 'scoring.defalt_mode' (did you mean 'default_mode'?); allowed keys: "
            "default_mode, disclosures, judge, ragas",
        ),
        (
            {"disclosures": {"broker_statu": {"mode": "rules"}}},
            "field 'scoring.disclosures.broker_statu': 'broker_statu' is not a disclosure in force "
            "(did you mean 'broker_status'?); disclosures: broker_status, apr",
        ),
        (
            {"disclosures": {"apr": {"mode": "rules", "combine": "judge_if_unsure"}}},
            "field 'scoring.disclosures.apr': Value error, 'combine' applies only to mode 'both', "
            "but mode is 'rules'; remove 'combine' or set mode: both",
        ),
        (
            {"default_mode": "jury"},
            "field 'scoring.default_mode': Input should be 'rules', 'judge' or 'both' (got 'jury')",
        ),
    ],
)
def test_scoring_settings_errors_name_file_and_field(
    world: World, scoring: dict[str, Any], message: str
) -> None:
    path = world.write_scenario(scorers=["disclosures"], scoring=scoring)
    with pytest.raises(Exception) as caught:
        load_plan(path)
    assert str(caught.value) == f"{path}: {message}"


def test_the_judge_reads_a_multi_line_markdown_turn_whole(
    world: World, keyed: None, tmp_path: Path
) -> None:
    """Both key facts sit on later lines of one markdown turn; the judge is shown the turn whole
    (before, the prompt held one line per turn and cut this one at 'Two things first:')."""
    turn = (
        "Two things first:\n\n- **Who we are:** we are a credit broker, not a lender.\n"
        "- The rate: representative 9.9% APR <see below> & more.\n"
    )
    write_cases(world.root / "corpus" / "cases.parquet", [make_case("case-md", [turn, "Bye"])])
    write_rubrics(world, "broker_status", "apr")
    shown: list[ApiPrompt] = []

    def recording_judge(prompt: ApiPrompt) -> str:
        shown.append(prompt)
        return honest_judge(prompt)

    with MessagesApiServer(api_key=KEY, responder=recording_judge) as server:
        outcome = run(judged_scenario(world, server), tmp_path)
    results = _results(tmp_path, outcome)
    assert results[("case-md", "broker_status")][0] == "passed"
    assert results[("case-md", "apr")][0] == "passed"
    chat = shown[0].messages[0].content
    assert '<turn n="1" role="agent">Two things first:\n\n- **Who we are:**' in chat
    assert "- The rate: representative 9.9% APR &lt;see below&gt; &amp; more.\n</turn>" in chat
