"""Importing a production audit log: one JSON line per message or event, grouped by session.

Each line names its session, its time and its type. Lines are grouped into one case per
session and ordered by timestamp (lines with equal times keep their file order). A line
that is earlier than one before it in the file is reported as a notice, with both lines,
and put in its place. The line types:

``session_start``  ``source`` and ``tags`` (segments) of the conversation
``attributes``     ``attributes``: case facts (merged; a later value wins)
``message``        ``sender`` (customer or agent, or a mapped role) and ``text``
``event``          ``event``: a platform event such as ``offer_presented``
``qa_label``       a reviewer's golden label: ``disclosure_id``, ``applicable``,
                   ``presented``, ``note``
``session_end``    closes the conversation (nothing to import)

A bad line rejects its whole session, because a conversation with a message missing would
replay wrongly; the reject names the line and why. Types listed in the mapping's
``skip_types`` (typing indicators, heartbeats) are skipped on purpose.

>>> items = read_jsonl(Path("corpus/examples/demo-audit-log.jsonl.gz"))  # doctest: +SKIP
>>> found = list(audit_log_cases(items, ColumnMapping(), notices=[]))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.golden.importers.base import (
    ColumnMapping,
    Imported,
    Notice,
    RowProblem,
    build_case,
    fact_value,
    parse_timestamp,
    tag_value,
)
from harness.golden.importers.records import Record, Reject

LINE_TYPES = ("session_start", "attributes", "message", "event", "qa_label", "session_end")


@dataclass
class _Session:
    file: Path
    session_id: str
    lines: list[tuple[datetime, Record]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def audit_log_cases(
    items: Iterable[Record | Reject], mapping: ColumnMapping, *, notices: list[Notice]
) -> Iterator[Imported | Reject]:
    """Cases from audit-log lines; out-of-order lines are added to ``notices``."""
    sessions: dict[str, _Session] = {}
    for item in items:
        if isinstance(item, Reject):
            yield item  # unreadable: we cannot even tell its session
            continue
        session_id = item.data.get(mapping.session_id)
        if session_id in (None, ""):
            yield Reject(
                item.file,
                item.line,
                f"no '{mapping.session_id}': every line needs its session "
                "id (--map session_id=FIELD names it)",
                item.data,
            )
            continue
        session = sessions.setdefault(str(session_id), _Session(item.file, str(session_id)))
        try:
            at = parse_timestamp(item.data.get(mapping.timestamp), mapping.timestamp)
            kind = item.data.get(mapping.type)
            if kind in mapping.skip_types:
                continue
            if kind not in LINE_TYPES:
                raise RowProblem(
                    f"unknown {mapping.type} {kind!r}; known: {', '.join(LINE_TYPES)} "
                    "(list types to skip with --map skip_types=TYPE,...)"
                )
        except RowProblem as exc:
            session.rejects.append(Reject(item.file, item.line, str(exc), item.data))
            continue
        session.lines.append((at, item))
    for session in sessions.values():
        yield from _session_case(session, mapping, notices)


def _session_case(
    session: _Session, mapping: ColumnMapping, notices: list[Notice]
) -> Iterator[Imported | Reject]:
    latest: tuple[datetime, Record] | None = None
    for at, record in session.lines:
        if latest is not None and at < latest[0]:
            notices.append(
                Notice(
                    record.where,
                    f"session '{session.session_id}': timestamp {at.isoformat()} is earlier "
                    f"than line {latest[1].line} ({latest[0].isoformat()}); the session's "
                    "lines were put in timestamp order",
                )
            )
        if latest is None or at >= latest[0]:
            latest = (at, record)
    ordered = sorted(session.lines, key=lambda pair: (pair[0], pair[1].line))
    row: dict[str, Any] = {
        "case_id": session.session_id,
        "tags": {},
        "facts": {},
        "turns": [],
        "labels": [],
    }
    for _, record in ordered:
        try:
            _apply(row, record.data, mapping)
        except RowProblem as exc:
            session.rejects.append(Reject(record.file, record.line, str(exc), record.data))
    first = min(session.lines, key=lambda p: p[1].line)[1] if session.lines else None
    if session.rejects:
        yield from session.rejects
        if session.lines:
            lines = ", ".join(str(r.line) for r in session.rejects)
            yield Reject(
                session.file,
                first.line if first else None,
                f"session '{session.session_id}' not imported: its line(s) {lines} were "
                "rejected; fix them and import again",
            )
        return
    if first is None:
        return
    row["recorded_at"] = ordered[0][0]
    row["source"] = row.get("source") or mapping.source_value or session.file.name.split(".")[0]
    try:
        case = build_case(row)
    except RowProblem as exc:
        yield Reject(session.file, first.line, f"session '{session.session_id}': {exc}")
        return
    records = sorted((pair[1] for pair in session.lines), key=lambda record: record.line)
    yield Imported(case, first.file, first.line, raw=[record.data for record in records])


def _apply(row: dict[str, Any], data: dict[str, Any], mapping: ColumnMapping) -> None:
    """Add one line's content to the case being built."""
    kind = data.get(mapping.type)
    if kind == "session_start":
        if data.get("source"):
            row["source"] = str(data["source"])
        tags = data.get("tags") or {}
        if not isinstance(tags, dict):
            raise RowProblem("'tags' must be an object of name → value")
        row["tags"].update({str(k): tag_value(v) for k, v in tags.items()})
    elif kind == "attributes":
        attributes = data.get("attributes")
        if not isinstance(attributes, dict):
            raise RowProblem("an attributes line needs 'attributes': an object of facts")
        row["facts"].update({str(k): fact_value(str(k), v) for k, v in attributes.items()})
    elif kind == "message":
        sender = str(data.get(mapping.sender, ""))
        role = mapping.roles.get(sender)
        if role not in ("customer", "agent"):
            raise RowProblem(
                f"'{mapping.sender}' is {sender!r}; a message comes from the customer or the "
                f"agent (map other names with --map roles={sender or 'NAME'}:agent)"
            )
        text = data.get(mapping.text or "text")
        if not isinstance(text, str):
            raise RowProblem(f"a message needs '{mapping.text or 'text'}' (text)")
        row["turns"].append({"role": role, "text": text, "event": None})
    elif kind == "event":
        name = data.get("event")
        if not isinstance(name, str) or not name.strip():
            raise RowProblem("an event line needs 'event': the event name, e.g. offer_presented")
        row["turns"].append({"role": "event", "text": None, "event": name})
    elif kind == "qa_label":
        missing = [k for k in ("disclosure_id", "applicable", "presented") if k not in data]
        if missing:
            raise RowProblem(f"a qa_label line needs {', '.join(repr(m) for m in missing)}")
        row["labels"].append(
            {k: data.get(k) for k in ("disclosure_id", "applicable", "presented", "note")}
        )
