# Hand-written stub for the Rust extension `modelwire._core`; checked by `python -m mypy.stubtest`.
# Same signatures as the pure-Python twins in modelwire.parsing.pure and modelwire.request.pure.

from collections.abc import Collection, Mapping
from typing import Any
from typing import final as _final

from modelwire.parsing.pure.sse import SseEvent as _SseEvent
from modelwire.types import ChatCompletionResponse, EmbeddingResponse, ImageGenerationResponse

__all__ = [
    "NdjsonDecoder",
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
    def __init__(self) -> None: ...
    def feed(self, chunk: bytes | bytearray) -> list[_SseEvent]: ...
    def finish(self) -> list[_SseEvent]: ...

@_final
class NdjsonDecoder:
    def __init__(self) -> None: ...
    def feed(self, chunk: bytes | bytearray) -> list[str]: ...
    def finish(self) -> list[str]: ...
