"""A minimal HTTP/1.1 server on asyncio, for the local provider server: lean enough that a
benchmark measures its client, not the server.

It speaks what the clients the harness uses send (the anthropic SDK over aiohttp or httpx,
aiohttp, urllib): requests with a ``Content-Length`` body (or none), persistent connections,
one request at a time per connection. A handler is a plain function from :class:`Request` to
:class:`Response`; a response may be sent after a delay (the provider's latency, scheduled on
the event loop, so thousands can wait at once without a task each) or be a dropped
connection. Chunked request bodies, pipelining and ``Expect: 100-continue`` are refused or
not needed by those clients.

>>> Response.json({"ok": True}, status=200).head()[:17]
b'HTTP/1.1 200 OK\\r\\n'
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

#: The largest request (head and body) a connection accepts.
MAX_REQUEST_BYTES = 64 * 1024**2
_MAX_HEAD_BYTES = 64 * 1024
_REASONS = {s.value: s.phrase for s in HTTPStatus} | {529: "Overloaded"}


@dataclass(frozen=True, slots=True)
class Request:
    """One request: method, path (without the query), headers (names in lower case), body."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Response:
    """What to answer, ``delay_s`` seconds after the request; ``drop``: close the connection
    without any answer (counted as status 0)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False

    @classmethod
    def json(
        cls, value: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        return cls(status, json.dumps(value).encode(), headers=headers or {})

    def head(self) -> bytes:
        lines = [
            f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Unknown')}",
            f"Content-Type: {self.content_type}",
            f"Content-Length: {len(self.body)}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


Handler = Callable[[Request], Response]
#: Called once per response as it is sent (or dropped): the request and the status (0: dropped).
Sent = Callable[[Request, int], None]


class _Connection(asyncio.Protocol):
    """One client connection: parses requests from its bytes and writes the answers."""

    def __init__(self, handler: Handler, sent: Sent, connections: set[_Connection]) -> None:
        self._handler, self._sent, self._connections = handler, sent, connections
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._busy = False  # a request is being answered: parse the next one after it
        self._later: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._transport = None
        if self._later is not None:
            self._later.cancel()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._next()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _next(self) -> None:
        parsed = self._parse()
        if parsed is None:
            return
        request, keep_alive = parsed
        self._busy = True
        try:
            response = self._handler(request)
        except Exception as exc:  # a bug in a handler: answered, so the client is not left waiting
            response = Response.json({"error": f"{type(exc).__name__}: {exc}"}, status=500)
        if response.delay_s > 0:
            loop = asyncio.get_running_loop()
            self._later = loop.call_later(
                response.delay_s, self._send, request, response, keep_alive
            )
        else:
            self._send(request, response, keep_alive)

    def _send(self, request: Request, response: Response, keep_alive: bool) -> None:
        self._later = None
        transport = self._transport
        if transport is None:  # the client went away while its answer waited
            return
        if response.drop:
            self._sent(request, 0)
            transport.abort()
            return
        self._sent(request, response.status)
        transport.write(response.head() + response.body)
        if not keep_alive:
            transport.close()
            return
        self._busy = False
        if self._buffer:
            self._next()

    def _parse(self) -> tuple[Request, bool] | None:
        """The next complete request in the buffer (removed from it), or None for now."""
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > _MAX_HEAD_BYTES:
                self._refuse(431, "request head too large")
            return None
        lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
        except ValueError:
            self._refuse(400, "malformed request head")
            return None
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._refuse(411, "chunked request bodies are not supported; send Content-Length")
            return None
        if length < 0 or end + 4 + length > MAX_REQUEST_BYTES:
            self._refuse(413, "request too large")
            return None
        if len(buffer) < end + 4 + length:
            return None  # the body is still arriving
        body = bytes(buffer[end + 4 : end + 4 + length])
        del buffer[: end + 4 + length]
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        path = target.split("?", 1)[0]
        return Request(method, path, headers, body), keep_alive

    def _refuse(self, status: int, message: str) -> None:
        if self._transport is not None:
            response = Response.json({"error": message}, status=status)
            self._transport.write(response.head() + response.body)
            self._transport.close()
        self._buffer.clear()
        self._busy = True  # nothing more is read from this connection


class HttpServer:
    """Serves ``handler`` on ``host:port`` (0: a free port) in the running event loop."""

    def __init__(self, handler: Handler, sent: Sent) -> None:
        self._handler, self._sent = handler, sent
        self._connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self._handler, self._sent, self._connections), host, port
        )
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and end every connection, answers still waiting included."""
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.close()
        if self._server is not None:
            await self._server.wait_closed()
