"""Anthropic Messages responses -> canonical types (docs/parsing-rules-anthropic.md), on hand-made bodies,
on every corpus response, and against the official anthropic SDK as an oracle; every test runs on the
twin and on the Rust parser (their agreement on any bytes is tests/test_parse_anthropic_twin.py)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import anthropic.types as sdk
import anthropic.types.beta as sdk_beta
import orjson
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_files import Recording, recordings
from modelwire import ResponseParseError
from modelwire.parsing import anthropic as dispatch
from modelwire.parsing.pure.anthropic import parse_anthropic_message as pure_parse
from modelwire.types import (
    GENERATED_ID_PREFIX,
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    ThinkingBlock,
    ToolCall,
    Usage,
)
from parse_support import ANTHROPIC_TEMPLATE as TEMPLATE
from parse_support import rust

MESSAGES = list(recordings("messages", providers=("anthropic",)))
Parse = Callable[..., ChatCompletionResponse]
PARSERS = [
    pytest.param(pure_parse, id="python"),
    pytest.param(
        getattr(rust, "parse_anthropic_message", None),
        id="rust",
        marks=pytest.mark.skipif(rust is None, reason="extension not built"),
    ),
]
both_parsers = pytest.mark.parametrize("parse", PARSERS)


def _body(blocks: list[Any], **top: Any) -> bytes:
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": blocks,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
        **top,
    }
    return json.dumps(message).encode()


@both_parsers
def test_every_block_kind_maps_to_its_canonical_field(parse: Parse) -> None:
    body = _body(
        [
            {"type": "thinking", "thinking": "first, think", "signature": "sig-1"},
            {"type": "redacted_thinking", "data": "ENCRYPTED"},
            {"type": "text", "text": "The answer is "},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"q": "x"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "text", "text": "42", "citations": [{"type": "web_search_result_location"}]},
            {"type": "thinking", "thinking": "then, check", "signature": "sig-2"},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"b": 1, "a": [True, None]}},
        ],
        stop_reason="tool_use",
        usage={
            "input_tokens": 3,
            "cache_read_input_tokens": 2600,
            "cache_creation_input_tokens": 7,
            "output_tokens": 76,
            "output_tokens_details": {"thinking_tokens": 40},
            "service_tier": "standard",
        },
    )
    response = parse(body)
    assert response == ChatCompletionResponse(
        id="msg_01",
        model="claude-sonnet-4-5",
        choices=[
            ChatCompletionChoice(
                0,
                AssistantMessage(
                    content="The answer is 42",
                    reasoning_content="first, think\nthen, check",
                    tool_calls=[ToolCall("toolu_1", "lookup", '{"b":1,"a":[true,null]}')],
                    thinking_blocks=[
                        ThinkingBlock("first, think", "sig-1"),
                        ThinkingBlock(redacted_data="ENCRYPTED"),
                        ThinkingBlock("then, check", "sig-2"),
                    ],
                ),
                "tool_calls",
                "tool_use",
            )
        ],
        usage=Usage(2610, 76, 2686, 40, 2600, 7, "provider"),
        provider="anthropic",
        service_tier="standard",
    )
    assert response.message.tool_calls[0].arguments == {"b": 1, "a": [True, None]}
    assert response.body == body
    assert response.raw["content"][3]["type"] == "server_tool_use"


@pytest.mark.parametrize(
    ("native", "canonical"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("pause_turn", "pause"),
        ("refusal", "refusal"),
        ("model_context_window_exceeded", "context_window_exceeded"),
        ("", None),
        (None, None),
    ],
)
@both_parsers
def test_stop_reasons_follow_the_shared_table(
    parse: Parse, native: str | None, canonical: str | None
) -> None:
    choice = parse(_body([], stop_reason=native)).choices[0]
    assert (choice.finish_reason, choice.native_finish_reason) == (canonical, native or None)


@both_parsers
def test_a_refusal_carries_its_explanation_and_other_stops_do_not(parse: Parse) -> None:
    details = {"type": "refusal", "category": "cyber", "explanation": "blocked under the usage policy"}
    refused = parse(_body([], stop_reason="refusal", stop_details=details)).message
    assert (refused.content, refused.refusal) == (None, "blocked under the usage policy")
    ended = parse(_body([{"type": "text", "text": "ok"}], stop_details=details)).message
    assert ended.refusal is None


@both_parsers
def test_usage_counts_are_never_invented(parse: Parse) -> None:
    bare = parse(_body([], usage={"input_tokens": 10, "output_tokens": 20})).usage
    assert bare == Usage(10, 20, 30)
    no_input = parse(_body([], usage={"cache_read_input_tokens": 5, "output_tokens": 2})).usage
    assert no_input == Usage(None, 2, None, cache_read_tokens=5)
    assert parse(_body([], usage=None)).usage is None


@both_parsers
def test_empty_text_and_thinking_without_text_are_kept_apart_from_absence(parse: Parse) -> None:
    message = parse(
        _body([{"type": "thinking", "thinking": "", "signature": "s"}, {"type": "text", "text": ""}])
    )
    assert message.message.content == ""
    assert message.message.reasoning_content is None
    assert message.message.thinking_blocks == [ThinkingBlock("", "s")]
    assert parse(_body([])).message.content is None


@both_parsers
def test_tool_use_without_id_or_input(parse: Parse) -> None:
    call = parse(_body([{"type": "tool_use", "name": "ping"}])).message.tool_calls[0]
    assert call.id.startswith(GENERATED_ID_PREFIX)
    assert (call.name, call.arguments_json, call.arguments) == ("ping", "{}", {})


@pytest.mark.parametrize(
    ("body", "message", "path"),
    [
        (b"", "empty response body", None),
        (b"[1]", "expected a JSON object, got array", None),
        (_body([], content=None), "expected an array, got null", "content"),
        (b'{"id": "msg"}', "missing required field", "content"),
        (_body([], content={"type": "text"}), "expected an array, got object", "content"),
        (_body(["text"]), "expected an object, got string", "content[0]"),
        (_body([{"type": "text", "text": 3}]), "expected a string, got integer", "content[0].text"),
        (_body([{"type": "tool_use", "id": "t"}]), "missing required field", "content[0].name"),
        (_body([{"type": "tool_use", "name": "f", "input": "{}"}]), "expected an object, got string",
         "content[0].input"),
        (_body([{"type": "redacted_thinking"}]), "missing required field", "content[0].data"),
        (_body([{"type": "thinking", "thinking": "t", "signature": 1}]), "expected a string, got integer",
         "content[0].signature"),
        (_body([{"type": "tool_use", "name": "f", "input": {"a": json.loads("[" * 254 + "]" * 254)}}]),
         "nested more than 254 levels deep", "content[0].input"),
    ],
)  # fmt: skip
@both_parsers
def test_malformed_bodies_raise_with_the_field_path(
    parse: Parse, body: bytes, message: str, path: str | None
) -> None:
    with pytest.raises(ResponseParseError) as caught:
        parse(body, "anthropic-gw")
    assert caught.value.message == message
    assert caught.value.path == path
    assert caught.value.provider == "anthropic-gw"


@both_parsers
def test_an_error_object_instead_of_a_message_says_so(parse: Parse) -> None:
    body = b'{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}'
    with pytest.raises(ResponseParseError) as caught:
        parse(body)
    assert caught.value.message == "the response holds an error instead of a result: Overloaded"
    assert caught.value.path == "error"


def test_dispatch_uses_the_rust_parser_when_the_extension_is_loaded() -> None:
    from modelwire._backend import core

    expected = pure_parse if core is None else core.parse_anthropic_message
    assert dispatch.parse_anthropic_message is expected


@pytest.mark.parametrize("recording", MESSAGES, ids=lambda r: r.id)
@both_parsers
def test_every_corpus_message_parses_and_keeps_every_block(parse: Parse, recording: Recording) -> None:
    response = parse(recording.body)
    data = orjson.loads(recording.body)
    blocks = data["content"]
    texts = [b["text"] for b in blocks if b["type"] == "text"]
    assert response.message.content == ("".join(texts) if texts else None)
    assert [c.id for c in response.message.tool_calls] == [b["id"] for b in blocks if b["type"] == "tool_use"]
    kept = [b for b in blocks if b["type"] in ("thinking", "redacted_thinking")]
    assert len(response.message.thinking_blocks) == len(kept)
    assert response.choices[0].native_finish_reason == data["stop_reason"]


def _sdk_message(body: bytes) -> Any:
    for cls in (sdk.Message, sdk_beta.BetaMessage):
        try:
            return cls.model_validate_json(body)
        except pydantic.ValidationError:
            continue
    return None


@both_parsers
def test_the_official_sdk_agrees_where_it_parses_the_same_body(parse: Parse) -> None:
    compared = 0
    for recording in MESSAGES:
        oracle = _sdk_message(recording.body)
        if oracle is None:
            continue  # the SDK's schema lags the API (e.g. web_fetch_requests required); nothing to compare
        compared += 1
        ours = parse(recording.body)
        texts = [b.text for b in oracle.content if b.type == "text"]
        assert ours.message.content == ("".join(texts) if texts else None), recording.id
        calls = [(b.id, b.name, b.input) for b in oracle.content if b.type == "tool_use"]
        assert [(c.id, c.name, c.arguments) for c in ours.message.tool_calls] == calls, recording.id
        thinking = [
            (b.thinking, b.signature, None) if b.type == "thinking" else (None, None, b.data)
            for b in oracle.content
            if b.type in ("thinking", "redacted_thinking")
        ]
        assert [(t.thinking, t.signature, t.redacted_data) for t in ours.message.thinking_blocks] == thinking
        assert ours.choices[0].native_finish_reason == oracle.stop_reason, recording.id
        usage = oracle.usage
        cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
        assert ours.usage is not None
        assert ours.usage.input_tokens == usage.input_tokens + cached, recording.id
        assert ours.usage.output_tokens == usage.output_tokens, recording.id
        assert ours.usage.cache_read_tokens == usage.cache_read_input_tokens, recording.id
        assert ours.usage.cache_write_tokens == usage.cache_creation_input_tokens, recording.id
        assert (ours.id, ours.model) == (oracle.id, oracle.model)
    assert compared >= 20, f"the SDK parsed only {compared} of {len(MESSAGES)} corpus messages"


FIELDS = [
    ("id",), ("model",), ("stop_reason",), ("stop_sequence",), ("stop_details",),
    ("stop_details", "explanation"), ("content",), ("content", 0), ("content", 0, "type"),
    ("content", 0, "thinking"), ("content", 0, "signature"),
    ("content", 1, "data"), ("content", 2, "text"), ("content", 3, "id"), ("content", 3, "name"),
    ("content", 3, "input"), ("usage",), ("usage", "input_tokens"), ("usage", "cache_read_input_tokens"),
    ("usage", "output_tokens_details"), ("usage", "output_tokens_details", "thinking_tokens"),
    ("usage", "service_tier"), ("error",),
]  # fmt: skip
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@both_parsers
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FIELDS), JSON)
def test_any_value_in_any_field_parses_or_raises_a_parse_error(
    parse: Parse, path: tuple[Any, ...], value: Any
) -> None:
    document = json.loads(json.dumps(TEMPLATE))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    try:
        body = orjson.dumps(document)
    except orjson.JSONEncodeError:
        return  # an integer JSON cannot carry
    try:
        result = parse(body)
    except ResponseParseError as error:
        failed_at = error.path
    else:
        failed_at = None
        assert len(result.choices) == 1
    assert failed_at is None or failed_at.split(".")[0].split("[")[0] in {p[0] for p in FIELDS}


@both_parsers
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MESSAGES), st.integers(0, 10_000), st.binary(max_size=3))
def test_damaged_corpus_bodies_never_crash_the_parser(
    parse: Parse, recording: Recording, at: int, junk: bytes
) -> None:
    body = recording.body
    at %= len(body) + 1
    with contextlib.suppress(ResponseParseError):
        parse(body[:at] + junk + body[at + len(junk) :])


@pytest.mark.parametrize(
    ("body", "skipped"),
    [
        (_body([], usage={"input_tokens": "x10"}), ["usage.input_tokens"]),
        (_body([], usage={"output_tokens_details": {"thinking_tokens": 1.5}}),
         ["usage.output_tokens_details.thinking_tokens"]),
        (_body([], usage={"output_tokens_details": 2}), ["usage.output_tokens_details"]),
        (_body([], usage=[1]), ["usage"]),
        (_body([], stop_details={"explanation": 1}), ["stop_details.explanation"]),
        (_body([], stop_details="x", stop_sequence=["x"]), ["stop_details", "stop_sequence"]),
        (_body([{"type": "tool_use", "name": "f", "id": 3}], stop_reason=4),
         ["content[0].id", "stop_reason"]),
    ],
)  # fmt: skip
@both_parsers
def test_optional_fields_that_cannot_be_read_are_skipped(
    parse: Parse, body: bytes, skipped: list[str]
) -> None:
    assert parse(body).skipped == skipped


@both_parsers
def test_counts_sent_as_strings_are_read(parse: Parse) -> None:
    usage = parse(_body([], usage={"input_tokens": "10", "output_tokens": "2"})).usage
    assert (usage.input_tokens, usage.output_tokens) == (10, 2)
