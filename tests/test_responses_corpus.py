"""Every recorded Responses API body parses alike on both backends, and agrees with the ``openai`` SDK's
own ``Response`` type (a test-only oracle) on output text, function calls, usage and status; every
recorded Responses stream folds to what the SDK's stream accumulator (``ResponseStreamState``) reaches.

Two recordings filed under ``responses`` hold Chat Completions traffic (an Azure DeepSeek deployment
answered the chat format): they are checked to be chat bodies and left to the chat tests.
"""

from __future__ import annotations

import warnings
from typing import Any

import orjson
import pytest
from openai import omit
from openai._models import construct_type
from openai.lib.streaming.responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent

from corpus_files import Recording, recordings
from modelwire.parsing.pure.sse import SseDecoder
from modelwire.types import ChatCompletionResponse
from parse_support import both, normalise_ids
from test_stream_corpus import LOADED, STREAMS, Stream, by_id, fold

BODIES = [r for r in recordings("responses") if "choices" not in orjson.loads(r.body)]
CHAT_FILED_AS_RESPONSES = [r for r in recordings("responses") if "choices" in orjson.loads(r.body)]
RESPONSES_STREAMS = [s for s in STREAMS if s.format == "responses"]


def test_the_corpus_holds_the_responses_traffic() -> None:
    assert len(BODIES) >= 45
    assert {r.provider for r in BODIES} >= {"openai", "azure_openai", "deepseek", "xai", "bedrock_mantle"}
    assert [r.id for r in CHAT_FILED_AS_RESPONSES] == [
        "azure_openai/responses/vercel-ai__azure-deepseek-reasoning.1"
    ]
    assert len(RESPONSES_STREAMS) >= 50
    assert {s.provider for s in RESPONSES_STREAMS} >= {
        "openai",
        "azure_openai",
        "xai",
        "lmstudio",
        "github_copilot",
    }


@pytest.mark.parametrize("recording", BODIES, ids=lambda r: r.id)
def test_every_recorded_body_parses_alike_on_both_backends(recording: Recording) -> None:
    pure, rust = both()
    a = normalise_ids(pure.parse_responses(recording.body, recording.provider))
    b = normalise_ids(rust.parse_responses(recording.body, recording.provider))
    assert a == b
    assert repr(a) == repr(b)
    assert a.provider == recording.provider
    assert len(a.choices) == 1


def sdk_response(data: dict[str, Any]) -> Response:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return construct_type(type_=Response, value=data)  # type: ignore[no-any-return]


def check_against_sdk(theirs: Response, ours: ChatCompletionResponse) -> None:
    """Output text, function calls, reasoning items, usage and status as the SDK reads them."""
    message = ours.message
    texts = []
    for item in theirs.output:
        if item.type == "message":
            text = "".join(part.text for part in item.content if part.type == "output_text")
            if text:
                texts.append(text)
    assert ("\n\n".join(texts) or None) == message.content
    calls = [
        (i.call_id, i.name, orjson.loads(i.arguments or "{}"))
        for i in theirs.output
        if i.type == "function_call"
    ]
    assert calls == [(c.id, c.name, c.arguments) for c in message.tool_calls]
    reasoning = [(i.id, i.encrypted_content) for i in theirs.output if i.type == "reasoning"]
    assert reasoning == [(i.id, i.encrypted_content) for i in message.reasoning_items]
    details = theirs.incomplete_details
    assert ((details.reason if details else None) or theirs.status) == ours.choices[0].native_finish_reason
    if theirs.status == "completed":
        assert ours.finish_reason == ("tool_calls" if calls else "stop")
    usage = theirs.usage
    if usage is None:
        assert ours.usage is None
        return
    assert ours.usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (
        ours.usage.input_tokens,
        ours.usage.output_tokens,
        ours.usage.total_tokens,
    )
    cached = usage.input_tokens_details.cached_tokens if usage.input_tokens_details else None
    reasoning_tokens = usage.output_tokens_details.reasoning_tokens if usage.output_tokens_details else None
    assert (cached, reasoning_tokens) == (ours.usage.cache_read_tokens, ours.usage.reasoning_tokens)


@pytest.mark.parametrize("recording", BODIES, ids=lambda r: r.id)
def test_every_recorded_body_agrees_with_the_sdk_response_type(recording: Recording) -> None:
    ours = both()[1].parse_responses(recording.body, recording.provider)
    check_against_sdk(sdk_response(orjson.loads(recording.body)), ours)


