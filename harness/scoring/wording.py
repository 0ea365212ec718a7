"""Approved wording must pass its own rules: every key fact, no contradiction, sure.

A disclosure version whose approved wording the rules would fail (a phrase list that misses
its own wording, an opposite that matches it) would fail every agent that says it word for
word. :func:`wording_problems` scores the wording, with its placeholders filled with sample
figures, in a one-turn conversation where the disclosure applies and is in time, and names
what goes wrong. The plan checks the versions in force before any case runs; ``harness
disclosures check`` checks every approved and superseded version of a folder.

>>> wording_problems(registry.pin("commission", 2))  # doctest: +SKIP
[]
"""

from __future__ import annotations

from harness.config.conditions import (
    AllCondition,
    AnyCondition,
    Condition,
    CustomerCuesCondition,
    CustomerMentionsCondition,
    EventCondition,
    FactCondition,
)
from harness.config.disclosures import PinnedDisclosure, fill, placeholders
from harness.corpus.cases import Case, FactValue, Turn
from harness.replay.conversation import Transcript
from harness.scoring.disclosure_rules import score_disclosure


def wording_problems(pinned: PinnedDisclosure) -> list[str]:
    """What the rules find wrong with the version's own approved wording (none: it passes)."""
    version = pinned.current
    where = f"disclosure {pinned.id} v{version.version}"
    facts = _sample_facts(pinned)
    said = fill(" ".join(version.wording.split()), facts, where=where)
    case = _conversation(pinned, said, facts)
    score = score_disclosure(pinned, case, Transcript(case.turns))
    evidence = score.evidence
    if score.status == "error":
        return [f"{where}: its wording cannot be scored: {score.error}"]
    if score.status == "not_applicable":
        return [f"{where}: could not build a conversation where it applies"]
    problems = []
    described = {kf.id: kf.description for kf in version.key_facts}
    for fact in [*evidence.get("missing", []), *evidence.get("late", [])]:
        problems.append(
            f"{where}: the approved wording does not convey key fact '{fact}' "
            f"({described.get(fact, '')}); add a phrase or pattern that matches it"
        )
    contradiction = evidence.get("contradiction")
    if contradiction is not None and contradiction.get("firm"):
        problems.append(
            f"{where}: the approved wording says a contradiction or opposite: "
            f"'{contradiction['phrase']}'; narrow that opposite (or its opposite_unless)"
        )
    for wrong in evidence.get("wrong_figures", []):
        problems.append(
            f"{where}: the approved wording states {wrong['fact']} as {wrong['stated']}, not "
            f"{wrong['expected']}; check the figure's labels"
        )
    if not problems and evidence.get("certainty") != "sure":
        doubts = "; ".join(evidence.get("unsure_because", []))
        problems.append(f"{where}: the rules are not sure of its own wording ({doubts})")
    return problems


def _sample_facts(pinned: PinnedDisclosure) -> dict[str, FactValue]:
    """A distinct number for every fact the version's wording and phrases name."""
    version = pinned.current
    names: list[str] = []
    texts = [version.wording] + [p for kf in version.key_facts for p in kf.phrases]
    for text in texts:
        names += [n for n in placeholders(text) if n not in names]
    for spec in version.figure_specs():
        if spec.fact is not None and spec.fact not in names:
            names.append(spec.fact)
    return {name: 1000 + 37 * index for index, name in enumerate(names)}


def _conversation(pinned: PinnedDisclosure, said: str, facts: dict[str, FactValue]) -> Case:
    version = pinned.current
    facts = dict(facts)
    before: list[Turn] = []
    events: list[str] = []
    _satisfy(version.applies_when, facts, before, events)
    trigger = version.deadline.trigger
    if isinstance(trigger, tuple) and trigger:
        before.append(Turn(role="customer", text=trigger[0]))
    if not any(t.role == "customer" for t in before):
        before.append(Turn(role="customer", text="Hello, can you help me with finance?"))
    deadline = version.deadline.before_event
    after = [
        Turn(role="event", event=e)
        for e in dict.fromkeys([*events, *([deadline] if deadline else [])])
    ]
    turns = (*before, Turn(role="agent", text=said), *after)
    return Case(case_id=f"wording-{pinned.id}", source="wording", facts=facts, turns=turns)


def _satisfy(
    condition: Condition | None,
    facts: dict[str, FactValue],
    turns: list[Turn],
    events: list[str],
) -> None:
    """Add what makes ``condition`` hold: an event after the wording, a fact, a customer cue."""
    if condition is None:
        return
    if isinstance(condition, EventCondition):
        events.append(condition.event)
    elif isinstance(condition, FactCondition):
        value = condition.one_of[0] if condition.one_of else condition.equals
        facts[condition.fact] = value
    elif isinstance(condition, CustomerMentionsCondition):
        turns.append(Turn(role="customer", text=condition.customer_mentions[0]))
    elif isinstance(condition, CustomerCuesCondition):
        cues = next(iter(condition.customer_cues.drivers.values()))
        if cues.phrases:
            turns.append(Turn(role="customer", text=f"I should say: {cues.phrases[0]}."))
    elif isinstance(condition, AllCondition):
        for part in condition.all:
            _satisfy(part, facts, turns, events)
    elif isinstance(condition, AnyCondition):
        _satisfy(condition.any[0], facts, turns, events)
