"""The ``openai-compatible`` provider: any server that speaks OpenAI chat completions.

Local model servers (vLLM, llama.cpp, Ollama, LM Studio) and hosted gateways speak it. The
adapter posts to ``{base_url}/chat/completions`` over aiohttp, imported only when an
adapter is built (aiohttp is the optional ``openai`` extra). As for OpenAI's own clients,
``base_url`` includes the version prefix: ``http://localhost:8000/v1``.

>>> adapter = OpenAICompatibleModel.from_config(
...     "llama-3.1-8b", {"base_url": "http://localhost:8000/v1", "seed": 7}, "scenario.yaml")
>>> adapter.endpoint
'http://localhost:8000/v1/chat/completions'
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ConfigError, ProviderError
from harness.models.base import Completion, CompletionRequest, ModelAdapter, Usage
from harness.models.provider_errors import retry_after, status_error, transport_error

if TYPE_CHECKING:
    import aiohttp

_PROVIDER = "openai-compatible"
_INSTALL = "pip install 'replay-harness[openai]'"
# In the vocabulary of Completion.stop_reason (Anthropic's), so reports compare providers.
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}


class OpenAICompatibleOptions(BaseModel):
    """Options of the ``openai-compatible`` provider.

    ``base_url`` (with ``/v1``) wins over ``OPENAI_BASE_URL``; one of them is required. The
    key in ``api_key_env`` is optional: without it no ``Authorization`` header is sent, as
    local servers expect. ``temperature``, ``top_p`` and ``seed`` are sent only when set.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    api_key_env: str = Field(default="OPENAI_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    max_tokens: int | None = Field(default=1024, ge=1, le=1_000_000)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = None
    timeout_s: float = Field(default=60.0, gt=0, le=3600)


class OpenAICompatibleModel(ModelAdapter):
    """Chat completions over HTTP; see :class:`OpenAICompatibleOptions`."""

    provider = _PROVIDER
    Options: ClassVar[type[BaseModel]] = OpenAICompatibleOptions
    cacheable: ClassVar[bool] = True
    preload: ClassVar[tuple[str, ...]] = ("aiohttp",)

    def __init__(self, model_id: str, options: BaseModel | None = None) -> None:
        super().__init__(model_id, options)
        self.settings = OpenAICompatibleOptions.model_validate(self.options.model_dump())
        _require_aiohttp()
        base_url = self.settings.base_url or os.environ.get("OPENAI_BASE_URL", "").strip()
        if not base_url.startswith(("http://", "https://")):
            got = f" (OPENAI_BASE_URL is {base_url!r})" if base_url else ""
            raise ConfigError(
                f"model provider '{_PROVIDER}' needs the server's address{got}: set "
                "model.options.base_url or OPENAI_BASE_URL, e.g. http://localhost:8000/v1"
            )
        self.endpoint = base_url.rstrip("/") + "/chat/completions"
        self._api_key = os.environ.get(self.settings.api_key_env, "").strip() or None
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key else ()

    def cache_identity(self) -> dict[str, Any]:
        return {**super().cache_identity(), "endpoint": self.endpoint}

    def body(self, request: CompletionRequest) -> dict[str, Any]:
        """The JSON body for ``request``: the system prompt leads as a ``system`` message."""
        s = self.settings
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {"model": self.model_id, "messages": messages}
        optional = {
            "max_tokens": s.max_tokens,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "seed": s.seed,
        }
        body.update({name: value for name, value in optional.items() if value is not None})
        return body

    async def complete(self, request: CompletionRequest) -> Completion:
        import aiohttp

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            async with self._session_now().post(
                self.endpoint, json=self.body(request), headers=headers
            ) as response:
                raw = await response.read()
                status, response_headers = response.status, response.headers
        except TimeoutError:  # aiohttp's timeouts subclass it; checked before ClientError
            detail = f"no answer within {self.settings.timeout_s:g} s"
            raise self._transport("timeout", detail) from None
        except aiohttp.ClientError as exc:
            raise self._transport("connection", f"{type(exc).__name__}: {exc}") from None
        request_id = response_headers.get("x-request-id")
        if status >= 400:
            error = _error_object(raw)
            raise status_error(
                _PROVIDER,
                self.model_id,
                status,
                error_type=_str(error.get("code")) or _str(error.get("type")),
                detail=_str(error.get("message")) or raw[:200].decode(errors="replace") or None,
                request_id=request_id,
                retry_after=retry_after(response_headers),
                secret=self._api_key,
                key_env=self.settings.api_key_env,
            )
        return self._completion(raw, request_id)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._session_loop is asyncio.get_running_loop():
            await session.close()

    def _session_now(self) -> aiohttp.ClientSession:
        import aiohttp

        loop = asyncio.get_running_loop()
        # A session belongs to the event loop that opened it: a new loop needs a new session.
        if self._session is None or self._session_loop is not loop:
            timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._session_loop = loop
        return self._session

    def _completion(self, raw: bytes, request_id: str | None) -> Completion:
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            usage = data.get("usage") or {}
            prompt = int(usage.get("prompt_tokens") or 0)
            cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
            if not isinstance(text, str):
                raise TypeError(f"content is {type(text).__name__}, not text")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            detail = f"the answer is not a chat completion ({type(exc).__name__}: {exc})"
            raise self._transport("bad_response", detail) from None
        finish = _str(choice.get("finish_reason"))
        return Completion(
            text=text,
            model=_str(data.get("model")) or self.model_id,
            stop_reason=_STOP_REASONS.get(finish or "", finish),
            usage=Usage(
                # OpenAI counts cached tokens inside prompt_tokens; Usage keeps them apart,
                # as Anthropic does, so cost accounting is the same for every provider.
                input_tokens=prompt - cached,
                output_tokens=int(usage.get("completion_tokens") or 0),
                cache_read_tokens=cached,
            ),
            request_id=request_id,
        )

    def _transport(self, kind: str, detail: str) -> ProviderError:
        return transport_error(_PROVIDER, self.model_id, kind, detail, self._api_key)


def _require_aiohttp() -> None:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise ConfigError(f"model provider '{_PROVIDER}' needs aiohttp: {_INSTALL}") from None


def _error_object(raw: bytes) -> dict[str, Any]:
    """The ``error`` object of an error body, or ``{}`` when there is none."""
    try:
        error = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return {}
    if isinstance(error, str):  # some servers send {"error": "message"}
        return {"message": error}
    return error if isinstance(error, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
