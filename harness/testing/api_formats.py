"""The wire formats the local provider server speaks: parsing requests, shaping answers.

Pure functions over JSON values, with no HTTP: :func:`parse_messages_body` validates an
Anthropic Messages request the way the real API does where it matters (required fields,
removed sampling parameters, unknown models), :func:`parse_chat_body` an OpenAI chat
completions request, and :func:`compose_answer` turns either into the text and token
accounting that :func:`message_json` and :func:`chat_json` put on the wire.

>>> parse_messages_body({"model": "claude-x", "max_tokens": 5, "messages": [],
...                      "temperature": 1.0}, {"claude-x"})
Traceback (most recent call last):
...
harness.testing.api_formats.RequestRejected: temperature: Extra inputs are not permitted
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from harness.models.base import Message
from harness.models.offline import OfflineOptions, answer
from harness.models.offline_brief import read_brief

_CHARS_PER_TOKEN = 4  # the same rough estimate as the offline agent; there is no tokenizer
_REMOVED_SAMPLING = ("temperature", "top_p", "top_k")  # rejected since API version 2026-10-21
_MESSAGES_FIELDS = frozenset(
    {
        "model", "max_tokens", "messages", "system", "stop_sequences", "stream", "metadata",
        "output_config", "cache_control", "service_tier", "thinking", "tools", "tool_choice",
        "container", "diagnostics", "inference_geo", "speed",
    }
)  # fmt: skip
_CHAT_FIELDS = frozenset(
    {
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
        "seed", "stop", "n", "stream", "user", "frequency_penalty", "presence_penalty",
    }
)  # fmt: skip
EFFORTS = ("low", "medium", "high", "xhigh", "max")


class RequestRejected(Exception):
    """The request is invalid: answer ``status`` with an error of ``error_type``."""

    def __init__(
        self, message: str, *, status: int = 400, error_type: str = "invalid_request_error"
    ):
        super().__init__(message)
        self.message, self.status, self.error_type = message, status, error_type


@dataclass(frozen=True, slots=True)
class ApiPrompt:
    """What a responder sees: the model, the system prompt, the conversation and a seed."""

    model: str
    system: str
    messages: tuple[Message, ...]
    seed: int


Responder = Callable[[ApiPrompt], str]
"""Turns a prompt into the answer's text; the default is :func:`offline_responder`."""


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A validated completion request. ``cache_system``: the system prompt may be cached."""

    prompt: ApiPrompt
    max_tokens: int | None
    stop_sequences: tuple[str, ...] = ()
    cache_system: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer's text and accounting, in Anthropic's terms (input excludes cached tokens)."""

    text: str
    stop_reason: str
    stop_sequence: str | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


def offline_responder(prompt: ApiPrompt) -> str:
    """The offline reference agent's answer, so replays show realistic disclosure pass rates."""
    user_messages = [m.content for m in prompt.messages if m.role == "user"]
    return answer(read_brief(prompt.system), user_messages, prompt.seed, OfflineOptions())


def fixed_responder(prompt: ApiPrompt) -> str:
    """The same short answer to everything: a server that costs almost no CPU."""
    return "We are a credit broker, not a lender. Representative 9.9% APR."


def estimate_tokens(text: str) -> int:
    return len(text) // _CHARS_PER_TOKEN + 1 if text else 0


def prompt_seed(model: str, system: str, messages: tuple[Message, ...]) -> int:
    """A seed from the prompt's content, so the same request always gets the same answer."""
    canonical = json.dumps([model, system, [[m.role, m.content] for m in messages]])
    return int(hashlib.sha256(canonical.encode()).hexdigest()[:12], 16)


