"""The rules of docs/parsing-rules-responses.md and docs/stream-rules.md (section 5), one by one, on both
backends: what a Responses body and a Responses event stream become."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelwire import ResponseParseError
from modelwire.parsing import parse_responses
from modelwire.parsing.stream import ResponsesStreamFolder, stream_folder
from modelwire.types import GENERATED_ID_PREFIX, ReasoningItem, ToolCall, Usage
from modelwire.types.stream import (
    ReasoningDelta,
    StreamFinish,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from parse_support import implementations
from test_stream_corpus import BACKENDS, LOADED, Folded, check_invariants, fold, outcome


def body(**fields: Any) -> bytes:
    return orjson.dumps({"status": "completed", "output": [], **fields})


def message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "content": list(parts)}


def text(value: str) -> dict[str, Any]:
    return {"type": "output_text", "text": value, "annotations": []}


def call(name: str, arguments: str | None, call_id: str | None = "call_1") -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


def reasoning(
    summary: list[str], encrypted: str | None = None, content: list[str] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": s} for s in summary],
    }
    if content is not None:
        item["content"] = [{"type": "reasoning_text", "text": c} for c in content]
    if encrypted is not None:
        item["encrypted_content"] = encrypted
    return item


# --- bodies --------------------------------------------------------------------------------------------


@pytest.fixture(params=implementations())
def parse(request: pytest.FixtureRequest) -> Any:
    return request.param.parse_responses


def test_output_text_of_a_message_is_the_content(parse: Any) -> None:
    result = parse(body(id="resp_1", model="gpt-5", created_at=7, output=[message(text("Hel"), text("lo"))]))
    assert (result.id, result.model, result.created) == ("resp_1", "gpt-5", 7)
    assert result.message.content == "Hello"
    assert (result.finish_reason, result.choices[0].native_finish_reason) == ("stop", "completed")


def test_separate_message_items_are_joined_with_a_blank_line(parse: Any) -> None:
    output = [message(text("I'll look.")), message(text("")), message(text("Found it."))]
    assert parse(body(output=output)).message.content == "I'll look.\n\nFound it."


def test_no_text_is_none(parse: Any) -> None:
    assert parse(body(output=[message(text(""))])).message.content is None
    assert parse(body()).message.content is None


def test_function_calls_are_tool_calls_and_ask_for_them(parse: Any) -> None:
    result = parse(body(output=[call("get", '{"city": "Paris"}'), call("now", "", "call_2")]))
    assert result.message.tool_calls == [
        ToolCall("call_1", "get", '{"city": "Paris"}'),
        ToolCall("call_2", "now", "{}"),  # no arguments read as an empty object, as a stream folds them
    ]
    assert result.message.tool_calls[0].arguments == {"city": "Paris"}
    assert (result.finish_reason, result.choices[0].native_finish_reason) == ("tool_calls", "completed")


def test_a_function_call_without_call_id_gets_a_generated_one(parse: Any) -> None:
    result = parse(body(output=[call("get", "{}", None)]))
    assert result.message.tool_calls[0].id.startswith(GENERATED_ID_PREFIX)


def test_a_function_call_needs_a_name(parse: Any) -> None:
    with pytest.raises(ResponseParseError) as caught:
        parse(body(output=[{"type": "function_call", "call_id": "c", "arguments": "{}"}]))
    assert (caught.value.message, caught.value.path) == ("missing required field", "output[0].name")


def test_reasoning_items_are_kept_for_the_next_turn(parse: Any) -> None:
    output = [reasoning(["First.", "Second."], "gAAAA"), message(text("Answer"))]
    result = parse(body(output=output))
    assert result.message.reasoning_content == "First.\n\nSecond."
    assert result.message.reasoning_items == [ReasoningItem("rs_1", ["First.", "Second."], [], "gAAAA")]
    assert result.message.to_message()["reasoning_items"] == [
        {"id": "rs_1", "summary": ["First.", "Second."], "content": [], "encrypted_content": "gAAAA"}
    ]


def test_raw_reasoning_text_comes_before_the_summary(parse: Any) -> None:
    result = parse(body(output=[reasoning(["sum"], None, ["raw"])]))
    assert result.message.reasoning_content == "raw\n\nsum"
    assert result.message.reasoning_items[0].content == ["raw"]


def test_a_refusal_part_is_the_refusal(parse: Any) -> None:
    result = parse(body(output=[message({"type": "refusal", "refusal": "I can't help with that."})]))
    assert (result.message.content, result.message.refusal) == (None, "I can't help with that.")


@pytest.mark.parametrize(
    ("reason", "canonical"),
    [("max_output_tokens", "length"), ("content_filter", "content_filter"), (None, "other")],
)
def test_incomplete_details_name_the_finish_reason(parse: Any, reason: str | None, canonical: str) -> None:
    result = parse(body(status="incomplete", incomplete_details={"reason": reason}, output=[call("f", "{")]))
    assert result.finish_reason == canonical  # cut short: the calls are not asked for
    assert result.choices[0].native_finish_reason == (reason or "incomplete")


def test_usage_with_cached_and_reasoning_tokens(parse: Any) -> None:
    usage = {
        "input_tokens": 100, "output_tokens": 40, "total_tokens": 140,
        "input_tokens_details": {"cached_tokens": 64}, "output_tokens_details": {"reasoning_tokens": 32},
    }  # fmt: skip
    assert parse(body(usage=usage)).usage == Usage(100, 40, 140, 32, 64, None, "provider")


def test_an_error_object_is_an_error_at_error(parse: Any) -> None:
    failed = body(status="failed", error={"code": "server_error", "message": "The server had an error"})
    with pytest.raises(ResponseParseError) as caught:
        parse(failed)
    assert caught.value.path == "error"
    assert caught.value.message == "the response holds an error instead of a result: The server had an error"


def test_output_is_required(parse: Any) -> None:
    for document, message_ in [
        ({}, "missing required field"),
        ({"output": None}, "expected an array, got null"),
    ]:
        with pytest.raises(ResponseParseError) as caught:
            parse(orjson.dumps(document))
        assert (caught.value.message, caught.value.path) == (message_, "output")


def test_a_whole_number_timestamp_written_as_a_float_is_read(parse: Any) -> None:
    assert parse(body(created_at=1784324967.0)).created == 1784324967
    with pytest.raises(ResponseParseError):
        parse(body(created_at=1.5))


def test_items_of_other_kinds_are_skipped_unchecked(parse: Any) -> None:
    output = [{"type": "web_search_call", "action": {"query": 1}}, {"type": "mcp_call", "name": 5}]
    assert parse(body(output=output)).message.content is None


def test_the_dispatched_parser_is_the_backend_in_use() -> None:
    assert parse_responses(body(output=[message(text("x"))])).message.content == "x"


# --- streams ---------------------------------------------------------------------------------------------


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events)


def completed(status: str = "completed", **fields: Any) -> dict[str, Any]:
    return {
        "type": f"response.{status}",
        "response": {"id": "resp_1", "status": status, "output": [], **fields},
    }


def folded(*events: dict[str, Any]) -> Folded:
    results = [fold(backend, "responses", [sse(*events)]) for backend in LOADED]
    assert all(outcome(r) == outcome(results[0]) for r in results[1:])
    check_invariants(results[0])
    return results[0]


CREATED = {
    "type": "response.created",
    "response": {"id": "resp_1", "model": "gpt-5", "created_at": 3, "output": []},
}


def test_text_deltas_become_text_events_and_the_content() -> None:
    result = folded(
        CREATED,
        {"type": "response.output_item.added", "output_index": 0, "item": message()},
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "Hel"},
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "lo"},
        {"type": "response.output_item.done", "output_index": 0, "item": message(text("Hello"))},
        completed(usage={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}),
    )
    assert result.events == [
        TextDelta(0, "Hel"),
        TextDelta(0, "lo"),
        UsageUpdate(Usage(1, 2, 3)),
        StreamFinish(0, "stop", "completed"),
    ]
    assert result.done
    response = result.response
    assert (response.id, response.model, response.created, response.message.content) == (
        "resp_1",
        "gpt-5",
        3,
        "Hello",
    )


def test_function_call_events_become_tool_call_events() -> None:
    result = folded(
        {"type": "response.output_item.added", "output_index": 0, "item": call("get", "")},
        {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": '{"a":'},
        {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "1}"},
        {"type": "response.function_call_arguments.done", "output_index": 0, "arguments": '{"a":1}'},
        {"type": "response.output_item.done", "output_index": 0, "item": call("get", '{"a":1}')},
        completed(),
    )
    final = ToolCall("call_1", "get", '{"a":1}')
    assert result.events == [
        ToolCallStart(0, 0, "call_1", "get"),
        ToolCallDelta(0, 0, '{"a":'),
        ToolCallDelta(0, 0, "1}"),
        ToolCallEnd(0, 0, final),
        StreamFinish(0, "tool_calls", "completed"),
    ]


def test_a_call_whose_arguments_came_whole_gets_them_as_one_fragment() -> None:
    result = folded(
        {"type": "response.output_item.added", "output_index": 0, "item": call("get", "")},
        {"type": "response.output_item.done", "output_index": 0, "item": call("get", '{"a":1}')},
        completed(),
    )
    assert ToolCallDelta(0, 0, '{"a":1}') in result.events


def test_arguments_for_an_item_that_is_no_call_are_an_error() -> None:
    for backend in LOADED:
        outcome_ = fold(
            backend,
            "responses",
            [sse({"type": "response.function_call_arguments.delta", "output_index": 4, "delta": "{"})],
        )
        assert outcome_.failure is not None
        assert outcome_.failure.path == "output_index"
        assert "output item 4 is not a function call" in outcome_.failure.message


def test_reasoning_summaries_stream_as_reasoning_and_keep_the_item() -> None:
    result = folded(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_1", "summary": []},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "output_index": 0,
            "summary_index": 0,
            "delta": "One.",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "output_index": 0,
            "summary_index": 1,
            "delta": "Two.",
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": reasoning(["One.", "Two."], "enc-1"),
        },
        completed(output=[reasoning(["One.", "Two."], "enc-final")]),
    )
    assert result.events[:2] == [ReasoningDelta(0, "One."), ReasoningDelta(0, "\n\nTwo.")]
    message_ = result.response.message
    assert message_.reasoning_content == "One.\n\nTwo."
    # The completed response's encryption is the one a later turn sends back.
    assert message_.reasoning_items == [ReasoningItem("rs_1", ["One.", "Two."], [], "enc-final")]


def test_reasoning_parts_out_of_order_are_an_error() -> None:
    for backend in LOADED:
        result = fold(
            backend,
            "responses",
            [
                sse(
                    {
                        "type": "response.reasoning_summary_text.delta",
                        "output_index": 0,
                        "summary_index": 5,
                        "delta": "x",
                    }
                )
            ],
        )
        assert result.failure is not None
        assert result.failure.path == "summary_index"


def test_items_only_in_the_completed_response_are_folded_whole() -> None:
    output = [reasoning(["why"], "enc"), message(text("Hi")), call("f", '{"x":2}')]
    result = folded(CREATED, completed(output=output))
    assert result.events[:3] == [
        ReasoningDelta(0, "why"),
        TextDelta(0, "Hi"),
        ToolCallStart(0, 0, "call_1", "f"),
    ]
    assert result.response.message.tool_calls == [ToolCall("call_1", "f", '{"x":2}')]
    assert result.response.finish_reason == "tool_calls"


def test_response_incomplete_ends_the_stream_with_its_reason() -> None:
    result = folded(completed("incomplete", incomplete_details={"reason": "max_output_tokens"}))
    assert result.done
    assert result.events == [StreamFinish(0, "length", "max_output_tokens")]


@pytest.mark.parametrize(
    "event",
    [
        {
            "type": "response.failed",
            "response": {"status": "failed", "error": {"code": "server_error", "message": "x"}},
        },
        {"type": "error", "code": "rate_limit_exceeded", "message": "slow down"},
    ],
)
def test_failed_and_error_events_are_kept_as_the_stream_error(event: dict[str, Any]) -> None:
    stream = sse({"type": "response.output_text.delta", "output_index": 0, "delta": "a"}, event, completed())
    for backend in LOADED:
        result = fold(backend, "responses", [stream])
        assert result.error == orjson.dumps(event).decode()
        assert not result.done
        assert result.events == [TextDelta(0, "a")]


def test_nothing_after_the_terminal_event_is_folded() -> None:
    result = folded(completed(), {"type": "response.output_text.delta", "output_index": 0, "delta": "late"})
    assert result.response.message.content is None


def test_stream_folder_dispatches_on_the_responses_format() -> None:
    folder = stream_folder("responses", "azure")
    assert isinstance(folder, ResponsesStreamFolder)
    assert folder.response().provider == "azure"


# --- any sequence of events: both backends agree, and the events add up -----------------------------------

indices = st.integers(-1, 3)
deltas = st.sampled_from(["", "a", "b c", "{", '"x":1}', "\n"])
kinds = st.sampled_from(["message", "function_call", "reasoning", "web_search_call", None])


@st.composite
def items_(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(kinds)
    if kind == "message":
        return message(*[text(draw(deltas)) for _ in range(draw(st.integers(0, 2)))])
    if kind == "function_call":
        return call(draw(st.sampled_from(["f", "g", ""])), draw(st.sampled_from([None, "", "{}", '{"a":1}'])),
                    draw(st.sampled_from([None, "c1", "c2"])))  # fmt: skip
    if kind == "reasoning":
        return reasoning(
            [draw(deltas)], draw(st.sampled_from([None, "e1"])), draw(st.sampled_from([None, ["r"]]))
        )
    return {"type": kind}


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "response.created", "response.output_item.added", "response.output_item.done",
                "response.output_text.delta", "response.refusal.delta",
                "response.reasoning_summary_text.delta", "response.reasoning_text.delta",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.completed", "response.incomplete",
                "response.content_part.added",
            ]
        )
    )  # fmt: skip
    event: dict[str, Any] = {"type": kind, "output_index": draw(indices)}
    if kind in ("response.output_item.added", "response.output_item.done"):
        event["item"] = draw(items_())
    elif kind in ("response.completed", "response.incomplete", "response.created"):
        output = draw(st.lists(items_(), max_size=3))
        event["response"] = {"id": "r", "status": kind.removeprefix("response."), "output": output}
    else:
        event["delta"] = draw(deltas)
        event["arguments"] = draw(deltas)
        event["summary_index"] = event["content_index"] = draw(st.integers(0, 2))
    return event


@pytest.mark.skipif(len(LOADED) < 2, reason="the Rust extension is not built")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), max_size=10))
def test_any_event_sequence_folds_alike_and_adds_up(sequence: list[dict[str, Any]]) -> None:
    stream = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in sequence)
    results = [fold(backend, "responses", [stream]) for backend in LOADED]
    assert outcome(results[0]) == outcome(results[1])
    if results[0].failure is None:
        check_invariants(results[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_provider_label_is_carried(backend: Any) -> None:
    assert fold(backend, "responses", [sse(completed())], "azure").response.provider == "azure"
