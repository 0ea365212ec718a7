"""The corpus contract: a committed manifest of the corpus files, their content and row counts.

``MANIFEST.json`` sits in the corpus folder and lists each Parquet file with the sha256 of
its *content* (the cases, canonically serialised, so rewriting the same cases with another
pyarrow version is not a change) and its row count, plus the label history's length and
hash. CI checks that the files match it: a corpus file changed without the manifest being
updated fails, naming the file and the command that updates the manifest, so every change
to what the gate runs on shows up in review as a manifest change.

The label history is append-only: updating the manifest refuses a history whose earlier
entries were edited.

>>> write_manifest(Path("corpus/demo"))  # doctest: +SKIP
>>> check_contract(Path("corpus/demo"))  # doctest: +SKIP
[]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.corpus.cases import SCHEMA_VERSION
from harness.corpus.files import corpus_files, iter_cases
from harness.errors import CorpusError

MANIFEST_NAME = "MANIFEST.json"
HISTORY_NAME = "LABELS.jsonl"
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class FileEntry(BaseModel):
    model_config = _FROZEN
    path: str
    rows: int
    content_sha256: str
    schema_version: int


class HistoryEntry(BaseModel):
    model_config = _FROZEN
    path: str
    entries: int
    sha256: str


class CorpusManifest(BaseModel):
    """The committed contract of one corpus folder."""

    model_config = _FROZEN
    manifest_version: int = 1
    files: tuple[FileEntry, ...]
    label_history: HistoryEntry | None = None


@dataclass(frozen=True, slots=True)
class ContractProblem:
    """One way the corpus differs from its manifest: which file, what, and the fix."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def content_hash(path: Path) -> tuple[str, int]:
    """sha256 over the file's cases as canonical JSON, and its row count."""
    digest = hashlib.sha256()
    rows = 0
    for case in iter_cases([path]):
        digest.update(case.model_dump_json().encode())
        digest.update(b"\n")
        rows += 1
    return digest.hexdigest(), rows


def _history(folder: Path, lines: int | None = None) -> HistoryEntry | None:
    path = folder / HISTORY_NAME
    if not path.exists():
        return None
    entries = path.read_bytes().splitlines(keepends=True)
    kept = entries if lines is None else entries[:lines]
    return HistoryEntry(
        path=HISTORY_NAME, entries=len(kept), sha256=hashlib.sha256(b"".join(kept)).hexdigest()
    )


def build_manifest(folder: Path) -> CorpusManifest:
    """The manifest the corpus in ``folder`` has now."""
    entries = []
    for path in corpus_files([folder]):
        digest, rows = content_hash(path)
        entries.append(
            FileEntry(
                path=path.relative_to(folder).as_posix(),
                rows=rows,
                content_sha256=digest,
                schema_version=SCHEMA_VERSION,
            )
        )
    return CorpusManifest(files=tuple(entries), label_history=_history(folder))


def read_manifest(folder: Path) -> CorpusManifest | None:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        return CorpusManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise CorpusError(f"{path}: not a valid corpus manifest ({exc})") from None


def update_command(folder: Path) -> str:
    return f"harness corpus manifest {folder.as_posix()}"


def write_manifest(folder: Path) -> CorpusManifest:
    """Write ``folder/MANIFEST.json`` for the corpus as it is now.

    Raises :class:`CorpusError` when the label history's recorded entries were edited
    rather than appended to (the history is append-only).
    """
    old = read_manifest(folder)
    if old is not None and old.label_history is not None:
        now = _history(folder, old.label_history.entries)
        if now is None or now.sha256 != old.label_history.sha256:
            raise CorpusError(
                f"{folder / HISTORY_NAME}: its first {old.label_history.entries} entries were "
                "changed, but the label history is append-only; restore them (git checkout "
                "the file) and record the correction as a new entry with `harness corpus label`"
            )
    manifest = build_manifest(folder)
    text = json.dumps(manifest.model_dump(mode="json"), indent=2) + "\n"
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


def check_contract(folder: Path) -> list[ContractProblem]:
    """Every difference between the corpus in ``folder`` and its committed manifest."""
    fix = f"review the change, then run `{update_command(folder)}` and commit {MANIFEST_NAME}"
    manifest = read_manifest(folder)
    if manifest is None:
        return [
            ContractProblem(
                str(folder / MANIFEST_NAME),
                f"missing: the corpus has no contract; create it with `{update_command(folder)}` "
                "and commit it",
            )
        ]
    problems: list[ContractProblem] = []
    recorded = {entry.path: entry for entry in manifest.files}
    current = build_manifest(folder)
    now = {entry.path: entry for entry in current.files}
    for name, entry in now.items():
        shown = str(folder / name)
        before = recorded.get(name)
        if before is None:
            problems.append(ContractProblem(shown, f"new file not in {MANIFEST_NAME}; {fix}"))
        elif before.content_sha256 != entry.content_sha256 or before.rows != entry.rows:
            rows = (
                f"rows {before.rows} → {entry.rows}" if before.rows != entry.rows else "rows same"
            )
            problems.append(
                ContractProblem(
                    shown,
                    f"content changed ({rows}, sha256 {before.content_sha256[:12]}… → "
                    f"{entry.content_sha256[:12]}…) but {MANIFEST_NAME} was not updated; {fix}",
                )
            )
    for name in recorded.keys() - now.keys():
        problems.append(
            ContractProblem(str(folder / name), f"listed in {MANIFEST_NAME} but missing; {fix}")
        )
    problems.extend(_history_problems(folder, manifest, current, fix))
    return sorted(problems, key=lambda p: p.path)


def _history_problems(
    folder: Path, manifest: CorpusManifest, current: CorpusManifest, fix: str
) -> list[ContractProblem]:
    before, now = manifest.label_history, current.label_history
    shown = str(folder / HISTORY_NAME)
    if before == now:
        return []
    if before is None:
        return [ContractProblem(shown, f"new label history not in {MANIFEST_NAME}; {fix}")]
    prefix = _history(folder, before.entries)
    if now is None or prefix is None or prefix.sha256 != before.sha256:
        return [
            ContractProblem(
                shown,
                f"entries 1-{before.entries} were edited or removed; the label history is "
                "append-only: restore them and record corrections as new entries",
            )
        ]
    added = now.entries - before.entries
    return [ContractProblem(shown, f"{added} new label change(s) not in {MANIFEST_NAME}; {fix}")]
