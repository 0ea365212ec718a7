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

from harness.config.scenario import Scenario
from harness.errors import ConfigError
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
    return store.latest_run(ref.scenario, exclude=exclude, branch=ref.branch)


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]
