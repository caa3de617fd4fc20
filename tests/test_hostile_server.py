"""Hostile servers, small sizes (issue 15.1, 15.2, 15.4): every call ends with a typed error, sync and
async, whatever the server does. ``benches/soak_hostile.py`` runs the same with the default limits and
reports peak RSS and the time to the error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from hostile_server import HostileServer
from modelwire import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    ResponseParseError,
    ResponseTooLargeError,
    StreamInterruptedError,
)
from modelwire.providers import AnthropicClient, OpenAICompatibleClient
from modelwire.transport import Timeouts
from modelwire.types import ChatCompletionRequest

REQUEST = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}])


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer(interval=0.05)
    yield server
    server.stop()


def client(server: HostileServer, behaviour: str, **options: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(base_url=server.url(behaviour), api_key="sk-test", **options)


def complete(adapter: OpenAICompatibleClient, mode: str) -> Any:
    if mode == "sync":
        with adapter:
            return adapter.completion(REQUEST)

    async def run() -> Any:
        async with adapter:
            return await adapter.acompletion(REQUEST)

    return asyncio.run(run())


def stream(adapter: OpenAICompatibleClient, mode: str) -> int:
    """Reads the stream to its end; the number of events delivered."""
    if mode == "sync":
        with adapter, adapter.stream(REQUEST) as events:
            return sum(1 for _ in events)

    async def run() -> int:
        async with adapter, adapter.astream(REQUEST) as events:
            return sum([1 async for _ in events])

    return asyncio.run(run())


MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
def test_a_trickled_body_is_cut_by_the_whole_response_timeout(hostile: HostileServer, mode: str) -> None:
    # 160 bytes at one per 50 ms is 8 s: every read is quick, the whole is not. The sync client used to
    # wait it out (and return the response); the whole-response timeout of 1 s ends it.
    with pytest.raises(APITimeoutError, match="longer than 1s"):
        complete(client(hostile, "trickle", timeout=1), mode)


@pytest.mark.parametrize("mode", MODES)
def test_slow_headers_end_with_a_timeout(hostile: HostileServer, mode: str) -> None:
    with pytest.raises(APITimeoutError):
        complete(client(hostile, "slow-headers", timeout=1), mode)


@pytest.mark.parametrize("mode", MODES)
def test_an_endless_body_stops_at_max_response_bytes(hostile: HostileServer, mode: str) -> None:
    with pytest.raises(
        ResponseTooLargeError, match=r"larger than max_response_bytes \(1048576 bytes\)"
    ) as caught:
        complete(client(hostile, "endless-body", max_response_bytes=1 << 20), mode)
    assert caught.value.provider == "openai"
    assert caught.value.retryable is False
    assert hostile.sent < 64 << 20  # the client stopped reading; the server did not run on
    with pytest.raises(ResponseTooLargeError):  # the same JSON answering a streamed request
        stream(client(hostile, "endless-body", max_response_bytes=1 << 20), mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_declared_length_past_the_limit_fails_before_the_body_is_read(
    hostile: HostileServer, mode: str
) -> None:
    with pytest.raises(ResponseTooLargeError, match="1099511627776 bytes declared"):
        complete(client(hostile, "huge-declared"), mode)


@pytest.mark.parametrize("mode", MODES)
def test_an_endless_sse_line_is_a_stream_interruption_not_an_abort(hostile: HostileServer, mode: str) -> None:
    # The first event was delivered, then a line that never ends: past the 32 MiB line cap it is a
    # ResponseParseError, raised as StreamInterruptedError because an event was already delivered.
    with pytest.raises(StreamInterruptedError, match="is longer than 33554432 bytes") as caught:
        stream(client(hostile, "endless-line"), mode)
    assert isinstance(caught.value.__cause__, ResponseParseError)
    assert caught.value.partial is not None
    assert caught.value.partial.choices[0].message.content == "y" * 1000


@pytest.mark.parametrize("mode", MODES)
def test_an_endless_stream_stops_at_its_total_cap_or_its_byte_limit(
    hostile: HostileServer, mode: str
) -> None:
    # Slowly: loopback can deliver the 256 MiB default byte limit in under the 1 s cap.
    with pytest.raises(StreamInterruptedError, match="longer than 1s"):
        stream(client(hostile, "slow-stream", timeout=Timeouts(stream_total=1)), mode)
    with pytest.raises(StreamInterruptedError, match="max_response_bytes") as caught:
        stream(client(hostile, "endless-stream", max_response_bytes=1 << 20), mode)
    assert isinstance(caught.value.__cause__, ResponseTooLargeError)


def chain_stream(server: HostileServer, behaviour: str, mode: str, **options: Any) -> int:
    """Reads a stream through a Client / AsyncClient (its chain, policy and deadline) to its end, or to
    ``_MOST`` events; the number of events delivered."""
    chain = {"models": [{"name": "openai/m", "api_base": server.url(behaviour), "api_key": "sk-test"}]}

    if mode == "sync":
        with Client(chain, **options) as llm, llm.stream("hi") as events:
            return sum(1 for _, _ in zip(range(_MOST), events, strict=False))

    async def run() -> int:
        count = 0
        async with AsyncClient(chain, **options) as llm, llm.stream("hi") as events:
            async for _ in events:
                count += 1
                if count == _MOST:
                    break
        return count

    return asyncio.run(run())


_MOST = 100  # 5 s of /slow-stream: far past the deadlines below


@pytest.mark.parametrize("mode", MODES)
def test_the_chain_deadline_bounds_an_open_stream(hostile: HostileServer, mode: str) -> None:
    # An event every 50 ms passes every read and idle timeout; the stream used to run past the chain's
    # deadline of 1 s for as long as the server liked. What the deadline left when it opened ends it.
    with pytest.raises(StreamInterruptedError, match="longer than") as caught:
        chain_stream(hostile, "slow-stream", mode, deadline=1, max_retries=0)
    assert isinstance(caught.value.__cause__, APITimeoutError)
    assert caught.value.events_received >= 1


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_of_keep_alives_only_ends_at_the_idle_timeout(hostile: HostileServer, mode: str) -> None:
    # Comments every 50 ms pass every read timeout; no event for the read timeout (1 s) ends the stream.
    with pytest.raises(StreamInterruptedError, match="sent no event for 1s") as caught:
        stream(client(hostile, "keepalive-stream", timeout={"read": 1}), mode)
    assert isinstance(caught.value.__cause__, APITimeoutError)


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_cut_at_an_event_boundary_is_interrupted_not_complete(
    hostile: HostileServer, mode: str
) -> None:
    # Close-delimited bodies that end between two events used to be returned as complete responses.
    with pytest.raises(StreamInterruptedError, match="ended before its terminal event") as caught:
        stream(client(hostile, "cut-openai"), mode)
    assert isinstance(caught.value.__cause__, APIConnectionError)
    anthropic = AnthropicClient(base_url=hostile.url("cut-anthropic"), api_key="sk-ant-test")
    with pytest.raises(StreamInterruptedError, match="ended before its terminal event") as caught:
        stream(anthropic, mode)  # type: ignore[arg-type]
    assert caught.value.partial is not None
    assert caught.value.partial.choices[0].message.content == "partial"


@pytest.mark.parametrize("mode", MODES)
def test_an_openai_stream_with_its_finish_reason_but_no_done_is_complete(
    hostile: HostileServer, mode: str
) -> None:
    assert stream(client(hostile, "no-done-openai"), mode) == 2  # the text and the finish


@pytest.mark.parametrize("mode", MODES)
def test_an_endless_error_body_of_a_stream_stops_at_max_response_bytes(
    hostile: HostileServer, mode: str
) -> None:
    with pytest.raises(ResponseTooLargeError):
        stream(client(hostile, "endless-error", max_response_bytes=1 << 20), mode)
    with pytest.raises(ResponseTooLargeError):
        complete(client(hostile, "endless-error", max_response_bytes=1 << 20), mode)
