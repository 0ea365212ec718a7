"""A small, real replay world for tests: disclosure files, a prompt, a Parquet corpus, a scenario.

Everything is written to disk in the formats users write, so tests exercise the real loaders.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.corpus.cases import Case, GoldenLabel, Turn
from harness.corpus.files import write_cases

BROKER_STATUS = {
    "id": "broker_status",
    "title": "Broker status",
    "purpose": "The customer knows we are a credit broker, not a lender.",
    "versions": [
        {
            "version": 1,
            "status": "approved",
            "approved_by": "A. Compliance",
            "approved_on": "2026-01-10",
            "wording": "We are a credit broker, not a lender.",
            "key_facts": [
                {
                    "id": "is_broker",
                    "description": "we are a broker",
                    "phrases": ["we are a credit broker", "we're a credit broker"],
                },
                {
                    "id": "not_lender",
                    "description": "we are not the lender",
                    "phrases": ["not a lender", "not the lender"],
                },
            ],
            "contradictions": ["we are the lender", "we lend you the money"],
            "deadline": {"before_event": "offer_presented"},
        }
    ],
}

REPRESENTATIVE_APR = {
    "id": "apr",
    "title": "APR",
    "purpose": "The representative APR for the offer.",
    "versions": [
        {
            "version": 1,
            "status": "superseded",
            "approved_by": "A. Compliance",
            "wording": "The APR is {apr}%.",
            "key_facts": [{"id": "apr", "description": "the APR", "phrases": ["{apr}% apr"]}],
        },
        {
            "version": 2,
            "status": "approved",
            "approved_by": "A. Compliance",
            "wording": "Representative {apr}% APR.",
            "key_facts": [{"id": "apr", "description": "the APR", "phrases": ["{apr}% apr"]}],
            "applies_when": {"event": "offer_presented"},
            "deadline": {"before_event": "offer_presented"},
        },
    ],
}

PROMPT = textwrap.dedent(
    """\
    You are the assistant of {{ facts.broker }}.
    {% for d in disclosures %}
    ## {{ d.title }} (v{{ d.version }})
    {{ d.wording }}
    {% endfor %}
    """
)


def make_case(
    case_id: str,
    agent_texts: list[str],
    *,
    offer: bool = True,
    distinct: bool = False,
    **tags: str,
) -> Case:
    """A conversation: a customer turn before each agent turn; an offer after the first.

    ``distinct``: the customer's words name the case, so no two cases send the same request.
    """
    turns: list[Turn] = []
    for i, text in enumerate(agent_texts):
        said = f"customer message {i}" + (f" about {case_id}" if distinct else "")
        turns.append(Turn(role="customer", text=said))
        turns.append(Turn(role="agent", text=text))
        if i == 0 and offer:
            turns.append(Turn(role="event", event="offer_presented"))
    return Case(
        case_id=case_id,
        source="tests",
        tags=tags or {"channel": "online"},
        facts={"apr": 9.9, "broker": "Warm Homes Finance"},
        turns=tuple(turns),
        labels=(GoldenLabel(disclosure_id="broker_status", applicable=True, presented=True),),
    )


def default_cases() -> list[Case]:
    good = "We are a credit broker, not a lender. Representative 9.9% APR."
    return [
        make_case("case-001", [good, "Thanks"]),
        make_case("case-002", [good, "Anything else?"]),
        make_case("case-003", ["Hello!", good]),  # broker status only after the offer
        make_case("case-004", [good.replace("9.9", "12.9"), "Bye"]),  # wrong APR
        make_case("case-005", ["Hi there", "Sure"], offer=False, channel="phone"),  # no offer
    ]


@dataclass
class World:
    root: Path

    @property
    def scenario(self) -> Path:
        return self.root / "scenarios" / "mini.yaml"

    @property
    def corpus_file(self) -> Path:
        return self.root / "corpus" / "cases.parquet"

    def write_scenario(self, name: str = "mini", **changes: Any) -> Path:
        data: dict[str, Any] = {
            "name": name,
            "description": "a small scenario for tests",
            "model": {"provider": "recorded", "id": "production"},
            "prompt": {"name": "agent", "version": 1},
            "disclosures": {"versions": {"broker_status": 1, "apr": 2}},
            "corpus": {"paths": ["../corpus"]},
            "thresholds": {"default": 0.5},
            "seed": 7,
        }
        data.update(changes)
        path = self.root / "scenarios" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path


def build_world(root: Path, cases: list[Case] | None = None) -> World:
    (root / "scenarios" / "disclosures").mkdir(parents=True)
    (root / "scenarios" / "prompts" / "agent").mkdir(parents=True)
    for disclosure in (BROKER_STATUS, REPRESENTATIVE_APR):
        path = root / "scenarios" / "disclosures" / f"{disclosure['id']}.yaml"
        path.write_text(yaml.safe_dump(disclosure, sort_keys=False), encoding="utf-8")
    (root / "scenarios" / "prompts" / "agent" / "v1.j2").write_text(PROMPT, encoding="utf-8")
    write_cases(root / "corpus" / "cases.parquet", cases if cases is not None else default_cases())
    world = World(root)
    world.write_scenario()
    return world
