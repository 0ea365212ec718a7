"""The Case: one historical conversation, and its Arrow schema.

A case is what the corpus stores and what replay consumes. The pydantic model is the
in-memory form; :data:`CASE_SCHEMA` is the on-disk (Parquet) form. Both are versioned by
:data:`SCHEMA_VERSION`, written into each file's schema metadata.

>>> case = Case(case_id="c1", source="demo", turns=[Turn(role="customer", text="Hi")])
>>> case.customer_turn_count
1
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA_VERSION = 1
SCHEMA_METADATA_KEY = b"harness.schema_version"

FactValue = str | int | float | bool | None

TurnRole = Literal["customer", "agent", "event"]


class Turn(BaseModel):
    """One step of a conversation: a customer or agent message, or a system event.

    Events (``role="event"``) carry a name such as ``offer_presented`` and no text.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: TurnRole
    text: str | None = None
    event: str | None = None

    @field_validator("event")
    @classmethod
    def _event_name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("an event name cannot be empty")
        return value

    def model_post_init(self, __context: Any) -> None:
        if self.role == "event" and not self.event:
            raise ValueError("an 'event' turn needs an event name, e.g. offer_presented")
        if self.role != "event" and self.text is None:
            raise ValueError(f"a '{self.role}' turn needs text")


class GoldenLabel(BaseModel):
    """A person's judgement of one disclosure on one case, as production said it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    disclosure_id: str
    applicable: bool
    presented: bool
    note: str | None = None


class Case(BaseModel):
    """One historical conversation with its facts, turns and optional golden labels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str = Field(min_length=1)
    source: str
    recorded_at: datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    facts: dict[str, FactValue] = Field(default_factory=dict)
    turns: tuple[Turn, ...]
    labels: tuple[GoldenLabel, ...] = ()
    question: str | None = None
    contexts: tuple[str, ...] | None = None
    reference: str | None = None

    @field_validator("facts")
    @classmethod
    def _finite_facts(cls, facts: dict[str, FactValue]) -> dict[str, FactValue]:
        for name, value in facts.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(
                    f"fact '{name}' is {value}; a case fact must be a finite number, text, "
                    "true/false or null: fix the value, or leave the fact out"
                )
        return facts

    @field_validator("turns")
    @classmethod
    def _has_customer_turn(cls, turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
        if not any(t.role == "customer" for t in turns):
            raise ValueError("every case needs at least one customer turn")
        return turns

    @property
    def customer_turn_count(self) -> int:
        return sum(1 for t in self.turns if t.role == "customer")

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(t.event for t in self.turns if t.role == "event" and t.event)

    def label_for(self, disclosure_id: str) -> GoldenLabel | None:
        return next((lb for lb in self.labels if lb.disclosure_id == disclosure_id), None)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Case:
        """Build a case from one Parquet row (as ``pyarrow`` gives it in ``to_pylist``).

        Raises :class:`CaseRowError` naming the first bad column.
        """
        try:
            facts_raw = row.get("facts")
            facts = json.loads(facts_raw) if facts_raw else {}
        except (TypeError, json.JSONDecodeError) as exc:
            raise CaseRowError("facts", f"is not a JSON object ({exc})") from None
        if not isinstance(facts, dict):
            raise CaseRowError("facts", "must be a JSON object of name → value")
        tags = row.get("tags")
        if isinstance(tags, list):  # Arrow maps come back as lists of (key, value)
            tags = dict(tags)
        data = {
            "case_id": row.get("case_id"),
            "source": row.get("source"),
            "recorded_at": row.get("recorded_at"),
            "tags": tags or {},
            "facts": facts,
            "turns": row.get("turns"),
            "labels": row.get("labels") or (),
            "question": row.get("question"),
            "contexts": row.get("contexts"),
            "reference": row.get("reference"),
        }
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = first["loc"]
            column = str(loc[0]) if loc else "?"
            detail = ".".join(str(p) for p in loc[1:])
            value = data.get(column)
            if value is None and column in ("case_id", "source", "turns"):
                msg = "is null; every case needs one" + (
                    " (at least one customer turn)" if column == "turns" else ""
                )
            else:
                where = f" at {detail}" if detail else ""
                msg = f"is invalid{where}: {first['msg']}"
            raise CaseRowError(column, msg) from None

    def to_row(self) -> dict[str, Any]:
        """The Parquet row for this case (the inverse of :meth:`from_row`)."""
        return {
            "case_id": self.case_id,
            "source": self.source,
            "recorded_at": self.recorded_at,
            "tags": list(self.tags.items()),
            "facts": json.dumps(self.facts, sort_keys=True),
            "turns": [t.model_dump() for t in self.turns],
            "labels": [lb.model_dump() for lb in self.labels],
            "question": self.question,
            "contexts": list(self.contexts) if self.contexts is not None else None,
            "reference": self.reference,
        }


class CaseRowError(ValueError):
    """Internal: one row failed validation; :mod:`harness.corpus.files` adds file and row."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"column '{column}' {message}")
        self.column = column
        self.message = message


TURN_TYPE = pa.struct(
    [
        pa.field("role", pa.string(), nullable=False),
        pa.field("text", pa.string()),
        pa.field("event", pa.string()),
    ]
)
LABEL_TYPE = pa.struct(
    [
        pa.field("disclosure_id", pa.string(), nullable=False),
        pa.field("applicable", pa.bool_(), nullable=False),
        pa.field("presented", pa.bool_(), nullable=False),
        pa.field("note", pa.string()),
    ]
)

CASE_SCHEMA = pa.schema(
    [
        pa.field("case_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("recorded_at", pa.timestamp("us", tz="UTC")),
        pa.field("tags", pa.map_(pa.string(), pa.string())),
        pa.field("facts", pa.string(), metadata={b"encoding": b"json"}),
        pa.field("turns", pa.list_(TURN_TYPE), nullable=False),
        pa.field("labels", pa.list_(LABEL_TYPE)),
        pa.field("question", pa.string()),
        pa.field("contexts", pa.list_(pa.string())),
        pa.field("reference", pa.string()),
    ],
    metadata={SCHEMA_METADATA_KEY: str(SCHEMA_VERSION).encode()},
)

REQUIRED_COLUMNS = ("case_id", "source", "turns")


def cases_to_table(cases: list[Case]) -> pa.Table:
    """An Arrow table of ``cases`` in :data:`CASE_SCHEMA`, ready for ``pq.write_table``."""
    return pa.Table.from_pylist([c.to_row() for c in cases], schema=CASE_SCHEMA)
