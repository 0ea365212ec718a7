"""The offline agent's brief: what a rendered system prompt tells the agent to do.

The offline reference agent may look at nothing but the prompt and the conversation, so it
reads its instructions back out of the prompt text: one ``### Title [id vN]`` block per
disclosure with a ``When:`` and a ``Wording:`` line, the ``Key: value`` lines of the
``## This conversation`` section, and the ``- `` bullets of the other sections.

>>> brief = read_brief('''## This conversation
... Customer's first name: Priya
... ## How to talk
... - If the customer says they are in a hurry, keep your replies short and skip the
...   commission explanation unless they ask about commission.
... ## Required disclosures
... ### Commission [commission v2]
... When: when you first give figures (deadline: event `offer_presented`).
... Wording: We're paid a commission by the lender.
... ''')
>>> brief.disclosures[0].before_event, brief.skip_when_hurried
('offer_presented', ('commission',))
>>> brief.detail("Customer's first name")
'Priya'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

_HEADING = re.compile(r"^### (?P<title>.+?) \[(?P<id>[a-z][a-z0-9_]*) v(?P<version>\d+)\]\s*$")
_SECTION = re.compile(r"^## (?P<name>.+?)\s*$")
_DEADLINE = re.compile(r"deadline: event `(?P<event>[^`]+)`")
_QUOTED = re.compile(r'"([^"]+)"')
_DETAIL = re.compile(r"^(?P<key>[^:]{1,40}): (?P<value>.+)$")

Moment = Literal["opening", "stage", "trigger", "any"]


@dataclass(frozen=True, slots=True)
class DisclosureInstruction:
    """One disclosure the prompt asks for: its wording and the moment to say it.

    ``moment`` is ``opening`` (first reply), ``stage`` (before ``before_event``),
    ``trigger`` (the reply after the customer says one of ``triggers``) or ``any``.
    """

    id: str
    title: str
    version: int
    wording: str
    moment: Moment
    before_event: str | None = None
    triggers: tuple[str, ...] = ()

    def named_in(self, text: str) -> bool:
        """Whether ``text`` (lower case) names this disclosure by title or id."""
        return self.title.lower() in text or self.id.replace("_", " ") in text


@dataclass(frozen=True, slots=True)
class AgentBrief:
    """Everything the offline agent takes from the system prompt."""

    disclosures: tuple[DisclosureInstruction, ...]
    details: dict[str, str] = field(default_factory=dict)
    skip_when_hurried: tuple[str, ...] = ()
    short_when_hurried: bool = False

    def detail(self, key: str, default: str = "") -> str:
        return self.details.get(key, default)


def read_brief(system: str) -> AgentBrief:
    """Parse a rendered system prompt; text the reader does not recognise is ignored."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] | None = None  # the disclosure block being read, if any
    details: dict[str, str] = {}
    bullets: list[str] = []
    section = ""
    for raw in system.splitlines():
        line = raw.rstrip()
        if heading := _HEADING.match(line):
            current = dict(heading.groupdict())
            blocks.append(current)
        elif section_match := _SECTION.match(line):
            section, current = section_match["name"].lower(), None
        elif current is not None and line.startswith(("When: ", "Wording: ")):
            key, _, value = line.partition(": ")
            current[key.lower()] = value.strip()
        elif line.startswith("- "):
            bullets.append(line[2:].strip())
        elif bullets and raw[:1].isspace() and line.strip():
            bullets[-1] += " " + line.strip()  # a bullet continued on the next line
        elif section == "this conversation" and (detail := _DETAIL.match(line)):
            details[detail["key"].strip()] = detail["value"].strip()
    instructions = tuple(_instruction(b) for b in blocks if b.get("wording"))
    hurry_rules = [b.lower() for b in bullets if "hurry" in b.lower()]
    skipped = tuple(
        d.id for d in instructions if any("skip" in r and d.named_in(r) for r in hurry_rules)
    )
    short = any("short" in r for r in hurry_rules)
    return AgentBrief(instructions, details, skipped, short)


def _instruction(block: dict[str, str]) -> DisclosureInstruction:
    when = block.get("when", "")
    deadline = _DEADLINE.search(when)
    before_event = deadline["event"] if deadline else None
    moment: Moment
    triggers: tuple[str, ...] = ()
    if "mentions" in when:
        moment, triggers = "trigger", tuple(t.lower() for t in _QUOTED.findall(when))
    elif "first reply" in when:
        moment = "opening"
    elif before_event:
        moment = "stage"
    else:
        moment = "any"
    return DisclosureInstruction(
        id=block["id"],
        title=block["title"],
        version=int(block["version"]),
        wording=block["wording"],
        moment=moment,
        before_event=before_event,
        triggers=triggers,
    )
