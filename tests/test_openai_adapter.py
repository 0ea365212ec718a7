"""The ``openai-compatible`` adapter over real HTTP (aiohttp) against the local server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from harness.corpus.cases import Case, Turn
from harness.errors import ConfigError, ProviderError
from harness.models.base import Completion, CompletionRequest, Message, Usage
from harness.models.openai_compatible import OpenAICompatibleModel
from harness.testing import FaultPlan, MessagesApiServer
from harness.testing.api_formats import ApiPrompt, offline_responder

KEY = "sk-test-openai-9c8b7a"
MODEL = "claude-haiku-4-5"
SYSTEM = """## This conversation
Customer's first name: Tom
## Required disclosures
### Broker status [broker_status v1]
When: in your first reply.
Wording: We are a credit broker, not a lender.
"""
CASE = Case(case_id="case-1", source="tests", turns=(Turn(role="customer", text="Hi"),))


def request(*texts: str) -> CompletionRequest:
    messages = tuple(Message("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts))
    return CompletionRequest(SYSTEM, messages, seed=7, case=CASE, turn_index=1)


def build(model: str, options: dict[str, Any]) -> OpenAICompatibleModel:
    adapter = OpenAICompatibleModel.from_config(model, options, "scenarios/local.yaml")
    assert isinstance(adapter, OpenAICompatibleModel)
    return adapter


def complete(adapter: OpenAICompatibleModel, *requests: CompletionRequest) -> list[Completion]:
    async def run() -> list[Completion]:
        try:
            return [await adapter.complete(r) for r in requests]
        finally:
            await adapter.aclose()

    return asyncio.run(run())


def failure(adapter: OpenAICompatibleModel, req: CompletionRequest) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        complete(adapter, req)
    return info.value


@pytest.fixture
def keyless(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesApiServer]:
    """A local model server that takes no key, and no key in the environment."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with MessagesApiServer() as running:
        yield running


def test_a_round_trip_with_usage_caching_and_no_authorization_header(
    keyless: MessagesApiServer,
) -> None:
    adapter = build(MODEL, {"base_url": keyless.openai_base_url, "seed": 11})

    first, second = complete(adapter, request("Hello"), request("Hello"))

    text = offline_responder(ApiPrompt(MODEL, SYSTEM, (Message("user", "Hello"),), 11))
    system_tokens, user_tokens = len(SYSTEM) // 4 + 1, len("Hello") // 4 + 1
    assert first == Completion(
        text=text,
        model=MODEL,
        stop_reason="end_turn",
        usage=Usage(input_tokens=system_tokens + user_tokens, output_tokens=len(text) // 4 + 1),
        request_id="req_test_00000001",
    )
    # The second time the system prompt is a cached prefix: counted apart, as Anthropic does.
    assert second.usage == Usage(
        input_tokens=user_tokens, output_tokens=len(text) // 4 + 1, cache_read_tokens=system_tokens
    )
    assert second.text == first.text
    assert all("authorization" not in h for h in keyless.headers_seen())


def test_the_body_sends_the_system_prompt_first_and_only_the_options_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    adapter = build(MODEL, {"temperature": 0.3, "top_p": 0.9, "max_tokens": 200})

    assert adapter.body(request("Hi", "Hello!", "Go on")) == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Go on"},
        ],
        "max_tokens": 200,
        "temperature": 0.3,
        "top_p": 0.9,
    }


def test_the_key_is_sent_as_bearer_and_a_wrong_one_is_fatal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with MessagesApiServer(api_key=KEY) as running:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        (completion,) = complete(build(MODEL, {"base_url": running.openai_base_url}), request("Hi"))
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-wrong-42")
        error = failure(build(MODEL, {"base_url": running.openai_base_url}), request("Hi"))
        headers = running.headers_seen()

    assert completion.text.startswith("Hi Tom")
    assert [h["authorization"] for h in headers] == [f"Bearer {KEY}", "Bearer sk-test-wrong-42"]
    assert (error.kind, error.retryable, error.fatal, error.status) == ("auth", False, True, 401)
    assert str(error) == (
        "openai-compatible model 'claude-haiku-4-5': authentication failed (HTTP 401 "
        "invalid_api_key: invalid x-api-key); check the key in the environment variable "
        "OPENAI_API_KEY (request req_test_00000002)"
    )
    assert "sk-test-wrong-42" not in str(error)


