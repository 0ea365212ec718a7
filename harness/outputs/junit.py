"""The run as JUnit XML, so a JUnit dashboard shows the gate's verdict and nothing else.

One ``testcase`` per criterion (a disclosure): it fails exactly when that criterion fails the
gate. The cases that missed it are listed in its ``system-out``, whatever the verdict: a
passing gate within its thresholds, with a few cases missing a disclosure, is a green file
(before, every failing case was a failed testcase of its own, and a passing gate read
``tests="56" failures="49"``). A gate that could not decide (the run stopped, the gate was
refused, the calibration floor not met) adds one ``testcase`` named ``gate`` with an
``error``. Case text is redacted as in the other CI surfaces, and characters XML 1.0
cannot carry are replaced.

>>> text = junit_xml(gate, manifest, failing)  # doctest: +SKIP
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from harness.gate.policy import CriterionResult, GateResult
from harness.outputs.github import (
    case_label,
    case_reasons,
    redaction_policy,
    verdict_words,
    xml_text,
)

if TYPE_CHECKING:
    from harness.outputs.report import FailingCase


def junit_xml(gate: GateResult, manifest: dict[str, Any], failing: Sequence[FailingCase]) -> str:
    """JUnit XML: one testsuite for the scenario, a testcase per criterion (see the module)."""
    scenario = str(manifest.get("scenario", {}).get("name", "?"))
    policy = redaction_policy(manifest)
    misses: dict[str, list[str]] = {c.criterion: [] for c in gate.criteria}
    for failed in failing:
        reasons = case_reasons(failed, policy)
        # A case that errored before any criterion was scored missed every one of them.
        criteria = [str(f["criterion"]) for f in failed.failures] or list(misses)
        for criterion, reason in zip(criteria, reasons * len(criteria), strict=False):
            misses.setdefault(criterion, []).append(f"{case_label(failed)}: {reason}")
    cases: list[ET.Element] = []
    for c in gate.criteria:
        case = ET.Element(
            "testcase",
            classname=xml_text(f"{scenario}.disclosures"),
            name=xml_text(c.criterion),
            time="0",
        )
        if gate.blocks(c):
            failure = ET.SubElement(
                case, "failure", message=xml_text(c.reason), type=verdict_words(gate, c)
            )
            failure.text = xml_text(_figures(c))
        elif c.verdict == "inconclusive":
            ET.SubElement(case, "skipped", message=xml_text(c.reason))
        out = ET.SubElement(case, "system-out")
        out.text = xml_text("\n".join([_figures(c), *_missed(misses[c.criterion])]))
        cases.append(case)
    undecided = (*gate.floor_missing, *gate.refused, *gate.stopped)
    if undecided:
        case = ET.Element("testcase", classname=xml_text(scenario), name="gate", time="0")
        error = ET.SubElement(case, "error", message=xml_text(gate.headline()), type="not_gated")
        error.text = xml_text("\n".join(undecided))
        cases.append(case)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(1 for c in cases if c.find("failure") is not None)),
        "errors": str(sum(1 for c in cases if c.find("error") is not None)),
        "skipped": str(sum(1 for c in cases if c.find("skipped") is not None)),
        "time": _seconds(manifest),
    }
    root = ET.Element("testsuites", {"name": "replay-gate", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": xml_text(scenario), **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(gate, manifest).items():
        ET.SubElement(properties, "property", name=name, value=xml_text(value))
    suite.extend(cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _figures(c: CriterionResult) -> str:
    rate = f"{c.pass_rate:.1%}" if c.pass_rate is not None else "n/a"
    delta = f"{c.delta * 100:+.1f} pts" if c.delta is not None else "n/a"
    return (
        f"pass rate {rate} ({c.passed} of {c.applicable}), threshold {c.threshold:.0%}, "
        f"vs baseline {delta}"
    )


def _missed(lines: list[str]) -> list[str]:
    if not lines:
        return []
    return [f"{len(lines)} case(s) missed it:", *lines]


def _properties(gate: GateResult, manifest: dict[str, Any]) -> dict[str, str]:
    model = manifest.get("model") or {}
    prompt = manifest.get("prompt") or {}
    found = {
        "run_id": gate.run_id,
        "verdict": gate.verdict,
        "baseline_run_id": gate.baseline_run_id or "",
        "model": f"{model.get('provider', '?')}:{model.get('id', '?')}" if model else "",
        "prompt": f"{prompt['name']} v{prompt.get('version')}" if prompt.get("name") else "",
        "git_commit": str((manifest.get("git") or {}).get("commit") or ""),
    }
    return {name: value for name, value in found.items() if value}


def _seconds(manifest: dict[str, Any]) -> str:
    try:
        start = datetime.fromisoformat(manifest["started_at"])
        end = datetime.fromisoformat(manifest["finished_at"])
    except (KeyError, TypeError, ValueError):
        return "0"
    return f"{max(0.0, (end - start).total_seconds()):.3f}"
