"""Rendering the run report: one self-contained HTML file, no network access when opened.

Model output is untrusted text: the environment autoescapes everything, personal data is
redacted under the scenario's policy before anything is laid out (see :mod:`.views`), and
the page carries a Content-Security-Policy that forbids every external resource. The only
inline style and the only inline script are the report's own, each allowed by its SHA-256
hash; Trusted Types are required, so the script cannot turn a string into HTML even by
mistake. Without JavaScript the page is complete: the first failing cases in full, the
count of the others and where to find them. With it, the others (embedded by
:mod:`.embed`) are searchable, filterable and rendered page by page.

>>> render_report(data, Path("reports/run-1/report.html"))  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from markupsafe import Markup

from harness.config.redaction import RedactionPolicy, redact
from harness.config.templating import report_environment
from harness.gate.drift import Flip
from harness.gate.policy import GateResult
from harness.outputs.report.embed import embed_cases
from harness.outputs.report.figures import TREND_RUNS, call_comparison, percent, trends
from harness.outputs.report.pass_sample import PassSample, sample_groups
from harness.outputs.report.review_queue import QUEUE_LIMIT, review_queue
from harness.outputs.report.views import (
    STATUS_WORDS,
    FailingCase,
    case_anchor,
    case_summary,
    case_view,
    display,
    key_fact_descriptions,
)
from harness.scoring.summary import ScoringSummary

TEMPLATES = Path(__file__).parent / "templates"
# The stylesheet and the script are template files too, so the package data (``*.j2``)
# ships them.
STYLESHEET = "_styles.css.j2"
SCRIPT = "_script.js.j2"
#: Failing cases rendered as HTML (newly failing first); the rest are embedded for the script.
HTML_CASES = 100
#: Rows of the flipped-cases table; every flip stays findable through the case filter.
FLIPS_SHOWN = 500
_REDACTED_KINDS = (
    ("names", "names (from the case facts)"),
    ("emails", "email addresses"),
    ("phone_numbers", "phone numbers"),
    ("postcodes", "postcodes"),
    ("dates_of_birth", "dates of birth"),
    ("national_insurance_numbers", "National Insurance numbers"),
    ("account_numbers", "account, sort-code and card numbers"),
)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows; built by :func:`harness.run.finish.finish_run`.

    ``failing_cases``: the failing cases in report order (newly failing first, see
    :meth:`~harness.store.database.RunStore.report_cases`); the first ``html_cases`` are rendered as
    HTML, the others embedded for the page's script. ``failing_cases_total`` may exceed
    their number when the caller loaded fewer. ``history``: the scenario's
    :meth:`~harness.store.database.RunStore.run_history` rows, for the trend sparklines.
    """

    gate: GateResult
    manifest: dict[str, Any]
    failing_cases: list[FailingCase]
    failing_cases_total: int
    call_totals: dict[str, Any] = field(default_factory=dict)
    scoring: ScoringSummary | None = None  # calibration, judge calls, flaky repeats
    baseline_call_totals: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    redaction: RedactionPolicy = field(default_factory=RedactionPolicy)
    html_cases: int = HTML_CASES
    #: The quality-assurance sample of passing results (None: the report shows none).
    pass_sample: PassSample | None = None

    #: How many of the scenario's runs the trend sparklines show (this run included).
    TREND_RUNS: ClassVar[int] = TREND_RUNS


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def redaction_words(policy: RedactionPolicy) -> str:
    """The policy in force, in words, for the report's versions section.

    >>> redaction_words(RedactionPolicy(enabled=False))
    'off: the report shows case text as recorded (internal use only)'
    """
    if not policy.enabled:
        return "off: the report shows case text as recorded (internal use only)"
    kinds = [words for key, words in _REDACTED_KINDS if getattr(policy, key)]
    if not kinds:
        return "on, but every kind of personal data is switched off"
    shown = f"on: {', '.join(kinds)} are replaced by a [KIND] placeholder"
    if policy.keep:
        shown += f"; always kept: {', '.join(policy.keep)}"
    return shown


_CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:;()-")


