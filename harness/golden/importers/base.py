"""What every importer shares: the column mapping, row problems, and building a case.

A :class:`ColumnMapping` says where each part of a case is in the input: which column holds
the id, the customer message, the tags. It comes from a small YAML file (``--mapping``) or
from ``--map key=value`` flags, and defaults to the harness's own column names.

>>> mapping = ColumnMapping.from_pairs(["case_id=ticket", "tags=product,channel"])
>>> mapping.case_id, mapping.tags
('ticket', ('product', 'channel'))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from harness.config.files import load_yaml_mapping, validate_model
from harness.corpus.cases import Case, CaseRowError, FactValue, TurnRole
from harness.errors import ConfigError

FormatName = Literal["table", "audit-log", "promptfoo", "eval-samples"]
FORMATS: tuple[FormatName, ...] = ("table", "audit-log", "promptfoo", "eval-samples")
FORMAT_ALIASES: dict[str, FormatName] = {
    "jsonl": "table",
    "csv": "table",
    "parquet": "table",
    "inspect": "eval-samples",
    "openai-evals": "eval-samples",
}

DEFAULT_ROLES: dict[str, TurnRole] = {
    "customer": "customer",
    "user": "customer",
    "human": "customer",
    "agent": "agent",
    "assistant": "agent",
    "ai": "agent",
    "bot": "agent",
    "event": "event",
}
LABEL_VALUES = {
    "presented": (True, True),
    "missed": (True, False),
    "not_presented": (True, False),
    "not_applicable": (False, False),
    "n/a": (False, False),
}


class ColumnMapping(BaseModel):
    """Where the parts of a case are in an input file. Every field has a default.

    ``text`` names the column (or promptfoo var) holding a single customer message; ``turns``
    one holding a whole conversation (chat messages). Columns no field names become facts,
    except those in ``ignore``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: FormatName | None = None
    case_id: str = "case_id"
    source: str = "source"
    source_value: str | None = None
    recorded_at: str = "recorded_at"
    text: str | None = None
    turns: str = "turns"
    tags: tuple[str, ...] = ()
    labels: str = "labels"
    question: str = "question"
    contexts: str = "contexts"
    reference: str = "reference"
    ignore: tuple[str, ...] = ()
    roles: dict[str, TurnRole] = DEFAULT_ROLES
    # Production audit logs: one line per message or event.
    session_id: str = "session_id"
    timestamp: str = "ts"
    type: str = "type"
    sender: str = "sender"
    skip_types: tuple[str, ...] = ()
    # Reading text files.
    encoding: str = "utf-8-sig"
    delimiter: str = ","

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        """Read a mapping file (YAML); unknown keys are refused with a "did you mean"."""
        data = load_yaml_mapping(path)
        if "roles" in data and isinstance(data["roles"], dict):
            data["roles"] = {**DEFAULT_ROLES, **data["roles"]}
        return validate_model(cls, data, str(path))

    @classmethod
    def from_pairs(cls, pairs: Sequence[str], base: ColumnMapping | None = None) -> ColumnMapping:
        """``base`` with ``key=value`` overrides (``tags=a,b``, ``roles=bot:agent``)."""
        data: dict[str, Any] = (base or cls()).model_dump(exclude_defaults=True)
        fields = cls.model_fields
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ConfigError(f"--map {pair!r}: expected KEY=VALUE, e.g. --map case_id=id")
            if key in ("tags", "ignore", "skip_types"):
                data[key] = tuple(v.strip() for v in value.split(",") if v.strip())
            elif key == "roles":
                roles = dict(DEFAULT_ROLES)
                for item in value.split(","):
                    name, _, role = item.partition(":")
                    roles[name.strip()] = role.strip()  # type: ignore[assignment]
                data[key] = roles
            elif key in fields:
                data[key] = value
            else:
                from harness.errors import did_you_mean

                raise ConfigError(
                    f"--map {pair!r}: unknown key '{key}'{did_you_mean(key, fields)}; "
                    f"known keys: {', '.join(fields)}"
                )
        return validate_model(cls, data, "--map")


class RowProblem(ValueError):
    """Why one record cannot become a case; the importer adds the file and line."""


