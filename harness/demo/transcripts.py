"""Turning a script into the turns production recorded, slips included, with golden labels.

Which wording production used depends on the day: the version of each disclosure approved
by then (so conversations before commission v2 was approved use the v1 wording). A few
disclosures per hundred slipped (see :data:`harness.demo.production.SLIPS`); the golden
labels say so, with a note naming the slip.

>>> recorded = render_transcript(beats, speech, context, deadlines, rng)  # doctest: +SKIP
>>> recorded.turns[0].role  # doctest: +SKIP
'customer'
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date

from harness.config.disclosures import Disclosure, DisclosureVersion, fill
from harness.corpus.cases import FactValue, GoldenLabel, Turn
from harness.demo.production import HARD_PASSES, LINES, REPHRASINGS, SLIPS, Slip
from harness.demo.scripts import Beat

REPHRASE_RATE = 0.2  # how often production used its own accepted rephrasing
HARD_PASS_RATE = 0.012
WRONG_APRS = (7.9, 8.9, 10.9, 11.9, 12.9, 13.9, 14.9)


def version_on(disclosure: Disclosure, day: date) -> DisclosureVersion:
    """The version production used on ``day``: the newest approved by then."""
    in_force = [
        v
        for v in disclosure.versions
        if v.status in ("approved", "superseded") and v.approved_on and v.approved_on <= day
    ]
    return in_force[-1] if in_force else disclosure.versions[0]


@dataclass
class SpeechPlan:
    """How production said each disclosure in one conversation."""

    wording: dict[str, str]  # disclosure id -> the approved wording in use, filled
    current: dict[str, bool]  # disclosure id -> whether that wording is the current version
    slips: dict[str, Slip] = field(default_factory=dict)
    hard: dict[str, str] = field(default_factory=dict)  # disclosure id -> note
    rephrased: set[str] = field(default_factory=set)

    def note(self, disclosure_id: str) -> str | None:
        if disclosure_id in self.slips:
            return self.slips[disclosure_id].note
        if not self.current[disclosure_id]:
            return "superseded wording: the v1 commission wording has no 'ask us how much'"
        if disclosure_id in self.hard:
            return self.hard[disclosure_id]
        if disclosure_id in self.rephrased:
            return "accepted rephrasing of the approved wording"
        return None

    def presented(self, disclosure_id: str) -> bool:
        return disclosure_id not in self.slips and self.current[disclosure_id]


def plan_speech(
    rng: random.Random,
    disclosures: dict[str, Disclosure],
    applicable: set[str],
    facts: dict[str, FactValue],
    day: date,
    slip_rates: dict[str, float],
) -> SpeechPlan:
    """Choose, for each disclosure, the wording production used and whether it slipped."""
    wording: dict[str, str] = {}
    current: dict[str, bool] = {}
    for disclosure_id, disclosure in sorted(disclosures.items()):
        used = version_on(disclosure, day)
        wording[disclosure_id] = fill(used.wording.strip(), facts, where=disclosure_id)
        current[disclosure_id] = used.version == disclosure.latest_approved().version
    plan = SpeechPlan(wording, current)
    for disclosure_id in sorted(applicable):
        roll = rng.random()
        if roll < slip_rates.get(disclosure_id, 0.0):
            options = SLIPS[disclosure_id]
            slip = rng.choices(options, [s.weight for s in options])[0]
            plan.slips[disclosure_id] = _concrete(slip, wording[disclosure_id], facts, rng)
        elif not current[disclosure_id]:
            continue  # superseded wording: said as it was, a miss of its own
        elif disclosure_id in HARD_PASSES and rng.random() < HARD_PASS_RATE:
            plan.hard[disclosure_id] = HARD_PASSES[disclosure_id][1]
        elif rng.random() < REPHRASE_RATE:
            plan.rephrased.add(disclosure_id)
    return plan


Context = dict[str, FactValue]  # the case facts plus the customer's "name"


def _said(disclosure_id: str, plan: SpeechPlan, context: Context, rng: random.Random) -> str:
    """The words production used for a disclosure it did say (on time or late)."""
    if disclosure_id in plan.hard:
        return HARD_PASSES[disclosure_id][0]
    if disclosure_id in plan.rephrased:
        return fill(rng.choice(REPHRASINGS[disclosure_id]), context, where=disclosure_id)
    return plan.wording[disclosure_id]


def _concrete(slip: Slip, wording: str, facts: dict[str, FactValue], rng: random.Random) -> Slip:
    """The slip as it happened in this case: its words filled, a wrong APR chosen."""
    if slip.name != "wrong_apr":
        return replace(slip, text=fill(slip.text, facts, where=slip.name))
    apr = facts["apr"]
    wrong = rng.choice([a for a in WRONG_APRS if a != apr])
    return replace(
        slip,
        text=wording.replace(f" {apr}% APR", f" {wrong}% APR"),
        note=f"wrong APR: said {wrong}% but the quote's APR is {apr}%",
    )


@dataclass(frozen=True)
class RecordedTurns:
    """The turns of one recorded conversation, and which late slips found a later turn."""

    turns: tuple[Turn, ...]
    late_moved: frozenset[str]


def render_transcript(
    beats: list[Beat],
    plan: SpeechPlan,
    context: Context,
    deadlines: dict[str, str | None],
    rng: random.Random,
) -> RecordedTurns:
    """The recorded turns: customer lines, agent replies as production said them, events.

    ``deadlines`` maps a disclosure id to its deadline event (None for the vulnerability
    window, which is counted in agent turns).
    """
    extra: dict[int, list[str]] = {}  # beat index -> disclosures said late in that beat
    moved: set[str] = set()
    for disclosure_id, late_slip in sorted(plan.slips.items()):
        if late_slip.kind != "late":
            continue
        planned = next(i for i, b in enumerate(beats) if disclosure_id in b.disclosures)
        event = deadlines.get(disclosure_id)
        if event is None:
            later = planned + 1  # the reply after the one that had to say it
        else:
            at = next((i for i, b in enumerate(beats) if event in b.events), None)
            later = len(beats) if at is None else at + 1
        if later < len(beats):
            extra.setdefault(later, []).append(disclosure_id)
            moved.add(disclosure_id)
    turns: list[Turn] = []
    for index, beat in enumerate(beats):
        if beat.customer is not None:
            turns.append(Turn(role="customer", text=beat.customer))
        parts = [fill(rng.choice(LINES[beat.lead]), context, where=beat.lead)]
        for disclosure_id in beat.disclosures:
            slip = plan.slips.get(disclosure_id)
            if slip is None:
                parts.append(_said(disclosure_id, plan, context, rng))
            elif slip.kind == "replaced":
                parts.append(slip.text)
        parts.extend(plan.wording[d] for d in extra.get(index, []))
        if beat.trailer:
            parts.append(fill(rng.choice(LINES[beat.trailer]), context, where=beat.trailer))
        turns.append(Turn(role="agent", text=" ".join(parts)))
        turns.extend(Turn(role="event", event=e) for e in beat.events)
    return RecordedTurns(tuple(turns), frozenset(moved))


def skeleton_turns(beats: list[Beat]) -> tuple[Turn, ...]:
    """The turns with every agent reply left blank: enough to tell which disclosures apply."""
    turns: list[Turn] = []
    for beat in beats:
        if beat.customer is not None:
            turns.append(Turn(role="customer", text=beat.customer))
        turns.append(Turn(role="agent", text=""))
        turns.extend(Turn(role="event", event=e) for e in beat.events)
    return tuple(turns)


def golden_labels(
    disclosure_ids: list[str], applicable: set[str], plan: SpeechPlan, late_moved: frozenset[str]
) -> tuple[GoldenLabel, ...]:
    """A reviewer's labels for every disclosure, consistent with what the turns contain."""
    labels = []
    for disclosure_id in sorted(disclosure_ids):
        if disclosure_id not in applicable:
            labels.append(
                GoldenLabel(disclosure_id=disclosure_id, applicable=False, presented=False)
            )
            continue
        note = plan.note(disclosure_id)
        slip = plan.slips.get(disclosure_id)
        if slip is not None and slip.kind == "late" and disclosure_id not in late_moved:
            note = "omitted: never said in the conversation"
        labels.append(
            GoldenLabel(
                disclosure_id=disclosure_id,
                applicable=True,
                presented=plan.presented(disclosure_id),
                note=note,
            )
        )
    return tuple(labels)
