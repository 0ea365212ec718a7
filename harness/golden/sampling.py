"""Stratified, seeded samples and splits of a corpus: a fast PR-gate subset, a nightly set.

A stratum is the set of disclosures that apply to the case under the registry, then the
chosen tags' values, so every disclosure and every segment is represented in proportion.
Cases are ordered by stratum, and within a stratum by sha256 of ``seed:case_id``; a sample
of ``n`` then takes every ``N/n``-th case from a seeded offset (systematic sampling). This
keeps each stratum, and each run of neighbouring strata, within one case of its share,
where rounding each small stratum on its own would starve the rare ones. The same seed
gives the same sample.

``min_per_disclosure`` then tops the first part up so that each disclosure applies to at
least that many of its cases (when the corpus has them): a gate over three cases says
nothing.

>>> parts = split_cases(cases, {"pr": 0.2, "nightly": 0.8}, pinned)  # doctest: +SKIP
>>> {name: len(part) for name, part in parts.items()}  # doctest: +SKIP
{'pr': 128, 'nightly': 512}
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from harness.config.disclosures import PinnedDisclosure
from harness.corpus.cases import Case
from harness.errors import ConfigError

Stratum = tuple[str, ...]


def stratum_of(case: Case, by: Sequence[str], pinned: Sequence[PinnedDisclosure]) -> Stratum:
    """The ids of the disclosures that apply to the case, then its values of the ``by`` tags."""
    applies = "+".join(p.id for p in pinned if p.applies_to(case)) or "(none)"
    return (applies, *(f"{t}={case.tags.get(t, '')}" for t in by))


def _rank(seed: int, case: Case) -> str:
    return hashlib.sha256(f"{seed}:{case.case_id}".encode()).hexdigest()


def _systematic(pool: Sequence[Case], n: int, seed: int, salt: str) -> list[Case]:
    """Every ``len(pool)/n``-th case of ``pool`` from a seeded offset."""
    if n >= len(pool):
        return list(pool)
    if n <= 0:
        return []
    offset = int(hashlib.sha256(f"{seed}:{salt}".encode()).hexdigest()[:12], 16) / 16**12
    step = len(pool) / n
    return [pool[int((i + offset) * step)] for i in range(n)]


def split_cases(
    cases: Sequence[Case],
    parts: Mapping[str, float],
    pinned: Sequence[PinnedDisclosure],
    *,
    by: Sequence[str] = (),
    seed: int = 0,
    min_per_disclosure: int = 0,
) -> dict[str, list[Case]]:
    """Split ``cases`` into named parts of the given fractions (summing to at most 1).

    Parts are filled in the order given, each from the cases not yet taken; when the
    fractions sum to 1 the last part takes the rest. ``min_per_disclosure`` applies to the
    first part (the small, fast one). Cases keep their corpus order within a part.
    """
    if not parts or any(f <= 0 for f in parts.values()) or sum(parts.values()) > 1 + 1e-9:
        raise ConfigError("parts need fractions above 0 that add up to at most 1")
    strata = {c.case_id: stratum_of(c, by, pinned) for c in cases}
    pool = sorted(cases, key=lambda c: (strata[c.case_id], _rank(seed, c)))
    whole = abs(sum(parts.values()) - 1) < 1e-9
    chosen: dict[str, set[str]] = {}
    for number, (name, fraction) in enumerate(parts.items()):
        last = whole and number == len(parts) - 1
        size = len(pool) if last else round(fraction * len(cases))
        picked = {c.case_id for c in _systematic(pool, size, seed, name)}
        if number == 0 and min_per_disclosure > 0:
            picked |= _top_up(pool, picked, pinned, min_per_disclosure, seed)
        chosen[name] = picked
        pool = [c for c in pool if c.case_id not in picked]
    return {name: [c for c in cases if c.case_id in ids] for name, ids in chosen.items()}


def _top_up(
    pool: Sequence[Case],
    picked: set[str],
    pinned: Sequence[PinnedDisclosure],
    minimum: int,
    seed: int,
) -> set[str]:
    extra: set[str] = set()
    for disclosure in pinned:
        applicable = [c for c in pool if disclosure.applies_to(c)]
        have = sum(1 for c in applicable if c.case_id in picked | extra)
        spare = sorted(
            (c for c in applicable if c.case_id not in picked | extra),
            key=lambda c: _rank(seed, c),
        )
        extra.update(c.case_id for c in spare[: max(0, minimum - have)])
    return extra


def sample_cases(
    cases: Sequence[Case],
    pinned: Sequence[PinnedDisclosure],
    *,
    size: int | None = None,
    fraction: float | None = None,
    by: Sequence[str] = (),
    seed: int = 0,
    min_per_disclosure: int = 0,
) -> list[Case]:
    """A stratified sample of ``size`` cases (or ``fraction`` of them), in corpus order."""
    if (size is None) == (fraction is None):
        raise ConfigError("give the sample's size or its fraction, not both")
    if size is not None:
        if size <= 0:
            raise ConfigError("the sample size must be at least 1")
        fraction = min(1.0, size / max(1, len(cases)))
    assert fraction is not None
    parts = split_cases(
        cases, {"sample": fraction}, pinned, by=by, seed=seed, min_per_disclosure=min_per_disclosure
    )
    return parts["sample"]
