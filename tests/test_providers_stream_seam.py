"""The seam streaming builds on: ``_prepare_chat(request, stream=True)`` and ``_open_stream`` /
``_aopen_stream`` hand over a 2xx response before its body is read, raise an error status as its
``ProviderError``, and turn a connection lost mid-stream into one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from modelwire import APIConnectionError, OverloadedError, RateLimitError
from modelwire.providers import AnthropicClient, OpenAICompatibleClient
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.types import ChatCompletionRequest

KEY = "sk-test-stream-0123456789abcdef"
REQUEST = ChatCompletionRequest(model="stream-probe", messages=[{"role": "user", "content": "one two three"}])


def test_openai_stream_body_and_raw_events(local_server: LocalProviderServer) -> None:
    with OpenAICompatibleClient(base_url=local_server.openai_base_url, api_key=KEY) as client:
        prepared = client._prepare_chat(REQUEST, stream=True)
        with client._open_stream(prepared) as response:
            body = b"".join(response.iter_bytes())
    assert local_server.last_request.json == {
        "model": REQUEST.model,
        "messages": REQUEST.messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert body.startswith(b"data: {")
    assert body.endswith(b"data: [DONE]\n\n")


def test_anthropic_stream_body_and_raw_events(local_server: LocalProviderServer) -> None:
    async def run() -> bytes:
        async with AnthropicClient(base_url=local_server.anthropic_base_url, api_key=KEY) as client:
            prepared = client._prepare_chat(REQUEST, stream=True)
            async with client._aopen_stream(prepared) as response:
                return b"".join([chunk async for chunk in response.aiter_bytes()])

    body = asyncio.run(run())
    assert local_server.last_request.json["stream"] is True
    assert body.startswith(b"event: message_start\n")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_error_status_is_raised_before_the_stream_is_handed_over(
    local_server: LocalProviderServer, mode: str
) -> None:
    local_server.enqueue(Route.MESSAGES, faults.preset("overloaded"), model=REQUEST.model)
    local_server.enqueue(Route.CHAT, faults.rate_limited(retry_after=3), model=REQUEST.model)
    anthropic = AnthropicClient(base_url=local_server.anthropic_base_url, api_key=KEY)
    openai = OpenAICompatibleClient(base_url=local_server.openai_base_url, api_key=KEY)

    def sync(client: Any) -> None:
        with client, client._open_stream(client._prepare_chat(REQUEST, stream=True)):
            pytest.fail("an error status must not be handed over")

    async def run(client: Any) -> None:
        async with client, client._aopen_stream(client._prepare_chat(REQUEST, stream=True)):
            pytest.fail("an error status must not be handed over")

    for client, cls in ((anthropic, OverloadedError), (openai, RateLimitError)):
        with pytest.raises(cls) as caught:
            sync(client) if mode == "sync" else asyncio.run(run(client))
        assert caught.value.model == REQUEST.model
    assert caught.value.retry_after == 3.0


def test_a_connection_lost_mid_stream_becomes_a_provider_error(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.drop_mid_body(40), model=REQUEST.model)
    received: list[bytes] = []
    with OpenAICompatibleClient(base_url=local_server.openai_base_url, api_key=KEY) as client:
        prepared = client._prepare_chat(REQUEST, stream=True)
        with pytest.raises(APIConnectionError), client._open_stream(prepared) as response:
            received.extend(response.iter_bytes())
    assert sum(map(len, received)) <= 40
