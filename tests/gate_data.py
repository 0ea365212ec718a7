"""Small runs of known statuses loaded into a real store through Parquet parts."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.store.database import RunStore
from harness.store.rows import RESULT_SCHEMA, TRANSCRIPT_SCHEMA

Statuses = dict[tuple[str, str], str]  # (case_id, criterion) -> status


def load_run(
    store: RunStore,
    folder: Path,
    run_id: str,
    statuses: Statuses,
    tags: dict[str, dict[str, str]],
) -> None:
    """Ingest one run (repeat 0 only) with the given statuses and case tags."""
    folder.mkdir(parents=True, exist_ok=True)
    results = [
        {
            "run_id": run_id,
            "scenario": "s",
            "case_id": case_id,
            "repeat": 0,
            "criterion": criterion,
            "status": status,
            "passed": status == "passed",
        }
        for (case_id, criterion), status in sorted(statuses.items())
    ]
    transcripts = [
        {"run_id": run_id, "case_id": c, "repeat": 0, "tags": json.dumps(t), "turns": []}
        for c, t in sorted(tags.items())
    ]
    files = {}
    for kind, rows, schema in (
        ("results", results, RESULT_SCHEMA),
        ("transcripts", transcripts, TRANSCRIPT_SCHEMA),
    ):
        path = folder / f"{run_id}-{kind}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        files[kind] = [path]
    store.ingest_parts(run_id, files)
