# Hand-written stub for the Rust extension `modelwire._core`; checked by `python -m mypy.stubtest`.
# Same signatures as the pure-Python twins in modelwire.parsing.pure and modelwire.request.pure.

from collections.abc import Collection, Mapping
from typing import Any
from typing import final as _final

from modelwire.parsing.pure.sse import SseEvent as _SseEvent
from modelwire.types import ChatCompletionResponse, EmbeddingResponse, ImageGenerationResponse
from modelwire.types.stream import StreamEvent as _StreamEvent

__all__ = [
    "AnthropicStreamFolder",
    "NdjsonDecoder",
    "OpenAIStreamFolder",
    "SseDecoder",
    "__version__",
    "parse_anthropic_message",
    "parse_chat_completion",
    "parse_embeddings",
    "parse_image_generation",
    "request_body",
]
__version__: str

def parse_anthropic_message(body: bytes, provider: str = "anthropic") -> ChatCompletionResponse: ...
def parse_chat_completion(body: bytes, provider: str = "openai") -> ChatCompletionResponse: ...
def parse_embeddings(body: bytes, provider: str = "openai") -> EmbeddingResponse: ...
def parse_image_generation(body: bytes, provider: str = "openai") -> ImageGenerationResponse: ...
def request_body(request: object, fields: Mapping[str, Any] | None, exclude: Collection[str]) -> bytes: ...

# --- SSE decoding ---
# The pure twin (modelwire.parsing.pure.sse) documents the rules; both return equal SseEvent objects.

@_final
class SseDecoder:
    def __new__(cls, *, max_line: int = ..., max_event: int = ...) -> SseDecoder: ...  # caps: MAX_*_BYTES
    def feed(self, chunk: bytes | bytearray) -> list[_SseEvent]: ...
    def finish(self) -> list[_SseEvent]: ...

@_final
class NdjsonDecoder:
    def __new__(cls, *, max_line: int = ...) -> NdjsonDecoder: ...  # default MAX_LINE_BYTES
    def feed(self, chunk: bytes | bytearray) -> list[str]: ...
    def finish(self) -> list[str]: ...

# --- Stream folding ---
# The pure twins (modelwire.parsing.pure.stream_openai / stream_anthropic) and docs/stream-rules.md
# document the rules; both return equal events and responses.

@_final
class OpenAIStreamFolder:
    def __new__(cls, provider: str = ...) -> OpenAIStreamFolder: ...  # default "openai"
    def feed(self, chunk: bytes | bytearray) -> list[_StreamEvent]: ...
    def finish(self) -> list[_StreamEvent]: ...
    def response(self) -> ChatCompletionResponse: ...
    @property
    def error(self) -> str | None: ...
    @property
    def done(self) -> bool: ...
    @property
    def provider(self) -> str: ...

@_final
class AnthropicStreamFolder:
    def __new__(cls, provider: str = ...) -> AnthropicStreamFolder: ...  # default "anthropic"
    def feed(self, chunk: bytes | bytearray) -> list[_StreamEvent]: ...
    def finish(self) -> list[_StreamEvent]: ...
    def response(self) -> ChatCompletionResponse: ...
    @property
    def error(self) -> str | None: ...
    @property
    def done(self) -> bool: ...
    @property
    def provider(self) -> str: ...
