"""A failing case as the report lays it out: redacted, evidence marked, beside the baseline.

:func:`case_view` turns a :class:`FailingCase` (what the store holds, unredacted) into a
:class:`CaseView`: every text the report shows, with personal data redacted under the run's
:class:`~harness.config.redaction.RedactionPolicy`. Evidence spans are found in the original turn
text and the redactions are applied after, piece by piece (see :mod:`harness.outputs.report.marks`),
so a highlighted span that holds a name is still highlighted, and still redacted. The HTML
template and the embedded data the page script renders (see :mod:`harness.outputs.report.embed`)
both read these views, so the two never disagree about what a case shows.

>>> view = case_view(case, policy=RedactionPolicy(), repeats=1)  # doctest: +SKIP
>>> [s.text for s in view.rows[1].turn.segments]  # doctest: +SKIP
['Hello [NAME], ', "we're a credit broker"]
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.config.redaction import (
    Redaction,
    RedactionPolicy,
    find_personal_data,
    names_in_facts,
    redact,
    redact_facts,
)
from harness.outputs.report.evidence import EvidenceItem, citations, display, evidence_items
from harness.outputs.report.marks import Segment, loose_redact, mark_intervals, redacted_segments

__all__ = [  # the report's view values, and the helpers the renderer and embedder share
    "STATUS_WORDS",
    "BaselineCase",
    "CaseSummary",
    "CaseView",
    "EvidenceItem",
    "FailingCase",
    "FailureView",
    "Segment",
    "TurnRow",
    "TurnView",
    "VerdictRow",
    "case_anchor",
    "case_summary",
    "case_view",
    "display",
    "key_fact_descriptions",
]

_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")
STATUS_WORDS = {
    "passed": "\u2713 passed",
    "failed": "\u2717 failed",
    "error": "\u2717 error",
    "not_run": "\u2717 not run",
    "review": "? review (the scorer was not sure)",
    "not_applicable": "not applicable",
}


@dataclass(frozen=True)
class BaselineCase:
    """The baseline run's replay of a case: its turns and each criterion's status.

    ``results`` maps criterion to ``{"status", "evidence"}``; evidence is kept for the
    criteria the run being reported failed (what the baseline said instead).
    """

    turns: list[dict[str, Any]]
    results: dict[str, dict[str, Any]]
    error: str | None = None


@dataclass(frozen=True)
class FailingCase:
    """A case with at least one failed or errored criterion, as the store holds it."""

    case_id: str
    repeat: int
    tags: dict[str, str]
    facts: dict[str, Any]
    turns: list[dict[str, Any]]  # {"role", "text", "event"}
    failures: list[dict[str, Any]]  # {"criterion", "status", "evidence" (dict), "error"}
    error: str | None = None
    #: Every criterion's status on the case in this run (not only the failures).
    statuses: dict[str, str] = field(default_factory=dict)
    #: Criterion → ``pass_to_fail`` or ``fail_to_pass`` against the baseline run.
    flips: dict[str, str] = field(default_factory=dict)
    #: None without a baseline run, or when the baseline did not replay this case.
    baseline: BaselineCase | None = None

    @classmethod
    def from_store_row(cls, row: Mapping[str, Any]) -> FailingCase:
        """From a :meth:`~harness.store.database.RunStore.report_cases` row."""
        baseline = None
        if row.get("baseline_turns") is not None or row.get("baseline_results"):
            baseline = BaselineCase(
                turns=list(row.get("baseline_turns") or []),
                results={
                    r["criterion"]: {"status": r["status"], "evidence": _json(r["evidence"])}
                    for r in row.get("baseline_results") or []
                },
                error=row.get("baseline_error"),
            )
        return cls(
            case_id=row["case_id"],
            repeat=row["repeat"],
            tags=json.loads(row["tags"] or "{}"),
            facts=json.loads(row["facts"] or "{}"),
            turns=list(row["turns"] or []),
            failures=[{**f, "evidence": _json(f["evidence"])} for f in row["failures"]],
            error=row["error"],
            statuses={s["criterion"]: s["status"] for s in row.get("statuses") or []},
            flips={f["criterion"]: f["direction"] for f in row.get("flips") or []},
            baseline=baseline,
        )


def _json(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


# ---------------------------------------------------------------- the view values


@dataclass(frozen=True)
class TurnView:
    """One turn as the report lays it out, with what the evidence says about it."""

    index: int
    role: str
    event: str | None
    segments: list[Segment]
    notes: list[str]  # why the evidence cites this turn, one line per criterion and finding

    @property
    def cited(self) -> bool:
        return bool(self.notes)


@dataclass(frozen=True)
class TurnRow:
    """One line of the transcript: a customer or event turn, or an agent turn.

    With a baseline, an agent turn carries the baseline's agent turn at the same position
    (``baseline``; None when the baseline had none there) and whether the words changed.
    """

    turn: TurnView
    baseline: TurnView | None = None
    changed: bool | None = None


@dataclass(frozen=True)
class FailureView:
    """A failed or errored criterion: its reason and evidence, redacted."""

    criterion: str
    status: str
    reason: str
    items: list[EvidenceItem]
    #: The baseline's status for this criterion on this case (None: no baseline result).
    baseline_status: str | None = None


@dataclass(frozen=True)
class VerdictRow:
    """A criterion's status on the case in the baseline run and in this run."""

    criterion: str
    baseline: str | None
    now: str
    change: str | None  # "newly failing", "newly passing", or None


