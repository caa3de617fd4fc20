"""The AWS event-stream decoder (docs/stream-rules.md, section 6): both backends decode every recorded
Bedrock stream to equal messages, and to what botocore's own parser (a test-only oracle) reads from the
same bytes; any split, down to one byte, gives the same messages; a corrupt checksum, a truncated
stream, an impossible or oversized prelude and malformed headers are the same ResponseParseError on
both backends, after the messages before them."""

from __future__ import annotations

import struct
from itertools import pairwise
from types import ModuleType
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_files import recordings
from eventstream_support import bedrock_streams, event, exception, header, message
from modelwire._backend import core
from modelwire.exceptions import ResponseParseError
from modelwire.parsing import eventstream as dispatch
from modelwire.parsing.pure import eventstream as pure

try:
    from modelwire import _core as rust
except ImportError:
    rust = None  # type: ignore[assignment]

LOADED: list[Any] = [pure] if rust is None else [pure, rust]
STREAMS = bedrock_streams()
RAW = list(recordings("converse_stream", "invoke_stream", providers=("bedrock",)))


def decode(backend: ModuleType, pieces: list[bytes]) -> tuple[list[Any], tuple[str, str, int | None] | None]:
    """Messages as plain tuples, and the failure (message, offset) if one was raised."""
    decoder = backend.EventStreamDecoder()
    out: list[Any] = []
    try:
        for piece in pieces:
            out += decoder.feed(piece)
        out += decoder.finish()
    except ResponseParseError as exc:
        return [(m.headers, m.payload) for m in out], (type(exc).__name__, exc.message, exc.offset)
    return [(m.headers, m.payload) for m in out], None


def both(pieces: list[bytes]) -> tuple[list[Any], Any]:
    results = [decode(backend, pieces) for backend in LOADED]
    assert all(result == results[0] for result in results[1:])
    return results[0]


def test_the_dispatch_uses_the_loaded_backend() -> None:
    expected = pure.EventStreamDecoder if core is None else core.EventStreamDecoder
    assert dispatch.EventStreamDecoder is expected


@pytest.mark.parametrize("recording", RAW, ids=[r.id for r in RAW])
def test_recorded_streams_decode_as_botocore_and_the_corpus_read_them(recording: Any) -> None:
    messages, failure = both([recording.body])
    assert failure is None
    oracle = EventStreamBuffer()
    oracle.add_data(recording.body)
    expected = [(m.headers, m.payload) for m in oracle]
    assert messages == expected
    corpus = recording.data["response"]["eventstream_decoded"]
    assert [h for h, _ in messages] == [m["headers"] for m in corpus]


def test_typed_headers_match_botocore() -> None:
    block = (
        header("t", True)
        + header("f", False)
        + header("b", -3, 2)
        + header("s", 300, 3)
        + header("i", -70000, 4)
        + header("l", 1 << 40, 5)
        + header("ts", 1_700_000_000_123, 8)
        + header("raw", b"\x00\xff")
        + header("u", bytes(range(16)), 9)
        + header("str", "h\u00e9")
    )
    messages, failure = both([message(block, b"payload")])
    assert failure is None
    ((headers, payload),) = messages
    assert headers == {
        "t": True, "f": False, "b": -3, "s": 300, "i": -70000, "l": 1 << 40,
        "ts": 1_700_000_000_123, "raw": b"\x00\xff", "u": bytes(range(16)), "str": "h\u00e9",
    }  # fmt: skip
    assert payload == b"payload"
    oracle = EventStreamBuffer()
    oracle.add_data(message(block, b"payload"))
    (decoded,) = list(oracle)
    # botocore gives timestamps as datetimes and UUIDs as UUID objects; the rest must agree.
    assert {k: v for k, v in decoded.headers.items() if k not in ("ts", "u")} == {
        k: v for k, v in headers.items() if k not in ("ts", "u")
    }


