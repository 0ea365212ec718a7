"""Finding duplicate cases: exact (same normalised conversation) and near (similar enough).

A case's text is its conversation as the replay sees it: every turn, with its role, after
:func:`harness.config.phrases.normalise` (case, punctuation, quotes and number separators folded).
Exact duplicates have the same text; near duplicates a similarity (rapidfuzz's normalised
Indel ratio, 0 to 1) at or above the threshold. Each group of duplicates keeps its older
case (earlier ``recorded_at``; cases without one count as newest; ties keep corpus order).

>>> found = find_duplicates(list(iter_cases(["corpus/demo"])), threshold=0.97)  # doctest: +SKIP
>>> [(d.dropped, d.kept) for d in found]  # doctest: +SKIP
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rapidfuzz import fuzz, process

from harness.config.phrases import normalise
from harness.corpus.cases import Case
from harness.corpus.files import corpus_files, iter_cases, write_cases
from harness.errors import ConfigError

DEFAULT_THRESHOLD = 0.97
_NEVER = datetime.max.replace(tzinfo=UTC)
_CHUNK = 256  # rows compared at once: bounds memory to CHUNK x corpus size scores


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A case to drop as a duplicate of an older one."""

    dropped: str
    kept: str
    similarity: float
    exact: bool


def conversation_text(case: Case) -> str:
    """The normalised conversation: ``role: text`` (or ``event: name``) per turn."""
    parts = [f"{t.role} {t.event if t.role == 'event' else t.text or ''}" for t in case.turns]
    return normalise(" | ".join(parts))


def _age(item: tuple[int, Case]) -> tuple[datetime, int]:
    index, case = item
    return (case.recorded_at or _NEVER, index)


def find_duplicates(
    cases: Sequence[Case], *, threshold: float = DEFAULT_THRESHOLD
) -> list[Duplicate]:
    """The cases to drop, each with the older kept case it duplicates, in corpus order.

    Cases are taken oldest first; one is dropped when it is an exact or near duplicate of a
    case already kept (the most similar one is named), so a reported similarity is always
    at or above ``threshold``. ``threshold`` 1.0 finds exact duplicates only.
    """
    if not 0 < threshold <= 1:
        raise ConfigError("the similarity threshold must be in (0, 1]")
    texts = [conversation_text(c) for c in cases]
    groups: dict[str, int] = {}  # normalised text -> its group number
    group_of = [groups.setdefault(text, len(groups)) for text in texts]
    unique = list(groups)
    # near[a][b]: similarity of two different texts at or above the threshold
    near: dict[int, dict[int, float]] = {g: {} for g in range(len(unique))}
    if threshold < 1:
        cutoff = threshold * 100
        for start in range(0, len(unique), _CHUNK):
            scores = process.cdist(
                unique[start : start + _CHUNK],
                unique,
                scorer=fuzz.ratio,
                score_cutoff=cutoff,
                workers=1,
            )
            for r, c in zip(*(scores >= cutoff).nonzero(), strict=True):
                a, b = start + int(r), int(c)
                if a != b:
                    near[a][b] = round(float(scores[r][c]) / 100, 4)
    kept: dict[int, int] = {}  # group -> the (oldest) kept case of that text
    found: list[Duplicate] = []
    for index, _ in sorted(enumerate(cases), key=_age):
        group = group_of[index]
        if group in kept:
            found.append(Duplicate(cases[index].case_id, cases[kept[group]].case_id, 1.0, True))
            continue
        matches = {kept[g]: score for g, score in near[group].items() if g in kept}
        if matches:
            keep = max(matches, key=lambda k: (matches[k], -k))
            found.append(Duplicate(cases[index].case_id, cases[keep].case_id, matches[keep], False))
        else:
            kept[group] = index
    order = {c.case_id: i for i, c in enumerate(cases)}
    return sorted(found, key=lambda d: order[d.dropped])


def remove_cases(path: Path, case_ids: set[str]) -> dict[Path, int]:
    """Rewrite the corpus files at ``path`` without ``case_ids``; removed count per file."""
    removed: dict[Path, int] = {}
    for file in corpus_files([path]):
        cases = list(iter_cases([file]))
        kept = [c for c in cases if c.case_id not in case_ids]
        if len(kept) != len(cases):
            write_cases(file, kept)
            removed[file] = len(cases) - len(kept)
    return removed
