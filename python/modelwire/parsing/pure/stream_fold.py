"""What both stream formats share: the folded state, the events it emits, the final response, and the
driver that feeds SSE bytes through a format (docs/stream-rules.md). The pure-Python twin of
``rust/modelwire-core/src/stream``.

A format (:mod:`stream_openai`, :mod:`stream_anthropic`) reads each SSE event into plain values, checking
every field it reads first, and only then applies them to the state: an event with a fault changes
nothing. Failures follow the SSE decoder's rule: the events before the fault are returned, the
:class:`~modelwire.exceptions.ResponseParseError` comes with the next call, and the folder stays failed.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from modelwire.exceptions import ResponseParseError
from modelwire.parsing.pure._read import Fault, json_type, snippet_at
from modelwire.parsing.pure.finish import normalise_finish_reason
from modelwire.parsing.pure.sse import SseDecoder, SseEvent
from modelwire.types import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    FinishReason,
    ReasoningItem,
    ThinkingBlock,
    ToolCall,
    Usage,
    new_tool_call_id,
)
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

__all__ = ["Call", "ChoiceState", "FoldState", "StreamFolder", "Thinking", "load_event"]

EMPTY_ARGUMENTS: Final = "{}"


class Call:
    """One tool call being assembled. ``key`` is what the provider identifies it by (OpenAI's ``index``,
    Anthropic's block index); ``position`` its place in the final ``tool_calls``."""

    __slots__ = ("arguments", "ended", "fallback", "id", "key", "name", "position", "provider_id")

    def __init__(self, key: Any, position: int, provider_id: str | None, name: str) -> None:
        self.key = key
        self.position = position
        self.provider_id = provider_id
        self.id = provider_id or new_tool_call_id()
        self.name = name
        self.arguments = ""
        self.fallback = EMPTY_ARGUMENTS  # arguments_json when no fragment came (Anthropic: its `input`)
        self.ended = False

    def tool_call(self) -> ToolCall:
        return ToolCall(self.id, self.name, self.arguments or self.fallback)


class Thinking:
    """A thinking block being assembled (Anthropic); becomes a ``ThinkingBlock`` in the response."""

    __slots__ = ("redacted", "signature", "text", "told")

    def __init__(self, text: str | None, signature: str | None, redacted: str | None) -> None:
        self.text = text
        self.signature = signature
        self.redacted = redacted
        self.told = False  # some of its text has gone into the choice's reasoning

    def block(self) -> ThinkingBlock:
        return ThinkingBlock(self.text, self.signature, self.redacted)


class ChoiceState:
    __slots__ = (
        "calls",
        "content",
        "finish",
        "has_logprobs",
        "index",
        "items",
        "logprobs_content",
        "logprobs_refusal",
        "reason",
        "reasoning",
        "refusal",
        "thinking",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.content: str | None = None
        self.reasoning = ""
        self.refusal = ""
        self.calls: list[Call] = []
        self.thinking: list[Thinking] = []
        self.items: list[ReasoningItem] = []  # Responses API reasoning items, in output order
        self.finish: str | None = None
        self.reason: FinishReason | None = None  # set when the format decides it, else from the table
        self.has_logprobs = False
        self.logprobs_content: list[Any] | None = None
        self.logprobs_refusal: list[Any] | None = None


class FoldState:
    """Everything folded so far, and the events that folding emits (appended to ``out``)."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.id: str | None = None
        self.model: str | None = None
        self.created: int | None = None
        self.system_fingerprint: str | None = None
        self.service_tier: str | None = None
        self.usage: Usage | None = None
        self.choices: dict[int, ChoiceState] = {}
        # Optional fields left out, as "event <n>: <path>", in event order (each event's paths sorted).
        self.skipped: list[str] = []

    def choice(self, index: int) -> ChoiceState:
        state = self.choices.get(index)
        if state is None:
            state = self.choices[index] = ChoiceState(index)
        return state

    # --- top-level fields: the first non-empty value wins (Azure opens with an empty prompt-filter chunk)

    def identify(self, id: str | None, model: str | None) -> None:
        if id and not self.id:
            self.id = id
        if model and not self.model:
            self.model = model

    def describe(self, fingerprint: str | None, tier: str | None, created: int | None) -> None:
        if fingerprint and not self.system_fingerprint:
            self.system_fingerprint = fingerprint
        if tier and not self.service_tier:
            self.service_tier = tier
        if created is not None and not self.created:
            self.created = created

    # --- folding; each method appends the events it causes --------------------------------------------

    def text(self, choice: ChoiceState, text: str, out: list[StreamEvent]) -> None:
        choice.content = text if choice.content is None else choice.content + text
        if text:
            out.append(TextDelta(choice.index, text))

    def reasoning(self, choice: ChoiceState, text: str, out: list[StreamEvent]) -> None:
        if text:
            choice.reasoning += text
            out.append(ReasoningDelta(choice.index, text))

    def refusal(self, choice: ChoiceState, text: str, out: list[StreamEvent]) -> None:
        if text:
            choice.refusal += text
            out.append(RefusalDelta(choice.index, text))

    def start_call(
        self, choice: ChoiceState, key: Any, provider_id: str | None, name: str, out: list[StreamEvent]
    ) -> Call:
        self.end_calls(choice, out)
        call = Call(key, len(choice.calls), provider_id, name)
        choice.calls.append(call)
        out.append(ToolCallStart(choice.index, call.position, call.id, name))
        return call

    def arguments(self, choice: ChoiceState, call: Call, fragment: str, out: list[StreamEvent]) -> None:
        if fragment:
            call.arguments += fragment
            out.append(ToolCallDelta(choice.index, call.position, fragment))

    def end_call(self, choice: ChoiceState, call: Call, out: list[StreamEvent]) -> None:
        if call.ended:
            return
        if not call.name:
            raise Fault(f"tool call {call.position} of choice {choice.index} has no name", None)
        if not call.arguments and call.fallback != EMPTY_ARGUMENTS:
            self.arguments(choice, call, call.fallback, out)
        call.ended = True
        out.append(ToolCallEnd(choice.index, call.position, call.tool_call()))

    def end_calls(self, choice: ChoiceState, out: list[StreamEvent]) -> None:
        for call in choice.calls:
            self.end_call(choice, call, out)

    def end_all(self, out: list[StreamEvent]) -> None:
        for choice in self.choices.values():
            self.end_calls(choice, out)

    def finish(
        self,
        choice: ChoiceState,
        native: str | None,
        out: list[StreamEvent],
        reason: FinishReason | None = None,
    ) -> None:
        """``reason`` is the canonical reason when the format decides it (else the shared table's)."""
        if not native or (native == choice.finish and reason == choice.reason):
            return
        self.end_calls(choice, out)
        choice.finish = native
        choice.reason = reason
        out.append(StreamFinish(choice.index, reason or normalise_finish_reason(native), native))

    def skip(self, number: int, paths: list[str]) -> None:
        self.skipped.extend(f"event {number}: {path}" for path in paths)

    def set_usage(self, usage: Usage | None, out: list[StreamEvent]) -> None:
        if usage is not None:
            self.usage = usage
            out.append(UsageUpdate(usage))

    # --- the result --------------------------------------------------------------------------------

    def response(self) -> ChatCompletionResponse:
        choices = [_choice(state) for _, state in sorted(self.choices.items())]
        return ChatCompletionResponse(
            id=self.id,
            model=self.model,
            created=self.created,
            choices=choices,
            usage=self.usage,
            provider=self.provider,
            system_fingerprint=self.system_fingerprint,
            service_tier=self.service_tier,
            skipped=list(self.skipped),
        )


def _choice(state: ChoiceState) -> ChatCompletionChoice:
    message = AssistantMessage(
        state.content,
        state.reasoning or None,
        [call.tool_call() for call in state.calls],
        None,
        state.refusal or None,
        [thinking.block() for thinking in state.thinking],
        [ReasoningItem(i.id, list(i.summary), list(i.content), i.encrypted_content) for i in state.items],
    )
    logprobs = None
    if state.has_logprobs:
        content, refusal = state.logprobs_content, state.logprobs_refusal
        logprobs = {
            "content": None if content is None else list(content),
            "refusal": None if refusal is None else list(refusal),
        }
    native = state.finish
    reason = state.reason or normalise_finish_reason(native)
    return ChatCompletionChoice(state.index, message, reason, native, logprobs)


def load_event(data: str, number: int, provider: str) -> dict[str, Any]:
    """An event's data as a JSON object, or the ResponseParseError naming the event."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raw = data.encode()
        offset = len(data[: exc.pos].encode("utf-8", "surrogatepass"))
        raise ResponseParseError(
            f"stream event {number} is not valid JSON: {exc.msg}",
            provider=provider,
            offset=offset,
            snippet=snippet_at(raw, offset),
        ) from None
    if type(value) is not dict:
        raise ResponseParseError(
            f"stream event {number}: expected a JSON object, got {json_type(value)}", provider=provider
        )
    return value


class StreamFolder:
    """SSE bytes in, :class:`~modelwire.types.stream.StreamEvent` objects out; ``response()`` at any time.

    ``error`` is the data of an in-stream error event once one arrived (folding stops there; the
    providers layer turns it into the right ``ProviderError``); ``done`` is set by the stream's
    terminator, after which nothing more is folded.
    """

    __slots__ = ("_decoder", "_failure", "_number", "_state", "done", "error")

    def __init__(self, provider: str) -> None:
        self._decoder = SseDecoder()
        self._state = FoldState(provider)
        self._failure: ResponseParseError | None = None
        self._number = 0
        self.error: str | None = None
        self.done = False

    @property
    def provider(self) -> str:
        return self._state.provider

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """The events that ``chunk`` completes."""
        return self._run(self._decoder.feed, chunk)

    def finish(self) -> list[StreamEvent]:
        """End of stream: the last event even without its blank line, then every open tool call ends."""
        out = self._run(lambda _: self._decoder.finish(), b"")
        if self._failure is None and self.error is None and not self.done:
            try:
                self._state.end_all(out)
            except Fault as fault:
                failure = self._fail(fault)
                if not out:
                    raise failure from None
        return out

    def response(self) -> ChatCompletionResponse:
        """The response folded so far (complete once the stream has ended)."""
        return self._state.response()

    def _run(self, decode: Any, chunk: bytes) -> list[StreamEvent]:
        if self._failure is not None:
            raise self._failure
        try:
            events: list[SseEvent] = decode(chunk)
        except ResponseParseError as exc:
            exc.provider = self.provider
            self._failure = exc
            raise
        out: list[StreamEvent] = []
        for event in events:
            if self.done or self.error is not None:
                break
            self._number += 1
            data = event.data
            if event.event == "error":  # in both formats, an error event's data is the provider's error
                self.error = data
                break
            if not data:
                continue
            try:
                self._fold(data, self._number, out)
            except Fault as fault:
                self._fail(fault)
                break
            except ResponseParseError as exc:
                self._failure = exc
                break
        if self._failure is not None and not out:
            raise self._failure
        return out

    def _fail(self, fault: Fault) -> ResponseParseError:
        self._failure = ResponseParseError(
            f"stream event {self._number}: {fault.message}", provider=self.provider, path=fault.path
        )
        return self._failure

    def _fold(self, data: str, number: int, out: list[StreamEvent]) -> None:
        """Fold the data of event ``number`` (neither empty nor an error event) into the state."""
        raise NotImplementedError