def _stream() -> bytes:
    return (
        event("messageStart", b'{"role":"assistant"}')
        + event("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"Hi"}}')
        + exception("throttlingException", b'{"message":"slow down"}')
    )


def test_every_two_way_split_gives_the_same_messages() -> None:
    body = _stream()
    whole, failure = both([body])
    assert failure is None
    assert len(whole) == 3
    for cut in range(len(body) + 1):
        assert both([body[:cut], body[cut:]]) == (whole, None)
    assert both([bytes([b]) for b in body]) == (whole, None)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_split_of_a_recorded_stream_gives_its_messages(data: st.DataObject) -> None:
    body = data.draw(st.sampled_from([s.body for s in STREAMS]))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=40)))
    pieces = [body[a:b] for a, b in pairwise([0, *cuts, len(body)])]
    assert both(pieces) == both([body])


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=120), flip=st.integers(0, 10_000))
def test_backends_agree_on_arbitrary_and_damaged_bytes(body: bytes, flip: int) -> None:
    stream = bytearray(_stream())
    stream[flip % len(stream)] ^= 0x5A
    both([body])
    both([bytes(stream)])
    both([bytes(stream[: flip % len(stream)])])


def test_a_corrupt_message_checksum_fails_after_the_messages_before_it() -> None:
    first = event("messageStart", b"{}")
    second = bytearray(event("contentBlockDelta", b'{"contentBlockIndex":0}'))
    second[-6] ^= 1  # in the payload
    for backend in LOADED:
        decoder = backend.EventStreamDecoder()
        got = decoder.feed(first + bytes(second))
        assert [m.headers[":event-type"] for m in got] == ["messageStart"]
        with pytest.raises(
            ResponseParseError, match=r"^event stream message 2: message checksum mismatch \(sent 0x"
        ) as caught:
            decoder.feed(b"")
        assert caught.value.offset == len(first)
        with pytest.raises(ResponseParseError):  # it stays failed
            decoder.finish()


def test_a_corrupt_prelude_checksum_is_refused_before_the_rest_arrives() -> None:
    body = bytearray(event("messageStart", b"{}"))
    body[2] ^= 1
    _, failure = both([bytes(body[:12])])
    assert failure is not None
    assert failure[1].startswith("event stream message 1: prelude checksum mismatch")


def test_a_stream_ending_inside_a_message_is_an_error() -> None:
    body = event("messageStart", b"{}")
    assert both([body[:5]])[1] == (
        "ResponseParseError",
        "event stream message 1: the stream ended inside its prelude (5 of 12 bytes received)",
        0,
    )
    assert both([body, body[:-1]])[1] == (
        "ResponseParseError",
        f"event stream message 2: the stream ended inside it ({len(body) - 1} of {len(body)} bytes received)",
        len(body),
    )


def _prelude(total: int, headers: int) -> bytes:
    import zlib

    head = struct.pack(">II", total, headers)
    return head + struct.pack(">I", zlib.crc32(head))


@pytest.mark.parametrize(
    ("total", "headers", "reason"),
    [
        (2**32 - 1, 0, f"payload length {2**32 - 17} exceeds the {pure.MAX_PAYLOAD_BYTES}-byte cap"),
        (16 + pure.MAX_PAYLOAD_BYTES + 1, 0, f"payload length {pure.MAX_PAYLOAD_BYTES + 1} exceeds the"),
        (300_000, 200_000, f"headers length 200000 exceeds the {pure.MAX_HEADERS_BYTES}-byte cap"),
        (15, 0, "total length 15 is below the 16-byte minimum"),
        (20, 5, "headers length 5 does not fit in total length 20"),
    ],
)
def test_oversized_or_impossible_preludes_are_refused_at_once(total: int, headers: int, reason: str) -> None:
    _, failure = both([_prelude(total, headers)])  # nothing but the prelude: refused before buffering
    assert failure is not None
    assert failure[1].startswith(f"event stream message 1: {reason}")


def test_the_largest_allowed_payload_passes() -> None:
    payload = b"x" * pure.MAX_PAYLOAD_BYTES
    messages, failure = both([message(b"", payload)])
    assert failure is None
    assert messages[0][1] == payload


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (b"\x00", "a header name is empty or cut off"),
        (b"\x05ab", "a header name is empty or cut off"),
        (b"\x02\xff\xfe\x07\x00\x00", "a header name is not valid UTF-8"),
        (b"\x01a", 'header "a" has no value'),
        (b"\x01a\x07\x00\x05x", 'the value of header "a" is cut off'),
        (b"\x01a\x04\x00", 'the value of header "a" is cut off'),
        (b"\x01a\x07\x00\x01\xff", 'the value of header "a" is not valid UTF-8'),
        (b"\x01a\x0a", 'header "a" has unknown value type 10'),
    ],
)
def test_malformed_headers(block: bytes, reason: str) -> None:
    _, failure = both([message(block, b"")])
    assert failure == ("ResponseParseError", f"event stream message 1: malformed headers: {reason}", 0)
