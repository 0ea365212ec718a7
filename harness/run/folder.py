"""A run's folder: what ran (``run.json``), its committed part chunks, and a lock.

``run.json`` is written when a run starts and updated when it finishes; it carries the
hashes that make two folders comparable (scenario, prompt, disclosures, corpus, model) and
the shard. Resuming and merging check those hashes, so results of different
configurations are never mixed.

>>> folder = RunFolder(Path("reports/demo-baseline-20261123T184301Z-a52859"))  # doctest: +SKIP
>>> folder.info()["scenario"]  # doctest: +SKIP
'demo-baseline'
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.files import writable_folder
from harness.corpus.selection import id_bucket
from harness.errors import ConfigError, StoreError
from harness.replay.journal import SUFFIX as JOURNAL_SUFFIX
from harness.replay.journal import read_journal
from harness.run.parts import chunk_path
from harness.run.plan import ReplayPlan
from harness.store.database import RunStore
from harness.store.rows import CALL_SCHEMA

INFO = "run.json"
LOCK = ".lock"
#: The name prefix of a calls chunk kept from a journal (:func:`salvage_calls`).
SALVAGED = "salvaged-"
#: Everything a run writes into its folder besides ``parts/``: what ``--overwrite`` removes
#: (a file of the user's own in the folder is left alone).
RUN_FILES = (
    INFO,
    "results.parquet",
    "results-redacted.parquet",
    "manifest.json",
    "report.html",
    "summary.md",
    "pr-comment.md",
    "annotations.txt",
    "junit.xml",
    "batches.json",
)
#: What ``harness run`` offers when the output folder already holds a run.
WAYS_ON = (
    "finish an unfinished run with --resume, write this run to another --out, or pass "
    "--overwrite to empty the folder first"
)


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based): the cases whose id hash falls in it."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(p) for p in text.split("/"))
        except ValueError:
            raise ConfigError(f"--shard {text!r}: expected K/N, e.g. 2/4") from None
        if not 1 <= index <= count:
            raise ConfigError(f"--shard {text!r}: K must be between 1 and N")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def contains(self, case_id: str) -> bool:
        """Whether ``case_id`` belongs here: a stable hash, the same on every machine."""
        return id_bucket(case_id, self.count) == self.index - 1


def fingerprint(plan: ReplayPlan) -> dict[str, Any]:
    """What must be equal for two run folders' results to belong to one run."""
    scenario = plan.scenario
    return {
        "scenario": scenario.name,
        "scenario_sha256": scenario.source_hash,
        "model": plan.model_label,
        "model_options": dict(scenario.model.options),
        "prompt_sha256": plan.prompt.content_hash,
        "disclosures": {d.id: d.content_hash() for d in plan.disclosures},
        "corpus_sha256": plan.corpus_hash,
        "repeats": scenario.repeats,
        "seed": scenario.seed,
    }


