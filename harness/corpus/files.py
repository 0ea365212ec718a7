"""The corpus: Parquet files of cases, read in record batches and validated as they stream.

>>> from harness.corpus.files import iter_cases
>>> for case in iter_cases(["corpus/demo"]):  # doctest: +SKIP
...     print(case.case_id)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from harness.corpus.cases import (
    CASE_SCHEMA,
    REQUIRED_COLUMNS,
    SCHEMA_METADATA_KEY,
    SCHEMA_VERSION,
    Case,
    CaseRowError,
)
from harness.errors import CorpusError

BATCH_SIZE = 1024


def corpus_files(paths: Sequence[str | Path]) -> list[Path]:
    """The Parquet files named by ``paths`` (files, or folders searched recursively), sorted.

    Raises :class:`CorpusError` when a path does not exist or a folder holds no Parquet file.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.rglob("*.parquet"))
            if not found:
                raise CorpusError(f"{path}: no .parquet files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such corpus file or folder")
    return sorted(set(files))


def _check_schema(path: Path, schema: pa.Schema) -> None:
    meta = schema.metadata or {}
    version = meta.get(SCHEMA_METADATA_KEY)
    if version is not None:
        try:
            found = int(version)
        except ValueError:
            raise CorpusError(f"{path}: unreadable schema version {version!r}") from None
        if found > SCHEMA_VERSION:
            raise CorpusError(
                f"{path}: corpus schema version {found} is newer than this harness knows "
                f"({SCHEMA_VERSION}); upgrade the harness"
            )
    for name in REQUIRED_COLUMNS:
        if name not in schema.names:
            raise CorpusError(
                f"{path}: column '{name}' is missing; a case file needs the columns "
                f"{', '.join(REQUIRED_COLUMNS)}"
            )
    for field in CASE_SCHEMA:
        if field.name not in schema.names:
            continue
        actual = schema.field(field.name).type
        if not _compatible(actual, field.type):
            raise CorpusError(
                f"{path}: column '{field.name}' has type {actual}, expected {field.type}"
            )
    unknown = [n for n in schema.names if n not in CASE_SCHEMA.names]
    if unknown:
        raise CorpusError(
            f"{path}: unknown column(s) {', '.join(repr(n) for n in unknown)}; "
            f"a case file has the columns {', '.join(CASE_SCHEMA.names)}"
        )


def _compatible(actual: pa.DataType, expected: pa.DataType) -> bool:
    if actual.equals(expected):
        return True
    if pa.types.is_timestamp(actual) and pa.types.is_timestamp(expected):
        return True
    if pa.types.is_large_string(actual) and pa.types.is_string(expected):
        return True
    if pa.types.is_null(actual):  # a column that is entirely null
        return True
    # Nested types: accept when the struct fields and nullability differ only in metadata.
    return str(actual).replace(" not null", "") == str(expected).replace(" not null", "")


def open_corpus_file(path: Path) -> pq.ParquetFile:
    """Open one corpus file, turning unreadable files into a :class:`CorpusError`."""
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise CorpusError(f"{path}: not a readable Parquet file ({exc})") from None


#: Decides, from a row's raw ``case_id`` alone, whether it is read: ``True`` parse it,
#: ``False`` skip it unread, ``None`` no later row is wanted (stop).
RowFilter = Callable[[object], "bool | None"]


def iter_cases(
    paths: Sequence[str | Path],
    *,
    batch_size: int = BATCH_SIZE,
    keep: RowFilter | None = None,
) -> Iterator[Case]:
    """Yield every case of the corpus at ``paths``, validated, in file then row order.

    Files are read one record batch at a time, so memory does not grow with the corpus.
    ``keep`` picks rows by case id before they are parsed, so a process that replays one
    share of the corpus pays for that share only (every row is still checked for a
    repeated id). Raises :class:`CorpusError` naming the file, row and column of the first
    bad value, and on a case id seen twice.
    """
    files = corpus_files(paths)
    # Only ids that occur twice need remembering: found first from the id columns alone.
    repeated = _repeated_ids(files)
    seen: dict[str, str] = {}
    # Older schema versions are migrated batch by batch as they stream (imported here:
    # the migrators build on this module).
    from harness.corpus.migrate import migrated_batches, schema_version

    for path in files:
        parquet = open_corpus_file(path)
        if schema_version(path, parquet.schema_arrow) == SCHEMA_VERSION:
            _check_schema(path, parquet.schema_arrow)
        row_base = 0
        try:
            for batch in migrated_batches(path, parquet, batch_size):
                wanted, problem, stop = _pick_rows(batch, keep, repeated, seen, path, row_base)
                try:
                    rows = _rows(batch, wanted)
                except UnicodeDecodeError:
                    raise _not_utf8(path, batch, wanted, row_base) from None
                for offset, row in zip(wanted, rows, strict=True):
                    try:
                        case = Case.from_row(row)
                    except CaseRowError as exc:
                        raise CorpusError(f"{path} row {row_base + offset}: {exc}") from None
                    yield case
                if problem is not None:
                    raise problem
                if stop:
                    return
                row_base += batch.num_rows
        except (OSError, pa.ArrowException) as exc:
            raise CorpusError(
                f"{path}: corrupt Parquet data after row {row_base} ({exc})"
            ) from None


