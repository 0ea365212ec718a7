"""The run manifest: exactly what ran (versions, hashes, commit), so results stand as evidence."""

from __future__ import annotations

import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.corpus.files import corpus_files
from harness.run.plan import ReplayPlan

_SECRET_WORDS = ("key", "token", "secret", "password", "authorization")


def harness_version() -> str:
    try:
        return metadata.version("replay-harness")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_info(folder: Path) -> dict[str, Any]:
    """The commit, branch and dirtiness of the git checkout holding ``folder`` (None outside)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def redact_options(options: dict[str, Any]) -> dict[str, Any]:
    """Model options with anything that looks like a credential replaced."""
    return {
        k: "[redacted]" if any(w in k.lower() for w in _SECRET_WORDS) else v
        for k, v in options.items()
    }


def build_manifest(
    plan: ReplayPlan,
    *,
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    cases: int,
    processes: list[str],
    baseline_run_id: str | None,
    stopped: list[str] | None = None,
) -> dict[str, Any]:
    scenario = plan.scenario
    return {
        "run_id": run_id,
        "harness_version": harness_version(),
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "git": git_info(scenario.base_dir),
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "path": str(scenario.source_path),
            "sha256": scenario.source_hash,
        },
        "model": {
            "provider": scenario.model.provider,
            "id": scenario.model.id,
            "options": redact_options(dict(scenario.model.options)),
        },
        "prompt": {
            "name": plan.prompt.name,
            "version": plan.prompt.version,
            "path": str(plan.prompt.path),
            "sha256": plan.prompt.content_hash,
        },
        "disclosures": [
            {
                "id": d.id,
                "version": d.current.version,
                "status": d.current.status,
                "approved_by": d.current.approved_by,
                "sha256": d.content_hash(),
            }
            for d in plan.disclosures
        ],
        "corpus": {
            "paths": [str(p) for p in scenario.corpus_paths],
            "files": [str(p) for p in corpus_files(scenario.corpus_paths)],
            "sha256": plan.corpus_hash,
            "selection": scenario.corpus.model_dump(mode="json"),
            "cases": cases,
        },
        "scorers": list(scenario.scorers),
        "thresholds": plan.thresholds(),
        "errors_are_failures": scenario.errors_are_failures,
        "seed": scenario.seed,
        "repeats": scenario.repeats,
        "baseline": {
            **(scenario.baseline.model_dump(exclude_none=True) if scenario.baseline else {}),
            "scenario": scenario.baseline.scenario if scenario.baseline else None,
            "run_id": baseline_run_id,
        },
        "processes": processes,
        "stopped": stopped or [],
        "cache": {"mode": scenario.cache.mode, "dir": scenario.cache.dir},
        "calls": scenario.calls.model_dump(mode="json"),
        "max_cost_usd": scenario.max_cost_usd,
        "priced": plan.price is not None,
        # What the report and CI surfaces redact: shown in the report, kept as evidence.
        "report": {"redaction": scenario.report.redaction.model_dump(mode="json")},
    }
