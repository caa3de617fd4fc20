"""The folding rules of docs/stream-rules.md, one by one, on both backends."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from modelwire.exceptions import ResponseParseError
from modelwire.types import GENERATED_ID_PREFIX, ToolCall, Usage
from modelwire.types.stream import (
    ReasoningDelta,
    RefusalDelta,
    StreamFinish,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from test_stream_corpus import BACKENDS, Folded, check_invariants, fold


def sse(*events: Any, name: str | None = None) -> bytes:
    """Events as SSE: dicts become ``data: <json>``, bytes are sent as they are."""
    out = b""
    for event in events:
        data = event if isinstance(event, bytes) else orjson.dumps(event)
        head = b"" if name is None else b"event: " + name.encode() + b"\n"
        out += head + b"data: " + data + b"\n\n"
    return out


def chunk(
    delta: dict[str, Any] | None = None, *, index: int = 0, finish: str | None = None, **top: Any
) -> Any:
    choice: dict[str, Any] = {"index": index, "delta": delta or {}, "finish_reason": finish}
    return {"id": "c", "model": "m", "choices": [choice], **top}


def openai(backend: Any, *events: Any) -> Folded:
    folded = fold(backend, "openai", [sse(*events)], provider="p")
    if folded.failure is None:
        check_invariants(folded)
    return folded


def call(
    index: int, id: str | None = None, name: str | None = None, arguments: Any = None, **more: Any
) -> Any:
    function = {k: v for k, v in (("name", name), ("arguments", arguments)) if v is not None}
    return {"tool_calls": [{"index": index, "id": id, "function": function, **more}]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_reasoning_refusal_usage_and_finish(backend: Any) -> None:
    folded = openai(
        backend,
        chunk({"role": "assistant", "content": ""}, obfuscation="xyz"),
        # OpenRouter repeats its reasoning in reasoning_details: one fragment per delta.
        chunk({"reasoning": "th", "reasoning_details": [{"type": "reasoning.text", "text": "th"}]}),
        chunk({"reasoning_content": "ink"}),
        chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "!"}]}]}),
        chunk({"content": "Hi"}),
        chunk({"content": [{"type": "text", "text": " there"}, {"type": "text", "text": "."}]}),
        chunk({"refusal": "no"}),
        chunk({}, finish="stop"),
        chunk({}, finish="stop"),  # repeated (OpenRouter): one event
        {"id": "c", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}},
        b"[DONE]",
    )
    response = folded.response
    assert folded.done
    assert (response.message.content, response.message.reasoning_content) == ("Hi there.", "think!")
    assert response.message.refusal == "no"
    assert [type(e) for e in folded.events].count(StreamFinish) == 1
    assert folded.events[-1] == UsageUpdate(Usage(3, 4, 7))
    assert StreamFinish(0, "stop", "stop") in folded.events
    assert response.provider == "p"


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_choices_interleave_and_come_out_by_index(backend: Any) -> None:
    folded = openai(
        backend,
        chunk({"content": "b"}, index=1),
        chunk({"content": "a"}, index=0),
        chunk({"content": "B"}, index=1, finish="length"),
        chunk({}, index=0, finish="stop"),
    )
    assert [(c.index, c.message.content, c.finish_reason) for c in folded.response.choices] == [
        (0, "a", "stop"),
        (1, "bB", "length"),
    ]
    assert folded.events[0] == TextDelta(1, "b")


@pytest.mark.parametrize("backend", BACKENDS)
def test_tool_call_fragments_ids_and_ends(backend: Any) -> None:
    folded = openai(
        backend,
        chunk(call(0, "a", "f", "", type="function")),
        chunk(call(0, "a", None, '{"x":')),  # a server that repeats the id
        chunk(call(0, None, "", "1}")),  # "id": null, "name": "" on a later fragment
        chunk(call(1, "", "g", "{}")),  # "" is no id: one is generated; call 0 ends
        chunk(call(1, "late", None, "")),  # the provider's id arrives later and replaces it
        chunk({}, finish="tool_calls"),
    )
    calls = folded.response.message.tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == [("a", "f", {"x": 1}), ("late", "g", {})]
    kinds = [type(e).__name__ for e in folded.events]
    assert kinds == [
        "ToolCallStart",
        "ToolCallDelta",
        "ToolCallDelta",
        "ToolCallEnd",
        "ToolCallStart",
        "ToolCallDelta",
        "ToolCallEnd",
        "StreamFinish",
    ]
    second_start = folded.events[4]
    assert isinstance(second_start, ToolCallStart)
    assert second_start.id.startswith(GENERATED_ID_PREFIX)
    assert folded.events[6] == ToolCallEnd(0, 1, ToolCall("late", "g", "{}"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_index_reuse_missing_index_custom_and_legacy_calls(backend: Any) -> None:
    reuse = openai(
        backend,
        chunk(call(0, "one", "f", '{"a":1}')),
        chunk(call(0, "two", "f", '{"a":2}')),  # Ollama: every call at index 0, each with its own id
    )
    assert [(c.id, c.arguments) for c in reuse.response.message.tool_calls] == [
        ("one", {"a": 1}),
        ("two", {"a": 2}),
    ]
    # No index (Mistral): the position in the array. Arguments sent as an object are written as orjson
    # writes them, a repeated key keeping its first place and its last value.
    no_index = openai(
        backend,
        b'{"choices":[{"delta":{"tool_calls":[{"id":"m","function":{"name":"f",'
        b'"arguments":{"b": [1, 2.0], "c": 1e2, "b": 3}}}]}}]}',
    )
    assert no_index.response.message.tool_calls == [ToolCall("m", "f", '{"b":3,"c":100.0}')]
    custom = openai(
        backend, chunk(call(0, "c", None, None, type="custom", custom={"name": "sh", "input": "ls"}))
    )
    assert custom.response.message.tool_calls == [ToolCall("c", "sh", "ls")]
    legacy = openai(
        backend,
        chunk({"function_call": {"name": "old", "arguments": '{"q"'}}),
        chunk({"function_call": {"arguments": ":1}"}}),
    )
    (only,) = legacy.response.message.tool_calls
    assert (only.name, only.arguments, only.id.startswith(GENERATED_ID_PREFIX)) == ("old", {"q": 1}, True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_tool_call_faults(backend: Any) -> None:
    nameless = openai(backend, chunk(call(0, "a", None, "{}")), b"[DONE]")
    assert isinstance(nameless.failure, ResponseParseError)
    assert "has no name" in nameless.failure.message
    deep = b'{"d":' * 300 + b"{}" + b"}" * 300  # orjson writes at most 254 levels
    arguments = b'{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":'
    too_deep = openai(backend, arguments + deep + b"}}]}}]}")
    assert too_deep.failure is not None
    assert too_deep.failure.path == "choices[0].delta.tool_calls[0].function.arguments"


@pytest.mark.parametrize("backend", BACKENDS)
def test_errors_inside_the_stream_stop_folding(backend: Any) -> None:
    groq = fold(
        backend,
        "openai",
        [
            sse(chunk({"content": "maybe"}))
            + sse({"error": {"message": "x"}}, name="error")
            + sse(chunk({"content": "!"}))
        ],
    )
    assert (groq.response.message.content, orjson.loads(groq.error or "")) == (
        "maybe",
        {"error": {"message": "x"}},
    )
    assert groq.events == [TextDelta(0, "maybe")]
    openrouter = openai(
        backend, {**chunk({"content": "a"}), "error": {"code": 400, "message": "m"}}, chunk({"content": "b"})
    )
    assert openrouter.response.message.content == "a"
    assert openrouter.error is not None
    ignored = openai(backend, chunk({"content": "a"}), b"[DONE]", chunk({"content": "b"}))
    assert ignored.response.message.content == "a"
    assert ignored.done


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_data_fails_after_the_events_before_it(backend: Any) -> None:
    name = "OpenAIStreamFolder"
    folder = getattr(backend, name)("p")
    events = folder.feed(sse(chunk({"content": "a"})) + b"data: {not json}\n\n")
    assert events == [TextDelta(0, "a")]
    for _ in range(2):  # the folder stays failed
        with pytest.raises(ResponseParseError) as caught:
            folder.feed(sse(chunk({"content": "b"})))
        assert caught.value.message.startswith("stream event 2 is not valid JSON")
        assert caught.value.provider == "p"
    not_object = openai(backend, b"[1]")
    assert not_object.failure is not None
    assert "expected a JSON object, got array" in not_object.failure.message
    wrong_type = openai(backend, chunk({"content": 5}))
    assert wrong_type.failure is not None
    assert wrong_type.failure.path == "choices[0].delta.content"
    assert wrong_type.events == []
    assert wrong_type.response.choices == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_top_level_fields_logprobs_and_groq_usage(backend: Any) -> None:
    folded = openai(
        backend,
        {"id": "", "model": "", "created": 0, "choices": [], "prompt_filter_results": []},  # Azure
        chunk({"content": "a"}, created=9, system_fingerprint="fp", logprobs=None),
        {
            **chunk({"content": "b"}),
            "choices": [{"index": 0, "delta": {"content": "b"}, "logprobs": {"content": [{"t": 1}]}}],
        },
        {
            **chunk({}),
            "choices": [{"index": 0, "delta": {}, "logprobs": {"content": [{"t": 2}], "refusal": None}}],
        },
        {"choices": [], "x_groq": {"usage": {"prompt_tokens": 1, "completion_tokens": 1}}},
    )
    response = folded.response
    assert (response.id, response.model, response.created, response.system_fingerprint) == ("c", "m", 9, "fp")
    assert response.choices[0].logprobs == {"content": [{"t": 1}, {"t": 2}], "refusal": None}
    assert response.usage == Usage(1, 1, 2)


def anthropic(backend: Any, *events: Any) -> Folded:
    body = b"".join(
        sse(e, name=e.get("type") if isinstance(e, dict) else None) if not isinstance(e, bytes) else e
        for e in events
    )
    folded = fold(backend, "anthropic", [body], provider="anthropic")
    if folded.failure is None:
        check_invariants(folded)
    return folded


START = {
    "type": "message_start",
    "message": {
        "id": "msg",
        "model": "claude",
        "content": [],
        "usage": {
            "input_tokens": 10,
            "cache_read_input_tokens": 5,
            "cache_creation_input_tokens": 1,
            "output_tokens": 1,
        },
    },
}


def block(index: int, **content: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": content}


def delta(index: int, **content: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": content}


@pytest.mark.parametrize("backend", BACKENDS)
def test_anthropic_message_folds_like_a_non_streamed_one(backend: Any) -> None:
    folded = anthropic(
        backend,
        START,
        {"type": "ping"},
        block(0, type="thinking", thinking="", signature=""),
        delta(0, type="thinking_delta", thinking="Let me"),
        delta(0, type="signature_delta", signature="sig"),
        block(1, type="redacted_thinking", data="opaque"),
        block(2, type="thinking", thinking="more"),
        block(3, type="text", text=""),
        delta(3, type="text_delta", text="Hel"),
        delta(3, type="citations_delta", citation={}),
        block(4, type="server_tool_use", id="s", name="web", input={}),
        delta(4, type="input_json_delta", partial_json='{"q":'),
        block(5, type="text", text="lo"),
        block(6, type="tool_use", id="t", name="f", input={}),
        delta(6, type="input_json_delta", partial_json=""),
        delta(6, type="input_json_delta", partial_json='{"a": 1}'),
        {"type": "content_block_stop", "index": 6},
        block(7, type="tool_use", id="u", name="g", input={"k": "v"}),  # no fragments: its input
        {"type": "content_block_stop", "index": 7},
        # Anthropic pads JSON with runs of spaces.
        b'data: {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, '
        b'"usage": {"output_tokens": 30}       }\n\n',
        {"type": "message_stop"},
    )
    response = folded.response
    message = response.message
    assert (response.id, response.model, message.content) == ("msg", "claude", "Hello")
    assert message.reasoning_content == "Let me\nmore"
    assert [(t.thinking, t.signature, t.redacted_data) for t in message.thinking_blocks] == [
        ("Let me", "sig", None),
        (None, None, "opaque"),
        ("more", None, None),
    ]
    assert message.tool_calls == [ToolCall("t", "f", '{"a": 1}'), ToolCall("u", "g", '{"k":"v"}')]
    assert ToolCallDelta(0, 1, '{"k":"v"}') in folded.events
    assert (response.finish_reason, response.choices[0].native_finish_reason) == ("tool_calls", "tool_use")
    assert response.usage == Usage(16, 30, 46, None, 5, 1)  # input = 10 + 5 cached + 1 written
    assert folded.events[0] == UsageUpdate(Usage(16, 1, 17, None, 5, 1))
    assert folded.done


@pytest.mark.parametrize("backend", BACKENDS)
def test_anthropic_refusal_errors_and_faults(backend: Any) -> None:
    refusal = anthropic(
        backend,
        START,
        {
            "type": "message_delta",
            "delta": {"stop_reason": "refusal", "stop_details": {"explanation": "no."}},
        },
    )
    assert (refusal.response.message.refusal, refusal.response.finish_reason) == ("no.", "refusal")
    assert RefusalDelta(0, "no.") in refusal.events
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    for framed in (sse(error, name="error"), sse(error)):
        failed = anthropic(
            backend, START, block(0, type="text", text="a"), framed, delta(0, type="text_delta", text="b")
        )
        assert failed.response.message.content == "a"
        assert orjson.loads(failed.error or "") == error
    unknown = anthropic(backend, START, delta(3, type="text_delta", text="x"))
    assert unknown.failure is not None
    assert unknown.failure.path == "index"
    nameless = anthropic(backend, START, block(0, type="tool_use", id="t"))
    assert nameless.failure is not None
    assert nameless.failure.path == "content_block.name"
    redacted = anthropic(backend, START, block(0, type="redacted_thinking"))
    assert redacted.failure is not None
    assert redacted.failure.path == "content_block.data"


@pytest.mark.parametrize("backend", BACKENDS)
def test_anthropic_message_start_content_and_the_end_of_the_stream(backend: Any) -> None:
    start = {
        "type": "message_start",
        "message": {
            "id": "m",
            "content": [
                {"type": "text", "text": "x"},
                {"type": "tool_use", "id": "t", "name": "f", "input": {"p": 1}},
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 1, "output_tokens": 2, "service_tier": "standard"},
        },
    }
    folded = anthropic(backend, start, {"type": "message_stop"}, START)  # a second message is not read
    response = folded.response
    assert response.message.tool_calls == [ToolCall("t", "f", '{"p":1}')]
    assert (response.message.content, response.id, response.service_tier) == ("x", "m", "standard")
    open_call = anthropic(backend, START, block(0, type="tool_use", id="t", name="f", input={}))
    assert open_call.events[-1] == ToolCallEnd(0, 0, ToolCall("t", "f", "{}"))  # ended by finish()
    empty = anthropic(backend)
    assert [c.index for c in empty.response.choices] == [0]
    assert empty.events == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_reasoning_and_text_events_are_never_empty(backend: Any) -> None:
    folded = openai(
        backend, chunk({"content": "", "reasoning": "", "refusal": ""}), chunk(call(0, "a", "f", ""))
    )
    assert [type(e) for e in folded.events] == [ToolCallStart, ToolCallEnd]
    assert folded.response.message.content == ""
    assert not any(isinstance(e, TextDelta | ReasoningDelta | RefusalDelta) for e in folded.events)


@pytest.mark.parametrize("backend", BACKENDS)
def test_optional_chunk_fields_that_cannot_be_read_are_left_out_and_recorded(backend: Any) -> None:
    folded = openai(
        backend,
        chunk({"content": "a", "reasoning_content": {"x": 1}}, id=7, created="1700000000"),
        chunk({"content": "b", "refusal": 3, "reasoning_details": [1]}, model=["m"], x_groq=2),
        chunk({}, finish=5, usage={"prompt_tokens": "3", "completion_tokens": 1.5, "total_tokens": 9}),
        chunk({}, finish="stop"),
        b"[DONE]",
    )
    assert folded.failure is None
    response = folded.response
    assert (response.message.content, response.finish_reason, response.created) == ("ab", "stop", 1700000000)
    assert response.usage == Usage(3, None, 9)
    assert response.skipped == [
        "event 1: choices[0].delta.reasoning_content",
        "event 1: id",
        "event 2: choices[0].delta.reasoning_details",
        "event 2: choices[0].delta.refusal",
        "event 2: model",
        "event 2: x_groq",
        "event 3: choices[0].finish_reason",
        "event 3: usage.completion_tokens",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_required_chunk_structure_stays_strict(backend: Any) -> None:
    folded = openai(backend, chunk({"content": "a"}), {"choices": [{"delta": {"content": 5}}]})
    assert folded.failure is not None
    assert folded.failure.path == "choices[0].delta.content"


@pytest.mark.parametrize("backend", BACKENDS)
def test_anthropic_optional_fields_that_cannot_be_read_are_left_out_and_recorded(backend: Any) -> None:
    start = {
        "type": "message_start",
        "message": {"id": 1, "model": "claude", "content": [], "stop_details": "x",
                    "usage": {"input_tokens": "10", "output_tokens": 1.5, "output_tokens_details": 3}},
    }  # fmt: skip
    folded = anthropic(
        backend,
        start,
        block(0, type="tool_use", id=7, name="f", input={}),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": 4, "stop_details": {"explanation": []}},
         "usage": {"output_tokens": 3, "service_tier": 1}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": [1]},
        {"type": "message_stop"},
    )  # fmt: skip
    assert folded.failure is None
    response = folded.response
    assert (response.id, response.model, response.finish_reason) == (None, "claude", "tool_calls")
    assert response.usage == Usage(10, 3, 13)
    assert response.message.tool_calls[0].id.startswith(GENERATED_ID_PREFIX)
    assert response.skipped == [
        "event 1: message.id",
        "event 1: message.stop_details",
        "event 1: message.usage.output_tokens",
        "event 1: message.usage.output_tokens_details",
        "event 2: content_block.id",
        "event 4: delta.stop_details.explanation",
        "event 4: delta.stop_reason",
        "event 4: usage.service_tier",
        "event 5: usage",
    ]
