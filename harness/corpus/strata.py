"""The stratified order of a sequential run: each segment in its share of every prefix.

With ``gate.sequential.stratify_by: <field>`` the selected cases are split into strata by
one case field: a tag (a segment, as the corpus selection's ``tags`` and the report's
segments name it) or, when no case has a tag of that name, a fact. Within each stratum the
cases take the seeded random order of :mod:`harness.corpus.order` (the same SHA-256 of the
seed and the case id, so every prefix of a stratum is a simple random sample of it, drawn
without replacement); the strata are then interleaved by a fixed rule that depends only on
their sizes: the ``j``-th case (from 0) of a stratum of ``N_s`` cases takes the place
``(j + 1/2) / N_s`` on [0, 1], ties going to the stratum whose name sorts first. After any
``n`` cases a stratum holds its share ``n N_s / N`` to within one case plus half the
number of strata (see :func:`interleave`).

>>> order = stratified_order(["a", "b", "c", "d", "e", "f"], ["x", "x", "x", "x", "y", "y"], 7)
>>> order.names, [order.names[s] for s in order.strata]
(('x', 'y'), ['x', 'y', 'x', 'x', 'y', 'x'])
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

from harness.corpus.cases import Case
from harness.corpus.order import order_key
from harness.errors import ConfigError, did_you_mean


@dataclass(frozen=True, slots=True)
class StratifiedOrder:
    """A selection's replay order and each place's stratum.

    ``positions``: indexes into the selection, in replay order, and ``case_ids`` the ids
    there; ``strata``: the stratum (an index into ``names``) of each place of that order;
    ``sizes``: cases per stratum.
    """

    field: str
    names: tuple[str, ...]
    sizes: tuple[int, ...]
    positions: tuple[int, ...]
    case_ids: tuple[str, ...]
    strata: tuple[int, ...]

    def labels(self) -> dict[str, str]:
        """Each case id's stratum name."""
        pairs = zip(self.case_ids, self.strata, strict=True)
        return {case_id: self.names[s] for case_id, s in pairs}


def interleave(sizes: Sequence[int]) -> list[int]:
    """The stratum of each place of the order, for strata of ``sizes`` cases.

    The ``j``-th case of stratum ``s`` sits at ``(2j + 1) / (2 N_s)``, so by any point ``x``
    of [0, 1] each stratum has placed ``floor(x N_s + 1/2)`` cases: within half a case of
    ``x N_s``. A prefix of ``n`` places ends at such a point, so each stratum's count there
    is within ``1/2 + S/2`` of ``n N_s / N`` (``S`` strata), whatever the sizes.

    >>> interleave([3, 1])  # a tie (at 1/2) goes to the first stratum
    [0, 0, 1, 0]
    >>> interleave([2, 2, 1])
    [0, 1, 2, 0, 1]
    """
    streams = [_places(s, size) for s, size in enumerate(sizes)]
    return [s for _, s in heapq.merge(*streams)]


def _places(stratum: int, size: int) -> Iterator[tuple[Fraction, int]]:
    return ((Fraction(2 * j + 1, 2 * size), stratum) for j in range(size))


def stratified_order(
    case_ids: Sequence[str], labels: Sequence[str], seed: int, *, field: str = ""
) -> StratifiedOrder:
    """The stratified replay order of ``case_ids``, ``labels[i]`` being case ``i``'s stratum."""
    names = tuple(sorted(set(labels)))
    index = {name: s for s, name in enumerate(names)}
    members: list[list[int]] = [[] for _ in names]
    for i, label in enumerate(labels):
        members[index[label]].append(i)
    for found in members:
        found.sort(key=lambda i: order_key(seed, case_ids[i]))
    sizes = tuple(len(found) for found in members)
    strata = interleave(sizes)
    taken = [0] * len(names)
    positions = []
    for s in strata:
        positions.append(members[s][taken[s]])
        taken[s] += 1
    return StratifiedOrder(
        field,
        names,
        sizes,
        tuple(positions),
        tuple(case_ids[i] for i in positions),
        tuple(strata),
    )


def stratum_labels(cases: Sequence[Case], field: str, *, source: str) -> list[str]:
    """Each case's stratum: its tag ``field``, or (when no case has that tag) its fact.

    A field no selected case has, or a case without it, is a :class:`ConfigError` that names
    the field, the case and ``source`` (the scenario file): it is raised before any call.
    """
    where = f"{source}: gate.sequential.stratify_by"
    if not cases:
        return []
    if any(field in case.tags for case in cases):
        kind = "tag"
        values: list[object] = [case.tags.get(field) for case in cases]
    elif any(field in case.facts for case in cases):
        kind = "fact"
        values = [case.facts.get(field) for case in cases]
    else:
        known = _names(c.tags for c in cases) + _names(c.facts for c in cases)
        raise ConfigError(
            f"{where}: no selected case has a tag or fact '{field}'{did_you_mean(field, known)}; "
            f"tags: {', '.join(_names(c.tags for c in cases)) or 'none'}; "
            f"facts: {', '.join(_names(c.facts for c in cases)) or 'none'}"
        )
    for case, value in zip(cases, values, strict=True):
        if value is None:
            raise ConfigError(
                f"{where}: case '{case.case_id}' has no {kind} '{field}'; every selected case "
                f"needs one to be placed in a stratum (give it the {kind}, or filter it out "
                "with corpus.tags)"
            )
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def _names(fields: Iterable[Iterable[str]]) -> list[str]:
    return sorted({name for found in fields for name in found})
