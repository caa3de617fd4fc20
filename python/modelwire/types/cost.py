"""What a response cost, in USD, from the price data that priced it (docs/cost.md)."""

from __future__ import annotations

from typing import Final

from modelwire.types._record import Record

__all__ = ["Cost"]

MIXED_SOURCES: Final = "mixed"
"""``Cost.source`` of a sum of costs priced from different price data."""


class Cost(Record):
    """The price of one response (or a sum of them), in ``currency`` (always ``"USD"``).

    ``input`` is the uncached prompt, ``cache_read`` / ``cache_write`` the prompt tokens read from and
    written to the provider's cache, ``output`` the generated tokens (reasoning included). ``total`` is
    the price data's own total: it also holds charges that are none of these parts (a per-request fee, web
    searches), so it can exceed their sum. ``source`` names the price data (``"genai-prices"``, or
    ``"user"`` for a price given in ``ModelSpec.price``) and ``version`` its version (genai-prices' package
    version, ``None`` for a user price).
    """

    __slots__ = ("total", "input", "output", "cache_read", "cache_write", "currency", "source", "version")
    _fields = __slots__

    def __init__(
        self,
        total: float,
        input: float = 0.0,
        output: float = 0.0,
        cache_read: float = 0.0,
        cache_write: float = 0.0,
        *,
        currency: str = "USD",
        source: str = "user",
        version: str | None = None,
    ) -> None:
        self.total = total
        self.input = input
        self.output = output
        self.cache_read = cache_read
        self.cache_write = cache_write
        self.currency = currency
        self.source = source
        self.version = version

    def __add__(self, other: Cost) -> Cost:
        """The sum of two costs; its ``source`` / ``version`` are kept when both agree, else ``"mixed"``
        / ``None``."""
        if not isinstance(other, Cost):
            return NotImplemented
        if other.currency != self.currency:
            raise ValueError(f"cannot add a cost in {other.currency} to one in {self.currency}")
        same = other.source == self.source
        return Cost(
            self.total + other.total,
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
            currency=self.currency,
            source=self.source if same else MIXED_SOURCES,
            version=self.version if same and other.version == self.version else None,
        )
