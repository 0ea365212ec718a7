"""The run store: a DuckDB database of runs, results, transcripts and model calls.

Only the controlling process opens it (DuckDB allows one writing process per file); workers
write Parquet parts, which :meth:`RunStore.ingest_parts` loads in one statement each.

>>> with RunStore(":memory:") as store:
...     store.latest_run("demo-baseline") is None
True
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb

from harness.errors import ConfigError, DatabaseLocked, StoreError
from harness.store.gate_queries import GATE_ROWS, GATE_SQL, PAIRED_SQL, REVIEW_AS, SEGMENT_SQL
from harness.store.report_queries import PASS_SAMPLE, REPORT_CASES
from harness.store.rows import PART_KINDS

if TYPE_CHECKING:
    import pyarrow as pa

_TABLE_FOR_KIND = {"results": "results", "transcripts": "transcripts", "calls": "model_calls"}

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


class RunStore:
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

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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

    def record_start(self, run_id: str, scenario: str, started_at: str, out_dir: str) -> None:
        """Register a run as it starts, so ``--resume`` can find it if it never finishes.

        The first write of every run, before its first call: a database that opens but whose
        data is damaged (a truncated file) is refused here, naming it.
        """
        try:
            self._con.execute(
                "INSERT OR REPLACE INTO runs (run_id, scenario, started_at, out_dir) "
                "VALUES (?, ?, ?, ?)",
                [run_id, scenario, started_at, out_dir],
            )
        except duckdb.Error as exc:
            raise open_error(self.path, exc) from None

    def unfinished_run(self, scenario: str) -> str | None:
        """The folder of the latest started, unfinished run of ``scenario``."""
        row = self._con.execute(
            "SELECT out_dir FROM runs WHERE scenario = ? AND finished_at IS NULL "
            "AND out_dir IS NOT NULL ORDER BY started_at DESC LIMIT 1",
            [scenario],
        ).fetchone()
        return str(row[0]) if row else None

    def record_run(self, manifest: Mapping[str, Any], verdict: str, out_dir: str) -> None:
        self._con.execute(
            "INSERT OR REPLACE INTO runs "
            "(run_id, scenario, started_at, finished_at, verdict, manifest, out_dir) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                manifest["run_id"],
                manifest["scenario"]["name"],
                manifest["started_at"],
                manifest["finished_at"],
                verdict,
                json.dumps(manifest, sort_keys=True),
                out_dir,
            ],
        )

    def gate_rows(
        self,
        run_id: str,
        thresholds: Mapping[str, float],
        *,
        errors_are_failures: bool,
        repeat_policy: str = "mean",
        review_counts_as: str = "fail",
    ) -> list[dict[str, Any]]:
        """Per criterion (in ``thresholds`` order): counts, pass rate, threshold and verdict.

        ``repeat_policy`` ``pass_k`` counts cases, each passed only when all its repeats did;
        ``review_counts_as`` says how a ``review`` result counts (fail, pass or excluded).
        """
        self._set_criteria(thresholds)
        sql = GATE_SQL.format(rows=GATE_ROWS[repeat_policy])
        params = {
            "run_id": run_id,
            "errors_are_failures": errors_are_failures,
            "review_as": REVIEW_AS[review_counts_as],
        }
        return self._rows(sql, params)

    def segment_rows(
        self,
        run_id: str,
        thresholds: Mapping[str, float],
        *,
        repeat_policy: str = "mean",
        review_counts_as: str = "fail",
    ) -> list[dict[str, Any]]:
        """Per tag key and value, and criterion: threshold, applicable, passed and errors.

        Tags are the case's (from its repeat 0 transcript); segments with no applicable
        result are left out. Ordered by tag, value, then the order of ``thresholds``.
        """
        self._set_criteria(thresholds)
        sql = SEGMENT_SQL.format(rows=GATE_ROWS[repeat_policy])
        return self._rows(sql, {"run_id": run_id, "review_as": REVIEW_AS[review_counts_as]})

    def paired_rows(
        self,
        run_id: str,
        baseline_id: str,
        *,
        errors_are_failures: bool,
        review_counts_as: str = "fail",
    ) -> list[dict[str, Any]]:
        """Per criterion, ``run_id`` against ``baseline_id`` on the same case, repeat and
        criterion: both pass, pass→fail, fail→pass, both fail, and the flipped cases
        (``flips``: case_id, repeat, direction; newly failing first)."""
        return self._rows(
            PAIRED_SQL,
            {
                "run_id": run_id,
                "baseline_id": baseline_id,
                "errors_are_failures": errors_are_failures,
                "counted": ["passed", "failed", "review"],
                "review_as": REVIEW_AS[review_counts_as],
            },
        )

    def run_history(self, scenario: str | None, *, limit: int) -> list[dict[str, Any]]:
        """Finished runs (the ``limit`` newest per scenario, oldest first) with their model
        and commit and each criterion's pass rate over applicable results, errors counted as
        failures."""
        return self._rows(
            """
            WITH recent AS (
                SELECT run_id, scenario, finished_at, verdict,
                       json_extract_string(manifest, '$.model.provider') || ':'
                           || json_extract_string(manifest, '$.model.id') AS model,
                       left(json_extract_string(manifest, '$.git.commit'), 12) AS git_commit,
                       row_number() OVER (PARTITION BY scenario ORDER BY finished_at DESC) AS age
                FROM runs
                WHERE finished_at IS NOT NULL AND ($scenario IS NULL OR scenario = $scenario)
            )
            SELECT r.scenario, r.run_id, r.verdict, r.model, r.git_commit, x.criterion,
                   count(*) FILTER (WHERE x.status = 'passed') AS passed,
                   count(*) AS applicable
            FROM recent r JOIN results x
              ON x.run_id = r.run_id AND x.status <> 'not_applicable'
            WHERE r.age <= $limit
            GROUP BY r.scenario, r.run_id, r.finished_at, r.verdict, r.model, r.git_commit,
                     x.criterion
            ORDER BY r.scenario, r.finished_at, r.run_id, x.criterion
            """,
            {"scenario": scenario, "limit": limit},
        )

    def _set_criteria(self, thresholds: Mapping[str, float]) -> None:
        con = self._con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE gate_criteria "
            "(criterion VARCHAR, position INTEGER, threshold DOUBLE)"
        )
        con.executemany(
            "INSERT INTO gate_criteria VALUES (?, ?, ?)",
            [[name, i, value] for i, (name, value) in enumerate(thresholds.items())],
        )

    def pass_rates(self, run_id: str) -> dict[str, float]:
        """Pass rate per criterion over applicable results (errors counted as failures)."""
        rows = self._rows(
            "SELECT criterion, avg(CASE WHEN status = 'passed' THEN 1.0 ELSE 0.0 END) AS rate "
            "FROM results WHERE run_id = $run_id AND status <> 'not_applicable' "
            "GROUP BY criterion",
            {"run_id": run_id},
        )
        return {r["criterion"]: r["rate"] for r in rows}

    def latest_run(
        self,
        scenario: str,
        *,
        exclude: str | None = None,
        branch: str | None = None,
        declared: bool = False,
        passing: bool = False,
    ) -> str | None:
        """The most recent finished run of ``scenario`` (other than ``exclude``), on ``branch``
        when given (the git branch its manifest recorded); with ``declared``, only a run with
        no command-line override (its manifest's ``overrides``); with ``passing``, only one
        that passed its own gate."""
        row = self._con.execute(
            "SELECT run_id FROM runs WHERE scenario = ? AND run_id IS DISTINCT FROM ? "
            "AND finished_at IS NOT NULL "
            "AND (? IS NULL OR json_extract_string(manifest, '$.git.branch') = ?) "
            "AND (NOT ? OR json_extract_string(manifest, '$.overrides.model') IS NULL) "
            "AND (NOT ? OR verdict = 'pass') "
            "ORDER BY finished_at DESC LIMIT 1",
            [scenario, exclude, branch, branch, declared, passing],
        ).fetchone()
        return str(row[0]) if row else None

    def run_record(self, run_id: str) -> tuple[dict[str, Any], str] | None:
        """A finished run's manifest and verdict (None for a run the store has no record of,
        such as a baseline loaded from a results file)."""
        row = self._con.execute(
            "SELECT manifest, verdict FROM runs WHERE run_id = ? AND manifest IS NOT NULL",
            [run_id],
        ).fetchone()
        return (dict(json.loads(row[0])), str(row[1])) if row else None

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

    def _rows(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        cursor = self._con.execute(sql, dict(params))
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # ------------------------------------------------------------ the report's queries

    def report_cases(
        self,
        run_id: str,
        baseline_id: str | None,
        *,
        errors_are_failures: bool = True,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Failing cases as the report shows them: newly failing first, then by case and repeat.

        Each row: ``case_id``, ``repeat``, ``failures`` (criterion, status, evidence, error),
        the transcript's ``tags``, ``facts``, ``turns`` and ``error``, ``statuses`` (every
        criterion's status on the case), ``flips`` (criterion and direction against
        ``baseline_id``, paired as the gate pairs them), ``newly_failing``, and the
        baseline's ``baseline_turns``, ``baseline_error`` and ``baseline_results`` (status per
        criterion; evidence for the criteria this run failed). Baseline columns are null
        without a baseline or when the baseline did not replay the case. The query is
        ``harness.store.report_queries.REPORT_CASES``.
        """
        return self._rows(
            REPORT_CASES,
            {
                "run_id": run_id,
                "baseline_id": baseline_id,
                "errors_are_failures": errors_are_failures,
                "limit": limit,
            },
        )

    def pass_sample(self, run_id: str, *, size: int, seed: str) -> list[dict[str, Any]]:
        """Up to ``size`` passing results per criterion, drawn at random under ``seed``.

        Each row: ``criterion``, ``rank`` (1 = first drawn), ``passing`` (the criterion's
        passing results in the run), ``case_id``, ``repeat``, ``evidence`` and the
        transcript's ``tags``, ``facts``, ``turns`` and ``error``. The query is
        ``harness.store.report_queries.PASS_SAMPLE``.
        """
        if size <= 0:
            return []
        return self._rows(PASS_SAMPLE, {"run_id": run_id, "seed": seed, "size": size})


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
