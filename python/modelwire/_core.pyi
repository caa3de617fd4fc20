# Hand-written stub for the Rust extension `modelwire._core`; checked by `python -m mypy.stubtest`.
# Same signatures as the pure-Python twins in modelwire.parsing.pure and modelwire.request.pure.

from collections.abc import Collection, Mapping
from typing import Any

from modelwire.types import ChatCompletionResponse, EmbeddingResponse, ImageGenerationResponse

__all__ = [
    "__version__",
    "parse_chat_completion",
    "parse_embeddings",
    "parse_image_generation",
    "request_body",
]
__version__: str

def parse_chat_completion(body: bytes, provider: str = "openai") -> ChatCompletionResponse: ...
def parse_embeddings(body: bytes, provider: str = "openai") -> EmbeddingResponse: ...
def parse_image_generation(body: bytes, provider: str = "openai") -> ImageGenerationResponse: ...
def request_body(request: object, fields: Mapping[str, Any] | None, exclude: Collection[str]) -> bytes: ...
