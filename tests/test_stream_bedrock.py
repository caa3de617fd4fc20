"""Bedrock ConverseStream folding (docs/stream-rules.md, section 6): every recorded stream, and the
payload files re-framed as event streams, fold to the same events and response on both backends, split
anywhere; the events add up to the response; exceptions sent inside the stream stop folding and are
classified through modelwire.errors; bad bytes are a ResponseParseError naming the provider."""

from __future__ import annotations

from itertools import pairwise
from types import ModuleType
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstream_support import bedrock_streams, event, exception, header, message
from modelwire.errors import classify_stream_error
from modelwire.exceptions import ErrorKind, ResponseParseError
from modelwire.parsing.pure import stream_bedrock
from modelwire.parsing.stream import BedrockStreamFolder, stream_folder
from modelwire.types import ThinkingBlock, Usage
from modelwire.types.stream import (
    ReasoningDelta,
    StreamFinish,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from test_stream_corpus import Folded, check_invariants, outcome

try:
    from modelwire import _core as rust
except ImportError:
    rust = None  # type: ignore[assignment]

LOADED: list[Any] = [stream_bedrock] if rust is None else [stream_bedrock, rust]
STREAMS = bedrock_streams()


def fold(backend: ModuleType, pieces: list[bytes], provider: str = "bedrock") -> Folded:
    folder = backend.BedrockStreamFolder(provider)
    events: list[Any] = []
    failure = None
    try:
        for piece in pieces:
            events += folder.feed(piece)
        events += folder.finish()
    except ResponseParseError as exc:
        failure = exc
    return Folded(events, folder.response(), folder.error, folder.done, failure)


def both(pieces: list[bytes], provider: str = "bedrock") -> Folded:
    results = [fold(backend, pieces, provider) for backend in LOADED]
    assert all(outcome(result) == outcome(results[0]) for result in results[1:])
    return results[0]


def ev(name: str, payload: dict[str, Any]) -> bytes:
    return event(name, orjson.dumps(payload))


def test_the_corpus_streams_are_all_here() -> None:
    assert len(STREAMS) >= 9


@pytest.mark.parametrize("stream", STREAMS, ids=[s.id for s in STREAMS])
def test_corpus_stream_folds_alike_on_both_backends(stream: Any) -> None:
    folded = both([stream.body], "bedrock-test")
    assert folded.failure is None
    assert folded.error is None
    assert folded.done
    assert folded.events
    assert folded.response.provider == "bedrock-test"
    assert len(folded.response.choices) == 1
    check_invariants(folded)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_split_folds_the_same(data: st.DataObject) -> None:
    body = data.draw(st.sampled_from([s.body for s in STREAMS]))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=30)))
    pieces = [body[a:b] for a, b in pairwise([0, *cuts, len(body)])]
    assert outcome(both(pieces)) == outcome(both([body]))


def test_one_byte_at_a_time_folds_the_same() -> None:
    body = max((s.body for s in STREAMS), key=len)
    assert outcome(both([bytes([b]) for b in body])) == outcome(both([body]))


def test_the_thinking_stream_keeps_its_signature() -> None:
    (stream,) = [s for s in STREAMS if "thinking_part_stream" in s.id]
    response = both([stream.body]).response
    (block,) = response.message.thinking_blocks
    assert block.thinking == response.message.reasoning_content
    assert block.signature is not None
    assert block.signature.startswith("Eu0CCkgIBxAB")


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return ev("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})


def _start(index: int, tool: dict[str, Any]) -> bytes:
    return ev("contentBlockStart", {"contentBlockIndex": index, "start": {"toolUse": tool}})


TOOL_STREAM = b"".join(
    [
        ev("messageStart", {"role": "assistant"}),
        _delta(0, {"reasoningContent": {"text": "think"}}),
        _delta(0, {"reasoningContent": {"signature": "sig"}}),
        ev("contentBlockStop", {"contentBlockIndex": 0}),
        _delta(1, {"reasoningContent": {"redactedContent": "cmVk"}}),
        _delta(2, {"text": "Let me look."}),
        _start(3, {"toolUseId": "t1", "name": "f"}),
        _delta(3, {"toolUse": {"input": '{"a":'}}),
        _delta(3, {"toolUse": {"input": "1}"}}),
        ev("contentBlockStop", {"contentBlockIndex": 3}),
        _start(4, {"toolUseId": "s", "name": "srv", "type": "server_tool_use"}),
        _delta(4, {"toolUse": {"input": "{}"}}),
        ev("contentBlockStop", {"contentBlockIndex": 4}),
        ev("metadata", {"usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 15,
                                  "cacheReadInputTokens": 2, "cacheWriteInputTokens": 1}}),
        ev("messageStop", {"stopReason": "tool_use"}),
    ]
)  # fmt: skip


def test_tool_calls_reasoning_and_usage_fold_into_events_and_the_response() -> None:
    folded = both([TOOL_STREAM])
    check_invariants(folded)
    assert folded.done  # metadata came first here: done once both arrived
    call_events = [e for e in folded.events if isinstance(e, ToolCallStart | ToolCallDelta | ToolCallEnd)]
    assert call_events[0] == ToolCallStart(0, 0, "t1", "f")
    assert [e.arguments for e in call_events if isinstance(e, ToolCallDelta)] == ['{"a":', "1}"]
    response = folded.response
    assert [(c.id, c.name, c.arguments) for c in response.message.tool_calls] == [("t1", "f", {"a": 1})]
    assert response.message.content == "Let me look."
    assert response.message.thinking_blocks == [
        ThinkingBlock("think", "sig"),
        ThinkingBlock(redacted_data="cmVk"),
    ]
    assert [e for e in folded.events if isinstance(e, ReasoningDelta)] == [ReasoningDelta(0, "think")]
    assert response.usage == Usage(8, 7, 15, None, 2, 1)
    assert folded.events[-2:] == [
        UsageUpdate(Usage(8, 7, 15, None, 2, 1)),
        StreamFinish(0, "tool_calls", "tool_use"),
    ]


