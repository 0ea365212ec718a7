"""Corpus schema versions: read the version a file carries, migrate older files forward.

Each corpus file records its schema version in the Parquet schema metadata
(``harness.schema_version``). :data:`MIGRATIONS` maps a version to the function that turns
a record batch of that version into the next one; reading chains them up to
:data:`~harness.corpus.cases.SCHEMA_VERSION`. A file newer than the harness is refused.

Version 0 is the layout of the first corpus exports, before the harness existed:

======================  ===========================================================
version 0               version 1
======================  ===========================================================
``id``                  ``case_id``
``tags`` (JSON text)    ``tags`` (map of text → text)
turn roles ``user``,    ``customer``, ``agent``, ``event``
``assistant``, ``event``
labels without ``note`` labels with ``note`` (null)
(none)                  ``question``, ``contexts``, ``reference`` (null)
======================  ===========================================================

>>> migrate_file(Path("corpus/old/cases.parquet"))  # doctest: +SKIP
Migration(path=PosixPath('corpus/old/cases.parquet'), from_version=0, to_version=1, rows=12)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from harness.corpus.cases import CASE_SCHEMA, SCHEMA_METADATA_KEY, SCHEMA_VERSION
from harness.errors import CorpusError

_V0_ROLES = {"user": "customer", "assistant": "agent", "event": "event"}

V0_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC")),
        pa.field("tags", pa.string()),
        pa.field("facts", pa.string()),
        pa.field(
            "turns",
            pa.list_(
                pa.struct([("role", pa.string()), ("text", pa.string()), ("event", pa.string())])
            ),
        ),
        pa.field(
            "labels",
            pa.list_(
                pa.struct(
                    [
                        ("disclosure_id", pa.string()),
                        ("applicable", pa.bool_()),
                        ("presented", pa.bool_()),
                    ]
                )
            ),
        ),
    ],
    metadata={SCHEMA_METADATA_KEY: b"0"},
)


def _v0_to_v1(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Version 0 → 1: rename ``id``, tags from JSON to a map, new role names, label notes."""
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(batch.to_pylist()):
        try:
            tags = json.loads(row.get("tags") or "{}")
        except json.JSONDecodeError as exc:
            raise CorpusError(f"row {number}: column 'tags' is not JSON ({exc.msg})") from None
        if not isinstance(tags, dict):
            kind = "list" if isinstance(tags, list) else type(tags).__name__
            raise CorpusError(f"row {number}: column 'tags' is a JSON {kind}, not an object")
        turns = [
            {**t, "role": _V0_ROLES.get(t.get("role"), t.get("role"))}
            for t in row.get("turns") or []
        ]
        rows.append(
            {
                "case_id": row.get("id"),
                "source": row.get("source"),
                "recorded_at": row.get("recorded_at"),
                "tags": list(tags.items()),
                "facts": row.get("facts"),
                "turns": turns,
                "labels": [{**lb, "note": None} for lb in row.get("labels") or []],
                "question": None,
                "contexts": None,
                "reference": None,
            }
        )
    return pa.RecordBatch.from_pylist(rows, schema=CASE_SCHEMA)


MIGRATIONS: dict[int, Callable[[pa.RecordBatch], pa.RecordBatch]] = {0: _v0_to_v1}


def schema_version(path: Path, schema: pa.Schema) -> int:
    """The schema version a file declares (files without one are taken as current).

    Raises :class:`CorpusError` for an unreadable version or one newer than the harness.
    """
    raw = (schema.metadata or {}).get(SCHEMA_METADATA_KEY)
    if raw is None:
        return SCHEMA_VERSION
    try:
        version = int(raw)
    except ValueError:
        raise CorpusError(f"{path}: unreadable schema version {raw!r}") from None
    if version > SCHEMA_VERSION:
        raise CorpusError(
            f"{path}: corpus schema version {version} is newer than this harness knows "
            f"({SCHEMA_VERSION}); upgrade the harness (pip install -U replay-harness)"
        )
    if version < min(MIGRATIONS, default=SCHEMA_VERSION):
        raise CorpusError(f"{path}: corpus schema version {version} has no migration")
    return version


def migrate_batch(batch: pa.RecordBatch, from_version: int, *, where: str = "") -> pa.RecordBatch:
    """``batch`` of ``from_version`` in the current schema, through each migration in turn."""
    version = from_version
    while version < SCHEMA_VERSION:
        try:
            batch = MIGRATIONS[version](batch)
        except (CorpusError, pa.ArrowException) as exc:  # user data; anything else is a bug
            raise CorpusError(
                f"{where}: cannot migrate from schema version {version} to {version + 1} ({exc})"
            ) from None
        version += 1
    return batch


def migrated_batches(
    path: Path, parquet: pq.ParquetFile, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """The batches of a corpus file in the current schema, migrated as they stream.

    This is the hook :func:`harness.corpus.files.iter_cases` uses to read older files.
    """
    version = schema_version(path, parquet.schema_arrow)
    for batch in parquet.iter_batches(batch_size=batch_size):
        yield migrate_batch(batch, version, where=str(path)) if version < SCHEMA_VERSION else batch


@dataclass(frozen=True, slots=True)
class Migration:
    """What ``migrate_file`` did to one file."""

    path: Path
    from_version: int
    to_version: int
    rows: int


def migrate_file(path: Path, out: Path | None = None) -> Migration:
    """Rewrite ``path`` (or write ``out``) in the current schema; a no-op when already current."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise CorpusError(f"{path}: not a readable Parquet file ({exc})") from None
    version = schema_version(path, parquet.schema_arrow)
    target = out or path
    if version == SCHEMA_VERSION and target == path:
        return Migration(path, version, version, parquet.metadata.num_rows)
    batches = list(migrated_batches(path, parquet, 4096))
    table = pa.Table.from_batches(batches, schema=CASE_SCHEMA)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".tmp")
    pq.write_table(table, temp, compression="zstd")
    temp.replace(target)  # atomic: a failed migration never leaves half a file
    return Migration(path, version, SCHEMA_VERSION, table.num_rows)


def migrate_corpus(files: list[Path], out_dir: Path | None = None) -> list[Migration]:
    """Migrate each file, in place or into ``out_dir`` (same file names)."""
    return [migrate_file(p, out_dir / p.name if out_dir else None) for p in files]


def write_v0_file(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write a version-0 file (tests and docs use it to show a migration)."""
    pq.write_table(pa.Table.from_pylist(rows, schema=V0_SCHEMA), path)
