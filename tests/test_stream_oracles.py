"""Independent oracles (test-only): the ``openai`` SDK's own chunk accumulation
(``ChatCompletionStreamState``) and the ``anthropic`` SDK's message accumulation (``accumulate_event``)
reach the same final text, tool calls (names and parsed arguments), finish reason and usage as modelwire
on the same recorded bodies.

Where the SDKs cannot follow a real server, the difference is asserted, not skipped silently: the openai
SDK raises on tool calls without an ``index`` (Mistral), on a first tool call at index 1 (Anthropic's
OpenAI layer) and on list-valued ``content``/``annotations`` deltas; it forgets a usage when a later chunk
says ``"usage": null`` and does not read Groq's ``x_groq.usage`` or a usage sent on an error chunk.
"""

from __future__ import annotations

import warnings
from typing import Any

import orjson
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from openai._models import construct_type
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from modelwire.parsing.pure.sse import SseDecoder
from test_stream_corpus import LOADED, STREAMS, Stream, by_id, fold

SDK_CANNOT_FOLD = {
    "anthropic_openai_compat/chat_completions_stream/vercel-ai__anthropic-fallback-tool-call": IndexError,
    "mistral/chat_completions_stream/openinference__test_synchronous_streaming_chat_completions_with_"
    "tool_call_response_emits_expected_spans_False_": TypeError,
    "mistral/chat_completions_stream_payloads/vercel-ai__mistral-reasoning.chunks": RuntimeError,
    "openrouter/chat_completions_stream/pydantic-ai__test_openrouter_web_search_annotations_"
    "stream__i0": RuntimeError,
}
SDK_LOSES_USAGE = {
    "groq/chat_completions_stream/pydantic-ai__test_groq_model_web_search_tool_stream__i0",  # x_groq.usage
    "groq/chat_completions_stream/openllmetry__test_chat_streaming_legacy__i0",
    "groq/chat_completions_stream/openinference__TestTokenCounts.test_groq__i0",
    "openai/chat_completions_stream/pydantic-ai__test_openai_moderation_stream__i0",  # a later "usage": null
    "openrouter/chat_completions_stream/pydantic-ai__test_openrouter_stream_error__i0",  # on the error chunk
}
OPENAI = [s for s in STREAMS if s.format == "openai"]
ANTHROPIC = [s for s in STREAMS if s.format == "anthropic"]


def payloads(stream: Stream) -> list[dict[str, Any]]:
    """The JSON data of the stream's events, without [DONE], error events and error chunks."""
    decoder = SseDecoder()
    found = []
    for event in decoder.feed(stream.body) + decoder.finish():
        if event.event == "error" or not event.data or event.data == "[DONE]":
            continue
        data = orjson.loads(event.data)
        if data.get("error") is None:
            found.append(data)
    return found


def openai_snapshot(stream: Stream) -> Any:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    with warnings.catch_warnings():  # pydantic warns about list content it was not built for
        warnings.simplefilter("ignore")
        for data in payloads(stream):
            state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=data))
    return state.current_completion_snapshot


@pytest.mark.parametrize("stream", **by_id([s for s in OPENAI if s.id not in SDK_CANNOT_FOLD]))
def test_openai_sdk_accumulation_reaches_the_same_response(stream: Stream) -> None:
    ours = fold(LOADED[-1], "openai", [stream.body]).response
    snapshot = openai_snapshot(stream)
    assert [c.index for c in snapshot.choices] == [c.index for c in ours.choices]
    for theirs, mine in zip(snapshot.choices, ours.choices, strict=True):
        assert (theirs.message.content or "") == (mine.message.content or "")
        assert (theirs.message.refusal or None) == mine.message.refusal
        calls = [
            (call.id, call.function.name, orjson.loads(call.function.arguments or "{}"))
            for call in theirs.message.tool_calls or ()
        ]
        assert calls == [(call.id, call.name, call.arguments) for call in mine.message.tool_calls]
        assert theirs.finish_reason == mine.native_finish_reason
    usage = snapshot.usage
    if stream.id in SDK_LOSES_USAGE:
        assert usage is None
        assert ours.usage is not None
    elif usage is None:
        assert ours.usage is None
    else:
        assert ours.usage is not None
        assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
            ours.usage.input_tokens,
            ours.usage.output_tokens,
            ours.usage.total_tokens,
        )


@pytest.mark.parametrize("stream", **by_id([s for s in OPENAI if s.id in SDK_CANNOT_FOLD]))
def test_streams_the_openai_sdk_cannot_fold_fold_here(stream: Stream) -> None:
    with pytest.raises(SDK_CANNOT_FOLD[stream.id]):
        openai_snapshot(stream)
    response = fold(LOADED[-1], "openai", [stream.body]).response
    assert response.message.content or response.message.tool_calls


@pytest.mark.parametrize("stream", **by_id(ANTHROPIC))
def test_anthropic_sdk_accumulation_reaches_the_same_response(stream: Stream) -> None:
    ours = fold(LOADED[-1], "anthropic", [stream.body]).response
    snapshot: Any = None
    buffers: dict[int, bytes] = {}
    for data in payloads(stream):
        snapshot = accumulate_event(event=data, current_snapshot=snapshot, json_bufs=buffers)  # type: ignore[arg-type]
    message = ours.message
    texts = [block.text for block in snapshot.content if block.type == "text"]
    assert ("".join(texts) if texts else None) == message.content
    tools = [(b.id, b.name, b.input) for b in snapshot.content if b.type == "tool_use"]
    assert tools == [(call.id, call.name, call.arguments) for call in message.tool_calls]
    thinking = [
        (b.thinking, b.signature) if b.type == "thinking" else b.data
        for b in snapshot.content
        if b.type in ("thinking", "redacted_thinking")
    ]
    assert thinking == [
        (t.thinking, t.signature) if t.redacted_data is None else t.redacted_data
        for t in message.thinking_blocks
    ]
    assert snapshot.stop_reason == ours.choices[0].native_finish_reason
    usage = snapshot.usage
    cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
    assert ours.usage is not None
    assert (usage.input_tokens + cached, usage.output_tokens) == (
        ours.usage.input_tokens,
        ours.usage.output_tokens,
    )
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (
        ours.usage.cache_read_tokens,
        ours.usage.cache_write_tokens,
    )
