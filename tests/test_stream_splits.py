"""Split invariance and backend agreement on arbitrary input, for the stream folders.

Any chunking of a recorded stream, down to one byte at a time, folds to the events and response of the
stream fed whole; and on mutated streams (fields of other types, duplicate keys, cut or corrupted bytes)
both backends agree: the same events before a failure, the same response, the same failure type.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_stream_corpus import BACKENDS, LOADED, STREAMS, Stream, fold, outcome

SMALL = [s for s in STREAMS if len(s.body) <= 40_000]


def pieces_at(body: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(body)]
    return [body[a:b] for a, b in pairwise(bounds)]


@st.composite
def split_stream(draw: st.DrawFn) -> tuple[Stream, list[bytes]]:
    stream = draw(st.sampled_from(STREAMS))
    cuts = draw(st.lists(st.integers(0, len(stream.body)), max_size=48))
    return stream, pieces_at(stream.body, cuts)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=split_stream())
def test_a_recorded_stream_in_random_pieces_folds_the_same(
    backend: Any, case: tuple[Stream, list[bytes]]
) -> None:
    stream, pieces = case
    assert outcome(fold(backend, stream.format, pieces)) == outcome(
        fold(backend, stream.format, [stream.body])
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_recorded_streams_one_byte_at_a_time_fold_the_same(backend: Any) -> None:
    # The twin is slow byte by byte: it takes the smaller streams, the Rust folder every stream.
    streams = SMALL if backend is LOADED[0] else STREAMS
    for stream in streams:
        body = stream.body
        one_by_one = fold(backend, stream.format, [body[i : i + 1] for i in range(len(body))])
        assert outcome(one_by_one) == outcome(fold(backend, stream.format, [body])), stream.id


# --- both backends on mutated streams -------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


def _dumps(value: Any) -> bytes:
    # The standard library writes integers of any size (orjson refuses those beyond 64 bits).
    return json.dumps(value, separators=(",", ":")).encode()


@st.composite
def mutated_stream(draw: st.DrawFn) -> tuple[str, bytes]:
    """A recorded stream with a few events changed: a field given another JSON value, a field written
    twice (the last must win), an event cut short, or raw bytes corrupted."""
    stream = draw(st.sampled_from(SMALL))
    blocks = stream.body.replace(b"\r\n", b"\n").split(b"\n\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(blocks) - 1))
        lines = blocks[at].split(b"\n")
        data = [i for i, line in enumerate(lines) if line.startswith(b"data: {")]
        how = draw(st.sampled_from(["value", "duplicate", "cut", "bytes"]))
        if data and how in ("value", "duplicate"):
            try:
                payload = orjson.loads(lines[data[0]][6:])
            except orjson.JSONDecodeError:  # already corrupted by an earlier mutation
                continue
            paths = _paths(payload)
            if not paths:
                continue
            path = draw(st.sampled_from(paths))
            if how == "value":
                text = _dumps(_replace(payload, path, draw(JSON_VALUES)))
            else:  # the first key of the top level written again, first with another value
                key = path[0] if isinstance(path[0], str) else next(iter(payload), None)
                if not isinstance(payload, dict) or key is None:
                    continue
                rest = orjson.dumps(payload)[1:]
                text = b"{" + _dumps(key) + b":" + _dumps(draw(JSON_VALUES)) + b"," + rest
            lines[data[0]] = b"data: " + text
        elif how == "cut":
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        else:
            raw = bytearray(blocks[at])
            if raw:
                raw[draw(st.integers(0, len(raw) - 1))] = draw(st.sampled_from(b'{}[]",:\\\xff\xc3 0a\n'))
            lines = bytes(raw).split(b"\n")
        blocks[at] = b"\n".join(lines)
    return stream.format, b"\n\n".join(blocks)


@pytest.mark.skipif(len(LOADED) < 2, reason="the Rust extension is not built")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_stream(), cut=st.integers(0, 10_000))
def test_both_backends_agree_on_mutated_streams(case: tuple[str, bytes], cut: int) -> None:
    format, body = case
    pieces = [body[:cut], body[cut:]]
    results = [outcome(fold(backend, format, pieces)) for backend in LOADED]
    assert results[0] == results[1]
