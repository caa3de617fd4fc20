"""Bedrock Converse responses (docs/parsing-rules-bedrock.md): the recorded bodies parse to what the rules
say, and whatever the bytes, the Rust parser and the pure-Python twin give equal objects or the same
error (the twin contract)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corpus_files import Recording, recordings
from modelwire import ResponseParseError
from modelwire.parsing import parse_bedrock_converse
from modelwire.types import ThinkingBlock, Usage
from parse_support import both, error_signature, mutate, outcome

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAME = "parse_bedrock_converse"
CONVERSE = list(recordings("converse", providers=("bedrock",)))

TEMPLATE = {
    "output": {"message": {"role": "assistant", "content": [
        {"reasoningContent": {"reasoningText": {"text": "t", "signature": "s"}}},
        {"reasoningContent": {"redactedContent": "cmVk"}},
        {"text": "a"},
        {"citationsContent": {"content": [{"text": "b"}], "citations": []}},
        {"toolUse": {"toolUseId": "tooluse_1", "name": "f", "input": {"x": 1}}},
        {"toolUse": {"toolUseId": "tooluse_2", "name": "srv", "type": "server_tool_use", "input": {}}},
    ]}},
    "stopReason": "tool_use",
    "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 10, "cacheReadInputTokens": 3,
              "cacheWriteInputTokens": 4},
    "serviceTier": {"type": "flex"},
    "metrics": {"latencyMs": 5},
}  # fmt: skip


def _agree(body: bytes, provider: str = "bedrock", *, same_fault: bool = False) -> tuple[str, Any]:
    pure, rust = both()
    kind_a, a = outcome(getattr(pure, NAME), body, provider)
    kind_b, b = outcome(getattr(rust, NAME), body, provider)
    assert kind_a == kind_b, (a, b)
    if kind_a == "ok":
        assert a == b
        assert repr(a) == repr(b)
        for call_a, call_b in zip(a.message.tool_calls, b.message.tool_calls, strict=True):
            assert call_a.arguments == call_b.arguments
        return kind_a, a
    assert type(a) is type(b) is ResponseParseError, (a, b)
    assert a.provider == b.provider == provider
    assert (a.path is None) == (b.path is None), (a, b)
    assert (a.offset is None) == (b.offset is None), (a, b)
    if same_fault or (a.path is None and a.offset is None):
        assert error_signature(a) == error_signature(b)
    return kind_a, a


@pytest.mark.parametrize("recording", CONVERSE, ids=lambda r: r.id)
def test_every_corpus_body_parses_alike(recording: Recording) -> None:
    kind, result = _agree(recording.body, same_fault=True)
    assert kind == "ok"
    assert result.provider == "bedrock"
    assert len(result.choices) == 1


def test_the_template_reads_as_the_rules_say() -> None:
    result = parse_bedrock_converse(orjson.dumps(TEMPLATE))
    message = result.message
    assert message.content == "ab"  # text and cited text, joined with nothing
    assert message.reasoning_content == "t"
    assert message.thinking_blocks == [ThinkingBlock("t", "s"), ThinkingBlock(redacted_data="cmVk")]
    # The server tool ran on Bedrock's side: not a call for the caller.
    assert [(c.id, c.name, c.arguments_json) for c in message.tool_calls] == [("tooluse_1", "f", '{"x":1}')]
    assert (result.finish_reason, result.choices[0].native_finish_reason) == ("tool_calls", "tool_use")
    assert result.usage == Usage(8, 2, 10, None, 3, 4)
    assert result.service_tier == "flex"
    assert (result.id, result.model) == (None, None)


def test_recorded_cache_counts_are_summed_into_the_input() -> None:
    (recording,) = [r for r in CONVERSE if "cache_messages_with_image" in r.id]
    usage = parse_bedrock_converse(recording.body).usage
    # cacheDetails splits the writes by TTL (all of them 5-minute ones here).
    assert usage == Usage(3 + 2074 + 297, 61, 2435, None, 2074, 297, cache_write_5m_tokens=297)


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("tool_use", "tool_calls"),
        ("max_tokens", "length"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
        ("model_context_window_exceeded", "context_window_exceeded"),
        ("something_new", "other"),
    ],
)
def test_stop_reasons_go_through_the_shared_table(stop: str, finish: str) -> None:
    body = orjson.dumps(dict(TEMPLATE, stopReason=stop))
    _, result = _agree(body)
    assert (result.finish_reason, result.choices[0].native_finish_reason) == (finish, stop)


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        ({"message": "The security token is invalid."}, "message",
         "the response holds an error instead of a result: The security token is invalid."),
        ({"Message": "Bad"}, "Message", "the response holds an error instead of a result: Bad"),
        ({}, "output", "missing required field"),
        ({"output": None}, "output", "expected an object, got null"),
        ({"output": {}}, "output.message", "missing required field"),
        ({"output": {"message": []}}, "output.message", "expected an object, got array"),
        ({"output": {"message": {}}}, "output.message.content", "missing required field"),
        ({"output": {"message": {"content": None}}}, "output.message.content", "expected an array, got null"),
        ({"output": {"message": {"content": [1]}}}, "output.message.content[0]",
         "expected an object, got integer"),
        ({"output": {"message": {"content": [{"toolUse": {"input": 1}, "text": 2}]}}},
         "output.message.content[0].text", "expected a string, got integer"),
        ({"output": {"message": {"content": [{"toolUse": {"input": 1}}]}}},
         "output.message.content[0].toolUse.name", "missing required field"),
        ({"output": {"message": {"content": [{"toolUse": {"name": "f", "input": 1}}]}}},
         "output.message.content[0].toolUse.input", "expected an object, got integer"),
        ({"output": {"message": {"content": [{"reasoningContent": {"reasoningText": {"text": 1}}}]}}},
         "output.message.content[0].reasoningContent.reasoningText.text", "expected a string, got integer"),
        ({"output": {"message": {"content": [{"citationsContent": {"content": [1]}}]}}},
         "output.message.content[0].citationsContent.content[0]", "expected an object, got integer"),
        ({"output": {"message": {"content": []}}, "usage": {"inputTokens": 1.5}},
         "usage.inputTokens", "expected an integer, got number"),
        ({"output": {"message": {"content": []}}, "serviceTier": "flex"},
         "serviceTier", "expected an object, got string"),
    ],
)  # fmt: skip
def test_faults_are_named_alike(document: dict[str, Any], path: str, message: str) -> None:
    kind, error = _agree(orjson.dumps(document), same_fault=True)
    assert kind == "error"
    assert (error.path, error.message) == (path, message)


PIECES = [
    b",", b'"', b"\\", b"{", b"]", b"null", b"1e999", b"\xff", b" ", b"-", b"0", b"true",
    b'"text":"x",', b'"toolUse":{"name":"f","input":{"a":1,"a":[]}},', b'"reasoningContent":{},',
    b'"content":null,', b'"usage":{},', b'"type":"server_tool_use",', b'"stopReason":"max_tokens",',
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    body = draw(st.sampled_from([*[r.body for r in CONVERSE], orjson.dumps(TEMPLATE)]))
    return mutate(draw, body, PIECES)


@SETTINGS
@given(mutated())
def test_mutated_bodies(body: bytes) -> None:
    _agree(body)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["server_tool_use", "tool_use", ""])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    ("output",), ("output", "message"), ("output", "message", "content"),
    ("output", "message", "content", 0), ("output", "message", "content", 0, "reasoningContent"),
    ("output", "message", "content", 0, "reasoningContent", "reasoningText"),
    ("output", "message", "content", 0, "reasoningContent", "reasoningText", "signature"),
    ("output", "message", "content", 1, "reasoningContent", "redactedContent"),
    ("output", "message", "content", 2, "text"), ("output", "message", "content", 3, "citationsContent"),
    ("output", "message", "content", 3, "citationsContent", "content"),
    ("output", "message", "content", 4, "toolUse"), ("output", "message", "content", 4, "toolUse", "name"),
    ("output", "message", "content", 4, "toolUse", "toolUseId"),
    ("output", "message", "content", 4, "toolUse", "input"),
    ("output", "message", "content", 5, "toolUse", "type"),
    ("stopReason",), ("usage",), ("usage", "inputTokens"), ("usage", "totalTokens"),
    ("usage", "cacheWriteInputTokens"), ("serviceTier",), ("serviceTier", "type"), ("message",),
]  # fmt: skip


def _place(path: tuple[Any, ...], value: Any) -> bytes:
    document = orjson.loads(orjson.dumps(TEMPLATE))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(document).encode()


@SETTINGS
@given(st.sampled_from(FIELDS), json_values)
def test_any_value_in_any_field(path: tuple[Any, ...], value: Any) -> None:
    _agree(_place(path, value), same_fault=True)


@SETTINGS
@given(st.sampled_from(FIELDS), json_values, st.sampled_from([0, 1]))
def test_duplicate_keys_keep_the_last_value(path: tuple[Any, ...], value: Any, order: int) -> None:
    assume(isinstance(path[-1], str))
    good = json.dumps(TEMPLATE).encode()
    key = json.dumps(path[-1]).encode() + b": "
    extra = key + json.dumps(value).encode() + b", "
    at = good.find(key)
    assume(at >= 0)
    body = good[:at] + extra + good[at:] if order == 0 else good[:at] + good[at:].replace(key, extra + key, 1)
    _agree(body)


@SETTINGS
@given(st.binary(max_size=64))
def test_random_bytes(body: bytes) -> None:
    _agree(body)
