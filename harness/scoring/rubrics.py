"""Rubrics: what compliance tells the LLM judge about a disclosure, kept beside its versions.

A rubric is a Markdown file next to the disclosure's YAML: ``<folder>/<id>.rubric.md``. It
says, in plain words, what counts as presenting the disclosure and what does not (accepted
paraphrases, traps such as a negated key fact or superseded wording). The judge's prompt adds
the version in force (wording, key facts, deadline, contradicting phrases) itself, so one
rubric serves every version; its sha256 is recorded with each judged verdict.

>>> folder = Path("scenarios/disclosures")
>>> rubric = load_rubric(folder, "commission", source="s.yaml", field="scoring")  # doctest: +SKIP
>>> rubric.path.name  # doctest: +SKIP
'commission.rubric.md'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError

SUFFIX = ".rubric.md"


@dataclass(frozen=True, slots=True)
class Rubric:
    """One disclosure's rubric: its text, file and content hash."""

    disclosure_id: str
    text: str
    path: Path
    sha256: str


def rubric_path(folder: Path, disclosure_id: str) -> Path:
    return folder / f"{disclosure_id}{SUFFIX}"


def load_rubric(folder: Path, disclosure_id: str, *, source: str, field: str) -> Rubric:
    """The rubric of ``disclosure_id``; a missing or empty file is a :class:`ConfigError`.

    ``source`` and ``field`` name where the scenario asks for the judge, so the message says
    which setting needs the rubric.
    """
    path = rubric_path(folder, disclosure_id)
    fix = (
        f"write the rubric in {path} (what counts as presenting '{disclosure_id}' and what "
        "does not; see docs/scoring.md), or score it with mode: rules"
    )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{source}: field '{field}' asks the judge to score '{disclosure_id}', but it has "
            f"no rubric: {path} not found; {fix}"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text:
        raise ConfigError(f"{source}: field '{field}': the rubric {path} is empty; {fix}")
    return Rubric(disclosure_id, text, path, hashlib.sha256(raw).hexdigest())
