"""What states the contrary of a disclosure, in the words a version lists.

:func:`contradictions` finds, in every agent turn, the version's listed ``contradictions``
and each key fact's ``opposites`` (phrases and patterns), and a reply that opens by agreeing
with the customer's contrary claim ("so you don't get anything out of it?" / "Exactly!").
What may take a disclosure back in words no list holds is in :mod:`harness.scoring.doubts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.config.disclosures import DisclosureVersion, KeyFact
from harness.config.phrases import bounded_starts, normalise
from harness.corpus.cases import FactValue
from harness.errors import ConfigError
from harness.scoring.findings import AgentTurn, states_a_fact
from harness.scoring.matching import find_matches
from harness.scoring.sentences import sentences


def _is_zero(key_fact: KeyFact, facts: Mapping[str, FactValue]) -> bool:
    figure = key_fact.figure
    if figure is None or (figure.fact is not None and figure.fact not in facts):
        return False
    try:
        return figure.expected(facts, where="") == 0
    except ConfigError:
        return False


def contradictions(
    version: DisclosureVersion,
    turns: list[AgentTurn],
    facts: Mapping[str, FactValue] | None = None,
) -> list[dict[str, Any]]:
    """The version's contradictions and its key facts' opposites, wherever the agent says them.

    ``firm``: said as a statement (not asked, quoted or hypothetical) and not negated. With
    the case's ``facts``, a figure's opposites do not count where the case's figure is zero
    ("interest free" contradicts an APR of 9.9%, and is the truth of one of 0%).
    """
    checks: list[tuple[list[str], tuple[re.Pattern[str], ...], tuple[str, ...]]] = [
        (list(version.contradictions), (), ())
    ]
    checks += [
        (
            list(kf.opposites),
            kf.compiled_opposites(),
            tuple(normalise(u) for u in kf.opposite_unless),
        )
        for kf in version.key_facts
        if not (facts is not None and _is_zero(kf, facts))
    ]
    found = []
    for turn in turns:
        for phrases, patterns, unless in checks:
            if not phrases and not patterns:
                continue
            for match in find_matches(
                turn.text, phrases, patterns=patterns, customer=turn.customer
            ):
                if match.negated_by is not None:
                    continue  # "it isn't interest-free" does not say it is
                kind: str = match.reading.kind
                if kind in ("hypothetical", "quoted", "echo"):
                    continue  # not the agent's own claim ("some sites say it's free")
                quote = normalise(match.quote)
                if any(next(bounded_starts(u, quote), -1) >= 0 for u in unless if u):
                    continue
                before, after = _around(quote, match.span)
                if (
                    _ABOUT_SOMEONE_ELSE.match(after)
                    or _names_installer(after, facts)
                    or _installer_is_subject(before, match.span, facts)
                ):
                    # "we don't earn anything from Peak", "Halden don't pay us anything":
                    # not about the lender
                    continue
                if kind == "statement" and _CHOICE.search(before):
                    # "if you do want to go ahead now, ...": the customer's choice, not a push
                    kind = "conditional"
                if kind == "statement" and (
                    states_a_fact(version, match.quote, figures=True)
                    or _list_goes_on(turn.text, match.quote, match.span, version)
                ):
                    # "once those 14 days have passed, you'd be committed": a limit set by
                    # the fact's figure said with it, which may or may not take it back;
                    # "it stays between us, the lenders on our panel and the agencies": a
                    # key fact said in the same sentence, which it may only qualify
                    kind = "beside_fact"
                found.append(
                    {
                        "turn": turn.index,
                        "phrase": match.span,
                        "quote": match.quote,
                        "kind": kind,
                        # a hedge does not soften a contrary claim; a question mark may
                        "firm": kind == "statement" and not match.reading.asked,
                    }
                )
            agreed = _agreed(turn, phrases, patterns, unless)
            if agreed is not None:
                found.append(agreed)
    return found


# What a denial is about when it names someone other than the lender right after it
# ("we don't earn anything from the installer / from you").
_ABOUT_SOMEONE_ELSE = re.compile(
    r"^(?:from|off|out of|by) (?:the |your |our )?(?:installers?|fitters?|installation firms?|"
    r"you|customers?|manufacturers?)\b"
)
# A clause that leaves it to the customer ("if you do want to go ahead now"), up to the
# phrase with no clause break between.
_CHOICE = re.compile(
    r"(?:^|\b(?:and|but|so) )(?:if|when|once) you(?:'d|'re)?(?: (?!\w+n't\b)[\w']+){0,2} "
    r"(?:want|wish|like|prefer|decide|choose|ready|happy)\b(?:(?!\b(?:then|but)\b).)*$"
)


def _around(quote: str, span: str) -> tuple[str, str]:
    """The normalised sentence before and after the matched span (the first occurrence)."""
    at = quote.find(span)
    if at < 0:
        return quote, ""
    return quote[:at].strip(), quote[at + len(span) :].strip()


def _list_goes_on(text: str, quote: str, span: str, version: DisclosureVersion) -> bool:
    """Whether the span ends its clause and the rest of the sentence firmly states a key fact:
    "it stays between us, the lenders on our panel and the agencies I mentioned" lists who
    it stays between, which qualifies the claim rather than taking the disclosure back."""
    sentence = next((s for s in sentences(text) if s.text == quote), None)
    if sentence is None:
        return False
    at = sentence.norm.find(span)
    end = at + len(span) + 1
    if at < 0 or end not in sentence.clause_starts:
        return False
    return states_a_fact(version, sentence.norm[end:])


def _names_installer(after: str, facts: Mapping[str, FactValue] | None) -> bool:
    """Whether ``after`` starts "from <the case's installer>" ("from Peak for sending...")."""
    installer = facts.get("installer") if facts else None
    if not isinstance(installer, str) or not installer.strip():
        return False
    first = normalise(installer).split()[0]
    return re.match(rf"(?:from|off|by) (?:the )?{re.escape(first)}\b", after) is not None


# Who a denial may be about when its first word names them, other than the lender.
_OTHER_PARTIES = frozenset(
    {"installer", "installers", "fitter", "fitters", "retailer", "retailers"}
    | {"manufacturer", "manufacturers", "customers"}
)


def _installer_is_subject(before: str, span: str, facts: Mapping[str, FactValue] | None) -> bool:
    """Whether the matched span opens with the installer as its subject ("installers don't
    pay us anything"; the case's installer by name, "Halden Heat Pumps don't pay us
    anything", the name's first words just before the span)."""
    first = span.split(" ", 1)[0]
    if first in _OTHER_PARTIES:
        return True
    installer = facts.get("installer") if facts else None
    if not isinstance(installer, str):
        return False
    name = normalise(installer).split()
    if first not in name:
        return False
    lead = " ".join(name[: name.index(first)])
    if not lead:
        return True  # the name's first word opens the span
    return before == lead or before.endswith(f" {lead}")


# An agent reply that opens by agreeing with what the customer just said.
_AGREES = re.compile(
    r"^(?:yes|yeah|yep|yup|exactly|correct|precisely|indeed|absolutely|spot on|that's right|"
    r"that is right|that's it|you've got it|you got it|right|quite right|that's correct|"
    r"that is correct|bang on|100)\b"
)

# A courtesy before the answer ("Great question! Yes, that's right"), skipped to find it.
_PLEASANTRY = re.compile(
    r"^(?:(?:great|good|fair|excellent|brilliant|lovely) (?:question|point|shout|one)|"
    r"(?:thanks|thank you|cheers)(?: \w+){0,3}|(?:hi|hello|hey)(?: \w+)?|ah|oh|ok|okay)$"
)


def _agreed(
    turn: AgentTurn,
    phrases: list[str],
    patterns: tuple[re.Pattern[str], ...],
    unless: tuple[str, ...],
) -> dict[str, Any] | None:
    """The customer's contrary claim, when the agent's reply opens by agreeing with it
    ("so you don't get anything out of it?" / "Exactly!"): the agent has said it too."""
    told = sentences(turn.text)
    opening = next((s for s in told[:3] if not _PLEASANTRY.match(s.norm)), None)
    if not turn.customer or opening is None or not _AGREES.match(opening.norm):
        return None
    for match in find_matches(turn.customer, phrases, patterns=patterns):
        if match.negated_by is not None or match.reading.kind in ("hypothetical", "quoted"):
            continue
        quote = normalise(match.quote)
        if any(next(bounded_starts(u, quote), -1) >= 0 for u in unless if u):
            continue
        return {
            "turn": turn.index,
            "phrase": match.span,
            "quote": f'{opening.text} (agreeing with the customer: "{match.quote}")',
            "kind": "agreed",
            "firm": True,
        }
    return None
