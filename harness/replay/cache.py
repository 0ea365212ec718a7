"""The response cache: content-addressed model answers kept on local disk.

The key is a SHA-256 over everything that determines an answer: the provider, its endpoint,
the model id and options, the system prompt, the messages and the seed (which differs per
case and repeat). A hit costs no call. Answers are stored as small Parquet segment files
under the cache folder (default ``.harness-cache/``), each written atomically, so several
processes (xdist workers, shards) can add to one cache and a killed run loses nothing it
had flushed. A CI workflow saves and restores the folder with ``actions/cache``.

Modes: ``read-write`` (default), ``read-only``, ``off``, and ``require`` (a miss is an
error naming the case: for keyless pull-request runs that must replay recorded answers).

>>> cache = ResponseCache(Path(".harness-cache"), "read-write", process="main")  # doctest: +SKIP
>>> cache.get(key) is None  # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.calls import CACHE_MODES, CacheMode
from harness.config.files import writable_folder
from harness.errors import ConfigError, StoreError
from harness.models.base import Completion, CompletionRequest, ModelAdapter, Usage

_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("text", pa.string()),
        ("model", pa.string()),
        ("stop_reason", pa.string()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_tokens", pa.int64()),
        ("request_id", pa.string()),
    ]
)
_FLUSH_EVERY = 512
_COMPACT_ABOVE = 64


#: The canonical JSON a key is the SHA-256 of: keys sorted, no spaces, text as it is.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def cache_key(adapter: ModelAdapter, request: CompletionRequest) -> str:
    """The content address of ``request`` sent through ``adapter``: the SHA-256 of the
    canonical JSON of ``{"identity": adapter.cache_identity(), "system": …, "messages":
    [[role, content], …], "seed": …}``."""
    return request_key(identity_key(adapter), request)


def identity_key(adapter: ModelAdapter) -> str:
    """The canonical JSON of ``adapter``'s cache identity, the part of every key that is
    the same for all its requests (a call runner computes it once)."""
    return _canonical(adapter.cache_identity())


def request_key(identity: str, request: CompletionRequest) -> str:
    """:func:`cache_key` from the adapter's :func:`identity_key`."""
    # The canonical JSON of the whole payload, written part by part in its sorted key
    # order (identity, messages, seed, system): the same text, so the same key.
    canonical = "".join(
        (
            '{"identity":',
            identity,
            ',"messages":',
            _canonical([[m.role, m.content] for m in request.messages]),
            ',"seed":',
            _canonical(request.seed),
            ',"system":',
            _canonical(request.system),
            "}",
        )
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """A process's view of the cache folder: everything stored so far, plus its own writes."""

    def __init__(self, folder: Path, mode: CacheMode, *, process: str) -> None:
        if mode not in CACHE_MODES:
            raise ConfigError(
                f"unknown cache mode '{mode}'; choose one of {', '.join(CACHE_MODES)}"
            )
        self.folder = folder
        self.mode = mode
        self._process = f"{process}-{uuid.uuid4().hex[:8]}"
        # What this process put, by key; what the folder held is kept as columns and made a
        # Completion only when asked for (a key maps to its row there): a re-run of 100,000
        # cases asks each row once, and most processes only a share of them.
        self._entries: dict[str, Completion] = {}
        self._stored: dict[str, int] = {}
        self._columns: dict[str, list[Any]] = {name: [] for name in _SCHEMA.names}
        self._pending: list[dict[str, Any]] = []
        self._flushes = 0
        self.hits = 0
        self._tail: TextIO | None = None
        if mode == "read-write":  # before any call: a paid answer must have a place to go
            writable_folder(folder, "cache folder (--cache-dir, or cache.dir in the scenario)")
        if mode != "off" and folder.is_dir():
            self._load()

    @property
    def reads(self) -> bool:
        return self.mode != "off"

    @property
    def writes(self) -> bool:
        return self.mode == "read-write"

    def __len__(self) -> int:
        return len(self._stored.keys() | self._entries.keys())

    def get(self, key: str) -> Completion | None:
        if not self.reads:
            return None
        found = self._entries.get(key)
        if found is None:
            row = self._stored.get(key)
            if row is None:
                return None
            found = self._completion(row)
        self.hits += 1
        return found

    def put(self, key: str, completion: Completion) -> None:
        if not self.writes or key in self._entries or key in self._stored:
            return
        self._entries[key] = completion
        usage = completion.usage
        row = {
            "key": key,
            "text": completion.text,
            "model": completion.model,
            "stop_reason": completion.stop_reason,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "request_id": completion.request_id,
        }
        self._pending.append(row)
        self._append_tail(row)
        if len(self._pending) >= _FLUSH_EVERY:
            self.flush()

    def _append_tail(self, row: dict[str, Any]) -> None:
        """Append the answer to this process's journal at once, so a killed run keeps it:
        the operating system holds the written line even if the process dies next."""
        if self._tail is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._tail = (self.folder / f"{self._process}.tail.jsonl").open("a", encoding="utf-8")
        self._tail.write(json.dumps(row, separators=(",", ":")) + "\n")
        self._tail.flush()

    def flush(self) -> None:
        """Write pending answers as one new segment (atomically: temp file, then rename)."""
        if not self._pending:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._flushes += 1
        final = self.folder / f"{self._process}-{self._flushes:05d}.parquet"
        temp = final.with_suffix(".tmp")
        try:
            pq.write_table(pa.Table.from_pylist(self._pending, schema=_SCHEMA), temp)
            os.replace(temp, final)
        except OSError as exc:
            raise StoreError(f"{self.folder}: cannot write to the response cache ({exc})") from None
        self._pending.clear()
        if self._tail is not None:  # its lines are in the segment now
            self._tail.close()
            self._tail = None
            (self.folder / f"{self._process}.tail.jsonl").unlink(missing_ok=True)

    def close(self) -> None:
        self.flush()

    def _load(self) -> None:
        segments = sorted(self.folder.glob("*.parquet"))
        for segment in segments:
            try:
                table = pq.read_table(segment, schema=_SCHEMA)
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(
                    f"{segment}: unreadable response-cache segment ({exc}); delete the file "
                    "(its answers will be fetched again)"
                ) from None
            self._add_columns({name: table.column(name).to_pylist() for name in _SCHEMA.names})
        for tail in sorted(self.folder.glob("*.tail.jsonl")):
            rows = _read_tail(tail)  # rows checked complete there
            self._add_columns({name: [row[name] for row in rows] for name in _SCHEMA.names})
        if self.writes and len(segments) > _COMPACT_ABOVE:
            self._compact(segments)

    def _add_columns(self, columns: dict[str, list[Any]]) -> None:
        """Add stored answers, column by column; a later answer to a key replaces it."""
        start = len(self._columns["key"])
        for name, values in columns.items():
            self._columns[name].extend(values)
        self._stored.update((key, start + i) for i, key in enumerate(columns["key"]))

    def _completion(self, row: int) -> Completion:
        """The stored answer at ``row`` of the loaded columns."""
        c = self._columns
        return Completion(
            text=c["text"][row],
            model=c["model"][row],
            stop_reason=c["stop_reason"][row],
            usage=Usage(
                c["input_tokens"][row],
                c["output_tokens"][row],
                c["cache_read_tokens"][row],
                c["cache_write_tokens"][row],
            ),
            request_id=c["request_id"][row],
        )

    def _compact(self, segments: list[Path]) -> None:
        """Many small segments → one, so opening the cache stays fast."""
        table = pa.concat_tables(pq.read_table(s, schema=_SCHEMA) for s in segments)
        final = self.folder / f"compacted-{uuid.uuid4().hex[:12]}.parquet"
        temp = final.with_suffix(".tmp")
        pq.write_table(table, temp)
        os.replace(temp, final)
        for segment in segments:
            segment.unlink(missing_ok=True)


#: What every journaled answer holds (the cache's columns).
_TAIL_FIELDS = frozenset(_SCHEMA.names)


def _read_tail(path: Path) -> list[dict[str, Any]]:
    """The answers journaled by a process that did not flush (it was killed, say).

    A last line cut off mid-write (no newline at its end) is skipped: that answer will
    simply be fetched again. Any other line that is not a whole answer is damage, refused
    with a :class:`StoreError` naming the file and line.
    """
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the response-cache journal ({exc})") from None
    rows = []
    last = len(lines) - 1  # after the final newline: empty, or a line cut off mid-write
    for number, raw in enumerate(lines, start=1):
        if number - 1 == last or not raw.strip():
            continue
        try:
            row = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problem = f"not a JSON answer ({exc})"
        else:
            missing = _TAIL_FIELDS - set(row) if isinstance(row, dict) else _TAIL_FIELDS
            if not missing:
                rows.append(row)
                continue
            problem = f"an incomplete answer (no {', '.join(sorted(missing))})"
        raise StoreError(
            f"{path} line {number}: damaged response-cache journal: {problem}; delete the "
            "file (its answers will be fetched again, at their price) or restore it"
        )
    return rows
