"""Resilient model calls: timeouts, retries with backoff, adaptive concurrency, a circuit breaker.

Every adapter gets these for free: the runner wraps ``adapter.complete`` in a
:class:`CallRunner`. Each attempt is logged as a :class:`ModelCall` row.

* A call that times out, is rate-limited (429), overloaded (529), hits a 5xx, a dropped
  connection, a garbled answer or an empty one (a 200 with no text: ``empty``, its tokens
  still paid for) is retried with exponential backoff and jitter, waiting at least what
  ``retry-after`` asked; a 4xx that will not change is not retried.
* Rate limiting halves the concurrency allowed; successes win it back one slot at a time.
* Many consecutive failed attempts open the circuit: the run stops cleanly and the cases
  not yet replayed are marked ``not_run``. A fatal error (bad key) stops it at once.

>>> runner = CallRunner(adapter, CallPolicy(), concurrency=8)  # doctest: +SKIP
>>> completion = await runner.complete(request, log=calls, case_id="c1", repeat=0)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from harness.config.calls import CallPolicy
from harness.config.secrets import Scrubber
from harness.errors import CacheMiss, ProviderError, RunStopped
from harness.models.base import Completion, CompletionRequest, ModelAdapter
from harness.models.provider_errors import empty_answer, scrubbed_error
from harness.replay.cache import ResponseCache, identity_key, request_key
from harness.replay.limiter import AdaptiveLimiter


class CallSink(Protocol):
    """Where a runner also sends each attempt as it ends (the call journal)."""

    def record(self, call: ModelCall) -> None: ...


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One call to the model: what it cost and how it ended."""

    case_id: str
    repeat: int
    turn_index: int
    attempt: int
    status: str  # "ok" or "error"
    #: From the moment the call had a concurrency slot to its answer or failure: the
    #: provider's latency (plus the client's own work), not the wait for a slot.
    latency_ms: float
    #: How long the call waited for a concurrency slot before it was sent.
    queued_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    cache_hit: bool = False
    error_class: str | None = None
    request_id: str | None = None
    stop_reason: str | None = None
    #: Who made the call: ``agent`` (replaying the conversation) or ``judge`` (a scorer's
    #: model calls, counted apart), and for a judge call the criterion it scored.
    purpose: str = "agent"
    criterion: str | None = None

    @classmethod
    def answered(
        cls,
        case_id: str,
        repeat: int,
        turn_index: int,
        attempt: int,
        completion: Completion,
        latency_ms: float,
        *,
        queued_ms: float = 0.0,
        cost_usd: float = 0.0,
        cache_hit: bool = False,
    ) -> ModelCall:
        """The log row of a call that produced ``completion`` (attempt 0: a cache hit)."""
        usage = completion.usage
        return cls(
            case_id,
            repeat,
            turn_index,
            attempt,
            "ok",
            latency_ms,
            queued_ms=queued_ms,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            cost_usd=cost_usd,
            cache_hit=cache_hit,
            request_id=completion.request_id,
            stop_reason=completion.stop_reason,
        )


@dataclass
class _Breaker:
    threshold: int
    consecutive_failures: int = 0

    def record(self, ok: bool) -> bool:
        """Record an attempt; True when the circuit has just opened."""
        self.consecutive_failures = 0 if ok else self.consecutive_failures + 1
        return self.consecutive_failures >= self.threshold


