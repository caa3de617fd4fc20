"""The server's mutable state: settings, request log, fault queues, rate limiter, counters.

Shared by the event-loop thread that answers requests and the thread that holds the handle, so every
method takes one lock; none blocks or awaits while holding it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterable

from modelwire.testing.batch_jobs import BatchStore
from modelwire.testing.faults import Fault
from modelwire.testing.records import Counters, RateLimit, RecordedRequest, ServerConfig

__all__ = ["ServerState", "TokenBuckets"]


class TokenBuckets:
    """``limit.requests_per_second`` tokens per second into buckets of ``limit.capacity``, one per key."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def admit(self, key: str, now: float) -> float | None:
        """None when a token was taken, else the seconds until one will be available."""
        rate, capacity = self.limit.requests_per_second, self.limit.capacity
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return None
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate


class ServerState:
    def __init__(self, config: ServerConfig) -> None:
        self._initial = config
        self._lock = threading.Lock()
        self.config = config
        self._log: list[RecordedRequest] = []
        self._queues: dict[tuple[str, str | None], deque[Fault]] = {}
        self._limiter = None if config.rate_limit is None else TokenBuckets(config.rate_limit)
        self._seq = 0
        self._connections = 0
        self.batches = BatchStore()  # provider batch jobs and files (its own lock)
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._requests = 0
        self._rate_limited = 0
        self._faults = 0
        self._statuses: Counter[int] = Counter()
        self._routes: Counter[str] = Counter()
        self._models: Counter[str] = Counter()
        self._limited_models: Counter[str] = Counter()

    # --- used by the server while answering ---

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def next_connection(self) -> int:
        with self._lock:
            self._connections += 1
            return self._connections

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def take_fault(self, route: str, model: str) -> Fault | None:
        """The next scripted response for (route, model), else for the route with no model filter."""
        with self._lock:
            for key in ((route, model), (route, None)):
                queue = self._queues.get(key)
                if queue:
                    self._faults += 1
                    return queue.popleft()
            return None

    def admit(self, key: str) -> float | None:
        """None when the rate limiter lets the request through, else the seconds to wait."""
        with self._lock:
            limiter = self._limiter
            if limiter is None:
                return None
            return limiter.admit(key if limiter.limit.per_key else "", time.monotonic())

    def count(self, route: str, model: str, status: int, *, limited: bool) -> None:
        with self._lock:
            self._requests += 1
            self._statuses[status] += 1
            self._routes[route] += 1
            self._models[model] += 1
            if limited:
                self._rate_limited += 1
                self._limited_models[model] += 1

    # --- the control API (the handle calls these directly in thread mode, over HTTP in subprocess mode) ---

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def enqueue(self, route: str, faults: Iterable[Fault], model: str | None = None) -> None:
        with self._lock:
            self._queues.setdefault((route, model), deque()).extend(faults)

    def pending(self, route: str | None = None) -> int:
        with self._lock:
            return sum(len(q) for (r, _), q in self._queues.items() if route is None or r == route)

    def configure(self, **changes: object) -> ServerConfig:
        with self._lock:
            self.config = self.config.updated(**changes)
            if "rate_limit" in changes:
                limit = self.config.rate_limit
                self._limiter = None if limit is None else TokenBuckets(limit)
            return self.config

    def counters(self) -> Counters:
        with self._lock:
            return Counters(
                requests=self._requests,
                rate_limited=self._rate_limited,
                faults=self._faults,
                statuses=dict(self._statuses),
                routes=dict(self._routes),
                models=dict(self._models),
                rate_limited_by_model=dict(self._limited_models),
            )

    def clear(self) -> None:
        """Forget the request log and the counters (queued faults and settings stay)."""
        with self._lock:
            self._log.clear()
            self._reset_counters()

    def reset(self) -> None:
        """Back to the state the server started in: log, counters, fault queues, settings, rate limiter."""
        with self._lock:
            self._log.clear()
            self._reset_counters()
            self._queues.clear()
            self.batches.reset()
            self.config = self._initial
            limit = self._initial.rate_limit
            self._limiter = None if limit is None else TokenBuckets(limit)
