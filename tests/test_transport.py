"""The transport layer over real sockets: pool size follows the configured concurrency, whoever built the
pool; timeouts are kept apart; user httpx and httpx2 clients are used as given and left open."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import httpx2
import pytest

from modelwire import ModelwireWarning
from modelwire.transport import AsyncTransport, SyncTransport, Timeouts


class _SlowServer(ThreadingHTTPServer):
    """Answers every request after `delay` seconds and records the peak number in flight."""

    daemon_threads = True

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out on purpose leave broken pipes behind; nothing to report


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _SlowServer

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        with self.server.lock:
            self.server.in_flight += 1
            self.server.peak = max(self.server.peak, self.server.in_flight)
        time.sleep(float(self.headers.get("x-delay") or self.server.delay))
        with self.server.lock:
            self.server.in_flight -= 1
        reply = b'{"echo": ' + (body or b"null") + b"}"
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[_SlowServer]:
    server = _SlowServer(delay=0.15)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _hammer(transport: SyncTransport, n: int) -> list[int]:
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: statuses.append(transport.request("POST", "/x", content=b"1").status_code)
        )
        for _ in range(n)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_requests_in_flight_never_exceed_max_connections(slow_server: _SlowServer) -> None:
    with SyncTransport(slow_server.url, max_connections=3) as transport:
        assert _hammer(transport, 10) == [200] * 10
    assert slow_server.peak == 3


def test_the_limit_holds_with_a_users_transport_whose_pool_is_larger(slow_server: _SlowServer) -> None:
    big_pool = httpx.HTTPTransport(limits=httpx.Limits(max_connections=50))
    with SyncTransport(slow_server.url, max_connections=2, transport=big_pool) as transport:
        assert _hammer(transport, 8) == [200] * 8
    assert slow_server.peak == 2


def test_a_users_pool_smaller_than_the_concurrency_is_reported(slow_server: _SlowServer) -> None:
    small_pool = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1))
    with pytest.warns(ModelwireWarning, match="allows 1 connections but modelwire is configured for 4"):
        SyncTransport(slow_server.url, max_connections=4, transport=small_pool).close()


def test_our_own_pool_is_sized_to_the_concurrency() -> None:
    transport = SyncTransport("http://127.0.0.1:9", max_connections=7)
    assert transport.client._transport._pool._max_connections == 7
    transport.close()


def test_waiting_for_a_slot_is_bounded_by_the_pool_timeout(slow_server: _SlowServer) -> None:
    transport = SyncTransport(
        slow_server.url, max_connections=1, timeout=Timeouts(connect=5, read=5, write=5, pool=0.05)
    )
    blocker = threading.Thread(
        target=transport.request, args=("POST", "/x"), kwargs={"headers": {"x-delay": "0.6"}}
    )
    blocker.start()
    time.sleep(0.1)  # let the blocker take the only slot
    with pytest.raises(httpx.PoolTimeout, match="1 requests already in flight"):
        transport.request("POST", "/x")
    blocker.join()
    transport.close()


def test_read_timeout_is_separate_from_connect(slow_server: _SlowServer) -> None:
    timeouts = Timeouts(connect=5, read=0.05, write=5, pool=5)
    with SyncTransport(slow_server.url, timeout=timeouts) as transport, pytest.raises(httpx.ReadTimeout):
        transport.request("POST", "/x", headers={"x-delay": "0.5"})


def test_per_request_timeout_overrides_read_and_write() -> None:
    timeouts = Timeouts(connect=5, read=60, write=60, pool=30).with_total(2)
    assert timeouts == Timeouts(connect=2, read=2, write=2, pool=2, total=2)
    assert Timeouts.of(120) == Timeouts(connect=10, read=120, write=120, pool=120, total=120)
    assert Timeouts.of({"read": 3}) == Timeouts(read=3)
    assert Timeouts.of(httpx.Timeout(4, connect=1)) == Timeouts(1, 4, 4, 4)
    with pytest.raises(ValueError, match="unknown timeout phase"):
        Timeouts.of({"reed": 3})
    with pytest.raises(ValueError, match="must be positive"):
        Timeouts.of(0)


def test_a_users_httpx2_client_is_used_and_left_open(slow_server: _SlowServer) -> None:
    client = httpx2.Client()
    transport = SyncTransport(slow_server.url, client=client)
    response = transport.request("POST", "/x", content=b'{"a":1}')
    assert isinstance(response, httpx2.Response)
    assert response.json() == {"echo": {"a": 1}}
    transport.close()
    assert not client.is_closed
    client.close()


def test_stream_releases_its_slot_when_left(slow_server: _SlowServer) -> None:
    transport = SyncTransport(slow_server.url, max_connections=1, timeout=Timeouts(pool=0.2))
    for _ in range(3):  # with one slot, a leaked slot would time out on the second pass
        with transport.stream("POST", "/x", content=b"2") as response:
            assert response.status_code == 200
            assert b"".join(response.iter_bytes()) == b'{"echo": 2}'
    transport.close()


def test_async_transport_bounds_concurrency_too(slow_server: _SlowServer) -> None:
    async def main() -> list[int]:
        async with AsyncTransport(slow_server.url, max_connections=3) as transport:
            responses = await asyncio.gather(*(transport.request("POST", "/x") for _ in range(9)))
            return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * 9
    assert slow_server.peak == 3


def test_async_users_httpx2_client(slow_server: _SlowServer) -> None:
    async def main() -> object:
        client = httpx2.AsyncClient()
        transport = AsyncTransport(slow_server.url, client=client)
        response = await transport.request("POST", "/x", content=b"3")
        await transport.aclose()
        assert not client.is_closed
        await client.aclose()
        return response.json()

    assert asyncio.run(main()) == {"echo": 3}
