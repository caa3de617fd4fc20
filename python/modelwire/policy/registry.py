"""The process-wide table of limiters: one per (provider, model, key, endpoint), shared by every client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from modelwire import _constants
from modelwire.policy.limiter import ModelLimiter

if TYPE_CHECKING:
    from modelwire.config import ModelSpec, SharedLimits
    from modelwire.policy.shared import RedisStore

__all__ = ["Limiters", "default_limiters"]


class Limiters:
    """Creates limiters on first use and applies the latest configured limits to them.

    Two clients configured for the same key share its limiter, as they share the provider's quota.
    Without a configured ``max_concurrency`` the adaptive limit starts at, and never grows past, the
    transport's default pool size.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str, str, str], ModelLimiter] = {}
        self._settings: dict[tuple[str, str, str, str], tuple[object, ...]] = {}
        self._stores: dict[SharedLimits, RedisStore] = {}

    def store(self, shared: SharedLimits) -> RedisStore:
        with self._lock:
            store = self._stores.get(shared)
            if store is None:
                from modelwire.policy.shared import RedisStore

                store = self._stores[shared] = RedisStore(shared, clock=self.clock)
            return store

    def for_spec(self, spec: ModelSpec, shared: SharedLimits | None = None) -> ModelLimiter:
        provider = spec.provider_name or "default"
        key = (provider, spec.model_id, spec.key_fingerprint or "", spec.api_base or "")
        ceiling = spec.max_concurrency or _constants.DEFAULT_MAX_CONNECTIONS
        settings = (ceiling, spec.requests_per_minute, spec.tokens_per_minute, shared, spec.timeout)
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is not None and self._settings[key] == settings:
                return limiter
        gate = None
        if shared is not None:
            from modelwire.policy.shared import SharedGate

            gate = SharedGate(
                self.store(shared),
                provider=provider,
                model=spec.model_id,
                key_fingerprint=spec.key_fingerprint,
                max_concurrency=spec.max_concurrency,
                requests_per_minute=spec.requests_per_minute,
                tokens_per_minute=spec.tokens_per_minute,
                # A slot held by a process that died comes back after this long.
                lease_seconds=max(60.0, 2 * (spec.timeout or _constants.DEFAULT_TIMEOUT)),
            )
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                label = f"{provider}/{spec.model_id}"
                limiter = ModelLimiter(
                    label,
                    max_concurrency=ceiling,
                    requests_per_minute=spec.requests_per_minute,
                    tokens_per_minute=spec.tokens_per_minute,
                    shared=gate,
                    clock=self.clock,
                )
                self._limiters[key] = limiter
            else:
                limiter.configure(ceiling, spec.requests_per_minute, spec.tokens_per_minute)
                limiter.shared = gate
            self._settings[key] = settings
            return limiter

    def close(self) -> None:
        """Close the Redis connections (sync clients)."""
        with self._lock:
            stores = list(self._stores.values())
        for store in stores:
            store.close()

    async def aclose(self) -> None:
        """Close the Redis connections of the running event loop (call before the loop ends)."""
        with self._lock:
            stores = list(self._stores.values())
        for store in stores:
            await store.aclose()


_default: Limiters | None = None
_default_lock = threading.Lock()


def default_limiters() -> Limiters:
    """The limiters every client of this process shares unless given its own."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Limiters()
        return _default
