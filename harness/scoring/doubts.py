"""Doubts after a disclosure: where the conversation comes back to its subject and may take it
back in words no list holds, so a pass the rules would call sure is only unsure.

>>> doubts = subject_doubts(version, agent_turns(transcript), findings)  # doctest: +SKIP
>>> doubts  # doctest: +SKIP
["turn 7 states '7 days', not 14 days: \"You'd have 7 days from signing.\""]
"""

from __future__ import annotations

import re

from harness.config.disclosures import DisclosureVersion
from harness.config.phrases import bounded_starts, normalise
from harness.scoring.figures import same_value
from harness.scoring.findings import (
    AgentTurn,
    Findings,
    facts_stated,
    states_a_fact,
    topics_of,
)
from harness.scoring.sentences import Sentence, sentences
from harness.scoring.statements import excerpt, is_cue

# Words with which an agent takes back or qualifies what it said before.
_RETRACTION = re.compile(
    r"\b(?:actually|to be honest|honestly|in fact|correction|i misspoke|scratch that|"
    r"ignore (?:that|what i said|my)|forget (?:that|what i said|about)|not quite right|"
    r"to clarify|strictly speaking|technically|between (?:you and me|ourselves)|"
    r"off the record|don't worry about|doesn't really apply|in practice|in reality|"
    r"that's not (?:quite )?(?:right|true|correct)|i was wrong|my mistake|"
    r"no longer|not any more|anymore)\b"
)
# Words that turn what was said ("but", "except") or put a condition on it ("as long as",
# "provided", "depending on"): after a disclosure, on its subject, they may take part of it
# back.
_CONTRAST = re.compile(
    r"\b(?:but|however|though|although|except|unless|whereas|instead|only if|as long as|"
    r"provided|depending on|depends on|subject to|assuming|on condition)\b"
)
# Right after the disclosure, in the same turn, words that may restrict or take back what
# was just said with no need to name it again: a retraction, a contrast, a condition.
_ADJACENT_TURN = re.compile(
    r"\b(?:only if|only when|only once|only applies|as long as|so long as|provided that|"
    r"providing that|unless|except|on condition|(?<!in )(?<!your )mind you|that said|"
    r"in practice|technically|truth is|to be honest|in reality|then again|"
    r"give (?:it |that |this |them )?up|waive|"
    r"waiving|no longer appl|in effect|effectively|so really)\b|\bthough$|^though\b|"
    r"(?<!your )(?<!in )(?<!my )(?<!their )\bmind$"
)
# A span of days, weeks, fortnights or months in normalised text (number words are digits by
# then; "a week", "a fortnight", "one month" too).
_SPAN = re.compile(
    r"\b(\d+(?:\.\d+)?|a|an|one|the)(?: (?:full|whole|clear|calendar|good|entire|first)){0,3} "
    r"(days?|weeks?|fortnights?|months?)\b"
)
_DAYS = {"day": 1, "week": 7, "fortnight": 14, "month": 30}
# Words that make a claim absolute: on the subject, after the disclosure, such a claim may
# take part of it back with no negation at all ("your credit file is completely safe
# whichever step you take").
_ABSOLUTE = re.compile(
    r"\b(?:completely|totally|entirely|absolutely|wholly|whatsoever|at all|full stop|"
    r"guarantee|guaranteed|guarantees|untouched|invisible|always|in any way|one bit)\b"
)
_NOPE = re.compile(r"\b(?:nope|nah|no way)\b")
# A customer turn that asks: a question mark, or a question's first words.
_ASKS = re.compile(
    r"\?|^\W*(?:who|what|how|why|when|where|does|did|do|will|would|can|could|is|are|if|"
    r"and if|but if|so if)\b"
)
# A customer turn that voices a worry or an objection ("I really don't want five finance
# companies having my info"): like a question, it invites a reassurance that may take back.
_WORRIES = re.compile(
    r"\b(?:worr(?:y|ied|ies|ying)|wary|concerned|nervous|scared|afraid|anxious|uneasy|"
    r"don't want|do not want|dont want|rather not|not keen|hate the idea)\b"
)


