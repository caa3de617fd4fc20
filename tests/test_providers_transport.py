"""How adapters hold their connections: user httpx/httpx2 clients and transports end to end, a pool that
follows max_concurrency even around a user's transport, one pool per event loop, and the lifecycle."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

import httpx
import httpx2
import pytest

from modelwire import APIConnectionError, ClientClosedError
from modelwire.providers import (
    AnthropicClient,
    AzureOpenAIClient,
    BedrockClient,
    GeminiClient,
    HttpAdapter,
    OpenAICompatibleClient,
    VertexClient,
)
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.types import ChatCompletionRequest

KEY = "sk-test-transport-0123456789abcdef"
REQUEST = ChatCompletionRequest(model="transport-probe", messages=[{"role": "user", "content": "ping"}])


def _sent(server: LocalProviderServer) -> list[Any]:
    """This file's requests (other tests' stragglers, if any, use other models)."""
    return server.requests_for(model=REQUEST.model)


def _openai(server: LocalProviderServer, **kw: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(base_url=server.openai_base_url, api_key=KEY, **kw)


def test_a_user_httpx2_client_works_end_to_end_and_stays_theirs(local_server: LocalProviderServer) -> None:
    with httpx2.Client(headers={"x-from-user-client": "yes"}) as user_client:
        client = AnthropicClient(
            base_url=local_server.anthropic_base_url, api_key=KEY, http_client=user_client
        )
        with client:
            response = client.completion(REQUEST)
            assert client._sync().library is httpx2
            local_server.enqueue(Route.MESSAGES, faults.drop_mid_body(5), model=REQUEST.model)
            with pytest.raises(APIConnectionError) as caught:
                client.completion(REQUEST)
            assert type(caught.value.__cause__).__module__.startswith("httpx2")
        assert response.message.content == "echo: ping"
        first = local_server.requests[0]
        assert first.headers["x-from-user-client"] == "yes"
        assert first.headers["x-api-key"] == KEY
        assert not user_client.is_closed  # closing the adapter left the user's client open


def test_a_user_httpx2_async_client_works_end_to_end(local_server: LocalProviderServer) -> None:
    async def run() -> tuple[str | None, bool]:
        async with httpx2.AsyncClient() as user_client:
            client = _openai(local_server, async_http_client=user_client)
            async with client:
                first = await client.acompletion(REQUEST)
            return first.message.content, user_client.is_closed

    assert asyncio.run(run()) == ("echo: ping", False)
    assert local_server.last_request.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("library", [httpx, httpx2])
def test_the_pool_follows_max_concurrency_around_a_users_big_transport(
    local_server: LocalProviderServer, library: Any
) -> None:
    """Six concurrent calls, each held 0.3 s by the server, through a user transport allowing 50
    connections: with max_concurrency=2 they share two connections."""
    local_server.enqueue(Route.CHAT, *[faults.delay(0.3)] * 6, model=REQUEST.model)
    big = library.AsyncHTTPTransport(limits=library.Limits(max_connections=50))
    client = _openai(local_server, async_transport=big, max_concurrency=2)

    async def run() -> None:
        async with client:
            await asyncio.gather(*(client.acompletion(REQUEST) for _ in range(6)))
        await big.aclose()  # the user's transport stays theirs to close

    asyncio.run(run())
    connections = {request.connection for request in _sent(local_server)}
    assert len(_sent(local_server)) == 6
    assert len(connections) == 2


def test_the_sync_pool_follows_max_concurrency_across_threads(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, *[faults.delay(0.3)] * 6, model=REQUEST.model)
    with httpx.HTTPTransport(limits=httpx.Limits(max_connections=50)) as big:
        client = _openai(local_server, transport=big, max_concurrency=3)
        threads = [threading.Thread(target=client.completion, args=(REQUEST,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.close()
    assert len(_sent(local_server)) == 6
    assert len({request.connection for request in _sent(local_server)}) == 3


def test_clients_and_transports_must_match_the_mode() -> None:
    with pytest.raises(TypeError, match="async_http_client"):
        OpenAICompatibleClient(base_url="http://h/v1", http_client=httpx.AsyncClient())
    with pytest.raises(TypeError, match="http_client"):
        OpenAICompatibleClient(base_url="http://h/v1", async_http_client=httpx.Client())
    with pytest.raises(TypeError, match="async_transport"):
        OpenAICompatibleClient(base_url="http://h/v1", transport=httpx.AsyncHTTPTransport())


def test_one_adapter_serves_several_event_loops_until_it_is_closed(local_server: LocalProviderServer) -> None:
    client = _openai(local_server)

    async def run() -> str | None:
        return (await client.acompletion(REQUEST)).message.content

    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert first.run_until_complete(run()) == "echo: ping"
        assert second.run_until_complete(run()) == "echo: ping"  # another loop, another pool
        assert client.completion(REQUEST).message.content == "echo: ping"
        second.run_until_complete(client.aclose())  # this loop's pool awaited, the other's scheduled on it
        first.run_until_complete(asyncio.sleep(0))  # runs the scheduled callback, which starts the close
        pending = asyncio.all_tasks(first)
        if pending:
            first.run_until_complete(asyncio.wait(pending))
    finally:
        first.close()
        second.close()
    assert client.closed
    with pytest.raises(ClientClosedError):
        client.completion(REQUEST)
    with pytest.raises(ClientClosedError):
        asyncio.run(run())
    assert len(_sent(local_server)) == 3
    assert len({request.connection for request in _sent(local_server)}) == 3


def test_keep_alive_reuses_one_connection(local_server: LocalProviderServer) -> None:
    with _openai(local_server) as client:
        for _ in range(3):
            client.completion(REQUEST)
    assert len({request.connection for request in _sent(local_server)}) == 1


def test_aclose_closes_the_sync_pool_too(local_server: LocalProviderServer) -> None:
    client = _openai(local_server)
    client.completion(REQUEST)
    sync_client = client._sync().client

    async def run() -> None:
        await client.acompletion(REQUEST)
        await client.aclose()

    asyncio.run(run())
    assert sync_client.is_closed
    assert client.closed


@pytest.mark.parametrize(
    "adapter",
    [OpenAICompatibleClient, AzureOpenAIClient, AnthropicClient, BedrockClient, GeminiClient, VertexClient],
)
def test_every_adapter_spells_out_the_shared_options_as_the_base_takes_them(adapter: type) -> None:
    """Each adapter repeats the base's options so its signature documents them; they must not drift."""
    base = inspect.signature(HttpAdapter.__init__).parameters
    own = inspect.signature(adapter.__init__).parameters
    own_args = ("self", "dialect", "provider_name", "base_url", "headers")
    shared = [name for name in base if name not in own_args]
    assert [(name, own[name].kind, own[name].default) for name in shared] == [
        (name, base[name].kind, base[name].default) for name in shared
    ]
    assert {"base_url", "headers"} <= own.keys()
    if adapter is not VertexClient:  # Vertex signs with google-auth credentials, it takes no API key
        assert {"api_key", "api_key_env"} <= own.keys()
