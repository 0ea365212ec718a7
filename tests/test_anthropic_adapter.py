"""The ``anthropic`` adapter through the real SDK, over HTTP, against the local server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from harness.corpus.cases import Case, Turn
from harness.errors import ConfigError, ProviderError
from harness.models.anthropic import AnthropicModel, BatchStatus
from harness.models.base import Completion, CompletionRequest, Message, Usage
from harness.models.provider_errors import status_error
from harness.testing import FaultPlan, MessagesApiServer
from harness.testing.api_formats import ApiPrompt, offline_responder, prompt_seed

KEY = "sk-test-4nthr0p1c-5f1e2d"  # no word of the messages in it: runs of 8 are scrubbed
MODEL = "claude-sonnet-4-6"
SYSTEM = """## This conversation
Customer's first name: Priya
## Required disclosures
### Broker status [broker_status v1]
When: in your first reply.
Wording: We are a credit broker, not a lender.
"""
CASE = Case(case_id="case-1", source="tests", turns=(Turn(role="customer", text="Hi"),))


def request(*texts: str, system: str = SYSTEM) -> CompletionRequest:
    messages = tuple(Message("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts))
    return CompletionRequest(system, messages, seed=7, case=CASE, turn_index=1)


@pytest.fixture
def server() -> Iterator[MessagesApiServer]:
    with MessagesApiServer(api_key=KEY) as running:
        yield running


@pytest.fixture
def adapter(server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch) -> AnthropicModel:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return build(MODEL, {"base_url": server.base_url})


def build(model: str, options: dict[str, Any]) -> AnthropicModel:
    adapter = AnthropicModel.from_config(model, options, "scenarios/test.yaml")
    assert isinstance(adapter, AnthropicModel)
    return adapter


def complete(adapter: AnthropicModel, *requests: CompletionRequest) -> list[Completion]:
    async def run() -> list[Completion]:
        try:
            return [await adapter.complete(r) for r in requests]
        finally:
            await adapter.aclose()

    return asyncio.run(run())


def failure(adapter: AnthropicModel, req: CompletionRequest) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        complete(adapter, req)
    return info.value


def test_a_completion_round_trip_with_usage_and_request_id(
    adapter: AnthropicModel, server: MessagesApiServer
) -> None:
    (completion,) = complete(adapter, request("Hi, can you help?"))

    messages = (Message("user", "Hi, can you help?"),)
    text = offline_responder(
        ApiPrompt(MODEL, SYSTEM, messages, prompt_seed(MODEL, SYSTEM, messages))
    )
    assert completion == Completion(
        text=text,
        model=MODEL,
        stop_reason="end_turn",
        usage=Usage(
            input_tokens=len("Hi, can you help?") // 4 + 1,
            output_tokens=len(text) // 4 + 1,
            cache_read_tokens=0,
            cache_write_tokens=len(SYSTEM) // 4 + 1,
        ),
        request_id="req_test_00000001",
    )
    headers = server.headers_seen()[0]
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["anthropic-version"] == "2026-10-21"


def test_the_system_prompt_is_written_to_the_cache_once_then_read(
    adapter: AnthropicModel, server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = complete(adapter, request("Hello"), request("Hello", "Hi!", "And the APR?"))
    uncached = build(MODEL, {"base_url": server.base_url, "prompt_cache": False})
    (third,) = complete(uncached, request("Hello"))

    system_tokens = len(SYSTEM) // 4 + 1
    assert (first.usage.cache_write_tokens, first.usage.cache_read_tokens) == (system_tokens, 0)
    assert (second.usage.cache_write_tokens, second.usage.cache_read_tokens) == (0, system_tokens)
    assert (third.usage.cache_write_tokens, third.usage.cache_read_tokens) == (0, 0)
    assert third.usage.input_tokens == system_tokens + len("Hello") // 4 + 1


def test_the_same_request_gets_the_same_answer_across_event_loops(adapter: AnthropicModel) -> None:
    (first,) = complete(adapter, request("Hello"))
    (second,) = complete(adapter, request("Hello"))

    assert first.text == second.text
    assert first.request_id != second.request_id


@pytest.mark.parametrize(
    ("fault", "kind", "retryable", "status", "retry_after", "message"),
    [
        ("rate_limit", "rate_limited", True, 429, 3.0, "HTTP 429 rate_limit_error: Number of"),
        ("overloaded", "overloaded", True, 529, None, "HTTP 529 overloaded_error: Overloaded"),
        ("server_error", "server_error", True, 500, None, "HTTP 500 api_error: Internal server"),
        ("drop", "connection", True, None, None, "connection: Connection error."),
        ("malformed", "bad_response", True, None, None, "bad response: the answer is not JSON"),
        ("slow", "timeout", True, None, None, "timeout: no answer within 0.3 s"),
    ],
)
def test_each_fault_maps_to_a_provider_error(
    server: MessagesApiServer,
    monkeypatch: pytest.MonkeyPatch,
    fault: Any,
    kind: str,
    retryable: bool,
    status: int | None,
    retry_after: float | None,
    message: str,
) -> None:
    server.faults = FaultPlan(script={1: fault}, retry_after_s=3, slow_s=1.5)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    adapter = build(MODEL, {"base_url": server.base_url, "timeout_s": 0.3})

    error = failure(adapter, request("Hello"))

    assert (error.kind, error.retryable, error.fatal, error.status, error.retry_after) == (
        kind,
        retryable,
        False,
        status,
        retry_after,
    )
    assert message in str(error)
    assert error.request_id == (f"req_test_{1:08d}" if status else None)
    assert KEY not in str(error)


def test_a_wrong_key_is_fatal_and_never_shown(
    server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_CLAUDE_KEY", "sk-test-wrong-77")
    adapter = build(MODEL, {"base_url": server.base_url, "api_key_env": "TEAM_CLAUDE_KEY"})

    error = failure(adapter, request("Hello"))

    assert (error.kind, error.retryable, error.fatal, error.status) == ("auth", False, True, 401)
    assert str(error) == (
        "anthropic model 'claude-sonnet-4-6': authentication failed (HTTP 401 "
        "authentication_error: invalid x-api-key); check the key in the environment variable "
        "TEAM_CLAUDE_KEY (request req_test_00000001)"
    )
    assert server.headers_seen()[0]["authorization"] == "Bearer sk-test-wrong-77"


def test_an_unknown_model_is_a_clear_fatal_error(
    server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)

    error = failure(build("claude-sonet-4-6", {"base_url": server.base_url}), request("Hello"))

    assert (error.kind, error.retryable, error.fatal, error.status) == (
        "unknown_model",
        False,
        True,
        404,
    )
    assert str(error) == (
        "anthropic: unknown model 'claude-sonet-4-6' (HTTP 404 not_found_error: model: "
        "claude-sonet-4-6); check model.id in the scenario (request req_test_00000001)"
    )


def test_a_missing_key_is_named_and_an_adapter_without_one_never_sends(
    server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built without a key (a run answered from the cache alone needs none), the adapter
    says what is missing, and a call refuses to go out: fatal, so the run stops at once."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    keyless = build(MODEL, {"base_url": server.base_url})
    error = failure(keyless, request("Hello"))

    message = (
        "model provider 'anthropic': the environment variable ANTHROPIC_API_KEY is not set; "
        "put your Anthropic API key in it, or name another variable with "
        "model.options.api_key_env"
    )
    assert keyless.missing_credentials() == message
    assert (str(error), error.kind, error.fatal, error.retryable) == (message, "auth", True, False)
    assert keyless.secrets == ()
    assert server.stats().requests == 0


def test_an_adapter_with_its_key_misses_nothing(adapter: AnthropicModel) -> None:
    assert adapter.missing_credentials() is None
    assert adapter.secrets == (KEY,)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temperature": 1.0}, "unknown key 'temperature'"),
        ({"top_k": 5}, "unknown key 'top_k'"),
        ({"max_tokens": 0}, "field 'max_tokens': Input should be greater than or equal to 1"),
        ({"effort": "huge"}, "field 'effort': Input should be 'low', 'medium', 'high', 'xhigh'"),
    ],
)
def test_options_are_closed_and_bounded(
    options: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)

    with pytest.raises(ConfigError, match=message) as info:
        build(MODEL, options)

    assert str(info.value).startswith("scenarios/test.yaml: model.options: ")


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        ("http://option.test", "http://env.test", "http://option.test"),
        (None, "http://env.test", "http://env.test"),
        (None, None, None),  # the SDK's default
    ],
)
def test_base_url_precedence(
    option: str | None, env: str | None, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    if env is None:
        monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", env)

    assert build(MODEL, {"base_url": option} if option else {}).base_url == expected


def test_effort_and_stop_sequences_reach_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    adapter = build(MODEL, {"effort": "low", "stop_sequences": ["###"], "max_tokens": 300})

    assert adapter.params(request("Hi", "Hello!", "Go on")) == {
        "model": MODEL,
        "max_tokens": 300,
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Go on"},
        ],
        "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
        "stop_sequences": ["###"],
        "output_config": {"effort": "low"},
    }


def test_a_batch_is_submitted_polled_and_read(adapter: AnthropicModel) -> None:
    async def run() -> tuple[list[BatchStatus], dict[str, Completion | ProviderError]]:
        try:
            batch_id = await adapter.submit_batch(
                [("case-1", request("Hello")), ("case-2", request())]  # no messages: refused
            )
            statuses = [await adapter.batch_status(batch_id) for _ in range(2)]
            return statuses, await adapter.batch_results(batch_id)
        finally:
            await adapter.aclose()

    statuses, results = asyncio.run(run())

    assert statuses == [
        BatchStatus("msgbatch_test_00000001", "in_progress", 2, 0, 0, 0, 0),
        BatchStatus("msgbatch_test_00000001", "ended", 0, 1, 1, 0, 0),
    ]
    completion, error = results["case-1"], results["case-2"]
    assert isinstance(completion, Completion)
    assert completion.text.startswith("Hi Priya")
    assert completion.usage.cache_write_tokens == len(SYSTEM) // 4 + 1
    assert isinstance(error, ProviderError)
    assert (error.kind, error.retryable, error.status) == ("bad_request", False, 400)
    assert "messages: at least one message is required" in str(error)


def test_results_of_a_running_batch_are_not_ready(adapter: AnthropicModel) -> None:
    async def run() -> None:
        try:
            batch_id = await adapter.submit_batch([("case-1", request("Hello"))])
            await adapter.batch_results(batch_id)  # its first poll: still in progress
        finally:
            await adapter.aclose()

    with pytest.raises(ProviderError) as info:
        asyncio.run(run())

    assert (info.value.kind, info.value.retryable) == ("not_ready", True)
    assert str(info.value) == (
        "anthropic batch msgbatch_test_00000001 has not ended (in_progress); "
        "poll batch_status until it has"
    )


def test_an_expired_batch_is_reported_as_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with MessagesApiServer(api_key=KEY, batch_polls=1, expire_batches=True) as running:
        adapter = build(MODEL, {"base_url": running.base_url})

        async def run() -> tuple[BatchStatus, dict[str, Completion | ProviderError]]:
            try:
                batch_id = await adapter.submit_batch([("a", request("Hi")), ("b", request("Yo"))])
                return await adapter.batch_status(batch_id), await adapter.batch_results(batch_id)
            finally:
                await adapter.aclose()

        status, results = asyncio.run(run())

    assert (status.ended, status.expired, status.succeeded) == (True, 2, 0)
    assert sorted(results) == ["a", "b"]
    for custom_id, error in results.items():
        assert isinstance(error, ProviderError)
        assert (error.kind, error.retryable) == ("expired", True)
        assert str(error) == (
            f"anthropic batch {status.batch_id}: request {custom_id} was expired before it "
            "was processed; submit it again"
        )


def test_a_key_echoed_by_a_server_is_redacted() -> None:
    error = status_error(
        "anthropic",
        MODEL,
        401,
        error_type="authentication_error",
        detail=f"invalid key {KEY}",
        request_id=None,
        retry_after=None,
        secret=KEY,
    )

    assert KEY not in str(error)
    assert "invalid key [redacted]" in str(error)


def test_an_answer_with_a_block_type_the_sdk_does_not_know_still_gives_its_text(
    server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The body fails the fast validation of the SDK's Message, so the SDK's own parse reads it.
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    plain, novel = (build(MODEL, {"base_url": server.base_url}) for _ in range(2))
    (expected,) = complete(plain, request("Hello"))
    server.faults = FaultPlan(script={2: "novel_block"})

    (completion,) = complete(novel, request("Hello"))

    assert completion.text == expected.text
    assert completion.request_id == "req_test_00000002"
    assert completion.usage.output_tokens == expected.usage.output_tokens


@pytest.mark.parametrize(
    ("env", "enabled"),
    [({}, False), ({"ANTHROPIC_OPEN_TELEMETRY": "true"}, True)],
    ids=["no-tracer-provider", "asked-for-by-env"],
)
def test_the_sdk_builds_spans_only_when_something_could_record_them(
    adapter: AnthropicModel, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], enabled: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    async def traces_enabled() -> bool:
        try:
            return bool(adapter._client_now().open_telemetry["traces"]["enabled"])
        finally:
            await adapter.aclose()

    assert asyncio.run(traces_enabled()) is enabled
