"""``ModelRegistry``: named models ("fast", "judge", "embedder") and the clients that serve them.

    registry = ModelRegistry({"fast": "openai/gpt-4.1-mini", "judge": {"models": [...]}}, timeout=30)
    registry["fast"].complete("hi")                  # a Client, built on first use
    await registry.get_async("judge").complete(...)  # an AsyncClient
    registry.close()                                 # or: await registry.aclose()

All clients of a registry share one adapter pool, so two names that reach the same endpoint with the same
key share connections. Closing closes every client even when some fail; the failures are raised
together afterwards, as an ``ExceptionGroup``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any, Literal, overload

from modelwire.exceptions import ClientClosedError
from modelwire.facade.client import AsyncClient, Client
from modelwire.facade.options import build_settings
from modelwire.facade.pool import AdapterPool
from modelwire.facade.usage import UsageLedger
from modelwire.types import Cost, Usage

__all__ = ["ModelRegistry"]

AnyClient = Client | AsyncClient


class ModelRegistry:
    """Named models. ``models`` maps a name to anything ``Client`` accepts as ``model`` (or to a ready
    ``Client``/``AsyncClient``); ``options`` are defaults for every entry (each entry's own options,
    given to :meth:`register`, win)."""

    def __init__(self, models: Mapping[str, Any] | None = None, **options: Any) -> None:
        self._defaults = dict(options)
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._clients: dict[tuple[str, bool], AnyClient] = {}
        self._pool = AdapterPool()
        self._closed = False
        for name, model in (models or {}).items():
            self.register(name, model)

    def register(self, name: str, model: Any, **options: Any) -> None:
        """Add ``name``. The model and options are validated now, so a bad entry fails here, not at its
        first call. A name can be registered once."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"a model's name must be a non-empty string, got {name!r}")
        with self._lock:
            if name in self._entries:
                raise ValueError(f"{name!r} is already registered")
        merged = {**self._defaults, **options}
        if isinstance(model, Client | AsyncClient):
            if options:
                raise TypeError(f"{name!r} is given as a ready client: its options cannot be changed here")
            entry: tuple[Any, dict[str, Any]] = (model, {})
        else:
            build_settings(model, merged)
            entry = (model, merged)
        with self._lock:
            if name in self._entries:
                raise ValueError(f"{name!r} is already registered")
            self._entries[name] = entry
            if isinstance(model, Client | AsyncClient):
                self._clients[(name, isinstance(model, AsyncClient))] = model

    @overload
    def _client(self, name: str, asynchronous: Literal[False]) -> Client: ...
    @overload
    def _client(self, name: str, asynchronous: Literal[True]) -> AsyncClient: ...

    def _client(self, name: str, asynchronous: bool) -> AnyClient:
        key = (name, asynchronous)
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                return client  # a closed one refuses its calls itself
            if self._closed:
                raise ClientClosedError(f"{self!r} was closed; create a new registry to send more requests")
            entry = self._entries.get(name)
            if entry is None:
                known = ", ".join(sorted(self._entries)) or "none"
                raise KeyError(f"no model named {name!r} (registered: {known})")
            model, options = entry
            if isinstance(model, Client | AsyncClient):
                wanted = "AsyncClient" if asynchronous else "Client"
                raise TypeError(f"{name!r} was registered as a {type(model).__name__}, not a {wanted}")
            cls = AsyncClient if asynchronous else Client
            client = cls._derived(build_settings(model, options), self._pool, UsageLedger())
            self._clients[key] = client
            return client

    def get(self, name: str) -> Client:
        """The sync client of ``name`` (the same object every time)."""
        return self._client(name, False)

    def get_async(self, name: str) -> AsyncClient:
        """The async client of ``name`` (the same object every time)."""
        return self._client(name, True)

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def usage(self) -> dict[str, dict[str, Usage]]:
        """Usage per registered name (sync and async clients summed), then per model of its chain."""
        with self._lock:
            clients = list(self._clients.items())
        result: dict[str, dict[str, Usage]] = {}
        for (name, _), client in clients:
            mine = result.setdefault(name, {})
            for model, usage in client.usage.items():
                mine[model] = mine[model] + usage if model in mine else usage
        return result

    def cost(self) -> dict[str, dict[str, Cost]]:
        """Cost per registered name (sync and async clients summed), then per priced model of its chain."""
        with self._lock:
            clients = list(self._clients.items())
        result: dict[str, dict[str, Cost]] = {}
        for (name, _), client in clients:
            mine = result.setdefault(name, {})
            for model, cost in client.cost.items():
                mine[model] = mine[model] + cost if model in mine else cost
        return result

    def _created(self) -> list[tuple[str, AnyClient]]:
        with self._lock:
            return [(name, client) for (name, _), client in self._clients.items()]

    def close(self) -> None:
        """Close the registry for good and every sync client. An async client still open cannot be closed
        from here (its pools belong to an event loop): it is reported as a failure, so use ``aclose()``
        when there are any."""
        self._closed = True
        errors: list[Exception] = []
        # Sync clients first: an adapter they share with an async client is then closed by the async
        # client's aclose(), awaited on this loop, not scheduled by a sync close() the loop may not run.
        created = sorted(self._created(), key=lambda item: isinstance(item[1], AsyncClient))
        for name, client in created:
            try:
                if isinstance(client, AsyncClient):
                    raise RuntimeError(f"{name!r} has an AsyncClient: close the registry with aclose()")
                client.close()
            except Exception as exc:
                exc.add_note(f"while closing the client of {name!r}")
                errors.append(exc)
        if errors:
            raise ExceptionGroup(f"{len(errors)} of the registry's clients failed to close", errors)

    async def aclose(self) -> None:
        """Close the registry for good and every client, sync and async (on the running event loop)."""
        self._closed = True
        errors: list[Exception] = []
        # Sync clients first: an adapter they share with an async client is then closed by the async
        # client's aclose(), awaited on this loop, not scheduled by a sync close() the loop may not run.
        created = sorted(self._created(), key=lambda item: isinstance(item[1], AsyncClient))
        for name, client in created:
            try:
                if isinstance(client, AsyncClient):
                    await client.aclose()
                else:
                    client.close()
            except Exception as exc:
                exc.add_note(f"while closing the client of {name!r}")
                errors.append(exc)
        if errors:
            raise ExceptionGroup(f"{len(errors)} of the registry's clients failed to close", errors)

    def __enter__(self) -> ModelRegistry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> ModelRegistry:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<ModelRegistry {', '.join(self._entries) or 'empty'}>"
