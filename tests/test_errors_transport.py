"""Transport failures -> kinds, first from constructed httpx/httpx2 exceptions, then from real ones.

The real ones come from a tiny stdlib TCP server on 127.0.0.1 that misbehaves on purpose (drops the
connection after the headers, never answers, resets, refuses, stops reading), hit with real httpx and httpx2
requests, sync and async. Timeouts are short so the tests are quick; nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import httpx2
import pytest

from modelwire import ErrorKind, ProviderError, RateLimitError
from modelwire.errors import from_transport_error
from modelwire.exceptions import error_class_for

K = ErrorKind
GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/g:generateContent?key=AIzaSyA0123456789abcdefghijklmnopqrs"

CONSTRUCTED = [
    ("PoolTimeout", K.POOL_TIMEOUT),
    ("ConnectTimeout", K.TIMEOUT),
    ("ReadTimeout", K.TIMEOUT),
    ("WriteTimeout", K.TIMEOUT),
    ("ConnectError", K.API_CONNECTION),
    ("ReadError", K.API_CONNECTION),
    ("WriteError", K.API_CONNECTION),
    ("CloseError", K.API_CONNECTION),
    ("RemoteProtocolError", K.API_CONNECTION),
    ("ProxyError", K.API_CONNECTION),
    ("LocalProtocolError", K.API_ERROR),
    ("UnsupportedProtocol", K.API_ERROR),
    ("DecodingError", K.INVALID_RESPONSE),
    ("TooManyRedirects", K.API_ERROR),
]


@pytest.mark.parametrize("library", [httpx, httpx2], ids=["httpx", "httpx2"])
@pytest.mark.parametrize(("name", "kind"), CONSTRUCTED)
def test_each_exception_class_maps_to_a_kind(library: Any, name: str, kind: ErrorKind) -> None:
    exc = getattr(library, name)("boom", request=library.Request("POST", GEMINI_URL))
    error = from_transport_error(exc, provider="gemini", model="g")
    assert (type(error), error.kind) == (error_class_for(kind), kind)
    assert error.retryable is kind.retryable
    assert error.__cause__ is exc
    assert "generativelanguage.googleapis.com" in error.message
    assert "AIza" not in error.message  # the query never enters the text
    assert "key=" not in error.message
    assert (error.provider, error.model, error.status_code) == ("gemini", "g", None)


def test_httpx2_sse_error_and_an_exception_without_request() -> None:
    assert from_transport_error(httpx2.SSEError("bad frame"), provider="p").kind is K.INVALID_RESPONSE
    error = from_transport_error(httpx.ReadTimeout(""), provider="p")
    assert error.kind is K.TIMEOUT
    assert error.message == "timed out waiting for the provider to send the response (ReadTimeout)"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ConnectionRefusedError(111, "Connection refused"), K.API_CONNECTION),
        (ConnectionResetError(104, "Connection reset by peer"), K.API_CONNECTION),
        (BrokenPipeError(32, "Broken pipe"), K.API_CONNECTION),
        (TimeoutError("timed out"), K.TIMEOUT),
        (TimeoutError(), K.TIMEOUT),
        (ssl.SSLError(1, "handshake failure"), K.API_CONNECTION),
        (OSError(101, "Network is unreachable"), K.API_CONNECTION),
        (ValueError("odd"), K.API_ERROR),
        (KeyboardInterrupt(), K.API_ERROR),
    ],
)
def test_os_and_other_exceptions(exc: BaseException, kind: ErrorKind) -> None:
    error = from_transport_error(exc, provider="openai")
    assert error.kind is kind
    assert error.__cause__ is exc


def test_a_provider_error_passes_through_unchanged() -> None:
    original = RateLimitError("slow", provider="openai")
    assert from_transport_error(original, provider="other") is original


def test_http_status_error_is_classified_from_its_response() -> None:
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    body = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    response = httpx.Response(429, headers={"retry-after-ms": "1500"}, json=body, request=request)
    exc = httpx.HTTPStatusError("429", request=request, response=response)
    error = from_transport_error(exc, provider="openai", model="gpt")
    assert (type(error), error.retry_after, error.status_code) == (RateLimitError, 1.5, 429)
    assert error.model == "gpt"
    assert error.__cause__ is exc


# --- real sockets ---------------------------------------------------------------------------------------


class MisbehavingServer:
    """Accepts connections on 127.0.0.1 and hands each to ``behaviour`` in its own thread."""

    def __init__(self, behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1/chat?key=AIzaSyA0123456789abcdefghijklmnopq"
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, args=(behaviour,), daemon=True)
        self.thread.start()

    def _serve(self, behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(conn)
            threading.Thread(target=behaviour, args=(conn, self.stop), daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.listener.close()
        for conn in self.connections:
            conn.close()


def _read_head(conn: socket.socket) -> None:
    """Read the request, body included: closing with unread input would send a reset instead of a FIN."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