def subject_doubts(
    version: DisclosureVersion, turns: list[AgentTurn], findings: Findings
) -> list[str]:
    """Where the conversation comes back to the subject after the disclosure, and nothing
    restates it: the rules cannot rule out that it was taken back in words no list holds.

    Five signs: an agent sentence anywhere matches one of the version's ``may_contradict``
    patterns; the agent later states a span of days other than a fixed-value key fact's
    (the 14 days restated as "7 days from signing"); the customer raises the subject again
    (a follow-up, a doubt, a wrong belief; a question or a worry may do so in a key fact's
    own words, "who gets my info?", "I don't want five companies having my info", when the
    reply denies or reassures) and the agent's reply does not restate a key fact; later in
    the evidence's turn or in a later turn, the agent says something on the subject with a
    negation, a retraction, a contrast or a condition ("as long as", "provided"), and states
    none of the key facts; or it makes an absolute claim on the subject ("completely",
    "always") that states none of them.
    """
    topics = [normalise(t) for t in topics_of(version)]
    # a span in words or months counts on the subject of any key fact ("a month after signing")
    span_topics = topics + [normalise(t) for kf in version.key_facts for t in kf.topics]
    evidence: dict[int, set[str]] = {}
    for fact in findings.facts:
        evidence.setdefault(fact["turn"], set()).add(fact["quote"])
    last = max(evidence, default=0)
    approved = {s.norm for s in sentences(version.wording)}
    by_figures = all(kf.figure is not None for kf in version.key_facts)
    doubts = []
    for turn in turns:
        if turn.index < last:
            continue
        if turn.index > last and turn.customer and version.topics:
            # only the version's own topics: words derived from phrases are too loose here
            topic = _topic_in(normalise(turn.customer), topics)
            raised = None if topic is not None or by_figures else _raised(turn.customer)
            if raised is not None:
                # a question or a worry in a key fact's own words ("who gets my info?")
                # answered with a denial, a turn or an absolute ("it never leaves
                # Brightwell"); not one the agent just gets on with ("can I check first?"
                # "I'll run the check now")
                topic = _topic_in(raised, span_topics)
                topic = topic if topic is not None and _denies(turn.text) else None
            if topic is not None and not states_a_fact(version, turn.text):
                doubts.append(
                    f"the customer comes back to '{topic}' before turn {turn.index} and the "
                    f'reply restates none of it: "{excerpt(turn.text)}"'
                )
        told = sentences(turn.text)
        after = 0
        if turn.index == last:  # only the sentences after the last piece of evidence
            said = [i for i, s in enumerate(told) if s.text in evidence[last]]
            after = max(said, default=len(told)) + 1
        for position, sentence in enumerate(told[after:], start=after):
            if (
                turn.index == last
                and position == after
                and (marker := _ADJACENT_TURN.search(sentence.norm)) is not None
                and not states_a_fact(version, sentence.text)
            ):
                # the sentence right after the disclosure may restrict it without naming
                # its subject ("That's only if the installer hasn't started, mind.")
                doubts.append(
                    f"the sentence after the disclosure turns on it ('{marker.group(0)}'): "
                    f'"{sentence.text}"'
                )
                continue
            other = _other_span(version, sentence.norm, span_topics)
            if other is not None:  # another span of days, whatever the words around it
                doubts.append(f'turn {turn.index} states {other}: "{sentence.text}"')
                continue
            retraction = _RETRACTION.search(sentence.norm)
            # with a retraction ("actually, in practice..."), a key fact's own topic will do
            topic = _topic_in(sentence.norm, span_topics if retraction else topics)
            if topic is None:
                continue
            words = sentence.norm.split()
            cue = next(
                (w for i, w in enumerate(words) if is_cue(words, i) and not _aside(words, i)),
                None,
            )
            contrast = _CONTRAST.search(sentence.norm)
            turn_word = retraction or contrast
            if cue is None and turn_word is None:
                absolute = None if by_figures else _absolute_claim(version, sentence, approved)
                if absolute is not None and not _only_in_a_name(sentence.text, topic):
                    doubts.append(
                        f"turn {turn.index} makes an absolute claim on '{topic}' ('{absolute}') "
                        f'and restates none of it: "{sentence.text}"'
                    )
                continue
            # a restatement takes nothing back when it has no negation and no contrast (at
            # most a word that stresses it: "it's the lender who actually provides the
            # loan"), or, with no turn word, only a benign negation ("no reason needed") or
            # the subject that came up as its fact
            stresses = cue is None and contrast is None
            benign = (
                turn_word is None
                and cue is not None
                and (_benign(words, cue) or _restates_topic(version, sentence, topic))
            )
            if (stresses or benign) and states_a_fact(version, sentence.text):
                continue
            what = f"'{cue}'" if turn_word is None else f"'{turn_word.group(0)}'"
            doubts.append(
                f"turn {turn.index} raises '{topic}' again with {what}: \"{sentence.text}\""
            )
    return (_taken_back(version, turns) + doubts)[:3]


def _raised(customer: str) -> str | None:
    """What of a customer turn raises a subject, normalised: the whole turn when it asks,
    else the sentences that voice a worry or an objection ("I'm worried about money since I
    lost my job" raises money, not the finance named in the sentence before); None if
    neither."""
    if _ASKS.search(customer.lower()):
        return normalise(customer)
    worried = [s.norm for s in sentences(customer) if _WORRIES.search(s.norm)]
    return " ".join(worried) or None


