"""A local provider server for tests and benchmarks: the Anthropic Messages API (with
Message Batches) and OpenAI chat completions, answered deterministically, with faults on demand.

It serves real HTTP/1.1 on 127.0.0.1 (:mod:`harness.testing.http`, plain asyncio: lean, so a
benchmark measures its client rather than the server) from a background thread with its own
event loop, so synchronous tests and clients in any event loop can use it. By default the
answers come from the offline reference agent, so replays through the real SDK show
realistic disclosure pass rates; the wire formats live in :mod:`harness.testing.api_formats`
and the faults in :mod:`harness.testing.faults`.

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
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

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
from harness.testing.http import HttpServer, Request, Response

# Current ids of the pinned SDK (none it warns about as deprecated).
DEFAULT_MODELS = frozenset(
    {"claude-opus-5", "claude-sonnet-5", "claude-opus-4-7", "claude-sonnet-4-6", "claude-haiku-4-5"}
)
_MALFORMED = b'{"id": "msg_trunc", "type": "message", "content": [{"type": "te'
_BATCH = re.compile(r"/v1/messages/batches/([^/]+)(/results)?")


#: How many requests' headers the server remembers (``headers_seen``).
HEADERS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class ServerStats:
    """Counters since start or the last reset; a dropped connection counts as status 0.

    ``by_fault``: how many requests got each fault of the :class:`FaultPlan`."""

    requests: int
    by_endpoint: Mapping[str, int]
    by_status: Mapping[int, int]
    distinct_bodies: int
    by_fault: Mapping[str, int] = field(default_factory=dict)


@dataclass
class _State:
    """What the handlers share with the test thread; guarded by ``MessagesApiServer._lock``."""

    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)  # body digest -> times seen
    faults: Counter[str] = field(default_factory=Counter)  # fault kind -> requests it struck
    # The latest requests' only: a long benchmark must not grow the server (and its GC).
    headers: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=HEADERS_KEPT))
    arrivals: deque[float] = field(default_factory=lambda: deque(maxlen=HEADERS_KEPT))
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
                by_fault=dict(s.faults),
            )

    def headers_seen(self) -> list[dict[str, str]]:
        """The headers of the last :data:`HEADERS_KEPT` requests (names in lower case), oldest
        first, e.g. to find the key."""
        with self._lock:
            return [dict(h) for h in self._state.headers]

    def arrivals(self) -> list[float]:
        """When the last :data:`HEADERS_KEPT` requests arrived (``time.monotonic()``, oldest
        first), e.g. to see whether a client still called after a moment."""
        with self._lock:
            return list(self._state.arrivals)

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
        http = HttpServer(self._route, self._count_status)
        try:
            self.port = loop.run_until_complete(http.start("127.0.0.1", self.port))  # loopback
        except BaseException as exc:  # reported to the thread that called start()
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(http.close())  # answers still waiting are dropped
        loop.close()

    def _route(self, request: Request) -> Response:
        """Counts the request and answers it (the endpoints below)."""
        name, answer = self._endpoint(request)
        with self._lock:
            self._state.by_endpoint[name] += 1
            self._state.headers.append(dict(request.headers))
            self._state.arrivals.append(time.monotonic())
        if answer is None:  # as a plain web server answers an unknown path
            return Response(404, b"404: Not Found", content_type="text/plain")
        return answer(request)

    def _endpoint(self, request: Request) -> tuple[str, Callable[[Request], Response] | None]:
        method, path = request.method, request.path
        if method == "POST" and path == "/v1/messages":
            return "messages", self._messages
        if method == "POST" and path == "/v1/chat/completions":
            return "chat.completions", self._chat
        if method == "POST" and path == "/v1/messages/batches":
            return "batches.create", self._create_batch
        found = _BATCH.fullmatch(path)
        if method == "GET" and found is not None:
            if found.group(2):
                return "batches.results", lambda r: self._results(r, found.group(1))
            return "batches.retrieve", lambda r: self._batch(r, found.group(1))
        return "other", None

    def _count_status(self, _request: Request, status: int) -> None:
        with self._lock:
            self._state.by_status[status] += 1

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    # -- endpoints ---------------------------------------------------------------------------

    def _messages(self, request: Request) -> Response:
        return self._complete(request, "anthropic")

    def _chat(self, request: Request) -> Response:
        return self._complete(request, "openai")

    def _complete(self, request: Request, api: str) -> Response:
        number = self._next_id()
        if denied := self._check_auth(request, api, number):
            return denied
        raw = request.body
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
        if fault is not None:
            with self._lock:
                self._state.faults[fault] += 1
        if fault == "drop":
            return Response(502, drop=True)  # the connection ends without any response
        if fault in FAULT_STATUS:
            status, error_type, message = FAULT_STATUS[fault]
            message = self.faults.error_detail or message
            response = _error(api, status, error_type, message, number)
            if fault == "rate_limit":
                headers = {**response.headers, "retry-after": f"{self.faults.retry_after_s:g}"}
                response = Response(status, response.body, headers=headers)
            return response
        if fault == "malformed":
            return Response(200, _MALFORMED)
        answer = self._answer(
            api, parsed, number, novel=fault == "novel_block", empty=fault == "empty"
        )
        delay = self.latency_s + (self.faults.slow_s if fault == "slow" else 0.0)
        # Sent by the event loop after the delay: thousands of answers can wait at once.
        return Response(answer.status, answer.body, headers=answer.headers, delay_s=delay)

    def _answer(
        self, api: str, parsed: ParsedRequest, number: int, *, novel: bool, empty: bool
    ) -> Response:
        # Only this thread touches seen_systems, so the responder runs outside the lock.
        ans = compose_answer(parsed, self.responder, self._state.seen_systems)
        model = parsed.prompt.model
        if api == "anthropic":
            body = message_json(f"msg_test_{number:08d}", model, ans)
            if novel:
                body["content"].insert(0, {"type": "novel_block", "detail": {"n": number}})
            if empty:
                body["content"] = []
            return Response.json(body, headers=_ids(number))
        body = chat_json(f"chatcmpl-test-{number:08d}", model, int(time.time()), ans)
        if novel:
            body["choices"][0]["message"]["novel_field"] = {"n": number}
        if empty:
            body["choices"][0]["message"]["content"] = ""
        return Response.json(body, headers={"x-request-id": _request_id(number)})

    def _create_batch(self, request: Request) -> Response:
        number = self._next_id()
        if denied := self._check_auth(request, "anthropic", number):
            return denied
        try:
            items = batch_items(_json(request.body))
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
        return Response.json(batch.to_json(self.base_url), headers=_ids(number))

    def _batch_result(self, params: Any, number: int) -> dict[str, Any]:
        try:
            parsed = parse_messages_body(params, self.models)
        except RequestRejected as exc:
            error = anthropic_error_json(exc.error_type, exc.message, _request_id(number))
            return {"type": "errored", "error": error}
        ans = compose_answer(parsed, self.responder, self._state.seen_systems)
        message_id = f"msg_test_{self._next_id():08d}"
        return {"type": "succeeded", "message": message_json(message_id, parsed.prompt.model, ans)}

    def _batch(self, request: Request, batch_id: str) -> Response:
        number = self._next_id()
        if denied := self._check_auth(request, "anthropic", number):
            return denied
        with self._lock:
            batch = self._state.batches.get(batch_id)
            if batch is not None:
                batch.polls += 1
        if batch is None:
            return _error(
                "anthropic", 404, "not_found_error", f"batch {batch_id} not found", number
            )
        return Response.json(batch.to_json(self.base_url), headers=_ids(number))

    def _results(self, request: Request, batch_id: str) -> Response:
        number = self._next_id()
        if denied := self._check_auth(request, "anthropic", number):
            return denied
        with self._lock:
            batch = self._state.batches.get(batch_id)
        if batch is None:
            return _error(
                "anthropic", 404, "not_found_error", f"batch {batch_id} not found", number
            )
        if not batch.ended:
            message = f"batch {batch.batch_id} is still in progress"
            return _error("anthropic", 400, "invalid_request_error", message, number)
        body = batch.results_jsonl()
        return Response(200, body, content_type="application/binary", headers=_ids(number))

    def _check_auth(self, request: Request, api: str, number: int) -> Response | None:
        if self.api_key is None:
            return None
        bearer = request.headers.get("authorization", "")
        sent = request.headers.get("x-api-key") or bearer.removeprefix("Bearer ").strip()
        if sent == self.api_key:
            return None
        # Like the real APIs, the answer never echoes the key that was sent (unless a
        # test asks for a hostile body: FaultPlan.error_detail).
        message = "invalid x-api-key" if sent else "missing API key"
        message = self.faults.error_detail or message
        error_type = "authentication_error" if api == "anthropic" else "invalid_api_key"
        return _error(api, 401, error_type, message, number)


def _error(api: str, status: int, error_type: str, message: str, number: int) -> Response:
    request_id = _request_id(number)
    if api == "anthropic":
        body = anthropic_error_json(error_type, message, request_id)
        return Response.json(body, status=status, headers={"request-id": request_id})
    body = openai_error_json(error_type, message)
    return Response.json(body, status=status, headers={"x-request-id": request_id})


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise RequestRejected("Request body is not valid JSON") from None


def _request_id(number: int) -> str:
    return f"req_test_{number:08d}"


def _ids(number: int) -> dict[str, str]:
    return {"request-id": _request_id(number)}
