"""The local provider server over real HTTP: shapes, validation, auth, caching, faults,
batches, counters and the benchmark command."""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from harness.models.base import Message
from harness.testing import FaultPlan, MessagesApiServer, ServerStats
from harness.testing.api_formats import ApiPrompt, offline_responder, prompt_seed

KEY = "sk-test-server-0123456789"
MODEL = "claude-sonnet-4-6"
SYSTEM = """## This conversation
Customer's first name: Priya
## Required disclosures
### Broker status [broker_status v1]
When: in your first reply.
Wording: We are a credit broker, not a lender.
"""


def body(text: str = "Hi, can you help with finance?", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 256,
        "system": SYSTEM,
        "messages": [{"role": "user", "content": text}],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(
    url: str, payload: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"content-type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    return _send(request)


def get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return _send(urllib.request.Request(url, headers=headers))


def _send(request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


AUTH = {"x-api-key": KEY}


@pytest.fixture
def server() -> Iterator[MessagesApiServer]:
    with MessagesApiServer(api_key=KEY) as running:
        yield running


def test_message_has_the_real_shape(server: MessagesApiServer) -> None:
    status, headers, raw = post(f"{server.base_url}/v1/messages", body(), AUTH)

    expected_text = offline_responder(
        ApiPrompt(
            MODEL,
            SYSTEM,
            (Message("user", "Hi, can you help with finance?"),),
            prompt_seed(MODEL, SYSTEM, (Message("user", "Hi, can you help with finance?"),)),
        )
    )
    assert status == 200
    assert headers["request-id"] == "req_test_00000001"
    assert json.loads(raw) == {
        "id": "msg_test_00000001",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": expected_text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": len(SYSTEM) // 4 + 1 + len("Hi, can you help with finance?") // 4 + 1,
            "output_tokens": len(expected_text) // 4 + 1,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    assert "credit broker, not a lender" in expected_text  # the offline agent disclosed


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "missing API key"),
        ({"x-api-key": "sk-test-wrong"}, 401, "invalid x-api-key"),
        ({"Authorization": "Bearer sk-test-wrong"}, 401, "invalid x-api-key"),
        ({"x-api-key": KEY}, 200, None),
        ({"Authorization": f"Bearer {KEY}"}, 200, None),
    ],
)
def test_auth_takes_either_header(
    server: MessagesApiServer, headers: dict[str, str], status: int, message: str | None
) -> None:
    got, _, raw = post(f"{server.base_url}/v1/messages", body(), headers)

    assert got == status
    if message is not None:
        assert json.loads(raw) == {
            "type": "error",
            "error": {"type": "authentication_error", "message": message},
            "request_id": "req_test_00000001",
        }
        assert b"wrong" not in raw  # the key sent is never echoed


@pytest.mark.parametrize(
    ("payload", "status", "error_type", "message"),
    [
        (body(model=None), 400, "invalid_request_error", "model: Field required"),
        (body(max_tokens=None), 400, "invalid_request_error", "max_tokens: Field required"),
        (
            {"model": MODEL, "max_tokens": 5},
            400,
            "invalid_request_error",
            "messages: Field required",
        ),
        (
            body(temperature=1.0),
            400,
            "invalid_request_error",
            "temperature: Extra inputs are not permitted",
        ),
        (body(top_p=0.9), 400, "invalid_request_error", "top_p: Extra inputs are not permitted"),
        (body(top_k=5), 400, "invalid_request_error", "top_k: Extra inputs are not permitted"),
        (body(foo=1), 400, "invalid_request_error", "foo: Extra inputs are not permitted"),
        (
            body(messages=[]),
            400,
            "invalid_request_error",
            "messages: at least one message is required",
        ),
        (
            body(messages=[{"role": "robot", "content": "x"}]),
            400,
            "invalid_request_error",
            "messages.0.role: Input should be one of user, assistant",
        ),
        (
            body(output_config={"effort": "huge"}),
            400,
            "invalid_request_error",
            "output_config.effort: Input should be one of low, medium, high, xhigh, max",
        ),
        (body(model="claude-nope"), 404, "not_found_error", "model: claude-nope"),
        (b"{not json", 400, "invalid_request_error", "Request body is not valid JSON"),
    ],
)
def test_bad_requests_are_refused_like_the_real_api(
    server: MessagesApiServer, payload: Any, status: int, error_type: str, message: str
) -> None:
    got, _, raw = post(f"{server.base_url}/v1/messages", payload, AUTH)

    assert (got, json.loads(raw)["error"]) == (status, {"type": error_type, "message": message})


def test_same_request_same_answer(server: MessagesApiServer) -> None:
    texts = [
        json.loads(post(f"{server.base_url}/v1/messages", body(text), AUTH)[2])["content"][0][
            "text"
        ]
        for text in ("Hello", "Hello", "Hello there")
    ]

    assert texts[0] == texts[1]
    assert texts[0].startswith("Hi Priya")


def test_a_cached_system_prompt_is_written_once_then_read(server: MessagesApiServer) -> None:
    cached = [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
    system_tokens = len(SYSTEM) // 4 + 1

    usages = [
        json.loads(post(f"{server.base_url}/v1/messages", body(t, system=s), AUTH)[2])["usage"]
        for t, s in (("a", cached), ("b", cached), ("c", SYSTEM))
    ]

    assert [(u["cache_creation_input_tokens"], u["cache_read_input_tokens"]) for u in usages] == [
        (system_tokens, 0),
        (0, system_tokens),
        (0, 0),  # no cache_control: nothing cached
    ]
    assert usages[0]["input_tokens"] == 1  # "a": the uncached rest only


def test_scripted_faults_fail_the_requests_named(server: MessagesApiServer) -> None:
    server.faults = FaultPlan(
        script={2: "overloaded", 3: "rate_limit", 4: "server_error"}, retry_after_s=2
    )
    answers = [post(f"{server.base_url}/v1/messages", body(), AUTH) for _ in range(5)]

    assert [status for status, _, _ in answers] == [200, 529, 429, 500, 200]
    assert [json.loads(raw)["error"]["type"] for _, _, raw in answers[1:4]] == [
        "overloaded_error",
        "rate_limit_error",
        "api_error",
    ]
    assert answers[2][1]["retry-after"] == "2"


def test_faults_limited_to_first_attempts_let_a_retrying_client_succeed(
    server: MessagesApiServer,
) -> None:
    server.faults = FaultPlan(rates={"server_error": 1.0}, first_attempts=2)

    statuses = [post(f"{server.base_url}/v1/messages", body(t), AUTH)[0] for t in "aaab"]

    assert statuses == [500, 500, 200, 500]


def test_random_faults_follow_the_seed_not_the_arrival_order() -> None:
    def statuses(seed: int, order: list[int]) -> dict[int, int]:
        plan = FaultPlan.uniform(0.5, seed=seed)
        with MessagesApiServer(faults=plan) as running:
            return {i: post(f"{running.base_url}/v1/messages", body(f"m{i}"), {})[0] for i in order}

    forward = statuses(3, list(range(12)))

    assert statuses(3, list(reversed(range(12)))) == forward
    assert statuses(4, list(range(12))) != forward
    assert {200, 429, 500, 529} >= set(forward.values()) > {200}


def test_a_dropped_connection_gets_no_response(server: MessagesApiServer) -> None:
    server.faults = FaultPlan(script={1: "drop"})

    with pytest.raises(http.client.RemoteDisconnected):
        post(f"{server.base_url}/v1/messages", body(), AUTH)
    assert server.stats().by_status == {0: 1}


def test_a_malformed_answer_is_200_with_a_body_that_is_not_json(server: MessagesApiServer) -> None:
    server.faults = FaultPlan(script={1: "malformed"})

    status, headers, raw = post(f"{server.base_url}/v1/messages", body(), AUTH)

    assert (status, headers["Content-Type"]) == (200, "application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


def test_a_slow_answer_arrives_after_the_delay(server: MessagesApiServer) -> None:
    server.faults = FaultPlan(script={1: "slow"}, slow_s=0.3)

    started = time.perf_counter()
    status, _, _ = post(f"{server.base_url}/v1/messages", body(), AUTH)

    assert status == 200
    assert time.perf_counter() - started >= 0.3


def test_latency_is_waited_concurrently() -> None:
    async def burst(url: str) -> list[int]:
        async with aiohttp.ClientSession() as session:

            async def one(i: int) -> int:
                async with session.post(f"{url}/v1/messages", json=body(f"m{i}")) as response:
                    return response.status

            return await asyncio.gather(*(one(i) for i in range(60)))

    with MessagesApiServer(latency_s=0.5) as running:
        started = time.perf_counter()
        statuses = asyncio.run(burst(running.base_url))
        elapsed = time.perf_counter() - started

    assert statuses == [200] * 60
    assert 0.5 <= elapsed < 5  # 60 answers of 0.5 s each, waited at once


def test_counters_headers_and_reset(server: MessagesApiServer) -> None:
    post(f"{server.base_url}/v1/messages", body("a"), AUTH)
    post(f"{server.base_url}/v1/messages", body("a"), AUTH)
    post(f"{server.base_url}/v1/messages", body("b"), {})
    post(
        f"{server.openai_base_url}/chat/completions",
        {"model": MODEL},
        {"Authorization": f"Bearer {KEY}"},
    )

    assert server.stats() == ServerStats(
        requests=4,
        by_endpoint={"messages": 3, "chat.completions": 1},
        by_status={200: 2, 401: 1, 400: 1},
        distinct_bodies=2,  # a rejected key ends the request before its body is read
    )
    assert [h.get("x-api-key") or h.get("authorization") for h in server.headers_seen()] == [
        KEY,
        KEY,
        None,
        f"Bearer {KEY}",
    ]
    server.reset()
    assert server.stats() == ServerStats(0, {}, {}, 0)
    assert server.headers_seen() == []


def test_only_the_latest_requests_headers_are_kept(
    server: MessagesApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.testing import api_server

    monkeypatch.setattr(api_server, "HEADERS_KEPT", 3)
    server.reset()
    for n in range(5):
        post(f"{server.base_url}/v1/messages", body(f"m{n}"), {**AUTH, "x-n": str(n)})

    assert [h["x-n"] for h in server.headers_seen()] == ["2", "3", "4"]
    assert server.stats().requests == 5  # the counters still count every request


def test_a_novel_block_answer_holds_an_unknown_block_before_the_text(
    server: MessagesApiServer,
) -> None:
    server.faults = FaultPlan(script={1: "novel_block"})

    first = json.loads(post(f"{server.base_url}/v1/messages", body(), AUTH)[2])
    second = json.loads(post(f"{server.base_url}/v1/messages", body(), AUTH)[2])

    assert [b["type"] for b in first["content"]] == ["novel_block", "text"]
    assert first["content"][1] == second["content"][0]  # the same answer otherwise


def test_chat_completions_have_the_openai_shape_and_need_no_key_when_none_is_set() -> None:
    chat = {
        "model": MODEL,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hello"}],
        "temperature": 0.2,
        "seed": 11,
    }
    with MessagesApiServer() as running:
        url = f"{running.openai_base_url}/chat/completions"
        first = post(url, chat)
        second = post(url, chat)
        unknown = post(url, {**chat, "model": "gpt-nope"})

    text = offline_responder(ApiPrompt(MODEL, SYSTEM, (Message("user", "Hello"),), 11))
    prompt_tokens = len(SYSTEM) // 4 + 1 + len("Hello") // 4 + 1
    assert first[0] == 200
    assert first[1]["x-request-id"] == "req_test_00000001"
    answer = json.loads(first[2])
    assert answer["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    ]
    assert answer["usage"] == {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(text) // 4 + 1,
        "total_tokens": prompt_tokens + len(text) // 4 + 1,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    assert json.loads(second[2])["usage"]["prompt_tokens_details"] == {
        "cached_tokens": len(SYSTEM) // 4 + 1
    }
    assert (unknown[0], json.loads(unknown[2])) == (
        404,
        {
            "error": {
                "message": "The model `gpt-nope` does not exist",
                "type": "model_not_found",
                "param": None,
                "code": "model_not_found",
            }
        },
    )


def test_a_batch_runs_polls_and_returns_jsonl_results() -> None:
    requests = [
        {"custom_id": "case-1", "params": body("Hello")},
        {"custom_id": "case-2", "params": body("Hello", model="claude-nope")},
    ]
    with MessagesApiServer(api_key=KEY, batch_polls=2) as running:
        url = f"{running.base_url}/v1/messages/batches"
        status, _, raw = post(url, {"requests": requests}, AUTH)
        batch = json.loads(raw)
        early = get(f"{url}/{batch['id']}/results", AUTH)
        polls = [json.loads(get(f"{url}/{batch['id']}", AUTH)[2]) for _ in range(2)]
        results = get(f"{url}/{batch['id']}/results", AUTH)
        missing = get(f"{url}/msgbatch_nope", AUTH)
        duplicate = post(url, {"requests": [requests[0], requests[0]]}, AUTH)

    assert status == 200
    assert (batch["type"], batch["processing_status"], batch["results_url"]) == (
        "message_batch",
        "in_progress",
        None,
    )
    assert early[0] == 400
    assert [p["processing_status"] for p in polls] == ["in_progress", "ended"]
    assert polls[1]["request_counts"] == {
        "processing": 0,
        "succeeded": 1,
        "errored": 1,
        "canceled": 0,
        "expired": 0,
    }
    assert polls[1]["results_url"] == f"{url}/{batch['id']}/results"
    lines = [json.loads(line) for line in results[2].decode().splitlines()]
    assert [(line["custom_id"], line["result"]["type"]) for line in lines] == [
        ("case-1", "succeeded"),
        ("case-2", "errored"),
    ]
    assert lines[0]["result"]["message"]["content"][0]["text"].startswith("Hi Priya")
    assert lines[1]["result"]["error"]["error"] == {
        "type": "not_found_error",
        "message": "model: claude-nope",
    }
    assert missing[0] == 404
    assert json.loads(duplicate[2])["error"]["message"] == (
        "requests.1.custom_id: duplicate custom_id 'case-1'"
    )


def test_an_expiring_batch_ends_with_every_request_expired() -> None:
    with MessagesApiServer(batch_polls=1, expire_batches=True) as running:
        url = f"{running.base_url}/v1/messages/batches"
        batch = json.loads(post(url, {"requests": [{"custom_id": "a", "params": body()}]})[2])
        ended = json.loads(get(f"{url}/{batch['id']}", {})[2])
        lines = get(f"{url}/{batch['id']}/results", {})[2].decode().splitlines()

    assert ended["processing_status"] == "ended"
    assert ended["request_counts"]["expired"] == 1
    assert [json.loads(line) for line in lines] == [
        {"custom_id": "a", "result": {"type": "expired"}}
    ]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (lambda: FaultPlan(rates={"boom": 0.1}), "unknown fault kind 'boom'"),  # type: ignore[dict-item]
        (lambda: FaultPlan(rates={"drop": 0.7, "slow": 0.5}), "fault rates add up to more than 1"),
        (lambda: FaultPlan(script={0: "drop"}), "scripted request numbers start at 1"),
    ],
)
def test_a_bad_fault_plan_is_refused(plan: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan()


def test_the_benchmark_command_serves_until_sigterm() -> None:
    command = [
        sys.executable,
        "-m",
        "harness.testing.serve",
        "--port",
        "0",
        "--latency",
        "0.01",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            assert post(f"{base_url}/v1/messages", body(), {})[0] == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_an_empty_answer_is_200_with_no_content(server: MessagesApiServer) -> None:
    server.faults = FaultPlan(script={1: "empty"})

    status, _, raw = post(f"{server.base_url}/v1/messages", body(), AUTH)

    answer = json.loads(raw)
    assert (status, answer["type"], answer["content"]) == (200, "message", [])


def test_a_faulted_status_can_carry_the_body_a_test_names(server: MessagesApiServer) -> None:
    hostile = "boom\n::error title=pwned::owned\n::add-mask::x"
    server.faults = FaultPlan(script={1: "server_error"}, error_detail=hostile)

    status, _, raw = post(f"{server.base_url}/v1/messages", body(), AUTH)

    assert (status, json.loads(raw)["error"]["message"]) == (500, hostile)
