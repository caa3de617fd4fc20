"""Every recorded OpenAI-compatible, Anthropic and Responses API stream folds to the same events and the
same final response with both backends, and the events add up to the response.

Streams: the raw ``*_stream`` recordings, and the ``*_stream_payloads`` files re-framed as SSE (one
``data:`` event per line; Anthropic payloads get their ``event:`` line, OpenAI ones a final ``[DONE]``).
A recording filed as a Responses stream whose events are chat completion chunks is folded as one.
Payload files that hold several Anthropic messages (fixtures of multi-turn tests) are split into one
stream per message. The other ``test_stream_*`` modules import the helpers below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import orjson
import pytest

from corpus_files import recordings
from modelwire.exceptions import ResponseParseError
from modelwire.parsing.pure import stream_anthropic, stream_openai, stream_responses
from modelwire.types import GENERATED_ID_PREFIX, ChatCompletionResponse
from modelwire.types._record import Record
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

try:
    from modelwire import _core as rust
except ImportError:  # a source tree without a compiled extension: the twin alone is tested
    rust = None  # type: ignore[assignment]


class _Twin:
    OpenAIStreamFolder = stream_openai.OpenAIStreamFolder
    AnthropicStreamFolder = stream_anthropic.AnthropicStreamFolder
    ResponsesStreamFolder = stream_responses.ResponsesStreamFolder


twin: Any = _Twin
BACKENDS = [
    pytest.param(twin, id="python"),
    pytest.param(rust, id="rust", marks=pytest.mark.skipif(rust is None, reason="extension not built")),
]
LOADED: list[Any] = [twin] if rust is None else [twin, rust]

OPENAI_KINDS = ("chat_completions_stream", "chat_completions_stream_payloads")
ANTHROPIC_KINDS = ("messages_stream", "messages_stream_payloads")
RESPONSES_KINDS = ("responses_stream", "responses_stream_payloads")
FOLDERS = {
    "openai": "OpenAIStreamFolder",
    "anthropic": "AnthropicStreamFolder",
    "responses": "ResponsesStreamFolder",
}


@dataclass(frozen=True)
class Stream:
    id: str
    format: str  # "openai", "anthropic" or "responses"
    provider: str
    body: bytes


def _messages(lines: list[bytes], ends: tuple[str, ...] = ("message_stop",)) -> list[list[bytes]]:
    """Payload lines cut after each event that ends a message (Anthropic's ``message_stop``)."""
    messages: list[list[bytes]] = [[]]
    for line in lines:
        messages[-1].append(line)
        if orjson.loads(line).get("type") in ends:
            messages.append([])
    return [m for m in messages if m]


RESPONSES_ENDS = ("response.completed", "response.incomplete", "response.failed")


def _streams() -> list[Stream]:
    streams = []
    for recording in recordings(*OPENAI_KINDS, *ANTHROPIC_KINDS, *RESPONSES_KINDS):
        format = "anthropic" if recording.kind in ANTHROPIC_KINDS else "openai"
        if recording.kind in RESPONSES_KINDS and b"chat.completion.chunk" not in recording.body[:400]:
            format = "responses"
        if not recording.kind.endswith("_payloads"):
            streams.append(Stream(recording.id, format, recording.provider, recording.body))
            continue
        lines = [line for line in recording.body.split(b"\n") if line.strip()]
        if format == "openai":
            body = b"".join(b"data: " + line + b"\n\n" for line in lines) + b"data: [DONE]\n\n"
            streams.append(Stream(recording.id, format, recording.provider, body))
            continue
        if format == "responses":  # fixtures of multi-turn tests hold one response after another
            responses = _messages(lines, RESPONSES_ENDS)
            for n, response in enumerate(responses):
                body = b"".join(b"data: " + line + b"\n\n" for line in response)
                suffix = f"#{n}" if len(responses) > 1 else ""
                streams.append(Stream(f"{recording.id}{suffix}", format, recording.provider, body))
            continue
        for n, message in enumerate(_messages(lines)):
            body = b"".join(
                b"event: " + orjson.loads(line)["type"].encode() + b"\ndata: " + line + b"\n\n"
                for line in message
            )
            streams.append(Stream(f"{recording.id}#{n}", format, recording.provider, body))
    return streams


STREAMS = _streams()
ERROR_STREAMS = {  # recorded streams that end with an error event
    "groq/chat_completions_stream/pydantic-ai__test_tool_use_failed_error_streaming_with_text__i0",
    "openrouter/chat_completions_stream/pydantic-ai__test_openrouter_stream_error__i0",
    "openai/responses_stream_payloads/vercel-ai__openai-error.1.chunks",
}


def by_id(streams: list[Stream]) -> dict[str, Any]:
    return {"argvalues": streams, "ids": [s.id for s in streams]}


@dataclass
class Folded:
    events: list[StreamEvent]
    response: ChatCompletionResponse
    error: str | None
    done: bool
    failure: ResponseParseError | None


def fold(backend: ModuleType, format: str, pieces: Iterable[bytes], provider: str = "test") -> Folded:
    """Feed ``pieces`` to a new folder of ``backend``; stop at the first ResponseParseError."""
    folder = getattr(backend, FOLDERS[format])(provider)
    events: list[StreamEvent] = []
    failure = None
    try:
        for piece in pieces:
            events += folder.feed(piece)
        events += folder.finish()
    except ResponseParseError as exc:
        failure = exc
    return Folded(events, folder.response(), folder.error, folder.done, failure)


def plain(value: Any) -> Any:
    """Records as plain data, ids modelwire generated masked (they are random)."""
    if isinstance(value, Record):
        return (type(value).__name__, plain(value.to_dict()))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str) and value.startswith(GENERATED_ID_PREFIX):
        return GENERATED_ID_PREFIX
    return value