@dataclass(frozen=True, slots=True)
class Imported:
    """A case read from an input file, and where it came from."""

    case: Case
    file: Path
    line: int
    unit: str = "line"
    #: The record(s) it was built from, kept whole in the rejects file if it is rejected later
    #: (a duplicate case id).
    raw: Any = None

    @property
    def where(self) -> str:
        return f"{self.file} {self.unit} {self.line}"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that did not stop a record (e.g. lines reordered)."""

    where: str
    message: str


def build_case(row: Mapping[str, Any]) -> Case:
    """A case from a row in the Parquet layout, with the row's problems as :class:`RowProblem`.

    ``facts`` may be a mapping here (it is JSON-encoded as the corpus stores it).
    """
    data = dict(row)
    if isinstance(data.get("facts"), Mapping):
        data["facts"] = json.dumps(data["facts"], sort_keys=True)
    try:
        return Case.from_row(data)
    except CaseRowError as exc:
        raise RowProblem(str(exc)) from None


def parse_timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 text (``Z`` or offset; none means UTC) or epoch seconds/milliseconds, in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise RowProblem(
        f"field '{field}' is {value!r}, not a timestamp; use ISO 8601 such as "
        "2026-09-01T14:28:42Z, or epoch seconds"
    )


def fact_value(key: str, value: Any) -> FactValue:
    """A fact must be text, a number, a boolean or null."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise RowProblem(
        f"field '{key}' holds a {type(value).__name__}; facts must be text, numbers or "
        "booleans: flatten it, or list it under 'ignore' in the mapping to leave it out"
    )


def tag_value(value: Any) -> str:
    """Tags are text; any other value, a list included, is written as JSON, so a list's
    items stay apart even when one holds a comma.

    >>> tag_value("web"), tag_value(["car finance", "solar, heat pumps"])
    ('web', '["car finance", "solar, heat pumps"]')
    """
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def cell_value(text: str) -> FactValue:
    """A CSV cell as a fact: numbers and booleans that read back exactly as written become
    numbers and booleans ("8.9", "120", "true"); anything else ("007", "11,592.80") stays text.

    >>> cell_value("8.9"), cell_value("007"), cell_value("true"), cell_value("")
    (8.9, '007', True, None)
    """
    if text == "":
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(value, bool | int | float) and json.dumps(value) == text:
        return value
    return text


def json_field(value: Any, field: str) -> Any:
    """A value that CSV cells hold as JSON text (lists, objects); others pass through."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise RowProblem(f"field '{field}' is not valid JSON ({exc.msg})") from None
    return value


def chat_turns(
    messages: Any, roles: Mapping[str, TurnRole], field: str
) -> tuple[list[dict[str, Any]], str | None]:
    """Turns from chat messages (``role``/``content``, or the harness's ``text``/``event``).

    System messages are not turns: the harness renders its own system prompt. They are
    returned separately so the importer can keep them as the ``system_prompt`` fact.
    """
    messages = json_field(messages, field)
    if not isinstance(messages, list) or not messages:
        raise RowProblem(f"field '{field}' must be a non-empty list of chat messages")
    turns: list[dict[str, Any]] = []
    system: list[str] = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise RowProblem(f"{field}[{index}] is not a message object with role and content")
        role_name = str(message.get("role", ""))
        content = _content_text(message.get("content", message.get("text")), f"{field}[{index}]")
        if role_name in ("system", "developer"):
            system.append(content or "")
            continue
        role = roles.get(role_name)
        if role is None:
            known = ", ".join(sorted(roles))
            raise RowProblem(
                f"{field}[{index}] has role '{role_name}', which is not a customer, agent or "
                f"event turn (known roles: {known}); map it, e.g. --map roles={role_name}:agent"
            )
        if role == "event":
            turns.append({"role": "event", "text": None, "event": message.get("event") or content})
        else:
            turns.append({"role": role, "text": content, "event": None})
    return turns, "\n\n".join(system) if system else None


def _content_text(content: Any, where: str) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            else:
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise RowProblem(f"{where} has {kind!s} content; a replay case holds text only")
        return "\n".join(parts)
    raise RowProblem(f"{where}: content must be text or a list of text parts")


def labels_from(data: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    """Golden labels from a ``labels`` field (a list, or JSON text) and ``label:<id>`` keys.

    ``label:<disclosure_id>`` takes ``presented``, ``missed`` or ``not_applicable`` (empty:
    no label), the spreadsheet-friendly form.
    """
    labels: list[dict[str, Any]] = []
    raw = json_field(data.get(field), field)
    if raw not in (None, ""):
        if not isinstance(raw, list) or not all(isinstance(x, Mapping) for x in raw):
            raise RowProblem(f"field '{field}' must be a list of label objects")
        labels.extend({"note": None, **x} for x in raw)
    for key, value in data.items():
        if not (isinstance(key, str) and key.startswith("label:")) or value in (None, ""):
            continue
        disclosure_id = key.removeprefix("label:")
        verdict = LABEL_VALUES.get(str(value).strip().lower())
        if verdict is None:
            raise RowProblem(f"field '{key}' is {value!r}; use presented, missed or not_applicable")
        labels.append(
            {
                "disclosure_id": disclosure_id,
                "applicable": verdict[0],
                "presented": verdict[1],
                "note": None,
            }
        )
    return labels
