"""The call journal: every model-call attempt, appended to a file the moment it ends.

A case's calls reach its part files only when the case is committed, a couple of seconds
after it finishes. A run killed in between (kill -9, a lost runner) would forget calls it
paid for: on resume their answers come from the response cache as free hits, and the run's
cost and call counts would be short. So each process also appends every attempt it makes
(never a cache hit) to ``<parts>/<process>-<segment>.calls.jsonl``, one JSON line each,
handed to the operating system at once: a killed process loses at most the attempts still
in flight. Each time the part writer commits cases, the journal moves on to a new segment
and removes every segment whose cases are all committed, so a run that ends normally leaves
none. When a run resumes or finishes, the attempts of cases never committed are kept
(:func:`harness.run.folder.salvage_calls`).

>>> journal = CallJournal(Path("reports/run-1/parts"), "main-1a2b3c")  # doctest: +SKIP
>>> journal.record(call)  # doctest: +SKIP
>>> journal.committed({("case-1", 0)})  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from harness.errors import StoreError
from harness.replay.calls import ModelCall

#: A journal segment's file name ends so: ``<process>-<segment>.calls.jsonl``.
SUFFIX = ".calls.jsonl"
_FIELDS = tuple(f.name for f in dataclasses.fields(ModelCall))

Key = tuple[str, int]


class CallJournal:
    """One process's journal of call attempts (see the module docstring)."""

    def __init__(self, folder: Path, process: str) -> None:
        self.folder = folder
        self.process = process
        self._segment = 0
        self._handle: TextIO | None = None
        # Per segment, the (case id, repeat) of calls journaled there and not yet committed.
        self._pending: dict[int, set[Key]] = {}

    def path(self, segment: int) -> Path:
        return self.folder / f"{self.process}-{segment:06d}{SUFFIX}"

    def record(self, call: ModelCall) -> None:
        """Append ``call`` and hand it to the operating system before returning."""
        if self._handle is None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._handle = self.path(self._segment).open("a", encoding="utf-8")
            except OSError as exc:
                raise StoreError(f"{self.folder}: cannot write the call journal ({exc})") from None
        row = {name: getattr(call, name) for name in _FIELDS}
        self._handle.write(json.dumps(row, separators=(",", ":")) + "\n")
        self._handle.flush()
        self._pending.setdefault(self._segment, set()).add((call.case_id, call.repeat))

    def committed(self, keys: Iterable[Key]) -> None:
        """Cases ``keys`` are in part chunks now: start a new segment, and remove those
        whose every case is committed."""
        done = set(keys)
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._segment += 1
        for segment, pending in list(self._pending.items()):
            pending -= done
            if not pending:
                self.path(segment).unlink(missing_ok=True)
                del self._pending[segment]

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_journal(path: Path) -> list[dict[str, object]]:
    """The attempts a journal segment holds; a line cut off by a full disk is skipped."""
    rows = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and {"case_id", "repeat", "attempt"} <= row.keys():
                rows.append(row)
    return rows
