"""Scripted faults of the local provider server, seen by plain httpx over real sockets: statuses with
headers and bodies in each provider's shape, delays, drops, resets, hangs; queue order and fallback."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time
from typing import Any

import httpx
import pytest

from corpus_files import load
from modelwire.testing import Fault, FaultAction, LocalProviderServer, Route, faults

OPENAI = {"authorization": "Bearer sk-local"}
ANTHROPIC = {"x-api-key": "sk-ant", "anthropic-version": "2023-06-01"}
CHAT = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "one two three"}]}
STREAM = {**CHAT, "stream": True}
MESSAGES = {"model": "claude-echo-1", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def _chat(server: LocalProviderServer, body: dict[str, Any] = CHAT, **kw: Any) -> httpx.Response:
    return httpx.post(server.openai_base_url + "/chat/completions", json=body, headers=OPENAI, **kw)


def _messages(server: LocalProviderServer) -> httpx.Response:
    return httpx.post(server.anthropic_base_url + "/v1/messages", json=MESSAGES, headers=ANTHROPIC)


def test_faults_are_consumed_in_order_then_the_default_answer_returns(
    local_server: LocalProviderServer,
) -> None:
    local_server.enqueue(Route.CHAT, faults.error(500), faults.error(503), faults.rate_limited(retry_after=3))
    assert local_server.pending() == 3
    statuses = [_chat(local_server).status_code for _ in range(4)]
    assert statuses == [500, 503, 429, 200]
    assert local_server.pending() == 0
    counters = local_server.counters()
    assert counters.faults == 3
    assert counters.statuses == {500: 1, 503: 1, 429: 1, 200: 1}


def test_faults_queue_per_route(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.MESSAGES, faults.error(529))
    assert _chat(local_server).status_code == 200
    assert local_server.pending(Route.MESSAGES) == 1
    assert _messages(local_server).status_code == 529


def test_model_filtered_faults_only_hit_that_model(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.preset("context_window"), model="small-model")
    assert _chat(local_server).status_code == 200
    small = _chat(local_server, {**CHAT, "model": "small-model"})
    assert small.status_code == 400
    assert small.json()["error"]["code"] == "context_length_exceeded"


def test_status_with_headers_and_a_recorded_body_is_sent_as_given(local_server: LocalProviderServer) -> None:
    body = '{"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}'
    local_server.enqueue(
        Route.CHAT,
        faults.error(
            429,
            body,
            headers={"content-type": "application/json", "x-should-retry": "true"},
            retry_after=1.5,
            retry_after_ms=1500,
        ),
    )
    response = _chat(local_server)
    assert response.status_code == 429
    assert response.text == body
    assert response.headers["retry-after"] == "1.5"
    assert response.headers["retry-after-ms"] == "1500"
    assert response.headers["x-should-retry"] == "true"


def test_http_date_retry_after_passes_through(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.error(503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
    assert _chat(local_server).headers["retry-after"] == "Wed, 21 Oct 2015 07:28:00 GMT"


@pytest.mark.parametrize(
    ("route", "status", "expected"),
    [
        (Route.CHAT, 429, {"type": "requests", "code": "rate_limit_exceeded"}),
        (Route.CHAT, 401, {"type": "invalid_request_error", "code": "invalid_api_key"}),
        (Route.CHAT, 500, {"type": "server_error", "code": None}),
        (Route.MESSAGES, 429, {"type": "rate_limit_error"}),
        (Route.MESSAGES, 529, {"type": "overloaded_error"}),
        (Route.MESSAGES, 413, {"type": "request_too_large"}),
    ],
)
def test_a_bare_status_gets_the_providers_error_shape(
    local_server: LocalProviderServer, route: Route, status: int, expected: dict[str, Any]
) -> None:
    local_server.enqueue(route, faults.error(status))
    response = _chat(local_server) if route is Route.CHAT else _messages(local_server)
    assert response.status_code == status
    error = response.json()["error"]
    assert {k: error[k] for k in expected} == expected
    if route is Route.MESSAGES:
        assert response.json()["type"] == "error"
        assert response.json()["request_id"] == response.headers["request-id"]


def test_presets_follow_the_provider_of_the_route(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.preset("overloaded"), faults.preset("quota"))
    local_server.enqueue(Route.MESSAGES, faults.preset("overloaded"), faults.preset("context_window"))
    openai_overloaded, quota = _chat(local_server), _chat(local_server)
    anthropic_overloaded, too_long = _messages(local_server), _messages(local_server)
    assert openai_overloaded.status_code == 503
    assert (quota.status_code, quota.json()["error"]["code"]) == (429, "insufficient_quota")
    assert (anthropic_overloaded.status_code, anthropic_overloaded.json()["error"]["type"]) == (
        529,
        "overloaded_error",
    )
    assert too_long.json()["error"]["message"].startswith("prompt is too long")


def test_azure_preset_shapes(local_server: LocalProviderServer) -> None:
    url = local_server.azure_endpoint + "/openai/deployments/d/chat/completions?api-version=2024-10-21"
    local_server.enqueue(Route.CHAT, faults.preset("rate_limit"), faults.preset("not_found"))
    limited = httpx.post(url, json=CHAT, headers={"api-key": "k"})
    missing = httpx.post(url, json=CHAT, headers={"api-key": "k"})
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, "429")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "DeploymentNotFound")


@pytest.mark.parametrize(
    "path",
    [
        "openai/errors/400__pydantic-ai__test_openai_o1_mini_system_role_system___i0.json",
        "openai/errors/401__ldp__test_fallbacks_working_False___i0.json",
        "anthropic/errors/404__pydantic-ai__test_model_name_suggestion_anthropic___i0.json",
        "azure_openai/errors/401__openllmetry__test_azure_openai_embeddings__i2.json",
    ],
)
def test_recorded_corpus_errors_replay_with_status_headers_and_body(
    local_server: LocalProviderServer, path: str
) -> None:
    recording = load(path)
    local_server.replay(recording, route=Route.CHAT)
    response = _chat(local_server)
    assert response.status_code == recording.status
    assert response.content == recording.body
    for name, value in recording.headers.items():
        assert response.headers[name] == value


def test_delay_before_headers_trips_a_read_timeout_then_answers(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.delay(1.0), faults.delay(0.2))
    with pytest.raises(httpx.ReadTimeout):
        _chat(local_server, timeout=httpx.Timeout(5.0, read=0.1))
    late = _chat(local_server, timeout=5.0)
    assert late.status_code == 200
    assert late.json()["choices"][0]["message"]["content"] == "echo: one two three"


def test_stream_events_arrive_one_by_one_with_a_delay(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.slow_stream(0.3))
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST", local_server.openai_base_url + "/chat/completions", json=STREAM, headers=OPENAI
        ) as response,
    ):
        pieces = response.iter_raw()
        first = next(pieces)
        rest = b"".join(pieces)
    assert first.startswith(b"data: ")
    assert first.endswith(b"\n\n")
    assert first.count(b"data: ") == 1  # the first event came alone: the rest was still held back
    assert rest.endswith(b"data: [DONE]\n\n")


def _stream_raw(
    server: LocalProviderServer, body: dict[str, Any]
) -> tuple[int, list[bytes], Exception | None]:
    """Status, the raw body pieces as they arrived, and the error that ended the body (if any)."""
    pieces: list[bytes] = []
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST", server.openai_base_url + "/chat/completions", json=body, headers=OPENAI
        ) as response,
    ):
        try:
            pieces.extend(response.iter_raw())
        except httpx.HTTPError as exc:
            return response.status_code, pieces, exc
    return response.status_code, pieces, None


def test_drop_after_headers(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.drop_after_headers(), faults.drop_after_headers(status=503))
    status, pieces, error = _stream_raw(local_server, CHAT)
    assert (status, pieces) == (200, [])
    assert isinstance(error, httpx.RemoteProtocolError)
    status, pieces, error = _stream_raw(local_server, CHAT)
    assert (status, pieces) == (503, [])
    assert isinstance(error, httpx.RemoteProtocolError)


@pytest.mark.parametrize(("body", "cut"), [(CHAT, 40), (STREAM, 40), (STREAM, 100_000)])
def test_drop_mid_body_after_exactly_n_bytes(
    local_server: LocalProviderServer, body: dict[str, Any], cut: int
) -> None:
    whole = _chat(local_server, body).content
    local_server.enqueue(Route.CHAT, faults.drop_mid_body(cut))
    _, pieces, error = _stream_raw(local_server, body)
    assert b"".join(pieces) == whole[:cut]
    assert isinstance(error, httpx.RemoteProtocolError)


def test_drop_mid_stream_with_event_delay_delivers_events_before_the_cut(
    local_server: LocalProviderServer,
) -> None:
    whole = _chat(local_server, STREAM).content
    first_two = len(b"".join(whole.split(b"\n\n")[:2])) + 4
    local_server.enqueue(Route.CHAT, faults.drop_mid_body(first_two + 5, event_delay=0.01))
    _, pieces, error = _stream_raw(local_server, STREAM)
    assert b"".join(pieces) == whole[: first_two + 5]
    assert len(pieces) >= 2
    assert isinstance(error, httpx.RemoteProtocolError)


def test_connection_reset(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.reset_connection())
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)) as caught:
        _chat(local_server)
    assert "reset" in str(caught.value).lower() or isinstance(caught.value, httpx.ReadError)
    assert local_server.counters().statuses == {0: 1}


def test_hang_never_answers_until_the_client_gives_up(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.hang())
    with pytest.raises(httpx.ReadTimeout):
        _chat(local_server, timeout=httpx.Timeout(5.0, read=0.3))
    assert _chat(local_server).status_code == 200


def test_reset_releases_hanging_connections(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.hang())
    raw = json.dumps(CHAT).encode()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
        b"content-length: %d\r\n\r\n" % len(raw)
    ) + raw
    with socket.create_connection(("127.0.0.1", local_server.port), timeout=10) as sock:
        sock.sendall(request)
        deadline = time.monotonic() + 10
        while not local_server.requests:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        local_server.reset()
        assert sock.recv(100) == b""


def test_hang_in_async_code_is_cancelled_by_the_client_timeout(local_server: LocalProviderServer) -> None:
    async def main() -> int:
        local_server.enqueue(Route.MESSAGES, faults.hang())
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.2)) as client:
            url = local_server.anthropic_base_url + "/v1/messages"
            with pytest.raises(httpx.ReadTimeout):
                await client.post(url, json=MESSAGES, headers=ANTHROPIC)
            return (await client.post(url, json=MESSAGES, headers=ANTHROPIC)).status_code

    assert asyncio.run(main()) == 200


def test_extra_headers_on_the_default_answer(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, Fault(headers=(("x-ratelimit-remaining-requests", "7"),)))
    response = _chat(local_server)
    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining-requests"] == "7"
    assert response.json()["choices"][0]["message"]["content"] == "echo: one two three"


def test_combined_fault_delay_then_error(local_server: LocalProviderServer) -> None:
    fault = dataclasses.replace(faults.preset("server"), delay=0.5)
    local_server.enqueue(Route.CHAT, fault)
    with pytest.raises(httpx.ReadTimeout):
        _chat(local_server, timeout=httpx.Timeout(5.0, read=0.1))
    assert local_server.pending() == 0


def test_faults_round_trip_through_json() -> None:
    fault = Fault(
        status=200,
        headers=(("a", "b"),),
        events=(b"data: 1\n\n", b"\xff"),
        event_delay=0.5,
        action=FaultAction.DROP_MID_BODY,
        drop_after_bytes=3,
        delay=0.1,
    )
    assert Fault.from_json(json.loads(json.dumps(fault.to_json()))) == fault


@pytest.mark.parametrize(
    "kwargs",
    [
        {"preset": "nonsense"},
        {"status": 42},
        {"delay": -1.0},
        {"drop_after_bytes": -2},
        {"event_delay": -0.5},
    ],
)
def test_invalid_faults_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        Fault(**kwargs)


def test_unknown_routes_and_empty_enqueues_are_rejected(local_server: LocalProviderServer) -> None:
    with pytest.raises(ValueError, match="completions_legacy"):  # ("responses" is a route now)
        local_server.enqueue("completions_legacy", faults.error(500))
    with pytest.raises(ValueError, match="at least one"):
        local_server.enqueue(Route.CHAT)
