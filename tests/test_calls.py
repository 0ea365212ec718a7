"""Resilient calls: retries, backoff, adaptive limits, circuit breaker, budget and cache."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from harness.config.calls import CallPolicy
from harness.corpus.cases import Case, Turn
from harness.errors import CacheMiss, ProviderError, RunStopped
from harness.models.base import Completion, CompletionRequest, Message, ModelAdapter, Usage
from harness.replay.cache import ResponseCache, cache_key
from harness.replay.calls import CallRunner, ModelCall

CASE = Case(case_id="c1", source="t", turns=(Turn(role="customer", text="hi"),))


def _request(seed: int = 1, text: str = "hi") -> CompletionRequest:
    return CompletionRequest("system", (Message("user", text),), seed, CASE, 1)


class ScriptedModel(ModelAdapter):
    """Fails with the scripted errors first, then answers; counts its calls."""

    provider = "scripted"
    cacheable: ClassVar[bool] = True

    def __init__(self, errors: list[ProviderError | type[Exception]] | None = None) -> None:
        super().__init__("scripted-1")
        self.errors = list(errors or [])
        self.calls = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        if self.errors:
            error = self.errors.pop(0)
            if isinstance(error, type):
                raise error("boom")
            raise error
        return Completion(
            text=f"answer to {request.messages[-1].content}",
            model=self.model_id,
            usage=Usage(input_tokens=1000, output_tokens=100),
        )


def _err(
    kind: str, *, retryable: bool = True, fatal: bool = False, after: float | None = None
) -> ProviderError:
    return ProviderError(
        f"{kind} happened", kind=kind, retryable=retryable, fatal=fatal, retry_after=after
    )


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def _runner(model: ModelAdapter, sleeps: Sleeps, **policy: Any) -> CallRunner:
    return CallRunner(model, CallPolicy(**policy), concurrency=8, sleep=sleeps)


def _complete(
    runner: CallRunner, request: CompletionRequest | None = None
) -> tuple[Completion, list[ModelCall]]:
    log: list[ModelCall] = []
    completion = asyncio.run(
        runner.complete(request or _request(), log=log, case_id="c1", repeat=0)
    )
    return completion, log


def test_retries_transient_errors_then_succeeds() -> None:
    model = ScriptedModel([_err("overloaded"), _err("server_error"), _err("connection")])
    sleeps = Sleeps()
    completion, log = _complete(_runner(model, sleeps), None)
    assert completion.text == "answer to hi"
    assert [(c.attempt, c.status, c.error_class) for c in log] == [
        (1, "error", "overloaded"),
        (2, "error", "server_error"),
        (3, "error", "connection"),
        (4, "ok", None),
    ]
    # exponential backoff with jitter in [half, full] of 0.5, 1, 2 seconds
    assert [
        0.25 <= sleeps.delays[0] <= 0.5,
        0.5 <= sleeps.delays[1] <= 1.0,
        1.0 <= sleeps.delays[2] <= 2.0,
    ] == [True, True, True]


def test_retry_after_is_honoured() -> None:
    sleeps = Sleeps()
    _complete(_runner(ScriptedModel([_err("rate_limited", after=7.0)]), sleeps))
    assert sleeps.delays == [7.0]


def test_client_errors_are_not_retried() -> None:
    model = ScriptedModel([_err("bad_request", retryable=False)])
    log: list[ModelCall] = []
    runner = _runner(model, Sleeps())
    with pytest.raises(ProviderError, match="bad_request happened"):
        asyncio.run(runner.complete(_request(), log=log, case_id="c1", repeat=0))
    assert model.calls == 1 and [c.error_class for c in log] == ["bad_request"]


def test_gives_up_after_max_attempts() -> None:
    model = ScriptedModel([_err("overloaded")] * 3)
    with pytest.raises(ProviderError):
        asyncio.run(
            _runner(model, Sleeps(), max_attempts=3).complete(
                _request(), log=[], case_id="c1", repeat=0
            )
        )
    assert model.calls == 3


def test_fatal_error_stops_the_run_at_once() -> None:
    model = ScriptedModel([_err("auth", retryable=False, fatal=True)])
    runner = _runner(model, Sleeps())
    with pytest.raises(RunStopped) as excinfo:
        asyncio.run(runner.complete(_request(), log=[], case_id="c1", repeat=0))
    assert excinfo.value.fatal and "auth happened" in str(excinfo.value)
    with pytest.raises(RunStopped):
        runner.check()


def test_circuit_breaker_opens_on_consecutive_failures() -> None:
    model = ScriptedModel([_err("server_error")] * 10)
    runner = _runner(model, Sleeps(), circuit_breaker_failures=4, max_attempts=10)
    with pytest.raises(RunStopped) as excinfo:
        asyncio.run(runner.complete(_request(), log=[], case_id="c1", repeat=0))
    assert not excinfo.value.fatal
    assert "circuit breaker opened after 4 consecutive failed calls" in str(excinfo.value)
    assert model.calls == 4


def test_unexpected_adapter_exception_is_an_error_not_a_crash() -> None:
    model = ScriptedModel([KeyError])
    with pytest.raises(ProviderError) as excinfo:
        asyncio.run(_runner(model, Sleeps()).complete(_request(), log=[], case_id="c1", repeat=0))
    assert excinfo.value.kind == "adapter_error" and not excinfo.value.retryable


def test_timeout_is_retried_as_timeout() -> None:
    class Slow(ScriptedModel):
        async def complete(self, request: CompletionRequest) -> Completion:
            self.calls += 1
            if self.calls == 1:
                await asyncio.sleep(5)
            return await super().complete(request)

    model = Slow()
    _, log = _complete(_runner(model, Sleeps(), timeout_s=0.05))
    assert [(c.status, c.error_class) for c in log] == [("error", "timeout"), ("ok", None)]


def test_rate_limiting_halves_capacity_and_success_restores_it() -> None:
    runner = _runner(ScriptedModel(), Sleeps())
    runner.limiter.rate_limited()
    runner.limiter.rate_limited()
    assert runner.limiter.capacity == 2
    for _ in range(2 + 3):
        runner.limiter.succeeded()
    assert runner.limiter.capacity == 4


def test_budget_stops_the_run_cleanly() -> None:
    model = ScriptedModel()
    runner = CallRunner(model, CallPolicy(), concurrency=4, cost=lambda c: 0.6, max_cost_usd=1.0)
    asyncio.run(runner.complete(_request(1), log=[], case_id="c1", repeat=0))
    asyncio.run(runner.complete(_request(2), log=[], case_id="c1", repeat=0))
    with pytest.raises(RunStopped, match=r"cost budget of \$1.00 was reached \(\$1.20 spent\)"):
        runner.check()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "cache"


def test_cache_hit_makes_no_call_and_is_logged(cache_dir: Path) -> None:
    first = ScriptedModel()
    cache = ResponseCache(cache_dir, "read-write", process="p1")
    runner = CallRunner(first, CallPolicy(), concurrency=2, cache=cache)
    _complete(runner)
    cache.close()
    second = ScriptedModel()
    runner2 = CallRunner(
        second,
        CallPolicy(),
        concurrency=2,
        cache=ResponseCache(cache_dir, "read-only", process="p2"),
    )
    completion, log = _complete(runner2)
    assert second.calls == 0 and completion.text == "answer to hi"
    assert [(c.attempt, c.cache_hit, c.input_tokens) for c in log] == [(0, True, 1000)]


def test_cache_key_covers_the_request(cache_dir: Path) -> None:
    model = ScriptedModel()
    runner = CallRunner(
        model,
        CallPolicy(),
        concurrency=2,
        cache=ResponseCache(cache_dir, "read-write", process="p"),
    )
    _complete(runner, _request(seed=1))
    _complete(runner, _request(seed=1))
    _complete(runner, _request(seed=2))
    _complete(runner, _request(seed=1, text="other"))
    assert model.calls == 3


@pytest.mark.parametrize(
    ("system", "messages", "seed"),
    [
        ("system", (("user", "hi"),), 1),
        (
            "Vous êtes « courtier » \u2014 ✓",
            (("user", "q"), ("assistant", 'a\n"b"'), ("user", "c")),
            0,
        ),
        ("", (("user", "[conversation starts]"),), 2**62),
    ],
)
def test_a_cache_key_is_the_sha256_of_the_canonical_payload(
    system: str, messages: tuple[tuple[Literal["user", "assistant"], str], ...], seed: int
) -> None:
    # The key is built from its parts, the adapter's identity once per runner; it must stay
    # the documented digest, or every cache recorded before would miss.
    model = ScriptedModel()
    request = CompletionRequest(system, tuple(Message(r, c) for r, c in messages), seed, CASE, 1)
    payload = {
        "identity": model.cache_identity(),
        "system": system,
        "messages": [list(m) for m in messages],
        "seed": seed,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert cache_key(model, request) == expected
    runner = CallRunner(model, CallPolicy(), concurrency=1)
    assert runner._cache_key(request) == runner._cache_key(request) == expected


def test_require_mode_miss_names_the_case(cache_dir: Path) -> None:
    runner = CallRunner(
        ScriptedModel(),
        CallPolicy(),
        concurrency=2,
        cache=ResponseCache(cache_dir, "require", process="p"),
    )
    with pytest.raises(CacheMiss, match="case c1 turn 1: no cached answer"):
        _complete(runner)


def test_read_only_cache_writes_nothing(cache_dir: Path) -> None:
    cache = ResponseCache(cache_dir, "read-only", process="p")
    _complete(CallRunner(ScriptedModel(), CallPolicy(), concurrency=2, cache=cache))
    cache.close()
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_corrupt_cache_segment_is_named(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / "bad.parquet").write_bytes(b"not parquet")
    from harness.errors import StoreError

    with pytest.raises(StoreError, match=r"bad\.parquet: unreadable response-cache segment"):
        ResponseCache(cache_dir, "read-write", process="p")


def test_limiter_hands_slots_out_in_order_and_survives_cancelled_waiters() -> None:
    from harness.replay.limiter import AdaptiveLimiter

    async def in_order() -> tuple[list[int], int, int]:
        limiter = AdaptiveLimiter(2)
        order: list[int] = []
        most = 0
        release = asyncio.Event()

        async def call(n: int) -> None:
            nonlocal most
            async with limiter:
                order.append(n)
                most = max(most, limiter._in_use)
                await release.wait()

        tasks = [asyncio.create_task(call(n)) for n in range(6)]
        await asyncio.sleep(0.01)
        assert order == [0, 1]  # two slots, four waiting
        tasks[2].cancel()  # a waiter leaves the queue
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, most, limiter._in_use

    async def handed_then_cancelled() -> int:
        limiter = AdaptiveLimiter(1)
        await limiter.__aenter__()
        waiting = asyncio.create_task(limiter.__aenter__())
        await asyncio.sleep(0)
        await limiter.__aexit__(None, None, None)  # hands the slot to the waiter...
        waiting.cancel()  # ...which is cancelled before it runs
        await asyncio.gather(waiting, return_exceptions=True)
        in_use = limiter._in_use
        await asyncio.wait_for(limiter.__aenter__(), timeout=1)  # the slot was given back
        return in_use

    order, most, in_use = asyncio.run(in_order())
    assert order == [0, 1, 3, 4, 5]
    assert most == 2
    assert in_use == 0
    assert asyncio.run(handed_then_cancelled()) == 0


def test_a_waiter_cancelled_then_skipped_by_a_release_leaves_cancelled() -> None:
    """Ctrl-C cancels a call waiting for a slot; a release passes over its cancelled future
    before the task runs again. The task must end cancelled (not ``ValueError: ... not in
    deque``, which the runner would record as the case's error) and hold no slot."""
    from harness.replay.limiter import AdaptiveLimiter

    async def cancelled_then_skipped() -> tuple[list[str], int]:
        limiter = AdaptiveLimiter(1)
        await limiter.__aenter__()
        waiting = asyncio.create_task(limiter.__aenter__())
        await asyncio.sleep(0)  # it is queued
        waiting.cancel()  # its future is cancelled now; the task has not run yet
        await limiter.__aexit__(None, None, None)  # the release skips the cancelled future
        outcome = await asyncio.gather(waiting, return_exceptions=True)
        in_use = limiter._in_use
        await asyncio.wait_for(limiter.__aenter__(), timeout=1)  # the slot is free
        return [type(o).__name__ for o in outcome], in_use

    assert asyncio.run(cancelled_then_skipped()) == (["CancelledError"], 0)


class EmptyThenAnswer(ScriptedModel):
    """Answers with no text ``empties`` times, then properly."""

    def __init__(self, empties: int) -> None:
        super().__init__()
        self.empties = empties

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        if self.calls <= self.empties:
            return Completion(text="", model=self.model_id, usage=Usage(10, 0))
        return await super().complete(request)


def test_an_empty_answer_is_a_retryable_call_error() -> None:
    model = EmptyThenAnswer(empties=2)
    completion, log = _complete(_runner(model, Sleeps()))
    assert completion.text == "answer to hi"
    assert [(c.attempt, c.status, c.error_class) for c in log] == [
        (1, "error", "empty"),
        (2, "error", "empty"),
        (3, "ok", None),
    ]


def test_always_empty_answers_end_as_an_error_not_as_text() -> None:
    model = EmptyThenAnswer(empties=99)
    with pytest.raises(ProviderError) as info:
        _complete(_runner(model, Sleeps(), max_attempts=3))
    assert (info.value.kind, info.value.retryable) == ("empty", True)
    assert str(info.value) == (
        "scripted model 'scripted-1': the answer was empty (HTTP 200 with no text, "
        "stop reason end_turn)"
    )
    assert model.calls == 3


class Clock:
    """A clock that moves only when a call says how long it took."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class GatedModel(ModelAdapter):
    """Answers each request once its gate opens, taking ``seconds[text]`` of ``clock``."""

    provider = "gated"

    def __init__(self, clock: Clock, seconds: dict[str, float]) -> None:
        super().__init__("gated-1")
        self.clock, self.seconds = clock, seconds
        self.gates = {text: asyncio.Event() for text in seconds}

    async def complete(self, request: CompletionRequest) -> Completion:
        text = request.messages[-1].content
        await self.gates[text].wait()
        self.clock.now += self.seconds[text]
        return Completion(text="ok", model=self.model_id, usage=Usage())


def test_latency_excludes_the_wait_for_a_slot_which_is_queued_ms() -> None:
    clock = Clock()
    model = GatedModel(clock, {"first": 3.0, "second": 2.0})
    runner = CallRunner(model, CallPolicy(), concurrency=1, clock=clock)
    log: list[ModelCall] = []

    async def both() -> None:
        first = asyncio.ensure_future(
            runner.complete(_request(text="first"), log=log, case_id="a", repeat=0)
        )
        second = asyncio.ensure_future(
            runner.complete(_request(text="second"), log=log, case_id="b", repeat=0)
        )
        await asyncio.sleep(0)  # both started: "first" holds the one slot, "second" waits
        model.gates["second"].set()
        model.gates["first"].set()
        await asyncio.gather(first, second)

    asyncio.run(both())
    timings = [(c.case_id, c.latency_ms, c.queued_ms) for c in log]
    assert timings == [("a", 3000.0, 0.0), ("b", 2000.0, 3000.0)]
