"""Importing cases from the shapes data scientists already have, into a corpus Parquet file.

Formats: ``table`` (JSONL, CSV or Parquet, one case per record, through a column mapping),
``audit-log`` (a production log, one line per message or event), ``promptfoo`` (test
files) and ``eval-samples`` (Inspect / OpenAI evals JSONL). The format is detected from the
file when not given. Records that cannot be imported are returned as rejects with their
file, line and reason, and written to a rejects file; the others import. Duplicate ids
(within or across files) and labels naming unknown disclosures are rejects too. Personal
data is redacted with the same :class:`~harness.config.redaction.RedactionPolicy` the report uses.

>>> report = import_files([Path("samples.jsonl")], Path("imported.parquet"))  # doctest: +SKIP
>>> report.imported, len(report.rejects)  # doctest: +SKIP
(41, 2)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.config.disclosures import DisclosureRegistry
from harness.config.redaction import RedactionPolicy, redact_case
from harness.corpus.cases import Case
from harness.corpus.files import write_cases
from harness.errors import ImportInputError, did_you_mean
from harness.golden.importers.audit_log import audit_log_cases
from harness.golden.importers.base import (
    FORMAT_ALIASES,
    FORMATS,
    ColumnMapping,
    FormatName,
    Imported,
    Notice,
)
from harness.golden.importers.eval_samples import eval_sample_cases
from harness.golden.importers.promptfoo import promptfoo_cases
from harness.golden.importers.records import (
    Record,
    Reject,
    base_suffix,
    parquet_columns,
    read_bytes,
    read_csv,
    read_json_array,
    read_jsonl,
    read_parquet_records,
    read_yaml_items,
)
from harness.golden.importers.table import check_columns, is_case_file, table_cases

DEFAULT_REDACTION = RedactionPolicy()  # every kind of personal data, as reports use

__all__ = [
    "FORMATS",
    "ColumnMapping",
    "ImportInputError",
    "ImportReport",
    "Notice",
    "Reject",
    "detect_format",
    "import_cases",
    "import_files",
    "rejects_path_for",
]


@dataclass
class ImportReport:
    """What an import did: the cases kept, the records rejected, notices, per-file formats."""

    cases: list[Case] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    out: Path | None = None
    rejects_file: Path | None = None

    @property
    def imported(self) -> int:
        return len(self.cases)


def resolve_format(name: str) -> FormatName:
    """A format name (or alias such as ``inspect``) as one of :data:`FORMATS`."""
    if name in FORMATS:
        return name
    if name in FORMAT_ALIASES:
        return FORMAT_ALIASES[name]
    known = ", ".join([*FORMATS, *FORMAT_ALIASES])
    raise ImportInputError(
        f"unknown format '{name}'{did_you_mean(name, known.split(', '))}; known: {known}"
    )


def detect_format(path: Path, mapping: ColumnMapping | None = None) -> FormatName:
    """The format of ``path``, from its suffix and, for JSON Lines, its first readable record.

    >>> detect_format(Path("tests.yaml"))
    'promptfoo'
    """
    if mapping is not None and mapping.format is not None:
        return mapping.format
    suffix = base_suffix(path)
    if suffix in (".yaml", ".yml"):
        return "promptfoo"
    if suffix == ".parquet":
        return "table"
    if suffix in (".csv", ".tsv"):
        header = read_bytes(path).split(b"\n", 1)[0].decode("utf-8", errors="replace")
        special = ("__expected", "__description", "__metadata:", "__prefix", "__suffix")
        return "promptfoo" if any(s in header for s in special) else "table"
    if suffix not in (".jsonl", ".json", ".ndjson"):
        raise ImportInputError(
            f"{path}: cannot tell the format from the suffix '{suffix}'; pass --format "
            f"({', '.join(FORMATS)})"
        )
    first = next((r for r in _json_records(path, mapping) if isinstance(r, Record)), None)
    keys = set(first.data) if first else set()
    mapping = mapping or ColumnMapping()
    if {mapping.session_id, mapping.type} <= keys:
        return "audit-log"
    if "vars" in keys or "assert" in keys:
        return "promptfoo"
    if "input" in keys and mapping.case_id not in keys:
        return "eval-samples"
    return "table"


def _json_records(path: Path, mapping: ColumnMapping | None) -> Iterator[Record | Reject]:
    encoding = (mapping or ColumnMapping()).encoding
    if base_suffix(path) == ".json":
        return read_json_array(path, encoding)
    return read_jsonl(path, encoding)


def _items(
    path: Path, fmt: FormatName, mapping: ColumnMapping, notices: list[Notice]
) -> Iterator[Imported | Reject]:
    suffix = base_suffix(path)
    if suffix == ".parquet":
        if fmt == "table" and is_case_file(path):
            from harness.golden.importers.case_files import case_file_items

            return case_file_items(path)
        records: Iterator[Record | Reject] = iter(read_parquet_records(path))
        if fmt == "table":
            check_columns(path, parquet_columns(path), mapping)
    elif suffix in (".csv", ".tsv"):
        delimiter = "\t" if suffix == ".tsv" and mapping.delimiter == "," else mapping.delimiter
        records = read_csv(path, mapping.encoding, delimiter)
        first = next(records, None)
        if first is None:
            return iter(())
        records = _chain(first, records)
        if fmt == "table" and isinstance(first, Record):
            check_columns(path, list(first.data), mapping)
        if fmt == "promptfoo":
            return promptfoo_cases(records, mapping, from_csv=True, notices=notices)
        return table_cases(records, mapping, csv_cells=True)
    elif suffix in (".yaml", ".yml"):
        records = read_yaml_items(path, mapping.encoding)
    else:
        records = _json_records(path, mapping)
    if fmt == "audit-log":
        return audit_log_cases(records, mapping, notices=notices)
    if fmt == "promptfoo":
        return promptfoo_cases(records, mapping, from_csv=False, notices=notices)
    if fmt == "eval-samples":
        return eval_sample_cases(records, mapping)
    return table_cases(records, mapping)


def _chain(first: Record | Reject, rest: Iterator[Record | Reject]) -> Iterator[Record | Reject]:
    yield first
    yield from rest


def import_cases(
    paths: Sequence[Path],
    *,
    format: str | None = None,
    mapping: ColumnMapping | None = None,
    registry: DisclosureRegistry | None = None,
    redaction: RedactionPolicy | None = DEFAULT_REDACTION,
) -> ImportReport:
    """Read every file into cases; nothing is written. See :func:`import_files`.

    ``registry``: labels naming a disclosure it does not define are rejected. ``redaction``:
    the policy applied to every case (None keeps the text as it is).
    """
    mapping = mapping or ColumnMapping()
    report = ImportReport()
    seen: dict[str, str] = {}
    for path in paths:
        fmt = resolve_format(format) if format else detect_format(path, mapping)
        report.formats[str(path)] = fmt
        for item in _items(path, fmt, mapping, report.notices):
            if isinstance(item, Reject):
                report.rejects.append(item)
                continue
            problem = _check(item, seen, registry)
            if problem is not None:
                raw = item.raw if item.raw is not None else item.case.case_id
                report.rejects.append(Reject(item.file, item.line, problem, raw, unit=item.unit))
                continue
            seen[item.case.case_id] = item.where
            case = item.case
            report.cases.append(redact_case(case, redaction) if redaction is not None else case)
    return report


def _check(item: Imported, seen: dict[str, str], registry: DisclosureRegistry | None) -> str | None:
    case = item.case
    if case.case_id in seen:
        return (
            f"duplicate case_id '{case.case_id}' (first imported from {seen[case.case_id]}); "
            "case ids must be unique across files: rename one or leave it out"
        )
    if registry is not None:
        for label in case.labels:
            if label.disclosure_id not in registry.ids:
                hint = did_you_mean(label.disclosure_id, registry.ids)
                return (
                    f"label for unknown disclosure '{label.disclosure_id}'{hint}; "
                    f"{registry.folder} defines: {', '.join(registry.ids)}"
                )
    return None


def rejects_path_for(out: Path) -> Path:
    """Where an import into ``out`` puts its rejects: ``x.parquet`` → ``x.rejects.jsonl``."""
    return out.with_name(out.name.removesuffix(".parquet") + ".rejects.jsonl")


def import_files(
    paths: Sequence[Path],
    out: Path,
    *,
    format: str | None = None,
    mapping: ColumnMapping | None = None,
    registry: DisclosureRegistry | None = None,
    redaction: RedactionPolicy | None = DEFAULT_REDACTION,
    rejects: Path | None = None,
) -> ImportReport:
    """Import ``paths`` into the corpus file ``out`` and write the rejects file (if any).

    A stale rejects file from an earlier import into ``out`` is removed when nothing is
    rejected. Raises :class:`ImportInputError` when a whole file cannot be read; then
    nothing is written.
    """
    report = import_cases(
        paths, format=format, mapping=mapping, registry=registry, redaction=redaction
    )
    rejects_file = rejects or rejects_path_for(out)
    if report.cases:
        write_cases(out, report.cases)
        report.out = out
    if report.rejects:
        rejects_file.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps(r.to_json(), default=str, ensure_ascii=False) for r in report.rejects]
        rejects_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report.rejects_file = rejects_file
    elif rejects_file.exists():
        rejects_file.unlink()
    return report
