"""The gate's SQL: pass rates per criterion, per segment, and paired against a baseline.

The query text, and :class:`GateQueries`, the part of
:class:`harness.store.database.RunStore` that runs it over the ``results`` and
``transcripts`` tables with a temporary ``gate_criteria`` table of thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.store.connection import StoreConnection

GATE_SQL = """
WITH counts AS (
    SELECT criterion,
           count(*) FILTER (WHERE status <> 'not_applicable') AS applicable,
           count(*) FILTER (WHERE status = 'passed') AS passed,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'error') AS errors,
           count(*) FILTER (WHERE status = 'not_run') AS not_run,
           count(*) FILTER (WHERE in_review) AS reviews
    FROM {rows} GROUP BY criterion
), rated AS (
    SELECT c.criterion, c.position, c.threshold,
           coalesce(n.applicable, 0) AS applicable, coalesce(n.passed, 0) AS passed,
           coalesce(n.failed, 0) AS failed, coalesce(n.errors, 0) AS errors,
           coalesce(n.not_run, 0) AS not_run, coalesce(n.reviews, 0) AS reviews,
           coalesce(n.applicable, 0)
               - CASE WHEN $errors_are_failures THEN 0 ELSE coalesce(n.errors, 0) END AS counted
    FROM gate_criteria c LEFT JOIN counts n USING (criterion)
)
SELECT criterion, threshold, applicable, passed, failed, errors, not_run, reviews, counted,
       CASE WHEN counted > 0 THEN passed / counted END AS pass_rate,
       CASE WHEN counted = 0 THEN 'no_cases'
            WHEN passed / counted >= threshold - 1e-12 THEN 'pass'
            ELSE 'fail' END AS verdict
FROM rated ORDER BY position
"""
# A result's status as the gate counts it: ``review`` stays ``review`` (counted, not passed),
# or becomes ``passed`` or ``not_applicable`` ($review_as, from gate.review_counts_as); the
# rows keep ``in_review`` so the reviews are shown however they count.
_COUNTED_STATUS = "CASE WHEN status = 'review' THEN $review_as ELSE status END"
# The rows a gate counts: every case and repeat ("mean"), or one per case ("pass_k"): passed
# only when every repeat passed, failed when any failed, else error, not run or in review.
GATE_ROWS = {
    "mean": f"""(SELECT criterion, case_id, "repeat", {_COUNTED_STATUS} AS status,
               status = 'review' AS in_review
        FROM results WHERE run_id = $run_id)""",
    "pass_k": f"""(
        SELECT criterion, case_id, 0 AS "repeat", CASE
            WHEN bool_and(status = 'not_applicable') THEN 'not_applicable'
            WHEN bool_or(status = 'failed') THEN 'failed'
            WHEN bool_or(status = 'error') THEN 'error'
            WHEN bool_or(status = 'not_run') THEN 'not_run'
            WHEN bool_or(status = 'review') THEN 'review'
            ELSE 'passed' END AS status, bool_or(in_review) AS in_review
        FROM (SELECT criterion, case_id, {_COUNTED_STATUS} AS status,
                     status = 'review' AS in_review
              FROM results WHERE run_id = $run_id) GROUP BY criterion, case_id)""",
}
#: What a ``review`` result becomes in the gate's counts, by gate.review_counts_as.
REVIEW_AS = {"fail": "review", "pass": "passed", "excluded": "not_applicable"}
# Per segment (each tag key and value of the case) and criterion: the gate's counts.
SEGMENT_SQL = """
WITH segments AS (
    SELECT t.case_id, u.tag, t.tags ->> u.tag AS tag_value
    FROM transcripts t, unnest(json_keys(t.tags)) AS u(tag)
    WHERE t.run_id = $run_id AND t."repeat" = 0
)
SELECT s.tag, s.tag_value, g.criterion, c.threshold,
       count(*) FILTER (WHERE g.status <> 'not_applicable') AS applicable,
       count(*) FILTER (WHERE g.status = 'passed') AS passed,
       count(*) FILTER (WHERE g.status = 'error') AS errors
FROM {rows} g JOIN segments s USING (case_id) JOIN gate_criteria c USING (criterion)
GROUP BY s.tag, s.tag_value, g.criterion, c.threshold, c.position
HAVING count(*) FILTER (WHERE g.status <> 'not_applicable') > 0
ORDER BY s.tag, s.tag_value, c.position
"""
# Paired outcomes of two runs on the same (case, repeat, criterion): pass or not, each side.
# Errors and not-run rows count as not passing when errors count as failures, else are left out.
PAIRED_SQL = (
    """
WITH counted AS (
    SELECT run_id, criterion, case_id, "repeat", """
    + _COUNTED_STATUS
    + """ AS status
    FROM results WHERE run_id IN ($run_id, $baseline_id)
), pairs AS (
    SELECT r.criterion, r.case_id, r."repeat",
           b.status = 'passed' AS was_passed, r.status = 'passed' AS now_passed
    FROM counted r JOIN counted b
      ON b.run_id = $baseline_id AND b.case_id = r.case_id AND b."repeat" = r."repeat"
     AND b.criterion = r.criterion
    WHERE r.run_id = $run_id
      AND r.status <> 'not_applicable' AND b.status <> 'not_applicable'
      AND ($errors_are_failures OR (r.status = ANY($counted) AND b.status = ANY($counted)))
)
SELECT criterion,
       count(*) FILTER (WHERE was_passed AND now_passed) AS both_pass,
       count(*) FILTER (WHERE was_passed AND NOT now_passed) AS pass_to_fail,
       count(*) FILTER (WHERE NOT was_passed AND now_passed) AS fail_to_pass,
       count(*) FILTER (WHERE NOT was_passed AND NOT now_passed) AS both_fail,
       list({
    "case_id": case_id, 'repeat': "repeat", 'direction':
             CASE WHEN was_passed THEN 'pass_to_fail' ELSE 'fail_to_pass' END}
            ORDER BY was_passed DESC, case_id, "repeat")
           FILTER (WHERE was_passed <> now_passed) AS flips
FROM pairs GROUP BY criterion ORDER BY criterion
"""
)


class GateQueries(StoreConnection):
    """The run store's gate figures (see the module)."""

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
