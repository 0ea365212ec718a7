"""The LLM judge: a model reads the transcript and the disclosure's rubric and says whether it
was presented, quoting the agent's words.

The judge's calls go through its own :class:`~harness.replay.calls.CallRunner` (retries, response
cache, cost), built by the plan from the scenario's ``scoring.judge`` and logged with
``purpose = "judge"``, so they are counted apart from the agent's.

Its answer must be one JSON object that validates as :class:`JudgeAnswer`, and a
``presented`` verdict must quote words that really are in the cited agent turn. An answer
that is not (prose, broken JSON, missing keys, an invented quote) is sent back once with
the problem named; if the second answer is no better the verdict is ``error``, which the gate
counts as a failure. Nothing the judge says passes by default.

>>> score = await judge_disclosure(pinned, rubric, case, transcript, calls, settings,
...                                window=window)  # doctest: +SKIP
>>> score.evidence["judge"]["cited_span"]  # doctest: +SKIP
'the lender pays us a commission'
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.config.disclosures import PinnedDisclosure, fill, placeholders
from harness.config.phrases import find_phrase
from harness.config.scoring import JudgeSettings
from harness.corpus.cases import Case
from harness.errors import ProviderError
from harness.models.base import CompletionRequest, Message
from harness.replay.calls import ModelCall
from harness.replay.conversation import Transcript
from harness.scoring.base import Score, ScoringCalls
from harness.scoring.rubrics import Rubric
from harness.scoring.statements import excerpt

JUDGE = "judge"
#: How the rules echo test double (:mod:`harness.testing.echo_judge`) starts every reasoning, so
#: that a calibration or a report built on it can say it measured no judge.
ECHO_MARK = "Rules echo (a test double, not a model): "
JUDGE_TURN_INDEX = -1  # judge calls answer no agent turn
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


class JudgeAnswer(BaseModel):
    """The structured answer the judge must give."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    verdict: Literal["presented", "not_presented"]
    turn: int | None = Field(default=None, description="the agent turn quoted, counted from 0")
    cited_span: str = Field(default="", max_length=2000, description="words copied exactly")
    reasoning: str = Field(min_length=1, max_length=4000)


class InvalidAnswer(ValueError):
    """The judge's answer does not follow the schema or quotes words the agent never said."""


def build_prompt(
    pinned: PinnedDisclosure, rubric: Rubric, case: Case, transcript: Transcript, window: str
) -> tuple[str, str]:
    """The judge's system prompt and user message for one disclosure on one transcript."""
    version = pinned.current
    where = f"case {case.case_id}: disclosure {pinned.id} v{version.version}"
    facts_lines = []
    figures: dict[str, str] = {}
    for kf in version.key_facts:
        example = fill(kf.phrases[0], case.facts, where=where)
        facts_lines.append(f'- {kf.id}: {kf.description} (for example: "{example}")')
        for phrase in kf.phrases:
            for name in placeholders(phrase):
                figures[name] = fill("{" + name + "}", case.facts, where=where)
    figure_text = (
        "Figures stated must be this case's own: "
        + ", ".join(f"{k} = {v}" for k, v in sorted(figures.items()))
        + ".\n"
        if figures
        else ""
    )
    contradictions = (
        "Phrases that contradict it (a pass is impossible if the agent says one): "
        + "; ".join(f'"{c}"' for c in version.contradictions)
        + "\n"
        if version.contradictions
        else ""
    )
    schema = json.dumps(JudgeAnswer.model_json_schema(), sort_keys=True)
    system = (
        "You are a compliance reviewer. You check whether ONE disclosure was presented to "
        "the customer in ONE recorded chat between our agent and a customer, and you answer "
        "with a single JSON object and nothing else.\n\n"
        f"Disclosure: {pinned.title} ({pinned.id}), version {version.version} in force.\n"
        f'Approved wording: "{fill(version.wording.strip(), case.facts, where=where)}"\n'
        "Key facts the customer must be told, every one of them, in the approved wording or "
        "the agent's own words:\n" + "\n".join(facts_lines) + "\n"
        f"{figure_text}"
        f"Deadline: only agent turns {window} count.\n"
        f"{contradictions}\n"
        f"Rubric from compliance:\n{rubric.text}\n\n"
        'Answer "presented" only if every key fact was said in time, with the right '
        "figures, not negated, and not contradicted later. Otherwise answer "
        '"not_presented". In "turn" give the agent turn you quote (its number), and in '
        '"cited_span" copy the agent\'s words exactly (required for "presented"). '
        '"reasoning" is one to three plain sentences.\n'
        f"The JSON object must follow this JSON Schema: {schema}"
    )
    user = (
        "The chat, one <turn> element per turn, numbered from 0, each turn's text whole "
        "(line breaks and markdown as written; <, > and & escaped):\n" + chat_text(transcript)
    )
    return system, user


def chat_text(transcript: Transcript) -> str:
    """The chat as the judge reads it: every turn whole, tagged with its number and role.

    A multi-line or markdown turn stays one turn; its text is escaped so that nothing in it
    can close the tag or pose as another turn.

    >>> from harness.corpus.cases import Turn
    >>> print(chat_text(Transcript((Turn(role="customer", text="Hi <b>"),
    ...                             Turn(role="agent", text="Two things:\\n- a\\n- b")))))
    <turn n="0" role="customer">Hi &lt;b&gt;</turn>
    <turn n="1" role="agent">Two things:
    - a
    - b</turn>
    """
    lines = []
    for index, turn in enumerate(transcript.turns):
        body = turn.event if turn.role == "event" else turn.text
        text = html.escape(body or "", quote=False)
        lines.append(f'<turn n="{index}" role="{turn.role}">{text}</turn>')
    return "\n".join(lines)


