"""Provider responses to canonical types: the Rust parser when it is loaded, else the pure-Python twin.

The functions below *are* the chosen implementation (bound once at import, no per-call dispatch); both
follow docs/parsing-rules.md and raise :class:`~modelwire.ResponseParseError` on bad input.
"""

from __future__ import annotations

from typing import Final, Protocol, TypeVar

from modelwire._backend import core
from modelwire.parsing import pure
from modelwire.parsing.anthropic import parse_anthropic_message
from modelwire.parsing.bedrock import parse_bedrock_converse
from modelwire.parsing.gemini import parse_gemini_content, parse_gemini_embeddings
from modelwire.types import ChatCompletionResponse, EmbeddingResponse, ImageGenerationResponse

__all__ = [
    "parse_anthropic_message",
    "parse_bedrock_converse",
    "parse_chat_completion",
    "parse_embeddings",
    "parse_gemini_content",
    "parse_gemini_embeddings",
    "parse_image_generation",
    "parse_responses",
]

_T_co = TypeVar("_T_co", covariant=True)


class _Parser(Protocol[_T_co]):
    def __call__(self, body: bytes, provider: str = "openai") -> _T_co: ...


parse_chat_completion: Final[_Parser[ChatCompletionResponse]] = (
    pure.parse_chat_completion if core is None else core.parse_chat_completion
)
parse_embeddings: Final[_Parser[EmbeddingResponse]] = (
    pure.parse_embeddings if core is None else core.parse_embeddings
)
parse_image_generation: Final[_Parser[ImageGenerationResponse]] = (
    pure.parse_image_generation if core is None else core.parse_image_generation
)
parse_responses: Final[_Parser[ChatCompletionResponse]] = (
    pure.parse_responses if core is None else core.parse_responses
)