@dataclass(frozen=True)
class CaseView:
    """Everything the report shows of one failing case, redacted."""

    anchor: str
    case_id: str
    repeat: int
    tags: list[tuple[str, str]]
    facts: list[tuple[str, str]]
    error: str | None
    failures: list[FailureView]
    rows: list[TurnRow]
    #: Per criterion, baseline and this run; empty without a baseline run.
    verdicts: list[VerdictRow]
    flips: dict[str, str]
    #: Whether the run has a baseline, and whether the baseline replayed this case.
    compared: bool
    in_baseline: bool
    baseline_error: str | None = None

    @property
    def newly_failing(self) -> bool:
        return "pass_to_fail" in self.flips.values()


@dataclass(frozen=True)
class CaseSummary:
    """What the list of failing cases needs of a case: its tags and failure reasons, redacted."""

    tags: list[tuple[str, str]]
    reasons: list[str]


# ---------------------------------------------------------------- building a view


def case_anchor(case_id: str, repeat: int, repeats: int = 1) -> str:
    """A valid, unique HTML id for a failing case (and repeat, when the run repeats cases)."""
    safe = _ANCHOR_UNSAFE.sub("-", case_id)
    if safe != case_id:  # keep ids distinct when two case ids differ only in unsafe characters
        safe += "-" + hashlib.sha256(case_id.encode("utf-8")).hexdigest()[:8]
    anchor = f"case-{safe}"
    return f"{anchor}-r{repeat}" if repeats > 1 else anchor


def case_view(
    case: FailingCase,
    *,
    policy: RedactionPolicy,
    repeats: int = 1,
    compared: bool = False,
    key_facts: Mapping[str, Mapping[str, str]] | None = None,
) -> CaseView:
    """The redacted view of ``case``; ``compared``: the run has a baseline run.

    ``key_facts``: per criterion, its key facts' descriptions by id (see
    :func:`key_fact_descriptions`), for evidence that names a missing fact in words.
    """
    names = names_in_facts(case.facts, policy)

    def strict(text: str) -> str:
        return redact(text, policy, names=names)

    base = case.baseline
    rows = _rows(case, policy, names)
    failures = []
    for f in case.failures:
        evidence = loose_redact(f.get("evidence") or {}, policy, names)
        failures.append(
            FailureView(
                criterion=f["criterion"],
                status=f["status"],
                reason=_reason(f, policy, names),
                items=evidence_items(evidence, (key_facts or {}).get(f["criterion"])),
                baseline_status=(
                    base.results.get(f["criterion"], {}).get("status") if base else None
                ),
            )
        )
    verdicts = []
    if compared:
        criteria = sorted(set(case.statuses) | set(base.results if base else ()))
        for criterion in criteria:
            now = case.statuses.get(criterion, "not_applicable")
            before = (
                base.results[criterion]["status"] if base and criterion in base.results else None
            )
            if now == "not_applicable" and before in (None, "not_applicable"):
                continue
            flip = case.flips.get(criterion)
            change = {"pass_to_fail": "newly failing", "fail_to_pass": "newly passing"}.get(
                flip or ""
            )
            verdicts.append(VerdictRow(criterion, before, now, change))
    return CaseView(
        anchor=case_anchor(case.case_id, case.repeat, repeats),
        case_id=case.case_id,
        repeat=case.repeat,
        tags=[(k, strict(str(v))) for k, v in sorted(case.tags.items())],
        facts=[(k, display(v)) for k, v in sorted(redact_facts(case.facts, policy).items())],
        error=strict(case.error) if case.error else None,
        failures=failures,
        rows=rows,
        verdicts=verdicts,
        flips=dict(case.flips),
        compared=compared,
        in_baseline=base is not None,
        baseline_error=strict(base.error) if base and base.error else None,
    )


