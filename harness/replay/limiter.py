"""How many calls may be in flight: a semaphore whose capacity halves when the provider
rate-limits and wins back one slot per window of successes (additive increase,
multiplicative decrease).

>>> limiter = AdaptiveLimiter(8)
>>> limiter.rate_limited(); limiter.capacity
4
"""

from __future__ import annotations

import asyncio
from collections import deque


class AdaptiveLimiter:
    """A semaphore whose capacity halves on rate limiting and grows back on success.

    Waiters queue first in, first out, and a released slot is handed to the next waiter
    directly, so a release costs the same with 10 or 1,000 waiting calls.
    """

    def __init__(self, capacity: int) -> None:
        self.ceiling = capacity
        self.capacity = capacity
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._successes = 0

    async def __aenter__(self) -> None:
        if self._in_use < self.capacity and not self._waiters:
            self._in_use += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # the releaser counted the slot as ours before waking us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot, then cancelled before taking it
            elif waiter in self._waiters:  # a release may have passed over it already
                self._waiters.remove(waiter)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        self._in_use -= 1
        while self._waiters and self._in_use < self.capacity:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_use += 1
                waiter.set_result(None)

    def rate_limited(self) -> None:
        self.capacity = max(1, self.capacity // 2)
        self._successes = 0

    def succeeded(self) -> None:
        if self.capacity >= self.ceiling:
            return
        self._successes += 1
        if self._successes >= self.capacity:  # additive increase: one slot per window
            self.capacity += 1
            self._successes = 0
