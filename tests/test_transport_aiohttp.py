"""The aiohttp transport: every socket-level fault classified as the httpx ones are, the seam it keeps
(pool size, max_response_bytes, proxies, TLS), and the choice between it and httpx.

The faults are the misbehaving servers of ``test_errors_transport`` (real sockets on 127.0.0.1), hit through
:class:`AiohttpTransport` itself; the whole suite runs over it too, as the default async transport.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("aiohttp")

from modelwire import APIConnectionError, AsyncClient, ErrorKind, ResponseTooLargeError
from modelwire.errors import from_transport_error
from modelwire.providers import OpenAICompatibleClient
from modelwire.testing import LocalProviderServer
from modelwire.transport import AsyncTransport, async_transport
from modelwire.transport.over_aiohttp import AiohttpTransport
from test_errors_transport import (
    REAL_FAILURES,
    _read_head,
    headers_then_stall,
    never_read,
    refused_port,
    serve,
    unanswered_port,
)
from tls_server import TlsServer, have_openssl

__all__ = ["serve"]  # the fixture, used here under its own name

K = ErrorKind
TIMEOUTS = {"connect": 0.3, "read": 0.3, "write": 0.3, "pool": 0.2, "total": 5.0}
Behaviour = Callable[[socket.socket, threading.Event], None]


async def _attempt(transport: AiohttpTransport, url: str, *, stream: bool, content: bytes) -> None:
    if stream:
        async with transport.stream("POST", url, content=content) as response:
            async for _chunk in transport.stream_chunks(response):
                pass
    else:
        await transport.request("POST", url, content=content)


def _fail(
    url: str, *, stream: bool = False, content: bytes = b'{"model":"m"}', **options: Any
) -> BaseException:
    async def go() -> BaseException:
        options.setdefault("timeout", TIMEOUTS)
        transport = AiohttpTransport("http://unused.invalid", **options)
        try:
            await _attempt(transport, url, stream=stream, content=content)
        except Exception as exc:
            return exc
        finally:
            await transport.aclose()
        raise AssertionError("the request unexpectedly succeeded")

    return asyncio.run(go())


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
@REAL_FAILURES
def test_real_failures_are_classified_as_httpxs(
    serve: Any, stream: bool, behaviour: Behaviour, kind: ErrorKind, names: set[str]
) -> None:
    server = serve(behaviour)
    exc = _fail(server.url, stream=stream)
    assert type(exc).__name__ in names
    assert exc.__cause__ is not None  # the aiohttp error it stands for
    error = from_transport_error(exc, provider="openai", model="m")
    assert (error.kind, error.retryable) == (kind, True)
    assert "127.0.0.1:" in error.message
    assert "AIza" not in error.message  # the query (a Gemini key) is never shown


def test_connection_refused() -> None:
    with refused_port() as port:
        exc = _fail(f"http://127.0.0.1:{port}/v1")
    assert type(exc).__name__ == "ConnectError"
    error = from_transport_error(exc, provider="vllm")
    assert (error.kind, error.retryable) == (K.API_CONNECTION, True)
    assert error.message.startswith(f"could not connect to 127.0.0.1:{port}")


def test_connect_timeout() -> None:
    with unanswered_port() as port:
        exc = _fail(f"http://127.0.0.1:{port}/")
    assert type(exc).__name__ == "ConnectTimeout"
    assert from_transport_error(exc, provider="p").kind is K.TIMEOUT


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
def test_a_server_that_never_reads_the_body_is_a_timeout(serve: Any, stream: bool) -> None:
    server = serve(never_read)
    timeouts = {**TIMEOUTS, "total": 1.0}
    exc = _fail(server.url, stream=stream, content=b"x" * (64 << 20), timeout=timeouts)
    assert type(exc).__name__ in {"WriteTimeout", "ReadTimeout"}
    assert from_transport_error(exc, provider="p").kind is K.TIMEOUT


def test_a_full_pool_is_a_pool_timeout_not_a_provider_timeout(serve: Any) -> None:
    server = serve(headers_then_stall)

    async def go() -> BaseException:
        transport = AiohttpTransport("http://unused.invalid", timeout=TIMEOUTS, max_connections=1)
        try:
            async with transport.stream("GET", server.url):  # holds the only slot
                try:
                    await transport.request("GET", server.url)
                except Exception as exc:
                    return exc
        finally:
            await transport.aclose()
        raise AssertionError("no pool timeout")

    exc = asyncio.run(go())
    assert isinstance(exc, httpx.PoolTimeout)
    error = from_transport_error(exc, provider="openai")
    assert (type(error).__name__, error.kind, error.retryable) == ("PoolTimeoutError", K.POOL_TIMEOUT, True)


def _big_answer(chunked: bool) -> Behaviour:
    def answer(conn: socket.socket, stop: threading.Event) -> None:
        _read_head(conn)
        body = b"x" * 5000
        if chunked:
            head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            conn.sendall(head + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + body)
        stop.wait()

    return answer


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_max_response_bytes_stops_a_body_past_it(serve: Any, stream: bool, chunked: bool) -> None:
    server = serve(_big_answer(chunked))
    exc = _fail(server.url, stream=stream, max_response_bytes=1000)
    assert isinstance(exc, ResponseTooLargeError)
    assert "max_response_bytes (1000 bytes)" in exc.message


def test_the_pool_holds_max_concurrency_connections_and_reuses_them(
    local_server: LocalProviderServer,
) -> None:
    body = b'{"model":"pool-probe","messages":[{"role":"user","content":"hi"}]}'

    async def go() -> set[int]:
        transport = AiohttpTransport(
            local_server.openai_base_url,
            max_connections=3,
            headers={"authorization": "Bearer sk-t", "content-type": "application/json"},
        )
        try:
            answers = await asyncio.gather(
                *(transport.request("POST", "chat/completions", content=body) for _ in range(12))
            )
            for _ in range(3):  # one after another: the pooled connections serve them
                answers.append(await transport.request("POST", "chat/completions", content=body))
            return {a.status_code for a in answers}
        finally:
            await transport.aclose()

    assert asyncio.run(go()) == {200}
    sent = local_server.requests_for(model="pool-probe")
    assert len(sent) == 15
    assert len({request.connection for request in sent}) <= 3


def test_the_default_async_transport_is_aiohttp_and_answers_end_to_end(
    local_server: LocalProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELWIRE_TRANSPORT", raising=False)

    async def go() -> tuple[type, str | None, str | None]:
        async with AsyncClient(
            "openai/gpt-4.1-mini", api_key="sk-t", api_base=local_server.openai_base_url
        ) as c:
            answer = await c.complete("hello")
            async with c.stream("streamed hello") as s:
                async for _event in s:
                    pass
                streamed = await s.final_response()
            adapter = OpenAICompatibleClient(base_url=local_server.openai_base_url, api_key="sk-t")
            async with adapter:
                kind = type(adapter._async())
            return kind, answer.message.content, streamed.message.content

    kind, text, streamed = asyncio.run(go())
    assert kind is AiohttpTransport
    assert (text, streamed) == ("echo: hello", "echo: streamed hello")


# --- the choice ------------------------------------------------------------------------------------------


def _chosen(**kwargs: Any) -> type:
    async def go() -> type:
        transport = async_transport("http://127.0.0.1:9/v1", **kwargs)
        await transport.aclose()
        return type(transport)

    return asyncio.run(go())


def test_aiohttp_is_chosen_when_installed_and_httpx_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELWIRE_TRANSPORT", raising=False)
    assert _chosen() is AiohttpTransport
    monkeypatch.setenv("MODELWIRE_TRANSPORT", "httpx")
    assert _chosen() is AsyncTransport


def test_without_aiohttp_httpx_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelwire.transport.choose as choose

    monkeypatch.delenv("MODELWIRE_TRANSPORT", raising=False)
    monkeypatch.setattr(choose.importlib.util, "find_spec", lambda name: None)
    assert _chosen() is AsyncTransport
    monkeypatch.setenv("MODELWIRE_TRANSPORT", "aiohttp")
    with pytest.raises(ImportError, match=r"modelwire\[fast\]"):
        _chosen()


def test_a_users_httpx_client_keeps_the_httpx_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELWIRE_TRANSPORT", raising=False)
    assert _chosen(client=httpx.AsyncClient()) is AsyncTransport
    assert _chosen(transport=httpx.AsyncHTTPTransport()) is AsyncTransport


def test_an_unknown_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWIRE_TRANSPORT", "curl")
    with pytest.raises(ValueError, match="MODELWIRE_TRANSPORT must be one of auto, aiohttp, httpx"):
        _chosen()


# --- proxies and TLS --------------------------------------------------------------------------------------


def _post_status(base_url: str, **options: Any) -> int | httpx.ConnectError:
    """POST ``chat/completions`` through a fresh aiohttp transport: its status, or the ConnectError."""

    async def go() -> int | httpx.ConnectError:
        transport = AiohttpTransport(base_url, timeout=TIMEOUTS, **options)
        try:
            return (await transport.request("POST", "chat/completions", content=b"{}")).status_code
        except httpx.ConnectError as exc:
            return exc
        finally:
            await transport.aclose()

    return asyncio.run(go())


def _proxy_answer(seen: list[bytes]) -> Behaviour:
    def answer(conn: socket.socket, stop: threading.Event) -> None:
        data = conn.recv(65536)
        seen.append(data.split(b"\r\n", 1)[0])
        conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        stop.wait()

    return answer


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_the_proxy_environment_is_honoured(
    serve: Any, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    seen: list[bytes] = []
    proxy = serve(_proxy_answer(seen))
    monkeypatch.setenv(variable, proxy.url.split("/v1")[0])

    provider = "http://provider.invalid/v1"
    assert _post_status(provider, trust_env=True) == 204
    assert seen == [b"POST http://provider.invalid/v1/chat/completions HTTP/1.1"]
    assert isinstance(_post_status(provider, trust_env=False), httpx.ConnectError)  # straight to no host
    monkeypatch.setenv("NO_PROXY", "provider.invalid")
    assert isinstance(_post_status(provider, trust_env=True), httpx.ConnectError)
    assert len(seen) == 1


@pytest.mark.skipif(not have_openssl(), reason="needs the openssl command")
def test_tls_verification_and_a_custom_ca_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tls = TlsServer(tmp_path)
    try:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        refused = _post_status(tls.url)
        assert isinstance(refused, httpx.ConnectError)
        error = from_transport_error(refused, provider="openai")
        assert isinstance(error, APIConnectionError)
        assert error.retryable is False  # a certificate failure is not retried
        assert "CERTIFICATE_VERIFY_FAILED" in error.message
        monkeypatch.setenv("SSL_CERT_FILE", str(tls.cert))  # the bundle httpx would trust, trusted here too
        assert _post_status(tls.url) == 500
    finally:
        tls.stop()


# --- fork --------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_session_of_its_own(local_server: LocalProviderServer) -> None:
    body = b'{"model":"fork-probe","messages":[{"role":"user","content":"%s"}]}'
    headers = {"authorization": "Bearer sk-t", "content-type": "application/json"}
    transport = AiohttpTransport(local_server.openai_base_url, headers=headers)

    async def ask(text: str) -> bytes:
        return (await transport.request("POST", "chat/completions", content=body % text.encode())).content

    loop = asyncio.new_event_loop()  # the parent's loop stays open across the fork, its connection pooled
    assert b"echo: parent" in loop.run_until_complete(ask("parent"))
    parents = transport.client
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a loop of its own, and so a session of its own
        try:
            answer = asyncio.run(ask("child"))
            os.write(write, b"ok" if b"echo: child" in answer and transport.client is not parents else answer)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    assert report == b"ok"
    assert b"echo: parent again" in loop.run_until_complete(ask("parent again"))  # its socket untouched
    assert transport.client is parents
    loop.run_until_complete(transport.aclose())
    loop.close()
    connections = {request.connection for request in local_server.requests_for(model="fork-probe")}
    assert len(connections) == 2  # the parent's one connection, the child's own
