"""Which cases one process replays: the scenario's tags and limit, a shard, the process's share.

A run selects cases in this order: the scenario's ``corpus.tags`` and ``corpus.limit``, then
the shard (``--shard K/N``, by case id hash), then the process's share of what is left. A
share is by position: every N-th case (:class:`EveryNth`), or blocks of consecutive cases
that worker processes claim one at a time from a counter they share (:class:`ClaimedBlocks`),
so a worker that gets more CPU takes more blocks and all finish together.

Without a tags filter all of that can be decided from a row's case id alone, so the corpus
reader skips the rows another process replays before parsing them
(:data:`harness.corpus.files.RowFilter`): at 256 calls in flight each worker's share of the
parsing is CPU the replay needs. With a tags filter the rows are parsed first (a tag is
known only once its row is read), and the same order is applied to the cases.

>>> pick = CaseSelection(limit=5, share=EveryNth(1, 2)).row_filter()
>>> [pick(f"c{i}") for i in range(7)]
[False, True, False, True, False, None, None]
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from harness.corpus.cases import Case
from harness.corpus.files import BATCH_SIZE, RowFilter

#: Cases per claimed block: small enough that workers finish within a few tenths of a
#: second of each other, large enough that claiming costs nothing measurable.
BLOCK_CASES = 64


def id_bucket(case_id: str, buckets: int, *, salt: str = "") -> int:
    """The bucket (0-based) of ``case_id`` among ``buckets``: a stable hash of the id, the
    same on every machine and in every process.

    The one split decided by case id alone, before anything runs: shards across machines
    (``--shard K/N``, no salt) and pytest-xdist workers (salted, so that within a shard the
    cases still spread over every worker). Worker processes of one ``harness run`` claim
    blocks instead (:class:`ClaimedBlocks`), which balances them as they go.

    >>> id_bucket("case-001", 4), id_bucket("case-001", 4, salt="worker:")
    (1, 2)
    """
    digest = hashlib.sha256(f"{salt}{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % buckets


def block_cases(cases: int, processes: int) -> int:
    """Cases per claimed block for ``cases`` over ``processes``: :data:`BLOCK_CASES`, or
    fewer, so that each process can claim at least 16 blocks of a small run.

    >>> block_cases(20_000, 2), block_cases(90, 3)
    (64, 1)
    """
    return max(1, min(BLOCK_CASES, cases // (16 * max(1, processes))))


class Share(Protocol):
    """Which positions of the selection (0, 1, 2, ... in corpus order) this process takes.

    ``batch_rows``: how many corpus rows to read at a time for it.
    """

    @property
    def batch_rows(self) -> int: ...

    def takes(self, position: int) -> bool: ...


@dataclass(frozen=True)
class EveryNth:
    """Process ``index`` of ``count`` takes every ``count``-th position, from ``index``.

    By position, not by hash: a shard's cases already share their id hash's residue, and
    position splits any selection evenly.
    """

    index: int = 0
    count: int = 1
    batch_rows: int = BATCH_SIZE

    def takes(self, position: int) -> bool:
        return position % self.count == self.index


class ClaimedBlocks:
    """Blocks of ``size`` consecutive positions, claimed in turn from a shared counter.

    ``claim`` returns the next block number no process has taken yet (the same counter for
    every worker of a run). Positions are asked in increasing order, as the corpus streams,
    so a block is claimed only when this process's reader reaches it: whoever is ready
    first takes the next block, and every block goes to exactly one process.
    """

    def __init__(self, claim: Callable[[], int], size: int = BLOCK_CASES) -> None:
        self._claim = claim
        self.size = size
        self._mine = -1

    @property
    def batch_rows(self) -> int:
        """A block at a time: a block is claimed when the reader reaches it, not earlier."""
        return self.size

    def takes(self, position: int) -> bool:
        block = position // self.size
        while self._mine < block:
            self._mine = self._claim()
        return self._mine == block


@dataclass(frozen=True)
class CaseSelection:
    """The cases of the corpus one process replays, in corpus order."""

    tags: Mapping[str, str] = field(default_factory=dict)
    limit: int | None = None
    in_shard: Callable[[str], bool] | None = None
    share: Share = field(default_factory=EveryNth)

    def row_filter(self) -> RowFilter | None:
        """A filter on raw case ids that makes this selection, or None when tags need rows.

        A row whose id is not text is kept, so that the one process that parses it names
        the problem.
        """
        if self.tags:
            return None
        rows = selected = 0

        def keep(case_id: object) -> bool | None:
            nonlocal rows, selected
            if self.limit is not None and rows >= self.limit:
                return None
            rows += 1
            in_shard = self.in_shard
            if in_shard is not None and isinstance(case_id, str) and not in_shard(case_id):
                return False
            selected += 1
            return self.share.takes(selected - 1)

        return keep

    def apply(self, cases: Iterator[Case]) -> Iterator[Case]:
        """This selection of already parsed ``cases`` (the path a tags filter takes)."""
        matching = (c for c in cases if all(c.tags.get(k) == v for k, v in self.tags.items()))
        limited = islice(matching, self.limit) if self.limit is not None else matching
        in_shard = self.in_shard
        sharded = (c for c in limited if in_shard(c.case_id)) if in_shard else limited
        return (c for position, c in enumerate(sharded) if self.share.takes(position))