def _not_utf8(path: Path, batch: pa.RecordBatch, wanted: list[int], row_base: int) -> CorpusError:
    """The error naming the first row and column of ``batch`` whose text is not UTF-8."""
    for offset in wanted:
        for name in batch.schema.names:
            try:
                batch.column(name).slice(offset, 1).to_pylist()
            except UnicodeDecodeError as exc:
                return CorpusError(
                    f"{path} row {row_base + offset}: column '{name}' holds text that is not "
                    f"UTF-8 ({exc.reason}); convert the source to UTF-8 and write the file again "
                    "(e.g. `harness corpus import` from the decoded source)"
                )
    return CorpusError(f"{path}: text that is not UTF-8 after row {row_base}")


def _rows(batch: pa.RecordBatch, wanted: list[int]) -> list[dict[str, Any]]:
    if len(wanted) == batch.num_rows:
        rows: list[dict[str, Any]] = batch.to_pylist()
    else:
        rows = batch.take(pa.array(wanted, pa.int64())).to_pylist() if wanted else []
    return rows


def _pick_rows(
    batch: pa.RecordBatch,
    keep: RowFilter | None,
    repeated: set[str] | None,
    seen: dict[str, str],
    path: Path,
    row_base: int,
) -> tuple[list[int], CorpusError | None, bool]:
    """The offsets in ``batch`` to parse, the duplicate-id error met (raised once the rows
    before it are parsed, so errors keep their row order) and whether to stop after them."""
    wanted: list[int] = []
    for offset, case_id in enumerate(batch.column("case_id").to_pylist()):
        if isinstance(case_id, str) and (repeated is None or case_id in repeated):
            where = f"{path} row {row_base + offset}"
            if case_id in seen:
                first = seen[case_id]
                message = f"{where}: duplicate case_id '{case_id}' (first seen at {first})"
                return wanted, CorpusError(f"{message}; case ids must be unique"), True
            seen[case_id] = where
        decision = True if keep is None else keep(case_id)
        if decision is None:
            return wanted, None, True
        if decision:
            wanted.append(offset)
    return wanted, None, False


def _repeated_ids(files: Sequence[Path]) -> set[str] | None:
    """The case ids that occur more than once, read from the id columns only.

    ``None`` when a file cannot be read that way (corrupt, or no id column): the caller
    then remembers every id, and the row-by-row read names the problem.
    """
    columns: list[pa.Array] = []
    for path in files:
        try:
            # ParquetFile, not read_table: that would import pyarrow.dataset (and pandas
            # with it), a fifth of a second before the first case of every process.
            parquet = pq.ParquetFile(path)
            names = parquet.schema_arrow.names
            column = "case_id" if "case_id" in names else "id" if "id" in names else None
            if column is None:
                return None
            ids = parquet.read(columns=[column]).column(0)
            columns.extend(pc.cast(chunk, pa.string()) for chunk in ids.chunks)
        except (OSError, pa.ArrowException):
            return None
    if not columns:
        return set()
    counts = pc.value_counts(pa.chunked_array(columns, type=pa.string()))
    # Most often first, read until the first id seen once. Not `pc.greater(counts, 1)`: any
    # Python value turned into Arrow (that 1) imports pandas, a fifth of a second or more
    # before the first call of every run.
    ranked = counts.take(pc.array_sort_indices(counts.field("counts"), order="descending"))
    tallies, values = ranked.field("counts"), ranked.field("values")
    repeated: set[str] = set()
    for row in range(len(ranked)):
        if tallies[row].as_py() < 2:
            break
        if (value := values[row].as_py()) is not None:
            repeated.add(str(value))
    return repeated


def count_cases(paths: Sequence[str | Path]) -> int:
    """The number of rows in the corpus, from the Parquet footers (nothing else is read)."""
    total = 0
    for path in corpus_files(paths):
        total += open_corpus_file(path).metadata.num_rows
    return total


def corpus_hash(paths: Sequence[str | Path]) -> str:
    """A content hash of the corpus: sha256 over each file's name and bytes, in order."""
    digest = hashlib.sha256()
    for path in corpus_files(paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def write_cases(path: Path, cases: list[Case]) -> None:
    """Write ``cases`` to one Parquet file in the current schema."""
    from harness.corpus.cases import cases_to_table

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(cases_to_table(cases), path, compression="zstd")