def css_string(text: str) -> Markup:
    r"""``text`` as a quoted CSS string: anything but letters, digits and plain punctuation
    as a CSS escape, so no quote, backslash or ``</style>`` can end it.

    >>> str(css_string('Run "a"</style>'))
    '"Run \\22 a\\22 \\3c \\2f style\\3e "'
    """
    body = "".join(c if c in _CSS_PLAIN else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{body}"')


def render_report(data: ReportData, path: Path) -> Path:
    """Write the report for ``data`` to ``path`` and return ``path``."""
    env = report_environment(TEMPLATES)
    env.filters.update(percent=percent, points=points, number=number, when=when, value=display)
    env.filters["shell"] = lambda item: shlex.quote(str(item))  # a command the reader may copy
    env.filters["normpath"] = lambda item: os.path.normpath(str(item))
    # Tag values outside a case (the segments table): the policy's patterns, no names.
    env.filters["redacted"] = lambda item: redact(str(item), data.redaction)
    env.globals.update(duration=duration)
    gate, manifest = data.gate, data.manifest
    repeats = int(manifest.get("repeats") or 1)
    compared = gate.baseline_run_id is not None
    disclosure_ids = {d.get("id") for d in manifest.get("disclosures") or []}
    all_disclosures = all(c.criterion in disclosure_ids for c in gate.criteria)
    noun = "disclosure" if all_disclosures else "criterion"
    view = partial(
        case_view,
        policy=data.redaction,
        repeats=repeats,
        compared=compared,
        key_facts=key_fact_descriptions(manifest),
    )
    shown = [view(c) for c in data.failing_cases[: max(data.html_cases, 0)]]
    anchors = {
        (c.case_id, c.repeat): case_anchor(c.case_id, c.repeat, repeats) for c in data.failing_cases
    }
    embedded = embed_cases(
        data.failing_cases,
        html=len(shown),
        view=view,
        summary=partial(case_summary, policy=data.redaction),
        anchor=lambda c: anchors[(c.case_id, c.repeat)],
        criteria=[c.criterion for c in gate.criteria],
        meta={
            "repeats": repeats,
            "noun": noun,
            "words": STATUS_WORDS,
            "labelled": sorted(str(d) for d in disclosure_ids),  # what a reviewer can label
        },
    )
    # A sampled pass is shown on its own: its baseline verdicts are not loaded, so no
    # "against the baseline" table that would read "not replayed".
    groups = (
        sample_groups(
            data.pass_sample,
            [c.criterion for c in gate.criteria],
            partial(view, compared=False),
            repeats,
        )
        if data.pass_sample is not None and data.pass_sample.size > 0
        else []
    )
    flips = flip_rows(gate, anchors)
    queue = review_queue(data.failing_cases, anchors, data.redaction)
    verdict = "PASSED" if gate.passed else "FAILED"
    css = env.get_template(STYLESHEET).render(  # the printed pages' margins say what this is
        print_head=css_string(f"Run {manifest.get('run_id')}"),
        print_verdict=css_string(f"Verdict: {verdict}"),
        print_scenario=css_string(f"Scenario {manifest['scenario']['name']}: replay gate report"),
    )
    script = env.get_template(SCRIPT).render()
    html = env.get_template("report.html.j2").render(
        gate=gate,
        manifest=manifest,
        noun=noun,
        nouns=f"{noun}s" if noun == "disclosure" else "criteria",
        repeats=repeats,
        compared=compared,
        shown_cases=shown,
        failing_loaded=len(data.failing_cases),
        failing_cases_total=data.failing_cases_total,
        embedded=embedded,
        data_block=Markup(embedded.text),  # JSON with <, > and & as \u escapes (see embed)
        segments=embedded.segments,
        flips=flips,
        review_queue=queue,
        queue_limit=QUEUE_LIMIT,
        pass_sample=data.pass_sample,
        sample_groups=groups,
        # Golden labels are per disclosure: only a disclosure's verdicts can be marked.
        labelled=disclosure_ids,
        flip_targets={row.target for row in flips if row.row_id},
        flips_total=len(gate.flipped),
        status_words=STATUS_WORDS,
        trends=trends(data.history, gate),
        calls=data.call_totals,
        call_figures=call_comparison(data.call_totals, data.baseline_call_totals),
        scoring=data.scoring,
        redaction=redaction_words(data.redaction),
        # Manifests of older runs hold no wording: their section is left out.
        wordings=[d for d in manifest.get("disclosures") or [] if d.get("wording")],
        results_path=path.parent / "results.parquet",
        # The stylesheet and the script are the report's own files, never case or model text.
        css=Markup(css),
        script=Markup(script),
        style_hash=_hash(css),
        script_hash=_hash(script),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


@dataclass(frozen=True)
class FlipRow:
    """A row of the flipped-cases table: the flip, the case's section and the row's own id.

    ``target`` is the failing case's anchor (None when the case passes now); the first row
    of each case gets ``row_id``, the target of the case's "back to flipped cases" link.
    """

    criterion: str
    flip: Flip
    target: str | None
    row_id: str | None


def flip_rows(
    gate: GateResult, anchors: Mapping[tuple[str, int], str], limit: int = FLIPS_SHOWN
) -> list[FlipRow]:
    """The first ``limit`` flips against the baseline (newly failing first), linked to cases."""
    rows = []
    seen: set[str] = set()
    for criterion, flip in gate.flipped[:limit]:
        target = anchors.get((flip.case_id, flip.repeat))
        first = target is not None and target not in seen
        if target is not None:
            seen.add(target)
        rows.append(FlipRow(criterion, flip, target, f"flip-{target}" if first else None))
    return rows


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
