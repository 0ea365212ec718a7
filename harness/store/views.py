"""DuckDB views over the corpus and the run results, for notebooks and ad-hoc questions.

:func:`connect` opens an in-memory DuckDB with these views (Parquet is read in place, never
copied; nothing is written):

``cases``         one row per case: ``case_id, source, recorded_at, tags`` (MAP),
                  ``facts`` (JSON), ``turns``, ``labels``, ``question, contexts, reference``,
                  ``messages`` (customer and agent turns), ``file``
``case_tags``     ``case_id, tag, value``: one row per tag
``turns``         ``case_id, position`` (from 1), ``role, text, event``
``labels``        ``case_id, disclosure_id, applicable, presented, note``
``results``       every row of the runs' ``results.parquet`` files (when there are any):
                  ``run_id, scenario, case_id, repeat, criterion, status, passed, ...``
``case_results``  results joined to the case's tags and its golden label for the criterion
                  (``label_applicable, label_presented``): where the scorer and the people
                  who labelled the case disagree

>>> con = connect(["corpus/demo"])  # doctest: +SKIP
>>> con.sql("SELECT disclosure_id, count(*) FROM labels GROUP BY 1").df()  # doctest: +SKIP
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

import duckdb

from harness.corpus.files import corpus_files
from harness.errors import CorpusError

DEFAULT_RESULTS = "reports/*/results.parquet"

_CASE_VIEWS = """
CREATE OR REPLACE VIEW cases AS
SELECT case_id, source, recorded_at, tags, facts::JSON AS facts, turns, labels, question,
       contexts, reference,
       len(list_filter(turns, lambda t: t.role <> 'event')) AS messages, filename AS file
FROM read_parquet({files}, filename = true, union_by_name = true);

CREATE OR REPLACE VIEW case_tags AS
SELECT case_id, e.key AS tag, e.value AS value
FROM (SELECT case_id, unnest(map_entries(tags)) AS e FROM cases);

CREATE OR REPLACE VIEW turns AS
SELECT case_id, position, t.role AS role, t.text AS text, t.event AS event
FROM (SELECT case_id, unnest(turns) AS t, generate_subscripts(turns, 1) AS position FROM cases);

CREATE OR REPLACE VIEW labels AS
SELECT case_id, l.disclosure_id AS disclosure_id, l.applicable AS applicable,
       l.presented AS presented, l.note AS note
FROM (SELECT case_id, unnest(labels) AS l FROM cases);
"""

_RESULT_VIEWS = """
CREATE OR REPLACE VIEW results AS
SELECT * FROM read_parquet({files}, union_by_name = true);

CREATE OR REPLACE VIEW case_results AS
SELECT r.*, c.tags, l.applicable AS label_applicable, l.presented AS label_presented,
       l.note AS label_note
FROM results r
LEFT JOIN cases c USING (case_id)
LEFT JOIN labels l ON l.case_id = r.case_id AND l.disclosure_id = r.criterion;
"""


def _list(paths: Sequence[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def connect(
    corpus: Sequence[str | Path] = ("corpus",),
    *,
    results: str | Sequence[str | Path] | None = DEFAULT_RESULTS,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views above.

    ``corpus``: corpus files or folders. ``results``: a glob or a list of results.parquet
    files; the results views are created only when some exist.
    """
    files = [str(p) for p in corpus_files(corpus)]
    con = duckdb.connect(":memory:")
    try:
        con.execute(_CASE_VIEWS.format(files=_list(files)))
    except duckdb.Error as exc:
        con.close()
        raise CorpusError(f"cannot read the corpus into DuckDB: {exc}") from None
    if results is not None:
        patterns = [results] if isinstance(results, str | Path) else list(results)
        found = sorted({f for p in patterns for f in glob.glob(str(p))})
        if found:
            con.execute(_RESULT_VIEWS.format(files=_list(found)))
    return con


def query(
    sql: str,
    corpus: Sequence[str | Path] = ("corpus",),
    *,
    results: str | Sequence[str | Path] | None = DEFAULT_RESULTS,
) -> duckdb.DuckDBPyRelation:
    """Run ``sql`` over the views; ``.df()`` on the result gives a pandas DataFrame.

    >>> query("SELECT count(*) AS n FROM cases", ["corpus/demo"]).fetchall()  # doctest: +SKIP
    [(640,)]
    """
    con = connect(corpus, results=results)
    try:
        return con.sql(sql)
    except duckdb.Error as exc:
        raise CorpusError(f"query failed: {exc}") from None
