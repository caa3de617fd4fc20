"""``Client.stream`` / ``AsyncClient.stream``: when the request goes out, events and the final response,
usage, and the admission slot a stream holds until it ends or is closed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from modelwire import AdmissionTimeoutError, AsyncClient, Client
from modelwire.policy import Limiters
from modelwire.testing import LocalProviderServer
from modelwire.types.stream import StreamFinish, TextDelta, ToolCallEnd, UsageUpdate

KEY = "sk-facade-stream"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def client(server: LocalProviderServer, provider: str = "openai", **options: Any) -> Client:
    base = server.openai_base_url if provider == "openai" else server.anthropic_base_url
    model = "openai/gpt-4.1-mini" if provider == "openai" else "anthropic/claude-sonnet-4-5"
    return Client(model, api_base=base, api_key=KEY, limiters=Limiters(), **options)


def in_flight(client: Client | AsyncClient) -> int:
    assert client.policy.limiters is not None
    return sum(limiter.in_flight for limiter in client.policy.limiters._limiters.values())


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_events_then_the_final_response_and_its_usage(
    local_server: LocalProviderServer, provider: str
) -> None:
    with client(local_server, provider) as chat:
        stream = chat.stream("one two three", temperature=0)
        assert local_server.requests == []  # nothing is sent before the stream is opened
        with stream:
            assert len(local_server.requests) == 1
            assert in_flight(chat) == 1  # the admission slot is held while the stream is open
            events = list(stream)
            response = stream.final_response()
        assert in_flight(chat) == 0
        assert stream.model == chat.models[0]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "echo: one two three"
    assert response.message.content == "echo: one two three"
    assert any(isinstance(e, StreamFinish) for e in events)
    assert [e.usage for e in events if isinstance(e, UsageUpdate)][-1] == response.usage
    assert chat.usage == {chat.models[0]: response.usage}
    sent = local_server.last_request.json
    assert sent["stream"] is True
    assert sent["temperature"] == 0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_streamed_tool_call(local_server: LocalProviderServer, provider: str) -> None:
    with client(local_server, provider) as chat, chat.stream("Weather in Paris?", tools=[WEATHER]) as stream:
        ends = [e.tool_call for e in stream if isinstance(e, ToolCallEnd)]
        response = stream.final_response()
    assert [(c.name, c.arguments) for c in ends] == [("get_weather", {"city": "echo-city"})]
    assert response.message.tool_calls == ends
    assert response.finish_reason == "tool_calls"


def test_closing_early_gives_the_slot_back_and_counts_no_call(local_server: LocalProviderServer) -> None:
    with client(local_server) as chat:
        with chat.stream("one two three four five six") as stream:
            first = next(stream)
            assert isinstance(first, TextDelta)
        assert in_flight(chat) == 0
        assert chat.calls == {}
        assert chat.complete("after").message.content == "echo: after"


def test_an_open_stream_holds_its_slot_against_other_calls(local_server: LocalProviderServer) -> None:
    with client(local_server, max_concurrency=1, admission_timeout=0.2) as chat:
        with chat.stream("long answer") as stream:
            with pytest.raises(AdmissionTimeoutError):  # one model: its own error
                chat.complete("meanwhile")
            stream.final_response()
        assert chat.complete("now").message.content == "echo: now"
    assert [r.json["messages"][0]["content"] for r in local_server.requests] == ["long answer", "now"]


def test_the_async_stream_is_awaited_or_entered(local_server: LocalProviderServer) -> None:
    async def main() -> list[str | None]:
        async with AsyncClient(
            "anthropic/claude-sonnet-4-5", api_base=local_server.anthropic_base_url, api_key=KEY,
            limiters=Limiters(),
        ) as chat:  # fmt: skip
            stream = await chat.stream("awaited")
            assert in_flight(chat) == 1
            texts = [e.text async for e in stream if isinstance(e, TextDelta)]
            assert in_flight(chat) == 0  # the end of the iteration settles it
            async with chat.stream("entered") as entered:
                final = await entered.final_response()
            assert chat.calls == {"anthropic/claude-sonnet-4-5": 2}
            return ["".join(texts), final.message.content]

    assert asyncio.run(main()) == ["echo: awaited", "echo: entered"]


def test_a_stream_that_is_never_opened_sends_nothing(local_server: LocalProviderServer) -> None:
    with client(local_server) as chat:
        chat.stream("never").close()
        assert in_flight(chat) == 0
    assert local_server.requests == []


def test_a_closed_stream_iterates_no_further(local_server: LocalProviderServer) -> None:
    with client(local_server) as chat:
        stream = chat.stream("one two three four")
        with stream:
            next(stream)
        assert list(stream) == []
        assert stream.events_delivered == 1
    assert len(local_server.requests) == 1
