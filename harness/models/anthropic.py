"""The ``anthropic`` provider: Claude through the official SDK (``anthropic`` 2.x).

The SDK is imported when an adapter is built, not when this module is, so the provider can
be registered without it and a missing SDK is a clear :class:`ConfigError`. The SDK never
retries (``max_retries=0``): the runner does, so retries are counted and logged once.

>>> import asyncio
>>> adapter = AnthropicModel.from_config(
...     "claude-sonnet-4-6", {"max_tokens": 512}, "scenarios/candidate.yaml")  # doctest: +SKIP
>>> asyncio.run(adapter.complete(request)).usage  # doctest: +SKIP
Usage(input_tokens=12, output_tokens=87, cache_read_tokens=1450, cache_write_tokens=0)
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ConfigError, ProviderError
from harness.models.base import Completion, CompletionRequest, Message, ModelAdapter, Usage
from harness.models.provider_errors import retry_after, scrub, status_error, transport_error

if TYPE_CHECKING:
    from anthropic import AnthropicError, AsyncAnthropic, AsyncAPIResponse
    from anthropic.types import (
        AssistantMessageParam,
        MessageParam,
        TextBlockParam,
        UserMessageParam,
    )
    from anthropic.types import Message as SdkMessage
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
    from anthropic.types.messages.batch_create_params import Request as BatchRequest

T = TypeVar("T")
_INSTALL = "pip install 'replay-harness[anthropic]'"
# An error in a batch result carries a type but no status; the status the API uses for it.
_STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class AnthropicOptions(BaseModel):
    """Options of the ``anthropic`` provider.

    There is no ``temperature``, ``top_p`` or ``top_k``: the pinned SDK (2.x) removed them
    from ``messages.create`` because API version 2026-10-21 rejects them with a 400, even at
    1.0. ``effort`` (``output_config.effort``) is the supported way to trade depth for speed.
    ``prompt_cache`` sends the system prompt as a block marked ``cache_control: ephemeral``,
    so repeated cases read it from the cache. ``base_url`` wins over ``ANTHROPIC_BASE_URL``,
    which wins over the SDK's default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_tokens: int = Field(default=1024, ge=1, le=128_000)
    stop_sequences: tuple[str, ...] = ()
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    prompt_cache: bool = True
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    # The SDK's HTTP transport: "aiohttp" (its DefaultAioHttpClient) costs about a third of
    # httpx's CPU per call, and httpx's pool slows as connections grow (see docs/benchmarks.md).
    http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    api_key_env: str = Field(default="ANTHROPIC_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """Where a message batch is: ``processing_status`` and its request counts."""

    batch_id: str
    processing_status: str  # "in_progress", "canceling" or "ended"
    processing: int
    succeeded: int
    errored: int
    canceled: int
    expired: int

    @property
    def ended(self) -> bool:
        return self.processing_status == "ended"


class AnthropicModel(ModelAdapter):
    """Claude through ``anthropic.AsyncAnthropic``; see :class:`AnthropicOptions`.

    The key is read from ``options.api_key_env`` when the adapter is built, so a missing key
    stops the run before any case. ``request.seed`` is not sent: the API takes no seed.
    """

    provider = "anthropic"
    Options: ClassVar[type[BaseModel]] = AnthropicOptions
    cacheable: ClassVar[bool] = True
    preload: ClassVar[tuple[str, ...]] = ("anthropic", "aiohttp", "harness.models.tls")

    def __init__(self, model_id: str, options: BaseModel | None = None) -> None:
        super().__init__(model_id, options)
        self.settings = AnthropicOptions.model_validate(self.options.model_dump())
        # Fail now, with the install line, rather than on the first case.
        _require_sdk(aiohttp=self.settings.http_client == "aiohttp")
        # An unset key is not an error yet: a run answered from the cache alone needs none
        # (see missing_credentials, checked by load_plan before a run that may call).
        self._api_key = os.environ.get(self.settings.api_key_env, "").strip()
        self.base_url = self.settings.base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self._client: AsyncAnthropic | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def missing_credentials(self) -> str | None:
        if self._api_key:
            return None
        return (
            f"model provider 'anthropic': the environment variable "
            f"{self.settings.api_key_env} is not set; put your Anthropic API key in it, "
            "or name another variable with model.options.api_key_env"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key else ()

    def cache_identity(self) -> dict[str, Any]:
        # The same model id behind another endpoint (a proxy, a local server) may answer
        # differently, so the endpoint is part of every cache key.
        return {**super().cache_identity(), "base_url": self.base_url or "default"}

    async def complete(self, request: CompletionRequest) -> Completion:
        messages = self._client_now().messages.with_raw_response
        raw = await self._guard(messages.create(**self.params(request)))
        message = await self._guard(_message_of(raw))
        return self._completion(message, request_id=raw.request_id)

    def params(self, request: CompletionRequest) -> MessageCreateParamsNonStreaming:
        """The ``messages.create`` arguments for ``request`` (also a batch item's params)."""
        s = self.settings
        messages = [_message_param(m) for m in request.messages]
        params: MessageCreateParamsNonStreaming = {
            "model": self.model_id,
            "max_tokens": s.max_tokens,
            "messages": messages,
        }
        if request.system:  # the API rejects an empty text block
            block: TextBlockParam = {"type": "text", "text": request.system}
            if s.prompt_cache:
                block["cache_control"] = {"type": "ephemeral"}
            params["system"] = [block]
        if s.stop_sequences:
            params["stop_sequences"] = list(s.stop_sequences)
        if s.effort is not None:
            params["output_config"] = {"effort": s.effort}
        return params

    async def submit_batch(self, items: list[tuple[str, CompletionRequest]]) -> str:
        """Submit ``(custom_id, request)`` pairs as one message batch; returns its id."""
        requests: list[BatchRequest] = [
            {"custom_id": cid, "params": self.params(r)} for cid, r in items
        ]
        batch = await self._guard(self._client_now().messages.batches.create(requests=requests))
        return batch.id

    async def batch_status(self, batch_id: str) -> BatchStatus:
        batch = await self._guard(self._client_now().messages.batches.retrieve(batch_id))
        counts = batch.request_counts
        return BatchStatus(
            batch_id=batch.id,
            processing_status=batch.processing_status,
            processing=counts.processing,
            succeeded=counts.succeeded,
            errored=counts.errored,
            canceled=counts.canceled,
            expired=counts.expired,
        )

    async def batch_results(self, batch_id: str) -> dict[str, Completion | ProviderError]:
        """Each request's completion or error, by custom id, once the batch has ended.

        A request the batch did not process in time is a retryable ``expired`` error.
        """
        status = await self.batch_status(batch_id)
        if not status.ended:
            raise ProviderError(
                f"anthropic batch {batch_id} has not ended ({status.processing_status}); "
                "poll batch_status until it has",
                kind="not_ready",
                retryable=True,
            )
        return await self._guard(self._read_results(batch_id))

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.close()

    # -- internals ---------------------------------------------------------------------------

    def _client_now(self) -> AsyncAnthropic:
        loop = asyncio.get_running_loop()
        # Connections belong to the event loop that opened them: a new loop needs a new client.
        if self._client is None or self._client_loop is not loop:
            missing = self.missing_credentials()
            if missing is not None:  # load_plan checks first; this adapter may be built alone
                raise ProviderError(missing, kind="auth", retryable=False, fatal=True)
            import anthropic

            self._client = anthropic.AsyncAnthropic(
                api_key=self._api_key,
                base_url=self.base_url,
                max_retries=0,  # the runner retries, so the SDK must not
                timeout=self.settings.timeout_s,
                http_client=self._http_client(),
                # False only when nothing could receive the spans (see _spans_unwatched).
                open_telemetry=False if _spans_unwatched() else None,
            )
            self._client_loop = loop
        return self._client

    def _http_client(self) -> Any:
        """The SDK's own aiohttp-backed client, or ``None`` for its default (httpx)."""
        if self.settings.http_client == "httpx":
            return None
        import anthropic

        from harness.models import tls

        # Its pool allows DEFAULT_CONNECTION_LIMITS (1,000) connections: the runner's
        # concurrency is what bounds calls in flight.
        return anthropic.DefaultAioHttpClient(timeout=self.settings.timeout_s, verify=tls.CONTEXT)

    async def _read_results(self, batch_id: str) -> dict[str, Completion | ProviderError]:
        results: dict[str, Completion | ProviderError] = {}
        async for item in await self._client_now().messages.batches.results(batch_id):
            result = item.result
            if result.type == "succeeded":
                results[item.custom_id] = self._completion(result.message, request_id=None)
            elif result.type == "errored":
                error = result.error.error
                results[item.custom_id] = status_error(
                    "anthropic",
                    self.model_id,
                    _STATUS_OF_TYPE.get(error.type, 500),
                    error_type=error.type,
                    detail=error.message,
                    request_id=result.error.request_id,
                    retry_after=None,
                    secret=self._api_key,
                )
            else:  # expired or canceled: never processed, so sending it again may succeed
                results[item.custom_id] = ProviderError(
                    f"anthropic batch {batch_id}: request {item.custom_id} was {result.type} "
                    "before it was processed; submit it again",
                    kind=result.type,
                    retryable=True,
                )
        return results

    def _completion(self, message: SdkMessage, *, request_id: str | None) -> Completion:
        try:
            text = "".join(block.text for block in message.content if block.type == "text")
            usage = message.usage
            return Completion(
                text=text,
                model=str(message.model or self.model_id),
                stop_reason=message.stop_reason,
                usage=Usage(
                    input_tokens=int(usage.input_tokens),
                    output_tokens=int(usage.output_tokens),
                    cache_read_tokens=int(usage.cache_read_input_tokens or 0),
                    cache_write_tokens=int(usage.cache_creation_input_tokens or 0),
                ),
                request_id=request_id,
            )
        except (AttributeError, TypeError, ValueError) as exc:  # a 200 that is not a Message
            detail = f"the answer is not a Message ({type(exc).__name__}: {exc})"
            raise transport_error(
                "anthropic", self.model_id, "bad_response", detail, self._api_key
            ) from None

    async def _guard(self, call: Awaitable[T]) -> T:
        """Await ``call``, turning every SDK failure into a :class:`ProviderError`.

        ``from None``: the SDK's exception holds the request, headers and key included.
        """
        import anthropic

        try:
            return await call
        except anthropic.AnthropicError as exc:
            raise self._error(exc) from None
        except json.JSONDecodeError as exc:  # the SDK lets a garbled 200 body through as is
            raise transport_error(
                "anthropic", self.model_id, "bad_response", f"the answer is not JSON ({exc})"
            ) from None

    def _error(self, exc: AnthropicError) -> ProviderError:
        import anthropic

        key = self._api_key
        if isinstance(exc, anthropic.APIStatusError):
            return status_error(
                "anthropic",
                self.model_id,
                exc.status_code,
                error_type=exc.type,
                detail=exc.api_message or _text_of(exc.body),
                request_id=exc.request_id,
                retry_after=retry_after(exc.response.headers),
                secret=key,
                key_env=self.settings.api_key_env,
            )
        if isinstance(exc, anthropic.APITimeoutError):
            detail = f"no answer within {self.settings.timeout_s:g} s"
            return transport_error("anthropic", self.model_id, "timeout", detail, key)
        if isinstance(exc, anthropic.APIConnectionError):
            detail = f"{exc.message} ({_cause(exc)})"
            return transport_error("anthropic", self.model_id, "connection", detail, key)
        if isinstance(exc, anthropic.APIResponseValidationError):
            return transport_error("anthropic", self.model_id, "bad_response", exc.message, key)
        # Anything else is not known to pass with time: say so, and do not retry.
        message = f"anthropic model '{self.model_id}': {type(exc).__name__}: {exc}"
        return ProviderError(scrub(message, key), kind="bad_request", retryable=False)


def _spans_unwatched() -> bool:
    """Whether the SDK's OpenTelemetry spans would go nowhere: no tracer provider is set and
    no ``ANTHROPIC_OPEN_TELEMETRY*`` or ``OTEL_PYTHON_TRACER_PROVIDER`` variable asks for one.

    The SDK still builds each call's span attributes then (about 3% of a worker's CPU at 256
    calls in flight), for a span nobody records. With a provider (``opentelemetry-instrument
    harness run ...``) or those variables, the SDK's own settings apply.
    """
    if any(n.startswith("ANTHROPIC_OPEN_TELEMETRY") for n in os.environ):
        return False
    if "OTEL_PYTHON_TRACER_PROVIDER" in os.environ:
        return False
    from opentelemetry import trace

    return isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _require_sdk(*, aiohttp: bool) -> None:
    """Raise a :class:`ConfigError` with the install line when the SDK is missing.

    Found, not imported: importing the SDK takes about a second, which a process that only
    checks the scenario (the pytest-xdist controller, the parent of worker processes)
    would spend before any work starts. The first call imports it.
    """
    if importlib.util.find_spec("anthropic") is None:
        raise ConfigError(f"model provider 'anthropic' needs the anthropic SDK: {_INSTALL}")
    if aiohttp and importlib.util.find_spec("aiohttp") is None:
        raise ConfigError(
            "model provider 'anthropic': http_client 'aiohttp' needs the aiohttp package: "
            f"{_INSTALL}, or set model.options.http_client: httpx"
        )


async def _message_of(raw: AsyncAPIResponse[SdkMessage]) -> SdkMessage:
    """The answer as the SDK's own ``Message``, validated from the body by pydantic-core.

    The SDK's ``parse()`` builds the model field by field in Python without validating it:
    about 0.1 ms of CPU per call, a tenth of what the client may spend per call at 256 calls
    in flight (docs/benchmarks.md). A body that does not validate (a block type this SDK
    version does not know yet, or garbage) is left to ``parse()``, so it is read, or fails,
    exactly as the SDK reads it.
    """
    from anthropic.types import Message as SdkMessage
    from pydantic import ValidationError

    try:
        return SdkMessage.model_validate_json(await raw.read())
    except ValidationError:
        return await raw.parse()


def _message_param(message: Message) -> MessageParam:
    if message.role == "user":
        user: UserMessageParam = {"role": "user", "content": message.content}
        return user
    assistant: AssistantMessageParam = {"role": "assistant", "content": message.content}
    return assistant


def _text_of(body: object) -> str | None:
    return body[:200] if isinstance(body, str) and body else None


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__
    return f"{type(cause).__name__}: {cause}" if cause is not None else "no detail"
