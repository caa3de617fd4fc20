"""Issue 6, streams end to end through ``Client.stream`` / ``AsyncClient.stream``: a failure before the
first event is retried (or moves on) like any call; once an event has been delivered nothing is sent
again, and the failure is a ``StreamInterruptedError`` carrying what was folded so far."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fixtures_policy import Runner, anthropic_model, openai_model
from modelwire import OverloadedError, StreamInterruptedError
from modelwire.testing import Fault, LocalProviderServer, Route, faults
from modelwire.types.stream import StreamEvent, TextDelta

SSE = (("content-type", "text/event-stream"),)
TEXT = "one two three four five six seven eight"


def anthropic_events(*events: dict[str, Any]) -> Fault:
    body = tuple(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)
    return Fault(status=200, headers=SSE, events=body)


OVERLOADED_EVENT = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
STARTED = [
    {
        "type": "message_start",
        "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-a", "content": [],
                    "stop_reason": None, "usage": {"input_tokens": 3, "output_tokens": 1}},
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "partial "}},
]  # fmt: skip


def text(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def spec(server: LocalProviderServer, provider: str, **fields: Any) -> tuple[dict[str, Any], Route, str]:
    if provider == "openai":
        return openai_model(server, "model-a", **fields), Route.CHAT, "model-a"
    return anthropic_model(server, "claude-a", **fields), Route.MESSAGES, "claude-a"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize(
    "fault",
    [
        faults.rate_limited(retry_after_ms=30),
        faults.preset("overloaded"),
        faults.drop_after_headers(),
        faults.drop_mid_body(40),
        faults.reset_connection(),
    ],
    ids=["429", "overloaded", "drop-after-headers", "drop-before-first-event", "reset"],
)
def test_a_failure_before_the_first_event_is_retried(
    runner: Runner, local_server: LocalProviderServer, provider: str, fault: Fault
) -> None:
    model, route, name = spec(local_server, provider)
    local_server.enqueue(route, fault, model=name)
    received: list[StreamEvent] = []
    response = runner.stream(model, received, TEXT)
    assert text(received) == response.message.content == f"echo: {TEXT}"
    assert runner.count(route, name) == 2
    assert all(r.json["stream"] is True for r in local_server.requests)


def test_an_error_event_as_the_first_news_is_retried(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.MESSAGES, anthropic_events(OVERLOADED_EVENT), model="claude-a")
    received: list[StreamEvent] = []
    runner.stream(anthropic_model(local_server, "claude-a"), received, TEXT)
    assert text(received) == f"echo: {TEXT}"
    assert runner.count(Route.MESSAGES, "claude-a") == 2


def test_a_context_window_error_streams_from_the_next_model(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.CHAT, faults.preset("context_window"), model="model-a")
    chain = [openai_model(local_server, "model-a"), anthropic_model(local_server, "claude-b")]
    received: list[StreamEvent] = []
    response = runner.stream(chain, received, TEXT)
    assert response.provider == "anthropic"
    assert text(received) == f"echo: {TEXT}"
    assert (runner.count(Route.CHAT, "model-a"), runner.count(Route.MESSAGES, "claude-b")) == (1, 1)


@pytest.mark.parametrize(("provider", "cut"), [("openai", 1500), ("anthropic", 1000)])
def test_nothing_is_sent_again_after_a_stream_has_yielded(
    runner: Runner, local_server: LocalProviderServer, provider: str, cut: int
) -> None:
    model, route, name = spec(local_server, provider)
    local_server.enqueue(route, faults.drop_mid_body(cut, event_delay=0.01), model=name)
    chain = [model, openai_model(local_server, "model-b")]
    received: list[StreamEvent] = []
    with pytest.raises(StreamInterruptedError) as info:
        runner.stream(chain, received, TEXT)
    assert text(received).startswith("echo: ")
    assert text(received) != f"echo: {TEXT}"
    assert info.value.partial is not None
    assert info.value.partial.message.content == text(received)
    assert runner.count(route, name) == 1
    assert runner.count(Route.CHAT, "model-b") == 0


def test_an_error_event_after_content_interrupts_without_a_retry(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.MESSAGES, anthropic_events(*STARTED, OVERLOADED_EVENT), model="claude-a")
    received: list[StreamEvent] = []
    with pytest.raises(StreamInterruptedError) as info:
        runner.stream(anthropic_model(local_server, "claude-a"), received, TEXT)
    assert text(received) == "partial "
    assert isinstance(info.value.__cause__, OverloadedError)
    assert runner.count(Route.MESSAGES, "claude-a") == 1
    (limiter,) = runner.limiters._limiters.values()
    assert limiter.in_flight == 0
    assert limiter.aimd.generation == 1  # an overload mid-stream still tells the limiter to send less
