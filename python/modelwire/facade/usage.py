"""Token usage accumulated per model, safe to update from threads and event loops at once."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from modelwire.types import Usage

__all__ = ["UsageLedger"]

_NOTHING = Usage()  # the sum of no usage; ``+`` makes a new Usage, so this one is never changed


class UsageLedger:
    """Sums of every response's ``Usage``, keyed by the model (its ``ModelSpec.name``) that answered.

    Updates take a lock that is never held across an ``await``, so one ledger can be shared by threads
    and event loops. Readers get snapshots: a returned mapping never changes under them.
    """

    __slots__ = ("_by_model", "_calls", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: dict[str, Usage] = {}
        self._calls: dict[str, int] = {}

    def add(self, model: str, usage: Usage | None) -> None:
        """Count one answered call of ``model``; its usage, when the provider reported one."""
        with self._lock:
            self._calls[model] = self._calls.get(model, 0) + 1
            if usage is None:
                return
            self._by_model[model] = self._by_model.get(model, _NOTHING) + usage

    def by_model(self) -> dict[str, Usage]:
        """A snapshot: model -> its summed ``Usage`` (models that reported none are absent)."""
        with self._lock:
            return {model: Usage() + usage for model, usage in self._by_model.items()}

    def calls(self) -> dict[str, int]:
        """A snapshot: model -> answered calls (successful responses, refusals included)."""
        with self._lock:
            return dict(self._calls)

    def total(self) -> Usage:
        """Every model's usage summed (an empty ``Usage`` when nothing was reported)."""
        total = Usage()
        with self._lock:
            for usage in self._by_model.values():
                total = total + usage
        return total

    def reset(self) -> Mapping[str, Usage]:
        """Start again from zero; returns what had been accumulated."""
        with self._lock:
            previous, self._by_model, self._calls = self._by_model, {}, {}
        return previous

    def __repr__(self) -> str:
        return f"<UsageLedger {self.by_model()!r}>"
