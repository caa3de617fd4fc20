"""Token usage and cost accumulated per model, safe to update from threads and event loops at once."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from modelwire.types import Cost, Usage

__all__ = ["UsageLedger"]

_NOTHING = Usage()  # the sum of no usage; ``+`` makes a new Usage, so this one is never changed


class UsageLedger:
    """Sums of every response's ``Usage`` and ``Cost``, keyed by the model (its ``ModelSpec.name``) that
    answered. A call without a known price is counted in ``unpriced()``, never as a cost of zero.

    Updates take a lock that is never held across an ``await``, so one ledger can be shared by threads
    and event loops. Readers get snapshots: a returned mapping never changes under them.
    """

    __slots__ = ("_by_model", "_calls", "_costs", "_lock", "_unpriced")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: dict[str, Usage] = {}
        self._calls: dict[str, int] = {}
        self._costs: dict[str, Cost] = {}
        self._unpriced: dict[str, int] = {}

    def add(self, model: str, usage: Usage | None, cost: Cost | None = None) -> None:
        """Count one answered call of ``model``; its usage, when the provider reported one, and its cost,
        when it was priced."""
        with self._lock:
            self._calls[model] = self._calls.get(model, 0) + 1
            if cost is None:
                self._unpriced[model] = self._unpriced.get(model, 0) + 1
            else:
                earlier = self._costs.get(model)
                self._costs[model] = cost if earlier is None else earlier + cost
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

    def costs(self) -> dict[str, Cost]:
        """A snapshot: model -> the summed ``Cost`` of its priced calls (models never priced are absent)."""
        with self._lock:
            return dict(self._costs)

    def total_cost(self) -> Cost | None:
        """Every model's cost summed; ``None`` when no call was priced."""
        with self._lock:
            costs = list(self._costs.values())
        return sum(costs[1:], costs[0]) if costs else None

    def unpriced(self) -> dict[str, int]:
        """A snapshot: model -> answered calls that had no known price."""
        with self._lock:
            return dict(self._unpriced)

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
            self._costs, self._unpriced = {}, {}
        return previous

    def __repr__(self) -> str:
        return f"<UsageLedger {self.by_model()!r}>"
