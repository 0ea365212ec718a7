"""Result rows and the part files each process writes.

Every process that replays cases (the ``harness run`` process, or each pytest-xdist worker)
writes its own *part*: three Parquet files under ``<out>/parts/`` named after the process
(results, transcripts, model calls). Only the controller merges parts into DuckDB.

>>> parts = Path("reports/run-1/parts")
>>> with PartWriter(parts, "gw0", run_id="run-1", plan=plan) as w:  # doctest: +SKIP
...     w.add(replayed)
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from harness.cases import TURN_TYPE
from harness.errors import StoreError

if TYPE_CHECKING:
    from harness.plan import ReplayPlan
    from harness.replay import CaseReplay

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
        ("latency_ms", pa.float64()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_tokens", pa.int64()),
        ("cost_usd", pa.float64()),
        ("cache_hit", pa.bool_()),
        ("error_class", pa.string()),
        ("request_id", pa.string()),
        ("stop_reason", pa.string()),
    ]
)

PART_KINDS = {"results": RESULT_SCHEMA, "transcripts": TRANSCRIPT_SCHEMA, "calls": CALL_SCHEMA}
TIMING_COLUMNS = frozenset({"duration_ms", "latency_ms"})


def part_path(parts_dir: Path, process: str, kind: str) -> Path:
    return parts_dir / f"{process}-{kind}.parquet"


class PartWriter:
    """Streams one process's rows to its three part files, a batch at a time."""

    def __init__(
        self,
        parts_dir: Path,
        process: str,
        *,
        run_id: str,
        plan: ReplayPlan,
        batch_rows: int = 2048,
    ) -> None:
        self.run_id = run_id
        self._plan = plan
        self._batch_rows = batch_rows
        parts_dir.mkdir(parents=True, exist_ok=True)
        self._writers = {
            kind: pq.ParquetWriter(part_path(parts_dir, process, kind), schema, compression="zstd")
            for kind, schema in PART_KINDS.items()
        }
        self._buffers: dict[str, list[dict[str, Any]]] = {kind: [] for kind in PART_KINDS}

    def add(self, replayed: CaseReplay) -> None:
        """Buffer the rows of one replayed case; flushes when a buffer is full."""
        case, repeat = replayed.case, replayed.repeat
        scenario = self._plan.scenario.name
        for score in replayed.scores:
            self._buffers["results"].append(
                {
                    "run_id": self.run_id,
                    "scenario": scenario,
                    "case_id": case.case_id,
                    "repeat": repeat,
                    "criterion": score.criterion,
                    "criterion_version": score.criterion_version,
                    "status": score.status,
                    "passed": score.status == "passed",
                    "score": score.score,
                    "evidence": json.dumps(score.evidence, sort_keys=True)
                    if score.evidence
                    else None,
                    "error": score.error,
                    "seed": replayed.seed,
                    "model": self._plan.model_label,
                    "prompt": self._plan.prompt_label,
                    "duration_ms": replayed.duration_ms,
                }
            )
        self._buffers["transcripts"].append(
            {
                "run_id": self.run_id,
                "case_id": case.case_id,
                "repeat": repeat,
                "tags": json.dumps(case.tags, sort_keys=True),
                "facts": json.dumps(case.facts, sort_keys=True),
                "turns": [t.model_dump() for t in replayed.transcript.turns],
                "error": replayed.transcript.error,
            }
        )
        for call in replayed.calls:
            row = {name: getattr(call, name) for name in CALL_SCHEMA.names if name != "run_id"}
            self._buffers["calls"].append({"run_id": self.run_id, **row})
        for kind, rows in self._buffers.items():
            if len(rows) >= self._batch_rows:
                self._flush(kind)

    def _flush(self, kind: str) -> None:
        rows = self._buffers[kind]
        if not rows:
            return
        try:
            self._writers[kind].write_table(pa.Table.from_pylist(rows, schema=PART_KINDS[kind]))
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"cannot write {kind} part: {exc}") from None
        rows.clear()

    def close(self) -> None:
        for kind in PART_KINDS:
            self._flush(kind)
        for writer in self._writers.values():
            writer.close()

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
