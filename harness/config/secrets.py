"""Secrets out of everything the harness writes and prints, even in part.

A provider's key is held by its adapter (read from the environment variable the scenario
names). A server may echo it, whole or cut short, in an error body, a header or an answer,
and text from anywhere may hold credentials of the usual shapes. A :class:`Scrubber`
replaces, with ``[redacted]``:

* every run of :data:`MIN_RUN` (8) or more characters of a known key, wherever it starts
  or ends in the key (a key echoed "minus its last characters", or without its prefix);
* the usual credential shapes, key or no key: ``sk-ant-...``, ``sk-...``,
  ``Bearer ...``, ``x-api-key: ...``.

The call runner scrubs every answer and error before anything else sees them (so the
cache, the call journal and the parts never hold a key), the part writer scrubs the rows
it writes, and the console scrubs what is printed.

>>> scrubber = Scrubber(["sk-ant-api03-Zq8xPLmR4vT2wK9sJ6hN"])
>>> scrubber.scrub("HTTP 401: key ZPLmR4vT2wK9sJ6 refused; Bearer abc.def-123456")
'HTTP 401: key Z[redacted] refused; Bearer [redacted]'
>>> scrubber.scrub("the answer: 9.9% APR over 10 years")
'the answer: 9.9% APR over 10 years'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The shortest run of a key's characters that is scrubbed wherever it appears.
MIN_RUN = 8
REDACTED = "[redacted]"
#: Credential shapes, scrubbed whatever the key: the value, keeping what names it.
_SHAPES = re.compile(
    r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{8,}"
    r"|(?i:(bearer\s+))[A-Za-z0-9._~+/\-]{8,}=*"
    r"|(?i:(x-api-key[\"']?\s*[:=]\s*[\"']?))[^\s\"',;]{4,}"
)
#: Anything shorter is not a key worth matching in runs (it would match ordinary words).
_MIN_KEY = 12


class Scrubber:
    """Scrubs known keys (any run of 8+ of their characters) and credential shapes.

    Keys shorter than 12 characters are kept whole only (``"sk-test"`` would otherwise
    redact ordinary text). The keys themselves never appear in its ``repr``.
    """

    __slots__ = ("_blocks", "_grams", "_whole")

    def __init__(self, keys: Iterable[str | None] = ()) -> None:
        self._whole = tuple(dict.fromkeys(k.strip() for k in keys if k and k.strip()))
        long = [key for key in self._whole if len(key) >= _MIN_KEY]
        self._grams = tuple(
            dict.fromkeys(key[i : i + MIN_RUN] for key in long for i in range(len(key) - 7))
        )
        # Any run of 8 characters of a key holds one of its 4-character blocks that start at
        # a multiple of 4: the cheap test that most text fails.
        self._blocks = tuple(
            dict.fromkeys(key[i : i + 4] for key in long for i in range(0, len(key) - 3, 4))
        )

    def __repr__(self) -> str:
        return f"Scrubber({len(self._whole)} keys)"

    def scrub(self, text: str) -> str:
        """``text`` without any run of 8+ characters of a key, or a credential shape."""
        if _may_hold_shape(text):  # first: a shape is scrubbed whole, label kept
            text = _SHAPES.sub(_named, text)
        for key in self._whole:
            if key in text:
                text = text.replace(key, REDACTED)
        if self._blocks and any(block in text for block in self._blocks):
            text = self._scrub_runs(text)
        return text

    def scrub_optional(self, text: str | None) -> str | None:
        """:meth:`scrub` for a field that may be empty."""
        return None if text is None else self.scrub(text)

    def _scrub_runs(self, text: str) -> str:
        covered = [False] * len(text)
        found = False
        for gram in self._grams:
            start = text.find(gram)
            while start != -1:
                found = True
                covered[start : start + MIN_RUN] = [True] * MIN_RUN
                start = text.find(gram, start + 1)
        if not found:
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            if covered[i]:
                while i < len(text) and covered[i]:
                    i += 1
                out.append(REDACTED)
            else:
                out.append(text[i])
                i += 1
        return "".join(out)


def _may_hold_shape(text: str) -> bool:
    """False only when no credential shape can match: the cheap test most text fails.

    ``sk-…`` and ``x-api-key`` each need a hyphen; ``bearer`` matches only the ASCII
    letters of its two cases (no other character folds to b, e, a or r), which ``lower``
    maps to themselves, so a text without the word in lower case has no bearer token.
    """
    return "-" in text or "bearer" in text.lower()


def _named(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2) or "") + REDACTED
