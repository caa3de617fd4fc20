"""Backoff between retries of one model: full jitter, exponential, capped; a Retry-After is never undercut."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from modelwire import _constants

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = _constants.INITIAL_RETRY_DELAY
    cap: float = _constants.MAX_RETRY_DELAY
    max_retry_after: float = _constants.MAX_RETRY_AFTER
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def ceiling(self, retry: int) -> float:
        """The upper bound of the jitter before retry number ``retry`` (1 for the first retry)."""
        return min(self.cap, self.initial * 2.0 ** max(0, retry - 1))

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry``.

        Without a Retry-After: uniform in ``[0, ceiling(retry)]``. With one: at least the asked time,
        plus a spread of up to a tenth of it (capped by the jitter ceiling) so that every client told
        "1 s" does not come back in the same millisecond. The caller checks :meth:`too_long` first.
        """
        ceiling = self.ceiling(retry)
        if retry_after is None:
            return self.rng.uniform(0.0, ceiling)
        asked = max(0.0, retry_after)
        return asked + self.rng.uniform(0.0, min(ceiling, asked * 0.1))

    def too_long(self, retry_after: float | None) -> bool:
        """Whether the provider asked for a longer wait than this policy will wait out."""
        return retry_after is not None and retry_after > self.max_retry_after
