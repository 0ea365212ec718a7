"""What changed between two versions of a corpus: cases added, removed, changed, labels.

Either side is a corpus path, or ``REV:PATH`` for the corpus as committed at a git revision
(``main:corpus/demo``, ``HEAD~1:corpus/demo``), which :func:`materialise` extracts into a
temporary folder with ``git show``.

>>> change = diff_corpora(old_cases, new_cases)  # doctest: +SKIP
>>> change.added, change.removed  # doctest: +SKIP
(['pos-0641'], [])
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.corpus.cases import Case, GoldenLabel
from harness.errors import CorpusError

FIELDS = ("source", "recorded_at", "tags", "facts", "turns", "question", "contexts", "reference")


@dataclass(frozen=True, slots=True)
class LabelDelta:
    """One label that was added, removed or changed."""

    case_id: str
    disclosure_id: str
    old: GoldenLabel | None
    new: GoldenLabel | None

    def describe(self) -> str:
        return f"{self.case_id} {self.disclosure_id}: {_label(self.old)} → {_label(self.new)}"


def _label(label: GoldenLabel | None) -> str:
    if label is None:
        return "(none)"
    state = "presented" if label.presented else ("missed" if label.applicable else "n/a")
    return state + (f" ({label.note})" if label.note else "")


@dataclass
class CorpusDiff:
    """Case ids added and removed, the fields changed per case, and every label change."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    labels: list[LabelDelta] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.labels)


def diff_corpora(old: Sequence[Case], new: Sequence[Case]) -> CorpusDiff:
    """The changes from ``old`` to ``new``, matched by case id."""
    before = {c.case_id: c for c in old}
    after = {c.case_id: c for c in new}
    result = CorpusDiff(
        added=sorted(after.keys() - before.keys()), removed=sorted(before.keys() - after.keys())
    )
    for case_id in sorted(before.keys() & after.keys()):
        a, b = before[case_id], after[case_id]
        fields = [f for f in FIELDS if getattr(a, f) != getattr(b, f)]
        if fields:
            result.changed[case_id] = fields
        ids = sorted({lb.disclosure_id for lb in (*a.labels, *b.labels)})
        for disclosure_id in ids:
            old_label, new_label = a.label_for(disclosure_id), b.label_for(disclosure_id)
            if old_label != new_label:
                result.labels.append(LabelDelta(case_id, disclosure_id, old_label, new_label))
    return result


def render_diff(diff: CorpusDiff, *, limit: int = 50) -> str:
    """A plain-text summary, listing at most ``limit`` ids per section."""
    if diff.empty:
        return "no changes"

    def section(title: str, lines: Sequence[str]) -> list[str]:
        if not lines:
            return []
        shown = [f"  {line}" for line in lines[:limit]]
        more = [f"  ... and {len(lines) - limit} more"] if len(lines) > limit else []
        return [f"{title} ({len(lines)}):", *shown, *more]

    out = section("added", diff.added) + section("removed", diff.removed)
    out += section("changed", [f"{k}: {', '.join(v)}" for k, v in diff.changed.items()])
    out += section("label changes", [d.describe() for d in diff.labels])
    return "\n".join(out)


def is_git_spec(spec: str) -> bool:
    """Whether ``spec`` is ``REV:PATH`` rather than an existing path."""
    return ":" in spec and not Path(spec).exists()


def materialise(spec: str, into: Path, *, cwd: Path | None = None) -> Path:
    """Extract the corpus files of ``REV:PATH`` from git into ``into``; returns the folder."""
    rev, _, path = spec.partition(":")

    def git(*args: str) -> bytes:
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise CorpusError(f"{spec}: cannot run git ({exc})") from None
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            raise CorpusError(f"{spec}: git cannot read it ({message[-1] if message else ''})")
        return done.stdout

    names = [
        n
        for n in git("ls-tree", "-r", "--name-only", rev, "--", path).decode().splitlines()
        if n.endswith(".parquet")
    ]
    if not names:
        raise CorpusError(f"{spec}: no .parquet files at {path} in revision {rev}")
    prefix = path.rstrip("/") + "/"
    for name in names:
        target = into / (name.removeprefix(prefix) if name.startswith(prefix) else Path(name).name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git("show", f"{rev}:{name}"))
    return into
