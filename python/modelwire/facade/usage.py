"""Token usage accumulated per model, safe to update from threads and event loops at once."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from modelwire.types import Usage

__all__ = ["UsageLedger"]


class UsageLedger:
    """Sums of every response's ``Usage``, keyed by the model (its ``ModelSpec.name``) that answered.

    Updates take a lock that is never held across an ``await``, so one ledger can be shared by threads
    and event loops. Readers get snapshots: a returned mapping never changes under them.
    """

    __slots__ = ("_by_model", "_calls", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Summed in place (one per model, never handed out): no new Usage per call on the hot path.
        self._by_model: dict[str, Usage] = {}
        self._calls: dict[str, int] = {}

    def add(self, model: str, usage: Usage | None) -> None:
        """Count one answered call of ``model``; its usage, when the provider reported one."""
        with self._lock:
            self._calls[model] = self._calls.get(model, 0) + 1
            if usage is None:
                return
            known = self._by_model.get(model)
            if known is None:
                self._by_model[model] = Usage() + usage
            else:
                _accumulate(known, usage)

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


def _accumulate(into: Usage, usage: Usage) -> None:
    """``into += usage`` with ``Usage.__add__``'s rules: a count stays None only if neither reported it.
    Spelt out field by field: this runs once per answered call."""
    if (v := usage.input_tokens) is not None:
        into.input_tokens = v if into.input_tokens is None else into.input_tokens + v
    if (v := usage.output_tokens) is not None:
        into.output_tokens = v if into.output_tokens is None else into.output_tokens + v
    if (v := usage.total_tokens) is not None:
        into.total_tokens = v if into.total_tokens is None else into.total_tokens + v
    if (v := usage.reasoning_tokens) is not None:
        into.reasoning_tokens = v if into.reasoning_tokens is None else into.reasoning_tokens + v
    if (v := usage.cache_read_tokens) is not None:
        into.cache_read_tokens = v if into.cache_read_tokens is None else into.cache_read_tokens + v
    if (v := usage.cache_write_tokens) is not None:
        into.cache_write_tokens = v if into.cache_write_tokens is None else into.cache_write_tokens + v
    if (v := usage.generated_images) is not None:
        into.generated_images = v if into.generated_images is None else into.generated_images + v
    if into.reasoning_token_count_source is None:
        into.reasoning_token_count_source = usage.reasoning_token_count_source
