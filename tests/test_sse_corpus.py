"""Every recorded SSE and NDJSON stream of the corpus decodes to the same events with both backends.

Independent checks beside backend equality: the ``openai`` SDK's own SSE decoder (a test-only oracle)
reaches the same events on every raw SSE body; every ``data`` of a JSON stream parses; the
``*_stream_payloads`` files (one JSON payload per line) re-framed as ``data: <line>\\n\\n`` give exactly
their lines back, and read as NDJSON give the same lines.
"""

from __future__ import annotations

import orjson
import pytest
from openai._streaming import SSEDecoder as OpenAISseDecoder

from corpus_files import Recording, recordings
from modelwire.parsing.sse import SseEvent
from test_sse_rules import LOADED, decode, decode_ndjson


def body_format(recording: Recording) -> str | None:
    """Returns "sse", "ndjson" or None (AWS binary event streams, Gemini's JSON arrays: not line-framed)."""
    head = recording.body.lstrip()[:6]
    if head.startswith((b"data:", b"event:", b":", b"id:")):
        return "sse"
    if head.startswith(b"{"):
        return "ndjson"
    return None


RAW_STREAMS = [r for r in recordings() if "stream" in r.kind and not r.kind.endswith("_payloads")]
SSE_STREAMS = [r for r in RAW_STREAMS if body_format(r) == "sse"]
NDJSON_STREAMS = [r for r in RAW_STREAMS if body_format(r) == "ndjson"]
PAYLOADS = [r for r in recordings() if r.kind.endswith("_stream_payloads")]


def by_id(recs: list[Recording]) -> dict[str, list[object]]:
    return {"argvalues": recs, "ids": [r.id for r in recs]}


def test_the_corpus_streams_are_all_classified() -> None:
    # Guards the selection below: a new framing in the corpus must be looked at, not skipped unseen.
    unframed = {(r.provider, r.kind) for r in RAW_STREAMS if body_format(r) is None}
    assert unframed <= {
        ("bedrock", "converse_stream"),
        ("bedrock", "invoke_stream"),
        ("gemini", "stream_generate_content"),  # without alt=sse: one JSON array
        ("vertex", "stream_generate_content"),
    }
    assert len(SSE_STREAMS) >= 90
    assert {r.provider for r in NDJSON_STREAMS} == {"ollama", "cohere"}
    assert any(b"\r\n" in r.body for r in SSE_STREAMS)
    assert any(b": OPENROUTER PROCESSING" in r.body for r in SSE_STREAMS)


@pytest.mark.parametrize("recording", **by_id(SSE_STREAMS))
def test_sse_stream_decodes_alike_and_matches_the_openai_sdk(recording: Recording) -> None:
    body = recording.body
    results = [decode(backend, [body]) for backend in LOADED]
    assert all(result == results[0] for result in results)
    got, failure = results[0]
    assert failure is None
    # The SDK drops a last event that has no blank line after it (as the spec does; we keep it), so it
    # is given one.
    oracle = [
        SseEvent(sse.event, sse.data, sse.id, sse.retry)
        for sse in OpenAISseDecoder().iter_bytes(iter([body + b"\n\n"]))
    ]
    assert got == oracle
    assert got, "a recorded stream has events"
    for event in got:
        if event.data.startswith(("{", "[")) and event.data != "[DONE]":
            orjson.loads(event.data)  # every JSON payload arrives whole


@pytest.mark.parametrize("recording", **by_id(NDJSON_STREAMS))
def test_ndjson_stream_decodes_alike(recording: Recording) -> None:
    results = [decode_ndjson(backend, [recording.body]) for backend in LOADED]
    assert all(result == results[0] for result in results)
    texts, failure = results[0]
    assert failure is None
    expected = [line.strip().decode() for line in recording.body.split(b"\n") if line.strip()]
    assert texts == expected
    assert all(isinstance(orjson.loads(text), dict) for text in texts)


@pytest.mark.parametrize("recording", **by_id(PAYLOADS))
def test_payload_lines_reframed_as_sse_come_back_unchanged(recording: Recording) -> None:
    lines = [line.decode() for line in recording.body.split(b"\n") if line.strip()]
    framed = b"".join(b"data: " + line.encode() + b"\n\n" for line in lines)
    for backend in LOADED:
        assert decode(backend, [framed]) == ([SseEvent(data=line) for line in lines], None)
        assert decode_ndjson(backend, [recording.body]) == (lines, None)
