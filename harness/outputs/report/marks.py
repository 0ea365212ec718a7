"""Evidence marks in a turn's text, with the personal data redacted around and inside them.

Evidence quotes normalised text (see :func:`harness.config.phrases.normalise`);
:func:`mark_intervals` finds each quote back in the text as said. :func:`redacted_segments`
then cuts the text at both the marks and the redactions
(:func:`harness.config.redaction.find_personal_data`), so a highlight that holds a name shows
``[NAME]``, still highlighted, and never the name.

>>> segments = mark_spans("Yes, we're a Credit Broker.", ["we're a credit broker"])
>>> [(s.text, s.marked) for s in segments]
[('Yes, ', False), ("we're a Credit Broker", True), ('.', False)]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.config.redaction import Redaction, RedactionPolicy, redact


@dataclass(frozen=True)
class Segment:
    """A piece of a turn's text; ``marked`` when the evidence quotes it."""

    text: str
    marked: bool


def mark_intervals(text: str, spans: Iterable[str]) -> list[tuple[int, int]]:
    """Where each (normalised) span occurs in ``text``: sorted, merged ``(start, end)`` pairs.

    Spans come normalised by :func:`harness.config.phrases.normalise` (lower case, punctuation
    folded), so each is matched back loosely: any case, any punctuation or spacing between its
    words, curly or straight apostrophes, thousands separators. A span not found is not marked.
    """
    intervals = sorted(
        (m.start(), m.end())
        for span in spans
        if (pattern := _span_pattern(span)) is not None
        for m in pattern.finditer(text)
    )
    merged: list[tuple[int, int]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def mark_spans(text: str, spans: Iterable[str]) -> list[Segment]:
    """Split ``text`` into segments, marking where each (normalised) span occurs."""
    return redacted_segments(text, mark_intervals(text, spans), [])


def redacted_segments(
    text: str, marks: Sequence[tuple[int, int]], redactions: Sequence[Redaction]
) -> list[Segment]:
    """``text`` cut into marked and unmarked segments, each redaction replaced by its placeholder.

    Marks were found in the original text; a placeholder is marked when any of the text it
    replaces was, so redacting never drops a highlight and a highlight never shows what
    was redacted.
    """
    cuts = {0, len(text)}
    for start, end in marks:
        cuts |= {start, end}
    for r in redactions:
        cuts |= {r.start, r.end}
    points = sorted(c for c in cuts if 0 <= c <= len(text))

    def marked(start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in marks)

    pieces: list[Segment] = []
    queue = list(redactions)
    for start, end in itertools.pairwise(points):
        while queue and queue[0].end <= start:
            queue.pop(0)
        if queue and queue[0].start <= start < queue[0].end:
            r = queue[0]
            if start == r.start:  # the placeholder once, marked if any of it was
                pieces.append(Segment(r.placeholder, marked(r.start, r.end)))
            continue
        pieces.append(Segment(text[start:end], marked(start, end)))
    segments: list[Segment] = []
    for piece in pieces:
        if segments and segments[-1].marked == piece.marked:
            segments[-1] = Segment(segments[-1].text + piece.text, piece.marked)
        elif piece.text:
            segments.append(piece)
    return segments or [Segment("", marked=False)]


def _span_pattern(span: str) -> re.Pattern[str] | None:
    words = span.split()
    if not words:
        return None
    parts = []
    for word in words:
        chars = []
        for i, char in enumerate(word):
            if char == "'":
                chars.append("['\u2019]")
            else:
                chars.append(re.escape(char))
                if char.isdigit() and i + 1 < len(word) and word[i + 1].isdigit():
                    chars.append(",?")
        parts.append("".join(chars))
    return re.compile(r"[^\w%£]+".join(parts), re.IGNORECASE)


def loose_redact(item: Any, policy: RedactionPolicy, names: Sequence[str]) -> Any:
    """Every string in ``item`` (evidence: dicts, lists, strings) redacted.

    Evidence quotes normalised (lower-cased) text, so names and postcodes match in any case.
    """
    if isinstance(item, str):
        return redact(item, policy, names=names, loose=True)
    if isinstance(item, dict):
        return {k: loose_redact(v, policy, names) for k, v in item.items()}
    if isinstance(item, list | tuple):
        return [loose_redact(v, policy, names) for v in item]
    return item
