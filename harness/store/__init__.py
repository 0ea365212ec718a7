"""The run store: DuckDB and the queries over it.

``database`` (``RunStore``: ingest parts, record runs, export results), ``rows`` (the
schemas of results, transcripts and model calls), ``gate_queries`` and ``report_queries``
(the SQL the gate and the report run), ``views`` (corpus and results as DuckDB views).
Only this package imports DuckDB.
"""

from pathlib import Path

#: The run database, unless ``--db`` (pytest: ``--harness-db``) names another.
DEFAULT_DB = Path("reports/harness.duckdb")
