"""docs/parsing-rules.md, sections 3, 5 and 6, asserted on each implementation."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import orjson
import pytest

from modelwire import ResponseParseError, ToolArgumentsError, Usage
from modelwire.parsing.pure.finish import FINISH_REASON_TABLE
from modelwire.types import FINISH_REASONS, GENERATED_ID_PREFIX, ImagePayload
from parse_support import implementations

pytestmark = pytest.mark.parametrize("impl", implementations())


def chat(impl: ModuleType, message: dict[str, Any] | None = None, **top: Any) -> Any:
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
    if message is not None:
        choice["message"] = message
    body = {"id": "c1", "model": "m", "created": 5, "choices": [choice], **top}
    return impl.parse_chat_completion(orjson.dumps(body), "test")


def usage_of(impl: ModuleType, usage: Any) -> Usage | None:
    return chat(impl, {"content": "x"}, usage=usage).usage  # type: ignore[no-any-return]


def test_plain_completion(impl: ModuleType) -> None:
    result = chat(impl, {"role": "assistant", "content": "hello"})
    assert (result.id, result.model, result.created, result.provider) == ("c1", "m", 5, "test")
    assert result.message.content == "hello"
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is None
    assert result.raw["choices"][0]["message"]["content"] == "hello"


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}, Usage(3, 4, 7)),
        ({"input_tokens": 3, "output_tokens": 4}, Usage(3, 4, 7)),
        ({"prompt_tokens": 3}, Usage(3)),
        ({"prompt_tokens": 0, "completion_tokens": 0}, Usage(0, 0, 0)),
        ({"prompt_tokens": 3, "input_tokens": 9, "completion_tokens": 1}, Usage(3, 1, 4)),
        ({"prompt_tokens": None, "input_tokens": 9}, Usage(9)),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "completion_tokens_details": {"reasoning_tokens": 2},
            },
            Usage(10, 5, 15, reasoning_tokens=2, reasoning_token_count_source="provider"),
        ),
        (
            {"input_tokens": 1, "output_tokens_details": {"reasoning_tokens": 0}},
            Usage(1, reasoning_tokens=0, reasoning_token_count_source="provider"),
        ),
        ({"prompt_tokens_details": {"cached_tokens": 8}}, Usage(cache_read_tokens=8)),
        (
            {"input_tokens_details": {"cached_tokens": 8, "cache_write_tokens": 2}},
            Usage(None, None, None, None, 8, 2),
        ),
        ({"prompt_cache_hit_tokens": 512, "prompt_cache_miss_tokens": 51}, Usage(cache_read_tokens=512)),
        ({"cached_tokens": 4}, Usage(cache_read_tokens=4)),
        ({"num_cached_tokens": 6}, Usage(cache_read_tokens=6)),
        ({"prompt_tokens_details": {"cache_write_tokens": 7}}, Usage(cache_write_tokens=7)),
        ({"prompt_tokens_details": None, "cost": 0.5, "queue_time": 0.1}, Usage()),
        (None, None),
    ],
)
def test_usage_extraction(impl: ModuleType, usage: Any, expected: Usage | None) -> None:
    assert usage_of(impl, usage) == expected


@pytest.mark.parametrize(
    ("usage", "expected", "skipped"),
    [
        ({"prompt_tokens": "3"}, Usage(3), []),
        ({"prompt_tokens": "-3", "completion_tokens": "0004"}, Usage(-3, 4, 1), []),
        ({"prompt_tokens": 3.0}, Usage(), ["usage.prompt_tokens"]),
        ({"prompt_tokens": "3.0"}, Usage(), ["usage.prompt_tokens"]),
        ({"prompt_tokens": " 3"}, Usage(), ["usage.prompt_tokens"]),
        ({"prompt_tokens": "1" * 21}, Usage(), ["usage.prompt_tokens"]),
        ({"prompt_tokens": "18446744073709551616"}, Usage(), ["usage.prompt_tokens"]),
        ({"completion_tokens": True}, Usage(), ["usage.completion_tokens"]),
        ({"prompt_tokens_details": [], "prompt_tokens": 2}, Usage(2), ["usage.prompt_tokens_details"]),
        (
            {"prompt_tokens_details": {"cached_tokens": 1.5}},
            Usage(),
            ["usage.prompt_tokens_details.cached_tokens"],
        ),
        (
            {"completion_tokens_details": {"reasoning_tokens": "4"}, "completion_tokens": 9},
            Usage(None, 9, reasoning_tokens=4, reasoning_token_count_source="provider"),
            [],
        ),
        (
            {"input_tokens": 1, "prompt_tokens": 2, "output_tokens": {}, "total_tokens": "x"},
            Usage(2),
            ["usage.output_tokens", "usage.total_tokens"],
        ),
        ([1], None, ["usage"]),
        ("12", None, ["usage"]),
    ],
)
def test_usage_fields_that_cannot_be_read_are_left_out_and_recorded(
    impl: ModuleType, usage: Any, expected: Usage | None, skipped: list[str]
) -> None:
    result = chat(impl, {"content": "x"}, usage=usage)
    assert result.usage == expected
    assert result.skipped == skipped
    assert result.message.content == "x"


@pytest.mark.parametrize(
    ("top", "message", "skipped"),
    [
        ({"id": 7, "model": ["m"], "created": "soon"}, {"content": "x"}, ["created", "id", "model"]),
        ({"created": "1700000000"}, {"content": "x"}, []),
        (
            {"system_fingerprint": {}, "service_tier": 1},
            {"content": "x"},
            ["service_tier", "system_fingerprint"],
        ),
        ({}, {"content": "x", "reasoning_content": {"text": "r"}}, ["choices[0].message.reasoning_content"]),
        (
            {},
            {"content": "x", "reasoning": 3, "refusal": []},
            ["choices[0].message.reasoning", "choices[0].message.refusal"],
        ),
        ({}, {"content": "x", "reasoning_details": [1]}, ["choices[0].message.reasoning_details"]),
        ({}, {"content": "x", "images": {"url": "u"}}, ["choices[0].message.images"]),
        (
            {},
            {"content": "x", "images": [3, {"image_url": 5}, {"url": "https://i/x.png"}]},
            ["choices[0].message.images[0]", "choices[0].message.images[1]"],
        ),
        (
            {},
            {
                "content": "x",
                "tool_calls": [{"id": 5, "type": [], "function": {"name": "f", "arguments": "{}"}}],
            },
            ["choices[0].message.tool_calls[0].id", "choices[0].message.tool_calls[0].type"],
        ),
    ],
)
def test_optional_fields_that_cannot_be_read_are_left_out(
    impl: ModuleType, top: dict[str, Any], message: dict[str, Any], skipped: list[str], caplog: Any
) -> None:
    with caplog.at_level("DEBUG", logger="modelwire.parsing"):
        result = chat(impl, message, **top)
    assert result.skipped == skipped
    assert result.message.content == "x"
    logged = [record.getMessage() for record in caplog.records if record.name == "modelwire.parsing"]
    if skipped:
        assert logged == [f"test response: optional fields not readable, left out: {', '.join(skipped)}"]
    else:
        assert logged == []
    for path in skipped:
        if path in ("id", "model", "created", "service_tier", "system_fingerprint"):
            assert getattr(result, path) is None


def test_a_skipped_choice_index_and_finish_reason_fall_back(impl: ModuleType) -> None:
    body = {"choices": [{"index": "first", "finish_reason": 1, "message": {"content": "x"}}]}
    result = impl.parse_chat_completion(orjson.dumps(body), "test")
    assert (result.choices[0].index, result.finish_reason) == (0, None)
    assert result.skipped == ["choices[0].finish_reason", "choices[0].index"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"choices": "x"}, "choices"),
        ({"choices": [3]}, "choices[0]"),
        ({"choices": [{"message": "hi"}]}, "choices[0].message"),
        ({"choices": [{"message": {"content": 3}}]}, "choices[0].message.content"),
        (
            {"choices": [{"message": {"tool_calls": [{"function": {"name": 3}}]}}]},
            "choices[0].message.tool_calls[0].function.name",
        ),
        ({"choices": [{"message": {"tool_calls": {}}}]}, "choices[0].message.tool_calls"),
    ],
)
def test_required_structure_stays_strict(impl: ModuleType, body: dict[str, Any], path: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        impl.parse_chat_completion(orjson.dumps(body), "test")
    assert info.value.path == path


def test_integers_beyond_64_bits_are_numbers_not_counts(impl: ModuleType) -> None:
    body = b'{"choices": [], "usage": {"total_tokens": 18446744073709551616}}'
    assert impl.parse_chat_completion(body).skipped == ["usage.total_tokens"]


def test_u64_token_counts_are_kept(impl: ModuleType) -> None:
    assert usage_of(impl, {"total_tokens": 18446744073709551615}) == Usage(total_tokens=2**64 - 1)
    assert usage_of(impl, {"total_tokens": -9223372036854775808}) == Usage(total_tokens=-(2**63))


@pytest.mark.parametrize(
    "native", [*FINISH_REASON_TABLE, "STOP", "MAX_TOKENS", "Tool_Use", "weird", "ß", "é"]
)
def test_finish_reasons_are_normalised_and_kept(impl: ModuleType, native: str) -> None:
    body = {"choices": [{"index": 0, "message": {"content": ""}, "finish_reason": native}]}
    choice = impl.parse_chat_completion(orjson.dumps(body)).choices[0]
    assert choice.native_finish_reason == native
    assert choice.finish_reason in FINISH_REASONS
    expected = FINISH_REASON_TABLE.get(native.lower(), "other") if native.isascii() else "other"
    assert choice.finish_reason == expected


@pytest.mark.parametrize("native", ["", None])
def test_empty_finish_reason_is_none(impl: ModuleType, native: str | None) -> None:
    body = {"choices": [{"message": {"content": "x"}, "finish_reason": native}]}
    choice = impl.parse_chat_completion(orjson.dumps(body)).choices[0]
    assert (choice.finish_reason, choice.native_finish_reason) == (None, None)


@pytest.mark.parametrize(
    ("message", "reasoning"),
    [
        ({"reasoning": "r1", "reasoning_content": "r2"}, "r1"),
        ({"reasoning": "", "reasoning_content": "r2"}, "r2"),
        ({"reasoning": None, "reasoning_content": ""}, None),
        (
            {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "a"}, {"text": "b"}]}]},
            "a\nb",
        ),
        ({"content": [{"type": "thinking", "thinking": "t"}, {"type": "reasoning", "text": "u"}]}, "t\nu"),
        (
            {
                "reasoning_details": [
                    {"type": "reasoning.text", "text": "d"},
                    {"type": "reasoning.encrypted", "data": "x"},
                ]
            },
            "d",
        ),
        (
            {"reasoning_details": [{"type": "reasoning.summary", "summary": "s"}], "reasoning_content": "c"},
            "c",
        ),
    ],
)
def test_reasoning_precedence(impl: ModuleType, message: dict[str, Any], reasoning: str | None) -> None:
    assert chat(impl, message).message.reasoning_content == reasoning


def test_content_blocks_are_joined_and_sorted_out(impl: ModuleType) -> None:
    message = {
        "content": [
            {"type": "text", "text": "one"},
            {"type": "thinking", "thinking": "hmm"},
            {"text": "two"},
            {"type": "output_text", "text": "three"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAA"}},
            {"type": "audio", "text": 5},
        ]
    }
    result = chat(impl, message).message
    assert result.content == "one\ntwo\nthree"
    assert result.reasoning_content == "hmm"
    assert result.images == [ImagePayload(b64_data="iVBORw0KGgoAAA", mime_type="image/png")]


def test_content_of_only_non_text_blocks_is_none(impl: ModuleType) -> None:
    assert chat(impl, {"content": [{"type": "thinking", "thinking": "x"}]}).message.content is None
    assert chat(impl, {"content": []}).message.content is None
    assert chat(impl, {"content": ""}).message.content == ""


def test_refusal_and_empty_refusal(impl: ModuleType) -> None:
    assert chat(impl, {"content": None, "refusal": "no"}).message.refusal == "no"
    assert chat(impl, {"content": "ok", "refusal": ""}).message.refusal is None


def test_missing_message_is_an_empty_message(impl: ModuleType) -> None:
    result = chat(impl, None)
    assert result.message.content is None
    assert result.choices[0].index == 0


def test_choices_keep_order_and_index_defaults_to_position(impl: ModuleType) -> None:
    body = {"choices": [{"index": 5, "message": {"content": "a"}}, {"message": {"content": "b"}}]}
    result = impl.parse_chat_completion(orjson.dumps(body))
    assert [(c.index, c.message.content) for c in result.choices] == [(5, "a"), (1, "b")]
    assert impl.parse_chat_completion(b'{"choices": []}').choices == []


def test_logprobs_are_plain_json(impl: ModuleType) -> None:
    logprobs = {"content": [{"token": "hi", "logprob": -0.25, "bytes": [104, 105], "top_logprobs": []}],
                "refusal": None}  # fmt: skip
    body = {"choices": [{"message": {"content": "hi"}, "logprobs": logprobs}]}
    assert impl.parse_chat_completion(orjson.dumps(body)).choices[0].logprobs == logprobs


def test_tool_calls(impl: ModuleType) -> None:
    calls = [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a": [1, 2.5, null]}'}},
        {"id": "", "function": {"name": "g", "arguments": {"x": 1, "y": "é"}}},
        {"function": {"name": "h"}},
        {"id": "c4", "type": "custom", "custom": {"name": "sql", "input": "SELECT 1"}},
        {"id": "c5", "function": {"name": "bad", "arguments": "{oops"}},
    ]
    message = chat(impl, {"content": None, "tool_calls": calls}).message
    a, b, c, d, e = message.tool_calls
    assert (a.id, a.name, a.arguments_json, a.arguments) == ("call_1", "f", '{"a": [1, 2.5, null]}',
                                                             {"a": [1, 2.5, None]})  # fmt: skip
    assert b.id.startswith(GENERATED_ID_PREFIX)
    assert c.id.startswith(GENERATED_ID_PREFIX)
    assert b.id != c.id
    assert (b.arguments_json, b.arguments) == ('{"x":1,"y":"é"}', {"x": 1, "y": "é"})
    assert (c.arguments_json, c.arguments) == ("{}", {})
    assert (d.name, d.arguments_json) == ("sql", "SELECT 1")
    with pytest.raises(ToolArgumentsError):
        _ = d.arguments
    with pytest.raises(ToolArgumentsError) as info:
        _ = e.arguments
    assert info.value.call_id == "c5"


def test_legacy_function_call_becomes_a_tool_call(impl: ModuleType) -> None:
    message = chat(
        impl, {"content": None, "function_call": {"name": "Joke", "arguments": '{"a": 1}'}}
    ).message
    (call,) = message.tool_calls
    assert (call.name, call.arguments) == ("Joke", {"a": 1})
    assert call.id.startswith(GENERATED_ID_PREFIX)
    ignored = chat(impl, {"content": "x", "function_call": {"name": "", "arguments": ""}}).message
    assert ignored.tool_calls == []


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ({"tool_calls": [{"id": "a"}]}, "choices[0].message.tool_calls[0].function"),
        ({"tool_calls": [{"function": None}]}, "choices[0].message.tool_calls[0].function"),
        (
            {"tool_calls": [{"function": {"arguments": "{}"}}]},
            "choices[0].message.tool_calls[0].function.name",
        ),
        ({"tool_calls": [{"function": {"name": 3}}]}, "choices[0].message.tool_calls[0].function.name"),
        (
            {"tool_calls": [{"function": {"name": "f", "arguments": [1]}}]},
            "choices[0].message.tool_calls[0].function.arguments",
        ),
        ({"tool_calls": [{"type": "custom"}]}, "choices[0].message.tool_calls[0].custom"),
        ({"tool_calls": {}}, "choices[0].message.tool_calls"),
        ({"tool_calls": ["x"]}, "choices[0].message.tool_calls[0]"),
        ({"content": 5}, "choices[0].message.content"),
        ({"content": ["text"]}, "choices[0].message.content[0]"),
        ({"content": [{"type": "text", "text": 1}]}, "choices[0].message.content[0].text"),
        ({"content": [{"type": 1}]}, "choices[0].message.content[0].type"),
        ({"content": [{"type": "thinking", "thinking": 2}]}, "choices[0].message.content[0].thinking"),
        ({"function_call": {"name": 1}}, "choices[0].message.function_call.name"),
    ],
)
def test_message_faults_name_their_path(impl: ModuleType, message: dict[str, Any], path: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        chat(impl, message)
    assert info.value.path == path


@pytest.mark.parametrize(
    ("message", "skipped"),
    [
        ({"tool_calls": [{"id": 7, "function": {"name": "f"}}]}, "choices[0].message.tool_calls[0].id"),
        ({"reasoning": 1, "content": "x"}, "choices[0].message.reasoning"),
        ({"reasoning": "fine", "reasoning_content": []}, "choices[0].message.reasoning_content"),
        (
            {"reasoning_details": [{"type": "reasoning.text", "text": {}}]},
            "choices[0].message.reasoning_details",
        ),
        ({"refusal": False}, "choices[0].message.refusal"),
        ({"images": [{"image_url": 3}]}, "choices[0].message.images[0]"),
        ({"images": [{"image_url": {"url": None}, "url": 1}]}, "choices[0].message.images[0]"),
    ],
)
def test_optional_message_fields_are_skipped_with_their_path(
    impl: ModuleType, message: dict[str, Any], skipped: str
) -> None:
    assert chat(impl, message).skipped == [skipped]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"choices": {}}, "choices", "expected an array, got object"),
        ({"choices": None}, "choices", "expected an array, got null"),
        ({}, "choices", "missing required field"),
        ({"choices": [1]}, "choices[0]", "expected an object, got integer"),
        ({"choices": [{"message": "hi"}]}, "choices[0].message", "expected an object, got string"),
        (
            {"error": {"message": "quota", "code": 429}},
            "error",
            "the response holds an error instead of a result: quota",
        ),
        (
            {"error": "boom", "choices": None},
            "error",
            "the response holds an error instead of a result: boom",
        ),
        ({"error": {"code": 1}}, "error", "the response holds an error instead of a result: "),
    ],
)
def test_top_level_faults(impl: ModuleType, body: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        impl.parse_chat_completion(orjson.dumps(body), "p")
    assert (info.value.path, info.value.message) == (path, message)
    assert info.value.offset is None


def test_error_next_to_choices_is_ignored(impl: ModuleType) -> None:
    body = {"error": {"message": "x"}, "choices": [{"message": {"content": "ok"}, "finish_reason": "error"}]}
    result = impl.parse_chat_completion(orjson.dumps(body))
    assert (result.message.content, result.finish_reason) == ("ok", "error")


def test_chat_images_and_generated_image_count(impl: ModuleType) -> None:
    message = {
        "content": "here",
        "images": [
            {"type": "image_url", "image_url": {"url": "data:image/webp;base64,UklGRxxx"}},
            {"type": "image_url", "image_url": "https://x.test/a.png"},
            {"url": "data:;base64,/9j/4AAQ"},
            {"type": "image_url"},
        ],
    }
    result = chat(impl, message, usage={"prompt_tokens": 1, "completion_tokens": 2})
    assert result.message.images == [
        ImagePayload(b64_data="UklGRxxx", mime_type="image/webp"),
        ImagePayload(url="https://x.test/a.png"),
        ImagePayload(b64_data="/9j/4AAQ", mime_type="image/jpeg"),
    ]
    assert result.usage == Usage(1, 2, 3, generated_images=3)
    assert chat(impl, message).usage == Usage(generated_images=3)


def test_body_must_be_bytes(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.parse_chat_completion('{"choices": []}')
