"""Reading YAML configuration files (scenarios, disclosures) into validated models.

Turns YAML syntax errors and pydantic validation errors into :class:`ConfigError` messages
that name the file, the field path, the bad value and, for unknown keys, the closest known key.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import ConfigError, did_you_mean

M = TypeVar("M", bound=BaseModel)


def read_text_file(path: Path) -> str:
    """The UTF-8 text of ``path``; a missing, unreadable or non-UTF-8 file is a
    :class:`ConfigError` naming it (and the line of the first bad byte).

    >>> read_text_file(Path("missing.yaml"))
    Traceback (most recent call last):
    harness.errors.ConfigError: missing.yaml: no such file
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file "
            "as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"
        ) from None


def writable_folder(path: Path, what: str) -> Path:
    """``path`` as a folder this process can write files in (made if missing), checked by
    writing one; else a :class:`ConfigError` naming ``what`` (e.g. ``--out``) and the fix.

    Checked before the first paid call, so an answer is never paid for and then lost.
    """
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {path}: is a file, not a folder; pass a folder path")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".harness-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"{what} {path}: cannot write there ({reason}); pass a folder you can write to"
        ) from None
    return path


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse ``path`` as a YAML mapping; errors name the file and line."""
    text = read_text_file(path)
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
            lines.append(f"{source}: field '{loc}': {err['msg']}{shown}{_yaml_bool_hint(value)}")
    return "\n".join(lines)


def _yaml_bool_hint(value: Any) -> str:
    """YAML 1.1 reads an unquoted off/on/no/yes as a boolean: say so, and how to fix it."""
    if not isinstance(value, bool):
        return ""
    words = "on, yes or true" if value else "off, no or false"
    example = "'on'" if value else "'off'"
    return f"; YAML reads an unquoted {words} as {value}: put the value in quotes, e.g. {example}"


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
