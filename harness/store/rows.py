"""The rows a run stores: one schema per kind of part file and run-store table.

``results``: one row per case, repeat and criterion (the verdict and its evidence);
``transcripts``: one per case and repeat (the turns as replayed, tags, facts, calibration);
``calls``: one per model-call attempt (tokens, cost, latency and time queued for a
concurrency slot, cache hit, purpose).

>>> sorted(PART_KINDS)
['calls', 'results', 'transcripts']
"""

from __future__ import annotations

import pyarrow as pa

from harness.corpus.cases import TURN_TYPE

RESULT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("scenario", pa.string()),
        ("case_id", pa.string()),
        ("repeat", pa.int32()),
        ("criterion", pa.string()),
        ("criterion_version", pa.int32()),
        ("status", pa.string()),
        ("passed", pa.bool_()),
        ("score", pa.float64()),
        ("evidence", pa.string()),
        ("error", pa.string()),
        ("seed", pa.int64()),
        ("model", pa.string()),
        ("prompt", pa.string()),
        ("duration_ms", pa.float64()),
        ("verdicts", pa.string()),  # JSON: each component scorer's status (rules, judge)
    ]
)

TRANSCRIPT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("case_id", pa.string()),
        ("repeat", pa.int32()),
        ("tags", pa.string()),
        ("facts", pa.string()),
        ("turns", pa.list_(TURN_TYPE)),
        ("error", pa.string()),
        ("calibration", pa.string()),  # JSON: golden label vs each scorer, labelled cases
    ]
)

CALL_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("case_id", pa.string()),
        ("repeat", pa.int32()),
        ("turn_index", pa.int32()),
        ("attempt", pa.int32()),
        ("status", pa.string()),
        ("latency_ms", pa.float64()),  # from the call's slot to its answer
        ("queued_ms", pa.float64()),  # the wait for a concurrency slot before it
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_tokens", pa.int64()),
        ("cost_usd", pa.float64()),
        ("cache_hit", pa.bool_()),
        ("error_class", pa.string()),
        ("request_id", pa.string()),
        ("stop_reason", pa.string()),
        ("purpose", pa.string()),  # "agent" or "judge"
        ("criterion", pa.string()),  # what a judge call scored
    ]
)

PART_KINDS = {"results": RESULT_SCHEMA, "transcripts": TRANSCRIPT_SCHEMA, "calls": CALL_SCHEMA}
TIMING_COLUMNS = frozenset({"duration_ms", "latency_ms", "queued_ms"})
