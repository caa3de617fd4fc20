"""Gemini ``streamGenerateContent?alt=sse`` folding (docs/parsing-rules-gemini.md, section 5): the corpus
streams on both backends, their agreement with the non-streamed parser, split invariance, and the rules."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gemini_support import BACKENDS, LOADED, STREAMS, Stream, fold
from modelwire.errors import classify_stream_error
from modelwire.exceptions import ContentPolicyError, ResponseParseError
from modelwire.parsing.stream import GeminiStreamFolder, stream_folder
from modelwire.types import ThinkingBlock, Usage
from modelwire.types.stream import (
    ReasoningDelta,
    StreamFinish,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from test_stream_corpus import check_invariants, outcome

# Streams whose function-call arguments arrive as `partialArgs` (streamFunctionCallArguments).
PARTIAL_ARGS = {
    "gemini/generate_content_stream_payloads/vercel-ai__google-stream-no-args-tool-call.chunks",
    "vertex/generate_content_stream_payloads/vercel-ai__google-vertex-stream-tool-call-arguments-nested.1.chunks",
}


def _sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(chunk) + b"\r\n\r\n" for chunk in chunks)


def _chunk(*parts: dict[str, Any], finish: str | None = None, index: int = 0, **more: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": index}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "responseId": "r", "modelVersion": "m", **more}


def test_the_corpus_streams_are_all_here() -> None:
    assert len(STREAMS) >= 17
    assert {s.provider for s in STREAMS} == {"gemini", "vertex"}


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: s.id)
def test_corpus_stream_folds_alike_on_both_backends(stream: Stream) -> None:
    results = [fold(backend, [stream.body], stream.provider) for backend in LOADED]
    assert all(outcome(r) == outcome(results[0]) for r in results[1:])
    first = results[0]
    assert first.failure is None
    assert first.error is None
    assert first.done  # every corpus stream ends with a finishReason
    check_invariants(first)
    assert first.response.provider == stream.provider
    assert first.response.usage is not None


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_stream_in_random_pieces_folds_the_same(backend: Any, data: st.DataObject) -> None:
    stream = data.draw(st.sampled_from(STREAMS))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream.body)), max_size=40)))
    pieces = [stream.body[a:b] for a, b in pairwise([0, *cuts, len(stream.body)])]
    assert outcome(fold(backend, pieces)) == outcome(fold(backend, [stream.body]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_thoughts_and_calls_fold_into_events_and_the_response(backend: Any) -> None:
    body = _sse(
        _chunk({"text": "Let me ", "thought": True}),
        _chunk({"text": "think.", "thought": True, "thoughtSignature": "U0lH"}),
        _chunk({"text": "Calling."}),
        _chunk(
            {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "Rk4="},
            {"functionCall": {"name": "g"}},
            finish="STOP",
            usageMetadata={"promptTokenCount": 4, "candidatesTokenCount": 2, "thoughtsTokenCount": 3},
        ),
    )
    folded = fold(backend, [body])
    events = folded.events
    assert [type(e) for e in events] == [
        ReasoningDelta, ReasoningDelta, TextDelta,
        ToolCallStart, ToolCallDelta, ToolCallEnd, ToolCallStart, ToolCallEnd,
        StreamFinish, UsageUpdate,
    ]  # fmt: skip
    message = folded.response.message
    assert message.reasoning_content == "Let me think."
    assert message.content == "Calling."
    assert [(c.name, c.arguments_json) for c in message.tool_calls] == [("f", '{"a":1}'), ("g", "{}")]
    assert message.thinking_blocks == [ThinkingBlock("Let me think.", "U0lH"), ThinkingBlock(None, "Rk4=")]
    assert folded.response.usage == Usage(4, 5, 9, 3, None, None, "provider")
    assert folded.done
    check_invariants(folded)


@pytest.mark.parametrize("backend", BACKENDS)
def test_done_waits_for_every_candidate_and_ignores_what_follows(backend: Any) -> None:
    folder = backend.GeminiStreamFolder("gemini")
    folder.feed(_sse({"candidates": [{"index": 0, "finishReason": "STOP"}, {"index": 1}]}))
    assert not folder.done
    folder.feed(_sse({"candidates": [{"index": 1, "finishReason": "MAX_TOKENS"}]}))
    assert folder.done
    assert folder.feed(_sse(_chunk({"text": "late"}))) == []
    assert [c.finish_reason for c in folder.response().choices] == ["stop", "length"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_blocked_prompt_is_the_streams_error_classified_as_content_policy(backend: Any) -> None:
    chunk = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 2},
    }
    folder = backend.GeminiStreamFolder("gemini")
    assert folder.feed(_sse(chunk)) == []
    assert folder.error is not None
    error = classify_stream_error(folder.error, provider="gemini")
    assert isinstance(error, ContentPolicyError)
    assert error.provider_code == "PROHIBITED_CONTENT"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_error_chunk_is_kept_for_the_errors_layer(backend: Any) -> None:
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    folded = fold(backend, [_sse(_chunk({"text": "a"}), error)])
    assert folded.error is not None
    assert orjson.loads(folded.error) == error
    assert folded.response.message.content == "a"
    assert classify_stream_error(folded.error, provider="gemini").kind == "overloaded"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_malformed_call_fails_after_the_events_before_it(backend: Any) -> None:
    folder = backend.GeminiStreamFolder("vertex")
    events = folder.feed(_sse(_chunk({"text": "a"})) + _sse(_chunk(finish="MALFORMED_FUNCTION_CALL")))
    assert events == [TextDelta(0, "a")]
    with pytest.raises(ResponseParseError, match="malformed function call") as info:
        folder.feed(b"")
    assert info.value.provider == "vertex"


def test_stream_folder_dispatches_gemini() -> None:
    assert isinstance(stream_folder("gemini", "vertex"), GeminiStreamFolder)


def test_streamed_function_call_arguments_are_assembled() -> None:
    nested = next(s for s in STREAMS if "arguments-nested" in s.id)
    for backend in LOADED:
        folded = fold(backend, [nested.body], "vertex")
        (call,) = folded.response.message.tool_calls
        assert call.name == "cookRecipe"
        recipe = call.arguments["recipe"]
        assert recipe["name"] == "Lasagna"
        assert recipe["ingredients"][0] == {"amount": "16 oz", "name": "Lasagna noodles"}
        assert recipe["steps"][-1] == "Let stand for 15 minutes before serving."
        deltas = [e for e in folded.events if isinstance(e, ToolCallDelta)]
        assert [d.arguments for d in deltas] == [call.arguments_json]  # one fragment, when the call ends
    parallel = next(s for s in STREAMS if "no-args-tool-call" in s.id)
    calls = fold(LOADED[-1], [parallel.body]).response.message.tool_calls
    assert [(c.name, c.arguments_json) for c in calls] == [
        ("read_theme", "{}"), ("read_screen", '{"id":"A"}'), ("read_screen", '{"id":"B"}'),
        ("read_screen", '{"id":"C"}'),
    ]  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_partial_args_rules(backend: Any) -> None:
    def call(**fields: Any) -> dict[str, Any]:
        return _chunk({"functionCall": fields})

    first = [
        {"jsonPath": "$.a[1].b", "numberValue": 2.5},
        {"jsonPath": "$.s", "stringValue": "he", "willContinue": True},
    ]
    second = [{"jsonPath": "$.s", "stringValue": "llo"}, {"jsonPath": "$.t", "boolValue": True},
              {"jsonPath": "$.n", "nullValue": None}]  # fmt: skip
    body = _sse(
        call(name="f", willContinue=True),
        call(partialArgs=first, willContinue=True),
        call(partialArgs=second, willContinue=True),
        call(),
        _chunk(finish="STOP"),
    )
    (made,) = fold(backend, [body]).response.message.tool_calls
    assert made.arguments_json == '{"a":[null,{"b":2.5}],"s":"hello","t":true,"n":null}'
    orphan = fold(backend, [_sse(call(partialArgs=[{"jsonPath": "$.x", "stringValue": "y"}]))])
    assert orphan.failure is not None
    assert "no call was started" in orphan.failure.message
    bad = fold(backend, [_sse(call(name="f", partialArgs=[{"jsonPath": "x.y", "stringValue": "y"}]))])
    assert bad.failure is not None
    assert bad.failure.path == "candidates[0].content.parts[0].functionCall.partialArgs[0].jsonPath"
    assert bad.failure.message == "stream event 1: unsupported jsonPath"
