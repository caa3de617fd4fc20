"""Property tests: whatever the bytes, Rust and the twin give equal objects or the same error."""

from __future__ import annotations

import base64
import json
import struct
from types import ModuleType
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corpus_files import recordings
from modelwire import ResponseParseError
from modelwire.types import ChatCompletionRequest
from parse_support import CORPUS_KINDS, KINDS, both, mutate, outcome

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORPUS = [
    (KINDS[CORPUS_KINDS[r.kind]], r.body)
    for r in recordings(*CORPUS_KINDS)
    if len(r.body) < 60_000  # keeps each example fast; the big bodies are covered by test_parse_corpus
]


def _agree(name: str, body: bytes) -> None:
    pure, rust = both()
    kind_a, a = outcome(getattr(pure, name), body)
    kind_b, b = outcome(getattr(rust, name), body)
    assert kind_a == kind_b, (a, b)
    if kind_a == "ok":
        assert a == b
        return
    assert type(a) is type(b) is ResponseParseError, (a, b)
    # Whether the bytes are JSON at all is never in doubt: a syntax error has no path, a shape fault has.
    assert (a.path is None) == (b.path is None), (a, b)
    assert (a.offset is None) == (b.offset is None), (a, b)


PIECES = [
    b",", b'"', b"\\", b"{", b"]", b"null", b"1e999", b"\xff", b"\\ud800", b'"x":1,', b" ", b"\x00", b"-",
    b"0", b'"index":2,', b"true",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name, body = draw(st.sampled_from(CORPUS))
    return name, mutate(draw, body, PIECES)


@SETTINGS
@given(mutated())
def test_mutated_corpus_bodies(case: tuple[str, bytes]) -> None:
    _agree(*case)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    ("chat", ("id",)), ("chat", ("created",)), ("chat", ("usage",)), ("chat", ("usage", "prompt_tokens")),
    ("chat", ("usage", "prompt_tokens_details")), ("chat", ("choices",)), ("chat", ("choices", 0)),
    ("chat", ("choices", 0, "index")), ("chat", ("choices", 0, "finish_reason")),
    ("chat", ("choices", 0, "logprobs")), ("chat", ("choices", 0, "message")),
    ("chat", ("choices", 0, "message", "content")), ("chat", ("choices", 0, "message", "content", 0)),
    ("chat", ("choices", 0, "message", "reasoning")), ("chat", ("choices", 0, "message", "tool_calls")),
    ("chat", ("choices", 0, "message", "tool_calls", 0)),
    ("chat", ("choices", 0, "message", "tool_calls", 0, "function")),
    ("chat", ("choices", 0, "message", "tool_calls", 0, "function", "arguments")),
    ("chat", ("choices", 0, "message", "images")), ("chat", ("choices", 0, "message", "reasoning_details")),
    ("chat", ("error",)), ("embeddings", ("data",)), ("embeddings", ("data", 0)),
    ("embeddings", ("data", 0, "index")), ("embeddings", ("data", 0, "embedding")),
    ("embeddings", ("data", 1, "embedding", 0)), ("images", ("data", 0)), ("images", ("data", 0, "b64_json")),
    ("images", ("output_format",)), ("images", ("choices",)),
]  # fmt: skip
TEMPLATES = {
    "chat": {
        "id": "c", "created": 1, "model": "m",
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 0}},
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "message": {
            "content": [{"type": "text", "text": "a"}], "reasoning": "r",
            "tool_calls": [{"id": "t", "function": {"name": "f", "arguments": "{}"}}],
            "images": [{"image_url": {"url": "data:image/png;base64,iVBOR"}}],
            "reasoning_details": [{"type": "reasoning.text", "text": "d"}],
        }}],
    },
    "embeddings": {"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [3.0, 4.0]}]},
    "images": {"data": [{"b64_json": "iVBORw0KGgo"}], "output_format": "png"},
}  # fmt: skip


