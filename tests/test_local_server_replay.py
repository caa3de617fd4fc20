"""Replaying recorded corpus exchanges through the local provider server: bytes, status and headers as
recorded; streams cut at event boundaries and delivered event by event; payload-only files re-framed."""

from __future__ import annotations

import json
import re
import struct

import httpx
import pytest

from corpus_files import Recording, load, recordings
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.testing.faults import split_events

AUTH = {"authorization": "Bearer k", "x-api-key": "k", "anthropic-version": "2023-06-01"}
RAW_STREAMS = [r for r in recordings() if r.stream and r.fidelity.startswith("raw") and r.status == 200]
SSE_STREAMS = [r for r in RAW_STREAMS if r.body.lstrip().startswith((b"data:", b"event:", b":"))]
SERVED = [
    r
    for r in SSE_STREAMS
    if r.kind in ("chat_completions_stream", "messages_stream") or r.kind.endswith("_stream")
]
PAYLOADS = [r for r in recordings() if r.fidelity.startswith("sse_data_payloads")]


def _ids(items: list[Recording]) -> list[str]:
    return [r.id for r in items]


def _post_raw(server: LocalProviderServer, path: str) -> tuple[httpx.Response, list[bytes]]:
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", server.url + path, json={"model": "m"}, headers=AUTH) as response,
    ):
        return response, list(response.iter_raw())


def _independent_event_count(body: bytes) -> int:
    normalized = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return len([block for block in normalized.split(b"\n\n") if block])


@pytest.mark.parametrize("recording", SSE_STREAMS, ids=_ids(SSE_STREAMS))
def test_sse_bodies_split_into_whole_events(recording: Recording) -> None:
    body = recording.body
    pieces = split_events(body, "text/event-stream")
    assert b"".join(pieces) == body
    assert len([p for p in pieces if p.strip()]) == _independent_event_count(body)
    for piece in pieces[:-1]:
        assert re.search(rb"(\r\n|\r|\n)(\r\n|\r|\n)$", piece)


@pytest.mark.parametrize("recording", SERVED, ids=_ids(SERVED))
def test_recorded_streams_are_served_byte_for_byte(
    local_server: LocalProviderServer, recording: Recording
) -> None:
    fault = local_server.replay(recording, route=Route.MESSAGES)
    response, pieces = _post_raw(local_server, "/v1/messages")
    assert response.status_code == 200
    assert b"".join(pieces) == recording.body
    assert response.headers["transfer-encoding"] == "chunked"
    assert fault.events is not None
    assert "content-length" not in response.headers
    for name, value in recording.headers.items():
        if name not in (
            "content-length",
            "transfer-encoding",
            "content-encoding",
            "content-encoding-original",
        ):
            assert response.headers[name] == value


def test_streams_are_delivered_event_by_event(local_server: LocalProviderServer) -> None:
    anthropic = [r for r in SERVED if r.provider == "anthropic"]
    recording = min(anthropic, key=lambda r: _independent_event_count(r.body))
    local_server.replay(recording, event_delay=0.05)
    response, pieces = _post_raw(local_server, "/v1/messages")
    events = split_events(recording.body, "text/event-stream")
    assert response.status_code == 200
    assert pieces[0] == events[0]  # the first event arrived before the second one was sent
    assert b"".join(pieces) == recording.body


@pytest.mark.parametrize("recording", PAYLOADS, ids=_ids(PAYLOADS))
def test_payload_only_recordings_are_reframed_as_sse(recording: Recording) -> None:
    fault = faults.replay(recording)
    assert fault.events is not None
    served = b"".join(fault.events).decode()
    blocks = [b for b in served.split("\n\n") if b]
    data = [line[len("data: ") :] for b in blocks for line in b.split("\n") if line.startswith("data: ")]
    lines = [line for line in recording.body.decode().splitlines() if line.strip()]
    chat_like = (recording.data["request"]["url"] or "").rstrip("/").endswith("completions")
    assert data == [*lines, "[DONE]"] if chat_like else data == lines
    for block in blocks:
        event = [line for line in block.split("\n") if line.startswith("event: ")]
        if event:
            payload = json.loads(block.split("data: ", 1)[1])
            assert event == [f"event: {payload['type']}"]