def drop_after_headers(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id":')
    conn.close()


def drop_before_response(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    conn.close()


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    stop.wait()


def headers_then_stall(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    stop.wait()


def reset(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
    conn.close()


def never_read(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait()


def rate_limited(conn: socket.socket, stop: threading.Event) -> None:
    _read_head(conn)
    body = b'{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'
    head = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 2\r\n"
    conn.sendall(f"{head}X-Request-Id: req_9\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    conn.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[socket.socket, threading.Event], None]], MisbehavingServer]]:
    servers: list[MisbehavingServer] = []

    def start(behaviour: Callable[[socket.socket, threading.Event], None]) -> MisbehavingServer:
        servers.append(MisbehavingServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


TIMEOUT = httpx.Timeout(5.0, connect=0.3, read=0.3, write=0.3, pool=0.2)


def _sync(library: Any, url: str, **kwargs: Any) -> BaseException:
    with library.Client(timeout=library.Timeout(**TIMEOUT.as_dict())) as client:
        try:
            client.post(url, json={"model": "m"}, **kwargs).read()
        except Exception as exc:
            return exc
    raise AssertionError("the request unexpectedly succeeded")


def _async(library: Any, url: str, **kwargs: Any) -> BaseException:
    async def go() -> BaseException:
        async with library.AsyncClient(timeout=library.Timeout(**TIMEOUT.as_dict())) as client:
            try:
                response = await client.post(url, json={"model": "m"}, **kwargs)
                await response.aread()
            except Exception as exc:
                return exc
        raise AssertionError("the request unexpectedly succeeded")

    return asyncio.run(go())


# How a dropped connection surfaces depends on timing (a FIN seen as EOF, or a reset while reading).
DROPPED = {"RemoteProtocolError", "ReadError"}

CLIENTS = [
    pytest.param(httpx, _sync, id="httpx-sync"),
    pytest.param(httpx, _async, id="httpx-async"),
    pytest.param(httpx2, _sync, id="httpx2-sync"),
    pytest.param(httpx2, _async, id="httpx2-async"),
]


# Each misbehaving server, the kind its failure is, and the exception names it may surface as: shared with
# test_transport_aiohttp, which hits the same servers through the aiohttp transport.
REAL_FAILURES = pytest.mark.parametrize(
    ("behaviour", "kind", "names"),
    [
        (drop_after_headers, K.API_CONNECTION, DROPPED),
        (drop_before_response, K.API_CONNECTION, DROPPED),
        (never_answer, K.TIMEOUT, {"ReadTimeout"}),
        (headers_then_stall, K.TIMEOUT, {"ReadTimeout"}),
        (reset, K.API_CONNECTION, DROPPED),
    ],
)


@contextmanager
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but never listening: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener has a full accept queue: it drops new SYNs, so a connect never
    completes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.mark.parametrize(("library", "call"), CLIENTS)
@REAL_FAILURES
def test_real_failures(
    serve: Any, library: Any, call: Any, behaviour: Any, kind: ErrorKind, names: set[str]
) -> None:
    server = serve(behaviour)
    exc = call(library, server.url)
    assert type(exc).__name__ in names
    error = from_transport_error(exc, provider="openai", model="m")
    assert error.kind is kind
    assert error.retryable
    assert error.__cause__ is exc
    assert "127.0.0.1:" in error.message
    assert "AIza" not in error.message


@pytest.mark.parametrize(("library", "call"), CLIENTS)
def test_real_connection_refused(library: Any, call: Any) -> None:
    with refused_port() as port:
        exc = call(library, f"http://127.0.0.1:{port}/")
    assert type(exc).__name__ == "ConnectError"
    error = from_transport_error(exc, provider="vllm")
    assert (error.kind, error.retryable) == (K.API_CONNECTION, True)
    assert error.message.startswith(f"could not connect to 127.0.0.1:{port}")


@pytest.mark.parametrize(("library", "call"), CLIENTS)
def test_real_connect_timeout(library: Any, call: Any) -> None:
    with unanswered_port() as port:
        exc = call(library, f"http://127.0.0.1:{port}/")
    assert type(exc).__name__ == "ConnectTimeout"
    assert from_transport_error(exc, provider="p").kind is K.TIMEOUT


@pytest.mark.parametrize(("library", "call"), CLIENTS)
def test_real_write_timeout(serve: Any, library: Any, call: Any) -> None:
    server = serve(never_read)
    exc = call(library, server.url.replace("/v1/chat", "/upload"), content=b"x" * (64 << 20))
    assert type(exc).__name__ == "WriteTimeout"
    assert from_transport_error(exc, provider="p").kind is K.TIMEOUT


@pytest.mark.parametrize("library", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_real_pool_timeout_is_not_a_provider_timeout(serve: Any, library: Any) -> None:
    server = serve(headers_then_stall)
    limits = library.Limits(max_connections=1)
    timeout = library.Timeout(**TIMEOUT.as_dict())
    with (
        library.Client(limits=limits, timeout=timeout) as client,
        client.stream("GET", server.url),  # holds the only connection
        pytest.raises(library.PoolTimeout) as caught,
    ):
        client.get(server.url)
    error = from_transport_error(caught.value, provider="openai")
    assert (type(error).__name__, error.kind, error.retryable) == ("PoolTimeoutError", K.POOL_TIMEOUT, True)
    assert isinstance(error, TimeoutError)


def test_real_async_pool_timeout(serve: Any) -> None:
    server = serve(headers_then_stall)

    async def go() -> BaseException:
        limits = httpx.Limits(max_connections=1)
        async with (
            httpx.AsyncClient(limits=limits, timeout=TIMEOUT) as client,
            client.stream("GET", server.url),
        ):
            try:
                await client.get(server.url)
            except httpx.PoolTimeout as exc:
                return exc
        raise AssertionError("no pool timeout")

    assert from_transport_error(asyncio.run(go()), provider="p").kind is K.POOL_TIMEOUT


@pytest.mark.parametrize("library", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_real_error_status_through_raise_for_status(serve: Any, library: Any) -> None:
    server = serve(rate_limited)
    with library.Client() as client:
        response = client.post(server.url, json={})
        with pytest.raises(library.HTTPStatusError) as caught:
            response.raise_for_status()
    error = from_transport_error(caught.value, provider="openai", model="m")
    assert isinstance(error, ProviderError)
    assert (type(error), error.retry_after, error.request_id, error.provider_code) == (
        RateLimitError,
        2.0,
        "req_9",
        "rate_limit_exceeded",
    )
