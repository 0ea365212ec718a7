"""How the offline agent varies approved wording without changing what it conveys.

Real agents rarely recite a disclosure word for word. These variations are the kind a
compliance team accepts (and lists among a key fact's phrasings): contractions switched
("we are" / "we're"), and a short lead-in before the wording. Facts and figures are never
touched.

>>> import random
>>> toggle_contractions("We are a credit broker. It won't affect your score.")
"We're a credit broker. It will not affect your score."
>>> with_lead_in("We're a broker.", "Just so you know, ")
"Just so you know, we're a broker."
"""

from __future__ import annotations

import random
import re

_CONTRACTIONS = (
    ("we are", "we're"),
    ("we will", "we'll"),
    ("will not", "won't"),
    ("does not", "doesn't"),
    ("do not", "don't"),
    ("cannot", "can't"),
    ("it is", "it's"),
    ("there is", "there's"),
    ("i am", "i'm"),
    ("they will", "they'll"),
    ("you would", "you'd"),
)
LEAD_INS = ("Just so you know, ", "Before we go any further, ", "Importantly, ", "Please note, ")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


_COUNTERPART = {a: b for pair in _CONTRACTIONS for a, b in (pair, pair[::-1])}
_FORMS = re.compile(
    r"\b(" + "|".join(re.escape(f) for f in sorted(_COUNTERPART, key=len, reverse=True)) + r")\b",
    flags=re.IGNORECASE,
)


def toggle_contractions(text: str) -> str:
    """Contract every long form in ``text`` and expand every short form, keeping capitals.

    Both directions in one pass, so wording that mixes the two still changes.
    """

    def swap(match: re.Match[str]) -> str:
        found = match.group(0)
        other = _COUNTERPART[found.lower()]
        if found[0].isupper():
            return other[0].upper() + other[1:]
        return other

    return _FORMS.sub(swap, text)


def with_lead_in(text: str, lead_in: str) -> str:
    """``lead_in`` before ``text``, lower-casing its first letter unless that is "I"."""
    first_word = text.split(" ", 1)[0]
    if first_word in ("I", "I'm", "I've", "I'll") or not text:
        return lead_in + text
    return lead_in + text[0].lower() + text[1:]


def paraphrase(text: str, rng: random.Random, *, avoid: set[str] | None = None) -> str:
    """One accepted variation of ``text``: contractions switched, a lead-in, or both.

    Lead-ins in ``avoid`` (those already used in the same reply) are not repeated, and
    wording that opens with a label ("Representative example: ...") gets none.
    """
    avoid = avoid if avoid is not None else set()
    choice = rng.randrange(3)
    lead_ins = [lead for lead in LEAD_INS if lead not in avoid]
    labelled = ":" in text[:25]
    if choice == 0 or labelled or not lead_ins:
        return toggle_contractions(text)
    lead_in = rng.choice(lead_ins)
    avoid.add(lead_in)
    return with_lead_in(toggle_contractions(text) if choice == 2 else text, lead_in)


def truncate(text: str) -> str:
    """``text`` without its last sentence (a half-remembered disclosure); "" if one sentence."""
    sentences = _SENTENCE_END.split(text)
    return " ".join(sentences[:-1])
