"""Sync and async HTTP transports: a client whose pool really follows the configured concurrency.

httpx ignores ``limits=`` when it is given a ``transport=``; Data Designer's users lost their pool size that
way. Here the limit is enforced twice: the pool we build is sized to it, and every request first takes a
slot from a semaphore of that size, so no more requests are in flight than configured whoever built the
pool. A user's pool smaller than the limit would make requests queue inside httpx and fail with pool
timeouts, so it is reported with a warning.

Every body is read under ``max_response_bytes`` and the whole-response timeout (``transport.body``): a
non-streamed body is read chunk by chunk, not buffered whole by httpx, and a stream's chunks come through
:meth:`SyncTransport.stream_chunks` / :meth:`AsyncTransport.stream_chunks`.

The client we build honours the proxy environment variables (``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY``, ``NO_PROXY``) as plain httpx and the vendor SDKs do, unless ``trust_env=False``. Whoever
built the client, a request of ours that a redirect sends to another origin loses every credential
header first (``transport.redirects``): httpx itself strips only ``Authorization``.

A client the user passes in stays theirs: ``close()`` does not close it.

After ``os.fork()`` the child must not touch the parent's pooled connections (both would read each
other's answers on one keep-alive socket): in the child every transport gets a fresh client of its own
(the inherited one is dropped without closing anything the parent still uses) and a fresh slot count. A
user's client cannot be rebuilt; it is theirs to create after the fork.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from types import ModuleType
from typing import Any

import httpx

from modelwire._constants import DEFAULT_KEEPALIVE_EXPIRY, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_RESPONSE_BYTES
from modelwire.exceptions import ModelwireWarning
from modelwire.transport._library import library_of, pool_size
from modelwire.transport.body import aread_body, astream_chunks, read_body, stream_chunks
from modelwire.transport.redirects import ORIGIN_KEY, guard_redirects
from modelwire.transport.timeouts import Timeouts, TimeoutSpec

__all__ = ["AsyncTransport", "SyncTransport"]

_LIVE: weakref.WeakSet[_TransportBase] = weakref.WeakSet()
_JOINED_MAX = 256


def _after_fork_in_child() -> None:
    for transport in list(_LIVE):
        transport._renew()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _TransportBase:
    library: ModuleType  # httpx or httpx2: the library of the client each transport holds

    def __init__(
        self,
        base_url: str,
        *,
        timeout: TimeoutSpec,
        max_connections: int | None,
        headers: Mapping[str, str] | None,
        max_response_bytes: int | None,
    ) -> None:
        if max_connections is not None and max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        if max_response_bytes is not None and max_response_bytes < 1:
            raise ValueError(
                f"max_response_bytes must be at least 1 (or None: no limit), got {max_response_bytes}"
            )
        self.max_response_bytes = max_response_bytes
        self.base_url = base_url.rstrip("/")
        self.timeouts = Timeouts() if timeout is ... else Timeouts.of(timeout)
        self.max_connections = max_connections or DEFAULT_MAX_CONNECTIONS
        self.headers = dict(headers or {})
        self._joined: dict[str, str] = {}
        self._default_timeout: Any = None

    def _renew(self) -> None:
        """In a forked child: fresh pool (when ours) and slots."""
        raise NotImplementedError

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (joined once per path: an adapter sends to a handful)."""
        url = self._joined.get(path)
        if url is None:
            url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
            if len(self._joined) < _JOINED_MAX:  # a signed URL may differ per model: keep the cache bounded
                self._joined[path] = url
        return url

    def _request_headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        return {**self.headers, **headers} if headers else self.headers

    def _library_timeout(self, timeouts: Timeouts) -> Any:
        """``timeouts`` as the library's Timeout: the configured one built once, an override per call."""
        if timeouts is self.timeouts:
            if self._default_timeout is None:
                self._default_timeout = timeouts.for_library(self.library)
            return self._default_timeout
        return timeouts.for_library(self.library)

    def _send_args(
        self,
        path: str,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        timeouts: Timeouts,
    ) -> dict[str, Any]:
        """The keyword arguments of ``client.request``/``client.stream``, shared by both transports."""
        return {
            "url": self.url(path),
            "content": content,
            "headers": self._request_headers(headers),
            "params": params,
            "timeout": self._library_timeout(timeouts),
            "extensions": {ORIGIN_KEY: []},  # filled with the first hop's origin (transport.redirects)
        }

    def _stream_total(self, within: float | None) -> float | None:
        """A stream's whole-duration cap: ``stream_total`` or ``within``, the smaller (None: no cap)."""
        cap = self.timeouts.stream_total
        if within is None:
            return cap
        within = max(within, 0.0)
        return within if cap is None else min(cap, within)

    def _limits(self, library: ModuleType) -> Any:
        n = self.max_connections
        return library.Limits(
            max_connections=n, max_keepalive_connections=n, keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY
        )

    def _check_pool(self, client: Any) -> None:
        size = pool_size(client)
        if size is not None and size < self.max_connections:
            warnings.warn(
                f"the HTTP client's connection pool allows {size} connections but modelwire is configured "
                f"for {self.max_connections} concurrent requests; requests beyond {size} will wait for a "
                "connection and may fail with a pool timeout",
                ModelwireWarning,
                stacklevel=4,
            )

    def _pool_timeout(self, library: ModuleType, waited: float | None) -> Exception:
        error: Exception = library.PoolTimeout(
            f"no connection slot became free within {waited}s "
            f"({self.max_connections} requests already in flight)"
        )
        return error


