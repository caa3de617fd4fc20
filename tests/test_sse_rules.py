"""The SSE and NDJSON decoding rules, checked on both backends (the Rust extension and the pure twin).

The other ``test_sse_*`` modules import ``BACKENDS``, ``LOADED``, ``decode`` and ``decode_ndjson`` from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

import pytest

import modelwire
from modelwire.exceptions import ResponseParseError
from modelwire.parsing import sse as dispatch
from modelwire.parsing.pure import sse as pure
from modelwire.parsing.sse import SseEvent

try:
    from modelwire import _core as rust
except ImportError:  # a source tree without a compiled extension: the twin alone is tested
    rust = None  # type: ignore[assignment]

BACKENDS = [
    pytest.param(pure, id="python"),
    pytest.param(rust, id="rust", marks=pytest.mark.skipif(rust is None, reason="extension not built")),
]

# Both backends at once, for tests that compare them with each other.
LOADED: list[ModuleType] = [pure] if rust is None else [pure, rust]

Failure = tuple[str, int | None]  # (message, offset) of a ResponseParseError


def decode(backend: ModuleType, pieces: Iterable[bytes]) -> tuple[list[SseEvent], Failure | None]:
    """Every event of a stream fed in ``pieces``, and the error that ended it early, if any."""
    decoder = backend.SseDecoder()
    events: list[SseEvent] = []
    try:
        for piece in pieces:
            events += decoder.feed(piece)
        events += decoder.finish()
    except ResponseParseError as exc:
        return events, (exc.message, exc.offset)
    return events, None


def decode_ndjson(backend: ModuleType, pieces: Iterable[bytes]) -> tuple[list[str], Failure | None]:
    decoder = backend.NdjsonDecoder()
    texts: list[str] = []
    try:
        for piece in pieces:
            texts += decoder.feed(piece)
        texts += decoder.finish()
    except ResponseParseError as exc:
        return texts, (exc.message, exc.offset)
    return texts, None


def events(backend: ModuleType, body: bytes) -> list[SseEvent]:
    got, failure = decode(backend, [body])
    assert failure is None
    return got


def test_dispatch_picks_the_loaded_backend() -> None:
    expected = pure if modelwire.BACKEND == "python" else rust
    assert dispatch.SseDecoder is expected.SseDecoder
    assert dispatch.NdjsonDecoder is expected.NdjsonDecoder


def test_events_compare_by_field() -> None:
    assert SseEvent(data="x") == SseEvent(None, "x", None, None)
    assert SseEvent(data="x") != SseEvent(data="x", id="1")
    assert SseEvent(data="x") != ("x",)
    assert repr(SseEvent(event="e", data="x", retry=5)) == "SseEvent(event='e', data='x', retry=5)"


@pytest.mark.parametrize("backend", BACKENDS)
class TestSse:
    def test_fields_and_multi_line_data(self, backend: ModuleType) -> None:
        body = b'event: delta\ndata: {"a":\ndata: 1}\nid: 7\nretry: 1500\n\ndata: [DONE]\n\n'
        assert events(backend, body) == [
            SseEvent("delta", '{"a":\n1}', "7", 1500),
            # The last event id carries over (as the spec says); retry belongs to its block.
            SseEvent(None, "[DONE]", "7", None),
        ]

    def test_comments_and_keep_alives_make_no_event(self, backend: ModuleType) -> None:
        body = b": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n:\n\ndata: x\n: inside\n\n\n\n"
        assert events(backend, body) == [SseEvent(data="x")]

    def test_lf_crlf_and_cr_line_ends_decode_alike(self, backend: ModuleType) -> None:
        lf = events(backend, b"event: e\ndata: a\ndata: b\n\ndata: c\n\n")
        assert lf == [SseEvent("e", "a\nb"), SseEvent(data="c")]
        assert events(backend, b"event: e\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n") == lf
        assert events(backend, b"event: e\rdata: a\rdata: b\r\rdata: c\r\r") == lf
        assert events(backend, b"event: e\rdata: a\r\ndata: b\n\r\ndata: c\r\n\n") == lf

    def test_a_cr_lf_pair_split_across_chunks_is_one_line_end(self, backend: ModuleType) -> None:
        got, failure = decode(backend, [b"data: a\r", b"\n", b"\r", b"\ndata: b\r", b"\r", b"\n"])
        assert failure is None
        assert got == [SseEvent(data="a"), SseEvent(data="b")]

    def test_one_space_after_the_colon_is_stripped_and_names_may_lack_a_colon(
        self, backend: ModuleType
    ) -> None:
        body = b"data:tight\n\ndata:  two\n\ndata\n\ndata:\ndata\n\ndata: a: b\n\ndata:\tt\n\n"
        assert [e.data for e in events(backend, body)] == ["tight", " two", "", "\n", "a: b", "\tt"]

    def test_a_field_name_is_taken_verbatim(self, backend: ModuleType) -> None:
        # One recorded body starts with " data: ..."; like the spec and the SDKs we read an unknown field.
        assert events(backend, b" data: a\n\nDATA: b\n\ndata : c\n\ndata: d\n\n") == [SseEvent(data="d")]

    def test_id_holding_nul_is_ignored_and_an_empty_id_is_kept(self, backend: ModuleType) -> None:
        body = b"id: 1\ndata: a\n\nid: x\x00y\ndata: b\n\nid\ndata: c\n\n"
        assert [e.id for e in events(backend, body)] == ["1", "1", ""]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (b"0", 0),
            (b"3000", 3000),
            (b"0018446744073709551615", 2**64 - 1),
            (b"18446744073709551616", None),
            (b"9" * 5000, None),
            (b"12a", None),
            (b"-1", None),
            (b"+5", None),
            (b"1_000", None),
            (b" 5", None),  # the value is " 5" once one space is stripped
            (b"", None),
            ("\uff11\uff12".encode(), None),  # fullwidth digits
            ("\u00b2".encode(), None),  # superscript two
        ],
    )
    def test_retry_takes_ascii_digits_only(
        self, backend: ModuleType, value: bytes, expected: int | None
    ) -> None:
        assert events(backend, b"data: x\nretry: " + value + b"\n\n") == [SseEvent(data="x", retry=expected)]

    def test_a_block_that_sets_any_field_is_an_event_even_without_data(self, backend: ModuleType) -> None:
        body = b"event: ping\n\nretry: 10\n\nid: 3\n\nretry: x\n\nunknown: field\n\nevent:\ndata: d\n\n"
        assert events(backend, body) == [
            SseEvent(event="ping"),
            SseEvent(retry=10),
            SseEvent(id="3"),
            SseEvent(data="d", id="3"),  # an empty event name is no name
        ]

    def test_done_is_an_ordinary_event(self, backend: ModuleType) -> None:
        assert events(backend, b"data: [DONE]\n\n") == [SseEvent(data="[DONE]")]

    def test_finish_delivers_the_last_event_without_its_blank_line(self, backend: ModuleType) -> None:
        assert events(backend, b"data: a\n\ndata: b\n") == [SseEvent(data="a"), SseEvent(data="b")]
        assert events(backend, b"event: end\ndata: b") == [SseEvent("end", "b")]
        assert events(backend, b"data: a\r") == [SseEvent(data="a")]
        assert events(backend, b": only a comment") == []
        assert events(backend, b"") == []

    def test_feed_returns_only_complete_events(self, backend: ModuleType) -> None:
        decoder = backend.SseDecoder()
        assert decoder.feed(b"data: a\n") == []
        assert decoder.feed(b"\ndata: b") == [SseEvent(data="a")]
        assert decoder.feed(b"\n\n") == [SseEvent(data="b")]
        assert decoder.finish() == []

    def test_a_leading_bom_is_stripped_once_even_when_split(self, backend: ModuleType) -> None:
        bom = b"\xef\xbb\xbf"
        assert events(backend, bom + b"data: a\n\n") == [SseEvent(data="a")]
        assert decode(backend, [b"\xef", b"", b"\xbb", b"\xbfdata: a\n\n"]) == ([SseEvent(data="a")], None)
        # A second BOM is content: it makes the field name unknown.
        assert events(backend, bom + bom + b"data: a\n\n") == []
        assert events(backend, b"data: " + bom + b"a\n\n") == [SseEvent(data="\ufeffa")]

    def test_utf8_split_inside_a_sequence(self, backend: ModuleType) -> None:
        body = "data: h\u00e9 \u20ac \U0001f600\n\n".encode()
        got, failure = decode(backend, [body[i : i + 1] for i in range(len(body))])
        assert (got, failure) == ([SseEvent(data="h\u00e9 \u20ac \U0001f600")], None)

    def test_invalid_utf8_after_the_events_before_it_then_sticks(self, backend: ModuleType) -> None:
        decoder = backend.SseDecoder()
        assert decoder.feed(b"data: a\n\ndata: \xff\n\ndata: c\n\n") == [SseEvent(data="a")]
        for call in (lambda: decoder.feed(b"data: d\n\n"), decoder.finish):
            with pytest.raises(ResponseParseError) as info:
                call()
            assert info.value.offset == 15
            assert str(info.value) == "invalid UTF-8 in the event stream (byte 15)"

    @pytest.mark.parametrize(
        ("pieces", "offset"),
        [
            ([b"data: a\n\ndata: ", b"\xe2\x82\n"], 15),  # no event before it in its chunk: raised at once
            ([b"data: \xe2\x82"], 6),  # truncated at the end of the stream
            ([b"data: a\n\ndata: \xe2", b"\x82"], 15),  # ... after other lines
            ([b":\xc0\x80\n"], 1),  # comments must be UTF-8 too
            ([b"\xef\xbb\xbfab\xff\n"], 5),  # a stripped BOM counts
            ([b"\xef\xbb"], 0),  # half a BOM is content
            ([b"data: \xed\xa0\x80\n"], 6),  # a UTF-16 surrogate
        ],
    )
    def test_invalid_utf8_offsets(self, backend: ModuleType, pieces: list[bytes], offset: int) -> None:
        _, failure = decode(backend, pieces)
        assert failure == ("invalid UTF-8 in the event stream", offset)

    def test_finish_makes_the_decoder_ready_for_a_new_stream(self, backend: ModuleType) -> None:
        decoder = backend.SseDecoder()
        assert decoder.feed(b"id: 1\ndata: a") == []
        assert decoder.finish() == [SseEvent(data="a", id="1")]
        assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == [SseEvent(data="b")]

    def test_accepts_bytes_and_bytearray_only(self, backend: ModuleType) -> None:
        assert backend.SseDecoder().feed(bytearray(b"data: a\n\n")) == [SseEvent(data="a")]
        with pytest.raises(TypeError):
            backend.SseDecoder().feed("data: a\n\n")


@pytest.mark.parametrize("backend", BACKENDS)
class TestNdjson:
    def test_one_text_per_non_blank_line(self, backend: ModuleType) -> None:
        pieces = [b'{"a":1}\r\n\r\n  \n\t{"b"', b':2}\n {"c":3} ', b"\n\n"]
        assert decode_ndjson(backend, pieces) == (['{"a":1}', '{"b":2}', '{"c":3}'], None)

    def test_the_last_line_needs_no_lf_and_a_bom_is_stripped(self, backend: ModuleType) -> None:
        assert decode_ndjson(backend, [b"\xef\xbb", b"\xbf[1]\n[2]"]) == (["[1]", "[2]"], None)

    def test_a_cr_alone_does_not_end_a_line(self, backend: ModuleType) -> None:
        assert decode_ndjson(backend, [b"[1]\r[2]\n"]) == (["[1]\r[2]"], None)

    def test_invalid_utf8_after_the_texts_before_it_then_sticks(self, backend: ModuleType) -> None:
        decoder = backend.NdjsonDecoder()
        assert decoder.feed(b'{}\n["\xc3\x28"]\n') == ["{}"]
        with pytest.raises(ResponseParseError) as info:
            decoder.finish()
        assert (info.value.message, info.value.offset) == ("invalid UTF-8 in the NDJSON stream", 5)
