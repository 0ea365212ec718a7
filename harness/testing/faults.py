"""Faults on demand for the local provider server: which request fails, and how.

A :class:`FaultPlan` is a pure value: given a request's number, the digest of its body and
how many times that body has been seen, it names the fault to inject, or none. Random
faults are drawn from the seed, the body and the attempt only (never from arrival order),
so a run with many requests in flight sees the same faults every time.

>>> plan = FaultPlan(script={3: "overloaded", 4: "overloaded"})
>>> [plan.choose(n, body_digest="abc", attempt=1) for n in (1, 2, 3, 4, 5)]
[None, None, 'overloaded', 'overloaded', None]
>>> FaultPlan(rates={"rate_limit": 1.0}, first_attempts=2).choose(9, "abc", attempt=3) is None
True
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

FaultKind = Literal[
    "rate_limit", "server_error", "overloaded", "drop", "malformed", "slow", "novel_block", "empty"
]
"""``rate_limit``: 429 with ``retry-after``. ``server_error``: 500. ``overloaded``: 529
``overloaded_error``. ``drop``: the connection is closed without a response. ``malformed``:
200 with a body that is not JSON. ``slow``: a normal answer after ``slow_s`` seconds.
``novel_block``: a normal answer that also holds a content block of a type no SDK knows yet
(as a newer API version may send); a client must still read its text. ``empty``: 200 with a
well-formed answer that holds no content (no text), its tokens counted."""

FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

# What a fault looks like on the wire: (HTTP status, Anthropic error type, message).
FAULT_STATUS: dict[FaultKind, tuple[int, str, str]] = {
    "rate_limit": (429, "rate_limit_error", "Number of requests has exceeded your rate limit"),
    "server_error": (500, "api_error", "Internal server error"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
}


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which requests fail, and how.

    ``rates``: the probability of each kind per request (their sum at most 1).
    ``script``: request number (1-based, counting the completion requests, Messages or chat,
    that pass the key check) to the fault it gets, applied before ``rates``. Faults strike
    valid requests only, and never the batch endpoints.
    ``first_attempts``: if set, only the first N attempts of each distinct request body can
    fail, so a client that retries eventually succeeds, deterministically.
    ``retry_after_s``: the ``retry-after`` a 429 carries. ``slow_s``: the delay of ``slow``.
    ``error_detail``: the message every faulted status (429, 500, 529) and every refused
    key (401) carries instead of the usual one, e.g. hostile text or an echoed key, to test
    what a client does with it.
    """

    rates: Mapping[FaultKind, float] = field(default_factory=dict)
    script: Mapping[int, FaultKind] = field(default_factory=dict)
    seed: int = 0
    first_attempts: int | None = None
    retry_after_s: float = 1.0
    slow_s: float = 2.0
    error_detail: str | None = None

    def __post_init__(self) -> None:
        for kind in [*self.rates, *self.script.values()]:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if any(not 0.0 <= rate <= 1.0 for rate in self.rates.values()):
            raise ValueError(f"fault rates must lie in [0, 1], got {dict(self.rates)}")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to more than 1: {dict(self.rates)}")
        if any(number < 1 for number in self.script):
            raise ValueError("scripted request numbers start at 1")
        if self.first_attempts is not None and self.first_attempts < 0:
            raise ValueError("first_attempts must be at least 0")
        if self.retry_after_s < 0 or self.slow_s < 0:
            raise ValueError("retry_after_s and slow_s must not be negative")

    @classmethod
    def uniform(
        cls,
        rate: float,
        *,
        kinds: tuple[FaultKind, ...] = ("rate_limit", "server_error", "overloaded"),
        seed: int = 0,
        first_attempts: int | None = None,
    ) -> FaultPlan:
        """``rate`` spread evenly over ``kinds`` (by default the retryable HTTP statuses).

        >>> FaultPlan.uniform(0.3, kinds=("drop", "slow")).rates
        {'drop': 0.15, 'slow': 0.15}
        """
        share = rate / len(kinds)
        return cls(rates=dict.fromkeys(kinds, share), seed=seed, first_attempts=first_attempts)

    def choose(self, request_number: int, body_digest: str, attempt: int) -> FaultKind | None:
        """The fault for request ``request_number``, the ``attempt``-th sight of its body."""
        if self.first_attempts is not None and attempt > self.first_attempts:
            return None
        if request_number in self.script:
            return self.script[request_number]
        if not self.rates:
            return None
        draw = random.Random(f"{self.seed}:{body_digest}:{attempt}").random()
        cumulative = 0.0
        for kind in FAULT_KINDS:  # a fixed order, so the same draw always means the same kind
            cumulative += self.rates.get(kind, 0.0)
            if draw < cumulative:
                return kind
        return None
