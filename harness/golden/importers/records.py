"""Reading the records of an input file (JSONL, JSON, CSV, Parquet, YAML) with their lines.

Every record keeps where it came from (file and line, or Parquet row), so a format can
reject one with a precise message. A line that cannot be read at all (malformed JSON, bytes
that are not in the file's encoding, a CSV row with the wrong number of fields) becomes a
:class:`Reject`; the other lines are still read. A file that cannot be read at all raises
:class:`ImportInputError`.

>>> for item in read_records(Path("samples.jsonl")):  # doctest: +SKIP
...     print(item.where)
samples.jsonl line 1
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from harness.errors import ImportInputError

# Excel and other spreadsheets save CSV with a byte-order mark: "utf-8-sig" reads both.
DEFAULT_ENCODING = "utf-8-sig"
_OTHER_DELIMITERS = (";", "\t", "|")


@dataclass(frozen=True, slots=True)
class Record:
    """One record of an input file: a JSON line, a CSV row, a Parquet row or a YAML item."""

    file: Path
    line: int
    data: dict[str, Any]
    unit: str = "line"

    @property
    def where(self) -> str:
        return f"{self.file} {self.unit} {self.line}"


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not imported, why, and its raw content (for the rejects file)."""

    file: Path
    line: int | None
    reason: str
    raw: Any = None
    unit: str = "line"

    @property
    def where(self) -> str:
        return f"{self.file} {self.unit} {self.line}" if self.line is not None else str(self.file)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            self.unit: self.line,
            "reason": self.reason,
            "raw": self.raw,
        }


def compressed(path: Path) -> bool:
    return path.suffix == ".gz"


def base_suffix(path: Path) -> str:
    """The suffix that names the format, under any ``.gz``: ``log.jsonl.gz`` → ``.jsonl``."""
    return Path(path.stem).suffix.lower() if compressed(path) else path.suffix.lower()


def read_bytes(path: Path) -> bytes:
    try:
        if compressed(path):
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportInputError(f"{path}: no such file") from None
    except (OSError, EOFError) as exc:
        raise ImportInputError(f"{path}: cannot be read ({exc})") from None


def _bad_bytes(exc: UnicodeDecodeError, encoding: str) -> str:
    bad = exc.object[exc.start : exc.start + 1].hex()
    return (
        f"is not valid {encoding.removesuffix('-sig')} (byte 0x{bad} at column {exc.start + 1}); "
        "re-save the file as UTF-8, or pass --encoding with the file's encoding (e.g. cp1252)"
    )


def read_jsonl(path: Path, encoding: str = DEFAULT_ENCODING) -> Iterator[Record | Reject]:
    """One record per non-blank line; malformed lines become rejects naming the column."""
    data = read_bytes(path)
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            text = raw.decode(encoding if number == 1 else encoding.removesuffix("-sig"))
        except UnicodeDecodeError as exc:
            yield Reject(path, number, f"line {_bad_bytes(exc, encoding)}", raw.hex())
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Reject(path, number, f"not valid JSON ({exc.msg}, column {exc.colno})", text)
            continue
        if not isinstance(value, dict):
            kind = type(value).__name__
            yield Reject(path, number, f"expected a JSON object per line, got a {kind}", text)
            continue
        yield Record(path, number, value)