def _place(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


@SETTINGS
@given(st.sampled_from(FIELDS), json_values)
def test_any_value_in_any_field(field: tuple[str, tuple[Any, ...]], value: Any) -> None:
    kind, path = field
    document = _place(orjson.loads(orjson.dumps(TEMPLATES[kind])), path, value)
    # The standard library writes integers beyond 64 bits, which orjson refuses to.
    _agree(KINDS[kind], json.dumps(document).encode())


@SETTINGS
@given(st.sampled_from(FIELDS), json_values, st.sampled_from([0, 1]))
def test_duplicate_keys_keep_the_last_value(
    field: tuple[str, tuple[Any, ...]], value: Any, order: int
) -> None:
    kind, path = field
    assume(isinstance(path[-1], str))
    good = orjson.dumps(TEMPLATES[kind])
    key = orjson.dumps(path[-1])
    other = json.dumps(value).encode()
    # Insert a second occurrence of the field's key next to the first, before or after it.
    marker = key + b":"
    at = good.find(marker)
    assume(at >= 0)
    extra = marker + other + b","
    body = (
        good[:at] + extra + good[at:]
        if order == 0
        else good[:at] + good[at:].replace(marker, extra + marker, 1)
    )
    _agree(KINDS[kind], body)


@SETTINGS
@given(st.binary(max_size=64))
def test_random_bytes(body: bytes) -> None:
    for name in KINDS.values():
        _agree(name, body)


@SETTINGS
@given(st.text(max_size=60), st.booleans())
def test_strings_round_trip(text: str, ascii_only: bool) -> None:
    encoded = (
        orjson.dumps(text)
        if not ascii_only
        else orjson.dumps(text).decode().encode("ascii", "backslashreplace")
    )
    body = b'{"choices": [{"message": {"content": ' + encoded + b"}}]}"
    _agree("parse_chat_completion", body)


number_texts = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(width=32, allow_nan=False, allow_infinity=False).map(lambda f: f"{f:.9g}"),
    st.integers(-(2**80), 2**80).map(str),
    st.from_regex(r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
)


@SETTINGS
@given(st.lists(number_texts, min_size=1, max_size=8))
def test_embedding_numbers_round_like_the_twin(numbers: list[str]) -> None:
    body = b'{"data": [{"embedding": [' + ",".join(numbers).encode() + b"]}]}"
    _agree("parse_embeddings", body)


@SETTINGS
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh0123456789+/=-_ \n\\é", max_size=24))
def test_base64_acceptance_matches(text: str) -> None:
    _agree("parse_embeddings", b'{"data": [{"embedding": ' + orjson.dumps(text) + b"}]}")


@SETTINGS
@given(st.lists(st.floats(width=32, allow_nan=False), min_size=0, max_size=16))
def test_base64_rows_decode_to_the_same_floats(values: list[float]) -> None:
    text = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
    _agree("parse_embeddings", b'{"data": [{"embedding": "' + text.encode() + b'"}]}')


@SETTINGS
@given(json_values)
def test_tool_arguments_parse_like_orjson(value: Any) -> None:
    arguments = json.dumps(value)
    call = {"id": "a", "function": {"name": "f", "arguments": arguments}}
    body = orjson.dumps({"choices": [{"message": {"tool_calls": [call]}}]})
    pure, rust = both()
    a = pure.parse_chat_completion(body).message.tool_calls[0]
    b = rust.parse_chat_completion(body).message.tool_calls[0]
    kind_a, got_a = _arguments(a)
    kind_b, got_b = _arguments(b)
    assert (kind_a, got_a) == (kind_b, got_b)


def _arguments(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call.arguments
    except Exception as exc:
        return "error", type(exc)


request_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**65), 2**65)
    | st.floats()
    | st.text(alphabet=st.characters(), max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=16,
)


@SETTINGS
@given(st.dictionaries(st.text(max_size=8), request_values, max_size=5))
def test_request_bodies_are_byte_identical(extra: dict[str, Any]) -> None:
    pure_mod, rust = both()
    from modelwire.request import pure

    request = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "x"}], extra_body=extra)
    fields = {"model": "m", "messages": request.messages}
    results = []
    for build in (pure.request_body, rust.request_body):
        try:
            results.append(("ok", build(request, fields, ())))
        except orjson.JSONEncodeError as exc:
            results.append(("error", str(exc)))
    assert results[0] == results[1]
    _ = pure_mod


def test_generated_ids_differ_between_implementations_but_not_in_shape() -> None:
    pure, rust = both()
    body = b'{"choices": [{"message": {"tool_calls": [{"function": {"name": "f"}}]}}]}'
    a = pure.parse_chat_completion(body).message.tool_calls[0].id
    b = rust.parse_chat_completion(body).message.tool_calls[0].id
    assert a != b
    assert len(a) == len(b)


@pytest.mark.parametrize("impl_name", ["pure", "rust"])
def test_every_strict_prefix_of_a_body_is_an_error(impl_name: str) -> None:
    pure, rust = both()
    impl: ModuleType = pure if impl_name == "pure" else rust
    for name, body in CORPUS[::5]:
        trimmed = body.rstrip()
        for end in range(0, len(trimmed), max(1, len(trimmed) // 40)):
            with pytest.raises(ResponseParseError):
                getattr(impl, name)(body[:end])


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.floats() | st.floats(width=32), min_size=1, max_size=20))
def test_request_body_floats_match_orjson(values: list[float]) -> None:
    _, rust = both()
    request = ChatCompletionRequest(model="m", messages=[], extra_body={"v": values})
    assert rust.request_body(request, None, ()) == orjson.dumps({"v": values})
