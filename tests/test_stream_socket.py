"""``adapter.stream()`` / ``astream()`` over real sockets: the local provider server streams recorded and
echoed bodies event by event, drops connections and reports errors inside 200 streams; a minimal socket
server of this module's own watches the client close its connection."""

from __future__ import annotations

import asyncio
import select
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from corpus_files import load
from modelwire import (
    APIConnectionError,
    BadRequestError,
    OverloadedError,
    RateLimitError,
    StreamInterruptedError,
)
from modelwire.providers import AnthropicClient, AzureOpenAIClient, OpenAICompatibleClient
from modelwire.testing import Fault, LocalProviderServer, Route, faults
from modelwire.types import ChatCompletionRequest
from modelwire.types.stream import StreamEvent, TextDelta, ToolCallEnd, UsageUpdate
from test_stream_corpus import LOADED, fold

KEY = "sk-test-stream-0123456789abcdef"
MODEL = "stream-socket"
WORDS = " ".join(f"w{i}" for i in range(40))
REQUEST = ChatCompletionRequest(model=MODEL, messages=[{"role": "user", "content": WORDS}])
ADAPTERS = ["openai", "anthropic"]
ROUTES = {"openai": Route.CHAT, "anthropic": Route.MESSAGES}


def adapter(kind: str, server: LocalProviderServer | str) -> Any:
    if isinstance(server, str):
        base = server
    else:
        base = server.openai_base_url if kind == "openai" else server.anthropic_base_url
    cls = OpenAICompatibleClient if kind == "openai" else AnthropicClient
    return cls(base_url=base, api_key=KEY)


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.mark.parametrize("kind", ADAPTERS)
def test_the_first_event_arrives_before_the_body_is_complete(
    local_server: LocalProviderServer, kind: str
) -> None:
    local_server.enqueue(ROUTES[kind], faults.slow_stream(0.1), model=MODEL)
    with adapter(kind, local_server) as client:
        expected = client.completion(REQUEST)
        with client.stream(REQUEST) as stream:
            assert stream.open() is stream
            # One event is in; the server is still pausing between the others.
            assert stream.events_delivered == 0
            assert 1 <= stream.events_received < 10
            assert stream.response.finish_reason is None
            events = list(stream)
            assert stream.events_delivered == len(events)
        response = stream.final_response()
    assert response.message.content == text_of(events) == expected.message.content
    assert response.usage == expected.usage
    assert response.id == expected.id


@pytest.mark.parametrize(
    "path",
    [
        "openai/chat_completions_stream/openai-python__test_allows_non_strict_tools_but_no_parsing.json",
        "anthropic/messages_stream/llm-anthropic__test_fixed_version_tool_chain_with_thinking_display_regression__i0.json",
    ],
)
def test_a_recorded_stream_replayed_event_by_event(local_server: LocalProviderServer, path: str) -> None:
    recording = load(path)
    kind = "anthropic" if recording.provider == "anthropic" else "openai"
    local_server.replay(recording, event_delay=0.01)
    with adapter(kind, local_server) as client, client.stream(REQUEST) as stream:
        events = list(stream)
        response = stream.final_response()
    offline = fold(LOADED[-1], kind, [recording.body], client.provider_name)
    assert events == offline.events
    assert response == offline.response
    assert any(isinstance(e, ToolCallEnd) for e in events)


def test_async_streams_of_both_adapters(local_server: LocalProviderServer) -> None:
    async def run(kind: str) -> tuple[list[StreamEvent], Any]:
        async with adapter(kind, local_server) as client, client.astream(REQUEST) as stream:
            await stream.aopen()
            events = [event async for event in stream]
            return events, await stream.final_response()

    for kind in ADAPTERS:
        events, response = asyncio.run(run(kind))
        assert response.message.content == text_of(events) == "echo: " + WORDS
        assert isinstance(events[-1], UsageUpdate)
        assert events[-1].usage == response.usage