def parse_answer(text: str, transcript: Transcript) -> JudgeAnswer:
    """The judge's answer as a :class:`JudgeAnswer`; raise :class:`InvalidAnswer` otherwise."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise InvalidAnswer(f"the answer is not a JSON object: {excerpt(text)!r}")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"the answer is not valid JSON ({exc.msg} at char {exc.pos})") from None
    try:
        answer = JudgeAnswer.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidAnswer(f"the answer does not follow the schema ({problems})") from None
    if "&" in answer.cited_span:  # the judge may copy the escaped form it was shown
        answer = answer.model_copy(update={"cited_span": html.unescape(answer.cited_span)})
    if answer.verdict == "presented" and not answer.cited_span.strip():
        raise InvalidAnswer("a 'presented' verdict must quote the agent's words in cited_span")
    if answer.cited_span.strip():
        _check_quote(answer, transcript)
    return answer


def _check_quote(answer: JudgeAnswer, transcript: Transcript) -> None:
    agent = dict(transcript.agent_turns())
    if answer.turn is not None and answer.turn not in agent:
        raise InvalidAnswer(f"turn {answer.turn} is not an agent turn of this chat")
    candidates = [answer.turn] if answer.turn is not None else list(agent)
    for index in candidates:
        assert index is not None
        if find_phrase(agent[index], [answer.cited_span], fuzzy_threshold=90) is not None:
            return
    where = f"agent turn {answer.turn}" if answer.turn is not None else "any agent turn"
    raise InvalidAnswer(f"cited_span {excerpt(answer.cited_span)!r} is not in {where}")


async def judge_disclosure(
    pinned: PinnedDisclosure,
    rubric: Rubric,
    case: Case,
    transcript: Transcript,
    calls: ScoringCalls,
    settings: JudgeSettings,
    *,
    window: str,
) -> Score:
    """The judge's verdict on one applicable disclosure: ``passed``, ``failed`` or ``error``."""
    version = pinned.current.version
    if calls.runner is None:  # the plan builds a runner whenever a scorer needs the judge
        raise AssertionError("judge_disclosure called without the judge's runner")
    system, user = build_prompt(pinned, rubric, case, transcript, window)
    memo_key = hashlib.sha256(f"{system}\0{user}".encode()).hexdigest()
    if memo_key in calls.memo:  # the same question in this case (e.g. calibration): asked once
        found: Score = calls.memo[memo_key]
        return found
    messages = [Message("user", user)]
    problem = ""
    raw = ""
    for attempt in range(1, settings.max_attempts + 1):
        request = CompletionRequest(
            system,
            tuple(messages),
            judge_seed(calls.seed, pinned.id, attempt),
            case,
            JUDGE_TURN_INDEX,
        )
        log: list[ModelCall] = []
        try:
            completion = await calls.runner.complete(
                request, log=log, case_id=case.case_id, repeat=calls.repeat
            )
        except ProviderError as exc:
            score = _error(pinned, f"the judge's model call failed ({exc.kind}): {exc}", attempt)
            calls.memo[memo_key] = score
            return score
        finally:
            calls.log.extend(replace(c, purpose=JUDGE, criterion=pinned.id) for c in log)
            log.clear()
        raw = completion.text
        try:
            answer = parse_answer(raw, transcript)
        except InvalidAnswer as exc:
            problem = str(exc)
            messages += [
                Message("assistant", raw or "(empty)"),
                Message(
                    "user",
                    f"That answer cannot be used: {problem}. Answer again with only the JSON "
                    "object, quoting the agent's words exactly.",
                ),
            ]
            continue
        status: Literal["passed", "failed"] = (
            "passed" if answer.verdict == "presented" else "failed"
        )
        evidence: dict[str, Any] = {
            "judge": {
                **answer.model_dump(),
                "model": settings.label,
                "rubric_sha256": rubric.sha256,
                "attempts": attempt,
            },
            "deadline": window,
            "reason": f"judge: {answer.verdict.replace('_', ' ')}: {answer.reasoning}",
        }
        score = Score(
            pinned.id,
            status,
            score=1.0 if status == "passed" else 0.0,
            evidence=evidence,
            criterion_version=version,
            verdicts={JUDGE: status},
        )
        calls.memo[memo_key] = score
        return score
    score = _error(
        pinned,
        f"the judge's answer was unusable after {settings.max_attempts} attempts: {problem}",
        settings.max_attempts,
        raw=raw,
    )
    calls.memo[memo_key] = score
    return score


def is_echo(score: Score) -> bool:
    """Whether a judge's verdict came from the rules echo test double, not a model."""
    reasoning = (score.evidence.get("judge") or {}).get("reasoning")
    return isinstance(reasoning, str) and reasoning.startswith(ECHO_MARK)


def _error(pinned: PinnedDisclosure, message: str, attempts: int, *, raw: str = "") -> Score:
    evidence: dict[str, Any] = {"judge": {"attempts": attempts}}
    if raw:
        evidence["judge"]["last_answer"] = excerpt(raw, 500)
    return Score(
        pinned.id,
        "error",
        error=message,
        evidence=evidence,
        criterion_version=pinned.current.version,
        verdicts={JUDGE: "error"},
    )


def judge_seed(case_seed: int, criterion: str, attempt: int) -> int:
    """The seed of the judge's ``attempt`` on ``criterion`` in a case seeded ``case_seed``."""
    key = f"judge:{case_seed}:{criterion}:{attempt}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") >> 1
