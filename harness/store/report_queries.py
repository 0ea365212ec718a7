"""The SQL the report reads failing cases with (the gate's own queries are in gate_queries.py),
and :class:`ReportQueries`, the part of :class:`harness.store.database.RunStore` that runs it.

``REPORT_CASES`` first picks the cases to show from cheap columns (newly failing first:
a pass→fail flip against the baseline, paired as the gate pairs them), then gathers text
(failures with evidence, transcripts, the baseline's turns and verdicts) for those only,
so a run of a million cases never aggregates the text of every failing case.
Parameters: ``$run_id``, ``$baseline_id``, ``$errors_are_failures``, ``$limit``.
"""

from __future__ import annotations

from typing import Any

from harness.store.connection import StoreConnection

REPORT_CASES = """
WITH paired AS (
    -- Pairs that flipped, as the gate pairs them (cheap columns only).
    SELECT r.case_id, r."repeat", r.criterion, b.status = 'passed' AS to_fail
    FROM results r JOIN results b
      ON b.run_id = $baseline_id AND b.case_id = r.case_id
     AND b."repeat" = r."repeat" AND b.criterion = r.criterion
    WHERE r.run_id = $run_id
      AND r.status <> 'not_applicable' AND b.status <> 'not_applicable'
      AND ($errors_are_failures
           OR (r.status IN ('passed', 'failed') AND b.status IN ('passed', 'failed')))
      AND (b.status = 'passed') <> (r.status = 'passed')
), keys AS (
    -- The cases to show, chosen before any text is gathered: newly failing first.
    SELECT k.case_id, k."repeat", bool_or(coalesce(p.to_fail, false)) AS newly
    FROM (SELECT DISTINCT case_id, "repeat" FROM results
          WHERE run_id = $run_id AND status IN ('failed', 'error', 'not_run', 'review')) k
    LEFT JOIN paired p ON p.case_id = k.case_id AND p."repeat" = k."repeat"
    GROUP BY k.case_id, k."repeat"
    ORDER BY newly DESC, k.case_id, k."repeat"
    LIMIT $limit
), bad AS (
    SELECT r.case_id, r."repeat",
           list({'criterion': r.criterion, 'status': r.status,
                 'evidence': r.evidence, 'error': r.error}
                ORDER BY r.criterion) AS failures
    FROM results r SEMI JOIN keys k ON k.case_id = r.case_id AND k."repeat" = r."repeat"
    WHERE r.run_id = $run_id AND r.status IN ('failed', 'error', 'not_run', 'review')
    GROUP BY r.case_id, r."repeat"
), mine AS (
    SELECT r.case_id, r."repeat",
           list({'criterion': r.criterion, 'status': r.status}
                ORDER BY r.criterion) AS statuses
    FROM results r SEMI JOIN bad b ON b.case_id = r.case_id AND b."repeat" = r."repeat"
    WHERE r.run_id = $run_id GROUP BY r.case_id, r."repeat"
), base AS (
    SELECT r.case_id, r."repeat",
           list({'criterion': r.criterion, 'status': r.status, 'evidence':
                 CASE WHEN list_contains(
                     list_transform(b.failures, lambda f: f.criterion), r.criterion
                 ) THEN r.evidence END}
                ORDER BY r.criterion) AS results
    FROM results r JOIN bad b ON b.case_id = r.case_id AND b."repeat" = r."repeat"
    WHERE r.run_id = $baseline_id GROUP BY r.case_id, r."repeat"
), flipped AS (
    SELECT p.case_id, p."repeat",
           list({'criterion': p.criterion, 'direction': CASE WHEN p.to_fail
                 THEN 'pass_to_fail' ELSE 'fail_to_pass' END}
                ORDER BY p.criterion) AS flips
    FROM paired p SEMI JOIN keys k ON k.case_id = p.case_id AND k."repeat" = p."repeat"
    GROUP BY p.case_id, p."repeat"
)
SELECT b.case_id, b."repeat", b.failures, t.tags, t.facts, t.turns, t.error,
       m.statuses, f.flips,
       coalesce(list_contains(list_transform(f.flips, lambda x: x.direction),
                              'pass_to_fail'), false) AS newly_failing,
       bt.turns AS baseline_turns, bt.error AS baseline_error,
       br.results AS baseline_results
FROM bad b
JOIN transcripts t
  ON t.run_id = $run_id AND t.case_id = b.case_id AND t."repeat" = b."repeat"
LEFT JOIN mine m ON m.case_id = b.case_id AND m."repeat" = b."repeat"
LEFT JOIN flipped f ON f.case_id = b.case_id AND f."repeat" = b."repeat"
LEFT JOIN transcripts bt
  ON bt.run_id = $baseline_id AND bt.case_id = b.case_id AND bt."repeat" = b."repeat"
LEFT JOIN base br ON br.case_id = b.case_id AND br."repeat" = b."repeat"
ORDER BY newly_failing DESC, b.case_id, b."repeat"
"""

# The quality-assurance sample of passing results: per criterion, the $size passing results
# with the smallest SHA-256 of the seed (the run id), criterion, case id and repeat, in that
# order (min_by keeps only those while it scans: no sort of every passing result). The rank
# depends on nothing but those values, so the same run always shows the same sample and
# anyone can draw it again from results.parquet. ``passing`` counts the criterion's passing
# results, for "10 of 412".
# Parameters: ``$run_id``, ``$seed``, ``$size``.
PASS_SAMPLE = """
WITH drawn AS (
    SELECT criterion, count(*) AS passing,
           min_by({'case_id': case_id, 'repeat': "repeat", 'evidence': evidence},
                  sha256(concat_ws('/', $seed, criterion, case_id, "repeat")), $size) AS picks
    FROM results
    WHERE run_id = $run_id AND status = 'passed'
    GROUP BY criterion
), ranked AS (
    SELECT criterion, passing, unnest(picks) AS pick, generate_subscripts(picks, 1) AS rank
    FROM drawn
)
SELECT r.criterion, r.rank, r.passing, r.pick.case_id AS case_id, r.pick."repeat" AS "repeat",
       r.pick.evidence AS evidence, t.tags, t.facts, t.turns, t.error
FROM ranked r
JOIN transcripts t
  ON t.run_id = $run_id AND t.case_id = r.pick.case_id AND t."repeat" = r.pick."repeat"
ORDER BY r.criterion, r.rank
"""


class ReportQueries(StoreConnection):
    """The run store's queries for the report (see the module)."""

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
