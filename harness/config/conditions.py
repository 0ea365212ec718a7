"""When a disclosure applies: conditions on the case's events, facts and what the customer
said, and the cue taxonomies (such as the FCA's four drivers of vulnerability) they use.

>>> condition_holds(EventCondition(event="offer_presented"), case)  # doctest: +SKIP
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.config.phrases import compiled, compiling, contains_any, normalise
from harness.corpus.cases import Case, FactValue, Turn

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class EventCondition(BaseModel):
    """Holds when the case contains the named event."""

    model_config = _FROZEN
    event: str


class FactCondition(BaseModel):
    """Holds when a case fact equals a value (or is one of several)."""

    model_config = _FROZEN
    fact: str
    equals: FactValue = None
    one_of: tuple[FactValue, ...] | None = None

    def holds(self, facts: Mapping[str, FactValue]) -> bool:
        value = facts.get(self.fact)
        if self.one_of is not None:
            return value in self.one_of
        return value == self.equals


class CustomerMentionsCondition(BaseModel):
    """Holds when any customer turn contains any of the phrases (normalised)."""

    model_config = _FROZEN
    customer_mentions: tuple[str, ...] = Field(min_length=1)


class Cues(BaseModel):
    """Phrases and regular expressions (searched in normalised text) that signal one thing."""

    model_config = _FROZEN
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return compiling(patterns)

    def compiled_patterns(self) -> tuple[re.Pattern[str], ...]:
        return compiled(self.patterns)


class CueTaxonomy(BaseModel):
    """What the customer says that makes a disclosure apply, grouped by driver.

    ``drivers`` (e.g. the FCA's four drivers of vulnerability: health, life events,
    resilience, capability) each hold cues that settle it; ``weak`` cues make it possible
    but not certain (the scorer is then unsure, and the judge or a person decides). A cue
    the customer negates ("no money worries here") does not count, nor one in a sentence
    matching ``exclude`` (about equipment or a third party, or an idiom).
    """

    model_config = _FROZEN
    drivers: dict[str, Cues] = Field(min_length=1)
    weak: Cues = Cues()
    #: A sentence that holds one of these is about something else ("the surveyor is off
    #: sick", "my boiler died"): its cues do not count.
    exclude: Cues = Cues()


class CustomerCuesCondition(BaseModel):
    """Holds when a customer turn holds one of the taxonomy's cues."""

    model_config = _FROZEN
    customer_cues: CueTaxonomy


class AllCondition(BaseModel):
    model_config = _FROZEN
    all: tuple[Condition, ...] = Field(min_length=1)


class AnyCondition(BaseModel):
    model_config = _FROZEN
    any: tuple[Condition, ...] = Field(min_length=1)


Condition = Annotated[
    EventCondition
    | FactCondition
    | CustomerMentionsCondition
    | CustomerCuesCondition
    | AllCondition
    | AnyCondition,
    Field(union_mode="left_to_right"),
]
AllCondition.model_rebuild()
AnyCondition.model_rebuild()


def condition_holds(condition: Condition | None, case: Case) -> bool:
    """Whether ``condition`` holds for ``case``; no condition means always."""
    if condition is None:
        return True
    if isinstance(condition, EventCondition):
        return condition.event in case.events
    if isinstance(condition, FactCondition):
        return condition.holds(case.facts)
    if isinstance(condition, CustomerMentionsCondition):
        return any(
            contains_any(t.text or "", condition.customer_mentions)
            for t in case.turns
            if t.role == "customer"
        )
    if isinstance(condition, CustomerCuesCondition):
        return any(cue_in(t.text or "", condition.customer_cues) for t in customer_turns(case))
    if isinstance(condition, AllCondition):
        return all(condition_holds(c, case) for c in condition.all)
    return any(condition_holds(c, case) for c in condition.any)


def customer_turns(case: Case) -> list[Turn]:
    return [t for t in case.turns if t.role == "customer"]


def cue_in(text: str, taxonomy: CueTaxonomy) -> str | None:
    """The first driver whose cue ``text`` holds (phrase or pattern), or None.

    A presence check only; the scorer also reads negation and weak cues
    (:mod:`harness.scoring.applicability`).
    """
    norm = normalise(text)
    for driver, cues in taxonomy.drivers.items():
        if contains_any(text, cues.phrases) or any(
            p.search(norm) for p in cues.compiled_patterns()
        ):
            return driver
    return None