class CallRunner:
    """Makes model calls for one process with the policy's resilience rules."""

    def __init__(
        self,
        adapter: ModelAdapter,
        policy: CallPolicy,
        *,
        concurrency: int,
        cost: Callable[[Completion], float] | None = None,
        cache: ResponseCache | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        max_cost_usd: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.adapter = adapter
        #: Every answer and error is scrubbed of the adapter's key before anything sees it.
        self.scrubber = Scrubber(adapter.secrets)
        self.cache = cache if cache is not None and adapter.cacheable else None
        self.max_cost_usd = max_cost_usd
        self.policy = policy
        self.limiter = AdaptiveLimiter(concurrency)
        self._breaker = _Breaker(policy.circuit_breaker_failures)
        self._cost = cost or (lambda _c: 0.0)
        self._sleep = sleep or asyncio.sleep
        self._clock = clock  # seconds, for the calls' latency_ms and queued_ms
        self._deadline = (
            time.monotonic() + policy.max_run_s if policy.max_run_s is not None else None
        )
        self.stopped: RunStopped | None = None
        self.spent_usd = 0.0
        self.calls_made = 0
        self._companions: list[CallRunner] = []
        self._journal: CallSink | None = None
        self._sdk_loaded = False
        self._identity: str | None = None  # identity_key(adapter), on the first lookup
        #: Called just before each request is sent (a worker checks its parent is alive).
        self.before_call: Callable[[], None] | None = None
        #: What this runner's calls are for, as the journal records them (``judge``, ...).
        self.purpose = "agent"

    @property
    def journal(self) -> CallSink | None:
        """Where every attempt is also recorded the moment it ends (never a cache hit)."""
        return self._journal

    @journal.setter
    def journal(self, sink: CallSink | None) -> None:
        self._journal = sink
        for companion in self._companions:
            companion.journal = sink

    def attach(self, companion: CallRunner) -> None:
        """Close ``companion`` (the judge's runner) with this one: its cache is flushed then;
        it records into this runner's journal."""
        self._companions.append(companion)
        companion.journal = self._journal
        companion.before_call = self.before_call

    async def aclose(self) -> None:
        """Release the adapter's connections; called once when the process's replay ends."""
        for companion in self._companions:
            if companion.cache is not None:
                companion.cache.close()
            await companion.aclose()
        await self.adapter.aclose()

    def stop(self, reason: str, *, fatal: bool = False) -> None:
        if self.stopped is None or (fatal and not self.stopped.fatal):
            self.stopped = RunStopped(self.scrubber.scrub(reason), fatal=fatal)

    def check(self) -> None:
        """Raise :class:`RunStopped` if the run must not make another call."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            self.stop(f"the run reached its time bound of {self.policy.max_run_s:g} s")
        if self.stopped is not None:
            raise self.stopped

    def scrubbed(self, completion: Completion) -> Completion:
        """``completion`` without the adapter's key or a credential shape in any text."""
        scrub, optional = self.scrubber.scrub, self.scrubber.scrub_optional
        clean = replace(
            completion,
            text=scrub(completion.text),
            model=scrub(completion.model),
            stop_reason=optional(completion.stop_reason),
            request_id=optional(completion.request_id),
        )
        return completion if clean == completion else clean

    def account(self, key: str | None, completion: Completion) -> float:
        """Count a paid answer: its cost against the budget, and into the cache."""
        cost = self._cost(completion)
        self.spent_usd += cost
        self.calls_made += 1
        if key is not None and self.cache is not None:
            self.cache.put(key, completion)
        if self.max_cost_usd is not None and self.spent_usd >= self.max_cost_usd:
            self.stop(
                f"the cost budget of ${self.max_cost_usd:.2f} was reached "
                f"(${self.spent_usd:.2f} spent)"
            )
        return cost

    def cached(
        self,
        key: str,
        request: CompletionRequest,
        *,
        log: list[ModelCall],
        case_id: str,
        repeat: int,
    ) -> Completion | None:
        """The cached answer for ``key``, logged as a hit; None on a miss.

        Raises :class:`CacheMiss` naming the case when the cache mode is ``require``.
        """
        if self.cache is None:
            return None
        found = self.cache.get(key)
        if found is not None:
            turn = request.turn_index
            log.append(ModelCall.answered(case_id, repeat, turn, 0, found, 0.0, cache_hit=True))
            return found
        if self.cache.mode == "require":
            raise CacheMiss(
                f"case {case_id} turn {request.turn_index}: no cached answer in "
                f"{self.cache.folder} and the cache mode is 'require'; run once with "
                "--cache read-write (with a key) to record answers, or restore the cache"
            )
        return None

    def _cache_key(self, request: CompletionRequest) -> str:
        if self._identity is None:  # the adapter's part of every key, the same for all
            self._identity = identity_key(self.adapter)
        return request_key(self._identity, request)

    def _load_sdk(self) -> None:
        """Import what the adapter's first call would (its SDK, :attr:`ModelAdapter.preload`)
        before any call's timeout starts: seconds on a busy machine, which counted against
        the first calls' timeouts and failed them without a request sent."""
        if not self._sdk_loaded:
            for module in self.adapter.preload:
                importlib.import_module(module)
            self._sdk_loaded = True

    async def complete(
        self, request: CompletionRequest, *, log: list[ModelCall], case_id: str, repeat: int
    ) -> Completion:
        """The completion for ``request``, retried per the policy; every attempt is logged.

        Raises :class:`ProviderError` when the call finally fails (the case becomes an
        ``error``), or :class:`RunStopped` when the whole run must stop.
        """
        policy = self.policy
        self.check()
        key = self._cache_key(request) if self.cache is not None else None
        if key is not None:
            cached = self.cached(key, request, log=log, case_id=case_id, repeat=repeat)
            if cached is not None:
                return cached
        self._load_sdk()
        for attempt in range(1, policy.max_attempts + 1):
            self.check()
            began = sent = self._clock()
            started = False
            try:
                async with self.limiter:
                    sent = self._clock()  # the wait for a slot ends: the call goes out
                    self.check()  # the run may have stopped while this call waited its turn
                    if self.before_call is not None:
                        self.before_call()
                    started = True
                    async with asyncio.timeout(policy.timeout_s):
                        completion = self.scrubbed(await self.adapter.complete(request))
            except RunStopped:
                raise
            except asyncio.CancelledError:
                # The run was interrupted with this call in flight: the case is not
                # committed, but the request may have been answered, so it is journaled.
                if started:
                    self._journaled(
                        ModelCall(
                            case_id,
                            repeat,
                            request.turn_index,
                            attempt,
                            "error",
                            self._ms_since(sent),
                            queued_ms=_ms(sent - began),
                            error_class="interrupted",
                        )
                    )
                raise
            except Exception as exc:  # every failure is classified, logged and decided on
                error = scrubbed_error(_as_provider_error(exc, policy.timeout_s), self.scrubber)
                failed = ModelCall(
                    case_id,
                    repeat,
                    request.turn_index,
                    attempt,
                    "error",
                    self._ms_since(sent),
                    queued_ms=_ms(sent - began),
                    error_class=error.kind,
                    request_id=error.request_id,
                )
                await self._failed(error, failed, request, attempt, log)
                continue
            if not completion.text.strip() and not self.adapter.answers_may_be_empty:
                # Paid for (its tokens are counted) but not an answer: never cached or scored.
                error = empty_answer(self.adapter, completion)
                cost = self.account(None, completion)
                failed = replace(
                    ModelCall.answered(
                        case_id,
                        repeat,
                        request.turn_index,
                        attempt,
                        completion,
                        self._ms_since(sent),
                        queued_ms=_ms(sent - began),
                        cost_usd=cost,
                    ),
                    status="error",
                    error_class=error.kind,
                )
                await self._failed(error, failed, request, attempt, log)
                continue
            cost = self.account(key, completion)
            answered = ModelCall.answered(
                case_id,
                repeat,
                request.turn_index,
                attempt,
                completion,
                self._ms_since(sent),
                queued_ms=_ms(sent - began),
                cost_usd=cost,
            )
            log.append(answered)
            self._journaled(answered)
            self._breaker.record(ok=True)
            self.limiter.succeeded()
            return completion
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _failed(
        self,
        error: ProviderError,
        call: ModelCall,
        request: CompletionRequest,
        attempt: int,
        log: list[ModelCall],
    ) -> None:
        """Log a failed attempt and decide: return to retry (after the backoff), or raise."""
        log.append(call)
        self._journaled(call)
        if error.fatal:
            self.stop(str(error), fatal=True)
            raise self.stopped from None  # type: ignore[misc]
        if self._breaker.record(ok=False):
            self.stop(
                f"circuit breaker opened after {self._breaker.consecutive_failures} "
                f"consecutive failed calls (last: {error.kind}: {error})"
            )
        if error.kind == "rate_limited":
            self.limiter.rate_limited()
        if not error.retryable or attempt == self.policy.max_attempts:
            raise error from None
        await self._sleep(self._backoff(request, attempt, error.retry_after))

    def _ms_since(self, moment: float) -> float:
        return _ms(self._clock() - moment)

    def _journaled(self, call: ModelCall) -> None:
        if self._journal is not None:
            self._journal.record(
                call if self.purpose == "agent" else replace(call, purpose=self.purpose)
            )

    def _backoff(
        self, request: CompletionRequest, attempt: int, retry_after: float | None
    ) -> float:
        """Exponential backoff with equal jitter, at least ``retry_after``: half the
        exponential step, plus a random part of the other half (so no retry comes sooner than
        half the step, unlike full jitter).

        The jitter is seeded by the request, so a replay's timing decisions are repeatable.
        """
        policy = self.policy
        ceiling = min(policy.backoff_max_s, policy.backoff_base_s * 2.0 ** (attempt - 1))
        key = f"{request.seed}:{request.turn_index}:{attempt}".encode()
        rng = random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
        delay = ceiling * (0.5 + rng.random() / 2)
        return max(delay, retry_after or 0.0)


def _as_provider_error(exc: BaseException, timeout_s: float) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError):
        return ProviderError(f"no answer within {timeout_s:g} s", kind="timeout", retryable=True)
    # An adapter bug or an unexpected library error: recorded against the case, not retried.
    return ProviderError(f"{type(exc).__name__}: {exc}", kind="adapter_error", retryable=False)


def _ms(seconds: float) -> float:
    return seconds * 1000
