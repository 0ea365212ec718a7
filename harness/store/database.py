"""The run store: a DuckDB database of runs, results, transcripts and model calls.

Only the controlling process opens it (DuckDB allows one writing process per file); workers
write Parquet parts, which :meth:`RunStore.ingest_parts` loads in one statement each.
:class:`RunStore` is put together from one part per concept: the connection and its tables
(:mod:`.connection`), the ``runs`` table (:mod:`.runs`), a run's rows (:mod:`.results`), and
the gate's and the report's queries (:mod:`.gate_queries`, :mod:`.report_queries`).

>>> with RunStore(":memory:") as store:
...     store.latest_run("demo-baseline") is None
True
"""

from __future__ import annotations

from harness.store.gate_queries import GateQueries
from harness.store.report_queries import ReportQueries
from harness.store.results import RunResults
from harness.store.runs import RunRecords


class RunStore(RunRecords, RunResults, GateQueries, ReportQueries):
    """A connection to the run database; use as a context manager.

    DuckDB may use up to ``$HARNESS_DUCKDB_MEMORY`` (default 400MB) before it spills.
    """
