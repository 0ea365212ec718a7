"""An agent turn cut into sentences and clause pieces, normalised, with its quoted pieces.

Each line of a list or table is its own sentence; a sentence ends at ``.``, ``!``, ``?``,
``;`` or ``:``, also when emphasis or a quote closes it, but not inside a table row.
:func:`figure_sentences` cuts the same text for reading figures, keeping a label with its
figure. :mod:`harness.scoring.statements` reads what kind of statement a position in a
sentence is.

>>> [s.norm for s in sentences("**Did you know we're a broker?** Most people don't.")]
["did you know we're a broker", "most people don't"]
>>> sentences("**Did you know we're a broker?** Most people don't.")[0].question
True
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from harness.config.phrases import normalise, words_to_figures

_LINE = re.compile(r"\n+")
# What may close a sentence after its mark: markdown emphasis, a quote, a bracket.
_CLOSERS = "*_)\"'\u201d\u2019"


def _ends_at(marks: str) -> str:
    """A lookbehind for the end of a sentence: one of ``marks``, or ``.``, ``!``, ``?`` or
    ``;`` closed by emphasis, a quote or a bracket ("**did you know we're a broker?** Lots
    of people don't."). A colon is never closed that way: ``**APR:** 9.9%`` is a label and
    its figure."""
    closers = re.escape(_CLOSERS)
    return rf"(?:(?<=[{re.escape(marks)}])|(?<=[.!?;][{closers}])|(?<=[.!?;][*_]{{2}}))"


# Not inside a table row: "| **Do we lend you the money?** | No |" is one question and its answer.
_SENTENCE_END = re.compile(_ends_at(".!?;:") + r"\s+(?!\|)")
_CLAUSE_BREAK = re.compile(r",\s+|\s+[\u2013\u2014-]\s+|[()]")
# A quotation: three words or more in quotation marks ("hard" in scare quotes is not one).
_QUOTED = re.compile(
    r"\"[^\"\n]*?\w+\W+\w+\W+\w[^\"\n]*?\"|\u201c[^\u201d\n]*?\w+\W+\w+\W+\w[^\u201d\n]*?\u201d"
    r"|\u2018[^\u2019\n]*?\w+\W+\w+\W+\w[^\u2019\n]*?\u2019|(?<![\w'])'[^'\n]*?\w+\s+\w+\s+\w[^'\n]*?'(?![\w'])"
)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence as said and normalised, with its clause pieces and quoted pieces."""

    text: str  # as said
    norm: str  # normalised, clause pieces joined by one space
    clause_starts: tuple[int, ...]  # offsets in ``norm`` where each clause piece starts
    quoted: tuple[tuple[int, int], ...]  # [start, end) in ``norm`` of quoted pieces
    question: bool  # it ends with a question mark

    def clause_at(self, start: int) -> int:
        """The index of the clause piece that holds ``norm[start]``."""
        return max((i for i, s in enumerate(self.clause_starts) if s <= start), default=0)

    def clause_text(self, index: int) -> str:
        end = (
            self.clause_starts[index + 1] - 1
            if index + 1 < len(self.clause_starts)
            else len(self.norm)
        )
        return self.norm[self.clause_starts[index] : end]


@functools.lru_cache(maxsize=8192)
def sentences(text: str) -> tuple[Sentence, ...]:
    """``text`` split into sentences (each line of a list or table its own), normalised.

    Cached: one agent turn is searched for every key fact of every disclosure.
    """
    found = []
    for line in _LINE.split(text.strip()):
        for raw in _SENTENCE_END.split(line.strip()):
            if raw.strip():
                found.append(_sentence(raw.strip()))
    return tuple(found)


_FIGURE_SENTENCE_END = re.compile(_ends_at(".!?;") + r"\s+(?!\d)")


@functools.lru_cache(maxsize=8192)
def figure_sentences(text: str) -> tuple[Sentence, ...]:
    """As :func:`sentences`, for reading figures: a label and its figure stay together.

    A colon does not end the sentence ("**APR:** 9.9%"), a line that ends with one
    ("- You'd borrow:") is joined to the next line, which holds its figure, and a table row
    of figures under a header row becomes one "header: figure" sentence per cell.
    """
    lines = _table_cells([line.strip() for line in _LINE.split(text.strip()) if line.strip()])
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1].rstrip("*_ ").endswith(":") and len(line) <= 80:
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return tuple(
        _sentence(raw.strip())
        for line in joined
        for raw in _FIGURE_SENTENCE_END.split(line)
        if raw.strip()
    )


_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table_cells(lines: list[str]) -> list[str]:
    """A markdown table whose rows hold only figures under a header row ("| APR | Monthly
    |" over "| 11.9% | £116.08 |") as one "header: figure" line per cell, so each figure
    keeps its label; a table whose rows carry their own labels stays as it is."""
    out: list[str] = []
    header: list[str] | None = None
    for index, line in enumerate(lines):
        if not line.startswith("|"):
            header = None
        elif index and _TABLE_RULE.match(line) and lines[index - 1].startswith("|"):
            header = _cells(lines[index - 1])
        elif header is not None:
            cells = _cells(line)
            if len(cells) == len(header) and all(re.search(r"\d", c) for c in cells if c):
                pairs = zip(header, cells, strict=True)
                out.extend(f"{name}: {cell}" for name, cell in pairs if cell)
                continue
        out.append(line)
    return out


def _sentence(raw: str) -> Sentence:
    pieces: list[tuple[str, bool]] = []
    # Number words first, so "eight thousand, two hundred pounds" is not cut at its comma.
    for chunk, quoted in _quote_split(words_to_figures(raw)):
        for piece in _CLAUSE_BREAK.split(chunk):
            norm = normalise(piece)
            if norm:
                pieces.append((norm, quoted))
    starts, quoted_spans, offset = [], [], 0
    for norm, quoted in pieces:
        starts.append(offset)
        if quoted:
            quoted_spans.append((offset, offset + len(norm)))
        offset += len(norm) + 1
    return Sentence(
        text=raw,
        norm=" ".join(p for p, _ in pieces),
        clause_starts=tuple(starts),
        quoted=tuple(quoted_spans),
        question=raw.rstrip(_CLOSERS + " ").endswith("?"),
    )


def _quote_split(raw: str) -> list[tuple[str, bool]]:
    """``raw`` cut into unquoted and quoted chunks, in order."""
    chunks, last = [], 0
    for found in _QUOTED.finditer(raw):
        if found.start() > last:
            chunks.append((raw[last : found.start()], False))
        chunks.append((found.group(0)[1:-1], True))
        last = found.end()
    if last < len(raw):
        chunks.append((raw[last:], False))
    return chunks
