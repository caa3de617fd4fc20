"""An adapter's connection pools: one sync transport, one async transport per event loop, and whether they
were closed for good.

An httpx ``AsyncClient`` cannot outlive the event loop it ran on, and callers do run ``asyncio.run()`` more
than once, so each loop gets its own pool (a user's async client or transport is shared: key ``None``);
pools of loops that have ended are let go. Closing is final: asking for a transport afterwards raises the
error the adapter declared (``ClientClosedError``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from typing import Any

from modelwire.exceptions import ProviderError
from modelwire.transport import AsyncTransport, SyncTransport, TimeoutSpec, async_transport

__all__ = ["Pools"]


class Pools:
    """Built lazily: the sync transport on the first sync call, an async one on each loop's first call."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: TimeoutSpec,
        max_concurrency: int | None,
        http_client: Any | None,
        async_http_client: Any | None,
        transport: Any | None,
        async_transport: Any | None,
        max_response_bytes: int | None,
        trust_env: bool,
        closed_error: Callable[[str | None], ProviderError],
    ) -> None:
        self._base_url = base_url
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "max_connections": max_concurrency,
            "headers": headers,
            "max_response_bytes": max_response_bytes,
            "trust_env": trust_env,
        }
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._transport = transport
        self._async_transport = async_transport
        self._shared_async = async_http_client is not None or async_transport is not None
        self._closed_error = closed_error
        self._lock = threading.Lock()
        self._closed = False
        self._sync: SyncTransport | None = None
        self._async: dict[asyncio.AbstractEventLoop | None, AsyncTransport] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    def sync(self, model: str | None = None) -> SyncTransport:
        transport = self._sync
        if transport is not None:
            return transport
        with self._lock:
            if self._closed:
                raise self._closed_error(model)
            if self._sync is None:
                self._sync = SyncTransport(
                    self._base_url, client=self._http_client, transport=self._transport, **self._options
                )
            return self._sync

    def for_loop(self, model: str | None = None) -> AsyncTransport:
        """The async transport of the running event loop."""
        key = None if self._shared_async else asyncio.get_running_loop()
        transport = self._async.get(key)
        if transport is not None:
            return transport
        with self._lock:
            if self._closed:
                raise self._closed_error(model)
            transport = self._async.get(key)
            if transport is None:
                self._forget_dead_loops()
                transport = async_transport(
                    self._base_url,
                    client=self._async_http_client,
                    transport=self._async_transport,
                    **self._options,
                )
                self._async[key] = transport
            return transport

    def _forget_dead_loops(self) -> None:
        """Drop the pools of event loops that have ended (their connections died with them). Lock held."""
        for loop in [loop for loop in self._async if loop is not None and loop.is_closed()]:
            del self._async[loop]

    def _take_all(self) -> tuple[SyncTransport | None, dict[Any, AsyncTransport]]:
        """Mark closed and take every pool out (to be closed outside the lock)."""
        with self._lock:
            self._closed = True
            sync, self._sync = self._sync, None
            transports, self._async = self._async, {}
        return sync, transports

    def close(self) -> None:
        """Close for good: the sync pool now, async pools of running loops on their loop."""
        sync, transports = self._take_all()
        for loop, transport in transports.items():
            if loop is not None and loop.is_running():
                asyncio.run_coroutine_threadsafe(transport.aclose(), loop)
        if sync is not None:
            sync.close()

    async def aclose(self) -> None:
        """Close for good: this loop's pool (and a shared one) awaited, other live loops' scheduled on them,
        the sync one. The first failure is raised after every pool was tried."""
        current = asyncio.get_running_loop()
        sync, transports = self._take_all()
        errors: list[BaseException] = []
        for loop, transport in transports.items():
            if loop is None or loop is current:
                try:
                    await transport.aclose()
                except Exception as exc:  # close the rest before reporting
                    errors.append(exc)
            elif not loop.is_closed():
                asyncio.run_coroutine_threadsafe(transport.aclose(), loop)
        if sync is not None:
            sync.close()
        if errors:
            raise errors[0]
