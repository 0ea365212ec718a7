"""Golden labels: change them with who, when and why, keep every change in an append-only log.

A label change rewrites the case in its corpus file and appends one JSON line to
``LABELS.jsonl`` in the corpus folder: the new label, the previous one, who, when and why.
The change is then reviewable twice: the history line, and the manifest change CI demands
(see :mod:`harness.golden.contract`). Labels also round-trip through CSV for spreadsheets:
:func:`export_labels_csv` writes one row per case and disclosure, :func:`import_labels_csv`
applies the rows that changed. A labels file downloaded from a report's review (see
:mod:`harness.outputs.report.pass_sample`) imports the same way; its ``reviewer`` column says
who decided each label and its ``source`` column where (the run, and the verdict reviewed),
both kept in the history.

>>> edit = LabelEdit("pos-0003", "commission", applicable=True, presented=False, note="late")
>>> apply_label_edits(Path("corpus/demo"), [edit], by="Priya", why="QA 12")  # doctest: +SKIP
[LabelChange(case_id='pos-0003', disclosure_id='commission', ...)]
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from harness.config.disclosures import DisclosureRegistry
from harness.corpus.cases import Case, GoldenLabel
from harness.corpus.files import corpus_files, iter_cases, write_cases
from harness.errors import CorpusError, did_you_mean
from harness.golden.contract import HISTORY_NAME
from harness.golden.importers.records import Record, Reject, read_csv

CSV_COLUMNS = (
    "case_id",
    "disclosure_id",
    "applies",
    "applicable",
    "presented",
    "note",
    "customer_said",
)
#: Optional columns of a label CSV: who decided the row's label, and where it came from (a
#: report's review writes both). Other columns (``applies``, ``verdict``, ...) are not read.
REVIEW_COLUMNS = ("reviewer", "source")
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


class LabelState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    applicable: bool
    presented: bool
    note: str | None = None


def describe_state(state: LabelState | None) -> str:
    """``presented``, ``missed`` or ``not applicable``, with the note.

    >>> describe_state(LabelState(applicable=True, presented=False, note="late"))
    'missed (late)'
    """
    if state is None:
        return "(no label)"
    kind = "presented" if state.presented else ("missed" if state.applicable else "not applicable")
    return kind + (f" ({state.note})" if state.note else "")


class LabelChange(BaseModel):
    """One entry of the label history."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    case_id: str
    disclosure_id: str
    label: LabelState
    previous: LabelState | None
    by: str
    at: datetime
    why: str
    #: Where the label was decided, when the import said (a report review: run and verdict).
    source: str | None = None

    def describe(self) -> str:
        return (
            f"{self.case_id} {self.disclosure_id}: {describe_state(self.previous)} → "
            f"{describe_state(self.label)}"
        )


@dataclass(frozen=True, slots=True)
class LabelEdit:
    """A wanted label for one case and disclosure."""

    case_id: str
    disclosure_id: str
    applicable: bool
    presented: bool
    note: str | None = None
    where: str = ""
    #: Who decided this label and where, when it differs from the change's ``by`` (a CSV
    #: row's ``reviewer`` and ``source`` columns).
    by: str | None = None
    source: str | None = None


@dataclass
class LabelImport:
    """What a CSV label import did: the changes made and the rows rejected."""

    changes: list[LabelChange] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def corpus_folder(path: Path) -> Path:
    """The folder whose ``LABELS.jsonl`` records changes to the corpus at ``path``."""
    return path if path.is_dir() else path.parent


def history_path(path: Path) -> Path:
    return corpus_folder(path) / HISTORY_NAME


