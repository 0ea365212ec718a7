"""The part files each process writes (their rows: :mod:`harness.store.rows`).

Every process that replays cases (the ``harness run`` process, or each pytest-xdist worker)
writes its own *part*: three Parquet files under ``<out>/parts/`` named after the process
(results, transcripts, model calls). Only the controller merges parts into DuckDB.

>>> parts = Path("reports/run-1/parts")
>>> with PartWriter(parts, "gw0", run_id="run-1", plan=plan) as w:  # doctest: +SKIP
...     w.add(replayed)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from harness.corpus.cases import Turn
from harness.errors import StoreError
from harness.replay.journal import CallJournal
from harness.store.rows import CALL_SCHEMA, PART_KINDS

if TYPE_CHECKING:
    from harness.run.case import CaseReplay
    from harness.run.plan import ReplayPlan

CHUNK_ROWS = 4096
CHUNK_SECONDS = 2.0

#: ``json.dumps(value, sort_keys=True)``, without building an encoder for every value.
_sorted_json = json.JSONEncoder(sort_keys=True).encode
#: The fields of a turn row and of a call row, read off the values without a pydantic dump.
_TURN_FIELDS = tuple(Turn.model_fields)
_CALL_FIELDS = tuple(name for name in CALL_SCHEMA.names if name != "run_id")


def _turn_row(turn: Turn, scrub: Callable[[str], str]) -> dict[str, Any]:
    row = {name: getattr(turn, name) for name in _TURN_FIELDS}
    if row["text"]:
        row["text"] = scrub(row["text"])
    return row


def chunk_path(parts_dir: Path, process: str, kind: str, seq: int) -> Path:
    return parts_dir / f"{process}-{kind}-{seq:06d}.parquet"


class PartWriter:
    """Streams one process's rows to its part files as small, atomically written chunks.

    Every ``flush_rows`` result rows or ``flush_seconds`` (whichever comes first) the
    buffered rows become one chunk per kind, each written to a temporary file and renamed,
    results last: a case is committed once its results chunk exists, so a killed run
    loses at most the last couple of seconds, and never leaves a half-written file that
    looks whole. Memory stays bounded by the chunk size, whatever the corpus size.

    ``journal`` is the process's call journal in the same folder (see
    :mod:`harness.replay.journal`): give it to the runner, so a call paid for is on disk the
    moment it ends, committed or not.
    """

    def __init__(
        self,
        parts_dir: Path,
        process: str,
        *,
        run_id: str,
        plan: ReplayPlan,
        flush_rows: int = CHUNK_ROWS,
        flush_seconds: float = CHUNK_SECONDS,
    ) -> None:
        self.run_id = run_id
        self._plan = plan
        self._parts_dir = parts_dir
        self._process = process
        self._flush_rows = flush_rows
        self._flush_seconds = flush_seconds
        self._last_flush = time.monotonic()
        self._seq = 0
        parts_dir.mkdir(parents=True, exist_ok=True)
        self._buffers: dict[str, list[dict[str, Any]]] = {kind: [] for kind in PART_KINDS}
        self.committed = 0
        self._pending_keys: list[tuple[str, int]] = []
        self.journal = CallJournal(parts_dir, process)
        # The same on every row of the run: the scenario, the model and the prompt.
        self._labels = (plan.scenario.name, plan.model_label, plan.prompt_label)

    def add(self, replayed: CaseReplay) -> None:
        """Buffer the rows of one replayed case; flushes when a buffer is full."""
        case, repeat = replayed.case, replayed.repeat
        scenario, model, prompt = self._labels
        # No key, even in part, and no credential shape reaches a file (harness.config.secrets).
        scrub, optional = self._plan.scrubber.scrub, self._plan.scrubber.scrub_optional
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
                    "evidence": scrub(_sorted_json(score.evidence)) if score.evidence else None,
                    "error": optional(score.error),
                    "seed": replayed.seed,
                    "model": model,
                    "prompt": prompt,
                    "duration_ms": replayed.duration_ms,
                    "verdicts": scrub(_sorted_json(dict(score.verdicts)))
                    if score.verdicts
                    else None,
                }
            )
        self._buffers["transcripts"].append(
            {
                "run_id": self.run_id,
                "case_id": case.case_id,
                "repeat": repeat,
                "tags": _sorted_json(case.tags),
                "facts": scrub(_sorted_json(case.facts)),
                "turns": [_turn_row(t, scrub) for t in replayed.transcript.turns],
                "error": optional(replayed.transcript.error),
                "calibration": scrub(_sorted_json(replayed.calibration))
                if replayed.calibration
                else None,
            }
        )
        for call in replayed.calls:
            row: dict[str, Any] = {"run_id": self.run_id}
            row.update((name, getattr(call, name)) for name in _CALL_FIELDS)
            row["request_id"] = optional(row["request_id"])
            self._buffers["calls"].append(row)
        self._pending_cases += 1
        self._pending_keys.append((case.case_id, repeat))
        if (
            len(self._buffers["results"]) >= self._flush_rows
            or time.monotonic() - self._last_flush >= self._flush_seconds
        ):
            self.flush()

    _pending_cases = 0

    def flush(self) -> None:
        """Commit the buffered cases as one chunk per kind (results written last)."""
        self._last_flush = time.monotonic()
        if not self._pending_cases:
            return
        self._seq += 1
        for kind in ("transcripts", "calls", "results"):
            rows = self._buffers[kind]
            final = chunk_path(self._parts_dir, self._process, kind, self._seq)
            temp = final.with_name(final.name + ".tmp")
            try:
                pq.write_table(
                    pa.Table.from_pylist(rows, schema=PART_KINDS[kind]), temp, compression="zstd"
                )
                os.replace(temp, final)
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(f"cannot write {kind} part {final}: {exc}") from None
            rows.clear()
        self.committed += self._pending_cases
        self._pending_cases = 0
        self.journal.committed(self._pending_keys)  # their calls are in the chunk now
        self._pending_keys.clear()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.journal.close()

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
