"""Split invariance, backend agreement on arbitrary bytes, and linear cost, for the SSE/NDJSON decoders.

Any chunking of a body, down to one byte at a time, must give the events of the body fed whole; the two
backends must agree on every input, errors included; and neither may re-scan bytes it has already
read (checked with the decoders' scan counters and, for the full stack, in a subprocess).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from itertools import pairwise
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelwire.parsing.pure import sse as pure
from test_sse_corpus import NDJSON_STREAMS, SSE_STREAMS
from test_sse_rules import BACKENDS, LOADED, decode, decode_ndjson

CORPUS_BODIES = [r.body for r in SSE_STREAMS]


def pieces_at(body: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(body)]
    return [body[a:b] for a, b in pairwise(bounds)]


@st.composite
def split_body(draw: st.DrawFn, bodies: st.SearchStrategy[bytes]) -> tuple[bytes, list[bytes]]:
    body = draw(bodies)
    cuts = draw(st.lists(st.integers(0, len(body)), max_size=min(len(body), 64)))
    return body, pieces_at(body, cuts)


# Streams built from the pieces that carry meaning, so every rule (and bad UTF-8) is exercised.
_LINE_ENDS = st.sampled_from([b"\n", b"\r", b"\r\n"])
_VALUES = st.one_of(
    st.text(max_size=12).map(str.encode),
    st.sampled_from([b"", b" ", b"  x", b"[DONE]", b"12", b"0018446744073709551616", b"a\x00b", b"{}"]),
    st.binary(max_size=6),
)
_FIELDS = st.sampled_from([b"data", b"event", b"id", b"retry", b"", b"other", b" data", b"\xef\xbb\xbf"])
_LINES = st.one_of(
    st.tuples(_FIELDS, st.sampled_from([b":", b": ", b""]), _VALUES).map(b"".join),
    st.just(b""),
)
SYNTHETIC = st.tuples(
    st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb"]),
    st.lists(st.tuples(_LINES, _LINE_ENDS).map(b"".join), max_size=12),
    _LINES,
).map(lambda parts: parts[0] + b"".join(parts[1]) + parts[2])
BIASED_BYTES = st.lists(
    st.sampled_from(list(b"data:event:id \r\n\n\r9\x00\xef\xbb\xbf\xe2\x82\xac\xff\xc3"))
).map(bytes)
ARBITRARY = st.one_of(SYNTHETIC, BIASED_BYTES, st.binary(max_size=80))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=split_body(st.sampled_from(CORPUS_BODIES)))
def test_corpus_streams_in_random_pieces_give_the_same_events(
    backend: ModuleType, case: tuple[bytes, list[bytes]]
) -> None:
    body, pieces = case
    assert decode(backend, pieces) == decode(backend, [body])


@pytest.mark.parametrize("backend", BACKENDS)
def test_corpus_streams_one_byte_at_a_time_give_the_same_events(backend: ModuleType) -> None:
    for recording in SSE_STREAMS:
        body = recording.body
        assert decode(backend, [body[i : i + 1] for i in range(len(body))]) == decode(backend, [body]), (
            recording.id
        )
    for recording in NDJSON_STREAMS:
        body = recording.body
        one_by_one = decode_ndjson(backend, [body[i : i + 1] for i in range(len(body))])
        assert one_by_one == decode_ndjson(backend, [body]), recording.id


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=400, deadline=None)
@given(case=split_body(ARBITRARY))
def test_any_bytes_in_any_pieces_give_the_same_result(
    backend: ModuleType, case: tuple[bytes, list[bytes]]
) -> None:
    body, pieces = case
    assert decode(backend, pieces) == decode(backend, [body])
    assert decode_ndjson(backend, pieces) == decode_ndjson(backend, [body])


@pytest.mark.skipif(len(LOADED) < 2, reason="extension not built")
@settings(max_examples=1000, deadline=None)
@given(case=split_body(ARBITRARY))
def test_both_backends_agree_on_any_bytes_errors_included(case: tuple[bytes, list[bytes]]) -> None:
    _, pieces = case
    twin, rust = LOADED
    assert decode(twin, pieces) == decode(rust, pieces)
    assert decode_ndjson(twin, pieces) == decode_ndjson(rust, pieces)


def test_the_twin_never_rescans_what_it_has_read() -> None:
    # A 10 MB chunk of small events, then one 256 kB event one byte at a time: the bytes handed to
    # searches stay within a constant factor of the bytes fed (a re-scan of the held line would square).
    chunk = b'event: delta\ndata: {"text": "0123456789abcdef"}\n\n' * (10 * 2**20 // 49)
    decoder = pure.SseDecoder()
    assert len(decoder.feed(chunk)) == 10 * 2**20 // 49
    assert decoder._lines.scanned <= 3 * len(chunk)

    body = b"data: " + b"y" * 2**18 + b"\r\n\r\n"
    decoder = pure.SseDecoder()
    got = [event for i in range(len(body)) for event in decoder.feed(body[i : i + 1])]
    assert [len(event.data) for event in got] == [2**18]
    assert decoder._lines.scanned <= 4 * len(body)


_LINEAR_SCRIPT = textwrap.dedent(
    """
    import importlib, sys
    backend = importlib.import_module(sys.argv[1])
    chunk = b'data: {"i": 1}\\n\\n' * (10 * 2**20 // 16)
    assert len(backend.SseDecoder().feed(chunk)) == 10 * 2**20 // 16
    body = b"data: " + b"y" * (2 * 2**20) + b"\\n\\n"
    decoder = backend.SseDecoder()
    events = [e for i in range(len(body)) for e in decoder.feed(body[i : i + 1])]
    assert len(events[0].data) == 2 * 2**20
    lines = b'{"a": 1}\\n' * (10 * 2**20 // 9)
    assert len(backend.NdjsonDecoder().feed(lines)) == 10 * 2**20 // 9
    print("ok")
    """
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_large_chunks_and_a_large_event_byte_by_byte_finish_in_linear_time(backend: ModuleType) -> None:
    # Linear work takes a few seconds here; quadratic work (2 MB byte by byte is ~2e12 byte copies) would
    # take hours. The limit is that generous on purpose: this is not a speed test.
    result = subprocess.run(
        [sys.executable, "-c", _LINEAR_SCRIPT, backend.__name__],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
