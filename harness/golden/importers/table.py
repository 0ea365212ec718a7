"""Importing tables of cases: JSONL, CSV or Parquet, one case per record, via a column mapping.

The defaults read the harness's own layout (``case_id``, ``source``, ``turns``, ``tags``,
``facts``, ``labels``...), so a corpus exported as JSONL imports unchanged. Other layouts
name their columns in a :class:`~harness.golden.importers.base.ColumnMapping`: a ``text``
column becomes one customer turn, ``tags`` columns become tags, and every other column
becomes a fact, so nothing is dropped unless the mapping says ``ignore``.

>>> mapping = ColumnMapping(case_id="ticket", text="message", tags=("product",))
>>> [i.case.case_id for i in table_cases(read_csv(Path("tickets.csv")), mapping)]  # doctest: +SKIP
['T-1', 'T-2']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from harness.corpus.cases import CASE_SCHEMA, REQUIRED_COLUMNS, SCHEMA_METADATA_KEY
from harness.errors import ImportInputError
from harness.golden.importers.base import (
    ColumnMapping,
    Imported,
    RowProblem,
    build_case,
    cell_value,
    chat_turns,
    fact_value,
    json_field,
    labels_from,
    parse_timestamp,
    tag_value,
)
from harness.golden.importers.records import Record, Reject

_TEXT_COLUMNS = ("text", "message", "customer_message")


def is_case_file(path: Path) -> bool:
    """Whether a Parquet file is a harness case file (any schema version)."""
    schema = pq.read_schema(path)
    if SCHEMA_METADATA_KEY in (schema.metadata or {}):
        return True
    return all(n in schema.names for n in REQUIRED_COLUMNS) and set(schema.names) <= set(
        CASE_SCHEMA.names
    )


def check_columns(path: Path, columns: Sequence[str], mapping: ColumnMapping) -> None:
    """Refuse a file whose columns hold no id or no conversation under ``mapping``.

    This is the "Parquet (or CSV) of another dataset" case: one clear error for the file,
    not the same reject for each of its rows.
    """
    text = _text_column(columns, mapping)
    has_id = mapping.case_id in columns
    has_turns = mapping.turns in columns or text is not None
    if has_id and has_turns:
        return
    missing = []
    if not has_id:
        missing.append(f"an id column ('{mapping.case_id}'; --map case_id=COLUMN)")
    if not has_turns:
        missing.append(
            f"a conversation: a '{mapping.turns}' column of chat messages or a customer "
            f"message column ({', '.join(repr(c) for c in _TEXT_COLUMNS)}; --map text=COLUMN)"
        )
    shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
    raise ImportInputError(
        f"{path}: does not look like cases: it has the columns {shown}, and a case needs "
        f"{' and '.join(missing)}; describe the columns in a mapping file (--mapping FILE)"
    )


def _text_column(columns: Iterable[str], mapping: ColumnMapping) -> str | None:
    names = list(columns)
    if mapping.text is not None:
        return mapping.text if mapping.text in names else None
    return next((c for c in _TEXT_COLUMNS if c in names), None)


def table_cases(
    items: Iterable[Record | Reject], mapping: ColumnMapping, *, csv_cells: bool = False
) -> Iterator[Imported | Reject]:
    """One case per record. ``csv_cells``: values are CSV text (numbers are inferred)."""
    for item in items:
        if isinstance(item, Reject):
            yield item
            continue
        try:
            case = build_case(table_row(item, mapping, csv_cells=csv_cells))
        except RowProblem as exc:
            yield Reject(item.file, item.line, str(exc), _raw(item.data), unit=item.unit)
            continue
        yield Imported(case, item.file, item.line, item.unit, raw=_raw(item.data))


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in data.items()
    }


def table_row(record: Record, mapping: ColumnMapping, *, csv_cells: bool) -> dict[str, Any]:
    """The Parquet-layout row of the case in ``record``."""
    data = {k: v for k, v in record.data.items() if k not in mapping.ignore}
    used: set[str] = set()

    def take(name: str) -> Any:
        used.add(name)
        value = data.get(name)
        return None if value == "" else value

    case_id = take(mapping.case_id)
    if case_id is None or (isinstance(case_id, str) and not case_id.strip()):
        raise RowProblem(
            f"column '{mapping.case_id}' is empty; every case needs an id "
            "(--map case_id=COLUMN names the id column)"
        )
    text_column = _text_column(data, mapping)
    facts: dict[str, Any] = {}
    turns_value = take(mapping.turns)
    if turns_value is not None:
        turns, system = chat_turns(turns_value, mapping.roles, mapping.turns)
        if system is not None:
            facts["system_prompt"] = system
    elif text_column is not None and take(text_column) is not None:
        turns = [{"role": "customer", "text": str(data[text_column]), "event": None}]
    elif text_column is not None:
        raise RowProblem(
            f"column '{text_column}' is empty; every case needs at least one customer turn"
        )
    else:
        raise RowProblem(
            f"no conversation: give '{mapping.turns}' (chat messages) or "
            f"'{mapping.text or 'text'}' (one customer message); --map text=COLUMN names another"
        )
    recorded = take(mapping.recorded_at)
    tags: dict[str, str] = {}
    raw_tags = json_field(take("tags"), "tags")
    if isinstance(raw_tags, dict):
        tags.update({str(k): tag_value(v) for k, v in raw_tags.items()})
    elif isinstance(raw_tags, list):  # a Parquet map column: (key, value) pairs
        tags.update({str(k): tag_value(v) for k, v in raw_tags})
    elif raw_tags is not None:
        raise RowProblem("column 'tags' must be an object of name → value")
    for name in mapping.tags:
        value = take(name)
        if value is not None:
            tags[name] = tag_value(value)
    raw_facts = json_field(take("facts"), "facts")
    if raw_facts is not None and not isinstance(raw_facts, dict):
        raise RowProblem("column 'facts' must be a JSON object of name → value")
    facts.update(raw_facts or {})
    labels = labels_from(data, mapping.labels)
    used.update({mapping.labels, mapping.source, mapping.question, mapping.reference})
    used.update(k for k in data if k.startswith("label:"))
    contexts = json_field(take(mapping.contexts), mapping.contexts)
    for key, value in data.items():
        if key in used:
            continue
        value = cell_value(value) if csv_cells and isinstance(value, str) else value
        if value is not None:
            facts[key] = fact_value(key, value)
    return {
        "case_id": str(case_id),
        "source": data.get(mapping.source) or mapping.source_value or record.file.stem,
        "recorded_at": None if recorded is None else parse_timestamp(recorded, mapping.recorded_at),
        "tags": tags,
        "facts": facts,
        "turns": turns,
        "labels": labels,
        "question": data.get(mapping.question) or None,
        "contexts": [contexts] if isinstance(contexts, str) else contexts,
        "reference": data.get(mapping.reference) or None,
    }
