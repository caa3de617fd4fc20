"""``ModelClient``: the interface every adapter implements, with Data Designer's method names, so a modelwire
adapter can stand in for one of Data Designer's own clients unchanged.

Adapters never retry (``modelwire.policy`` does); every failure they raise is a
``modelwire.ProviderError`` subclass. An operation the adapter does not offer raises
``UnsupportedCapabilityError`` and its ``supports_*`` method says ``False``.

``stream`` / ``astream`` send nothing when called: they return a chat stream (see
:mod:`modelwire.providers.streaming`) that opens on ``with`` / ``async with``, on iteration, or on
``open()`` / ``aopen()``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from modelwire.providers.streaming import AsyncChatStream, ChatStream
from modelwire.types import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ImageGenerationRequest,
    ImageGenerationResponse,
)

__all__ = ["ModelClient"]


@runtime_checkable
class ModelClient(Protocol):
    @property
    def provider_name(self) -> str: ...

    def supports_chat_completion(self) -> bool: ...

    def supports_embeddings(self) -> bool: ...

    def supports_image_generation(self) -> bool: ...

    def completion(self, request: ChatCompletionRequest) -> ChatCompletionResponse: ...

    async def acompletion(self, request: ChatCompletionRequest) -> ChatCompletionResponse: ...

    def stream(self, request: ChatCompletionRequest) -> ChatStream: ...

    def astream(self, request: ChatCompletionRequest) -> AsyncChatStream: ...

    def embeddings(self, request: EmbeddingRequest) -> EmbeddingResponse: ...

    async def aembeddings(self, request: EmbeddingRequest) -> EmbeddingResponse: ...

    def generate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse: ...

    async def agenerate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...
