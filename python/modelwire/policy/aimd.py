"""Adaptive concurrency for one (provider, model): additive increase, multiplicative decrease.

Pure state, no waiting and no clock of its own: the limiter calls it under its lock with ``now``. A cut
happens once per burst: the requests already in flight when the limit was cut carry the old
``generation``, and their 429s do not cut again (as TCP halves its window once per round trip).
"""

from __future__ import annotations

import math

from modelwire import _constants

__all__ = ["AIMD"]


class AIMD:
    __slots__ = ("ceiling", "cooldown", "cooldown_until", "decrease", "generation", "increase_after", "limit",
                 "minimum", "streak")  # fmt: skip

    def __init__(
        self,
        ceiling: int,
        *,
        decrease: float = _constants.AIMD_DECREASE_FACTOR,
        increase_after: int = _constants.AIMD_INCREASE_AFTER,
        cooldown: float = _constants.AIMD_COOLDOWN,
        minimum: int = _constants.AIMD_MIN_LIMIT,
    ) -> None:
        self.ceiling = max(minimum, ceiling)
        self.decrease = decrease
        self.increase_after = increase_after
        self.cooldown = cooldown
        self.minimum = minimum
        self.limit = float(self.ceiling)
        self.generation = 0
        self.streak = 0
        self.cooldown_until = -math.inf

    @property
    def slots(self) -> int:
        """How many requests may be in flight now."""
        return max(self.minimum, int(self.limit))

    def wait(self, in_flight: int, now: float) -> float:
        """0 if one more request may start now; else seconds until it might (``inf``: until a release)."""
        if now < self.cooldown_until:
            return self.cooldown_until - now
        return 0.0 if in_flight < self.slots else math.inf

    def on_success(self) -> bool:
        """Count a success; True when the limit grew (waiters may now fit)."""
        self.streak += 1
        if self.streak < self.increase_after:
            return False
        self.streak = 0
        if self.limit >= self.ceiling:
            return False
        self.limit = min(float(self.ceiling), self.limit + 1.0)
        return True

    def on_overload(self, generation: int, now: float, retry_after: float | None) -> bool:
        """A 429/503/529 for a request admitted in ``generation``. True when the limit was cut.

        Admits nothing new until the cool-down ends: the provider's Retry-After when it gave one (the
        provider knows best, in both directions), else ``cooldown``. A later 429 of the same burst only
        extends the cool-down to its own Retry-After.
        """
        pause = self.cooldown if retry_after is None else max(0.0, retry_after)
        if generation != self.generation:
            if retry_after is not None:
                self.cooldown_until = max(self.cooldown_until, now + pause)
            return False
        self.limit = max(float(self.minimum), self.limit * self.decrease)
        self.generation += 1
        self.streak = 0
        self.cooldown_until = max(self.cooldown_until, now + pause)
        return True

    def __repr__(self) -> str:
        return (
            f"<AIMD limit={self.limit:.2f}/{self.ceiling} generation={self.generation} streak={self.streak}>"
        )
