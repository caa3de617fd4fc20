"""Canonical types: one shape for every provider, shared by the Rust parser and its pure-Python twin."""

from modelwire.types.chat import (
    FINISH_REASONS,
    GENERATED_ID_PREFIX,
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    FinishReason,
    ReasoningItem,
    ThinkingBlock,
    ToolCall,
    new_tool_call_id,
)
from modelwire.types.cost import Cost
from modelwire.types.embeddings import EmbeddingResponse
from modelwire.types.images import ImageGenerationResponse, ImagePayload
from modelwire.types.requests import ChatCompletionRequest, EmbeddingRequest, ImageGenerationRequest
from modelwire.types.stream import (
    ReasoningDelta,
    RefusalDelta,
    StreamEvent,
    StreamFinish,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from modelwire.types.usage import Usage

__all__ = [
    "FINISH_REASONS",
    "GENERATED_ID_PREFIX",
    "AssistantMessage",
    "ChatCompletionChoice",
    "ChatCompletionRequest",
    "ChatCompletionResponse",
    "Cost",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "FinishReason",
    "ImageGenerationRequest",
    "ImageGenerationResponse",
    "ImagePayload",
    "ReasoningDelta",
    "ReasoningItem",
    "RefusalDelta",
    "StreamEvent",
    "StreamFinish",
    "TextDelta",
    "ThinkingBlock",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
    "Usage",
    "UsageUpdate",
    "new_tool_call_id",
]