def outcome(folded: Folded) -> Any:
    """What must be equal across backends: events, response, error data, done, and the failure's type."""
    failure = None if folded.failure is None else (type(folded.failure).__name__, folded.failure.provider)
    return plain(folded.events), plain(folded.response), folded.error, folded.done, failure


def check_invariants(folded: Folded) -> None:
    """The events add up to the response (docs/stream-rules.md, section 2)."""
    response = folded.response
    for choice in response.choices:
        mine = [e for e in folded.events if getattr(e, "choice", None) == choice.index]
        message = choice.message
        text = "".join(e.text for e in mine if isinstance(e, TextDelta))
        assert text == (message.content or "")
        assert "".join(e.text for e in mine if isinstance(e, ReasoningDelta)) == (
            message.reasoning_content or ""
        )
        assert "".join(e.text for e in mine if isinstance(e, RefusalDelta)) == (message.refusal or "")
        starts = [e for e in mine if isinstance(e, ToolCallStart)]
        assert [e.index for e in starts] == list(range(len(message.tool_calls)))
        for call, start in zip(message.tool_calls, starts, strict=True):
            assert start.name in ("", call.name)
            fragments = "".join(
                e.arguments for e in mine if isinstance(e, ToolCallDelta) and e.index == start.index
            )
            assert fragments == call.arguments_json or (fragments == "" and call.arguments_json == "{}")
            ends = [e for e in mine if isinstance(e, ToolCallEnd) and e.index == start.index]
            if folded.error is None and folded.failure is None:
                assert [e.tool_call for e in ends] == [call]
        finishes = [e for e in mine if isinstance(e, StreamFinish)]
        if finishes:
            assert finishes[-1].native_finish_reason == choice.native_finish_reason
            assert finishes[-1].finish_reason == choice.finish_reason
        else:
            assert choice.native_finish_reason is None
    usages = [e.usage for e in folded.events if isinstance(e, UsageUpdate)]
    assert (usages[-1] if usages else None) == response.usage


def test_the_corpus_streams_are_all_here() -> None:
    formats = {s.format for s in STREAMS}
    assert formats == {"openai", "anthropic", "responses"}
    assert len([s for s in STREAMS if s.format == "openai"]) >= 45
    assert len([s for s in STREAMS if s.format == "anthropic"]) >= 45  # 30 files, two with many messages
    assert len([s for s in STREAMS if s.format == "responses"]) >= 50


@pytest.mark.parametrize("stream", **by_id(STREAMS))
def test_corpus_stream_folds_alike_on_both_backends(stream: Stream) -> None:
    results = [fold(backend, stream.format, [stream.body], stream.provider) for backend in LOADED]
    first = results[0]
    assert all(outcome(result) == outcome(first) for result in results[1:])
    assert first.failure is None
    assert first.response.provider == stream.provider
    assert (first.error is not None) == (stream.id in ERROR_STREAMS)
    assert first.done or first.error is not None or stream.format == "openai"
    assert first.events or stream.id in ERROR_STREAMS, "a recorded stream has events"
    check_invariants(first)
    if stream.format in ("anthropic", "responses"):
        assert len(first.response.choices) == 1