def read_history(path: Path) -> list[LabelChange]:
    """Every label change recorded for the corpus at ``path``, oldest first."""
    log = history_path(path)
    if not log.exists():
        return []
    changes = []
    for number, line in enumerate(log.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                changes.append(LabelChange.model_validate_json(line))
            except ValueError as exc:
                raise CorpusError(f"{log} line {number}: not a label change ({exc})") from None
    return changes


def _state(label: GoldenLabel | None) -> LabelState | None:
    if label is None:
        return None
    return LabelState(applicable=label.applicable, presented=label.presented, note=label.note)


def check_edit(edit: LabelEdit, registry: DisclosureRegistry | None) -> None:
    if registry is not None and edit.disclosure_id not in registry.ids:
        hint = did_you_mean(edit.disclosure_id, registry.ids)
        raise CorpusError(
            f"{edit.where or 'label'}: unknown disclosure '{edit.disclosure_id}'{hint}; "
            f"{registry.folder} defines: {', '.join(registry.ids)}"
        )
    if edit.presented and not edit.applicable:
        raise CorpusError(
            f"{edit.where or 'label'}: presented without being applicable; a disclosure that "
            "does not apply is labelled applicable=no, presented=no"
        )


def apply_label_edits(
    path: Path,
    edits: Sequence[LabelEdit],
    *,
    by: str,
    why: str,
    registry: DisclosureRegistry | None = None,
    at: datetime | None = None,
) -> list[LabelChange]:
    """Apply ``edits`` to the corpus at ``path`` and append them to its label history.

    Edits that change nothing are skipped. An edit's own ``by`` (who decided it) is recorded
    instead of ``by``. Raises :class:`CorpusError` (and changes nothing) on an unknown case
    or disclosure, or an empty ``why``, or no ``by`` for an edit that has none of its own.
    """
    if not why.strip() or (not by.strip() and any(not (e.by or "").strip() for e in edits)):
        raise CorpusError("a label change needs who made it (--by) and why (--why)")
    for edit in edits:
        check_edit(edit, registry)
    at = at or datetime.now(UTC)
    wanted: dict[str, list[LabelEdit]] = {}
    for edit in edits:
        wanted.setdefault(edit.case_id, []).append(edit)
    found: set[str] = set()
    rewrites: list[tuple[Path, list[Case]]] = []
    changes: list[LabelChange] = []
    for file in corpus_files([path]):
        cases = list(iter_cases([file]))
        touched = False
        for index, case in enumerate(cases):
            if case.case_id not in wanted:
                continue
            found.add(case.case_id)
            for edit in wanted[case.case_id]:
                updated, change = _relabel(case, edit, by=by, why=why, at=at)
                if change is not None:
                    case, touched = updated, True
                    changes.append(change)
            cases[index] = case
        if touched:
            rewrites.append((file, cases))
    missing = [e for e in edits if e.case_id not in found]
    if missing:
        first = missing[0]
        raise CorpusError(
            f"{first.where or 'label'}: no case '{first.case_id}' in {path}"
            + (f" (and {len(missing) - 1} more unknown cases)" if len(missing) > 1 else "")
        )
    for file, cases in rewrites:
        write_cases(file, cases)
    if changes:
        with history_path(path).open("a", encoding="utf-8") as log:
            for change in changes:
                log.write(change.model_dump_json() + "\n")
    return changes


def _relabel(
    case: Case, edit: LabelEdit, *, by: str, why: str, at: datetime
) -> tuple[Case, LabelChange | None]:
    new = GoldenLabel(
        disclosure_id=edit.disclosure_id,
        applicable=edit.applicable,
        presented=edit.presented,
        note=edit.note or None,
    )
    old = case.label_for(edit.disclosure_id)
    if old == new:
        return case, None
    others = [lb for lb in case.labels if lb.disclosure_id != edit.disclosure_id]
    labels = tuple(sorted([*others, new], key=lambda lb: lb.disclosure_id))
    change = LabelChange(
        case_id=case.case_id,
        disclosure_id=edit.disclosure_id,
        label=LabelState(applicable=new.applicable, presented=new.presented, note=new.note),
        previous=_state(old),
        by=(edit.by or "").strip() or by,
        at=at,
        why=why,
        source=(edit.source or "").strip() or None,
    )
    return case.model_copy(update={"labels": labels}), change


def export_labels_csv(
    path: Path, out: Path, registry: DisclosureRegistry, *, labelled_only: bool = False
) -> int:
    """Write one row per case and disclosure; ``applies`` is what the registry says.

    Returns the number of rows written.
    """
    pinned = [registry.pin(d, "latest") for d in registry.ids]
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for case in iter_cases([path]):
            if labelled_only and not case.labels:
                continue
            said = next((t.text or "" for t in case.turns if t.role == "customer"), "")
            for disclosure in pinned:
                label = case.label_for(disclosure.id)
                writer.writerow(
                    [
                        case.case_id,
                        disclosure.id,
                        "yes" if disclosure.applies_to(case) else "no",
                        "" if label is None else ("yes" if label.applicable else "no"),
                        "" if label is None else ("yes" if label.presented else "no"),
                        "" if label is None else (label.note or ""),
                        said[:200],
                    ]
                )
                rows += 1
    return rows


def _flag(record: Record, column: str) -> bool | None:
    value = str(record.data.get(column, "")).strip().lower()
    if value == "":
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CorpusError(f"column '{column}' is {value!r}; use yes or no")


def import_labels_csv(
    path: Path,
    csv_path: Path,
    *,
    by: str | None,
    why: str,
    registry: DisclosureRegistry,
    at: datetime | None = None,
) -> LabelImport:
    """Apply the label rows of ``csv_path`` (as :func:`export_labels_csv` or a report's
    review writes them).

    Rows with both ``applicable`` and ``presented`` empty are unlabelled and skipped. A
    row's ``reviewer`` is recorded as who decided it (``by`` covers rows without one) and
    its ``source`` as where. Bad rows (unknown case or disclosure, a value that is not
    yes/no, no reviewer and no ``by``) are rejected with their line; the others are applied.
    """
    result = LabelImport()
    known = {c.case_id for c in iter_cases([path])}
    edits: list[LabelEdit] = []
    for item in read_csv(csv_path):
        if isinstance(item, Reject):
            result.rejects.append(item)
            continue
        missing = [
            c for c in ("case_id", "disclosure_id", "applicable", "presented") if c not in item.data
        ]
        if missing:
            raise CorpusError(
                f"{csv_path} line 1: missing column(s) {', '.join(missing)}; a label CSV has "
                f"the columns {', '.join(CSV_COLUMNS)}"
            )
        try:
            edit = _edit(item, known, registry)
        except CorpusError as exc:
            result.rejects.append(Reject(item.file, item.line, str(exc), item.data))
            continue
        if edit is not None and not (edit.by or by or "").strip():
            reason = "no reviewer: fill the 'reviewer' column or pass --by"
            result.rejects.append(Reject(item.file, item.line, reason, item.data))
        elif edit is not None:
            edits.append(edit)
    result.changes = apply_label_edits(path, edits, by=by or "", why=why, registry=registry, at=at)
    return result


def _edit(item: Record, known: set[str], registry: DisclosureRegistry) -> LabelEdit | None:
    applicable, presented = _flag(item, "applicable"), _flag(item, "presented")
    if applicable is None and presented is None:
        return None
    if applicable is None or presented is None:
        raise CorpusError("give both applicable and presented (yes/no), or leave both empty")
    case_id = str(item.data["case_id"]).strip()
    if case_id not in known:
        raise CorpusError(f"no case '{case_id}' in the corpus")
    edit = LabelEdit(
        case_id,
        str(item.data["disclosure_id"]).strip(),
        applicable,
        presented,
        str(item.data.get("note", "")).strip() or None,
        by=str(item.data.get("reviewer", "")).strip() or None,
        source=str(item.data.get("source", "")).strip() or None,
    )
    try:
        check_edit(edit, registry)
    except CorpusError as exc:
        raise CorpusError(str(exc).removeprefix("label: ")) from None
    return edit


def history_json(changes: Sequence[LabelChange]) -> str:
    """The history as pretty JSON (for ``label history --json``)."""
    return json.dumps([c.model_dump(mode="json") for c in changes], indent=2)
