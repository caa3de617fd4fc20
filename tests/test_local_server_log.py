"""The request log of the local provider server: every request as received (method, path, query, headers,
raw body bytes, decoded JSON), so tests can assert exactly what an adapter sent; clear and reset."""

from __future__ import annotations

import json

import httpx
import pytest

from modelwire.testing import LocalProviderServer, RecordedRequest, Route, faults

AUTH = {"authorization": "Bearer sk-local"}


def test_the_exact_json_and_bytes_are_recorded(local_server: LocalProviderServer) -> None:
    raw = b'{"model": "gpt-4.1-mini",  "messages": [{"role": "user", "content": "caf\\u00e9"}], '
    raw += b'"temperature": 0.5}'
    httpx.post(
        local_server.openai_base_url + "/chat/completions?trace=1&x=",
        content=raw,
        headers={**AUTH, "Content-Type": "application/json", "X-Custom": "v1"},
    )
    (request,) = local_server.requests
    assert request.body == raw
    assert request.json == {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "café"}],
        "temperature": 0.5,
    }
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.query_string == "trace=1&x="
    assert request.query == {"trace": "1", "x": ""}
    assert request.headers["x-custom"] == "v1"
    assert request.header("X-CUSTOM") == "v1"
    assert ("X-Custom", "v1") in request.raw_headers
    assert request.headers["authorization"] == "Bearer sk-local"
    assert (request.route, request.provider, request.model) == ("chat_completions", "openai", "gpt-4.1-mini")


def test_non_json_bodies_are_kept_as_bytes(local_server: LocalProviderServer) -> None:
    response = httpx.post(
        local_server.openai_base_url + "/embeddings", content=b"\xff\x00 not json", headers=AUTH
    )
    assert response.status_code == 400
    assert local_server.last_request.body == b"\xff\x00 not json"
    assert local_server.last_request.json is None


def test_requests_are_numbered_in_arrival_order_and_unknown_paths_are_kept(
    local_server: LocalProviderServer,
) -> None:
    httpx.post(local_server.url + "/v1/unknown", json={}, headers=AUTH)
    httpx.post(local_server.openai_base_url + "/embeddings", json={"model": "e", "input": "x"}, headers=AUTH)
    httpx.get(local_server.url + "/_mw/health")
    first, second = local_server.requests
    assert first.seq < second.seq
    assert (first.route, first.provider, first.model) == (None, None, None)
    assert (second.route, second.model) == ("embeddings", "e")


def test_requests_for_filters_by_route_and_model(local_server: LocalProviderServer) -> None:
    for model in ("a", "b", "a"):
        httpx.post(
            local_server.openai_base_url + "/embeddings", json={"model": model, "input": "x"}, headers=AUTH
        )
    httpx.post(
        local_server.openai_base_url + "/images/generations", json={"model": "a", "prompt": "p"}, headers=AUTH
    )
    assert len(local_server.requests_for(Route.EMBEDDINGS)) == 3
    assert len(local_server.requests_for(Route.EMBEDDINGS, model="a")) == 2
    assert len(local_server.requests_for(model="a")) == 3


def test_clear_keeps_faults_and_reset_drops_them(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.error(500), faults.error(502))
    local_server.configure(require_auth=False)
    httpx.post(local_server.openai_base_url + "/chat/completions", json={})
    local_server.clear()
    assert local_server.requests == []
    assert local_server.counters().requests == 0
    assert local_server.pending() == 1
    assert local_server.config.require_auth is False
    local_server.reset()
    assert local_server.pending() == 0
    assert local_server.config.require_auth is True


def test_last_request_on_an_empty_log_raises(local_server: LocalProviderServer) -> None:
    with pytest.raises(LookupError, match="no request"):
        _ = local_server.last_request


def test_logging_can_be_turned_off_while_counters_keep_counting(local_server: LocalProviderServer) -> None:
    local_server.configure(record_requests=False)
    httpx.post(local_server.openai_base_url + "/embeddings", json={"model": "e", "input": "x"}, headers=AUTH)
    assert local_server.requests == []
    assert local_server.counters().requests == 1


def test_recorded_requests_round_trip_through_json(local_server: LocalProviderServer) -> None:
    httpx.post(
        local_server.openai_base_url + "/embeddings?a=b", json={"model": "e", "input": "x"}, headers=AUTH
    )
    request = local_server.last_request
    assert RecordedRequest.from_json(json.loads(json.dumps(request.to_json()))) == request


def test_unknown_settings_are_rejected(local_server: LocalProviderServer) -> None:
    with pytest.raises(TypeError, match="unknown server settings: colour"):
        local_server.configure(colour="blue")