def test_azure_streams_through_the_openai_adapter(local_server: LocalProviderServer) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object",
              "properties": {"q": {"type": "string"}}, "required": ["q"]}}}]  # fmt: skip
    request = ChatCompletionRequest(model=MODEL, messages=REQUEST.messages, tools=tools)
    with AzureOpenAIClient(
        base_url=local_server.azure_endpoint, api_key=KEY, api_version="2024-10-21"
    ) as client:
        expected = client.completion(request)
        with client.stream(request) as stream:
            events = list(stream)
    (call,) = stream.final_response().message.tool_calls
    assert call == expected.message.tool_calls[0]
    assert call.arguments == {"q": "echo-q"}
    assert [type(e).__name__ for e in events[:2]] == ["ToolCallStart", "ToolCallDelta"]
    assert local_server.last_request.json["stream"] is True


# --- closing ---------------------------------------------------------------------------------------------


class WatchingServer:
    """Answers one request with a slow SSE stream of ``count`` chunks and records when the client closes
    the connection (its FIN or reset) while chunks were still to come."""

    def __init__(self, events: list[bytes], delay: float = 0.05) -> None:
        self.events = events
        self.delay = delay
        self.sent = 0
        self.client_closed = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            try:
                conn.sendall(head)
                for event in self.events:
                    conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
                    self.sent += 1
                    readable, _, _ = select.select([conn], [], [], self.delay)
                    # The request body may still be unread; only the end of the stream matters.
                    if readable and not _drain(conn):
                        self.client_closed.set()
                        return
            except OSError:
                self.client_closed.set()

    def close(self) -> None:
        self.listener.close()


def _drain(conn: socket.socket) -> bool:
    """Reads what is readable; False when the client closed its side."""
    try:
        return bool(conn.recv(65536))
    except OSError:
        return False


def _openai_chunks(count: int) -> list[bytes]:
    return [b'data: {"choices":[{"index":0,"delta":{"content":"w%d "}}]}\n\n' % i for i in range(count)]


def _anthropic_chunks(count: int) -> list[bytes]:
    start = b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","content":[]}}\n\n'
    block = b'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    deltas = [
        b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"w%d "}}\n\n' % i
        for i in range(count)
    ]
    return [start, block, *deltas]


@pytest.fixture(params=ADAPTERS)
def watching(request: pytest.FixtureRequest) -> Iterator[tuple[str, WatchingServer]]:
    kind = request.param
    server = WatchingServer(_openai_chunks(200) if kind == "openai" else _anthropic_chunks(200))
    yield kind, server
    server.close()


@pytest.mark.parametrize("how", ["with", "for", "close", "async"])
def test_leaving_a_stream_early_closes_the_connection(watching: tuple[str, WatchingServer], how: str) -> None:
    kind, server = watching
    client = adapter(kind, server.url)

    def first_text(events: Any) -> None:
        for event in events:
            if isinstance(event, TextDelta):
                break

    if how == "with":
        with client.stream(REQUEST) as stream:
            first_text(stream)
            held = stream
    elif how == "for":  # no `with`: breaking out of the loop is enough
        first_text(client.stream(REQUEST))
    elif how == "close":
        stream = client.stream(REQUEST).open()
        stream.close()
        held = stream
    else:

        async def run() -> None:
            async with client, client.astream(REQUEST) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        break

        asyncio.run(run())
    assert server.client_closed.wait(10), "the server never saw the connection close"
    assert server.sent < 200
    client.close()
    if how in ("with", "close"):
        with pytest.raises(StreamInterruptedError) as caught:
            held.final_response()  # the rest was never read
        assert caught.value.partial is not None


def test_an_early_close_drops_the_connection_and_a_full_read_keeps_it(
    local_server: LocalProviderServer,
) -> None:
    local_server.configure(stream_event_delay=0.02)
    with adapter("openai", local_server) as client:
        for _event in client.stream(REQUEST):
            break
        client.stream(REQUEST).final_response()
        client.completion(REQUEST)
    first, second, third = (r.connection for r in local_server.requests)
    assert first != second  # the stream left early was not put back in the pool
    assert second == third  # a stream read to its end was


# --- failures ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ADAPTERS)
def test_a_drop_mid_stream_carries_what_arrived(local_server: LocalProviderServer, kind: str) -> None:
    local_server.enqueue(ROUTES[kind], faults.drop_mid_body(900, event_delay=0.01), model=MODEL)
    events: list[StreamEvent] = []
    with (
        adapter(kind, local_server) as client,
        client.stream(REQUEST) as stream,
        pytest.raises(StreamInterruptedError) as caught,
    ):
        events.extend(stream)
    error = caught.value
    assert isinstance(error.__cause__, APIConnectionError)
    assert stream.events_delivered == len(events) >= 2
    assert error.events_received == len(events)
    assert error.partial is not None
    assert error.partial.message.content == text_of(events)
    assert error.partial.finish_reason is None
    assert not error.retryable
    assert (error.provider, error.model) == (client.provider_name, MODEL)


