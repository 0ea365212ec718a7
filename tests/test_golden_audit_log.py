"""Audit logs: the shipped example reproduces the demo corpus; bad logs get precise messages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from harness.corpus.cases import Turn
from harness.corpus.files import iter_cases
from harness.golden.export import export_audit_log
from harness.golden.importers import detect_format, import_cases, import_files

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpus" / "demo"
EXAMPLE = ROOT / "corpus" / "examples" / "demo-audit-log.jsonl.gz"


def test_importing_the_shipped_audit_log_reproduces_the_demo_corpus(tmp_path: Path) -> None:
    report = import_files([EXAMPLE], tmp_path / "demo.parquet", redaction=None)
    assert report.formats == {str(EXAMPLE): "audit-log"}
    assert report.rejects == [] and report.notices == []
    demo = sorted(iter_cases([DEMO]), key=lambda c: c.case_id)
    imported = sorted(iter_cases([tmp_path / "demo.parquet"]), key=lambda c: c.case_id)
    assert len(imported) == 640
    assert imported == demo


def test_the_shipped_example_is_the_exporters_output_for_the_demo(tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl.gz"
    lines = export_audit_log(list(iter_cases([DEMO])), out)
    fresh = gzip.decompress(out.read_bytes())
    assert fresh == gzip.decompress(EXAMPLE.read_bytes()), (
        "corpus/examples/demo-audit-log.jsonl.gz is stale; regenerate it with "
        "`harness corpus export corpus/demo --out corpus/examples/demo-audit-log.jsonl.gz`"
    )
    assert len(fresh.splitlines()) == lines
    first = json.loads(fresh.splitlines()[0])
    assert first == {
        "ts": "2026-09-01T09:26:45Z",
        "session_id": "pos-0001",
        "type": "session_start",
        "source": "brightwell-chat-export",
        "tags": {
            "product": "battery",
            "channel": "online",
            "hurried": "no",
            "vulnerable": "no",
            "asks_cost": "no",
            "outcome": "eligibility_only",
        },
    }


def _log(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _msg(ts: str, session: str, sender: str, text: str) -> dict[str, object]:
    return {"ts": ts, "session_id": session, "type": "message", "sender": sender, "text": text}


def test_lines_out_of_order_are_reordered_by_timestamp_and_reported(tmp_path: Path) -> None:
    path = _log(
        tmp_path / "log.jsonl",
        [
            _msg("2026-09-01T10:00:00Z", "s1", "customer", "Hi, can I get finance?"),
            {
                "ts": "2026-09-01T10:00:30Z",
                "session_id": "s1",
                "type": "event",
                "event": "eligibility_check",
            },
            _msg("2026-09-01T10:00:15Z", "s1", "agent", "We're a credit broker."),
            _msg("2026-09-01T10:00:00+01:00", "s2", "user", "Hello"),
        ],
    )
    assert detect_format(path) == "audit-log"
    report = import_cases([path])
    assert [str(n.where) for n in report.notices] == [f"{path} line 3"]
    assert report.notices[0].message == (
        "session 's1': timestamp 2026-09-01T10:00:15+00:00 is earlier than line 2 "
        "(2026-09-01T10:00:30+00:00); the session's lines were put in timestamp order"
    )
    s1, s2 = report.cases
    assert s1.turns == (
        Turn(role="customer", text="Hi, can I get finance?"),
        Turn(role="agent", text="We're a credit broker."),
        Turn(role="event", event="eligibility_check"),
    )
    assert s1.recorded_at is not None and s1.recorded_at.isoformat() == "2026-09-01T10:00:00+00:00"
    assert s1.source == "log"
    assert s2.recorded_at is not None and s2.recorded_at.isoformat() == "2026-09-01T09:00:00+00:00"


def test_a_bad_line_rejects_its_session_only(tmp_path: Path) -> None:
    path = _log(
        tmp_path / "log.jsonl",
        [
            _msg("2026-09-01T10:00:00Z", "s1", "customer", "Hi"),
            _msg("not a time", "s1", "agent", "Hello"),
            {"ts": "2026-09-01T10:01:00Z", "session_id": "s1", "type": "typing"},
            _msg("2026-09-01T10:00:00Z", "s2", "customer", "Hi"),
            {"ts": "2026-09-01T10:00:05Z", "type": "message", "sender": "agent", "text": "?"},
            _msg("2026-09-01T10:00:09Z", "s2", "supervisor", "Hi"),
        ],
    )
    report = import_cases([path], redaction=None)
    assert report.cases == []
    assert [(r.line, r.reason) for r in report.rejects] == [
        (5, "no 'session_id': every line needs its session id (--map session_id=FIELD names it)"),
        (
            2,
            "field 'ts' is 'not a time', not a timestamp; use ISO 8601 such as "
            "2026-09-01T14:28:42Z, or epoch seconds",
        ),
        (
            3,
            "unknown type 'typing'; known: session_start, attributes, message, event, qa_label, "
            "session_end (list types to skip with --map skip_types=TYPE,...)",
        ),
        (1, "session 's1' not imported: its line(s) 2, 3 were rejected; fix them and import again"),
        (
            6,
            "'sender' is 'supervisor'; a message comes from the customer or the agent (map "
            "other names with --map roles=supervisor:agent)",
        ),
        (4, "session 's2' not imported: its line(s) 6 were rejected; fix them and import again"),
    ]
