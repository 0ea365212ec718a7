"""What a CI system shows of a run: job summary, PR comment, annotations and JUnit XML.

Pure functions from a gate, the run manifest and the failing cases to text, and
:func:`write_ci_surfaces`, which writes all four into the run's folder. Nothing here reads
the environment: the CLI and the pytest plugin decide whether to publish (for instance
append ``summary.md`` to ``$GITHUB_STEP_SUMMARY``).

Case text and model output are untrusted: Markdown cells are neutralised (pipes,
backticks, HTML, mentions), workflow-command values are percent-escaped, and XML is built
with :mod:`xml.etree` after dropping characters XML 1.0 cannot carry (the JUnit XML is
:mod:`harness.outputs.junit`'s). A failing case's reasons can quote what the agent said (a
judge's reasoning, a phrase said in the negative), so they are redacted under the policy
recorded in the manifest (``report.redaction``), the same policy as the HTML report's;
without one, everything is redacted.

>>> surfaces = write_ci_surfaces(out_dir, gate, manifest, failing)  # doctest: +SKIP
>>> surfaces.summary.name  # doctest: +SKIP
'summary.md'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config.redaction import RedactionPolicy, names_in_facts, redact
from harness.gate.policy import CriterionResult, GateResult
from harness.outputs.console import show_controls
from harness.outputs.locations import SourceLine
from harness.outputs.sequential import sequential_markdown, sequential_verdict
from harness.outputs.table import interval_text

if TYPE_CHECKING:
    from harness.outputs.report import FailingCase

SUMMARY_FAILING_CASES = 10
COMMENT_FAILING_CASES = 5
_CELL_LIMIT = 200
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class CiSurfaces:
    """The files :func:`write_ci_surfaces` wrote into a run's folder."""

    summary: Path
    pr_comment: Path
    annotations: Path
    junit: Path


def comment_marker(scenario: str) -> str:
    """The hidden first line of the PR comment, so a workflow can update it in place.

    >>> comment_marker("demo-candidate")
    '<!-- replay-gate:demo-candidate -->'
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", scenario).replace("--", "-_")
    return f"<!-- replay-gate:{safe} -->"


def markdown_cell(text: object, limit: int = _CELL_LIMIT) -> str:
    """``text`` made inert in a Markdown table cell: one line, no HTML, no code, no pipes.

    >>> markdown_cell("a | <b>`x`</b> @team")
    'a \\\\| &lt;b&gt;\\\\`x\\\\`&lt;/b&gt; @\\u200bteam'
    """
    value = " ".join(xml_text(text).replace("\x7f", "\ufffd").split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MARKDOWN_SPECIALS.sub(r"\\\1", value)
    return value.replace("@", "@\u200b")  # no @mention from case text


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the GitHub workflow-commands spec asks;
    any other control character is shown as an escape (``show_controls``).

    >>> escape_data("95%\\nnext")
    '95%25%0Anext'
    """
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return show_controls(escaped)  # no other control character or line break, raw


def escape_property(text: str) -> str:
    """A workflow command's property value (e.g. ``title``): also ``:`` and ``,``.

    >>> escape_property("a: b, c")
    'a%3A b%2C c'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def verdict_words(gate: GateResult, c: CriterionResult) -> str:
    """One criterion's verdict as the summary shows it."""
    if c.sequential is not None:
        return sequential_verdict(c.sequential.decided)
    if c.verdict == "pass" and gate.blocks(c):
        return "FAIL (significant drop)"
    if c.verdict == "inconclusive":
        return "FAIL (inconclusive)" if gate.blocks(c) else "inconclusive"
    return {"pass": "pass", "fail": "FAIL", "no_cases": "FAIL (no cases)"}[c.verdict]


