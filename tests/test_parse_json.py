"""Bytes that are not JSON (or not the JSON orjson accepts) are rejected alike, with offset and snippet."""

from __future__ import annotations

from types import ModuleType

import orjson
import pytest

from modelwire import ResponseParseError
from modelwire._redact import MASK
from parse_support import implementations

pytestmark = pytest.mark.parametrize("impl", implementations())

WRAP = b'{"choices": [], "x": %s}'

# Values placed where nothing is read: they must still be valid JSON, exactly as orjson decides.
VALUES = [
    b'"\\ud800"', b'"\\udc00"', b'"\\ud800\\udc00"', b'"\\ud800x"', b'"\\ud800\\u0041"', b'"\xed\xa0\x80"',
    b'"\xff"', b'"\xc3"', b'"\xf4\x90\x80\x80"', b'"\xc0\xaf"', b'"\x01"', b'"\x7f"', b'"\\x"', b'"\\u12"',
    b'"\\u00e9\\/\\b\\f\\n\\r\\t"', b'NaN', b'Infinity', b'-Infinity', b'[1,]', b'{"a":1,}', b'[,1]', b'01',
    b'-01', b'1.', b'.5',
    b'-', b'+1', b'1e', b'1e+', b'1E5', b'-0', b'-0.0', b'18446744073709551615', b'18446744073709551616',
    b'-9223372036854775809', b'1e400', b'-1e400', b'1e-400', b'1' + b'0' * 400, b'0.' + b'1' * 500,
    b'tru', b'true', b'nul', b'null', b'falsey', b'[1 2]', b'{"a" 1}', b'{1: 2}', b'{"a":1 "b":2}',
    b'"abc', b'[' * 1024 + b']' * 1024, b'[' * 1023 + b']' * 1023, b'{"a":' * 1023 + b'1' + b'}' * 1023,
    b'{"a":' * 1024 + b'1' + b'}' * 1024, b'\x0c1', b'\xa01', b'"\xe2\x80\xa8"', b"'a'", b'[]]', b'{}}',
    # Around the length under which a skipped float without exponent is known finite (300 characters).
    b'9' * 298 + b'.5', b'-' + b'9' * 297 + b'.5', b'9' * 309 + b'.0', b'9' * 400 + b'.0', b'9' * 299,
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=[repr(v[:24]) for v in VALUES])
def test_unread_values_are_validated_like_orjson(impl: ModuleType, value: bytes) -> None:
    body = WRAP % value
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        with pytest.raises(ResponseParseError, match="not valid JSON") as info:
            impl.parse_chat_completion(body)
        assert info.value.offset is not None
        assert 0 <= info.value.offset <= len(body)
        assert info.value.path is None
    else:
        assert impl.parse_chat_completion(body).choices == []


@pytest.mark.parametrize(
    "body",
    [b'\xef\xbb\xbf{"choices": []}', b' \t\r\n{"choices": []} \n', b'{"choices": []} x',
     b'{"choices": []}\x00', b'{"choices": [], "choices": []}',
     b'{"choices": 1, "choices": []}', b'{"choices": [], "choices": 1}'],
)  # fmt: skip
def test_documents_are_accepted_exactly_as_orjson_does(impl: ModuleType, body: bytes) -> None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        with pytest.raises(ResponseParseError, match="not valid JSON"):
            impl.parse_chat_completion(body)
        return
    if type(data.get("choices")) is list:
        assert impl.parse_chat_completion(body).choices == []
    else:
        with pytest.raises(ResponseParseError, match="expected an array"):
            impl.parse_chat_completion(body)


def test_empty_body(impl: ModuleType) -> None:
    with pytest.raises(ResponseParseError) as info:
        impl.parse_chat_completion(b"", "groq")
    error = info.value
    assert (error.message, error.offset, error.path, error.provider) == (
        "empty response body",
        0,
        None,
        "groq",
    )
    assert error.retryable


def test_html_error_page_gives_offset_zero_and_a_redacted_snippet(impl: ModuleType) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head> key=sk-proj-abcdefghijklmnop </html>"
    with pytest.raises(ResponseParseError) as info:
        impl.parse_chat_completion(page, "openai")
    error = info.value
    assert error.offset == 0
    assert error.body_excerpt is not None
    assert error.body_excerpt.startswith("<html><head><title>502")
    assert "abcdefghijklmnop" not in str(error.body_excerpt)
    long_page = b"<html>" + b"sk-proj-abcdefghijklmnopqrstu " + b"x" * 100
    with pytest.raises(ResponseParseError) as info:
        impl.parse_chat_completion(long_page)
    assert MASK in str(info.value.body_excerpt)
    assert "abcdefghijklmnopqrstu" not in repr(info.value) + str(info.value)


def test_truncated_body_points_at_its_end(impl: ModuleType) -> None:
    body = b'{"choices": [{"message": {"content": "hel'
    with pytest.raises(ResponseParseError, match="not valid JSON") as info:
        impl.parse_chat_completion(body)
    assert info.value.offset is not None
    assert len(body) - 5 <= info.value.offset <= len(body)
    assert info.value.body_excerpt == body[-40:].decode()


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"1", b"null", b"true"])
def test_top_level_must_be_an_object(impl: ModuleType, body: bytes) -> None:
    with pytest.raises(ResponseParseError, match="expected a JSON object, got ") as info:
        impl.parse_embeddings(body)
    assert info.value.path is None
    assert info.value.offset is None
