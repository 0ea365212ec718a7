"""The run manifest: exactly what ran (versions, hashes, commit), so results stand as evidence."""

from __future__ import annotations

from datetime import datetime
from importlib import metadata
from typing import Any

from harness.config.disclosures import PinnedDisclosure
from harness.config.redaction import RedactionPolicy, keep_wordings
from harness.corpus.files import corpus_files
from harness.git import git_state
from harness.run.plan import ReplayPlan

_SECRET_WORDS = ("key", "token", "secret", "password", "authorization")


def harness_version() -> str:
    try:
        return metadata.version("replay-harness")
    except metadata.PackageNotFoundError:
        return "unknown"


def redact_options(options: dict[str, Any]) -> dict[str, Any]:
    """Model options with anything that looks like a credential replaced."""
    return {
        k: "[redacted]" if any(w in k.lower() for w in _SECRET_WORDS) else v
        for k, v in options.items()
    }


def report_redaction(plan: ReplayPlan) -> RedactionPolicy:
    """The redaction the report and CI surfaces apply: the scenario's policy, keeping what
    the approved wordings in force hold (a helpline number the agent must give is evidence,
    not personal data)."""
    wordings = [d.current.wording for d in plan.disclosures]
    return keep_wordings(plan.scenario.report.redaction, wordings)


def disclosure_entry(disclosure: PinnedDisclosure) -> dict[str, Any]:
    """A disclosure version in force as the manifest records it: what was approved, in words.

    Its wording, status, approver and date, and each key fact's description, so the report
    can show what the agent had to say and name a missing fact in words.
    """
    version = disclosure.current
    return {
        "id": disclosure.id,
        "title": disclosure.title,
        "version": version.version,
        "status": version.status,
        "approved_by": version.approved_by,
        "approved_on": version.approved_on.isoformat() if version.approved_on else None,
        "wording": version.wording,
        "key_facts": [{"id": kf.id, "description": kf.description} for kf in version.key_facts],
        "sha256": disclosure.content_hash(),
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
        "git": git_state(scenario.base_dir),
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "path": str(scenario.source_path),
            "sha256": scenario.source_hash,
        },
        # What the command line changed from the scenario file: part of the run's identity.
        "overrides": dict(plan.overrides),
        "model": {
            "provider": scenario.model.provider,
            "id": scenario.model.id,
            "options": redact_options(dict(scenario.model.options)),
        },
        "prompt": {
            # All None for a recorded scenario with no prompt (PromptVersion.none()).
            "name": plan.prompt.name if plan.prompt.path else None,
            "version": plan.prompt.version if plan.prompt.path else None,
            "path": str(plan.prompt.path) if plan.prompt.path else None,
            "sha256": plan.prompt.content_hash or None,
        },
        "disclosures": [disclosure_entry(d) for d in plan.disclosures],
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
        "report": {
            "redaction": report_redaction(plan).model_dump(mode="json"),
            "pass_sample": plan.scenario.report.pass_sample,  # per criterion, seeded by run id
        },
    }
