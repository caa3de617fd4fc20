"""Adaptive concurrency for one (provider, model): additive increase, multiplicative decrease.

Pure state, no waiting and no clock of its own: the limiter calls it under its lock with ``now``. A cut
happens once per burst: the requests already in flight when the limit was cut carry the old
``generation``, and their 429s do not cut again (as TCP halves its window once per round trip).

The pause after a cut (admitting nothing new) follows one rule:

- the provider gave a Retry-After: pause that long (it knows best, in both directions);
- it gave none: no pause, so the retry waits only its jittered backoff (LMI's behaviour), unless the
  limiter has evidence the provider is saturated: ``saturated_after`` cuts in a row (429/503/529 from
  successive bursts, with no success in between). Then pause ``cooldown`` seconds before admitting more.

An isolated 429 is usually one request over a per-second limit, and a fixed pause then only adds
latency; a 429 from the next burst too, after the limit was already cut, says sending less is not enough.
``benches/bench_cooldown.py`` measures the difference.
"""

from __future__ import annotations

import math

from modelwire import _constants

__all__ = ["AIMD"]


class AIMD:
    __slots__ = ("ceiling", "cooldown", "cooldown_until", "cuts_in_a_row", "decrease", "generation",
                 "increase_after", "limit", "minimum", "saturated_after", "streak")  # fmt: skip

    def __init__(
        self,
        ceiling: int,
        *,
        decrease: float = _constants.AIMD_DECREASE_FACTOR,
        increase_after: int = _constants.AIMD_INCREASE_AFTER,
        cooldown: float = _constants.AIMD_COOLDOWN,
        minimum: int = _constants.AIMD_MIN_LIMIT,
        saturated_after: int = _constants.AIMD_SATURATED_AFTER,
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
        self.saturated_after = saturated_after
        self.cuts_in_a_row = 0  # cuts since the last success: the evidence of saturation

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
        self.cuts_in_a_row = 0
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

        Then admits nothing new for the pause of the module docstring's rule: the provider's Retry-After,
        else ``cooldown`` once the provider looks saturated, else none. A later 429 of the same burst only
        extends the pause to its own Retry-After.
        """
        if generation != self.generation:
            if retry_after is not None:
                self.cooldown_until = max(self.cooldown_until, now + max(0.0, retry_after))
            return False
        self.limit = max(float(self.minimum), self.limit * self.decrease)
        self.generation += 1
        self.streak = 0
        self.cuts_in_a_row += 1
        if retry_after is not None:
            pause = max(0.0, retry_after)
        else:
            pause = self.cooldown if self.cuts_in_a_row >= self.saturated_after else 0.0
        self.cooldown_until = max(self.cooldown_until, now + pause)
        return True

    def __repr__(self) -> str:
        return (
            f"<AIMD limit={self.limit:.2f}/{self.ceiling} generation={self.generation} streak={self.streak}>"
        )