def read_json_array(path: Path, encoding: str = DEFAULT_ENCODING) -> Iterator[Record | Reject]:
    """A JSON file holding a list of objects (or ``{"tests": [...]}``); items numbered from 1."""
    try:
        value = json.loads(read_bytes(path).decode(encoding))
    except UnicodeDecodeError as exc:
        raise ImportInputError(f"{path}: {_bad_bytes(exc, encoding)}") from None
    except json.JSONDecodeError as exc:
        raise ImportInputError(
            f"{path} line {exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if isinstance(value, dict) and isinstance(value.get("tests"), list):
        value = value["tests"]
    if not isinstance(value, list):
        raise ImportInputError(f"{path}: expected a JSON list of objects (or JSON Lines)")
    for number, item in enumerate(value, start=1):
        if isinstance(item, dict):
            yield Record(path, number, item, unit="item")
        else:
            yield Reject(path, number, "expected an object", item, unit="item")


def read_csv(
    path: Path, encoding: str = DEFAULT_ENCODING, delimiter: str = ","
) -> Iterator[Record | Reject]:
    """One record per row, keyed by the header; line numbers are physical lines (1 = header).

    Bytes that are not in ``encoding`` reject only the rows that hold them.
    """
    text = read_bytes(path).decode(encoding, errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportInputError(f"{path}: the file is empty; a CSV needs a header row") from None
    except csv.Error as exc:
        raise ImportInputError(f"{path} line 1: not a readable CSV header ({exc})") from None
    _check_header(path, header, delimiter)
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            yield Reject(path, start, f"not a readable CSV row ({exc})")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Reject(
                path,
                start,
                f"has {len(row)} fields but the header has {len(header)}; quote values that "
                f"contain '{delimiter}' or line breaks",
                _printable(delimiter.join(row)),
            )
            continue
        bad = next((i for i, cell in enumerate(row) if _undecodable(cell)), None)
        if bad is not None:
            reason = f"column '{header[bad]}' is not valid {encoding}"
            try:
                row[bad].encode("utf-8", errors="surrogateescape").decode(encoding)
            except UnicodeDecodeError as exc:
                reason = f"column '{header[bad]}' {_bad_bytes(exc, encoding)}"
            yield Reject(path, start, reason, _printable(delimiter.join(row)))
            continue
        yield Record(path, start, dict(zip(header, row, strict=True)))


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _printable(text: str) -> str:
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _check_header(path: Path, header: list[str], delimiter: str) -> None:
    if len(header) == 1:
        for other in _OTHER_DELIMITERS:
            if other != delimiter and other in header[0]:
                shown = "\\t" if other == "\t" else other
                raise ImportInputError(
                    f"{path} line 1: the header is one column {_printable(header[0])[:60]!r} "
                    f"but contains '{shown}': the file looks '{shown}'-delimited; "
                    f"pass --delimiter '{shown}'"
                )
    names = [h.strip() for h in header]
    if any(_undecodable(n) for n in names):
        raise ImportInputError(
            f"{path} line 1: the header is not valid UTF-8; re-save the file as UTF-8 or pass "
            "--encoding with the file's encoding (e.g. cp1252)"
        )
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        if not name:
            raise ImportInputError(f"{path} line 1: column {number} has no name")
        if name in seen:
            raise ImportInputError(f"{path} line 1: column '{name}' appears twice")
        seen.add(name)


def read_parquet_records(path: Path) -> Iterator[Record]:
    """One record per Parquet row (rows numbered from 0, as corpus errors number them)."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise ImportInputError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for item in batch.to_pylist():
            yield Record(path, row, item, unit="row")
            row += 1


def parquet_columns(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (OSError, pa.ArrowException) as exc:
        raise ImportInputError(f"{path}: not a readable Parquet file ({exc})") from None


def read_yaml_items(path: Path, encoding: str = DEFAULT_ENCODING) -> Iterator[Record | Reject]:
    """The items of a YAML list (or of a ``tests:`` list in a promptfoo config), with lines."""
    try:
        text = read_bytes(path).decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportInputError(f"{path}: {_bad_bytes(exc, encoding)}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ImportInputError(f"{path}{where}: not valid YAML ({exc})") from None
    node: Any = root
    if isinstance(value, dict) and "tests" in value and isinstance(root, yaml.MappingNode):
        value = value["tests"]
        node = next(v for k, v in root.value if k.value == "tests")
    if isinstance(value, str):
        raise ImportInputError(
            f"{path}: 'tests' points at another file ({value}); import that file instead"
        )
    if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode):
        raise ImportInputError(f"{path}: expected a list of tests (or a 'tests:' list)")
    for item, item_node in zip(value, node.value, strict=True):
        line = item_node.start_mark.line + 1
        if isinstance(item, dict):
            yield Record(path, line, item)
        else:
            yield Reject(path, line, f"expected a test (a mapping), got {item!r}", item)
