"""The rules echo judge: a TEST DOUBLE for the LLM judge that answers with the rules' verdict.

It is a :data:`~harness.testing.Responder` for the local Messages-API server: it reads the
disclosure, the case's figures and the tagged turns back from the judge's prompt (whole,
multi-line and markdown turns included), scores them with the deterministic rules and
answers in the judge's JSON schema, quoting the sentence where the first key fact was said.
So the whole judge path (anthropic SDK, HTTP, runner, cache, cost, calibration, kappa floor)
runs with no key and no network::

    with MessagesApiServer(responder=rules_echo_judge(Path("scenarios/disclosures"))) as server:
        ...  # point scoring.judge.options.base_url (or ANTHROPIC_BASE_URL) at server.base_url

It is not a model and judges nothing the rules do not: it agrees with the rules by
construction, so a calibration against it measures the plumbing, never a judge. Every
answer's reasoning starts with :data:`~harness.scoring.judge.ECHO_MARK`, so the report and
the calibration table can say so. A real judge is calibrated on people's labels with
``harness calibrate``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config.disclosures import load_registry
from harness.corpus.cases import Case, FactValue, Turn
from harness.replay.conversation import Transcript
from harness.scoring.disclosure_rules import score_disclosure
from harness.scoring.judge import ECHO_MARK

if TYPE_CHECKING:
    from harness.testing.api_formats import ApiPrompt

_DISCLOSURE = re.compile(r"\((?P<id>[a-z][a-z0-9_]*)\), version (?P<version>\d+) in force")
_FIGURES = re.compile(r"Figures stated must be this case's own: (?P<figures>.*)\.\n")
_TURN = re.compile(
    r'<turn n="(?P<index>\d+)" role="(?P<role>customer|agent|event)">(?P<text>.*?)</turn>', re.S
)


def rules_echo_judge(disclosure_folder: Path) -> Callable[[ApiPrompt], str]:
    """A responder answering the judge's prompt with the rules of ``disclosure_folder``."""
    registry = load_registry(disclosure_folder)

    def respond(prompt: ApiPrompt) -> str:
        found = _DISCLOSURE.search(prompt.system)
        if found is None:
            return "This does not look like a judge's prompt."
        pinned = registry.pin(found["id"], int(found["version"]))
        figures = _FIGURES.search(prompt.system)
        facts: dict[str, FactValue] = {}
        if figures is not None:
            for pair in figures["figures"].split(", "):
                name, _, value = pair.partition(" = ")
                facts[name] = value
        turns = tuple(
            Turn(role="event", event=html.unescape(m["text"]))
            if m["role"] == "event"
            else Turn(role=m["role"], text=html.unescape(m["text"]))
            for m in _TURN.finditer(prompt.messages[0].content)
        )
        case = Case(case_id="judged", source="judge", facts=facts, turns=turns)
        score = score_disclosure(pinned, case, Transcript(turns))
        answer: dict[str, Any] = {"verdict": "not_presented", "turn": None, "cited_span": ""}
        facts_found = [f for f in score.evidence.get("facts", []) if not f.get("late")]
        if facts_found:
            answer.update(turn=facts_found[0]["turn"], cited_span=facts_found[0]["quote"])
        if score.status == "passed":
            answer["verdict"] = "presented"
            reasoning = "every key fact was said in time and nothing contradicts it."
        else:
            reasoning = str(score.evidence.get("reason") or "not presented in time.")
        answer["reasoning"] = ECHO_MARK + reasoning
        return json.dumps(answer)

    return respond