class RunFolder:
    """The output folder of one run (or one shard of it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[str] | None = None

    @property
    def parts(self) -> Path:
        return self.path / "parts"

    def start(
        self,
        plan: ReplayPlan,
        run_id: str,
        shard: Shard | None,
        *,
        overwrite: bool = False,
        ways_on: str = WAYS_ON,
    ) -> None:
        """Record a new run here. A folder that already holds a run is refused (its results
        would be gated with this run's), naming ``ways_on``, unless ``overwrite``: that run's
        files are removed first."""
        if overwrite:
            self.clear()
        else:
            self.check_empty(ways_on)
        self.path.mkdir(parents=True, exist_ok=True)
        self._write(
            {
                "run_id": run_id,
                "scenario_path": str(plan.scenario.source_path),
                "shard": str(shard) if shard else None,
                "started_at": datetime.now(UTC).isoformat(),
                "finished_at": None,
                "fingerprint": fingerprint(plan),
            }
        )

    def holds_run(self) -> bool:
        """Whether a run was started here (its ``run.json``) or left result chunks here."""
        return (self.path / INFO).exists() or any(self.parts.glob("*-results-*.parquet"))

    def check_empty(self, ways_on: str = WAYS_ON) -> None:
        """Raise :class:`ConfigError` naming the run this folder holds, and the ways on."""
        if not self.holds_run():
            return
        try:
            info = self.info()
        except ConfigError:
            info = {}
        held = info.get("run_id") or "of unknown id"
        state = "finished" if info.get("finished_at") else "unfinished"
        cases = len({case for case, _repeat in self.completed()})
        raise ConfigError(
            f"{self.path}: this folder holds run {held} ({state}, {cases} cases committed); "
            f"{ways_on}"
        )

    def clear(self) -> None:
        """Remove what a run wrote here (:data:`RUN_FILES` and ``parts/``), nothing else."""
        for name in RUN_FILES:
            (self.path / name).unlink(missing_ok=True)
        if self.parts.is_dir():
            for chunk in self.parts.iterdir():
                if chunk.is_file():
                    chunk.unlink()
            self.parts.rmdir()

    def info(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.path / INFO).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{self.path}: not a run folder (no {INFO})") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path / INFO}: unreadable ({exc})") from None
        return data

    def finish(self) -> None:
        data = self.info()
        data["finished_at"] = datetime.now(UTC).isoformat()
        self._write(data)

    def check_matches(self, plan: ReplayPlan) -> None:
        """Refuse to add results of another configuration to this folder."""
        recorded = self.info()["fingerprint"]
        current = fingerprint(plan)
        for key in current:
            if recorded.get(key) != current[key]:
                raise ConfigError(
                    f"{self.path}: this run was made with a different {key.replace('_', ' ')} "
                    f"(recorded {recorded.get(key)!r}, now {current[key]!r}); start a new run "
                    "instead of resuming this one"
                )

    def completed(self) -> set[tuple[str, int]]:
        """(case id, repeat) of every case whose results chunk is committed."""
        done: set[tuple[str, int]] = set()
        for chunk in sorted(self.parts.glob("*-results-*.parquet")):
            table = read_chunk(chunk, columns=["case_id", "repeat"])
            done.update(
                zip(
                    table.column("case_id").to_pylist(),
                    table.column("repeat").to_pylist(),
                    strict=True,
                )
            )
        return done

    def drop_orphans(self) -> None:
        """Delete chunks written before a crash whose results chunk never landed (the calls
        they logged are in the call journals: :func:`salvage_calls` keeps them)."""
        committed = {p.name.replace("-results-", "-X-") for p in self.parts.glob("*-results-*")}
        for kind in ("transcripts", "calls"):
            for chunk in self.parts.glob(f"*-{kind}-*.parquet"):
                if chunk.name.startswith(SALVAGED):
                    continue
                if chunk.name.replace(f"-{kind}-", "-X-") not in committed:
                    chunk.unlink()
        for temp in self.parts.glob("*.tmp"):
            temp.unlink()

    def lock(self) -> RunFolder:
        """Hold the folder for this process; a second process gets a clear refusal."""
        writable_folder(self.path, "--out")
        handle = (self.path / LOCK).open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ConfigError(
                f"{self.path}: run {self.path.name} is already being run or resumed by "
                f"{holder}; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock = handle
        return self

    def unlock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def __enter__(self) -> RunFolder:
        return self.lock()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.unlock()

    def _write(self, data: dict[str, Any]) -> None:
        temp = self.path / (INFO + ".tmp")
        temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, self.path / INFO)


def salvage_calls(parts: Path, committed: Callable[[], set[tuple[str, int]]], run_id: str) -> int:
    """Keep the journaled calls of cases never committed, then remove the journals.

    A case cut short (a kill, an interruption) has no calls chunk, but the calls it made
    were paid for: they become a calls chunk of their own, ``salvaged-<journal>-calls-…``,
    so the run's call log and cost stay true when the case is replayed again (its answers
    then come from the cache, as free hits). Committed cases' calls are in their chunks
    already; ``committed`` gives those cases, read only when a journal is left. Idempotent:
    a journal whose chunk exists is only removed. Returns how many calls were kept.
    """
    journals = sorted(parts.glob(f"*{JOURNAL_SUFFIX}"))
    done = committed() if journals else set()
    kept = 0
    for journal in journals:
        stem = journal.name.removesuffix(JOURNAL_SUFFIX)
        final = chunk_path(parts, f"{SALVAGED}{stem}", "calls", 0)
        if not final.exists():
            rows = [
                {"run_id": run_id, **{n: row.get(n) for n in CALL_SCHEMA.names if n != "run_id"}}
                for row in read_journal(journal)
                if (row["case_id"], row["repeat"]) not in done
            ]
            if rows:
                temp = final.with_name(final.name + ".tmp")
                try:
                    pq.write_table(pa.Table.from_pylist(rows, schema=CALL_SCHEMA), temp)
                    os.replace(temp, final)
                except (OSError, pa.ArrowException) as exc:
                    raise StoreError(f"cannot write salvaged calls {final}: {exc}") from None
                kept += len(rows)
        journal.unlink()
    return kept


def read_chunk(path: Path, columns: list[str] | None = None) -> pa.Table:
    """Read one part chunk; a truncated or corrupt file is named."""
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(
            f"{path}: truncated or corrupt result chunk ({exc}); re-run that shard, or delete "
            "the file and resume the run to replay its cases"
        ) from None


def check_chunk(path: Path) -> None:
    """Raise :class:`StoreError` naming ``path`` when its footer is unreadable (truncated)."""
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(
            f"{path}: truncated or corrupt result chunk ({exc}); re-run that shard, or delete "
            "the file and resume the run to replay its cases"
        ) from None


def find_unfinished(reports: Path, scenario: str, store: RunStore | None = None) -> RunFolder:
    """The most recently started unfinished run of ``scenario``.

    Runs are registered in the store when they start; folders under ``reports`` with an
    unfinished ``run.json`` count too (a run whose store was not kept).
    """
    candidates = []
    if store is not None and (registered := store.unfinished_run(scenario)) is not None:
        folder = Path(registered)
        if (folder / INFO).is_file():
            data = json.loads((folder / INFO).read_text(encoding="utf-8"))
            if not data.get("finished_at"):
                candidates.append((data.get("started_at", ""), folder))
    for info in reports.glob(f"*/{INFO}"):
        try:
            data = json.loads(info.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("fingerprint", {}).get("scenario") == scenario and not data.get("finished_at"):
            candidates.append((data.get("started_at", ""), info.parent))
    if not candidates:
        raise ConfigError(
            f"no unfinished run of scenario '{scenario}' to resume (looked in the run "
            f"database and under {reports}/); run it without --resume, or name the run: "
            "--resume RUN_ID"
        )
    return RunFolder(max(candidates)[1])
