"""The fuzz targets: every parser and decoder, both backends, one property each (the two results are
equal; on a fault, the same type, and for a shape fault the same path and message: the first fault in
document order). ``test_fuzz.py`` runs each briefly in the suite and replays ``fuzz_corpus/``;
``benches/fuzz_campaign.py`` (``make fuzz``) runs them time-boxed with a large budget and saves every
input that breaks a property into ``fuzz_corpus/`` (a regression test from then on).

An input is ``bytes`` for every target, so a saved input replays without its strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from modelwire.exceptions import ResponseParseError
from parse_support import ANTHROPIC_TEMPLATE, both, mutate, outcome
from test_parse_properties import CORPUS, PIECES
from test_stream_splits import mutated_stream

__all__ = ["TARGETS", "Target"]


@dataclass(frozen=True)
class Target:
    name: str
    inputs: st.SearchStrategy[bytes]
    check: Callable[[bytes], None]


def _same_fault(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b) is ResponseParseError, (a, b)
    assert (a.path is None) == (b.path is None), (a, b)
    if a.path is not None:  # a shape fault: the first in document order, worded alike
        assert (a.path, a.message) == (b.path, b.message), (a, b)


def _agree(name: str, provider: str = "openai") -> Callable[[bytes], None]:
    def check(body: bytes) -> None:
        pure, rust = both()
        kind_a, a = outcome(getattr(pure, name), body, provider)
        kind_b, b = outcome(getattr(rust, name), body, provider)
        assert kind_a == kind_b, (a, b)
        if kind_a == "ok":
            assert a == b
        else:
            _same_fault(a, b)

    return check


def _decoded(make: Callable[[Any], Any], body: bytes) -> tuple[list[Any], tuple[str, int | None] | None]:
    decoder, out = make, []
    try:
        for piece in (body[: len(body) // 2], body[len(body) // 2 :]):
            out += decoder.feed(piece)
        out += decoder.finish()
    except ResponseParseError as exc:
        return out, (exc.message, exc.offset)
    return out, None


def _decoders_agree(body: bytes) -> None:
    """SSE and NDJSON with small caps (the first byte of the input picks them), both backends equal."""
    from modelwire.parsing.pure import sse as pure
    from test_sse_rules import LOADED

    rust = LOADED[-1]
    caps = {"max_line": 1 + (body[:1] or b"\x10")[0] % 24, "max_event": 1 + (body[1:2] or b"\x20")[0] % 40}
    body = body[2:]
    for build in (lambda m: m.SseDecoder(**caps), lambda m: m.NdjsonDecoder(max_line=caps["max_line"])):
        assert _decoded(build(pure), body) == _decoded(build(rust), body)


def _folders_agree(body: bytes) -> None:
    """The first byte names the format (even: OpenAI, odd: Anthropic); the rest is the stream."""
    from test_stream_corpus import LOADED, fold
    from test_stream_corpus import outcome as fold_outcome

    format = "anthropic" if (body[:1] or b"\x00")[0] % 2 else "openai"
    rest = body[1:]
    pieces = [rest[: len(rest) // 3], rest[len(rest) // 3 :]]
    results = [fold_outcome(fold(backend, format, pieces)) for backend in LOADED]
    assert results[0] == results[1]


_SSE_PIECES = [b"data: ", b"data:", b"event: e", b"id: 1", b"retry: 5", b"\n", b"\r", b"\r\n", b"ab", b"{}",
               b"\xe2\x82\xac", b"\xff", b": c", b"\xef\xbb\xbf"]  # fmt: skip


@st.composite
def _corpus_body(draw: st.DrawFn, name: str) -> bytes:
    body = draw(st.sampled_from([body for kind, body in CORPUS if kind == name]))
    return mutate(draw, body, PIECES)


@st.composite
def _anthropic_body(draw: st.DrawFn) -> bytes:
    import orjson

    return mutate(draw, orjson.dumps(ANTHROPIC_TEMPLATE), [*PIECES, b'"type":"text",', b'"input":'])


@st.composite
def _sse_body(draw: st.DrawFn) -> bytes:
    head = bytes(draw(st.lists(st.integers(0, 255), min_size=2, max_size=2)))
    return head + b"".join(draw(st.lists(st.sampled_from(_SSE_PIECES), max_size=60)))


@st.composite
def _stream_body(draw: st.DrawFn) -> bytes:
    format, body = draw(mutated_stream())
    return (b"\x01" if format == "anthropic" else b"\x00") + body


TARGETS = {
    target.name: target
    for target in (
        Target("chat", _corpus_body("parse_chat_completion"), _agree("parse_chat_completion")),
        Target("embeddings", _corpus_body("parse_embeddings"), _agree("parse_embeddings")),
        Target("images", _corpus_body("parse_image_generation"), _agree("parse_image_generation")),
        Target("anthropic", _anthropic_body(), _agree("parse_anthropic_message", "anthropic")),
        Target("decoders", _sse_body(), _decoders_agree),
        Target("stream_folders", _stream_body(), _folders_agree),
    )
}
