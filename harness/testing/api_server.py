"""A local provider server for tests and benchmarks: the Anthropic Messages API (with
Message Batches) and OpenAI chat completions, answered deterministically, with faults on demand.

It runs an aiohttp server on 127.0.0.1 in a background thread with its own event loop, so
synchronous tests and clients in any event loop can use it. By default the answers come
from the offline reference agent, so replays through the real SDK show realistic disclosure
pass rates; the wire formats live in :mod:`harness.testing.api_formats` and the faults in
:mod:`harness.testing.faults`.

>>> plan = FaultPlan(script={1: "overloaded"})  # the first completion request gets a 529
>>> with MessagesApiServer(api_key="sk-test-1", faults=plan) as server:  # doctest: +SKIP
...     client = anthropic.Anthropic(api_key="sk-test-1", base_url=server.base_url)
...     ...  # the first client.messages.create(...) raises anthropic.OverloadedError
...     server.stats().by_status
{529: 1, 200: 1}

Also a command for benchmarks, running until SIGINT or SIGTERM::

    python -m harness.testing.serve --port 8765 --latency 0.1 --fault-rate 0.2 --seed 1
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from harness.testing.api_formats import (
    ParsedRequest,
    RequestRejected,
    Responder,
    anthropic_error_json,
    chat_json,
    compose_answer,
    message_json,
    offline_responder,
    openai_error_json,
    parse_chat_body,
    parse_messages_body,
)
from harness.testing.batches import MessageBatch, batch_items
from harness.testing.faults import FAULT_STATUS, FaultPlan

# Current ids of the pinned SDK (none it warns about as deprecated).
DEFAULT_MODELS = frozenset(
    {"claude-opus-5", "claude-sonnet-5", "claude-opus-4-7", "claude-sonnet-4-6", "claude-haiku-4-5"}
)
_MALFORMED = b'{"id": "msg_trunc", "type": "message", "content": [{"type": "te'
_DROPPED = web.RequestKey("dropped", bool)  # marks a request whose connection was cut
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


#: How many requests' headers the server remembers (``headers_seen``).
HEADERS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class ServerStats:
    """Counters since start or the last reset; a dropped connection counts as status 0."""

    requests: int
    by_endpoint: Mapping[str, int]
    by_status: Mapping[int, int]
    distinct_bodies: int


@dataclass
class _State:
    """What the handlers share with the test thread; guarded by ``MessagesApiServer._lock``."""

    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)  # body digest -> times seen
    # The latest requests' only: a long benchmark must not grow the server (and its GC).
    headers: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=HEADERS_KEPT))
    completions: int = 0  # completion requests, as numbered by a FaultPlan script
    seen_systems: set[str] = field(default_factory=set)
    batches: dict[str, MessageBatch] = field(default_factory=dict)


class MessagesApiServer:
    """The local provider server; a context manager that starts and stops it.

    ``api_key``: the key clients must send (``x-api-key`` or ``Authorization: Bearer``);
    ``None`` accepts any request. ``models``: the known model ids. ``batch_polls``: the
    retrieve call on which a batch ends (1: the first poll sees it ended).
    ``expire_batches``: batches end with every request expired.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        port: int = 0,
        latency_s: float = 0.0,
        faults: FaultPlan | None = None,
        models: Collection[str] = DEFAULT_MODELS,
        responder: Responder = offline_responder,
        batch_polls: int = 2,
        expire_batches: bool = False,
    ) -> None:
        self.api_key, self.port, self.latency_s = api_key, port, latency_s
        self.faults = faults or FaultPlan()
        self.models, self.responder = frozenset(models), responder
        self.batch_polls, self.expire_batches = batch_polls, expire_batches
        self._lock = threading.Lock()
        self._state = _State()
        self._ids = 0  # never reset, so ids stay unique for the server's life
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._startup_error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """The Anthropic-style base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """The OpenAI-style base URL, which includes ``/v1``."""
        return f"{self.base_url}/v1"

    def __enter__(self) -> MessagesApiServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="messages-api-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the local API server did not start within 10 s")
        if self._startup_error is not None:
            raise RuntimeError(f"the local API server failed to start: {self._startup_error}")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def stats(self) -> ServerStats:
        with self._lock:
            s = self._state
            return ServerStats(
                requests=sum(s.by_endpoint.values()),
                by_endpoint=dict(s.by_endpoint),
                by_status=dict(s.by_status),
                distinct_bodies=len(s.attempts),
            )

    def headers_seen(self) -> list[dict[str, str]]:
        """The headers of the last :data:`HEADERS_KEPT` requests (names in lower case), oldest
        first, e.g. to find the key."""
        with self._lock:
            return [dict(h) for h in self._state.headers]

    def finish_batches(self) -> None:
        """End every batch submitted so far at its next poll (the provider caught up)."""
        with self._lock:
            for batch in self._state.batches.values():
                batch.polls_to_end = 0

    def reset(self) -> None:
        """Forget counters, headers, cached prompts, attempts and batches."""
        with self._lock:
            self._state = _State()

    # -- the server thread -------------------------------------------------------------------

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        app = web.Application(middlewares=[self._count], client_max_size=64 * 1024**2)
        app.router.add_post("/v1/messages", self._messages, name="messages")
        app.router.add_post("/v1/messages/batches", self._create_batch, name="batches.create")
        app.router.add_get("/v1/messages/batches/{id}", self._batch, name="batches.retrieve")
        app.router.add_get(
            "/v1/messages/batches/{id}/results", self._results, name="batches.results"
        )
        app.router.add_post("/v1/chat/completions", self._chat, name="chat.completions")
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.25)
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", self.port)  # bounded: loopback only
            loop.run_until_complete(site.start())
            self.port = runner.addresses[0][1]
        except BaseException as exc:  # reported to the thread that called start()
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        pending = asyncio.all_tasks(loop)  # answers still sleeping when the server stopped
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending))
        loop.close()

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.name or "other"
        with self._lock:
            self._state.by_endpoint[route] += 1
            self._state.headers.append({k.lower(): v for k, v in request.headers.items()})
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self._count_status(exc.status)
            raise
        self._count_status(0 if request.get(_DROPPED) else response.status)
        return response

    def _count_status(self, status: int) -> None:
        with self._lock:
            self._state.by_status[status] += 1

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    # -- endpoints ---------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        return await self._complete(request, "anthropic")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._complete(request, "openai")

    async def _complete(self, request: web.Request, api: str) -> web.StreamResponse:
        number = self._next_id()
        if denied := self._check_auth(request, api, number):
            return denied
        raw = await request.read()
        digest = hashlib.sha256(raw).hexdigest()
        with self._lock:
            state = self._state
            state.completions += 1
            state.attempts[digest] += 1
            fault = self.faults.choose(state.completions, digest, state.attempts[digest])
        try:
            parse = parse_messages_body if api == "anthropic" else parse_chat_body
            parsed = parse(_json(raw), self.models)
        except RequestRejected as exc:
            return _error(api, exc.status, exc.error_type, exc.message, number)
        if fault == "drop":
            request[_DROPPED] = True
            if request.transport is not None:
                request.transport.abort()  # the connection ends without any response
            return web.Response(status=502)  # never sent: the transport is gone
        if fault in FAULT_STATUS:
            status, error_type, message = FAULT_STATUS[fault]
            message = self.faults.error_detail or message
            response = _error(api, status, error_type, message, number)
            if fault == "rate_limit":
                response.headers["retry-after"] = f"{self.faults.retry_after_s:g}"
            return response
        if fault == "malformed":
            return web.Response(body=_MALFORMED, content_type="application/json")
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_s)
        await asyncio.sleep(self.latency_s)  # asyncio, so thousands of answers can wait at once
        return self._answer(
            api, parsed, number, novel=fault == "novel_block", empty=fault == "empty"
        )

    def _answer(
        self,
        api: str,
        parsed: ParsedRequest,
        number: int,
        *,
        novel: bool = False,
        empty: bool = False,
    ) -> web.Response:
        # Only this thread touches seen_systems, so the responder runs outside the lock.
        ans = compose_answer(parsed, self.responder, self._state.seen_systems)
        model = parsed.prompt.model
        if api == "anthropic":
            body = message_json(f"msg_test_{number:08d}", model, ans)
            if novel:
                body["content"].insert(0, {"type": "novel_block", "detail": {"n": number}})
            if empty:
                body["content"] = []
            return web.json_response(body, headers=_ids(number))
        body = chat_json(f"chatcmpl-test-{number:08d}", model, int(time.time()), ans)
        if novel:
            body["choices"][0]["message"]["novel_field"] = {"n": number}
        if empty:
            body["choices"][0]["message"]["content"] = ""
        return web.json_response(body, headers={"x-request-id": _request_id(number)})

    async def _create_batch(self, request: web.Request) -> web.StreamResponse:
        number = self._next_id()
        if denied := self._check_auth(request, "anthropic", number):
            return denied
        try:
            items = batch_items(_json(await request.read()))
        except RequestRejected as exc:
            return _error("anthropic", exc.status, exc.error_type, exc.message, number)
        results = [(custom_id, self._batch_result(params, number)) for custom_id, params in items]
        batch = MessageBatch(
            f"msgbatch_test_{number:08d}",
            results,
            time.time(),
            polls_to_end=self.batch_polls,
            expire=self.expire_batches,
        )
        with self._lock:
            self._state.batches[batch.batch_id] = batch
        return web.json_response(batch.to_json(self.base_url), headers=_ids(number))

    def _batch_result(self, params: Any, number: int) -> dict[str, Any]:
        try:
            parsed = parse_messages_body(params, self.models)
        except RequestRejected as exc:
            error = anthropic_error_json(exc.error_type, exc.message, _request_id(number))
            return {"type": "errored", "error": error}
        ans = compose_answer(parsed, self.responder, self._state.seen_systems)
        message_id = f"msg_test_{self._next_id():08d}"
        return {"type": "succeeded", "message": message_json(message_id, parsed.prompt.model, ans)}

    async def _batch(self, request: web.Request) -> web.StreamResponse:
        number = self._next_id()
        if denied := self._check_auth(request, "anthropic", number):
            return denied
        with self._lock:
            batch = self._state.batches.get(request.match_info["id"])
            if batch is not None:
                batch.polls += 1
        if batch is None:
            message = f"batch {request.match_info['id']} not found"
            return _error("anthropic", 404, "not_found_error", message, number)
        return web.json_response(batch.to_json(self.base_url), headers=_ids(number))

    async def _results(self, request: web.Request) -> web.StreamResponse:
        number = self._next_id()
        if denied := self._check_auth(request, "anthropic", number):
            return denied
        with self._lock:
            batch = self._state.batches.get(request.match_info["id"])
        if batch is None:
            message = f"batch {request.match_info['id']} not found"
            return _error("anthropic", 404, "not_found_error", message, number)
        if not batch.ended:
            message = f"batch {batch.batch_id} is still in progress"
            return _error("anthropic", 400, "invalid_request_error", message, number)
        body = batch.results_jsonl()
        return web.Response(body=body, content_type="application/binary", headers=_ids(number))

    def _check_auth(self, request: web.Request, api: str, number: int) -> web.Response | None:
        if self.api_key is None:
            return None
        bearer = request.headers.get("Authorization", "")
        sent = request.headers.get("x-api-key") or bearer.removeprefix("Bearer ").strip()
        if sent == self.api_key:
            return None
        # Like the real APIs, the answer never echoes the key that was sent.
        message = "invalid x-api-key" if sent else "missing API key"
        error_type = "authentication_error" if api == "anthropic" else "invalid_api_key"
        return _error(api, 401, error_type, message, number)


def _error(api: str, status: int, error_type: str, message: str, number: int) -> web.Response:
    request_id = _request_id(number)
    if api == "anthropic":
        body = anthropic_error_json(error_type, message, request_id)
        return web.json_response(body, status=status, headers={"request-id": request_id})
    body = openai_error_json(error_type, message)
    return web.json_response(body, status=status, headers={"x-request-id": request_id})


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise RequestRejected("Request body is not valid JSON") from None


def _request_id(number: int) -> str:
    return f"req_test_{number:08d}"


def _ids(number: int) -> dict[str, str]:
    return {"request-id": _request_id(number)}
