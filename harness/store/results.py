"""A run's rows: result, transcript and call parts loaded into their tables, a results file
loaded as a baseline, the results exported, and the counts and figures read from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from harness.errors import ConfigError, StoreError
from harness.store.connection import StoreConnection
from harness.store.rows import PART_KINDS

if TYPE_CHECKING:
    import pyarrow as pa

_TABLE_FOR_KIND = {"results": "results", "transcripts": "transcripts", "calls": "model_calls"}


class RunResults(StoreConnection):
    """The run store's ``results``, ``transcripts`` and ``model_calls`` tables (see the module)."""

    def ingest_parts(self, run_id: str, part_files: Mapping[str, Sequence[Path]]) -> None:
        """Load part files (by kind) into their tables as ``run_id``, replacing its rows.

        The rows' own run id is replaced, so shards replayed as separate runs merge into one.
        """
        con = self._con
        con.execute("BEGIN")
        try:
            for kind, files in part_files.items():
                table = _TABLE_FOR_KIND[kind]
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
                if files:
                    self._insert_parquet(kind, run_id, files)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise StoreError(f"cannot load result parts into {self.path}: {exc}") from None

    def pass_rates(self, run_id: str) -> dict[str, float]:
        """Pass rate per criterion over applicable results (errors counted as failures)."""
        rows = self._rows(
            "SELECT criterion, avg(CASE WHEN status = 'passed' THEN 1.0 ELSE 0.0 END) AS rate "
            "FROM results WHERE run_id = $run_id AND status <> 'not_applicable' "
            "GROUP BY criterion",
            {"run_id": run_id},
        )
        return {r["criterion"]: r["rate"] for r in rows}

    def has_run(self, run_id: str) -> bool:
        """Whether ``run_id`` has results in the database."""
        row = self._con.execute(
            "SELECT EXISTS (SELECT 1 FROM results WHERE run_id = ?)", [run_id]
        ).fetchone()
        return bool(row and row[0])

    def load_results_file(self, run_id: str, path: Path, *, where: str) -> None:
        """Load a ``results.parquet`` another run exported as run ``run_id`` (once).

        ``where`` names the setting that pointed here, for the error when the file is not
        a results file.
        """
        if self.has_run(run_id):
            return
        try:
            self._insert_parquet("results", run_id, [path])
        except duckdb.Error as exc:
            raise ConfigError(
                f"{where}: {path} is not a results file the harness wrote ({exc})"
            ) from None

    def case_count(self, run_id: str) -> int:
        row = self._con.execute(
            "SELECT count(DISTINCT case_id) FROM results WHERE run_id = ?", [run_id]
        ).fetchone()
        return int(row[0]) if row else 0

    def failing_case_count(self, run_id: str) -> int:
        row = self._con.execute(
            'SELECT count(DISTINCT (case_id, "repeat")) FROM results '
            "WHERE run_id = ? AND status IN ('failed', 'error', 'not_run', 'review')",
            [run_id],
        ).fetchone()
        return int(row[0]) if row else 0

    def result_statuses(self, run_id: str, *, repeats: bool = False) -> list[tuple[Any, ...]]:
        """Every result's (case id, criterion, status), one per repeat (the sequential gate's);
        with ``repeats``, (case id, repeat, criterion, status)."""
        columns = (
            'case_id, "repeat", criterion, status' if repeats else "case_id, criterion, status"
        )
        return [
            tuple(row)
            for row in self._con.execute(
                f"SELECT {columns} FROM results WHERE run_id = ?", [run_id]
            ).fetchall()
        ]

    def repeat_outcomes(self, run_id: str) -> list[dict[str, Any]]:
        """Per case and criterion scored more than once: each repeat's status, in order."""
        return self._rows(
            'SELECT case_id, criterion, list(status ORDER BY "repeat") AS statuses '
            "FROM results WHERE run_id = $run_id AND status <> 'not_applicable' "
            "GROUP BY case_id, criterion HAVING count(*) > 1 ORDER BY criterion, case_id",
            {"run_id": run_id},
        )

    def calibration_entries(self, run_id: str) -> list[dict[str, Any]]:
        """Labelled cases' calibration JSON (golden label vs each scorer), by case id."""
        return self._rows(
            "SELECT case_id, calibration FROM transcripts WHERE run_id = $run_id "
            'AND calibration IS NOT NULL AND "repeat" = 0 ORDER BY case_id',
            {"run_id": run_id},
        )

    def call_totals(self, run_id: str, purpose: str | None = None) -> dict[str, Any]:
        """Call figures of the run; ``purpose`` ``agent`` or ``judge`` keeps only those calls."""
        rows = self._rows(
            "SELECT count(*) AS calls, count(*) FILTER (WHERE status <> 'ok') AS failed_calls, "
            "coalesce(sum(input_tokens), 0) AS input_tokens, "
            "coalesce(sum(output_tokens), 0) AS output_tokens, "
            "coalesce(sum(cost_usd), 0) AS cost_usd, "
            "count(*) FILTER (WHERE cache_hit) AS cache_hits, "
            "coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens, "
            "coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens, "
            "count(*) FILTER (WHERE attempt > 1) AS retries, "
            "coalesce(median(latency_ms), 0) AS median_latency_ms, "
            # None for a run stored before queued_ms existed: the report shows n/a
            "median(queued_ms) AS median_queued_ms "
            "FROM model_calls WHERE run_id = $run_id "
            "AND ($purpose IS NULL OR coalesce(purpose, 'agent') = $purpose)",
            {"run_id": run_id, "purpose": purpose},
        )
        return rows[0]

    def cost_by_criterion(self, run_id: str) -> dict[str, float]:
        """Per criterion, the model cost of the cases it applied to (a case's calls serve
        every disclosure checked on it, so the figures overlap and do not add up to the run)."""
        rows = self._rows(
            """
            WITH case_cost AS (
                SELECT case_id, "repeat", sum(cost_usd) AS cost
                FROM model_calls WHERE run_id = $run_id AND coalesce(purpose, 'agent') = 'agent'
                GROUP BY case_id, "repeat"
            )
            SELECT r.criterion, coalesce(sum(c.cost), 0) AS cost
            FROM results r LEFT JOIN case_cost c USING (case_id, "repeat")
            WHERE r.run_id = $run_id AND r.status <> 'not_applicable'
            GROUP BY r.criterion
            """,
            {"run_id": run_id},
        )
        return {r["criterion"]: float(r["cost"]) for r in rows}

    def results_with_facts(self, run_id: str, batch_rows: int = 8192) -> pa.RecordBatchReader:
        """``run_id``'s results in :meth:`export_results`' order, each row with its case's
        facts (JSON, column ``case_facts``), streamed in batches: what the redacted results
        file is made from (:mod:`harness.outputs.redacted_results`)."""
        return self._con.sql(
            "SELECT r.*, t.facts AS case_facts FROM results r LEFT JOIN transcripts t "
            'ON t.run_id = r.run_id AND t.case_id = r.case_id AND t."repeat" = r."repeat" '
            'WHERE r.run_id = $run_id ORDER BY r.case_id, r.criterion, r."repeat"',
            params={"run_id": run_id},
        ).to_arrow_reader(batch_rows)

    def export_results(self, run_id: str, path: Path) -> None:
        """Write ``run_id``'s results to ``path`` as Parquet, in a stable order."""
        self._con.execute(
            f"COPY (SELECT * FROM results WHERE run_id = $run_id "
            f"ORDER BY case_id, criterion, \"repeat\") TO '{_sql_path(path)}' "
            "(FORMAT parquet, COMPRESSION zstd)",
            {"run_id": run_id},
        )

    def _insert_parquet(self, kind: str, run_id: str, files: Sequence[Path]) -> None:
        """Insert the rows of Parquet ``files`` of part ``kind`` into its table as ``run_id``."""
        names = PART_KINDS[kind].names
        columns = ", ".join(f'"{n}"' for n in names)
        selected = ", ".join("$run_id" if n == "run_id" else f'"{n}"' for n in names)
        self._con.execute(
            f"INSERT INTO {_TABLE_FOR_KIND[kind]} ({columns}) "
            # by name: a resumed run's older chunks may lack a newer column (then NULL)
            f"SELECT {selected} FROM read_parquet($files, union_by_name = true)",
            {"run_id": run_id, "files": [str(f) for f in files]},
        )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