def parse_messages_body(body: Any, known_models: Collection[str]) -> ParsedRequest:
    """Validate an Anthropic ``POST /v1/messages`` body; raise :class:`RequestRejected`."""
    if not isinstance(body, dict):
        raise RequestRejected("Request body must be a JSON object")
    for name in [*_REMOVED_SAMPLING, *sorted(set(body) - _MESSAGES_FIELDS)]:
        if name in body:
            raise RequestRejected(f"{name}: Extra inputs are not permitted")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            raise RequestRejected(f"{name}: Field required")
    model, max_tokens = body["model"], body["max_tokens"]
    if not isinstance(model, str) or not model:
        raise RequestRejected("model: Input should be a non-empty string")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 0:
        raise RequestRejected("max_tokens: Input should be a non-negative integer")
    if body.get("stream"):
        raise RequestRejected("stream: streaming is not supported by this test server")
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None and effort not in EFFORTS:
        raise RequestRejected(f"output_config.effort: Input should be one of {', '.join(EFFORTS)}")
    stops = body.get("stop_sequences", [])
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise RequestRejected("stop_sequences: Input should be a list of non-empty strings")
    system, cached = _system_text(body.get("system", ""))
    messages = _conversation(body["messages"], roles=("user", "assistant"))
    if not messages:
        raise RequestRejected("messages: at least one message is required")
    if model not in known_models:
        raise RequestRejected(f"model: {model}", status=404, error_type="not_found_error")
    prompt = ApiPrompt(model, system, messages, prompt_seed(model, system, messages))
    cached = cached or isinstance(body.get("cache_control"), dict)  # automatic caching
    return ParsedRequest(prompt, max_tokens, tuple(stops), cached)


def parse_chat_body(body: Any, known_models: Collection[str]) -> ParsedRequest:
    """Validate an OpenAI ``POST /v1/chat/completions`` body; raise :class:`RequestRejected`."""
    if not isinstance(body, dict):
        raise RequestRejected("Request body must be a JSON object")
    for name in sorted(set(body) - _CHAT_FIELDS):
        raise RequestRejected(f"Unrecognized request argument supplied: {name}")
    for name in ("model", "messages"):
        if name not in body:
            raise RequestRejected(f"Missing required parameter: '{name}'")
    model = body["model"]
    if not isinstance(model, str) or not model:
        raise RequestRejected("model: must be a non-empty string")
    if body.get("stream") or body.get("n", 1) != 1:
        raise RequestRejected("stream and n > 1 are not supported by this test server")
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise RequestRejected("max_tokens: must be a positive integer")
    stop = body.get("stop") or []
    stops = tuple([stop] if isinstance(stop, str) else stop)
    raw = body["messages"] if isinstance(body["messages"], list) else None
    if not raw:
        raise RequestRejected("messages: must be a non-empty array")
    # OpenAI carries the system prompt as messages; fold them into one system text.
    is_instruction = [isinstance(m, dict) and m.get("role") in ("system", "developer") for m in raw]
    system = "\n\n".join(
        _text(m.get("content"), f"messages.{i}.content")
        for i, m in enumerate(raw)
        if is_instruction[i]
    )
    messages = _conversation(
        [m for m, ins in zip(raw, is_instruction, strict=True) if not ins],
        roles=("user", "assistant"),
    )
    if model not in known_models:
        raise RequestRejected(
            f"The model `{model}` does not exist", status=404, error_type="model_not_found"
        )
    seed = body.get("seed")
    if not isinstance(seed, int):
        seed = prompt_seed(model, system, messages)
    return ParsedRequest(ApiPrompt(model, system, messages, seed), max_tokens, stops, True)


