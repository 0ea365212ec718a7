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
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.redaction import RedactionPolicy, names_in_facts, redact
from harness.errors import StoreError

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
    redaction = _Redaction(policy)
    temp = path.with_name(path.name + ".tmp")
    try:
        with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(redaction.batch(batch, schema))
        os.replace(temp, path)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"cannot write {path}: {exc}") from None
    return path


class _Redaction:
    """The policy applied to rows, remembering what it found: the same strings come back in
    case after case (an approved wording quoted, a reason, a deadline), and finding the
    personal data in a string is what costs. A value is remembered with the names of its
    case that occur in it, so the same quote in two customers' cases is redacted once."""

    def __init__(self, policy: RedactionPolicy) -> None:
        self.policy = policy
        self.names = functools.lru_cache(maxsize=4096)(self._names)
        self.redacted = functools.lru_cache(maxsize=65_536)(self._redacted)
        self.text = functools.lru_cache(maxsize=65_536)(self._text)
        self._name_search = functools.lru_cache(maxsize=4096)(_name_search)

    def batch(self, batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
        names = [self.names(facts) for facts in batch.column(FACTS_COLUMN).to_pylist()]
        columns = []
        for field in schema:
            values = batch.column(field.name)
            if field.name in _TEXT:
                evidence = field.name == "evidence"
                values = pa.array(
                    [
                        self.value(v, n, evidence=evidence)
                        for v, n in zip(values.to_pylist(), names, strict=True)
                    ],
                    type=field.type,
                )
            columns.append(values)
        return pa.RecordBatch.from_arrays(columns, schema=schema)

    def value(self, value: str | None, names: tuple[str, ...], *, evidence: bool) -> str | None:
        if value is None:
            return None
        present: tuple[str, ...] = ()
        if names:
            shown = value
            if evidence and "\\u" in value:  # escaped in the JSON: search the strings
                shown = " ".join(_strings(json.loads(value)))
            search = self._name_search(names)
            present = tuple(n for n in names if search(n, shown))
        return self.redacted(value, present, evidence)

    def _redacted(self, value: str, names: tuple[str, ...], evidence: bool) -> str:
        if not evidence:
            return self.text(value, names)
        return json.dumps(self._walk(json.loads(value), names), sort_keys=True)

    def _walk(self, item: Any, names: tuple[str, ...]) -> Any:
        """Every string in ``item`` redacted (as :func:`harness.outputs.report.marks.loose_redact`
        does for the report: evidence quotes lower-cased text, so names match in any case)."""
        if isinstance(item, str):
            return self.text(item, names)
        if isinstance(item, dict):
            return {k: self._walk(v, names) for k, v in item.items()}
        if isinstance(item, list):
            return [self._walk(v, names) for v in item]
        return item

    def _names(self, facts: str | None) -> tuple[str, ...]:
        return names_in_facts(json.loads(facts), self.policy) if facts else ()

    def _text(self, text: str, names: tuple[str, ...]) -> str:
        return redact(text, self.policy, names=names, loose=True)


def _name_search(names: tuple[str, ...]) -> Any:
    """Whether a name's words occur in a text, in any case: a superset of what redaction
    matches (whole words), so a name it would redact is never left out."""
    patterns = {
        n: re.compile("|".join(re.escape(w) for w in n.split() if w) or "(?!)", re.IGNORECASE)
        for n in names
    }
    return lambda name, text: patterns[name].search(text) is not None


def _strings(item: Any) -> list[str]:
    if isinstance(item, str):
        return [item]
    if isinstance(item, dict):
        return [s for v in item.values() for s in _strings(v)]
    if isinstance(item, list):
        return [s for v in item for s in _strings(v)]
    return []
