"""Bedrock ConverseStream events (an AWS event stream: ``messageStart``, ``contentBlockStart``,
``contentBlockDelta``, ``contentBlockStop``, ``messageStop``, ``metadata``) folded into stream events and
one ``ChatCompletionResponse`` (docs/stream-rules.md, section 6), with the non-streamed parser's
conventions (docs/parsing-rules-bedrock.md). The pure-Python twin of
``rust/modelwire-core/src/stream/bedrock.rs``.

Each event-stream message becomes an event named by its ``:event-type`` header, its payload the data.
An exception message (``:message-type`` ``exception``, or a protocol ``error``) becomes an error event
whose data is ``{"<exceptionType>": <payload>}``, the shape ``modelwire.errors`` reads Bedrock stream
exceptions in; folding stops there.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelwire.exceptions import ResponseParseError
from modelwire.parsing.pure._read import Fault, opt_dict, opt_str, required_int, required_str
from modelwire.parsing.pure.bedrock import SERVER_TOOL_USE, bedrock_usage, read_usage
from modelwire.parsing.pure.eventstream import EventStreamDecoder, EventStreamMessage
from modelwire.parsing.pure.sse import SseEvent
from modelwire.parsing.pure.stream_fold import Call, StreamFolder, Thinking, load_event
from modelwire.types.stream import StreamEvent

__all__ = ["BedrockStreamFolder", "EventStreamEvents", "error_data"]

_TEXT = "text"  # the target of a text block


class EventStreamEvents:
    """An event stream's messages as the events a folder reads (see the module's docstring)."""

    __slots__ = ("_decoder", "_failure", "_number")

    def __init__(self) -> None:
        self._decoder = EventStreamDecoder()
        self._number = 0
        self._failure: ResponseParseError | None = None

    def feed(self, chunk: bytes) -> list[SseEvent]:
        if self._failure is not None:
            raise self._failure
        return self._events(self._decoder.feed(chunk))

    def finish(self) -> list[SseEvent]:
        if self._failure is not None:
            raise self._failure
        return self._events(self._decoder.finish())

    def _events(self, messages: list[EventStreamMessage]) -> list[SseEvent]:
        events = []
        for message in messages:
            self._number += 1
            headers = message.headers
            kind = headers.get(":message-type")
            if kind == "exception" or kind == "error":
                events.append(SseEvent("error", error_data(headers, message.payload)))
                continue
            try:
                data = message.payload.decode("utf-8")
            except UnicodeDecodeError:
                # As the decoders do: the events before it now, the error with the next call.
                self._failure = ResponseParseError(
                    f"event stream message {self._number}: the payload is not valid UTF-8"
                )
                if not events:
                    raise self._failure from None
                break
            name = headers.get(":event-type")
            events.append(SseEvent(name if type(name) is str else None, data))
        return events


def error_data(headers: dict[str, Any], payload: bytes) -> str:
    """``{"<name>": <payload>}`` for an exception message; ``{"<code>": {"message": ...}}`` for an error."""
    if headers.get(":message-type") == "error":
        code, text = headers.get(":error-code"), headers.get(":error-message")
        name = code if type(code) is str else "UnknownError"
        body = orjson.dumps({"message": text if type(text) is str else ""})
    else:
        kind = headers.get(":exception-type")
        name = kind if type(kind) is str else "UnknownException"
        stripped = payload.strip(b" \t\r\n")
        if stripped.startswith(b"{"):
            body = stripped
        else:
            body = orjson.dumps({"message": payload.decode("utf-8", "replace")})
    return (b"{" + orjson.dumps(name) + b":" + body + b"}").decode("utf-8", "replace")


class BedrockStreamFolder(StreamFolder):
    """ConverseStream bytes in; ``done`` once both ``messageStop`` and ``metadata`` arrived (in either
    order). The response always has one choice (index 0), as a non-streamed Converse response does."""

    __slots__ = ("_blocks", "_stopped", "_told_usage")

    def __init__(self, provider: str = "bedrock") -> None:
        super().__init__(provider, EventStreamEvents())
        self._blocks: dict[int, Thinking | Call | str | None] = {}
        self._stopped = False
        self._told_usage = False
        self._state.choice(0)

    def _fold_named(self, name: str | None, data: str, number: int, out: list[StreamEvent]) -> None:
        if name == "contentBlockDelta":
            self._delta(load_event(data, number, self.provider), out)
        elif name == "contentBlockStart":
            self._start(load_event(data, number, self.provider), out)
        elif name == "contentBlockStop":
            index = required_int(load_event(data, number, self.provider), "contentBlockIndex", "")
            target = self._blocks.get(index)
            if isinstance(target, Call):
                self._state.end_call(self._state.choice(0), target, out)
        elif name == "messageStop":
            reason = opt_str(load_event(data, number, self.provider), "stopReason", "")
            self._state.end_all(out)
            self._state.finish(self._state.choice(0), reason, out)
            self._stopped = True
        elif name == "metadata":
            usage = opt_dict(load_event(data, number, self.provider), "usage", "")
            if usage is not None:
                self._state.set_usage(bedrock_usage(*read_usage(usage, "usage")), out)
            self._told_usage = True
        self.done = self._stopped and self._told_usage

    def _start(self, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        index = required_int(obj, "contentBlockIndex", "")
        start = opt_dict(obj, "start", "")
        tool = None if start is None else opt_dict(start, "toolUse", "start")
        if tool is None:
            return
        call_id = opt_str(tool, "toolUseId", "start.toolUse") or None
        name = required_str(tool, "name", "start.toolUse")
        if opt_str(tool, "type", "start.toolUse") == SERVER_TOOL_USE:
            self._blocks[index] = None  # ran on Bedrock's side; its deltas are not the caller's
            return
        self._blocks[index] = self._state.start_call(self._state.choice(0), index, call_id, name, out)

    def _delta(self, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        index = required_int(obj, "contentBlockIndex", "")
        delta = opt_dict(obj, "delta", "")
        if delta is None:
            return
        text = opt_str(delta, "text", "delta")
        tool = opt_dict(delta, "toolUse", "delta")
        fragment = None if tool is None else opt_str(tool, "input", "delta.toolUse")
        reasoning = opt_dict(delta, "reasoningContent", "delta")
        pieces = None if reasoning is None else _reasoning_pieces(reasoning)
        if fragment is not None and index not in self._blocks:
            raise Fault(f"content block {index} was never started", "contentBlockIndex")
        state, choice = self._state, self._state.choice(0)
        if text is not None:
            target = self._blocks.setdefault(index, _TEXT)
            if target == _TEXT:
                state.text(choice, text, out)
        if fragment is not None:
            target = self._blocks[index]
            if isinstance(target, Call):
                state.arguments(choice, target, fragment, out)
        if pieces is not None:
            target = self._blocks[index] if index in self._blocks else self._new_thinking(index)
            if isinstance(target, Thinking):
                piece, signature, redacted = pieces
                state.think(target, piece, out)
                if signature is not None:
                    target.signature = signature
                if redacted is not None:
                    target.redacted = redacted

    def _new_thinking(self, index: int) -> Thinking:
        thinking = Thinking(None, None, None)
        self._state.choice(0).thinking.append(thinking)
        self._blocks[index] = thinking
        return thinking


def _reasoning_pieces(reasoning: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    path = "delta.reasoningContent"
    return (
        opt_str(reasoning, "text", path),
        opt_str(reasoning, "signature", path),
        opt_str(reasoning, "redactedContent", path),
    )