def test_the_bodies_cover_every_rule() -> None:
    pure, _ = both()
    results = [pure.parse_responses(r.body, r.provider) for r in BODIES]
    assert any(r.message.tool_calls for r in results)
    assert any(r.finish_reason == "tool_calls" for r in results)
    assert any(item.encrypted_content for r in results for item in r.message.reasoning_items)
    assert any(item.summary for r in results for item in r.message.reasoning_items)
    assert any(item.content for r in results for item in r.message.reasoning_items)  # reasoning_text
    assert any(r.usage and r.usage.cache_read_tokens for r in results)
    assert any(r.usage and r.usage.reasoning_tokens for r in results)


# --- streams ---------------------------------------------------------------------------------------------

SDK_CANNOT_FOLD = {  # GitHub Copilot rotates the response id mid-stream; the SDK refuses that
    "github_copilot/responses_stream_payloads/vercel-ai__github-copilot-id-rotation.1.chunks",
}
# An edited fixture whose text deltas say less than its done item and completed response: the folded
# text is what the deltas said (the events add up to the response), not the completed response's.
DELTAS_DISAGREE = {"openai/responses_stream_payloads/vercel-ai__openai-shell-container.1.chunks"}


def payloads(stream: Stream) -> list[dict[str, Any]]:
    decoder = SseDecoder()
    return [
        orjson.loads(e.data) for e in decoder.feed(stream.body) + decoder.finish() if e.data.startswith("{")
    ]


def sdk_final(stream: Stream) -> Response | None:
    """The response the SDK's accumulator ends with (the completed event's, as the SDK hands it back)."""
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    final = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for data in payloads(stream):
            event: Any = construct_type(type_=ResponseStreamEvent, value=data)  # type: ignore[arg-type]
            for emitted in state.handle_event(event):
                if emitted.type in ("response.completed", "response.incomplete"):
                    final = emitted.response
    return final


COMPLETED = [
    s for s in RESPONSES_STREAMS if b"response.completed" in s.body or b"response.incomplete" in s.body
]


@pytest.mark.parametrize("stream", **by_id([s for s in COMPLETED if s.id not in SDK_CANNOT_FOLD]))
def test_every_recorded_stream_reaches_what_the_sdk_accumulates(stream: Stream) -> None:
    folded = fold(LOADED[-1], "responses", [stream.body], stream.provider)
    assert folded.done
    assert folded.failure is None
    theirs = sdk_final(stream)
    assert theirs is not None
    if stream.id in DELTAS_DISAGREE:
        deltas = "".join(p["delta"] for p in payloads(stream) if p["type"] == "response.output_text.delta")
        assert folded.response.message.content == deltas != theirs.output_text
        return
    check_against_sdk(theirs, folded.response)


@pytest.mark.parametrize("stream", **by_id([s for s in COMPLETED if s.id in SDK_CANNOT_FOLD]))
def test_streams_the_sdk_cannot_fold_fold_here(stream: Stream) -> None:
    with pytest.raises(RuntimeError, match="identity changed"):
        sdk_final(stream)
    folded = fold(LOADED[-1], "responses", [stream.body], stream.provider)
    assert folded.done
    assert folded.response.message.content


@pytest.mark.parametrize("stream", **by_id([s for s in COMPLETED if s.id not in DELTAS_DISAGREE]))
def test_a_stream_folds_to_the_body_its_completed_event_carries(stream: Stream) -> None:
    """The final response of a stream says what the parse of the ``response`` its last event carries says."""
    last = [p for p in payloads(stream) if p.get("type") in ("response.completed", "response.incomplete")][-1]
    parsed = both()[1].parse_responses(orjson.dumps(last["response"]), stream.provider)
    for backend in LOADED:
        folded = fold(backend, "responses", [stream.body], stream.provider).response
        mine, theirs = folded.message, parsed.message
        assert [(c.name, c.arguments_json) for c in mine.tool_calls] == [
            (c.name, c.arguments_json) for c in theirs.tool_calls
        ]
        assert (mine.content, mine.refusal) == (theirs.content, theirs.refusal)
        assert (folded.usage, folded.finish_reason) == (parsed.usage, parsed.finish_reason)
        assert [(i.id, i.encrypted_content) for i in mine.reasoning_items] == [
            (i.id, i.encrypted_content) for i in theirs.reasoning_items
        ]
