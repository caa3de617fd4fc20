"""A token bucket for requests/min and tokens/min, as pure state (the caller passes ``now``).

It refills at ``per_minute / 60`` per second up to ``capacity`` (default: one second's worth, at least 1),
so a limit is spread evenly instead of spent in one burst at the start of each minute. A request costing
more than the capacity is admitted when the bucket is full and leaves it in debt, so a large request is
delayed, never refused forever. Token counts are estimates at admission and are settled afterwards.
"""

from __future__ import annotations

__all__ = ["TokenBucket"]


class TokenBucket:
    __slots__ = ("capacity", "level", "rate", "updated")

    def __init__(self, per_minute: float, now: float, capacity: float | None = None) -> None:
        if per_minute <= 0:
            raise ValueError(f"per_minute must be > 0, got {per_minute}")
        self.rate = per_minute / 60.0
        self.capacity = capacity if capacity is not None else max(1.0, self.rate)
        self.level = self.capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
            self.updated = now

    def wait(self, cost: float, now: float) -> float:
        """0 if ``cost`` may be taken now; else seconds until it may."""
        self._refill(now)
        need = min(cost, self.capacity)
        if self.level >= need:
            return 0.0
        return (need - self.level) / self.rate

    def take(self, cost: float, now: float) -> None:
        self._refill(now)
        self.level -= cost

    def give_back(self, amount: float, now: float) -> None:
        """Return an over-estimate (positive) or charge an under-estimate (negative)."""
        self._refill(now)
        self.level = min(self.capacity, self.level + amount)

    def __repr__(self) -> str:
        return f"<TokenBucket {self.level:.1f}/{self.capacity:g} at {self.rate * 60:g}/min>"
