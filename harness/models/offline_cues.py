"""The offline agent's reading of a customer message: events, intent and hurry.

A replayed user message holds the customer's words and any system events since the last
reply, as ``[event: name]`` lines. The agent cannot see events still to come, so it infers
the step the conversation is heading for from what the customer asks: "can you check if I
qualify?" heads for ``eligibility_check``, "what would I pay a month?" for
``offer_presented``, "let's apply" for ``application_submitted``.

>>> cues = read_message("[event: eligibility_check]\\nGreat. How much would it be a month?")
>>> cues.events, cues.intent, cues.stage
(('eligibility_check',), 'cost', 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from harness.config.phrases import normalise
from harness.models.base import CONVERSATION_START

# The steps of a point-of-sale finance conversation, in the order they happen.
EVENT_ORDER = ("eligibility_check", "offer_presented", "application_submitted", "agreement_signed")


Intent = Literal["decline", "eligibility", "apply", "cost", "thanks"]

# Checked in this order: the first intent found names the reply's opening line. Declining
# comes first because "no thanks, too expensive" mentions cost but ends the conversation.
_INTENT_CUES: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    (
        "decline",
        (
            "no thanks",
            "no thank you",
            "not for me",
            "pay for it outright",
            "pay outright",
            "pay cash",
            "pay upfront",
            "rather not",
            "have a think",
            "think about it",
            "think it over",
            "talk it over",
            "leave it",
            "not today",
            "i'll pass",
            "pause",
            "come back to",
            "hold off",
        ),
    ),
    (
        "eligibility",
        (
            "eligib",
            "qualify",
            "check whether",
            "check if",
            "see if i",
            "credit check",
            "run the check",
            "do the check",
            "be accepted",
            "get accepted",
        ),
    ),
    ("apply", ("apply", "let's do it", "go ahead with it", "sign me up", "proceed", "go for it")),
    (
        "cost",
        (
            "how much",
            "monthly",
            "a month",
            "per month",
            "each month",
            "cost",
            "price",
            "payments",
            "figures",
            "interest rate",
            "apr",
            "afford",
        ),
    ),
    ("thanks", ("thank", "cheers", "all signed", "all done")),
)
# The step each intent heads for (an index into EVENT_ORDER).
_INTENT_STAGE: dict[Intent, int] = {"eligibility": 0, "cost": 1, "apply": 2}

_HURRY_CUES = (
    "hurry",
    "rush",
    "short on time",
    "quickly",
    "be quick",
    "pushed for time",
    "don't have long",
    "not much time",
    "only got a few minutes",
)
_EVENT_LINE = re.compile(r"^\[event: (?P<event>[^\]]+)\]$")


@dataclass(frozen=True, slots=True)
class MessageCues:
    """What one user message tells the agent."""

    text: str
    events: tuple[str, ...]
    starts: bool
    intent: Intent | None
    stage: int
    hurried: bool

    def mentions(self, phrases: tuple[str, ...]) -> bool:
        """Whether the customer's words contain any of ``phrases`` (normalised)."""
        norm = normalise(self.text)
        return any(normalise(p) in norm for p in phrases if p.strip())


def read_message(content: str) -> MessageCues:
    """Split a user message into the customer's words and events, and read the intent.

    ``stage`` is the furthest step the customer's words head for (-1 for none); a message
    that declines heads nowhere, whatever else it mentions.
    """
    events: list[str] = []
    words: list[str] = []
    starts = False
    for line in content.splitlines():
        stripped = line.strip()
        if match := _EVENT_LINE.match(stripped):
            events.append(match["event"].strip())
        elif stripped == CONVERSATION_START:
            starts = True
        elif stripped:
            words.append(stripped)
    text = " ".join(words)
    norm = normalise(text)
    found = [intent for intent, cues in _INTENT_CUES if _says_any(norm, cues)]
    intent = found[0] if found else None
    stages = [_INTENT_STAGE.get(i, -1) for i in found]
    stage = -1 if intent == "decline" else max(stages, default=-1)
    hurried = _says_any(norm, _HURRY_CUES)
    return MessageCues(text, tuple(events), starts, intent, stage, hurried)


def _says_any(norm: str, cues: tuple[str, ...]) -> bool:
    """Whether a cue starts a word of ``norm``: "cost" in "costs", not in "accost"."""
    return any(re.search(rf"(?<!\w){re.escape(cue)}", norm) for cue in cues)


def intent_stage(intent: Intent) -> int:
    """The step ``intent`` heads for (an index into :data:`EVENT_ORDER`), -1 for none."""
    return _INTENT_STAGE.get(intent, -1)


def event_stage(event: str | None) -> int:
    """The position of ``event`` in :data:`EVENT_ORDER`; 0 for an unknown or missing event,
    so a disclosure due before an event the agent does not know is said at once."""
    if event is None or event not in EVENT_ORDER:
        return 0
    return EVENT_ORDER.index(event)
