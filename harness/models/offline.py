"""The ``offline`` provider: a deterministic reference broker agent that needs no key.

It answers from the rendered system prompt and the conversation only (never from
``request.case``): it reads the disclosures, their wording and their moments out of the
prompt (:mod:`harness.models.offline_brief`), reads each customer message for intent, hurry
and events (:mod:`harness.models.offline_cues`), and says each disclosure when the
conversation reaches its moment. Like a real agent it is imperfect, reproducibly: with the
options' rates it varies the wording in accepted ways and, rarely, forgets a disclosure or
its last sentence. The same prompt, messages and seed always give the same answer.

>>> prompt = '''## Required disclosures
... ### Broker status [broker_status v2]
... When: in your first reply (deadline: event `eligibility_check`).
... Wording: We're a credit broker, not a lender.
... '''
>>> options = OfflineOptions(paraphrase_rate=0.0)
>>> reply = answer(read_brief(prompt), ["Hi, can I get finance?"], seed=7, options=options)
>>> "We're a credit broker, not a lender." in reply
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from harness.models.base import Completion, CompletionRequest, ModelAdapter, Usage
from harness.models.offline_brief import AgentBrief, DisclosureInstruction, read_brief
from harness.models.offline_cues import (
    EVENT_ORDER,
    MessageCues,
    event_stage,
    intent_stage,
    read_message,
)
from harness.models.offline_paraphrase import paraphrase, truncate

_CHARS_PER_TOKEN = 4  # a rough English average; the offline agent has no tokenizer


class OfflineOptions(BaseModel):
    """Options of the offline agent (all rates are per disclosure said).

    ``paraphrase_rate``: how often the wording is varied (still conveying every fact).
    ``omission_rate``: how often a due disclosure is forgotten, wholly or its last sentence.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    paraphrase_rate: float = Field(default=0.3, ge=0.0, le=1.0)
    omission_rate: float = Field(default=0.02, ge=0.0, le=0.5)


class OfflineModel(ModelAdapter):
    """The reference broker agent; see the module docstring."""

    provider = "offline"
    Options: ClassVar[type[BaseModel]] = OfflineOptions

    async def complete(self, request: CompletionRequest) -> Completion:
        options = self.options
        if not isinstance(options, OfflineOptions):  # the base class accepts any options model
            options = OfflineOptions.model_validate(options.model_dump())
        brief = read_brief(request.system)
        user_messages = [m.content for m in request.messages if m.role == "user"]
        text = answer(brief, user_messages, request.seed, options)
        prompt_chars = len(request.system) + sum(len(m.content) for m in request.messages)
        usage = Usage(
            input_tokens=prompt_chars // _CHARS_PER_TOKEN + 1,
            output_tokens=len(text) // _CHARS_PER_TOKEN + 1,
        )
        return Completion(text=text, model=self.model_id, usage=usage)


@dataclass
class _Memory:
    """What the agent remembers having done; rebuilt from the user messages on every call."""

    handled: set[str] = field(default_factory=set)  # said, half-said or forgotten
    asked: set[str] = field(default_factory=set)  # disclosures the customer asked about
    hurried: bool = False
    event_stage: int = -1  # the furthest step whose event has happened


def answer(brief: AgentBrief, user_messages: list[str], seed: int, options: OfflineOptions) -> str:
    """The reply to the last of ``user_messages``.

    Earlier replies are re-derived rather than read from the assistant messages, so the
    agent's memory is its own even when a replay shows it someone else's earlier turns.
    Each reply draws from ``random.Random`` seeded by the seed and its position only.
    """
    memory = _Memory()
    reply = ""
    for position, content in enumerate(user_messages):
        rng = random.Random(f"{seed}:{position}")
        reply = _reply(brief, memory, read_message(content), position, rng, options)
    return reply


