"""The seeded random order in which a sequential run replays its selected cases.

Each case's place is the SHA-256 of the scenario seed and its case id, so the order is a
uniformly random permutation of the selection (every prefix a simple random sample drawn
without replacement), the same in every process, shard and resumed run, and independent of
the corpus files' order. Ties cannot happen between distinct ids.

>>> replay_order(["a", "b", "c", "d"], seed=7)
[3, 1, 0, 2]
>>> replay_order(["d", "c", "b", "a"], seed=7)  # the same ids in the same order: d, b, c, a
[0, 2, 3, 1]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def order_key(seed: int, case_id: str) -> bytes:
    """A case's place in the random order: sort by it."""
    return hashlib.sha256(f"sequential:{seed}:{case_id}".encode()).digest()


def replay_order(case_ids: Sequence[str], seed: int) -> list[int]:
    """The positions of ``case_ids`` in the order a sequential run replays them."""
    return sorted(range(len(case_ids)), key=lambda i: order_key(seed, case_ids[i]))