def _rate(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "n/a"


def _delta(c: CriterionResult) -> str:
    return f"{c.delta * 100:+.1f} pts" if c.delta is not None else "n/a"


def case_label(case: FailingCase) -> str:
    """A failing case's id, with its repeat when it is not the first."""
    return case.case_id if case.repeat == 0 else f"{case.case_id} [repeat {case.repeat}]"


def redaction_policy(manifest: dict[str, Any]) -> RedactionPolicy:
    """The redaction policy the run's manifest records (on, every kind, when it has none)."""
    recorded = (manifest.get("report") or {}).get("redaction")
    return RedactionPolicy.model_validate(recorded) if recorded else RedactionPolicy()


def case_reasons(case: FailingCase, policy: RedactionPolicy | None = None) -> list[str]:
    """Each failed criterion of ``case`` with its status and reason, in criterion order.

    Reasons quote normalised (lower-cased) case text, so names are redacted in any case.
    """
    policy = policy if policy is not None else RedactionPolicy()
    names = names_in_facts(case.facts, policy)
    lines = []
    for f in case.failures:
        evidence = f.get("evidence") or {}
        reason = str(f.get("error") or evidence.get("reason") or "")
        reason = redact(reason, policy, names=names, loose=True)
        lines.append(f"{f['criterion']} {f['status']}: {reason}".rstrip(": "))
    if case.error and not lines:
        lines.append(f"error: {redact(case.error, policy, names=names, loose=True)}")
    return lines


def gate_table_markdown(gate: GateResult) -> list[str]:
    """The per-disclosure table: pass rate and its interval, cases, results in review,
    threshold, verdict, baseline delta, and the scorer's measured error with the interval
    corrected for it."""
    lines = [
        "| Disclosure | Pass rate | 95% interval | Passed/applicable | In review | Threshold "
        "| Verdict | vs baseline | Scorer wrong pass · wrong fail | Corrected interval |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for c in gate.criteria:
        error = c.calibration
        measured = (
            f"{error.false_pass}/{error.misses} · {error.false_fail}/{error.presentations} "
            f"({error.cases} labelled{', rules echo judge' if error.echo else ''})"
            if error is not None
            else "not measured"
        )
        corrected = (
            interval_text(error.corrected_low, error.corrected_high) if error is not None else "n/a"
        )
        cells = [
            markdown_cell(c.criterion),
            _rate(c.pass_rate),
            interval_text(c.interval_low, c.interval_high),
            f"{c.passed}/{c.applicable}",
            str(c.reviews),
            f"{c.threshold:.0%}",
            verdict_words(gate, c),
            _delta(c),
            measured,
            corrected,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if gate.criteria:
        how = {"fail": "fail", "pass": "pass", "excluded": "not counted"}
        lines += [
            "",
            "In review: results the scorer was unsure of that nothing settled, counted as "
            f"{how[gate.criteria[0].review_counts_as]}. Scorer wrong pass · wrong fail: the "
            "gated verdict's mistakes on the labelled calibration set (not presented but "
            "passed · presented but not passed); the corrected interval allows for them.",
        ]
    return lines


def _failing_cases_markdown(
    failing: Sequence[FailingCase], total: int, limit: int, policy: RedactionPolicy
) -> list[str]:
    if not failing:
        return ["No case failed a disclosure."]
    lines = ["| Case | Failed disclosures |", "|---|---|"]
    for case in failing[:limit]:
        reasons = "; ".join(case_reasons(case, policy))
        lines.append(f"| {markdown_cell(case_label(case))} | {markdown_cell(reasons, 400)} |")
    shown = min(limit, len(failing))
    if total > shown:
        lines += ["", f"{shown} of {total} failing cases shown; the report lists them all."]
    return lines


def versions_lines(manifest: dict[str, Any]) -> list[str]:
    """The versions that ran, one Markdown list item each, from the run manifest."""
    model = manifest.get("model", {})
    prompt = manifest.get("prompt", {})
    corpus = manifest.get("corpus", {})
    git = manifest.get("git") or {}
    described = manifest.get("baseline") or {}
    baseline = described.get("run_id")
    disclosures = ", ".join(f"{d['id']} v{d['version']}" for d in manifest.get("disclosures", []))
    items = [
        ("run", manifest.get("run_id")),
        ("model", f"{model.get('provider')}:{model.get('id')}"),
        ("prompt", f"{prompt['name']} v{prompt.get('version')}" if prompt.get("name") else "none"),
        ("disclosures", disclosures or "none"),
        ("corpus", f"{corpus.get('cases')} cases, sha256 {str(corpus.get('sha256'))[:12]}"),
        ("seed, repeats", f"{manifest.get('seed')}, {manifest.get('repeats')}"),
        ("baseline run", baseline or "none"),
        *_baseline_items(described),
        ("harness", manifest.get("harness_version")),
        ("commit", (git.get("commit") or "unknown")[:12]),
    ]
    return [f"- {name}: {markdown_cell(value)}" for name, value in items]


def _baseline_items(described: dict[str, Any]) -> list[tuple[str, str]]:
    """What the baseline run ran, and each way it is not what its scenario declares."""
    if "model" not in described:
        return []
    ran = ", ".join(str(described.get(k)) for k in ("model", "prompt", "disclosures", "commit"))
    warnings = [("baseline warning", str(w)) for w in described.get("warnings") or []]
    return [("baseline model, prompt, disclosures, commit", ran), *warnings]


def _verdict_lines(gate: GateResult, manifest: dict[str, Any]) -> list[str]:
    scenario = manifest.get("scenario", {}).get("name", "?")
    mark = "✅" if gate.passed else "❌"
    return [
        f"## {mark} Replay gate {markdown_cell(scenario)}: {'passed' if gate.passed else 'FAILED'}",
        "",
        markdown_cell(gate.headline(), 2000),
    ]


def summary_markdown(
    gate: GateResult,
    manifest: dict[str, Any],
    failing: Sequence[FailingCase],
    failing_total: int | None = None,
) -> str:
    """The job summary: the verdict in words, the table, the top failing cases, versions."""
    total = len(failing) if failing_total is None else failing_total
    lines = [
        *_verdict_lines(gate, manifest),
        "",
        *gate_table_markdown(gate),
        *sequential_markdown(gate, markdown_cell),
        "",
        f"### Top failing cases ({total})",
        "",
        *_failing_cases_markdown(failing, total, SUMMARY_FAILING_CASES, redaction_policy(manifest)),
        "",
        "### Versions",
        "",
        *versions_lines(manifest),
    ]
    return "\n".join(lines) + "\n"


def pr_comment_markdown(
    gate: GateResult,
    manifest: dict[str, Any],
    failing: Sequence[FailingCase],
    failing_total: int | None = None,
) -> str:
    """The PR comment: the hidden marker line first, then the verdict, table and details."""
    total = len(failing) if failing_total is None else failing_total
    scenario = str(manifest.get("scenario", {}).get("name", "?"))
    lines = [
        comment_marker(scenario),
        *_verdict_lines(gate, manifest),
        "",
        *gate_table_markdown(gate),
        *sequential_markdown(gate, markdown_cell),
        "",
        "<details><summary>Failing cases and versions</summary>",
        "",
        *_failing_cases_markdown(failing, total, COMMENT_FAILING_CASES, redaction_policy(manifest)),
        "",
        *versions_lines(manifest),
        "",
        "</details>",
        "",
        "The full report is in the run's artifact (report.html).",
    ]
    return "\n".join(lines) + "\n"


def annotations_text(
    gate: GateResult,
    manifest: dict[str, Any],
    places: Mapping[str, SourceLine] | None = None,
) -> str:
    """GitHub workflow commands: an ``::error`` per failing disclosure, or one ``::notice``.

    Each failing criterion's error says its verdict once and, when ``places`` has it,
    attaches to its threshold's line (:mod:`harness.outputs.locations`), so it shows on the
    pull request's diff. Every value is escaped: a case id, a criterion or a path cannot end
    the command or start another.
    """
    scenario = str(manifest.get("scenario", {}).get("name", "?"))
    places = places or {}
    lines = []
    for reason in (*gate.refused, *gate.stopped):
        title = escape_property(f"Replay gate {scenario}")
        lines.append(f"::error title={title}::{escape_data(reason)}")
    for c in gate.failing:
        title = escape_property(f"Replay gate {scenario}: {c.criterion} {verdict_words(gate, c)}")
        delta = f" ({_delta(c)} vs baseline)" if c.delta is not None else ""
        message = f"{c.criterion}: {c.reason}{delta}"
        lines.append(
            f"::error {_location(places.get(c.criterion))}title={title}::{escape_data(message)}"
        )
    if gate.passed:
        title = escape_property(f"Replay gate {scenario}")
        lines.append(f"::notice title={title}::{escape_data(gate.headline())}")
    return "\n".join(lines) + "\n"


def _location(place: SourceLine | None) -> str:
    """An annotation's ``file=...,line=...,`` properties, or nothing without a place."""
    if place is None:
        return ""
    return f"file={escape_property(place.file)},line={int(place.line)},"


def xml_text(text: object) -> str:
    """``text`` without the characters XML 1.0 cannot carry (control characters).

    >>> xml_text("a\\x00b")
    'a\\ufffdb'
    """
    return _XML_INVALID.sub("\ufffd", str(text))


def write_ci_surfaces(
    out_dir: Path,
    gate: GateResult,
    manifest: dict[str, Any],
    failing: Sequence[FailingCase],
    failing_total: int | None = None,
    places: Mapping[str, SourceLine] | None = None,
) -> CiSurfaces:
    """Write summary.md, pr-comment.md, annotations.txt and junit.xml into ``out_dir``;
    ``places`` are where each criterion's annotation attaches (none without it)."""
    from harness.outputs.junit import junit_xml  # it reads this module's wording of a case

    surfaces = CiSurfaces(
        summary=out_dir / "summary.md",
        pr_comment=out_dir / "pr-comment.md",
        annotations=out_dir / "annotations.txt",
        junit=out_dir / "junit.xml",
    )
    texts = {
        surfaces.summary: summary_markdown(gate, manifest, failing, failing_total),
        surfaces.pr_comment: pr_comment_markdown(gate, manifest, failing, failing_total),
        surfaces.annotations: annotations_text(gate, manifest, places),
        surfaces.junit: junit_xml(gate, manifest, failing),
    }
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    return surfaces


def publish_step_summary(surfaces: CiSurfaces, step_summary: Path) -> None:
    """Append the run's summary.md to a job-summary file (the caller names it)."""
    with step_summary.open("a", encoding="utf-8") as handle:
        handle.write(surfaces.summary.read_text(encoding="utf-8"))
