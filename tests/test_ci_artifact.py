"""The CI artifact holds only redacted files: no raw case text leaves the runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REDACTED = {
    "report.html",
    "results-redacted.parquet",
    "summary.md",
    "pr-comment.md",
    "junit.xml",
    "annotations.txt",
}


def _uploads(steps: list[dict[str, Any]], artifact: tuple[str, ...]) -> list[str]:
    for step in steps:
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/upload-artifact") and step["with"]["name"] in artifact:
            return [line.strip() for line in str(step["with"]["path"]).splitlines() if line]
    raise AssertionError(f"no upload of {artifact}")


@pytest.mark.parametrize(
    ("file", "steps"),
    [
        ("action.yml", lambda data: data["runs"]["steps"]),
        (".github/workflows/replay-gate.yml", lambda data: data["jobs"]["replay"]["steps"]),
    ],
    ids=["action", "workflow"],
)
def test_the_report_artifact_holds_only_redacted_files(file: str, steps: Any) -> None:
    data = yaml.safe_load((ROOT / file).read_text(encoding="utf-8"))
    # The action names its artifact after its input (default replay-report).
    paths = _uploads(steps(data), ("replay-report", "${{ inputs.artifact-name }}"))
    names = {path.rsplit("/", 1)[-1] for path in paths}
    assert names == {*REDACTED, "manifest.json"}
    assert not [p for p in paths if p.endswith("/") or "parts" in p or "results.parquet" in p]


def test_the_raw_results_leave_the_runner_only_when_asked() -> None:
    data = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert data["inputs"]["raw-artifact"]["default"] == "false"
    steps = data["runs"]["steps"]
    raw = [s for s in steps if "upload-artifact" in str(s.get("uses", ""))]
    asked = [s for s in raw if s["with"]["name"] == "${{ inputs.artifact-name }}-raw"]
    assert [s["if"] for s in asked] == ["always() && inputs.raw-artifact == 'true'"]
    assert {p.strip() for p in asked[0]["with"]["path"].splitlines() if p} == {
        "${{ inputs.out }}/results.parquet",
        "${{ inputs.out }}/parts/",
    }
