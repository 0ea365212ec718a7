"""The run store: DuckDB and the queries over it.

``database`` (``RunStore``, made of ``connection``: opening the database and its tables;
``runs``: the runs table; ``results``: a run's rows in and out, counted), ``rows`` (the
schemas of results, transcripts and model calls), ``gate_queries`` and ``report_queries``
(the SQL the gate and the report run, and the methods that run it), ``views`` (corpus and
results as DuckDB views).
Only this package imports DuckDB.
"""

from pathlib import Path

#: The run database, unless ``--db`` (pytest: ``--harness-db``) names another.
DEFAULT_DB = Path("reports/harness.duckdb")
