"""Batch mode: calls gathered into provider message batches (half price), polled, collected.

:class:`BatchCallRunner` is a :class:`~harness.replay.calls.CallRunner` whose ``complete`` does not
call the provider: it queues the request and waits. A background batcher gathers what
every in-flight case has queued (each case's first turns, then its second turns, and so
on), submits them as one batch, polls it with backoff until it has ended, and hands each
case its answer. Failed items are retried in a later batch; an expired batch is resubmitted.

Resumable by batch id: every submitted batch and the cache keys it carries are written to a
state file before polling. A run restarted with the same state file polls those batches
instead of submitting the same requests again; answers already collected come from the
response cache.

>>> state = Path("out/batches.json")
>>> runner = BatchCallRunner(adapter, policy, settings, state_path=state)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.config.calls import BatchSettings, CallPolicy
from harness.errors import ConfigError, ProviderError
from harness.models.base import Completion, CompletionRequest, ModelAdapter
from harness.models.provider_errors import scrubbed_error
from harness.replay.cache import ResponseCache, cache_key
from harness.replay.calls import CallRunner, ModelCall


class BatchingAdapter(Protocol):
    async def submit_batch(self, items: list[tuple[str, CompletionRequest]]) -> str: ...

    async def batch_status(self, batch_id: str) -> Any: ...

    async def batch_results(self, batch_id: str) -> dict[str, Completion | ProviderError]: ...


@dataclass
class _Pending:
    request: CompletionRequest
    waiters: list[tuple[asyncio.Future[Completion], list[ModelCall], str, int]] = field(
        default_factory=list
    )
    attempts: int = 0


class BatchCallRunner(CallRunner):
    """Answers requests through message batches; see the module docstring."""

    def __init__(
        self,
        adapter: ModelAdapter,
        policy: CallPolicy,
        settings: BatchSettings,
        *,
        state_path: Path,
        cost: Callable[[Completion], float] | None = None,
        cache: ResponseCache | None = None,
        max_cost_usd: float | None = None,
    ) -> None:
        for name in ("submit_batch", "batch_status", "batch_results"):
            if not callable(getattr(adapter, name, None)):
                raise ConfigError(
                    f"provider '{adapter.provider}' has no batch mode; batch mode needs the "
                    "anthropic provider (the Message Batches API)"
                )
        super().__init__(
            adapter,
            policy,
            concurrency=settings.max_requests,
            cost=cost,
            cache=cache,
            max_cost_usd=max_cost_usd,
        )
        self.settings = settings
        self.state_path = state_path
        self._state = _BatchState.load(state_path)
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._pending: dict[str, _Pending] = {}
        self._batcher: asyncio.Task[None] | None = None
        self.batches_submitted = 0
        self.batches_resumed = 0

    @property
    def _batching(self) -> BatchingAdapter:
        return self.adapter  # type: ignore[return-value]  # checked in __init__

    async def complete(
        self, request: CompletionRequest, *, log: list[ModelCall], case_id: str, repeat: int
    ) -> Completion:
        self.check()
        key = cache_key(self.adapter, request)
        cached = self.cached(key, request, log=log, case_id=case_id, repeat=repeat)
        if cached is not None:
            return cached
        if self._batcher is None:
            self._batcher = asyncio.ensure_future(self._run_batcher())
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        entry = self._pending.get(key)
        if entry is None:
            entry = self._pending[key] = _Pending(request)
            self._queue.put_nowait(key)
        entry.waiters.append((future, log, case_id, repeat))
        return await future

    async def aclose(self) -> None:
        if self._batcher is not None:
            self._batcher.cancel()
            await asyncio.gather(self._batcher, return_exceptions=True)
        await super().aclose()

    async def _run_batcher(self) -> None:
        while True:
            keys = [await self._queue.get()]
            while len(keys) < self.settings.max_requests:
                try:
                    keys.append(
                        await asyncio.wait_for(self._queue.get(), timeout=self.settings.linger_s)
                    )
                except TimeoutError:
                    break
            try:
                await self._run_round(keys)
            except ProviderError as error:  # the batch endpoints themselves failed
                self._fail(keys, scrubbed_error(error, self.scrubber))
            except Exception as error:  # never leave a case waiting forever
                message = self.scrubber.scrub(str(error))
                self._fail(keys, ProviderError(message, kind="batch_error", retryable=False))

    async def _run_round(self, keys: list[str]) -> None:
        by_batch: dict[str, list[str]] = {}
        fresh: list[str] = []
        for key in keys:
            known = self._state.batch_of(key)
            if known is not None:
                by_batch.setdefault(known, []).append(key)
            else:
                fresh.append(key)
        self.batches_resumed += len(by_batch)
        if fresh:
            self.check()
            items = [(key, self._pending[key].request) for key in fresh]
            batch_id = await self._batching.submit_batch(items)
            self.batches_submitted += 1
            self._state.record(batch_id, fresh)
            by_batch[batch_id] = fresh
        await asyncio.gather(*(self._collect(bid, ks) for bid, ks in by_batch.items()))

    async def _collect(self, batch_id: str, keys: list[str]) -> None:
        began = time.perf_counter()
        delay = self.settings.poll_initial_s
        while not (await self._batching.batch_status(batch_id)).ended:
            await self._sleep(delay)
            delay = min(self.settings.poll_max_s, delay * 2)
        results = await self._batching.batch_results(batch_id)
        elapsed = (time.perf_counter() - began) * 1000
        for key in keys:
            entry = self._pending.get(key)
            if entry is None:
                continue
            entry.attempts += 1
            outcome = results.get(key) or ProviderError(
                f"batch {batch_id} returned no result for a request",
                kind="bad_response",
                retryable=True,
            )
            if isinstance(outcome, Completion):
                self._succeed(key, entry, self.scrubbed(outcome), elapsed)
            else:
                self._state.forget(key)
                self._failed_attempt(key, entry, scrubbed_error(outcome, self.scrubber), elapsed)

    def _succeed(self, key: str, entry: _Pending, completion: Completion, ms: float) -> None:
        del self._pending[key]
        cost = self.account(key, completion)
        for future, log, case_id, repeat in entry.waiters:
            answered = ModelCall.answered(
                case_id,
                repeat,
                entry.request.turn_index,
                entry.attempts,
                completion,
                ms,
                cost_usd=cost,
            )
            log.append(answered)
            self._journaled(answered)
            if not future.done():
                future.set_result(completion)

    def _failed_attempt(self, key: str, entry: _Pending, error: ProviderError, ms: float) -> None:
        for _future, log, case_id, repeat in entry.waiters:
            failed = ModelCall(
                case_id,
                repeat,
                entry.request.turn_index,
                entry.attempts,
                "error",
                ms,
                error_class=error.kind,
            )
            log.append(failed)
            self._journaled(failed)
        if error.retryable and entry.attempts < self.policy.max_attempts:
            self._queue.put_nowait(key)  # into the next batch
            return
        if error.kind == "expired":
            error = ProviderError(
                f"the request expired in {entry.attempts} batch(es) before the provider "
                "processed it; run again later or outside batch mode",
                kind="expired",
                retryable=False,
            )
        self._fail([key], error)

    def _fail(self, keys: list[str], error: ProviderError) -> None:
        for key in keys:
            entry = self._pending.pop(key, None)
            if entry is None:
                continue
            for future, *_ in entry.waiters:
                if not future.done():
                    future.set_exception(error)


class _BatchState:
    """Submitted batches and the cache keys each carries, persisted for resuming."""

    def __init__(self, path: Path, batches: dict[str, list[str]]) -> None:
        self.path = path
        self.batches = batches
        self._key_to_batch = {k: b for b, keys in batches.items() for k in keys}

    @classmethod
    def load(cls, path: Path) -> _BatchState:
        if not path.is_file():
            return cls(path, {})
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            batches = {str(b): [str(k) for k in keys] for b, keys in data["batches"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{path}: unreadable batch state ({exc}); delete it to submit fresh batches"
            ) from None
        return cls(path, batches)

    def batch_of(self, key: str) -> str | None:
        return self._key_to_batch.get(key)

    def record(self, batch_id: str, keys: list[str]) -> None:
        self.batches[batch_id] = list(keys)
        self._key_to_batch.update(dict.fromkeys(keys, batch_id))
        self._save()

    def forget(self, key: str) -> None:
        """A failed item must be submitted again, not looked up in its old batch."""
        self._key_to_batch.pop(key, None)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps({"batches": self.batches}, indent=1), encoding="utf-8")
        os.replace(temp, self.path)
