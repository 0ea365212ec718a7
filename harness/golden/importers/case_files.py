"""Importing Parquet files that already hold cases (any schema version, migrated as read).

Each row is validated on its own, so one bad row is a reject and the others import, unlike
the corpus reader, which stops a replay at the first bad row.

>>> items = case_file_items(Path("corpus/demo/battery.parquet"))  # doctest: +SKIP
>>> [i.case.case_id for i in items][:2]  # doctest: +SKIP
['pos-0007', 'pos-0012']
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.corpus.cases import Case, CaseRowError
from harness.corpus.migrate import migrated_batches
from harness.errors import ImportInputError
from harness.golden.importers.base import Imported
from harness.golden.importers.records import Reject


def case_file_items(path: Path) -> Iterator[Imported | Reject]:
    """Every row of a case file as a case, or as a reject naming its row and column."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise ImportInputError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 0
    for batch in migrated_batches(path, parquet, 1024):
        for data in batch.to_pylist():
            try:
                raw = {k: str(v) for k, v in data.items()}
                yield Imported(Case.from_row(data), path, row, unit="row", raw=raw)
            except CaseRowError as exc:
                raw = {k: str(v) for k, v in data.items()}
                yield Reject(path, row, str(exc), raw, unit="row")
            row += 1
