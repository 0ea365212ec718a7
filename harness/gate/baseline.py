"""Which run a candidate is compared against: resolving a scenario's ``baseline``.

A baseline is named in the scenario (:class:`harness.config.scenario.BaselineRef`): the latest run
of a scenario (on a git branch, as the run's manifest recorded it), a run id, or a
``results.parquet`` file from another run (a CI artifact). A file is loaded into the run
database under a run id derived from its content, so comparing against it twice loads it
once.

>>> with RunStore("reports/harness.duckdb") as store:  # doctest: +SKIP
...     resolve_baseline(store, scenario, exclude=run_id)
'demo-baseline-20261123T221732Z-feb8c5'
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from harness.config.scenario import Scenario
from harness.errors import ConfigError, HarnessError
from harness.store.database import RunStore


def resolve_baseline(store: RunStore, scenario: Scenario, *, exclude: str) -> str | None:
    """The baseline run id for ``scenario`` (None when it names none, or no run exists yet).

    A named run id that is not in the database, or a results file that cannot be read, is
    a :class:`ConfigError` naming the scenario field: a wrong baseline must not silently
    gate without one.
    """
    ref = scenario.baseline
    if ref is None:
        return None
    where = f"{scenario.source_path}: field 'baseline"
    if ref.run_id is not None:
        if not store.has_run(ref.run_id):
            raise ConfigError(
                f"{where}.run_id': no run {ref.run_id!r} in {store.path}; list runs with "
                "`harness history`"
            )
        return ref.run_id
    if ref.results is not None:
        path = scenario.resolve(ref.results)
        if not path.is_file():
            raise ConfigError(f"{where}.results': {path}: no such results file")
        run_id = f"results-file-{_digest(path)}"
        store.load_results_file(run_id, path, where=f"{where}.results'")
        return run_id
    assert ref.scenario is not None  # the model allows exactly one source
    return store.latest_run(
        ref.scenario, exclude=exclude, branch=ref.branch, declared=True, passing=ref.passing
    )


def describe_baseline(store: RunStore, run_id: str | None) -> dict[str, Any]:
    """What the baseline run ran (model, prompt, disclosures, commit, verdict) and a warning
    for each way it is not what its scenario declares: a command-line override, a scenario
    file that now declares another model, prompt or disclosure version, a failed gate.

    Empty without a baseline, or for one loaded from a results file (no manifest).
    """
    record = store.run_record(run_id) if run_id is not None else None
    if record is None:
        return {}
    manifest, verdict = record
    model, prompt, git = (manifest.get(k) or {} for k in ("model", "prompt", "git"))
    ran = {
        "model": f"{model.get('provider', '?')}:{model.get('id', '?')}",
        "prompt": f"{prompt['name']} v{prompt.get('version')}" if prompt.get("name") else "none",
        "disclosures": ", ".join(
            f"{d.get('id')} v{d.get('version')}" for d in manifest.get("disclosures") or []
        ),
        "commit": str(git.get("commit") or "unknown")[:12],
        "verdict": verdict,
    }
    name = (manifest.get("scenario") or {}).get("name", "?")
    declared = _declared(manifest)
    warnings = []
    override = (manifest.get("overrides") or {}).get("model")
    if override:
        now = f"; scenario {name} declares {declared['model']}" if declared else ""
        warnings.append(f"the baseline ran with --model {override}{now}")
    for key in ("model", "prompt", "disclosures"):
        if declared and declared[key] != ran[key] and not (key == "model" and override):
            warnings.append(
                f"it ran {key} {ran[key]}; scenario {name} now declares {declared[key]}"
            )
    if verdict != "pass":
        warnings.append("the baseline failed its own gate")
    return {**ran, "warnings": warnings}


def _declared(manifest: dict[str, Any]) -> dict[str, str] | None:
    """What the baseline's scenario file declares today, when it can still be read."""
    path = (manifest.get("scenario") or {}).get("path")
    try:
        scenario = Scenario.load(path) if path else None
    except (HarnessError, OSError):
        return None
    if scenario is None:
        return None
    # A version pinned as 'latest' declares whichever approved version ran.
    ran = {d.get("id"): d.get("version") for d in manifest.get("disclosures") or []}
    versions = {
        d: ran.get(d, v) if v == "latest" else v for d, v in scenario.disclosures.versions.items()
    }
    return {
        "model": f"{scenario.model.provider}:{scenario.model.id}",
        "prompt": f"{scenario.prompt.name} v{scenario.prompt.version}"
        if scenario.prompt
        else "none",
        "disclosures": ", ".join(f"{d} v{v}" for d, v in versions.items()),
    }


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]