@pytest.mark.parametrize(
    ("fault", "kind", "status", "retry_after", "message"),
    [
        ("rate_limit", "rate_limited", 429, 2.0, "HTTP 429 rate_limit_error: Number of requests"),
        ("overloaded", "overloaded", 529, None, "HTTP 529 overloaded_error: Overloaded"),
        ("server_error", "server_error", 500, None, "HTTP 500 api_error: Internal server error"),
        ("drop", "connection", None, None, "connection: ServerDisconnectedError"),
        ("malformed", "bad_response", None, None, "bad response: the answer is not a chat"),
        ("slow", "timeout", None, None, "timeout: no answer within 0.3 s"),
    ],
)
def test_each_fault_maps_to_a_provider_error(
    keyless: MessagesApiServer,
    fault: Any,
    kind: str,
    status: int | None,
    retry_after: float | None,
    message: str,
) -> None:
    keyless.faults = FaultPlan(script={1: fault}, retry_after_s=2, slow_s=1.5)
    adapter = build(MODEL, {"base_url": keyless.openai_base_url, "timeout_s": 0.3})

    error = failure(adapter, request("Hello"))

    assert (error.kind, error.retryable, error.fatal, error.status, error.retry_after) == (
        kind,
        True,
        False,
        status,
        retry_after,
    )
    assert message in str(error)


@pytest.mark.parametrize(
    ("path", "model", "kind", "message"),
    [
        (
            "/v1",
            "llama-nope",
            "unknown_model",
            "openai-compatible: unknown model 'llama-nope' (HTTP 404 model_not_found: The model "
            "`llama-nope` does not exist); check model.id in the scenario "
            "(request req_test_00000001)",
        ),
        (
            "",  # the /v1 prefix forgotten
            MODEL,
            "not_found",
            "openai-compatible model 'claude-haiku-4-5': HTTP 404: 404: Not Found; check base_url",
        ),
    ],
)
def test_a_404_is_a_clear_fatal_error(
    keyless: MessagesApiServer, path: str, model: str, kind: str, message: str
) -> None:
    error = failure(build(model, {"base_url": keyless.base_url + path}), request("Hello"))

    assert (error.kind, error.retryable, error.fatal, error.status) == (kind, False, True, 404)
    assert str(error) == message


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        ("http://option.test/v1", "http://env.test/v1", "http://option.test/v1/chat/completions"),
        (None, "http://env.test/v1/", "http://env.test/v1/chat/completions"),
    ],
)
def test_base_url_precedence(
    option: str | None, env: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", env)

    assert build(MODEL, {"base_url": option} if option else {}).endpoint == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            None,
            "model provider 'openai-compatible' needs the server's address: set "
            "model.options.base_url or OPENAI_BASE_URL, e.g. http://localhost:8000/v1",
        ),
        (
            "localhost:8000",
            "model provider 'openai-compatible' needs the server's address (OPENAI_BASE_URL is "
            "'localhost:8000'): set model.options.base_url or OPENAI_BASE_URL, "
            "e.g. http://localhost:8000/v1",
        ),
    ],
)
def test_a_missing_base_url_is_a_config_error(
    env: str | None, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", env)

    with pytest.raises(ConfigError) as info:
        build(MODEL, {})

    assert str(info.value) == message


def test_options_are_closed_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")

    with pytest.raises(ConfigError) as info:
        build(MODEL, {"temprature": 0.2, "top_p": 0})

    assert str(info.value).splitlines() == [
        "scenarios/local.yaml: model.options: field 'top_p': Input should be greater than 0 "
        "(got 0)",
        "scenarios/local.yaml: model.options: unknown key 'temprature' (did you mean "
        "'temperature'?); allowed keys: api_key_env, base_url, max_tokens, seed, temperature, "
        "timeout_s, top_p",
    ]


def test_an_answer_with_a_field_the_adapter_does_not_know_still_gives_its_text(
    keyless: MessagesApiServer,
) -> None:
    adapter = build(MODEL, {"base_url": keyless.openai_base_url, "seed": 11})
    (expected,) = complete(adapter, request("Hello"))
    keyless.faults = FaultPlan(script={2: "novel_block"})  # the message gains "novel_field"

    (completion,) = complete(adapter, request("Hello"))

    assert completion.text == expected.text
    assert completion.usage.output_tokens == expected.usage.output_tokens
