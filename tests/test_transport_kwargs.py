"""TransportKwargs.from_request: Data Designer's body rules, byte for byte, in Rust and in the twin."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from modelwire import BadRequestError
from modelwire.request import TransportKwargs, pure
from modelwire.request.openai import openai_messages
from modelwire.types import ChatCompletionRequest, EmbeddingRequest, ImageGenerationRequest
from parse_support import rust

Builder = Callable[[object, Any, Any], bytes]


def _builders() -> list[Any]:
    return [
        pytest.param(pure.request_body, id="python"),
        pytest.param(
            getattr(rust, "request_body", None),
            id="rust",
            marks=pytest.mark.skipif(rust is None, reason="extension not built"),
        ),
    ]


MESSAGES = [{"role": "user", "content": 'hi é \u2028 "q" \\ \n\x00'}]


def test_from_request_places_fields_then_optionals_then_extra_body() -> None:
    request = ChatCompletionRequest(
        model="m",
        messages=MESSAGES,
        temperature=0.5,
        max_tokens=None,
        stop=["x"],
        timeout=12.5,
        extra_body={"temperature": 1, "top_k": 3, "model": "override"},
        extra_headers={"X-Trace": "1"},
    )
    kwargs = TransportKwargs.from_request(
        request, fields={"model": request.model, "messages": request.messages}
    )
    assert kwargs.body == orjson.dumps(
        {"model": "override", "messages": MESSAGES, "temperature": 1, "stop": ["x"], "top_k": 3}
    )
    assert list(orjson.loads(kwargs.body)) == ["model", "messages", "temperature", "stop", "top_k"]
    assert kwargs.headers == {"X-Trace": "1"}
    assert kwargs.timeout == 12.5
    assert b"timeout" not in kwargs.body
    assert b"extra_" not in kwargs.body


def test_exclude_drops_optional_fields_the_adapter_translates() -> None:
    request = ChatCompletionRequest(model="m", messages=[], tools=[{"type": "function"}], seed=4)
    kwargs = TransportKwargs.from_request(
        request, fields={"model": "m", "tools": "translated"}, exclude={"tools"}
    )
    assert orjson.loads(kwargs.body) == {"model": "m", "tools": "translated", "seed": 4}
    plain = TransportKwargs.from_request(request, fields={"model": "m"})
    assert orjson.loads(plain.body) == {"model": "m", "tools": [{"type": "function"}], "seed": 4}


def test_headers_are_a_copy_and_repr_redacts() -> None:
    headers = {"Authorization": "Bearer sk-abcdefghijklmnopqr"}
    request = EmbeddingRequest(model="e", inputs=["a"], extra_headers=headers)
    kwargs = TransportKwargs.from_request(request)
    assert kwargs.headers == headers
    assert kwargs.headers is not headers
    assert "abcdefghijklmnopqr" not in repr(kwargs)
    assert kwargs.body == b"{}"
    assert kwargs.timeout is None
    assert kwargs == TransportKwargs(b"{}", dict(headers))
    assert kwargs != TransportKwargs(b"{}")


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int


class Text(str):
    pass


class Mapping(dict[str, Any]):
    pass


FLOATS = [
    0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 1.5e-5, 1e-5, 9.99e-6, 1e-7, 5e-324, 1.7976931348623157e308, 123456.789,
    float("nan"), float("inf"), -float("inf"), 2.5e-310, 1e22, 1e21, 100.0, 0.30000000000000004,
]  # fmt: skip
VALUES: list[Any] = [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64 - 1, *FLOATS, "", "é😀\u2028\x7f\x1f\"\\/",
    [], [1, [2, [3]]], (1, "t"), {}, {"nested": {"a": [None, 1.5]}}, Color.RED, Point(1), Text("sub"),
    Mapping(a=1), datetime.date(2024, 1, 2),
]  # fmt: skip


@pytest.mark.parametrize("builder", _builders())
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_values_serialize_exactly_like_orjson(builder: Builder, value: Any) -> None:
    request = ChatCompletionRequest(model="m", messages=[], extra_body={"v": value, "w": [value]})
    assert builder(request, {"model": "m"}, ()) == orjson.dumps({"model": "m", "v": value, "w": [value]})


@pytest.mark.parametrize("builder", _builders())
@pytest.mark.parametrize(
    "value", [2**64, -(2**63) - 1, "\ud800", {1: 2}, object(), {"a": {(1,): 1}}], ids=repr
)
def test_unserializable_values_raise_orjsons_error(builder: Builder, value: Any) -> None:
    request = ChatCompletionRequest(model="m", messages=[], extra_body={"v": value})
    with pytest.raises(orjson.JSONEncodeError) as expected:
        orjson.dumps({"v": value})
    with pytest.raises(orjson.JSONEncodeError) as got:
        builder(request, None, ())
    assert str(got.value) == str(expected.value)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("builder", _builders())
@pytest.mark.parametrize("depth", [252, 253, 254, 300])
def test_recursion_limit_matches_orjson(builder: Builder, depth: int) -> None:
    request = ChatCompletionRequest(model="m", messages=[], extra_body={"v": _nested(depth)})
    try:
        expected = orjson.dumps({"v": _nested(depth)})
    except orjson.JSONEncodeError:
        with pytest.raises(orjson.JSONEncodeError):
            builder(request, None, ())
    else:
        assert builder(request, None, ()) == expected


@pytest.mark.parametrize("builder", _builders())
def test_every_request_type(builder: Builder) -> None:
    image = ImageGenerationRequest(model="i", prompt="p", n=2, size="1024x1024", response_format=None)
    assert (
        builder(image, {"model": "i", "prompt": "p"}, ())
        == b'{"model":"i","prompt":"p","n":2,"size":"1024x1024"}'
    )
    embedding = EmbeddingRequest(model="e", inputs=["a"], encoding_format="base64", dimensions=8)
    assert builder(embedding, {"model": "e", "input": ["a"]}, ["dimensions"]) == (
        b'{"model":"e","input":["a"],"encoding_format":"base64"}'
    )


@pytest.mark.parametrize("builder", _builders())
def test_extra_body_may_be_any_mapping_or_pairs(builder: Builder) -> None:
    request = ChatCompletionRequest(model="m", messages=[], n=1, extra_body=[("n", 2), ("z", 0)])  # type: ignore[arg-type]
    assert builder(request, None, ()) == b'{"n":2,"z":0}'


@pytest.mark.parametrize(
    ("block", "sent"),
    [
        (
            {"type": "audio", "source": {"type": "base64", "media_type": "audio/mpeg", "data": "SUQz"}},
            {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}},
        ),
        (
            {"type": "audio", "source": {"type": "base64", "media_type": "audio/x-wav", "data": "UklGR"}},
            {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
        ),
        (
            {"type": "audio", "source": {"type": "url", "url": "https://x/a.mp3"}},
            {"type": "audio_url", "audio_url": {"url": "https://x/a.mp3"}},
        ),
        (
            {"type": "video", "source": {"type": "url", "url": "https://x/v.mp4"}},
            {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
        ),
        (
            {"type": "video", "source": {"type": "base64", "media_type": "video/mp4", "data": "AAAA"}},
            {"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AAAA"}},
        ),
        (
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
        ),
    ],
)
def test_canonical_media_blocks_become_openai_compatible_blocks(
    block: dict[str, Any], sent: dict[str, Any]
) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "what is this"}, block]}]
    out = openai_messages(messages, provider="nvidia", model="m")
    assert out[0]["content"] == [{"type": "text", "text": "what is this"}, sent]
    assert messages[0]["content"][1] is block  # the caller's history is not modified


def test_audio_openai_cannot_take_is_refused_before_sending() -> None:
    block = {"type": "audio", "source": {"type": "base64", "media_type": "audio/flac", "data": "ZkxhQw"}}
    with pytest.raises(BadRequestError, match="audio/flac audio; OpenAI-compatible input_audio takes wav"):
        openai_messages([{"role": "user", "content": [block]}], provider="openai", model="gpt-4o-audio")
