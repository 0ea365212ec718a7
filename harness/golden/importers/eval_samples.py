"""Importing eval samples in the Inspect AI and OpenAI evals style (JSONL or a JSON list).

A sample has an ``input``: a string (one customer message) or a list of chat messages
(``role`` ``system`` / ``user`` / ``assistant``, ``content`` a string or text parts). Its
expected answer is ``target`` (Inspect: a string or a list of acceptable strings) or
``ideal`` (OpenAI evals, the same); it becomes the case's reference answer, alternatives
one per line. ``id`` is the case id (Inspect numbers samples without one from 1, and so do
we: ``<file stem>-<n>``). ``metadata`` becomes tags, except ``case_id``, ``source``,
``recorded_at``, ``tags``, ``facts``, ``labels`` and ``label:<disclosure>``, read as such.
``choices`` is kept as a fact, one choice per line; any other top-level field is a fact.
System messages are kept as the ``system_prompt`` fact: the harness renders its own.

>>> sample = {"id": "s1", "input": "Is this a loan?", "target": "credit broker"}
>>> _row(sample, ColumnMapping(), "samples-1", "samples")["reference"]
'credit broker'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from harness.golden.importers.base import (
    ColumnMapping,
    Imported,
    RowProblem,
    build_case,
    chat_turns,
    fact_value,
    labels_from,
    parse_timestamp,
    tag_value,
)
from harness.golden.importers.records import Record, Reject

KNOWN = ("input", "target", "ideal", "id", "metadata", "choices")
# Sample fields for agentic evals: a replayed chat case has no sandbox or files to set up.
UNSUPPORTED = ("sandbox", "files", "setup")


def eval_sample_cases(
    items: Iterable[Record | Reject], mapping: ColumnMapping
) -> Iterator[Imported | Reject]:
    """One case per sample."""
    index = 0
    for item in items:
        if isinstance(item, Reject):
            yield item
            continue
        index += 1
        stem = item.file.name.split(".")[0]
        try:
            case = build_case(_row(item.data, mapping, f"{stem}-{index}", stem))
        except RowProblem as exc:
            yield Reject(item.file, item.line, str(exc), item.data, unit=item.unit)
            continue
        yield Imported(case, item.file, item.line, item.unit, raw=item.data)


def _reference(sample: dict[str, Any]) -> str | None:
    for key in ("target", "ideal"):
        value = sample.get(key)
        if value is None:
            continue
        if isinstance(value, list):
            if not all(isinstance(v, str | int | float) for v in value):
                raise RowProblem(f"'{key}' must be a string or a list of strings")
            return "\n".join(str(v) for v in value)
        if isinstance(value, str | int | float):
            return str(value)
        raise RowProblem(f"'{key}' must be a string or a list of strings")
    return None


def _row(
    sample: dict[str, Any], mapping: ColumnMapping, default_id: str, stem: str
) -> dict[str, Any]:
    unsupported = [k for k in UNSUPPORTED if sample.get(k)]
    if unsupported:
        raise RowProblem(
            f"uses {', '.join(unsupported)}: an agentic sample needs an environment a replayed "
            "chat case cannot have"
        )
    value = sample.get("input")
    facts: dict[str, Any] = {}
    if isinstance(value, str) and value.strip():
        turns = [{"role": "customer", "text": value, "event": None}]
    elif isinstance(value, list):
        turns, system = chat_turns(value, mapping.roles, "input")
        if system:
            facts["system_prompt"] = system
    else:
        raise RowProblem("'input' must be a non-empty string or a list of chat messages")
    metadata = sample.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise RowProblem("'metadata' must be an object")
    if sample.get("choices") is not None:
        choices = sample["choices"]
        if not isinstance(choices, list):
            raise RowProblem("'choices' must be a list of strings")
        facts["choices"] = "\n".join(str(c) for c in choices)
    for key, extra in sample.items():
        if key not in KNOWN and key not in UNSUPPORTED and key not in mapping.ignore:
            facts[key] = fact_value(key, extra)
    raw_facts = metadata.get("facts") or {}
    raw_tags = metadata.get("tags") or {}
    if not isinstance(raw_facts, dict) or not isinstance(raw_tags, dict):
        raise RowProblem("metadata 'facts' and 'tags' must be objects of name → value")
    facts.update({str(k): fact_value(f"metadata.facts.{k}", v) for k, v in raw_facts.items()})
    special = {"case_id", "source", "recorded_at", "tags", "facts", "labels", "contexts"}
    tags = {str(k): tag_value(v) for k, v in raw_tags.items()}
    tags.update(
        {
            str(k): tag_value(v)
            for k, v in metadata.items()
            if k not in special and not str(k).startswith("label:")
        }
    )
    sample_id = sample.get("id", metadata.get("case_id"))
    recorded = metadata.get("recorded_at")
    return {
        "case_id": str(sample_id) if sample_id not in (None, "") else default_id,
        "source": str(metadata.get("source") or mapping.source_value or stem),
        "recorded_at": parse_timestamp(recorded, "metadata.recorded_at") if recorded else None,
        "tags": tags,
        "facts": facts,
        "turns": turns,
        "labels": labels_from(metadata, "labels"),
        "reference": _reference(sample),
        "contexts": _contexts(metadata),
    }


def _contexts(metadata: dict[str, Any]) -> list[str] | None:
    """``metadata.contexts``: the passages a RAG sample's answer may draw on."""
    contexts = metadata.get("contexts")
    if contexts is None:
        return None
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise RowProblem("metadata 'contexts' must be a list of strings (the retrieved passages)")
    return contexts
