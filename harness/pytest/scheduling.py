"""The xdist scheduler of a scenario session: each worker gets a fixed share of the cases.

The controller numbers the workers itself as it configures them (:func:`number_worker`,
from ``pytest_configure_node``) and tells each its number and their count, so nothing here
reads a worker id's spelling. Every worker is then sent, at once, the items whose case id
falls in its share (:func:`harness.corpus.selection.id_bucket`, the split ``--shard``
uses, salted so that a shard's cases still spread over the workers), so a worker knows all
the cases it will run before the first one starts and can replay them ahead, many calls in
flight. Items that are not cases (test files collected alongside) are spread by the same
hash of their node id.

:class:`CaseScheduling` implements pytest-xdist's scheduler protocol
(``xdist.scheduler.protocol.Scheduling``, returned from ``pytest_xdist_make_scheduler``)
on its own, without subclassing one of xdist's schedulers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from xdist.workermanage import parse_tx_spec_config

from harness.corpus.selection import id_bucket

#: The keys of ``workerinput`` that carry a worker's number and the number of workers.
WORKER_KEY, WORKERS_KEY = "harness_worker", "harness_workers"
#: What the split of cases over xdist workers is salted with (a shard's is not salted).
WORKER_SALT = "worker:"


def worker_count(config: pytest.Config) -> int:
    """How many workers the session starts (``-n N`` or ``--tx`` specs), as xdist counts."""
    return len(parse_tx_spec_config(config))


def assigned_worker(case_id: str, workers: int) -> int:
    """The worker number (0-based) that runs ``case_id`` when ``workers`` share a session.

    >>> sorted({assigned_worker(f"case-{i}", 3) for i in range(20)})
    [0, 1, 2]
    """
    return id_bucket(case_id, workers, salt=WORKER_SALT)


def number_worker(config: pytest.Config, workerinput: dict[str, Any], numbered: int) -> None:
    """Give the ``numbered``-th worker configured its number and the count, in its input."""
    workerinput[WORKER_KEY] = numbered
    workerinput[WORKERS_KEY] = worker_count(config)


def case_id_of(nodeid: str) -> str:
    """``scenarios/x.yaml::case-001[repeat-2]`` → ``case-001`` (other node ids unchanged)."""
    name = nodeid.rsplit("::", 1)[-1]
    return name.split("[repeat-", 1)[0]


class CaseScheduling:
    """Each item goes to exactly one worker, decided by its case id; a dead worker's items
    are not run again (the gate counts them as not run)."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        self.numnodes = worker_count(config)
        self.collections: dict[Any, list[str]] = {}
        self.pending: dict[Any, list[int]] = {}
        self.started: set[Any] = set()

    @property
    def nodes(self) -> list[Any]:
        return list(self.pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.collections) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        return self.collection_is_completed and not self.has_pending

    @property
    def has_pending(self) -> bool:
        return any(self.pending.values())

    def add_node(self, node: Any) -> None:
        self.pending[node] = []

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        if not self.collection_is_completed:  # a late replacement of a dead node gets nothing
            self.collections[node] = list(collection)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        self.pending[node].remove(item_index)

    def mark_test_pending(self, item: str) -> None:
        raise NotImplementedError("a scenario session does not re-run items")

    def remove_pending_tests_from_node(self, node: Any, indices: Sequence[int]) -> None:
        raise NotImplementedError("a scenario session does not move items between workers")

    def remove_node(self, node: Any) -> str | None:
        """Forget ``node``; the item it was running when it died, if any."""
        pending = self.pending.pop(node, [])
        collection = self.collections.get(node, [])
        return collection[pending[0]] if pending and collection else None

    def schedule(self) -> None:
        assert self.collection_is_completed
        for node, collection in self.collections.items():
            if node in self.started or node not in self.pending:
                continue
            index = int(node.workerinput[WORKER_KEY])
            mine = [
                i
                for i, nodeid in enumerate(collection)
                if assigned_worker(case_id_of(nodeid), self.numnodes) == index
            ]
            self.pending[node][:] = mine
            if mine:
                node.send_runtest_some(mine)
            node.shutdown()
            self.started.add(node)
