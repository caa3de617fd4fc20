"""Cancel-safe shared-limits admission (issue 15.5), proven with a proxy that delays Redis's replies: a
lease whose admission reply was never read is released, not left to hold a shared slot for its whole
lease (1-5 of 20 slots were held for at least 60 s)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from fixtures_redis import RedisServer
from modelwire.config import SharedLimits
from modelwire.policy.shared import RedisStore, SharedGate


class DelayingProxy:
    """Forwards TCP to Redis; what Redis sends back waits ``delay`` seconds first."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.port = 0
        self.writers: list[asyncio.StreamWriter] = []

        async def start() -> None:
            self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(start(), self.loop)
        ready.wait(5)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, delay: float) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    if delay and self.delay:
                        await asyncio.sleep(self.delay)
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump(reader, up_writer, 0.0), pump(up_reader, writer, 1.0))

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            for writer in self.writers:
                writer.close()
            for writer in self.writers:
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        for task in asyncio.all_tasks(self.loop):
            task.cancel()
        self.loop.run_until_complete(asyncio.sleep(0.05))
        self.loop.close()


@pytest.fixture
def slow_redis(redis_server: RedisServer) -> Iterator[tuple[DelayingProxy, redis.Redis]]:
    port = int(redis_server.url.rsplit(":", 1)[1].split("/")[0])
    proxy = DelayingProxy(port, delay=0.0)  # the tests warm their connections, then slow it down
    direct = redis.Redis.from_url(redis_server.url)
    yield proxy, direct
    proxy.stop()
    direct.close()


def gate(proxy: DelayingProxy, timeout: float, namespace: str) -> SharedGate:
    settings = SharedLimits(url=f"redis://127.0.0.1:{proxy.port}/0", timeout=timeout, namespace=namespace)
    return SharedGate(
        RedisStore(settings),
        provider="p",
        model="m",
        key_fingerprint=None,
        max_concurrency=20,
        requests_per_minute=None,
        tokens_per_minute=None,
        lease_seconds=60,
    )


def held(direct: redis.Redis, shared: SharedGate, wait: float) -> int:
    """Leases held after ``wait`` seconds."""
    time.sleep(wait)
    return int(direct.zcard(shared.keys["conc"]))


def test_admissions_cancelled_before_their_reply_leave_no_lease(
    slow_redis: tuple[DelayingProxy, redis.Redis],
) -> None:
    proxy, direct = slow_redis
    shared = gate(proxy, timeout=5, namespace="cancel-async")

    async def run() -> None:
        # Twenty pooled connections, each already past its handshake: only the admissions' replies wait.
        warm = await asyncio.gather(*(shared.aadmit(0) for _ in range(20)))
        await asyncio.gather(*(shared.arelease(v.lease, 0, None) for v in warm if v.lease))
        assert held(direct, shared, 0) == 0
        proxy.delay = 0.6
        tasks = [asyncio.create_task(shared.aadmit(0)) for _ in range(20)]
        await asyncio.sleep(0.2)  # the scripts have run in Redis; their replies are still in the proxy
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(result, asyncio.CancelledError) for result in results)
        # The background releases need new connections, whose handshakes are slowed down too.
        for _ in range(100):
            await asyncio.sleep(0.1)
            if held(direct, shared, 0) == 0:
                break
        await shared.store.aclose()

    asyncio.run(run())
    assert held(direct, shared, 0) == 0
