"""The run database's connection: its tables, DuckDB's memory cap, and opening it.

Opening creates the tables (and the columns later versions added) when missing, waits for a
lock another process holds when asked to, and names why a file cannot be opened: locked,
damaged or unwritable. :class:`StoreConnection` is the base every part of
:class:`harness.store.database.RunStore` is built on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb

from harness.errors import DatabaseLocked, StoreError

_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    scenario VARCHAR NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    verdict VARCHAR,
    manifest JSON
);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS out_dir VARCHAR;
CREATE TABLE IF NOT EXISTS results (
    run_id VARCHAR, scenario VARCHAR, case_id VARCHAR, "repeat" INTEGER, criterion VARCHAR,
    criterion_version INTEGER, status VARCHAR, passed BOOLEAN, score DOUBLE, evidence JSON,
    error VARCHAR, seed BIGINT, model VARCHAR, prompt VARCHAR, duration_ms DOUBLE
);
CREATE TABLE IF NOT EXISTS transcripts (
    run_id VARCHAR, case_id VARCHAR, "repeat" INTEGER, tags JSON, facts JSON,
    turns STRUCT(role VARCHAR, text VARCHAR, event VARCHAR)[], error VARCHAR
);
CREATE TABLE IF NOT EXISTS model_calls (
    run_id VARCHAR, case_id VARCHAR, "repeat" INTEGER, turn_index INTEGER, attempt INTEGER,
    status VARCHAR, latency_ms DOUBLE, input_tokens BIGINT, output_tokens BIGINT,
    cache_read_tokens BIGINT, cache_write_tokens BIGINT, cost_usd DOUBLE, cache_hit BOOLEAN,
    error_class VARCHAR, request_id VARCHAR, stop_reason VARCHAR
);
ALTER TABLE results ADD COLUMN IF NOT EXISTS verdicts JSON;
ALTER TABLE transcripts ADD COLUMN IF NOT EXISTS calibration JSON;
ALTER TABLE model_calls ADD COLUMN IF NOT EXISTS purpose VARCHAR;
ALTER TABLE model_calls ADD COLUMN IF NOT EXISTS criterion VARCHAR;
ALTER TABLE model_calls ADD COLUMN IF NOT EXISTS queued_ms DOUBLE;
"""


MEMORY_ENV = "HARNESS_DUCKDB_MEMORY"
MEMORY_LIMIT = "400MB"


def open_error(path: Path | str, exc: Exception) -> StoreError:
    """Why the run database at ``path`` cannot be opened: locked, damaged or unwritable."""
    detail = str(exc).splitlines()[0]
    if "lock" in detail.lower():
        return DatabaseLocked(
            f"--db {path}: the run database is locked by another process ({detail}); wait "
            "for that run to finish, or pass another --db"
        )
    if isinstance(
        exc, duckdb.IOException | duckdb.SerializationException | duckdb.InternalException
    ):
        return StoreError(
            f"--db {path}: the run database is damaged or not a DuckDB file ({detail}); "
            "restore it from a backup or pass a new --db (each run folder's results.parquet "
            "can still be a baseline)"
        )
    return StoreError(f"--db {path}: cannot open the run database ({detail})")


class StoreConnection:
    """A connection to the run database; use as a context manager.

    DuckDB may use up to ``$HARNESS_DUCKDB_MEMORY`` (default 400MB) before it spills.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        lock_wait_s: float = 0.0,
        waiting: Callable[[str], None] | None = None,
    ) -> None:
        """Open (or create) the database at ``path``.

        While another process holds it (DuckDB lets one process write a file), retry for up
        to ``lock_wait_s`` seconds, telling ``waiting`` once; then :class:`DatabaseLocked`.
        """
        self.path = path
        if isinstance(path, Path):
            if path.is_dir():
                raise StoreError(f"--db {path}: is a folder; pass the database file's path")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"--db {path}: cannot create its folder ({exc.strerror}); pass a path you "
                    "can write to"
                ) from None
        deadline = time.monotonic() + lock_wait_s
        while True:
            try:
                self._con = self._connect(path)
                return
            except duckdb.Error as exc:
                error = open_error(path, exc)
            left = deadline - time.monotonic()
            if not isinstance(error, DatabaseLocked) or left <= 0:
                raise error
            if waiting is not None:
                waiting(
                    f"{path}: the run database is locked by another process; waiting up to "
                    f"{lock_wait_s:g} s for it"
                )
                waiting = None  # once
            time.sleep(min(0.25, left))

    @staticmethod
    def _connect(path: Path | str) -> duckdb.DuckDBPyConnection:
        # Bounded, so a million-row run stays within a CI runner's memory: DuckDB spills
        # to a temporary folder beside the database instead (docs/benchmarks.md).
        con = duckdb.connect(
            str(path), config={"memory_limit": os.environ.get(MEMORY_ENV, MEMORY_LIMIT)}
        )
        try:
            con.execute(_DDL)
        except duckdb.Error:
            con.close()
            raise
        return con

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rows(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        cursor = self._con.execute(sql, dict(params))
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
