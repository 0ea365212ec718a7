"""Rendering the run report: one self-contained HTML file, no network access when opened.

Model output is untrusted text: the environment autoescapes everything, and the page carries
a Content-Security-Policy that forbids any external resource.

>>> render_report(data, Path("reports/run-1/report.html"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.gate import GateResult
from harness.templating import report_environment

TEMPLATES = Path(__file__).parent / "templates"


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


def render_report(data: ReportData, path: Path) -> Path:
    """Write the report for ``data`` to ``path`` and return ``path``."""
    template = report_environment(TEMPLATES).get_template("report.html.j2")
    html = template.render(
        gate=data.gate,
        manifest=data.manifest,
        failing_cases=data.failing_cases,
        failing_cases_total=data.failing_cases_total,
        calls=data.call_totals,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