def test_stream_folder_dispatches_on_the_bedrock_format() -> None:
    folder = stream_folder("bedrock", "bedrock-x")
    assert isinstance(folder, BedrockStreamFolder)
    assert folder.feed(ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "a"}})) == [
        TextDelta(0, "a")
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("throttlingException", ErrorKind.RATE_LIMIT),
        ("serviceUnavailableException", ErrorKind.OVERLOADED),
        ("internalServerException", ErrorKind.INTERNAL_SERVER),
        ("modelStreamErrorException", ErrorKind.API_ERROR),
        ("validationException", ErrorKind.BAD_REQUEST),
    ],
)
def test_an_exception_mid_stream_stops_folding_and_is_classified(name: str, kind: ErrorKind) -> None:
    body = (
        ev("messageStart", {"role": "assistant"})
        + ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}})
        + exception(name, b'{"message":"Too many requests, please wait."}')
        + ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "lo"}})
    )
    folded = both([body])
    assert folded.events == [TextDelta(0, "Hel")]
    assert folded.failure is None
    assert not folded.done
    assert folded.error == '{"' + name + '":{"message":"Too many requests, please wait."}}'
    error = classify_stream_error(folded.error, provider="bedrock", model="m")
    assert error.kind is kind
    assert "Too many requests" in str(error)


def test_a_protocol_error_message_is_an_error_too() -> None:
    block = header(":message-type", "error") + header(":error-code", "InternalFailure")
    block += header(":error-message", 'said "no"')
    folded = both([message(block, b"")])
    assert folded.error == '{"InternalFailure":{"message":"said \\"no\\""}}'
    assert classify_stream_error(folded.error, provider="bedrock").kind is ErrorKind.INTERNAL_SERVER


def test_an_exception_whose_payload_is_not_an_object_keeps_its_text() -> None:
    folded = both([exception("throttlingException", b"slow\n")])
    assert folded.error == '{"throttlingException":{"message":"slow\\n"}}'


def test_a_corrupt_checksum_fails_after_the_events_before_it() -> None:
    good = ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "ok"}})
    bad = bytearray(ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "no"}}))
    bad[-10] ^= 1
    for backend in LOADED:
        folder = backend.BedrockStreamFolder("bedrock-y")
        assert folder.feed(good + bytes(bad)) == [TextDelta(0, "ok")]
        with pytest.raises(ResponseParseError, match="message checksum mismatch") as caught:
            folder.feed(b"")
        assert caught.value.provider == "bedrock-y"
        assert folder.response().message.content == "ok"


def test_a_truncated_stream_is_an_error_at_finish() -> None:
    body = ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "ok"}})
    folded = both([body[:-3]])
    assert folded.failure is not None
    assert "the stream ended inside it" in folded.failure.message


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"delta": {"text": "a"}}, "stream event 1: missing required field"),
        ({"contentBlockIndex": "zero", "delta": {"text": "a"}},
         "stream event 1: expected an integer, got string"),
        ({"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{}"}}},
         "stream event 1: content block 0 was never started"),
        ({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": 1}}},
         "stream event 1: expected a string, got integer"),
    ],
)  # fmt: skip
def test_faults_in_events_are_named_alike(payload: dict[str, Any], reason: str) -> None:
    folded = both([ev("contentBlockDelta", payload)])
    assert folded.failure is not None
    assert folded.failure.message == reason
    assert folded.events == []


def test_invalid_json_and_invalid_utf8_payloads() -> None:
    folded = both([event("contentBlockDelta", b"{nope")])
    assert folded.failure is not None
    assert folded.failure.message.startswith("stream event 1 is not valid JSON")
    folded = both([event("contentBlockDelta", b'{"x":"\xff"}')])
    assert folded.failure is not None
    assert folded.failure.message == "event stream message 1: the payload is not valid UTF-8"


def test_unknown_events_and_message_start_are_not_read() -> None:
    folded = both([event("messageStart", b"not json"), event("somethingNew", b"{")])
    assert folded.failure is None
    assert folded.events == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]
            ),
            st.sampled_from(
                [
                    {"contentBlockIndex": 0, "delta": {"text": "x"}},
                    {"contentBlockIndex": 1, "start": {"toolUse": {"name": "f", "toolUseId": ""}}},
                    {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{"}}},
                    {"contentBlockIndex": 2, "delta": {"reasoningContent": {"text": "r", "signature": "s"}}},
                    {"contentBlockIndex": 1},
                    {"stopReason": "end_turn"},
                    {"usage": {"inputTokens": 1}},
                    {"contentBlockIndex": None},
                    {"start": {"toolUse": {"name": 1}}, "contentBlockIndex": 4},
                ]
            ),
        ),
        max_size=8,
    )
)
def test_backends_agree_on_any_event_sequence(events: list[tuple[str, dict[str, Any]]]) -> None:
    both([b"".join(ev(name, payload) for name, payload in events)])
