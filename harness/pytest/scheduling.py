"""The xdist scheduler of a scenario session: each worker gets a fixed share of the cases.

Every worker is sent, at once, the items whose case id hashes to it
(:func:`harness.pytest.prefetch.assigned_worker`), so a worker knows all the cases it will run
before the first one starts and can replay them ahead, many calls in flight. Items that are
not cases (test files collected alongside) are spread by the same hash of their node id.
"""

from __future__ import annotations

from xdist.scheduler import EachScheduling

from harness.pytest.prefetch import assigned_worker


def case_id_of(nodeid: str) -> str:
    """``scenarios/x.yaml::case-001[repeat-2]`` → ``case-001`` (other node ids unchanged)."""
    name = nodeid.rsplit("::", 1)[-1]
    return name.split("[repeat-", 1)[0]


class CaseScheduling(EachScheduling):  # type: ignore[misc]
    """EachScheduling's bookkeeping, but each item goes to exactly one worker."""

    def schedule(self) -> None:
        assert self.collection_is_completed
        nodes = sorted(self.node2pending, key=lambda n: int(n.gateway.id.removeprefix("gw")))
        for node in nodes:
            if node in self._started:
                continue
            index = int(node.gateway.id.removeprefix("gw"))
            collection = self.node2collection[node]
            pending = [
                i
                for i, nodeid in enumerate(collection)
                if assigned_worker(case_id_of(nodeid), self.numnodes) == index
            ]
            self.node2pending[node][:] = pending
            if pending:
                node.send_runtest_some(pending)
            node.shutdown()
            self._started.append(node)

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed:
            return False
        return not any(self.node2pending.values())
