"""modelwire: fast, honest model-provider clients.

``import modelwire`` stays light: the canonical types and exceptions load at once; clients, config and
everything that needs httpx or pydantic load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelwire._backend import BACKEND, BACKEND_REASON
from modelwire._constants import VERSION as __version__
from modelwire.exceptions import (
    AdmissionTimeoutError,
    AllModelsExhaustedError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AttemptRecord,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ContentPolicyError,
    ContextWindowExceededError,
    ErrorKind,
    InternalServerError,
    InvalidBatchItemError,
    ModelRefusalError,
    ModelwireError,
    ModelwireWarning,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    PoolTimeoutError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    ResponseParseError,
    ResponseTooLargeError,
    ResponseValidationError,
    StreamInterruptedError,
    ToolArgumentsError,
    UnprocessableEntityError,
    UnsupportedCapabilityError,
    UnsupportedParamsError,
)
from modelwire.types import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionRequest,
    ChatCompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ImageGenerationRequest,
    ImageGenerationResponse,
    ImagePayload,
    ReasoningItem,
    ThinkingBlock,
    ToolCall,
    Usage,
)

if TYPE_CHECKING:  # what __getattr__ loads on first use, for type checkers and IDEs (keep in sync with _LAZY)
    from modelwire.config import LLMConfig, ModelSpec
    from modelwire.facade import AsyncClient, Client, ModelRegistry, UsageLedger

# name -> module that defines it; imported on first attribute access (PEP 562).
_LAZY: dict[str, str] = {
    "AsyncClient": "modelwire.facade",
    "Client": "modelwire.facade",
    "LLMConfig": "modelwire.config",
    "ModelRegistry": "modelwire.facade",
    "ModelSpec": "modelwire.config",
    "UsageLedger": "modelwire.facade",
}

__all__ = [
    "BACKEND",
    "BACKEND_REASON",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AdmissionTimeoutError",
    "AllModelsExhaustedError",
    "AssistantMessage",
    "AsyncClient",
    "AttemptRecord",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletionChoice",
    "ChatCompletionRequest",
    "ChatCompletionResponse",
    "Client",
    "ClientClosedError",
    "ContentPolicyError",
    "ContextWindowExceededError",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "ErrorKind",
    "ImageGenerationRequest",
    "ImageGenerationResponse",
    "ImagePayload",
    "InternalServerError",
    "InvalidBatchItemError",
    "LLMConfig",
    "ModelRefusalError",
    "ModelRegistry",
    "ModelSpec",
    "ModelwireError",
    "ModelwireWarning",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "PoolTimeoutError",
    "ProviderError",
    "QuotaExceededError",
    "RateLimitError",
    "ReasoningItem",
    "ResponseParseError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "StreamInterruptedError",
    "ThinkingBlock",
    "ToolArgumentsError",
    "ToolCall",
    "UnprocessableEntityError",
    "UnsupportedCapabilityError",
    "UnsupportedParamsError",
    "Usage",
    "UsageLedger",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelwire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
