"""Rendering the run report: one self-contained HTML file, no network access when opened.

Model output is untrusted text: the environment autoescapes everything, and the page carries
a Content-Security-Policy that forbids any external resource and every script. The only
inline style is the report's own stylesheet, allowed by its hash.

>>> render_report(data, Path("reports/run-1/report.html"))  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from harness.gate import GateResult
from harness.scoring.summary import ScoringSummary
from harness.templating import report_environment
from harness.text import normalise

TEMPLATES = Path(__file__).parent / "templates"
# The stylesheet is a template file too, so the package data (``*.j2``) ships it.
STYLESHEET = "_styles.css.j2"

# Evidence keys the report lays out itself; any other key a scorer adds is listed as is.
_KNOWN_EVIDENCE = frozenset(
    {"deadline", "facts", "missing", "late", "contradiction", "reason"}
    | {"superseded", "negated", "wrong_figures", "judge", "combined", "rules_reason"}
    | {"certainty", "unsure_because"}
)
# How the disclosure scorer words a deadline that sits on a turn (see scoring/disclosure_rules).
_DEADLINE_TURN = re.compile(r"^before (?P<event>.+) \(turn (?P<turn>\d+)\)$")
_TRIGGER_TURN = re.compile(r"of the trigger at turn (?P<turn>\d+)$")
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True)
class FailingCase:
    """A case with at least one failed or errored criterion, as the report shows it."""

    case_id: str
    repeat: int
    tags: dict[str, str]
    facts: dict[str, Any]
    turns: list[dict[str, Any]]  # {"role", "text", "event"}
    failures: list[dict[str, Any]]  # {"criterion", "status", "evidence" (dict), "error"}
    error: str | None = None

    @classmethod
    def from_store_row(cls, row: dict[str, Any]) -> FailingCase:
        return cls(
            case_id=row["case_id"],
            repeat=row["repeat"],
            tags=json.loads(row["tags"] or "{}"),
            facts=json.loads(row["facts"] or "{}"),
            turns=list(row["turns"] or []),
            failures=[
                {**f, "evidence": json.loads(f["evidence"]) if f["evidence"] else {}}
                for f in row["failures"]
            ],
            error=row["error"],
        )


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows; built by :func:`harness.run.finish_run`."""

    gate: GateResult
    manifest: dict[str, Any]
    failing_cases: list[FailingCase]
    failing_cases_total: int
    call_totals: dict[str, Any] = field(default_factory=dict)
    scoring: ScoringSummary | None = None  # calibration, judge calls, flaky repeats


@dataclass(frozen=True)
class Segment:
    """A piece of a turn's text; ``marked`` when the evidence quotes it."""

    text: str
    marked: bool


@dataclass(frozen=True)
class TurnView:
    """One transcript turn as the report lays it out, with what the evidence says about it."""

    index: int
    role: str
    event: str | None
    segments: list[Segment]
    notes: list[str]  # why the evidence cites this turn, one line per criterion and finding

    @property
    def cited(self) -> bool:
        return bool(self.notes)


@dataclass(frozen=True)
class FactSplit:
    """A criterion's key facts: found before the deadline, or only after it."""

    found: list[dict[str, Any]]
    late: list[dict[str, Any]]


