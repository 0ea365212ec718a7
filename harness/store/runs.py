"""The ``runs`` table: a run registered as it starts, recorded with its manifest and verdict
when it finishes, found again (the unfinished one to resume, the latest to compare with) and
listed as history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb

from harness.store.connection import StoreConnection, open_error


class RunRecords(StoreConnection):
    """The run store's ``runs`` table (see the module)."""

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
