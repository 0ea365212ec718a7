"""Exporting cases as a production audit log: the inverse of the audit-log importer.

The shipped example ``corpus/examples/demo-audit-log.jsonl.gz`` is the demo corpus written
this way; importing it gives back the demo's cases, which a test checks. Each message or
event is one line, 15 seconds after the one before; a reviewer's golden labels follow as
``qa_label`` lines two days later. The output is byte-for-byte reproducible (gzip without a
timestamp).

>>> export_audit_log(list(iter_cases(["corpus/demo"])), Path("log.jsonl"))  # doctest: +SKIP
9131
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.corpus.cases import Case

STEP = timedelta(seconds=15)
REVIEW_DELAY = timedelta(days=2)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def audit_log_lines(case: Case) -> Iterator[dict[str, Any]]:
    """The audit-log lines of one case, in time order."""
    start = case.recorded_at or _EPOCH
    base = {"session_id": case.case_id}
    yield {
        "ts": _ts(start),
        **base,
        "type": "session_start",
        "source": case.source,
        "tags": case.tags,
    }
    if case.facts:
        yield {"ts": _ts(start), **base, "type": "attributes", "attributes": case.facts}
    at = start
    for turn in case.turns:
        at += STEP
        if turn.role == "event":
            yield {"ts": _ts(at), **base, "type": "event", "event": turn.event}
        else:
            yield {"ts": _ts(at), **base, "type": "message", "sender": turn.role, "text": turn.text}
    yield {"ts": _ts(at + STEP), **base, "type": "session_end"}
    for label in case.labels:
        yield {"ts": _ts(start + REVIEW_DELAY), **base, "type": "qa_label", **label.model_dump()}


def export_audit_log(cases: Sequence[Case], out: Path) -> int:
    """Write ``cases`` as audit-log JSON Lines to ``out`` (gzip when it ends in ``.gz``).

    Returns the number of lines written.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        for case in cases
        for line in audit_log_lines(case)
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if out.suffix == ".gz":
        # mtime=0 and no file name in the header: the same cases give the same bytes.
        data = gzip.compress(data, compresslevel=9, mtime=0)
    out.write_bytes(data)
    return len(lines)
