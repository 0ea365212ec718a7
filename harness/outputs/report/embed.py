"""The complete list of failing cases, embedded in the report for its script to page through.

A run of 100,000 cases can have tens of thousands of failing cases: the report renders the
first ones as HTML and embeds every one in a single ``<script type="application/json">``
data block, which the page's script filters and renders page by page (with ``textContent``
only). The block holds:

* ``cases``: one compact row per failing case, in report order (newly failing first):
  anchor, case id, repeat, tag set, failures (criterion, status, reason), flips, and whether
  the case is already rendered as HTML (the first ``html`` rows);
* ``chunks``: the details of the cases not rendered as HTML (redacted transcript, marks,
  notes, evidence lines, the baseline's turns and verdicts), ``chunk`` cases per chunk,
  each gzip-compressed JSON in base64, unpacked by the browser's ``DecompressionStream``
  only when a page needs it. Chunks stop after ``DETAIL_CASES`` cases, or when the block
  would pass ``budget`` bytes; cases past that keep their row (searchable, filterable) and
  the page says their transcript is in the run database. Rows take about 60 bytes a case,
  so the budget holds the row of every case the report takes.

Every ``<``, ``>`` and ``&`` is written as a JSON ``\\u`` escape, so no case text can close
the element (``</script>``) or open a comment (``<!--``).

>>> data_block({"x": "</script><!--"})
'{"x":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.outputs.report.evidence import Inline
from harness.outputs.report.marks import Segment
from harness.outputs.report.views import CaseSummary, CaseView, FailingCase

#: Cases per compressed chunk: one page of the script's list is one or two chunks.
CHUNK_CASES = 50
#: The most bytes the data block takes: every case's row, then details while they fit.
BLOCK_BUDGET = 16_000_000
#: The most cases whose details are embedded: building one (redaction, marks, evidence)
#: takes about a millisecond, so this bounds the report's share of a large run's time.
DETAIL_CASES = 2_000
STATUSES = ("failed", "error", "not_run", "review")


@dataclass(frozen=True)
class Embedded:
    """The data block's JSON text and what it holds."""

    text: str
    cases: int
    detailed: int  # cases past the HTML ones whose details are embedded
    segments: list[tuple[str, str]]  # every (tag, value) of the cases, sorted


def data_block(item: Any) -> str:
    """``item`` as compact JSON safe inside ``<script type="application/json">``."""
    text = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def embed_cases(
    cases: Sequence[FailingCase],
    *,
    html: int,
    view: Callable[[FailingCase], CaseView],
    summary: Callable[[FailingCase], CaseSummary],
    anchor: Callable[[FailingCase], str],
    criteria: Sequence[str],
    meta: Mapping[str, Any] | None = None,
    budget: int = BLOCK_BUDGET,
    chunk: int = CHUNK_CASES,
    detail_cases: int = DETAIL_CASES,
) -> Embedded:
    """The data block for ``cases``; the first ``html`` are already rendered as HTML.

    Every case gets its row; then the details of the cases past ``html`` are added, chunk by
    chunk, while the block stays within ``budget`` bytes and ``detail_cases`` cases. ``view``
    builds a case's redacted view (called only for the cases whose details fit), ``summary``
    its redacted tags and reasons, ``anchor`` its HTML id. ``criteria`` fixes the order
    criteria are numbered in; ``meta`` is passed to the script as it is (repeats, the noun
    for criteria, status words).
    """
    names = list(criteria)
    numbers = {c: i for i, c in enumerate(names)}
    tagsets: dict[tuple[tuple[str, str], ...], int] = {}
    strings: dict[str, int] = {"": 0}

    def number(name: str) -> int:
        if name not in numbers:
            numbers[name] = len(names)
            names.append(name)
        return numbers[name]

    rows = []
    for i, case in enumerate(cases):
        brief = summary(case)
        # Cases on the page as HTML are searched through their article's own text.
        reasons = brief.reasons if i >= html else [""] * len(case.failures)
        rows.append(
            [
                anchor(case),
                case.case_id,
                case.repeat,
                tagsets.setdefault(tuple(brief.tags), len(tagsets)),
                [
                    [number(f["criterion"]), STATUSES.index(f["status"]), _index(strings, r)]
                    for f, r in zip(case.failures, reasons, strict=True)
                ],
                [
                    [number(c), 1 if d == "pass_to_fail" else 0]
                    for c, d in sorted(case.flips.items())
                ],
            ]
        )
    segments = sorted({pair for tags in tagsets for pair in tags})
    block: dict[str, Any] = {
        "meta": dict(meta or {}),
        "html": min(html, len(cases)),
        "chunk": chunk,
        "criteria": names,
        "statuses": list(STATUSES),
        "tagsets": [[list(t) for t in tags] for tags in tagsets],
        "segments": [list(pair) for pair in segments],
        "strings": list(strings),
        "cases": rows,
        "chunks": [],
    }
    spent = len(data_block(block).encode("utf-8"))
    lazy = list(cases[html:])
    for start in range(0, min(len(lazy), detail_cases), chunk):
        details = [_details(view(case)) for case in lazy[start : start + chunk]]
        raw = json.dumps(details, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        packed = base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")
        if spent + len(packed) + 3 > budget:  # 3: the quotes and comma around it
            break
        block["chunks"].append(packed)
        spent += len(packed) + 3
    return Embedded(
        text=data_block(block),
        cases=len(cases),
        detailed=min(len(block["chunks"]) * chunk, len(lazy)),
        segments=segments,
    )


def _index(strings: dict[str, int], text: str) -> int:
    return strings.setdefault(text, len(strings))


def _line(parts: list[Inline]) -> list[Any]:
    return [p.text if p.turn is None else [p.text, p.turn] for p in parts]


def _segments(segments: Sequence[Segment]) -> list[str]:
    """Alternating unmarked and marked text, starting unmarked (possibly empty)."""
    out: list[str] = []
    for s in segments:
        if (len(out) % 2 == 1) != s.marked:
            out.append("")
        out.append(s.text)
    return out


def _details(cv: CaseView) -> list[Any]:
    """One case's details for the script: see the module docstring for the layout."""
    turns = []
    for row in cv.rows:
        t = row.turn
        entry: list[Any] = [t.role, t.event, _segments(t.segments), t.notes]
        if row.baseline is not None:
            b = row.baseline
            entry += [_segments(b.segments), b.notes, 1 if row.changed else 0]
        turns.append(entry)
    return [
        cv.facts,
        cv.error,
        [
            [
                f.criterion,
                f.status,
                [[i.label, 1 if i.listed else 0, [_line(x) for x in i.lines]] for i in f.items],
            ]
            for f in cv.failures
        ],
        turns,
        [[v.criterion, v.baseline, v.now, v.change] for v in cv.verdicts],
        [1 if cv.compared else 0, 1 if cv.in_baseline else 0, cv.baseline_error],
    ]
