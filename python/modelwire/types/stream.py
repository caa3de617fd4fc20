"""Typed stream events: what ``adapter.stream(request)`` yields while a chat completion arrives.

Every provider's stream (OpenAI-compatible chunks, Anthropic message events) is folded into these few
kinds, so one loop handles them all::

    for event in stream:
        match event:
            case TextDelta(text=text): print(text, end="")
            case ToolCallEnd(tool_call=call): run(call.name, call.arguments)

Invariants (docs/stream-rules.md): per choice, the ``text`` of the ``TextDelta`` events concatenated is
the final ``message.content``, likewise ``ReasoningDelta`` for ``reasoning_content`` and ``RefusalDelta``
for ``refusal``; the ``arguments`` of a call's ``ToolCallDelta`` events concatenated are its final
``arguments_json``. ``index`` is the call's position in the final ``message.tool_calls``. Events are plain
slotted records built by the Rust folder and its pure-Python twin alike, compared field by field.
"""

from __future__ import annotations

from typing import ClassVar

from modelwire.types._record import Record
from modelwire.types.chat import FinishReason, ToolCall
from modelwire.types.usage import Usage

__all__ = [
    "ReasoningDelta",
    "RefusalDelta",
    "StreamEvent",
    "StreamFinish",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
    "UsageUpdate",
]


class StreamEvent(Record):
    """Base of every stream event; ``type`` names the kind (``"text_delta"``, ...)."""

    __slots__ = ()
    type: ClassVar[str] = ""


class TextDelta(StreamEvent):
    """A piece of the answer text of choice ``choice`` (never empty)."""

    __slots__ = ("choice", "text")
    _fields = __slots__
    __match_args__ = ("choice", "text")
    type: ClassVar[str] = "text_delta"

    def __init__(self, choice: int, text: str) -> None:
        self.choice = choice
        self.text = text


class ReasoningDelta(StreamEvent):
    """A piece of the model's visible reasoning (``reasoning`` / ``reasoning_content`` / thinking)."""

    __slots__ = ("choice", "text")
    _fields = __slots__
    __match_args__ = ("choice", "text")
    type: ClassVar[str] = "reasoning_delta"

    def __init__(self, choice: int, text: str) -> None:
        self.choice = choice
        self.text = text


class RefusalDelta(StreamEvent):
    """A piece of a refusal message (OpenAI's ``refusal`` field)."""

    __slots__ = ("choice", "text")
    _fields = __slots__
    __match_args__ = ("choice", "text")
    type: ClassVar[str] = "refusal_delta"

    def __init__(self, choice: int, text: str) -> None:
        self.choice = choice
        self.text = text


class ToolCallStart(StreamEvent):
    """A tool call begins. ``id`` is the provider's (or a generated one when its first fragment had
    none); ``name`` may be ``""`` if the provider sends it later."""

    __slots__ = ("choice", "index", "id", "name")
    _fields = __slots__
    __match_args__ = ("choice", "index", "id", "name")
    type: ClassVar[str] = "tool_call_start"

    def __init__(self, choice: int, index: int, id: str, name: str) -> None:
        self.choice = choice
        self.index = index
        self.id = id
        self.name = name


class ToolCallDelta(StreamEvent):
    """A fragment of a tool call's JSON arguments (never empty; not valid JSON on its own)."""

    __slots__ = ("choice", "index", "arguments")
    _fields = __slots__
    __match_args__ = ("choice", "index", "arguments")
    type: ClassVar[str] = "tool_call_delta"

    def __init__(self, choice: int, index: int, arguments: str) -> None:
        self.choice = choice
        self.index = index
        self.arguments = arguments


class ToolCallEnd(StreamEvent):
    """A tool call is complete: ``tool_call`` is what the final response will hold."""

    __slots__ = ("choice", "index", "tool_call")
    _fields = __slots__
    __match_args__ = ("choice", "index", "tool_call")
    type: ClassVar[str] = "tool_call_end"

    def __init__(self, choice: int, index: int, tool_call: ToolCall) -> None:
        self.choice = choice
        self.index = index
        self.tool_call = tool_call


class UsageUpdate(StreamEvent):
    """Token usage as reported so far (providers send cumulative totals; the last one is final)."""

    __slots__ = ("usage",)
    _fields = __slots__
    __match_args__ = ("usage",)
    type: ClassVar[str] = "usage"

    def __init__(self, usage: Usage) -> None:
        self.usage = usage


class StreamFinish(StreamEvent):
    """Choice ``choice`` finished; ``finish_reason`` is normalised, ``native_finish_reason`` as sent."""

    __slots__ = ("choice", "finish_reason", "native_finish_reason")
    _fields = __slots__
    __match_args__ = ("choice", "finish_reason", "native_finish_reason")
    type: ClassVar[str] = "finish"

    def __init__(self, choice: int, finish_reason: FinishReason | None, native_finish_reason: str) -> None:
        self.choice = choice
        self.finish_reason = finish_reason
        self.native_finish_reason = native_finish_reason
