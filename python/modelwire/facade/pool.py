"""Adapters shared between clients: one per provider endpoint and connection settings.

Models of one chain that go to the same endpoint with the same key and settings (``openai/gpt-4.1`` and
``openai/gpt-4.1-mini``) share one adapter, hence one connection pool; so do the copies ``with_options``
makes and the clients of one ``ModelRegistry``. Closing an adapter is final, so the pool counts who holds
each adapter (a client and its ``with_options`` copies are one holder): an adapter is closed, and leaves
the pool, when the last holder that used it closes.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from typing import Any

from modelwire.config import ModelSpec
from modelwire.providers import Adapter, client_from_spec

__all__ = ["AdapterPool"]


def _frozen(value: Mapping[str, Any]) -> str:
    # Request defaults may hold lists and dicts: their repr tells two settings apart well enough for a key.
    return repr(sorted(value.items(), key=lambda item: str(item[0])))


def _key(spec: ModelSpec, overrides: Mapping[str, Any]) -> Hashable:
    return (
        spec.provider_name,
        spec.provider,
        spec.api_base,
        spec.key_fingerprint,
        spec.api_key_env,
        spec.api_version,
        spec.timeout,
        spec.connect_timeout,
        spec.max_concurrency,
        spec.responses_api,
        _frozen(spec.extra_headers),
        _frozen(spec.extra_params),
        _frozen(spec.extra_body),
        tuple((name, id(value)) for name, value in sorted(overrides.items())),
    )


class AdapterPool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._adapters: dict[Hashable, Adapter] = {}
        self._holders: dict[Hashable, set[object]] = {}
        # The user's clients/transports, kept alive as long as an adapter keyed by their id() may exist.
        self._pinned: list[Any] = []

    def adapter(self, spec: ModelSpec, overrides: Mapping[str, Any], holder: object) -> Adapter:
        """The adapter for ``spec`` (built on first use; ``overrides`` go to its ``from_spec``), now held
        by ``holder`` too."""
        key = _key(spec, overrides)
        with self._lock:
            adapter = self._adapters.get(key)
            if adapter is None:
                adapter = self._adapters[key] = client_from_spec(spec, **overrides)
                self._pinned.extend(overrides.values())
            self._holders.setdefault(key, set()).add(holder)
            return adapter

    def adapters(self) -> list[Adapter]:
        with self._lock:
            return list(self._adapters.values())

    def release(self, holder: object) -> list[Adapter]:
        """Let ``holder`` go; the adapters nobody holds any more leave the pool and are returned (to be
        closed by the caller)."""
        released = []
        with self._lock:
            for key, holders in list(self._holders.items()):
                holders.discard(holder)
                if not holders:
                    del self._holders[key]
                    released.append(self._adapters.pop(key))
        return released

    def close(self, holder: object) -> list[Exception]:
        """Release ``holder`` and close the adapters it was the last to hold; returns the failures (every
        adapter is tried)."""
        errors: list[Exception] = []
        for adapter in self.release(holder):
            try:
                adapter.close()
            except Exception as exc:
                errors.append(exc)
        return errors

    async def aclose(self, holder: object) -> list[Exception]:
        """As :meth:`close`, each adapter's pools closed on this loop (awaited)."""
        errors: list[Exception] = []
        for adapter in self.release(holder):
            try:
                await adapter.aclose()
            except Exception as exc:
                errors.append(exc)
        return errors

    def __len__(self) -> int:
        with self._lock:
            return len(self._adapters)
