"""The twin contract for Anthropic Messages: whatever the bytes, the Rust parser and the pure-Python twin
give equal objects or the same error (docs/parsing-rules-anthropic.md)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corpus_files import Recording, recordings
from modelwire import ResponseParseError
from parse_support import ANTHROPIC_TEMPLATE as TEMPLATE
from parse_support import both, error_signature, mutate, outcome

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAME = "parse_anthropic_message"
MESSAGES = list(recordings("messages"))


def _agree(body: bytes, provider: str = "anthropic", *, same_fault: bool = False) -> tuple[str, Any]:
    """Both outcomes match; with ``same_fault`` a shape fault must also be worded and placed alike."""
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
    # Whether the bytes are JSON at all is never in doubt: a syntax error has no path, a shape fault has.
    assert (a.path is None) == (b.path is None), (a, b)
    assert (a.offset is None) == (b.offset is None), (a, b)
    if same_fault or (a.path is None and a.offset is None):
        assert error_signature(a) == error_signature(b)
    return kind_a, a


@pytest.mark.parametrize("recording", MESSAGES, ids=lambda r: r.id)
def test_every_corpus_message_parses_alike(recording: Recording) -> None:
    kind, _ = _agree(recording.body, recording.provider, same_fault=True)
    assert kind == "ok"


def test_the_corpus_holds_both_message_sources() -> None:
    providers = {r.provider for r in MESSAGES}
    assert providers == {"anthropic", "pydantic_gateway_local"}
    assert len(MESSAGES) >= 27


PIECES = [
    b",", b'"', b"\\", b"{", b"]", b"null", b"1e999", b"\xff", b"\\ud800", b" ", b"\x00", b"-", b"0", b"true",
    b'"type":"tool_use",', b'"type":"thinking",', b'"type":"redacted_thinking",', b'"name":null,',
    b'"input":{"a":1,"a":[]},', b'"text":"x",', b'"content":null,', b'"usage":{},',
    b'"stop_reason":"refusal",',
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    body = draw(st.sampled_from(MESSAGES)).body
    return mutate(draw, body, PIECES)


@SETTINGS
@given(mutated())
def test_mutated_corpus_bodies(body: bytes) -> None:
    _agree(body)


@SETTINGS
@given(st.binary(max_size=64))
def test_random_bytes(body: bytes) -> None:
    _agree(body)


def test_every_strict_prefix_of_a_body_is_an_error_in_both() -> None:
    pure, rust = both()
    for recording in MESSAGES[::3]:
        body = recording.body.rstrip()
        for end in range(0, len(body), max(1, len(body) // 40)):
            for parse in (pure.parse_anthropic_message, rust.parse_anthropic_message):
                with pytest.raises(ResponseParseError):
                    parse(body[:end])


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["text", "thinking", "redacted_thinking", "tool_use", "refusal", ""])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
BLOCK_KEYS = st.sampled_from(["type", "text", "thinking", "signature", "data", "id", "name", "input", "x"])
blocks = st.dictionaries(BLOCK_KEYS, json_values, max_size=5) | json_values

FIELDS = [
    ("id",), ("model",), ("stop_reason",), ("stop_sequence",), ("stop_details",),
    ("stop_details", "explanation"), ("content",), ("content", 0), ("content", 0, "type"),
    ("content", 0, "thinking"), ("content", 0, "signature"), ("content", 1, "data"), ("content", 1, "type"),
    ("content", 2, "text"), ("content", 2, "type"), ("content", 3, "id"), ("content", 3, "name"),
    ("content", 3, "input"), ("content", 3, "type"), ("usage",), ("usage", "input_tokens"),
    ("usage", "cache_read_input_tokens"), ("usage", "cache_creation_input_tokens"),
    ("usage", "output_tokens"),
    ("usage", "output_tokens_details"), ("usage", "output_tokens_details", "thinking_tokens"),
    ("usage", "service_tier"), ("error",),
]  # fmt: skip


def _place(path: tuple[Any, ...], value: Any) -> bytes:
    document = orjson.loads(orjson.dumps(TEMPLATE))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    # The standard library writes integers beyond 64 bits, which orjson refuses to.
    return json.dumps(document).encode()


@SETTINGS
@given(st.sampled_from(FIELDS), json_values)
def test_any_value_in_any_field(path: tuple[Any, ...], value: Any) -> None:
    _agree(_place(path, value), same_fault=True)


@SETTINGS
@given(st.lists(blocks, max_size=5), st.sampled_from([None, "refusal", "end_turn"]))
def test_any_blocks(content: list[Any], stop_reason: str | None) -> None:
    document = dict(TEMPLATE, content=content, stop_reason=stop_reason)
    _agree(json.dumps(document).encode())


@SETTINGS
@given(st.sampled_from(FIELDS), json_values, st.sampled_from([0, 1]))
def test_duplicate_keys_keep_the_last_value(path: tuple[Any, ...], value: Any, order: int) -> None:
    assume(isinstance(path[-1], str))
    good = json.dumps(TEMPLATE).encode()
    # A second occurrence of the field's key (its first occurrence in the body), before or after it.
    key = json.dumps(path[-1]).encode() + b": "
    extra = key + json.dumps(value).encode() + b", "
    at = good.find(key)
    assume(at >= 0)
    body = good[:at] + extra + good[at:] if order == 0 else good[:at] + good[at:].replace(key, extra + key, 1)
    _agree(body)


input_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=6)


@SETTINGS
@given(input_objects, st.lists(st.tuples(st.text(max_size=3), json_values), max_size=3))
def test_tool_input_is_written_as_orjson_writes_it(
    value: dict[str, Any], repeats: list[tuple[str, Any]]
) -> None:
    # Written by hand so keys can repeat (orjson keeps each key at its first place with its last value).
    members = [json.dumps(k) + ":" + json.dumps(v) for k, v in [*value.items(), *repeats, *value.items()]]
    text = "{" + ",".join(members) + "}"
    body = b'{"content": [{"type": "tool_use", "id": "t", "name": "f", "input": ' + text.encode() + b"}]}"
    kind, result = _agree(body)
    assert kind == "ok"
    call = result.message.tool_calls[0]
    loaded = orjson.loads(text)
    assert (call.arguments_json, call.arguments) == (orjson.dumps(loaded).decode(), loaded)


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    ("input_text", "ok"),
    [
        ('{"a": ' + _nested(253) + "}", True),  # 254 levels counting the input object itself
        ('{"a": ' + _nested(254) + "}", False),
        ('{"a": ' + _nested(600) + ', "a": 1}', True),  # the deep value is replaced by a later duplicate
        ('{"b": {"a": ' + _nested(300) + ', "a": 2}, "a": ' + _nested(300) + "}", False),
    ],
    ids=["254", "255", "replaced", "replaced-then-deep"],
)
def test_tool_input_deeper_than_orjson_writes_is_a_fault(input_text: str, ok: bool) -> None:
    body = b'{"content": [{"type": "tool_use", "name": "f", "input": ' + input_text.encode() + b"}]}"
    kind, result = _agree(body, same_fault=True)
    assert kind == ("ok" if ok else "error")
    if not ok:
        assert (result.message, result.path) == ("nested more than 254 levels deep", "content[0].input")


@pytest.mark.parametrize("count", [2**63 - 1, 2**64 - 1, -(2**63)])
def test_token_sums_beyond_64_bits_stay_exact(count: int) -> None:
    usage = {"input_tokens": count, "cache_read_input_tokens": count, "cache_creation_input_tokens": count,
             "output_tokens": count}  # fmt: skip
    kind, result = _agree(json.dumps({"content": [], "usage": usage}).encode())
    assert kind == "ok"
    assert (result.usage.input_tokens, result.usage.total_tokens) == (3 * count, 4 * count)


@pytest.mark.parametrize("provider", ["anthropic", "bedrock-claude"])
def test_provider_label_is_carried_alike(provider: str) -> None:
    _, result = _agree(MESSAGES[0].body, provider)
    assert result.provider == provider
    kind, error = _agree(b'{"content": 1}', provider, same_fault=True)
    assert (kind, error.provider) == ("error", provider)