@pytest.mark.parametrize(
    "recording",
    [r for r in RAW_STREAMS if "eventstream" in r.headers.get("content-type", "")],
    ids=lambda r: r.id,
)
def test_aws_event_streams_split_at_frames(recording: Recording) -> None:
    pieces = split_events(recording.body, recording.headers["content-type"])
    assert b"".join(pieces) == recording.body
    for piece in pieces:
        assert struct.unpack(">I", piece[:4])[0] == len(piece)


def test_ndjson_streams_split_at_lines() -> None:
    recording = next(r for r in RAW_STREAMS if "ndjson" in r.headers.get("content-type", ""))
    pieces = split_events(recording.body, recording.headers["content-type"])
    assert b"".join(pieces) == recording.body
    assert all(json.loads(p) for p in pieces if p.strip())


def test_streams_recorded_without_a_content_type_are_sniffed() -> None:
    recording = next(r for r in SSE_STREAMS if "content-type" not in r.headers)
    fault = faults.replay(recording)
    assert dict(fault.headers)["content-type"] == "text/event-stream"
    assert fault.events is not None
    assert len(fault.events) > 1


NON_STREAM = [
    r
    for r in recordings("chat_completions", "messages", "embeddings", "images")
    if r.status == 200 and r.fidelity == "raw"
]


@pytest.mark.parametrize("recording", NON_STREAM, ids=_ids(NON_STREAM))
def test_plain_recordings_are_served_byte_for_byte(
    local_server: LocalProviderServer, recording: Recording
) -> None:
    route, path = {
        "chat_completions": (Route.CHAT, "/v1/chat/completions"),
        "messages": (Route.MESSAGES, "/v1/messages"),
        "embeddings": (Route.EMBEDDINGS, "/v1/embeddings"),
        "images": (Route.IMAGES, "/v1/images/generations"),
    }[recording.kind]
    local_server.replay(recording, route=route)
    url = recording.data["request"]["url"]
    response = httpx.post(local_server.url + path, json={"model": "m"}, headers=AUTH)
    assert response.content == recording.body, url
    assert response.headers["content-length"] == str(len(recording.body))
    assert local_server.pending() == 0


def test_status_override_for_recordings_without_one(local_server: LocalProviderServer) -> None:
    recording = load("openai/errors/vercel-ai__openai-error.1.json")
    assert recording.status is None
    local_server.replay(recording, status=429, route=Route.CHAT)
    response = httpx.post(local_server.openai_base_url + "/chat/completions", json={}, headers=AUTH)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "insufficient_quota"


def test_route_is_inferred_from_the_recorded_url_or_must_be_given(local_server: LocalProviderServer) -> None:
    openrouter = next(r for r in NON_STREAM if r.provider == "openrouter")
    local_server.replay(openrouter)
    assert local_server.pending(Route.CHAT) == 1
    no_url = {"request": {"url": None}, "response": {"status": 200, "body": "{}", "headers": {}}}
    with pytest.raises(ValueError, match="route="):
        local_server.replay(no_url)
    with pytest.raises(TypeError, match="response"):
        local_server.replay({"nothing": 1}, route=Route.CHAT)


def test_recording_paths_are_accepted(local_server: LocalProviderServer, tmp_path: object) -> None:
    from corpus_files import CORPUS_DIR

    path = CORPUS_DIR / "anthropic/errors/404__pydantic-ai__test_model_name_suggestion_anthropic___i0.json"
    local_server.replay(str(path))
    response = httpx.post(local_server.url + "/v1/messages", json={}, headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