def key_fact_descriptions(manifest: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Per disclosure in the manifest, its key facts' descriptions by id.

    >>> key_fact_descriptions({"disclosures": [{"id": "apr", "key_facts": [
    ...     {"id": "rate", "description": "the APR"}]}]})
    {'apr': {'rate': 'the APR'}}
    """
    return {
        str(d.get("id")): {str(kf["id"]): str(kf["description"]) for kf in d.get("key_facts") or []}
        for d in manifest.get("disclosures") or []
    }


def case_summary(case: FailingCase, *, policy: RedactionPolicy) -> CaseSummary:
    """The redacted tags and failure reasons of ``case`` (cheaper than :func:`case_view`)."""
    names = names_in_facts(case.facts, policy)
    return CaseSummary(
        tags=[(k, redact(str(v), policy, names=names)) for k, v in sorted(case.tags.items())],
        reasons=[_reason(f, policy, names) for f in case.failures],
    )


def _reason(failure: Mapping[str, Any], policy: RedactionPolicy, names: Sequence[str]) -> str:
    """The failure's reason, the same in the HTML and the script's list of cases: for an
    error its message, else the scorer's reason (each falling back to the other)."""
    said = (failure.get("evidence") or {}).get("reason")
    error = failure.get("error")
    reason = (error or said) if failure.get("status") == "error" else (said or error)
    return str(loose_redact(reason, policy, names)) if reason else "no reason recorded"


def _rows(case: FailingCase, policy: RedactionPolicy, names: Sequence[str]) -> list[TurnRow]:
    notes, spans = citations([(f["criterion"], f.get("evidence") or {}) for f in case.failures])
    found: dict[str, list[Redaction]] = {}  # the baseline often said the same words

    def personal(text: str) -> list[Redaction]:
        if text not in found:
            found[text] = find_personal_data(text, policy, names=names)
        return found[text]

    now = [
        _turn_view(i, turn, spans.get(i, []), notes.get(i, []), personal, policy, names)
        for i, turn in enumerate(case.turns)
    ]
    base = case.baseline
    if base is None:
        return [TurnRow(t) for t in now]
    failed = {f["criterion"] for f in case.failures}
    base_notes, base_spans = citations(
        [(c, r.get("evidence") or {}) for c, r in sorted(base.results.items()) if c in failed]
    )
    rows = []
    for i, view in enumerate(now):
        other = base.turns[i] if i < len(base.turns) else None
        if view.role != "agent" or other is None or other.get("role") != "agent":
            rows.append(TurnRow(view))
            continue
        before = _turn_view(
            i, other, base_spans.get(i, []), base_notes.get(i, []), personal, policy, names
        )
        changed = (other.get("text") or "") != (case.turns[i].get("text") or "")
        rows.append(TurnRow(view, before, changed))
    return rows


def _turn_view(
    index: int,
    turn: Mapping[str, Any],
    spans: list[str],
    notes: list[str],
    personal: Callable[[str], list[Redaction]],
    policy: RedactionPolicy,
    names: Sequence[str],
) -> TurnView:
    text = turn.get("text") or ""
    marks = mark_intervals(text, spans)
    redactions = personal(text)
    return TurnView(
        index=index,
        role=str(turn.get("role") or "event"),
        event=turn.get("event"),
        segments=redacted_segments(text, marks, redactions),
        notes=[redact(n, policy, names=names, loose=True) for n in notes],
    )
