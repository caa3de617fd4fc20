"""The twin contract for Gemini: whatever the bytes, the Rust parsers and folder and the pure-Python twins
give equal objects or the same error (docs/parsing-rules-gemini.md): mutated corpus bodies and streams,
any JSON value in any field (the same fault, worded and placed alike), random bytes, prefixes."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gemini_support import BODIES, EMBEDDINGS, RUST_HAS_GEMINI, STREAMS, fold, rust, twin
from modelwire.exceptions import ContentPolicyError, ResponseParseError
from parse_support import error_signature, mutate, normalise_ids
from test_stream_corpus import outcome

pytestmark = pytest.mark.skipif(not RUST_HAS_GEMINI, reason="no Rust Gemini port built")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "ok", normalise_ids(parse(body, "gemini"))
    except (ResponseParseError, ContentPolicyError) as exc:
        return "error", exc


def _agree(name: str, body: bytes, *, same_fault: bool = False) -> tuple[str, Any]:
    kind_a, a = _outcome(getattr(twin, name), body)
    kind_b, b = _outcome(getattr(rust, name), body)
    assert kind_a == kind_b, (a, b)
    if kind_a == "ok":
        assert a == b
        assert repr(a) == repr(b)
        if name == "parse_gemini_content":
            for choice_a, choice_b in zip(a.choices, b.choices, strict=True):
                for call_a, call_b in zip(
                    choice_a.message.tool_calls, choice_b.message.tool_calls, strict=True
                ):
                    assert call_a.arguments == call_b.arguments
        return kind_a, a
    assert type(a) is type(b), (a, b)
    assert a.provider == b.provider == "gemini"
    if isinstance(a, ContentPolicyError):
        assert (a.message, a.provider_code) == (b.message, b.provider_code)
        return kind_a, a
    assert (a.path is None) == (b.path is None), (a, b)
    assert (a.offset is None) == (b.offset is None), (a, b)
    if same_fault or (a.path is None and a.offset is None):
        assert error_signature(a) == error_signature(b)
    return kind_a, a


@pytest.mark.parametrize("recording", BODIES + EMBEDDINGS, ids=lambda r: r.id)
def test_every_corpus_body_parses_alike(recording: Any) -> None:
    name = "parse_gemini_embeddings" if recording.kind == "embeddings" else "parse_gemini_content"
    _agree(name, recording.body, same_fault=True)


CONTENT_PIECES = [
    b",", b'"', b"\\", b"{", b"]", b"null", b"1e999", b"\xff", b"\\ud800", b" ", b"-", b"0", b"true",
    b'"thought":true,', b'"thoughtSignature":"c2ln",',
    b'"functionCall":{"name":"f","args":{"a":1,"a":[]}},',
    b'"text":"x",', b'"candidates":null,', b'"usageMetadata":{},', b'"finishReason":9,',
    b'"finishReason":"MALFORMED_FUNCTION_CALL",', b'"promptFeedback":{"blockReason":"SAFETY"},',
    b'"inlineData":{"mimeType":"image/png","data":"iVBO"},', b'"index":1,', b'"error":{"message":"m"},',
]  # fmt: skip
EMBEDDING_PIECES = [
    b",", b"]", b"[", b"null", b"1e999", b"-", b"0.5", b'"x"', b'"values":[1,2],',
    b'"embedding":{"values":[]},',
    b'"statistics":{"token_count":3},', b'"usageMetadata":{"promptTokenCount":2},',
]  # fmt: skip


@SETTINGS
@given(data=st.data())
def test_mutated_corpus_bodies(data: st.DataObject) -> None:
    recording = data.draw(st.sampled_from(BODIES))
    _agree("parse_gemini_content", mutate(data.draw, recording.body, CONTENT_PIECES))


@SETTINGS
@given(data=st.data())
def test_mutated_embedding_bodies(data: st.DataObject) -> None:
    recording = data.draw(st.sampled_from(EMBEDDINGS))
    _agree("parse_gemini_embeddings", mutate(data.draw, recording.body, EMBEDDING_PIECES))


@SETTINGS
@given(st.binary(max_size=64))
def test_random_bytes(body: bytes) -> None:
    _agree("parse_gemini_content", body)
    _agree("parse_gemini_embeddings", body)


def test_every_strict_prefix_of_a_body_is_an_error_in_both() -> None:
    for recording in BODIES[::3]:
        body = recording.body.rstrip()
        for end in range(0, len(body), max(1, len(body) // 40)):
            for parse in (twin.parse_gemini_content, rust.parse_gemini_content):
                with pytest.raises(ResponseParseError):
                    parse(body[:end])


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.integers(-2, 14)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["STOP", "MALFORMED_FUNCTION_CALL", "SAFETY", "image/png", "", "iVBO"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
TEMPLATE = {
    "candidates": [
        {
            "index": 0,
            "content": {"role": "model", "parts": [
                {"text": "t", "thought": True, "thoughtSignature": "s1"},
                {"text": "a"},
                {"functionCall": {"id": "c", "name": "f", "args": {"x": 1}}, "thoughtSignature": "s2"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBO"}},
            ]},
            "finishReason": "STOP",
            "finishMessage": "m",
        }
    ],
    "promptFeedback": {"blockReason": "SAFETY", "blockReasonMessage": "b"},
    "usageMetadata": {"promptTokenCount": 1, "toolUsePromptTokenCount": 2, "candidatesTokenCount": 3,
                      "thoughtsTokenCount": 4, "cachedContentTokenCount": 5, "totalTokenCount": 15,
                      "serviceTier": "standard"},
    "responseId": "r",
    "modelVersion": "m",
}  # fmt: skip
PART = ("candidates", 0, "content", "parts")
FIELDS = [
    ("candidates",), ("candidates", 0), ("candidates", 0, "index"), ("candidates", 0, "content"),
    ("candidates", 0, "content", "parts"), (*PART, 0), (*PART, 0, "thought"), (*PART, 0, "text"),
    (*PART, 0, "thoughtSignature"), (*PART, 1, "text"), (*PART, 1, "functionCall"),
    (*PART, 2, "functionCall"),
    (*PART, 2, "functionCall", "name"), (*PART, 2, "functionCall", "args"),
    (*PART, 2, "functionCall", "id"),
    (*PART, 2, "functionCall", "partialArgs"), (*PART, 3, "inlineData"), (*PART, 3, "inlineData", "mimeType"),
    (*PART, 3, "inlineData", "data"), ("candidates", 0, "finishReason"), ("candidates", 0, "finishMessage"),
    ("promptFeedback",), ("promptFeedback", "blockReason"), ("promptFeedback", "blockReasonMessage"),
    ("usageMetadata",), ("usageMetadata", "promptTokenCount"), ("usageMetadata", "thoughtsTokenCount"),
    ("usageMetadata", "totalTokenCount"), ("usageMetadata", "serviceTier"), ("responseId",),
    ("modelVersion",),
    ("error",),
]  # fmt: skip


def _place(template: dict[str, Any], path: tuple[Any, ...], value: Any) -> bytes:
    document = orjson.loads(orjson.dumps(template))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(document).encode()  # orjson refuses integers beyond 64 bits


@SETTINGS
@given(st.sampled_from(FIELDS), json_values, st.booleans())
def test_any_value_in_any_field(path: tuple[Any, ...], value: Any, without_candidates: bool) -> None:
    template = dict(TEMPLATE, candidates=[]) if without_candidates and path[0] != "candidates" else TEMPLATE
    _agree("parse_gemini_content", _place(template, path, value), same_fault=True)


EMBEDDING_TEMPLATES = [
    {"embedding": {"values": [1.0, 2.0]}, "usageMetadata": {"promptTokenCount": 2}},
    {"embeddings": [{"values": [1.0, 2.0]}, {"values": [3, 4]}]},
    {"predictions": [{"embeddings": {"values": [1.0], "statistics": {"token_count": 2}}},
                     {"embeddings": {"values": [2.0], "statistics": {"token_count": 3}}}]},
]  # fmt: skip
EMBEDDING_FIELDS = [
    (0, ("embedding",)), (0, ("embedding", "values")), (0, ("embedding", "values", 1)),
    (0, ("usageMetadata",)),
    (0, ("usageMetadata", "promptTokenCount")), (0, ("embeddings",)), (0, ("error",)), (1, ("embeddings", 1)),
    (1, ("embeddings", 1, "values")), (1, ("embeddings", 0, "values", 0)), (1, ("predictions",)),
    (2, ("predictions", 0)), (2, ("predictions", 1, "embeddings")),
    (2, ("predictions", 1, "embeddings", "values")),
    (2, ("predictions", 0, "embeddings", "statistics")),
    (2, ("predictions", 0, "embeddings", "statistics", "token_count")),
]  # fmt: skip


@SETTINGS
@given(st.sampled_from(EMBEDDING_FIELDS), json_values)
def test_any_value_in_any_embedding_field(field: tuple[int, tuple[Any, ...]], value: Any) -> None:
    template, path = field
    _agree("parse_gemini_embeddings", _place(EMBEDDING_TEMPLATES[template], path, value), same_fault=True)


# --- streams ---------------------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_mutated_streams_fold_alike(data: st.DataObject) -> None:
    stream = data.draw(st.sampled_from(STREAMS))
    body = mutate(data.draw, stream.body, [*CONTENT_PIECES, b"\n\n", b"data: ", b"data: {}\n\n"])
    cut = data.draw(st.integers(0, len(body)))
    pieces = [body[:cut], body[cut:]]
    assert outcome(fold(twin, pieces)) == outcome(fold(rust, pieces))


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(FIELDS), json_values), min_size=1, max_size=3))
def test_streams_of_chunks_with_any_value_fold_alike(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    body = b"".join(b"data: " + _place(TEMPLATE, path, value) + b"\n\n" for path, value in changes)
    assert outcome(fold(twin, [body])) == outcome(fold(rust, [body]))


PIECE_CHUNKS = [
    {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "willContinue": True}}]}}]},
    {"candidates": [{"content": {"parts": [{"functionCall": {"willContinue": True, "partialArgs": [
        {"jsonPath": "$.a[1].b", "numberValue": 2.5},
        {"jsonPath": "$.s", "stringValue": "he", "willContinue": True},
        {"jsonPath": "$.t", "boolValue": True},
    ]}}]}}]},
    {"candidates": [{"content": {"parts": [{"functionCall": {}}]}, "finishReason": "STOP"}]},
]  # fmt: skip
PIECE_FIELDS = [
    (0, ("candidates", 0, "content", "parts", 0, "functionCall", "name")),
    (0, ("candidates", 0, "content", "parts", 0, "functionCall", "willContinue")),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "partialArgs")),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "partialArgs", 0)),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "partialArgs", 0, "jsonPath")),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "partialArgs", 0, "numberValue")),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "partialArgs", 1, "stringValue")),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "partialArgs", 1, "willContinue")),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "partialArgs", 2, "boolValue")),
    (1, ("candidates", 0, "content", "parts", 0, "functionCall", "willContinue")),
    (2, ("candidates", 0, "content", "parts", 0, "functionCall")),
]
PATHS = st.sampled_from(["$.a", "$.a.b", "$[0]", "$.a[2]", "$.a[1].b", "$", "a.b", "$.a[x]", "$.a[9999999]",
                         "$.s", "$.a..b", "$.a[1][0]"])  # fmt: skip


@SETTINGS
@given(st.sampled_from(PIECE_FIELDS), json_values | PATHS)
def test_streamed_call_pieces_with_any_value_fold_alike(
    field: tuple[int, tuple[Any, ...]], value: Any
) -> None:
    chunk, path = field
    chunks = [orjson.dumps(c) for c in PIECE_CHUNKS]
    chunks[chunk] = _place(PIECE_CHUNKS[chunk], path, value)
    body = b"".join(b"data: " + c + b"\n\n" for c in chunks)
    folded = [fold(backend, [body]) for backend in (twin, rust)]
    assert outcome(folded[0]) == outcome(folded[1])
    failures = [f.failure for f in folded]
    if failures[0] is not None:
        assert failures[1] is not None
        assert (failures[0].message, failures[0].path) == (failures[1].message, failures[1].path)