def _reply(
    brief: AgentBrief,
    memory: _Memory,
    cues: MessageCues,
    position: int,
    rng: random.Random,
    options: OfflineOptions,
) -> str:
    memory.hurried = memory.hurried or cues.hurried
    for event in cues.events:
        if event in EVENT_ORDER:
            memory.event_stage = max(memory.event_stage, event_stage(event))
    lowered = cues.text.lower()
    memory.asked.update(d.id for d in brief.disclosures if d.named_in(lowered))
    if cues.intent is not None and 0 <= intent_stage(cues.intent) <= memory.event_stage:
        cues = replace(cues, intent=None)  # "it says I'm eligible": that step is done
    # Where the conversation is heading: what the customer asks for or, once under way, the
    # step after the last event, unless the customer is stepping back.
    reached = cues.stage
    if cues.intent != "decline" and memory.event_stage >= 0:
        reached = max(reached, memory.event_stage + 1)
    short = memory.hurried and brief.short_when_hurried
    due: list[DisclosureInstruction] = []
    for d in brief.disclosures:
        if d.id in memory.handled:
            continue
        if d.moment == "trigger":
            if cues.mentions(d.triggers):
                due.insert(0, d)  # acknowledge what the customer shared before anything else
        elif d.moment in ("opening", "any"):
            if position == 0 or event_stage(d.before_event) <= reached:
                due.append(d)
        elif event_stage(d.before_event) <= reached:
            if memory.hurried and d.id in brief.skip_when_hurried and d.id not in memory.asked:
                continue  # skipped on instruction; said later if the customer asks about it
            due.append(d)
    due.sort(key=_speaking_order)
    parts = [_opening_line(brief, cues, memory, position, short, bool(due))]
    lead_ins: set[str] = set()
    for d in due:
        memory.handled.add(d.id)
        parts.append(_say(d.wording, rng, options, lead_ins))
    parts.append(_next_step(brief, cues, memory, reached))
    return " ".join(p for p in parts if p)


def _speaking_order(d: DisclosureInstruction) -> tuple[bool, bool, int]:
    # What the customer shared first, then the opening statements, then in step order.
    return (d.moment != "trigger", d.moment != "opening", event_stage(d.before_event))


def _say(wording: str, rng: random.Random, options: OfflineOptions, lead_ins: set[str]) -> str:
    """The wording as this reply says it: usually as approved, sometimes varied, rarely not."""
    if rng.random() < options.omission_rate:
        return truncate(wording) if rng.random() < 0.5 else ""
    if rng.random() < options.paraphrase_rate:
        return paraphrase(wording, rng, avoid=lead_ins)
    return wording


def _opening_line(
    brief: AgentBrief,
    cues: MessageCues,
    memory: _Memory,
    position: int,
    short: bool,
    saying_more: bool,
) -> str:
    name = brief.detail("Customer's first name", "there")
    lender = brief.detail("Lender quoting", "the lender")
    if position == 0:
        if short:
            return f"Hi {name}, I'll keep this quick."
        product = brief.detail("Product", "home energy upgrade")
        return f"Hi {name}, thanks for getting in touch about finance for your {product}."
    if cues.intent == "decline":
        return (
            f"That's absolutely fine, {name}. There's no obligation, and you're welcome to "
            "pick this up again whenever you like."
        )
    if memory.event_stage >= event_stage("agreement_signed"):
        return f"You're all set, {name}. Thank you for choosing Brightwell Home Finance."
    if memory.event_stage == event_stage("application_submitted") and cues.intent != "apply":
        return (
            f"{lender} will email you the credit agreement to read and sign online. Please "
            "read it carefully before you sign, and ask me anything you're unsure about."
        )
    if cues.intent == "eligibility":
        return "Of course." if short else "Of course, I can check that for you now."
    if cues.intent == "apply":
        return "Great." if short else "Great, I can get your application started."
    if cues.intent == "cost" or "eligibility_check" in cues.events:
        if not saying_more:
            return "The figures I gave you earlier still apply."
        return "Here are the figures." if short else f"Here are the figures from {lender}."
    return f"Thanks, {name}."


def _next_step(
    brief: AgentBrief,
    cues: MessageCues,
    memory: _Memory,
    reached: int,
) -> str:
    lender = brief.detail("Lender quoting", "the lender")
    if cues.intent == "decline" or memory.event_stage >= event_stage("application_submitted"):
        return ""
    if cues.intent == "eligibility":
        return "I'll run the eligibility check now."
    if cues.intent == "apply":
        return f"I'll submit your application to {lender} now."
    if reached >= event_stage("offer_presented"):
        return "Would you like to go ahead and apply?"
    if memory.event_stage < 0 and reached < 0:
        return "Would you like me to check whether you're likely to be accepted?"
    return "Is there anything else you'd like to know?"