def _denies(text: str) -> bool:
    """Whether an agent reply holds a negation, a retraction, a contrast or an absolute."""
    norm = normalise(text)
    words = norm.split()
    return any(is_cue(words, i) for i in range(len(words))) or any(
        p.search(norm) for p in (_RETRACTION, _CONTRAST, _ABSOLUTE, _NOPE)
    )


def _absolute_claim(
    version: DisclosureVersion, sentence: Sentence, approved: set[str]
) -> str | None:
    """The absolute word of a declarative sentence that states none of the version's key
    facts, if any; not in a question, a heading ("Before you decide:") or a sentence of the
    approved wording."""
    if sentence.question or sentence.text.rstrip("*_ ").endswith(":"):
        return None
    found = _ABSOLUTE.search(sentence.norm)
    if found is None or sentence.norm in approved:
        return None
    return None if states_a_fact(version, sentence.text) else found.group(0)


def _only_in_a_name(text: str, topic: str) -> bool:
    """Whether every time ``topic`` is said it is capitalised mid-sentence, as in a name."""
    said = list(re.finditer(rf"\b{re.escape(topic)}", text, re.IGNORECASE))
    return bool(said) and all(m.start() > 0 and text[m.start()].isupper() for m in said)


def _taken_back(version: DisclosureVersion, turns: list[AgentTurn]) -> list[str]:
    """Agent sentences, anywhere in the conversation, that match one of the version's
    ``may_contradict`` patterns, even one that also restates a key fact ("the fortnight
    only starts once the engineer has signed it off")."""
    patterns = version.compiled_may_contradict()
    if not patterns:
        return []
    found = []
    for turn in turns:
        for sentence in sentences(turn.text):
            match = next((m for p in patterns if (m := p.search(sentence.norm))), None)
            if match is None:
                continue
            found.append(
                f"turn {turn.index} may take it back ('{match.group(0)}'): \"{sentence.text}\""
            )
    return found


def _other_span(version: DisclosureVersion, norm: str, topics: list[str]) -> str | None:
    """A span of time said on the subject that differs from a fixed-value key fact's (the
    14 days restated as "7 days from signing" or "a month"), even with no label the figure
    reader knows. Months, and spans in words ("a week"), count only in a sentence on the
    subject: a loan's term is in months, and "have a lovely day" is no span."""
    fixed = [
        (kf.figure, kf.figure.value)
        for kf in version.key_facts
        if kf.figure is not None and kf.figure.value is not None and kf.figure.unit == "days"
    ]
    for found in _SPAN.finditer(norm):
        if found[1] == "the" and (found[2].endswith("s") or "first" not in found[0]):
            continue  # "the first month" is a span; "the days after signing" is not
        unit, in_words = found[2].rstrip("s"), found[1] in ("a", "an", "one", "the")
        if (unit == "month" or in_words) and _topic_in(norm, topics) is None:
            continue
        count = 1.0 if in_words else float(found[1])
        days = count * _DAYS[unit]
        if fixed and not any(same_value(spec, days, value) for spec, value in fixed):
            return f"'{found[0]}', not {' or '.join(f'{v:g} days' for _, v in fixed)}"
    return None


# Negations that restate a right or a condition rather than take anything back.
_BENIGN_AFTER = {
    "no": {
        "reason",
        "reasons",
        "questions",
        "obligation",
        "charge",
        "fee",
        "fees",
        "cost",
        "penalty",
        "problem",
        "pressure",
        "rush",
        "hurry",
        "catch",
        "extra",
        "worries",
    },
    "without": {"giving", "a", "any", "penalty", "charge"},
    "not": {"a"},
}


# What a negation may deny without touching a disclosure ("we never sell your data").
_ASIDES = frozenset({"sell", "sold", "selling", "spam", "market"})


def _aside(words: list[str], index: int) -> bool:
    return any(w in _ASIDES for w in words[index + 1 : index + 3])


def _benign(words: list[str], cue: str) -> bool:
    """Whether every negation cue in ``words`` is a benign one (see ``_BENIGN_AFTER``)."""
    for i, word in enumerate(words):
        if is_cue(words, i):
            following = words[i + 1] if i + 1 < len(words) else ""
            if following not in _BENIGN_AFTER.get(word, ()):
                return False
    return True


def _restates_topic(version: DisclosureVersion, sentence: Sentence, topic: str) -> bool:
    """Whether the sentence states a key fact whose own topics hold ``topic``."""
    stated = set(facts_stated(version, sentence.text))
    return any(
        kf.id in stated and topic in {normalise(t) for t in kf.topics} for kf in version.key_facts
    )


def _topic_in(norm: str, topics: list[str]) -> str | None:
    return next((t for t in topics if t and next(bounded_starts(t, norm), -1) >= 0), None)
