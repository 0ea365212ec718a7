"""The results file that may leave the machine: ``results-redacted.parquet``.

``results.parquet`` holds one row per case, repeat and criterion, and its evidence quotes
what the agent said, personal data included: it stays where the run ran. Its twin holds
the same rows in the same order and schema, with the text that quotes a case (``evidence``,
``error``) redacted under the report's policy: people's names taken from each case's
facts, dates of birth, emails, phone numbers, and the other kinds of
:mod:`harness.config.redaction`. It is what the CI artifact carries beside the report.

The rows stream through in batches, so memory stays bounded whatever the run's size.

>>> rows = store.results_with_facts(run_id)  # doctest: +SKIP
>>> write_redacted_results(rows, out / REDACTED_RESULTS, policy, like=results)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.redaction import RedactionPolicy, names_in_facts
from harness.errors import StoreError
from harness.outputs.report.marks import loose_redact

REDACTED_RESULTS = "results-redacted.parquet"
#: The column of each case's facts (JSON) that comes with the rows, for the names in them.
FACTS_COLUMN = "case_facts"
_TEXT = ("evidence", "error")


def write_redacted_results(
    batches: pa.RecordBatchReader, path: Path, policy: RedactionPolicy, *, like: Path
) -> Path:
    """Write the rows of ``batches`` (results rows plus :data:`FACTS_COLUMN`) to ``path``
    in the schema of the results file ``like``, their evidence and errors redacted, the
    facts column dropped; atomically."""
    schema = pq.read_schema(like)
    names = functools.lru_cache(maxsize=4096)(lambda facts: _names(facts, policy))
    temp = path.with_name(path.name + ".tmp")
    try:
        with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(_redacted(batch, schema, policy, names))
        os.replace(temp, path)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"cannot write {path}: {exc}") from None
    return path


def _names(facts: str | None, policy: RedactionPolicy) -> tuple[str, ...]:
    return names_in_facts(json.loads(facts), policy) if facts else ()


def _redacted(
    batch: pa.RecordBatch, schema: pa.Schema, policy: RedactionPolicy, names: Any
) -> pa.RecordBatch:
    facts = batch.column(FACTS_COLUMN).to_pylist()
    columns = []
    for field in schema:
        values = batch.column(field.name)
        if field.name in _TEXT:
            known = [names(f) for f in facts]
            redact = _evidence if field.name == "evidence" else _text
            values = pa.array(
                [redact(v, policy, n) for v, n in zip(values.to_pylist(), known, strict=True)],
                type=field.type,
            )
        columns.append(values)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _evidence(value: str | None, policy: RedactionPolicy, names: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    return json.dumps(loose_redact(json.loads(value), policy, names), sort_keys=True)


def _text(value: str | None, policy: RedactionPolicy, names: tuple[str, ...]) -> str | None:
    return None if value is None else str(loose_redact(value, policy, names))
