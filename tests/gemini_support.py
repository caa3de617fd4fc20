"""Shared by the Gemini tests: both implementations, the corpus bodies and streams (re-framed as SSE)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from corpus_files import recordings
from modelwire.exceptions import ResponseParseError
from modelwire.parsing.pure import gemini, gemini_embeddings, stream_gemini
from modelwire.types.stream import StreamEvent
from test_stream_corpus import Folded

try:
    from modelwire import _core as rust
except ImportError:  # a source tree without a compiled extension: the twin alone is tested
    rust = None  # type: ignore[assignment]


class _Twin:
    parse_gemini_content = staticmethod(gemini.parse_gemini_content)
    parse_gemini_embeddings = staticmethod(gemini_embeddings.parse_gemini_embeddings)
    GeminiStreamFolder = stream_gemini.GeminiStreamFolder


twin: Any = _Twin
RUST_HAS_GEMINI = rust is not None and hasattr(rust, "GeminiStreamFolder")
BACKENDS = [
    pytest.param(twin, id="python"),
    pytest.param(
        rust, id="rust", marks=pytest.mark.skipif(not RUST_HAS_GEMINI, reason="no Rust Gemini port built")
    ),
]
LOADED: list[Any] = [twin, rust] if RUST_HAS_GEMINI else [twin]

PROVIDERS = ("gemini", "vertex")
BODIES = list(recordings("generate_content", providers=PROVIDERS))
EMBEDDINGS = list(recordings("embeddings", providers=PROVIDERS))


@dataclass(frozen=True)
class Stream:
    id: str
    provider: str
    body: bytes


def as_sse(body: bytes) -> bytes:
    """A recorded stream as ``alt=sse`` bytes: SSE bodies as they are; a JSON-array stream (no
    ``alt=sse``) and payload files (one JSON object a line) re-framed as one ``data:`` event per chunk."""
    stripped = body.lstrip()
    if stripped.startswith(b"data:"):
        return body
    if stripped.startswith(b"["):
        return b"".join(b"data: " + orjson.dumps(chunk) + b"\r\n\r\n" for chunk in orjson.loads(body))
    return b"".join(b"data: " + line + b"\n\n" for line in body.split(b"\n") if line.strip())


STREAMS = [
    Stream(r.id, r.provider, as_sse(r.body))
    for r in recordings("stream_generate_content", "generate_content_stream_payloads", providers=PROVIDERS)
]


def fold(backend: Any, pieces: Iterable[bytes], provider: str = "gemini") -> Folded:
    folder = backend.GeminiStreamFolder(provider)
    events: list[StreamEvent] = []
    failure = None
    try:
        for piece in pieces:
            events += folder.feed(piece)
        events += folder.finish()
    except ResponseParseError as exc:
        failure = exc
    return Folded(events, folder.response(), folder.error, folder.done, failure)
