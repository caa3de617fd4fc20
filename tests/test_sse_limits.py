"""The caps of the incremental decoders (docs/stream-rules.md section 7), on both backends.

A line that never ends, or an event whose data never stops, is a ``ResponseParseError`` once it passes
its cap, with the same message and offset from both backends however the bytes are split; the buffers
stay bounded by the caps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwire.exceptions import ResponseParseError
from modelwire.parsing.pure import sse as pure
from modelwire.parsing.pure.stream_openai import OpenAIStreamFolder as PureOpenAIFolder
from modelwire.parsing.sse import SseEvent
from test_sse_rules import BACKENDS, LOADED

MiB = 1 << 20
Outcome = tuple[list[Any], tuple[str, int | None] | None]


def run(decoder: Any, pieces: Iterable[bytes]) -> Outcome:
    """Feeds ``pieces`` then finishes: the items returned, and the error that ended the run."""
    out: list[Any] = []
    try:
        for piece in pieces:
            out += decoder.feed(piece)
        out += decoder.finish()
    except ResponseParseError as exc:
        return out, (exc.message, exc.offset)
    return out, None


def feed_until_error(decoder: Any, piece: bytes, times: int) -> ResponseParseError:
    """Feeds ``piece`` up to ``times`` times: the error that stopped it (the test fails if none did)."""
    for _ in range(times):
        try:
            decoder.feed(piece)
        except ResponseParseError as exc:
            return exc
    pytest.fail(f"no error after {times} pieces of {len(piece)} bytes")


def splits(body: bytes) -> Iterable[list[bytes]]:
    yield [body]
    yield [body[i : i + 1] for i in range(len(body))]
    for cut in range(len(body) + 1):
        yield [body[:cut], body[cut:]]


@pytest.mark.parametrize("backend", BACKENDS)
class TestCaps:
    def test_a_line_past_the_cap_fails_at_its_first_byte_however_split(self, backend: ModuleType) -> None:
        body = b"data: a\n\ndata: 1234\n\n"
        for pieces in splits(body):
            got = run(backend.SseDecoder(max_line=9), pieces)
            assert got == ([SseEvent(data="a")], ("a line of the event stream is longer than 9 bytes", 9))
        # At the cap exactly is fine, with or without a line end.
        assert run(backend.SseDecoder(max_line=9), [b"data: 123\n\ndata: 456"]) == (
            [SseEvent(data="123"), SseEvent(data="456")],
            None,
        )

    def test_an_event_past_the_data_cap_fails_after_the_events_before_it(self, backend: ModuleType) -> None:
        # Seven bytes of data are allowed: "abc\nde" (6) passes, "abc\ndefg" (8) does not; joins count.
        body = b"data: abc\ndata: de\n\ndata: abc\n: note\ndata: defg\n\ndata: y\n\n"
        expected = (
            [SseEvent(data="abc\nde")],
            ("an event of the event stream holds more than 7 bytes of data", None),
        )
        for pieces in splits(body):
            assert run(backend.SseDecoder(max_event=7), pieces) == expected
        # Bytes, not characters: three euro signs are nine bytes.
        got = run(backend.SseDecoder(max_event=7), ["data: \u20ac\u20ac\u20ac\n\n".encode()])
        assert got[1] is not None

    def test_the_decoder_stays_failed_after_a_cap(self, backend: ModuleType) -> None:
        decoder = backend.SseDecoder(max_line=4)
        with pytest.raises(ResponseParseError) as first:
            decoder.feed(b"data: x")
        for call in (lambda: decoder.feed(b"\n\n"), decoder.finish):
            with pytest.raises(ResponseParseError) as again:
                call()
            assert (again.value.message, again.value.offset) == (first.value.message, first.value.offset)

    def test_a_long_line_wins_over_invalid_utf8_inside_it_but_not_over_an_earlier_line(
        self, backend: ModuleType
    ) -> None:
        long_line = run(backend.SseDecoder(max_line=6), [b"data: \xff\xff\n\n"])
        assert long_line[1] == ("a line of the event stream is longer than 6 bytes", 0)
        earlier = run(backend.SseDecoder(max_line=6), [b"a\xff\ndata: 1234567\n"])
        assert earlier[1] == ("invalid UTF-8 in the event stream", 1)

    def test_ndjson_lines_are_capped(self, backend: ModuleType) -> None:
        body = b'{"a":1}\n{"b":22222}\n'
        for pieces in splits(body):
            got = run(backend.NdjsonDecoder(max_line=8), pieces)
            assert got == (['{"a":1}'], ("a line of the NDJSON stream is longer than 8 bytes", 8))

    def test_an_endless_line_stops_at_the_default_cap(self, backend: ModuleType) -> None:
        # Before the caps, this grew the buffer until allocation failed (SIGABRT with the Rust backend).
        for decoder in (backend.SseDecoder(), backend.NdjsonDecoder()):
            decoder.feed(b"data: ok\n\n")
            error = feed_until_error(decoder, b"x" * MiB, pure.MAX_LINE_BYTES // MiB + 2)
            assert "is longer than 33554432 bytes" in error.message
            assert error.offset == 10

    def test_an_endless_event_stops_at_the_default_cap(self, backend: ModuleType) -> None:
        decoder = backend.SseDecoder()
        line = b"data: " + b"x" * (MiB - 7) + b"\n"  # 1 MiB of data per line, join included
        error = feed_until_error(decoder, line, pure.MAX_EVENT_BYTES // MiB + 2)
        assert error.message == "an event of the event stream holds more than 67108864 bytes of data"


def test_the_stream_folders_fail_with_their_provider_past_the_cap() -> None:
    folders: list[Callable[[], Any]] = [lambda: PureOpenAIFolder(provider="groq")]
    if len(LOADED) == 2:
        folders.append(lambda: LOADED[1].OpenAIStreamFolder(provider="groq"))
    for make in folders:
        folder = make()
        first = folder.feed(b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n')
        assert len(first) == 1
        error = feed_until_error(folder, b"y" * MiB, pure.MAX_LINE_BYTES // MiB + 2)
        assert "is longer than 33554432 bytes" in error.message
        assert error.provider == "groq"


# A small alphabet makes lines, blank lines, CRs, data joins and multi-byte characters frequent.
_pieces = st.lists(
    st.sampled_from(
        [b"data: ", b"data:", b"event: e", b"\n", b"\r", b"\r\n", b"ab", b"\xe2\x82\xac", b"\xff", b": c"]
    ),
    max_size=40,
)


@pytest.mark.skipif(len(LOADED) < 2, reason="extension not built")
@settings(max_examples=400, deadline=None)
@given(_pieces, st.integers(1, 12), st.integers(1, 16), st.integers(0, 400))
def test_both_backends_agree_on_events_and_the_first_fault(
    parts: list[bytes], max_line: int, max_event: int, cut: int
) -> None:
    body = b"".join(parts)
    cut = min(cut, len(body))
    results = []
    for backend in LOADED:
        whole = run(backend.SseDecoder(max_line=max_line, max_event=max_event), [body])
        split = run(backend.SseDecoder(max_line=max_line, max_event=max_event), [body[:cut], body[cut:]])
        assert whole == split
        ndjson = run(backend.NdjsonDecoder(max_line=max_line), [body[:cut], body[cut:]])
        results.append((whole, ndjson))
    assert results[0] == results[1]
