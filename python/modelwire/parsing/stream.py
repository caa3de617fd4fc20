"""Stream folding: SSE bytes of a streamed chat completion in, typed stream events and one final
``ChatCompletionResponse`` out; the Rust folder when the extension is loaded, else the pure-Python twin.

    folder = OpenAIStreamFolder(provider="groq")      # or AnthropicStreamFolder(), BedrockStreamFolder(), ...
    for chunk in response.iter_bytes():
        for event in folder.feed(chunk): ...
    events = folder.finish()
    final = folder.response()

``folder.error`` holds the data of an error event sent inside the stream (folding stops there; the
providers layer classifies it); ``folder.done`` is set by the terminator (``[DONE]``, ``message_stop``,
``response.completed``; for Gemini, which has none, a ``finishReason`` on every candidate).
Bad bytes raise :class:`~modelwire.exceptions.ResponseParseError` after the events before them were
returned. Rules: docs/stream-rules.md; both backends return equal events and responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Protocol

from modelwire._backend import core
from modelwire.parsing.pure import stream_anthropic as _anthropic
from modelwire.parsing.pure import stream_bedrock as _bedrock
from modelwire.parsing.pure import stream_gemini as _gemini
from modelwire.parsing.pure import stream_openai as _openai
from modelwire.parsing.pure import stream_responses as _responses
from modelwire.types import ChatCompletionResponse
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

__all__ = [
    "AnthropicStreamFolder",
    "BedrockStreamFolder",
    "GeminiStreamFolder",
    "OpenAIStreamFolder",
    "ResponsesStreamFolder",
    "StreamFolder",
    "StreamFormat",
    "events_of",
    "stream_folder",
]

StreamFormat = Literal["openai", "anthropic", "responses", "bedrock", "gemini"]


class StreamFolder(Protocol):
    """What both folders (and both backends) offer."""

    @property
    def error(self) -> str | None: ...

    @property
    def done(self) -> bool: ...

    def feed(self, chunk: bytes) -> list[StreamEvent]: ...

    def finish(self) -> list[StreamEvent]: ...

    def response(self) -> ChatCompletionResponse: ...


if TYPE_CHECKING:  # both backends have the twin's signatures (see _core.pyi)
    from modelwire.parsing.pure.stream_anthropic import AnthropicStreamFolder
    from modelwire.parsing.pure.stream_bedrock import BedrockStreamFolder
    from modelwire.parsing.pure.stream_gemini import GeminiStreamFolder
    from modelwire.parsing.pure.stream_openai import OpenAIStreamFolder
    from modelwire.parsing.pure.stream_responses import ResponsesStreamFolder
else:
    _rust_openai = getattr(core, "OpenAIStreamFolder", None)
    _rust_anthropic = getattr(core, "AnthropicStreamFolder", None)
    OpenAIStreamFolder = _rust_openai or _openai.OpenAIStreamFolder
    AnthropicStreamFolder = _rust_anthropic or _anthropic.AnthropicStreamFolder
    ResponsesStreamFolder = getattr(core, "ResponsesStreamFolder", None) or _responses.ResponsesStreamFolder
    BedrockStreamFolder = getattr(core, "BedrockStreamFolder", None) or _bedrock.BedrockStreamFolder
    GeminiStreamFolder = getattr(core, "GeminiStreamFolder", None) or _gemini.GeminiStreamFolder


# One line per stream format: its folder class (Rust or twin, chosen above), built with the provider label.
# A new format adds its name to ``StreamFormat`` and its folder here; the folder is fed the raw response
# bytes and owns their framing (SSE, NDJSON, a binary event stream).
_FOLDERS: dict[str, Callable[[str], StreamFolder]] = {
    "openai": OpenAIStreamFolder,
    "anthropic": AnthropicStreamFolder,
    "responses": ResponsesStreamFolder,
    "bedrock": BedrockStreamFolder,
    "gemini": GeminiStreamFolder,
}


def stream_folder(format: StreamFormat, provider: str) -> StreamFolder:
    """A new folder for ``format`` whose results and errors carry ``provider``."""
    folder = _FOLDERS.get(format)
    if folder is None:
        raise ValueError(f"unknown stream format {format!r}; known: {', '.join(sorted(_FOLDERS))}")
    return folder(provider)


def events_of(response: ChatCompletionResponse) -> list[StreamEvent]:
    """The events a stream of ``response`` would have produced (for servers that ignore ``stream``)."""
    events: list[StreamEvent] = []
    for choice in response.choices:
        message, index = choice.message, choice.index
        if message.reasoning_content:
            events.append(ReasoningDelta(index, message.reasoning_content))
        if message.content:
            events.append(TextDelta(index, message.content))
        if message.refusal:
            events.append(RefusalDelta(index, message.refusal))
        for position, call in enumerate(message.tool_calls):
            events.append(ToolCallStart(index, position, call.id, call.name))
            if call.arguments_json != "{}":  # as a stream has no fragment for a call without arguments
                events.append(ToolCallDelta(index, position, call.arguments_json))
            events.append(ToolCallEnd(index, position, call))
        if choice.native_finish_reason:
            events.append(StreamFinish(index, choice.finish_reason, choice.native_finish_reason))
    if response.usage is not None:
        events.append(UsageUpdate(response.usage))
    return events