class SyncTransport(_TransportBase):
    """Blocking transport. Pass ``client`` (an ``httpx.Client`` or ``httpx2.Client``) or ``transport``
    (an httpx/httpx2 transport) to use your own; otherwise one is built with a pool of
    ``max_connections``."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: TimeoutSpec = ...,
        max_connections: int | None = None,
        headers: Mapping[str, str] | None = None,
        client: Any | None = None,
        transport: Any | None = None,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
    ) -> None:
        super().__init__(
            base_url,
            timeout=timeout,
            max_connections=max_connections,
            headers=headers,
            max_response_bytes=max_response_bytes,
        )
        if client is not None and transport is not None:
            raise ValueError("pass either client or transport, not both")
        self._owns_client = client is None
        self._trust_env = trust_env
        self._user_transport = transport
        self.client = self._build() if client is None else client
        guard_redirects(self.client, is_async=False)
        self.library = library_of(self.client)
        self._check_pool(self.client)
        self._slots = threading.BoundedSemaphore(self.max_connections)
        _LIVE.add(self)

    def _build(self) -> Any:
        transport = self._user_transport
        library = library_of(transport) if transport is not None else httpx
        timeouts = self.timeouts.for_library(library)
        if transport is None:  # built by httpx, so that it mounts the environment's proxies
            return library.Client(limits=self._limits(library), timeout=timeouts, trust_env=self._trust_env)
        return library.Client(transport=transport, timeout=timeouts, trust_env=self._trust_env)

    def _renew(self) -> None:
        if self._owns_client and self._user_transport is None:
            # Closing our HTTP/1.1 sockets in the child sends nothing: the parent's connections live on.
            inherited, self.client = self.client, self._build()
            inherited.close()
            guard_redirects(self.client, is_async=False)
        self._slots = threading.BoundedSemaphore(self.max_connections)

    def _acquire(self, timeouts: Timeouts) -> None:
        if not self._slots.acquire(timeout=timeouts.pool):
            raise self._pool_timeout(self.library, timeouts.pool)

    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send a request and read the whole response (an httpx/httpx2 ``Response``), within
        ``max_response_bytes`` and the whole-response timeout."""
        timeouts = self.timeouts.with_total(timeout)
        started = time.monotonic()
        self._acquire(timeouts)
        try:
            args = self._send_args(path, content, headers, params, timeouts)
            with self.client.stream(method, **args) as response:
                limit = self.max_response_bytes
                read_body(
                    response, max_bytes=limit, total=timeouts.total, started=started, library=self.library
                )
                return response
        finally:
            self._slots.release()

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Iterator[Any]:
        """Send a request and yield the response before its body is read; leaving closes it."""
        timeouts = self.timeouts.with_total(timeout)
        self._acquire(timeouts)
        try:
            with self.client.stream(
                method, **self._send_args(path, content, headers, params, timeouts)
            ) as response:
                yield response
        finally:
            self._slots.release()

    def read(self, response: Any) -> bytes:
        """The whole body of a streamed ``response`` (an error answer), within ``max_response_bytes``."""
        read_body(response, max_bytes=self.max_response_bytes, total=None, started=0.0, library=self.library)
        body: bytes = response.content
        return body

    def stream_chunks(self, response: Any, within: float | None = None) -> Iterator[bytes]:
        """The body of a streamed ``response`` (decoded), within ``max_response_bytes`` and the
        ``stream_total`` cap counted from now; ``within`` (seconds from now, e.g. what a chain's deadline
        leaves) caps it too, the smaller winning."""
        return stream_chunks(
            response,
            max_bytes=self.max_response_bytes,
            total=self._stream_total(within),
            started=time.monotonic(),
            library=self.library,
        )

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> SyncTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncTransport(_TransportBase):
    """The asyncio twin of :class:`SyncTransport` (``httpx.AsyncClient`` / ``httpx2.AsyncClient``)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: TimeoutSpec = ...,
        max_connections: int | None = None,
        headers: Mapping[str, str] | None = None,
        client: Any | None = None,
        transport: Any | None = None,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
    ) -> None:
        super().__init__(
            base_url,
            timeout=timeout,
            max_connections=max_connections,
            headers=headers,
            max_response_bytes=max_response_bytes,
        )
        if client is not None and transport is not None:
            raise ValueError("pass either client or transport, not both")
        self._owns_client = client is None
        self._trust_env = trust_env
        self._user_transport = transport
        self.client = self._build() if client is None else client
        guard_redirects(self.client, is_async=True)
        self.library = library_of(self.client)
        self._check_pool(self.client)
        # asyncio primitives bind to the running loop on first use, so building this outside a loop is fine.
        self._slots = asyncio.Semaphore(self.max_connections)
        _LIVE.add(self)

    def _build(self) -> Any:
        transport = self._user_transport
        library = library_of(transport) if transport is not None else httpx
        timeouts = self.timeouts.for_library(library)
        if transport is None:
            return library.AsyncClient(
                limits=self._limits(library), timeout=timeouts, trust_env=self._trust_env
            )
        return library.AsyncClient(transport=transport, timeout=timeouts, trust_env=self._trust_env)

    def _renew(self) -> None:
        if self._owns_client and self._user_transport is None:
            # The inherited pool belongs to the parent's event loop: let go, not closed (that needs the loop).
            self._inherited = self.client
            self.client = self._build()
            guard_redirects(self.client, is_async=True)
        self._slots = asyncio.Semaphore(self.max_connections)

    async def _acquire(self, timeouts: Timeouts) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # free slot: returns at once, no timer needed
            return
        try:
            async with asyncio.timeout(timeouts.pool):
                await self._slots.acquire()
        except TimeoutError:
            raise self._pool_timeout(self.library, timeouts.pool) from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        timeouts = self.timeouts.with_total(timeout)
        try:
            async with asyncio.timeout(timeouts.total):
                await self._acquire(timeouts)
                try:
                    sent = await self._send(method, path, content, headers, params, timeouts, streamed=False)
                    async with sent as response:
                        await aread_body(response, max_bytes=self.max_response_bytes)
                        return response
                finally:
                    self._slots.release()
        except TimeoutError:  # the cancel scope above: the whole response took too long
            raise self.library.ReadTimeout(f"the response took longer than {timeouts.total:g}s") from None

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[Any]:
        timeouts = self.timeouts.with_total(timeout)
        await self._acquire(timeouts)
        try:
            opened = await self._send(method, path, content, headers, params, timeouts, streamed=True)
            async with opened as response:
                yield response
        finally:
            self._slots.release()

    async def _send(
        self,
        method: str,
        path: str,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        timeouts: Timeouts,
        *,
        streamed: bool,
    ) -> AbstractAsyncContextManager[Any]:
        """Send the request: its response (``streamed``: to be read by the caller) as a context manager whose
        leaving releases the connection. The one step a transport over another library
        (``transport.over_aiohttp``) does its own way; the slots, the whole-response timeout and the body
        limit around it stay here."""
        sending: AbstractAsyncContextManager[Any] = self.client.stream(
            method, **self._send_args(path, content, headers, params, timeouts)
        )
        return sending

    async def aread(self, response: Any) -> bytes:
        """The async twin of :meth:`SyncTransport.read`."""
        await aread_body(response, max_bytes=self.max_response_bytes)
        body: bytes = response.content
        return body

    def stream_chunks(self, response: Any, within: float | None = None) -> AsyncIterator[bytes]:
        """The async twin of :meth:`SyncTransport.stream_chunks`."""
        return astream_chunks(
            response,
            max_bytes=self.max_response_bytes,
            total=self._stream_total(within),
            started=time.monotonic(),
            library=self.library,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> AsyncTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
