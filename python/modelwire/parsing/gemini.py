"""Gemini API / Vertex AI responses to canonical types: the Rust parser when it has one, else the twin.

Rules: docs/parsing-rules-gemini.md. An extension built before the Rust port existed lacks these
functions; the twin serves then.
"""

from __future__ import annotations

from typing import Final, Protocol, TypeVar

from modelwire._backend import core
from modelwire.parsing.pure.gemini import parse_gemini_content as _pure_content
from modelwire.parsing.pure.gemini_embeddings import parse_gemini_embeddings as _pure_embeddings
from modelwire.types import ChatCompletionResponse, EmbeddingResponse

__all__ = ["parse_gemini_content", "parse_gemini_embeddings"]

_T_co = TypeVar("_T_co", covariant=True)


class _Parser(Protocol[_T_co]):
    def __call__(self, body: bytes, provider: str = "gemini") -> _T_co: ...


parse_gemini_content: Final[_Parser[ChatCompletionResponse]] = (
    getattr(core, "parse_gemini_content", None) or _pure_content
)
parse_gemini_embeddings: Final[_Parser[EmbeddingResponse]] = (
    getattr(core, "parse_gemini_embeddings", None) or _pure_embeddings
)
