"""Whether a disclosure applies to a case, and how sure the rules can be of it.

Conditions on events and case facts are certain. A condition on what the customer said
(``customer_cues``: a taxonomy of cues by driver, such as the FCA's four drivers of
vulnerability) is read turn by turn: a cue the customer states ("since the divorce", "I've
just come out of hospital") makes the disclosure apply, and its turn is the trigger a
deadline counts from; a cue the customer negates ("no money worries, thankfully") or only
asks about does not; a weak cue ("bills are going up") makes it possible, and the rules
are then unsure, so the judge or a person decides.

>>> found = applicability(pinned, case)  # doctest: +SKIP
>>> (found.applies, found.sure, found.trigger_turn)  # doctest: +SKIP
(True, True, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from harness.config.conditions import Cues, CustomerCuesCondition, condition_holds
from harness.config.disclosures import PinnedDisclosure
from harness.config.phrases import normalise, phrases_pattern, required_words
from harness.corpus.cases import Case
from harness.scoring.findings import facts_stated
from harness.scoring.statements import reading, sentences


@dataclass(frozen=True, slots=True)
class Applicability:
    """Whether the disclosure applies; ``sure`` False when only a weak cue says so."""

    applies: bool
    sure: bool = True
    why: str | None = None  # which cue, in which customer turn
    trigger_turn: int | None = None  # the customer turn a cue was found in


@dataclass(frozen=True, slots=True)
class _Cue:
    turn: int
    said: str
    driver: str
    firm: bool


def applicability(pinned: PinnedDisclosure, case: Case) -> Applicability:
    """Whether ``pinned``'s version in force applies to ``case``, read as the rules can."""
    condition = pinned.current.applies_when
    if not isinstance(condition, CustomerCuesCondition):
        return Applicability(condition_holds(condition, case))
    taxonomy = condition.customer_cues
    found: list[_Cue] = []
    set_aside: list[str] = []  # cues negated or excluded: the customer's words were weighed
    for index, turn in enumerate(case.turns):
        if turn.role != "customer":
            continue
        text = turn.text or ""
        for driver, cues in taxonomy.drivers.items():
            found += _cues(text, cues, index, driver, True, taxonomy.exclude, set_aside)
        found += _cues(text, taxonomy.weak, index, "weak", False, taxonomy.exclude, set_aside)
    firm = [c for c in found if c.firm]
    if firm:
        cue = firm[0]
        return Applicability(True, True, _why(cue), cue.turn)
    if found:
        cue = found[0]
        reason = f"{_why(cue)}, which may or may not be a sign of vulnerability"
        return Applicability(True, False, reason, cue.turn)
    answered = None if set_aside else _answered_as_if(pinned, case)
    return answered or Applicability(False)


def _answered_as_if(pinned: PinnedDisclosure, case: Case) -> Applicability | None:
    """No cue found, but an agent reply firmly says two or more of the key facts (sympathy
    and a signpost to debt advice): the agent answered a cue the taxonomy lacks ("been off
    work since my op"), so whether the disclosure applies is unsure, never a sure no."""
    enough = min(2, len(pinned.current.key_facts))
    for index, turn in enumerate(case.turns):
        if turn.role != "agent" or not turn.text or index == 0:
            continue
        said = facts_stated(pinned.current, turn.text)
        if len(said) >= enough:
            customer = max(
                (i for i in range(index) if case.turns[i].role == "customer"), default=None
            )
            if customer is None:
                continue
            why = (
                f"no cue found, but agent turn {index} answers customer turn {customer} "
                f"as if it held one ({', '.join(said)})"
            )
            return Applicability(True, False, why, customer)
    return None


def _why(cue: _Cue) -> str:
    driver = "" if cue.driver == "weak" else f" ({cue.driver.replace('_', ' ')})"
    return f"customer turn {cue.turn}: '{cue.said}'{driver}"


@lru_cache(maxsize=256)
def _all_patterns(cues: Cues) -> tuple[re.Pattern[str], ...]:
    """The cues' phrases (as one pattern, normalised once) and their patterns."""
    combined = phrases_pattern(tuple(normalise(p) for p in cues.phrases))
    return ((combined,) if combined is not None else ()) + cues.compiled_patterns()


def _patterns(cues: Cues, norm: str) -> tuple[re.Pattern[str], ...]:
    """The cues' phrases (as one pattern) and patterns that may match ``norm`` at all."""
    patterns = _all_patterns(cues)
    return tuple(
        p
        for p in patterns
        if (words := required_words(p.pattern)) is None or any(w in norm for w in words)
    )


def _cues(
    text: str,
    cues: Cues,
    turn: int,
    driver: str,
    strong: bool,
    exclude: Cues,
    set_aside: list[str],
) -> list[_Cue]:
    """Each cue found in ``text``: firm when stated (not negated, asked or hypothetical),
    none in a sentence that ``exclude`` says is about something else (those, and negated
    cues, go to ``set_aside``)."""
    found = []
    norm = normalise(text)
    patterns = _patterns(cues, norm)
    excluded = _patterns(exclude, norm)
    for sentence in sentences(text):
        if any(pattern.search(sentence.norm) for pattern in excluded):
            set_aside.append(sentence.norm)
            continue
        spans = [m.span() for pattern in patterns for m in pattern.finditer(sentence.norm)]
        for start, end in sorted(spans):
            read = reading(sentence, start, end)
            if read.negated_by is not None:
                set_aside.append(sentence.norm[start:end])
                continue  # "no money worries", "I'm not ill"
            stated = read.kind == "statement"
            found.append(_Cue(turn, sentence.norm[start:end], driver, strong and stated))
    return found
