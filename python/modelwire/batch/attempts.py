"""``AttemptCounter``: a hook (``AsyncClient(..., hooks=[counter])``) counting what the policy did under a
batch: attempts sent, attempts that failed by kind, retries and fallbacks. A batch's summary and
progress read it; the provider saw exactly ``attempts`` requests."""

from __future__ import annotations

from collections import Counter

from modelwire.events import AttemptFailed, Event, FallbackTaken, RequestSent, RetryDecided

__all__ = ["AttemptCounter"]


class AttemptCounter:
    def __init__(self) -> None:
        self.attempts = 0
        self.retries = 0
        self.fallbacks = 0
        self.failed_by_kind: Counter[str] = Counter()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RequestSent):
            self.attempts += 1
        elif isinstance(event, AttemptFailed):
            self.failed_by_kind[str(event.kind)] += 1
        elif isinstance(event, RetryDecided):
            self.retries += 1
        elif isinstance(event, FallbackTaken):
            self.fallbacks += 1

    def to_json(self) -> dict[str, object]:
        return {
            "attempts": self.attempts,
            "retries": self.retries,
            "fallbacks": self.fallbacks,
            "failed_attempts_by_kind": dict(sorted(self.failed_by_kind.items())),
        }
