"""Close is final (issue 18 item 7, issue 15 item 9): after ``close()`` / ``aclose()`` an adapter or a client
refuses every call with ``ClientClosedError`` instead of opening a new pool, and a call in flight when the
pool closed fails with it and is not retried (the server sees no second request)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from modelwire import AsyncClient, Client, ClientClosedError, ErrorKind, StreamInterruptedError
from modelwire.policy import Action, action_for
from modelwire.providers import AnthropicClient, HttpAdapter, OpenAICompatibleClient
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.types import ChatCompletionRequest, EmbeddingRequest

KEY = "sk-close-test-0123456789"
REQUEST = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "one two three four"}])


def _openai(server: LocalProviderServer) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(base_url=server.openai_base_url, api_key=KEY)


def _wait_for_requests(server: LocalProviderServer, count: int) -> None:
    """Until the server has received ``count`` requests (bounded, so a bug fails instead of hanging)."""
    deadline = time.monotonic() + 30
    while len(server.requests) < count:
        assert time.monotonic() < deadline, "the request never reached the server"
        time.sleep(0.01)


async def _await_requests(server: LocalProviderServer, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(server.requests) < count:
        assert time.monotonic() < deadline, "the request never reached the server"
        await asyncio.sleep(0.01)


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException | Any]]:
    outcome: list[BaseException | Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize(
    "make", [_openai, lambda s: AnthropicClient(base_url=s.anthropic_base_url, api_key=KEY)]
)
def test_an_adapter_refuses_every_call_after_close(
    local_server: LocalProviderServer, make: Callable[[LocalProviderServer], HttpAdapter]
) -> None:
    adapter = make(local_server)
    with adapter:
        adapter.completion(REQUEST)
    assert adapter.closed
    assert "closed" in repr(adapter)
    calls: list[Callable[[], Any]] = [
        lambda: adapter.completion(REQUEST),
        lambda: adapter.stream(REQUEST).open(),
        lambda: asyncio.run(adapter.acompletion(REQUEST)),
        lambda: asyncio.run(adapter.astream(REQUEST).aopen()),
        lambda: adapter.__enter__(),
    ]
    if adapter.supports_embeddings():
        calls.append(lambda: adapter.embeddings(EmbeddingRequest(model="e", inputs=["a"])))
    for call in calls:
        with pytest.raises(ClientClosedError, match="was closed") as caught:
            call()
        error = caught.value
        assert (error.kind, error.retryable, action_for(error)) == (
            ErrorKind.CLIENT_CLOSED,
            False,
            Action.RAISE,
        )
        assert error.provider == adapter.provider_name
    assert len(local_server.requests) == 1  # no pool was reopened behind the close


def test_aclose_is_final_too(local_server: LocalProviderServer) -> None:
    adapter = _openai(local_server)

    async def run() -> None:
        async with adapter:
            await adapter.acompletion(REQUEST)
        with pytest.raises(ClientClosedError):
            await adapter.acompletion(REQUEST)

    asyncio.run(run())
    with pytest.raises(ClientClosedError):
        adapter.completion(REQUEST)
    assert len(local_server.requests) == 1


def test_a_sync_call_in_flight_fails_as_closed(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.hang())
    adapter = _openai(local_server)
    thread, outcome = _in_thread(
        lambda: adapter.completion(ChatCompletionRequest(**{**_fields(), "timeout": 2}))
    )
    _wait_for_requests(local_server, 1)
    adapter.close()
    thread.join()
    (error,) = outcome
    assert isinstance(error, ClientClosedError)  # not the read timeout the cut call met
    assert len(local_server.requests) == 1


def test_an_async_call_in_flight_fails_as_closed(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.hang())
    adapter = _openai(local_server)

    async def run() -> BaseException | None:
        task = asyncio.create_task(adapter.acompletion(REQUEST))
        await _await_requests(local_server, 1)
        await adapter.aclose()
        try:
            await task
        except BaseException as exc:
            return exc
        return None

    error = asyncio.run(run())
    assert isinstance(error, ClientClosedError)
    assert len(local_server.requests) == 1


def test_a_stream_cut_by_close_says_so(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.slow_stream(0.05))
    adapter = _openai(local_server)
    stream = adapter.stream(REQUEST)
    events = iter(stream)
    next(events)
    adapter.close()
    with pytest.raises(StreamInterruptedError) as caught:
        list(events)
    assert isinstance(caught.value.__cause__, ClientClosedError)


def test_a_client_call_in_flight_is_not_retried_after_close(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.hang())
    client = Client("openai/m", api_base=local_server.openai_base_url, api_key=KEY, max_retries=3)
    thread, outcome = _in_thread(lambda: client.complete("hello", timeout=2))
    _wait_for_requests(local_server, 1)
    client.close()
    thread.join()
    (error,) = outcome
    assert isinstance(error, ClientClosedError)
    assert len(local_server.requests) == 1  # the cut call was not sent again on a new pool


def test_an_async_client_call_in_flight_is_not_retried_after_aclose(
    local_server: LocalProviderServer,
) -> None:
    local_server.enqueue(Route.CHAT, faults.hang())
    client = AsyncClient("openai/m", api_base=local_server.openai_base_url, api_key=KEY, max_retries=3)

    async def run() -> BaseException | None:
        task = asyncio.create_task(client.complete("hello"))
        await _await_requests(local_server, 1)
        await client.aclose()
        try:
            await task
        except BaseException as exc:
            return exc
        return None

    error = asyncio.run(run())
    assert isinstance(error, ClientClosedError)
    assert len(local_server.requests) == 1


def _fields() -> dict[str, Any]:
    return {"model": REQUEST.model, "messages": REQUEST.messages}
