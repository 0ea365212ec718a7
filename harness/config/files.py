"""Reading YAML configuration files (scenarios, disclosures) into validated models.

Turns YAML syntax errors and pydantic validation errors into :class:`ConfigError` messages
that name the file, the field path, the bad value and, for unknown keys, the closest known key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import ConfigError, did_you_mean

M = TypeVar("M", bound=BaseModel)


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse ``path`` as a YAML mapping; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{where}: not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    return data


def validate_model(model: type[M], data: Any, source: str) -> M:
    """Validate ``data`` as ``model``; failures become a :class:`ConfigError` naming ``source``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, model, source)) from None


def format_validation_error(exc: ValidationError, model: type[BaseModel], source: str) -> str:
    """One line per problem: ``source: field 'a.b': message``, with did-you-mean on extras."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            known = _known_keys(model, err["loc"][:-1])
            hint = did_you_mean(key, known)
            allowed = f"; allowed keys: {', '.join(sorted(known))}" if known else ""
            lines.append(f"{source}: unknown key '{loc}'{hint}{allowed}")
        elif err["type"] == "missing":
            lines.append(f"{source}: field '{loc}' is required")
        else:
            value = err.get("input")
            shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
            lines.append(f"{source}: field '{loc}': {err['msg']}{shown}")
    return "\n".join(lines)


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the (nested) model at ``loc``, best effort."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        current = _model_in(annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    if not fields:
        return []
    return [info.alias or name for name, info in fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None