def compose_answer(request: ParsedRequest, responder: Responder, seen_systems: set[str]) -> Answer:
    """Ask ``responder`` and account for tokens; ``seen_systems`` remembers cached prompts.

    A cacheable system prompt counts as a cache write the first time it is seen and as a
    cache read afterwards (the real minimum cacheable length is ignored).
    """
    prompt = request.prompt
    text, stop_reason, stop_sequence = responder(prompt), "end_turn", None
    for stop in request.stop_sequences:
        if (at := text.find(stop)) >= 0:
            text, stop_reason, stop_sequence = text[:at], "stop_sequence", stop
    if request.max_tokens is not None and len(text) > request.max_tokens * _CHARS_PER_TOKEN:
        text, stop_reason = text[: request.max_tokens * _CHARS_PER_TOKEN], "max_tokens"
    system_tokens = estimate_tokens(prompt.system)
    rest_tokens = sum(estimate_tokens(m.content) for m in prompt.messages)
    cache_read = cache_write = 0
    if request.cache_system and prompt.system:
        key = hashlib.sha256(f"{prompt.model}\0{prompt.system}".encode()).hexdigest()
        if key in seen_systems:
            cache_read = system_tokens
        else:
            seen_systems.add(key)
            cache_write = system_tokens
    output = min(estimate_tokens(text), request.max_tokens or estimate_tokens(text))
    return Answer(
        text=text,
        stop_reason=stop_reason,
        stop_sequence=stop_sequence,
        input_tokens=rest_tokens + system_tokens - cache_read - cache_write,
        output_tokens=output,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def message_json(message_id: str, model: str, ans: Answer) -> dict[str, Any]:
    """An Anthropic ``Message`` object."""
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": ans.text}],
        "stop_reason": ans.stop_reason,
        "stop_sequence": ans.stop_sequence,
        "usage": {
            "input_tokens": ans.input_tokens,
            "output_tokens": ans.output_tokens,
            "cache_creation_input_tokens": ans.cache_write_tokens,
            "cache_read_input_tokens": ans.cache_read_tokens,
        },
    }


def chat_json(completion_id: str, model: str, created: int, ans: Answer) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` object; ``prompt_tokens`` includes the cached ones."""
    prompt_tokens = ans.input_tokens + ans.cache_read_tokens + ans.cache_write_tokens
    finish = {"max_tokens": "length"}.get(ans.stop_reason, "stop")
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ans.text},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": ans.output_tokens,
            "total_tokens": prompt_tokens + ans.output_tokens,
            "prompt_tokens_details": {"cached_tokens": ans.cache_read_tokens},
        },
    }


def anthropic_error_json(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id,
    }


def openai_error_json(error_type: str, message: str) -> dict[str, Any]:
    code = error_type if error_type in ("model_not_found", "invalid_api_key") else None
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _system_text(system: Any) -> tuple[str, bool]:
    """The system prompt's text, and whether any of its blocks asks to be cached."""
    if isinstance(system, str):
        return system, False
    if not isinstance(system, list):
        raise RequestRejected("system: Input should be a string or a list of text blocks")
    texts = [_block_text(block, f"system.{i}") for i, block in enumerate(system)]
    cached = any(isinstance(b, dict) and "cache_control" in b for b in system)
    return "\n\n".join(texts), cached


def _conversation(raw: Any, roles: tuple[str, ...]) -> tuple[Message, ...]:
    if not isinstance(raw, list):
        raise RequestRejected("messages: Input should be a valid list")
    messages = []
    for i, item in enumerate(raw):
        role = item.get("role") if isinstance(item, dict) else None
        if role not in roles:
            raise RequestRejected(f"messages.{i}.role: Input should be one of {', '.join(roles)}")
        messages.append(Message(role, _text(item.get("content"), f"messages.{i}.content")))
    return tuple(messages)


def _text(content: Any, where: str) -> str:
    """The text of a message's content: a string or a list of text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content:
        return "\n".join(_block_text(block, f"{where}.{i}") for i, block in enumerate(content))
    raise RequestRejected(f"{where}: Input should be a string or a non-empty list of blocks")


def _block_text(block: Any, where: str) -> str:
    if not isinstance(block, dict) or block.get("type") != "text":
        raise RequestRejected(f"{where}.type: only text blocks are supported by this test server")
    text = block.get("text")
    if not isinstance(text, str) or not text:
        raise RequestRejected(f"{where}.text: text content blocks must be non-empty")
    return text