def test_a_drop_before_anything_was_delivered_is_an_ordinary_error(local_server: LocalProviderServer) -> None:
    for fault in (faults.drop_mid_body(900, event_delay=0.01), faults.drop_after_headers()):
        local_server.enqueue(Route.CHAT, fault, model=MODEL)
        with adapter("openai", local_server) as client:
            stream = client.stream(REQUEST)
            with pytest.raises(APIConnectionError) as caught:
                stream.final_response()  # drains without delivering: a retry would be safe
            assert caught.value.retryable
            assert stream.events_delivered == 0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_error_status_raises_at_open(local_server: LocalProviderServer, mode: str) -> None:
    local_server.enqueue(Route.CHAT, faults.rate_limited(retry_after=2), model=MODEL)
    client = adapter("openai", local_server)

    async def aopen() -> None:
        async with client, client.astream(REQUEST) as stream:
            await stream.aopen()

    with pytest.raises(RateLimitError) as caught:
        client.stream(REQUEST).open() if mode == "sync" else asyncio.run(aopen())
    assert caught.value.retry_after == 2.0
    assert caught.value.model == MODEL
    client.close()


def test_an_error_event_inside_the_stream_is_the_right_provider_error(
    local_server: LocalProviderServer,
) -> None:
    groq = load(
        "groq/chat_completions_stream/pydantic-ai__test_tool_use_failed_error_streaming_with_text__i0.json"
    )
    with adapter("openai", local_server) as client:
        local_server.replay(groq, route=Route.CHAT)
        with pytest.raises(BadRequestError) as plain:
            client.stream(REQUEST).final_response()  # nothing delivered: the error itself
        local_server.replay(groq, route=Route.CHAT)
        with client.stream(REQUEST) as stream, pytest.raises(StreamInterruptedError) as interrupted:
            for _ in stream:
                pass
    assert (plain.value.status_code, plain.value.provider_code) == (400, "tool_use_failed")
    cause = interrupted.value.__cause__
    assert isinstance(cause, BadRequestError)
    assert cause.message == plain.value.message
    assert interrupted.value.partial is not None
    assert interrupted.value.partial.message.content == "maybe"


def test_an_anthropic_error_event_first_or_later(local_server: LocalProviderServer) -> None:
    start = b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","content":[]}}\n\n'
    text = (
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
        b'"content_block":{"type":"text","text":"partial"}}\n\n'
    )
    error = (
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    sse = (("content-type", "text/event-stream"),)
    with adapter("anthropic", local_server) as client:
        local_server.enqueue(
            Route.MESSAGES, Fault(status=200, headers=sse, events=(start, error)), model=MODEL
        )
        with pytest.raises(OverloadedError) as first:
            client.stream(REQUEST).open()
        assert first.value.retryable
        local_server.enqueue(
            Route.MESSAGES, Fault(status=200, headers=sse, events=(start, text, error)), model=MODEL
        )

        async def collect(stream: Any, events: list[StreamEvent]) -> None:
            async for event in stream:
                events.append(event)  # noqa: PERF401 (what arrived before the failure is kept)

        async def run() -> list[StreamEvent]:
            events: list[StreamEvent] = []
            async with client.astream(REQUEST) as stream:
                with pytest.raises(StreamInterruptedError) as later:
                    await collect(stream, events)
            assert isinstance(later.value.__cause__, OverloadedError)
            assert later.value.partial is not None
            assert later.value.partial.message.content == "partial"
            await client.aclose()
            return events

        assert text_of(asyncio.run(run())) == "partial"


def test_a_plain_json_answer_to_a_stream_request_is_read_as_one(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.respond(200, _COMPLETION), model=MODEL)
    with adapter("openai", local_server) as client, client.stream(REQUEST) as stream:
        events = list(stream)
        response = stream.final_response()
    assert response.message.content == text_of(events) == "Hello"
    assert response.usage is not None
    assert events[-1] == UsageUpdate(response.usage)


_COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
