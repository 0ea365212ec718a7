"""Conversation scripts: the steps of one demo conversation, before any wording is chosen.

A script is a list of beats. Each beat is one customer message (or none, when the online
widget greets first), the agent's reply as line keys and disclosure ids, and the system
events that follow the reply. Events come after the agent turn that acts on the customer's
request, as on the real platform: the customer asks to check eligibility, the agent explains
the soft search and runs it, then ``eligibility_check`` happens.

>>> import random
>>> segments = Segments("heat_pump", "in_home", False, False, True, "applied")
>>> beats = plan_script(random.Random(1), segments, {"installer": "Greenfield Heating",
...     "product_name": "air source heat pump", "lender": "Northmoor Bank"})
>>> [e for b in beats for e in b.events]
['eligibility_check', 'offer_presented', 'application_submitted', 'agreement_signed']
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from harness.demo import phrasebook as say

MAX_MESSAGES = 12  # customer and agent messages in one conversation, events not counted


@dataclass(frozen=True, slots=True)
class Segments:
    """The tags of a case: which kind of conversation it is."""

    product: str
    channel: str
    hurried: bool
    vulnerable: bool
    asks_cost: bool
    outcome: str  # applied, declined or eligibility_only

    def tags(self) -> dict[str, str]:
        yes_no = {True: "yes", False: "no"}
        return {
            "product": self.product,
            "channel": self.channel,
            "hurried": yes_no[self.hurried],
            "vulnerable": yes_no[self.vulnerable],
            "asks_cost": yes_no[self.asks_cost],
            "outcome": self.outcome,
        }


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def draw_segments(rng: random.Random) -> Segments:
    """Segments in the mix the broker saw in autumn 2026."""
    product = _weighted(rng, {"heat_pump": 0.45, "solar_pv": 0.35, "battery": 0.20})
    channel = _weighted(rng, {"in_home": 0.50, "online": 0.35, "phone": 0.15})
    vulnerable = rng.random() < 0.10
    hurried = not vulnerable and rng.random() < 0.19  # both at once did not occur
    asks_cost = rng.random() < (0.85 if hurried else 0.6)
    if vulnerable:
        outcome = _weighted(rng, {"applied": 0.4, "declined": 0.25, "eligibility_only": 0.35})
    else:
        outcome = _weighted(rng, {"applied": 0.52, "declined": 0.26, "eligibility_only": 0.22})
    return Segments(product, channel, hurried, vulnerable, asks_cost, outcome)


@dataclass(slots=True)
class Beat:
    """One customer message and the agent's reply to it, then the events that follow."""

    customer: str | None
    lead: str
    disclosures: list[str] = field(default_factory=list)
    trailer: str | None = None
    events: list[str] = field(default_factory=list)


def plan_script(rng: random.Random, segments: Segments, names: dict[str, str]) -> list[Beat]:
    """The beats of one conversation; ``names`` fills the customer lines' placeholders."""

    def line(options: tuple[str, ...]) -> str:
        return rng.choice(options).format(**names)

    hurried, outcome = segments.hurried, segments.outcome
    declines_early = outcome == "declined" and rng.random() < 0.45
    # A customer who never reaches the offer can only ask about cost early.
    early_cost = segments.asks_cost and (
        declines_early or outcome == "eligibility_only" or hurried or rng.random() < 0.35
    )
    agent_first = segments.channel == "online" and not early_cost and rng.random() < 0.5
    asks_commission = hurried and segments.asks_cost and rng.random() < 0.2

    opener = line(say.OPENERS[segments.product])
    if hurried:
        opener += " " + line(say.HURRY_CLAUSES)
    beats: list[Beat] = []
    if agent_first:
        beats.append(Beat(None, "greet", ["broker_status"], "greet_next"))
        beats.append(Beat(opener, "ack", [], "greet_next"))
    else:
        greet = "greet_hurried" if hurried else "greet"
        beats.append(Beat(opener, greet, ["broker_status"], "greet_next"))
    if early_cost:
        ask = say.COST_AND_COMMISSION if asks_commission else say.EARLY_COST_QUESTIONS
        beats.append(
            Beat(
                line(ask), "early_cost", ["representative_example", "commission"], "early_cost_next"
            )
        )
    if declines_early:
        beats.append(Beat(line(say.EARLY_DECLINES), "close_decline"))
        return _mention_vulnerability(rng, beats, segments)
    beats.append(
        Beat(
            line(say.ELIGIBILITY_QUESTIONS),
            "check",
            ["soft_search"],
            "check_next",
            ["eligibility_check"],
        )
    )
    pause = say.VULNERABLE_PAUSE if segments.vulnerable else say.AFTER_CHECK_PAUSE
    if outcome == "eligibility_only":
        beats.append(Beat(line(pause), "close_pause"))
        return _mention_vulnerability(rng, beats, segments)
    if early_cost:
        after_check, offer_disclosures = line(say.AFTER_CHECK_NEXT), []
    else:
        asks = say.COST_AND_COMMISSION if asks_commission else say.AFTER_CHECK_COST
        after_check = line(asks if segments.asks_cost else say.AFTER_CHECK_NEXT)
        offer_disclosures = ["representative_example", "commission"]
    beats.append(Beat(after_check, "offer", offer_disclosures, "offer_next", ["offer_presented"]))
    if outcome == "declined":
        declines = say.VULNERABLE_PAUSE if segments.vulnerable else say.OFFER_DECLINES
        beats.append(Beat(line(declines), "close_decline"))
        return _mention_vulnerability(rng, beats, segments)
    beats.append(
        Beat(
            line(say.APPLY),
            "apply",
            ["data_sharing", "right_to_withdraw"],
            "apply_next",
            ["application_submitted"],
        )
    )
    signs = rng.random() < 0.8
    beats.append(
        Beat(
            line(say.AFTER_APPLICATION), "signing", [], None, ["agreement_signed"] if signs else []
        )
    )
    if signs and _messages(beats) + 2 <= MAX_MESSAGES:
        beats.append(Beat(line(say.AFTER_SIGNING), "close_signed"))
    return _mention_vulnerability(rng, beats, segments)


def _messages(beats: list[Beat]) -> int:
    return sum(2 if b.customer is not None else 1 for b in beats)


def _mention_vulnerability(rng: random.Random, beats: list[Beat], segments: Segments) -> list[Beat]:
    """Put a vulnerable customer's mention into the opener or a question before the offer,
    and the support into the agent's reply to it."""
    if not segments.vulnerable:
        return beats
    spots = [
        i
        for i, b in enumerate(beats)
        if b.customer is not None and b.lead in ("greet", "ack", "early_cost", "check", "offer")
    ]
    spot = spots[0] if rng.random() < 0.5 else rng.choice(spots)
    beat = beats[spot]
    mention = rng.choice(say.VULNERABILITY_MENTIONS)
    # Openers say what they want first; later questions lead with the worry.
    first = spot == spots[0]
    beat.customer = f"{beat.customer} {mention}" if first else f"{mention} {beat.customer}"
    beat.disclosures.insert(0, "vulnerability_support")
    return beats
