"""The twin contract for Responses API bodies: whatever the bytes, the Rust parser and the pure-Python twin
give equal objects or the same error, worded and placed alike (docs/parsing-rules-responses.md)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from modelwire import ResponseParseError
from parse_support import both, error_signature, mutate, outcome
from test_responses_corpus import BODIES

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAME = "parse_responses"

# One output item of each kind and every field the rules read: the base the mutation tests change.
TEMPLATE = {
    "id": "resp_1", "model": "gpt-5", "created_at": 1700000000, "status": "incomplete",
    "incomplete_details": {"reason": "max_output_tokens"}, "service_tier": "default", "error": None,
    "output": [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "s"}],
         "content": [{"type": "reasoning_text", "text": "r"}], "encrypted_content": "enc"},
        {"type": "message",
         "content": [{"type": "output_text", "text": "a"}, {"type": "refusal", "refusal": "no"}]},
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{\"x\": 1}"},
        {"type": "web_search_call", "id": "ws_1"},
    ],
    "usage": {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8,
              "input_tokens_details": {"cached_tokens": 2}, "output_tokens_details": {"reasoning_tokens": 1}},
}  # fmt: skip


def _agree(body: bytes, provider: str = "openai", *, same_fault: bool = True) -> tuple[str, Any]:
    pure, rust = both()
    kind_a, a = outcome(getattr(pure, NAME), body, provider)
    kind_b, b = outcome(getattr(rust, NAME), body, provider)
    assert kind_a == kind_b, (a, b)
    if kind_a == "ok":
        assert a == b
        assert repr(a) == repr(b)
        return kind_a, a
    assert type(a) is type(b) is ResponseParseError, (a, b)
    assert a.provider == b.provider == provider
    assert (a.path is None) == (b.path is None), (a, b)
    assert (a.offset is None) == (b.offset is None), (a, b)
    if same_fault or (a.path is None and a.offset is None):
        assert error_signature(a) == error_signature(b)
    return kind_a, a


PIECES = [
    b",", b'"', b"\\", b"{", b"]", b"null", b"1e999", b"\xff", b"\\ud800", b'"x":1,', b" ", b"-", b"0",
    b'"type":"message",', b'"output":[],', b'"error":{},', b"true",
]  # fmt: skip
SMALL = [r.body for r in BODIES if len(r.body) < 60_000]


@SETTINGS
@given(st.data())
def test_mutated_corpus_bodies(data: st.DataObject) -> None:
    body = data.draw(st.sampled_from(SMALL))
    _agree(mutate(data.draw, body, PIECES), same_fault=False)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(body: bytes) -> None:
    _agree(body, same_fault=False)  # orjson and the Rust reader word syntax errors apart


def test_every_strict_prefix_of_a_body_is_an_error_in_both() -> None:
    pure, rust = both()
    for body in SMALL[::4]:
        body = body.rstrip()
        for end in range(0, len(body), max(1, len(body) // 40)):
            for parse in (pure.parse_responses, rust.parse_responses):
                with pytest.raises(ResponseParseError):
                    parse(body[:end])


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "message",
            "function_call",
            "reasoning",
            "output_text",
            "refusal",
            "summary_text",
            "reasoning_text",
            "",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

FIELDS = [
    ("id",), ("model",), ("created_at",), ("status",), ("incomplete_details",),
    ("incomplete_details", "reason"), ("service_tier",), ("error",), ("output",), ("output", 0),
    ("output", 0, "type"), ("output", 0, "id"),
    ("output", 0, "summary"), ("output", 0, "summary", 0), ("output", 0, "summary", 0, "type"),
    ("output", 0, "summary", 0, "text"), ("output", 0, "content"), ("output", 0, "content", 0),
    ("output", 0, "content", 0, "text"), ("output", 0, "encrypted_content"), ("output", 1, "content"),
    ("output", 1, "content", 0), ("output", 1, "content", 0, "type"), ("output", 1, "content", 0, "text"),
    ("output", 1, "content", 1, "refusal"), ("output", 1, "type"), ("output", 2, "call_id"),
    ("output", 2, "name"),
    ("output", 2, "arguments"), ("output", 2, "type"), ("output", 3), ("output", 3, "type"), ("usage",),
    ("usage", "input_tokens"), ("usage", "output_tokens"), ("usage", "input_tokens_details"),
    ("usage", "input_tokens_details", "cached_tokens"),
    ("usage", "output_tokens_details", "reasoning_tokens"),
]  # fmt: skip


def _place(path: tuple[Any, ...], value: Any) -> bytes:
    document = orjson.loads(orjson.dumps(TEMPLATE))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(document).encode()  # the standard library writes integers beyond 64 bits


@SETTINGS
@given(st.sampled_from(FIELDS), json_values)
def test_any_value_in_any_field(path: tuple[Any, ...], value: Any) -> None:
    _agree(_place(path, value))


items = st.dictionaries(
    st.sampled_from(
        ["type", "id", "content", "summary", "call_id", "name", "arguments", "encrypted_content", "x"]
    ),
    json_values,
    max_size=5,
)


@SETTINGS
@given(st.lists(items | json_values, max_size=5), st.sampled_from([None, "completed", "incomplete"]))
def test_any_output_items(output: list[Any], status: str | None) -> None:
    _agree(json.dumps(dict(TEMPLATE, output=output, status=status)).encode())


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


@pytest.mark.parametrize("provider", ["openai", "azure"])
def test_provider_label_is_carried_alike(provider: str) -> None:
    _, result = _agree(json.dumps(TEMPLATE).encode(), provider)
    assert result.provider == provider
    kind, error = _agree(b'{"output": 1}', provider)
    assert (kind, error.provider) == ("error", provider)


@pytest.mark.parametrize("count", [2**63 - 1, 2**64 - 1, -(2**63)])
def test_token_counts_beyond_64_bits_stay_exact(count: int) -> None:
    usage = {"input_tokens": count, "output_tokens": count}
    kind, result = _agree(json.dumps({"output": [], "usage": usage}).encode())
    assert kind == "ok"
    assert result.usage.total_tokens == 2 * count
