"""The local provider server as an HTTP/1.1 server: framing, keep-alive, concurrency, loopback binding,
lifecycle. Everything over real sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from modelwire.testing import LocalProviderServer, Route, faults

AUTH = {"authorization": "Bearer sk-local"}
CHAT = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hello"}]}


def _raw_exchange(port: int, data: bytes, *, read_until_close: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while read_until_close:
            piece = sock.recv(65536)
            if not piece:
                break
            received += piece
        return received


def _wait_for_requests(server: LocalProviderServer, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(server.requests) < count:
        assert time.monotonic() < deadline, f"the server never received {count} request(s)"
        time.sleep(0.005)


def _request(body: bytes, *, extra: str = "", close: bool = True) -> bytes:
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
        f"content-type: application/json\r\n{extra}" + ("connection: close\r\n" if close else "")
    )
    return head.encode() + b"\r\n" + body


def test_keep_alive_reuses_one_connection(local_server: LocalProviderServer) -> None:
    with httpx.Client(base_url=local_server.openai_base_url, headers=AUTH) as client:
        for _ in range(3):
            assert client.post("/chat/completions", json=CHAT).status_code == 200
    with httpx.Client(base_url=local_server.openai_base_url, headers=AUTH) as other:
        assert other.post("/chat/completions", json=CHAT).status_code == 200
    connections = [r.connection for r in local_server.requests]
    assert connections[0] == connections[1] == connections[2]
    assert connections[3] != connections[0]


def test_content_length_and_chunked_request_bodies_arrive_whole(local_server: LocalProviderServer) -> None:
    payload = json.dumps(CHAT).encode()
    sized = _raw_exchange(local_server.port, _request(payload, extra=f"content-length: {len(payload)}\r\n"))
    chunked_body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (payload[:7], payload[7:])) + b"0\r\n\r\n"
    chunked = _raw_exchange(local_server.port, _request(chunked_body, extra="transfer-encoding: chunked\r\n"))
    assert sized.startswith(b"HTTP/1.1 200 OK\r\n")
    assert chunked.startswith(b"HTTP/1.1 200 OK\r\n")
    assert [r.body for r in local_server.requests] == [payload, payload]
    assert sized.split(b"\r\n\r\n", 1)[1] == chunked.split(b"\r\n\r\n", 1)[1]


def test_expect_100_continue_is_answered_before_the_body(local_server: LocalProviderServer) -> None:
    payload = json.dumps(CHAT).encode()
    head = _request(b"", extra=f"content-length: {len(payload)}\r\nexpect: 100-continue\r\n")
    with socket.create_connection(("127.0.0.1", local_server.port), timeout=5) as sock:
        sock.sendall(head)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(payload)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")


def test_pipelined_requests_are_answered_in_order(local_server: LocalProviderServer) -> None:
    first = dict(CHAT, messages=[{"role": "user", "content": "first"}])
    second = dict(CHAT, messages=[{"role": "user", "content": "second"}])
    data = b""
    for body, close in ((first, False), (second, True)):
        raw = json.dumps(body).encode()
        data += _request(raw, extra=f"content-length: {len(raw)}\r\n", close=close)
    received = _raw_exchange(local_server.port, data)
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert received.index(b"echo: first") < received.index(b"echo: second")


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"POST /v1/chat/completions HTTP/1.1\r\nbad header line\r\n\r\n", 400),
        (b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: ten\r\n\r\n", 400),
        (b"POST /v1/chat/completions HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n", 501),
        (b"POST /v1/chat/completions HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST /v1/chat/completions HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n" + b"1" * 70_000, 400),
        (b"POST /v1/chat/completions HTTP/1.1\r\nx-big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    ],
)
def test_malformed_requests_get_an_error_and_a_closed_connection(
    local_server: LocalProviderServer, data: bytes, status: int
) -> None:
    received = _raw_exchange(local_server.port, data)
    assert received.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"connection: close" in received


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (
            "/v1/nothing",
            {
                "error": {
                    "message": "Invalid URL (POST /v1/nothing)",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "unknown_url",
                }
            },
        ),
        ("/openai/deployments/d/nothing", {"error": {"code": "404", "message": "Resource not found"}}),
        (
            "/v1/messages/nothing",
            {"type": "error", "error": {"type": "not_found_error", "message": "Not Found"}},
        ),
    ],
)
def test_unknown_paths_get_the_providers_404(
    local_server: LocalProviderServer, path: str, error: object
) -> None:
    response = httpx.post(local_server.url + path, json={}, headers=AUTH)
    assert response.status_code == 404
    assert response.json() == error
    assert local_server.last_request.route is None


def test_wrong_method_on_a_route_is_405(local_server: LocalProviderServer) -> None:
    response = httpx.get(local_server.openai_base_url + "/chat/completions", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_many_concurrent_connections_are_all_answered(local_server: LocalProviderServer) -> None:
    """300 connections open at once, each sending two requests (plain asyncio streams: httpx's own pool
    would be the slow part)."""

    async def one(i: int) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", local_server.port)
        answers = []
        for turn in range(2):
            raw = json.dumps(dict(CHAT, messages=[{"role": "user", "content": f"n{i}.{turn}"}])).encode()
            writer.write(_request(raw, extra=f"content-length: {len(raw)}\r\n", close=False))
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
            answers.append(await reader.readexactly(length))
        writer.close()
        await writer.wait_closed()
        return answers

    async def main() -> list[list[bytes]]:
        return await asyncio.gather(*(one(i) for i in range(300)))

    results = asyncio.run(main())
    for i, answers in enumerate(results):
        contents = [json.loads(a)["choices"][0]["message"]["content"] for a in answers]
        assert contents == [f"echo: n{i}.0", f"echo: n{i}.1"]
    assert local_server.counters().requests == 600
    assert len({r.connection for r in local_server.requests}) == 300


def test_urls_point_at_loopback(local_server: LocalProviderServer) -> None:
    assert local_server.url == f"http://127.0.0.1:{local_server.port}"
    assert local_server.openai_base_url == local_server.url + "/v1"
    assert local_server.anthropic_base_url == local_server.url
    assert local_server.azure_endpoint == local_server.url


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the listening TCP sockets on ``port`` (Linux /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_binds_the_loopback_interface_only(local_server: LocalProviderServer) -> None:
    assert _listening_addresses(local_server.port) == {"0100007F"}  # 127.0.0.1, little-endian hex


def test_stop_closes_the_port_and_cuts_pending_responses() -> None:
    server = LocalProviderServer().start()
    port = server.port
    server.enqueue(Route.CHAT, faults.hang())
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        raw = json.dumps(CHAT).encode()
        sock.sendall(_request(raw, extra=f"content-length: {len(raw)}\r\n"))
        _wait_for_requests(server, 1)
        server.stop()
        assert sock.recv(100) == b""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_a_fixed_port_that_is_taken_fails_clearly(local_server: LocalProviderServer) -> None:
    with pytest.raises(RuntimeError, match="could not start"):
        LocalProviderServer(local_server.port).start()


def test_async_with_starts_and_stops_without_blocking_the_loop() -> None:
    async def main() -> tuple[int, int]:
        async with LocalProviderServer() as server, httpx.AsyncClient(headers=AUTH) as client:
            response = await client.post(server.openai_base_url + "/chat/completions", json=CHAT)
            return response.status_code, server.port

    status, port = asyncio.run(main())
    assert status == 200
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
