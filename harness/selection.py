"""Which cases one process replays: the scenario's tags and limit, a shard, the process's share.

A run selects cases in this order: the scenario's ``corpus.tags`` and ``corpus.limit``, then
the shard (``--shard K/N``, by case id hash), then the worker process's share (every N-th of
what is left, by position). Without a tags filter all of that can be decided from a row's
case id alone, so the corpus reader skips the rows another process replays before parsing
them (:data:`harness.corpus.RowFilter`): at 256 calls in flight each worker's share of the
parsing is CPU the replay needs. With a tags filter the rows are parsed first (a tag is
known only once its row is read), and the same order is applied to the cases.

>>> pick = CaseSelection(limit=5, share=(1, 2)).row_filter()
>>> [pick(f"c{i}") for i in range(7)]
[False, True, False, True, False, None, None]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice

from harness.cases import Case
from harness.corpus import RowFilter


def every_nth(cases: Iterator[Case], index: int, count: int) -> Iterator[Case]:
    """Process ``index`` of ``count`` takes every ``count``-th case, starting at ``index``.

    By position, not by hash: a shard's cases already share their id hash's residue, and
    position splits any selection evenly.
    """
    return islice(cases, index, None, count)


@dataclass(frozen=True)
class CaseSelection:
    """The cases of the corpus one process replays, in corpus order."""

    tags: Mapping[str, str] = field(default_factory=dict)
    limit: int | None = None
    in_shard: Callable[[str], bool] | None = None
    share: tuple[int, int] = (0, 1)  # (this process's index, processes)

    def row_filter(self) -> RowFilter | None:
        """A filter on raw case ids that makes this selection, or None when tags need rows.

        A row whose id is not text is kept, so that the one process that parses it names
        the problem.
        """
        if self.tags:
            return None
        index, count = self.share
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
            return (selected - 1) % count == index

        return keep

    def apply(self, cases: Iterator[Case]) -> Iterator[Case]:
        """This selection of already parsed ``cases`` (the path a tags filter takes)."""
        matching = (c for c in cases if all(c.tags.get(k) == v for k, v in self.tags.items()))
        limited = islice(matching, self.limit) if self.limit is not None else matching
        in_shard = self.in_shard
        sharded = (c for c in limited if in_shard(c.case_id)) if in_shard else limited
        return every_nth(sharded, *self.share)