def render_report(data: ReportData, path: Path) -> Path:
    """Write the report for ``data`` to ``path`` and return ``path``."""
    env = report_environment(TEMPLATES)
    env.filters.update(percent=percent, points=points, number=number, when=when, value=value)
    env.globals.update(
        anchor=case_anchor,
        transcript=transcript_view,
        extra_evidence=extra_evidence,
        split_facts=split_facts,
        duration=duration,
    )
    css = env.get_template(STYLESHEET).render()
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    html = env.get_template("report.html.j2").render(
        gate=data.gate,
        manifest=data.manifest,
        failing_cases=data.failing_cases,
        failing_cases_total=data.failing_cases_total,
        calls=data.call_totals,
        scoring=data.scoring,
        # The stylesheet is the report's own file, never case or model text.
        css=Markup(css),
        style_hash=f"sha256-{digest}",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def percent(rate: float | None, places: int = 1) -> str:
    """``0.5`` → ``50.0%``; thresholds use ``places=0`` and keep a needed decimal (97.5%)."""
    if rate is None:
        return "n/a"
    text = f"{rate * 100:.{max(places, 1)}f}"
    if places == 0 and text.endswith(".0"):
        text = text[:-2]
    return f"{text}%"


def points(delta: float | None) -> str:
    """A pass-rate change in percentage points, signed: ``+2.5 pts``, ``−10.0 pts``."""
    if delta is None:
        return "n/a"
    figure = round(delta * 100, 1)
    if figure == 0:
        return "±0.0 pts"
    sign = "+" if figure > 0 else "\u2212"
    return f"{sign}{abs(figure):.1f} pts"


def number(count: int | float | None) -> str:
    """Thousands separators for counts; ``None`` (not recorded) shows as ``n/a``."""
    if count is None:
        return "n/a"
    if isinstance(count, float) and not count.is_integer():
        return f"{count:,.2f}"
    return f"{int(count):,}"


def value(item: Any) -> str:
    """A manifest or fact value as plain text: strings as they are, anything else as JSON."""
    if item is None:
        return "not recorded"
    if isinstance(item, str):
        return item
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def when(iso: str | None) -> str:
    """An ISO timestamp as ``2026-01-10 09:30:00 UTC``."""
    if not iso:
        return "not recorded"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(started: str | None, finished: str | None) -> str:
    """How long the run took, in words a reader scans: ``4.2 s``, ``3 min 5 s``."""
    try:
        seconds = (
            datetime.fromisoformat(finished or "") - datetime.fromisoformat(started or "")
        ).total_seconds()
    except (ValueError, TypeError):
        return "unknown"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def case_anchor(case_id: str, repeat: int, repeats: int = 1) -> str:
    """A valid, unique HTML id for a failing case (and repeat, when the run repeats cases)."""
    safe = _ANCHOR_UNSAFE.sub("-", case_id)
    if safe != case_id:  # keep ids distinct when two case ids differ only in unsafe characters
        safe += "-" + hashlib.sha256(case_id.encode("utf-8")).hexdigest()[:8]
    anchor = f"case-{safe}"
    return f"{anchor}-r{repeat}" if repeats > 1 else anchor


def split_facts(evidence: Mapping[str, Any]) -> FactSplit:
    """The evidence's key facts, split into those found in time and those said late."""
    facts = [f for f in evidence.get("facts") or [] if isinstance(f, dict)]
    return FactSplit(
        found=[f for f in facts if not f.get("late")], late=[f for f in facts if f.get("late")]
    )


def extra_evidence(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Evidence entries other than the disclosure scorer's own, as (key, text) pairs."""
    return [(k, value(v)) for k, v in sorted(evidence.items()) if k not in _KNOWN_EVIDENCE]


def transcript_view(case: FailingCase) -> list[TurnView]:
    """The case's turns with matched spans marked and each turn's citations from the evidence."""
    notes: dict[int, list[str]] = {}
    spans: dict[int, list[str]] = {}
    for failure in case.failures:
        _cite(failure["criterion"], failure.get("evidence") or {}, notes, spans)
    views = []
    for index, turn in enumerate(case.turns):
        text = turn.get("text") or ""
        views.append(
            TurnView(
                index=index,
                role=str(turn.get("role") or "event"),
                event=turn.get("event"),
                segments=mark_spans(text, spans.get(index, [])),
                notes=notes.get(index, []),
            )
        )
    return views


def _cite(
    criterion: str,
    evidence: Mapping[str, Any],
    notes: dict[int, list[str]],
    spans: dict[int, list[str]],
) -> None:
    found: dict[int, list[str]] = {}
    late: dict[int, list[str]] = {}
    for fact in evidence.get("facts") or []:
        turn = fact.get("turn")
        if not isinstance(turn, int):
            continue
        (late if fact.get("late") else found).setdefault(turn, []).append(str(fact.get("id")))
        if not fact.get("late") and fact.get("span"):
            spans.setdefault(turn, []).append(str(fact["span"]))
    for turn, ids in found.items():
        notes.setdefault(turn, []).append(f"{criterion}: key facts found here ({', '.join(ids)})")
    for turn, ids in late.items():
        notes.setdefault(turn, []).append(
            f"{criterion}: said here, after the deadline ({', '.join(ids)})"
        )
    judge = evidence.get("judge") or {}
    if isinstance(judge.get("turn"), int) and judge.get("cited_span"):
        notes.setdefault(judge["turn"], []).append(f"{criterion}: the judge quotes this turn")
        spans.setdefault(judge["turn"], []).append(normalise(str(judge["cited_span"])))
    for wrong in evidence.get("wrong_figures") or []:
        if isinstance(wrong.get("turn"), int):
            notes.setdefault(wrong["turn"], []).append(
                f"{criterion}: {wrong.get('fact')} stated {wrong.get('stated')}, "
                f"the case says {wrong.get('expected')}"
            )
    contradiction = evidence.get("contradiction") or {}
    if isinstance(contradiction.get("turn"), int):
        turn = contradiction["turn"]
        phrase = str(contradiction.get("phrase") or "")
        notes.setdefault(turn, []).append(f"{criterion}: contradicted here (\u201c{phrase}\u201d)")
        if phrase:
            spans.setdefault(turn, []).append(phrase)
    deadline = str(evidence.get("deadline") or "")
    if match := _DEADLINE_TURN.match(deadline):
        notes.setdefault(int(match["turn"]), []).append(
            f"{criterion}: the deadline; its key facts had to come before this"
        )
    elif match := _TRIGGER_TURN.search(deadline):
        notes.setdefault(int(match["turn"]), []).append(
            f"{criterion}: the trigger; its key facts had to follow soon after"
        )


def mark_spans(text: str, spans: Iterable[str]) -> list[Segment]:
    """Split ``text`` into segments, marking where each (normalised) span occurs.

    Spans come normalised by :func:`harness.text.normalise` (lower case, punctuation folded),
    so each is matched back loosely: any case, any punctuation or spacing between its words,
    curly or straight apostrophes, thousands separators. A span not found is simply not marked.
    """
    intervals = sorted(
        (m.start(), m.end())
        for span in spans
        if (pattern := _span_pattern(span)) is not None
        for m in pattern.finditer(text)
    )
    merged: list[list[int]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif end > start:
            merged.append([start, end])
    segments: list[Segment] = []
    cursor = 0
    for start, end in merged:
        if start > cursor:
            segments.append(Segment(text[cursor:start], marked=False))
        segments.append(Segment(text[start:end], marked=True))
        cursor = end
    if cursor < len(text) or not segments:
        segments.append(Segment(text[cursor:], marked=False))
    return segments


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
