"""Connect, read, write and pool timeouts, kept apart; a whole-response timeout and an optional whole-stream
cap on top of them (httpx's timeouts bound each read, not the whole body)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from modelwire._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_POOL_TIMEOUT,
    DEFAULT_RESPONSE_TIMEOUT,
    DEFAULT_TIMEOUT,
)

__all__ = ["TimeoutSpec", "Timeouts"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed for each phase of a request; ``None`` means no limit for that phase.

    ``pool`` bounds the wait for a free connection of our own pool: running out of it is our
    saturation, not the provider's slowness, and is reported as a distinct error kind.

    ``total`` bounds a whole non-streamed response, from sending to the last byte of the body (a body
    trickling in passes every per-read timeout). ``stream_total`` bounds a whole stream (``None``: no
    cap; a stream may legitimately run for minutes); the wait for each read of a stream, and between two
    of its events, is bounded by ``read``.
    """

    connect: float | None = DEFAULT_CONNECT_TIMEOUT
    read: float | None = DEFAULT_TIMEOUT
    write: float | None = DEFAULT_TIMEOUT
    pool: float | None = DEFAULT_POOL_TIMEOUT
    total: float | None = DEFAULT_RESPONSE_TIMEOUT
    stream_total: float | None = None

    @classmethod
    def of(cls, value: TimeoutSpec) -> Timeouts:
        """Normalise what users pass: a number, ``None``, a mapping, an httpx/httpx2 Timeout, or Timeouts.

        A single number bounds every phase (httpx's meaning) and the whole response, except that
        connecting never gets more than the connect default: a host that has not accepted a connection by
        then is down. ``None`` removes every bound.
        """
        if isinstance(value, Timeouts):
            return value
        if value is None:
            return cls(None, None, None, None, None)
        if isinstance(value, int | float):
            seconds = _positive(value, "timeout")
            return cls(min(seconds, DEFAULT_CONNECT_TIMEOUT), seconds, seconds, seconds, seconds)
        if isinstance(value, Mapping):
            unknown = set(value) - set(_PHASES)
            if unknown:
                raise ValueError(f"unknown timeout phase(s): {', '.join(sorted(map(str, unknown)))}")
            defaults = cls()
            return cls(
                **{
                    phase: _seconds(value[phase], phase) if phase in value else getattr(defaults, phase)
                    for phase in _PHASES
                }
            )
        if all(hasattr(value, phase) for phase in ("connect", "read", "write", "pool")):
            # An httpx.Timeout or httpx2.Timeout: same attribute names in both.
            return cls(value.connect, value.read, value.write, value.pool)
        raise TypeError(f"timeout must be a number, None, a mapping or a Timeout, not {type(value).__name__}")

    def with_total(self, seconds: float | None) -> Timeouts:
        """These timeouts with a per-request override applied (``None`` keeps them as they are)."""
        if seconds is None:
            return self
        seconds = _positive(seconds, "timeout")
        stream_total = _cap(self.stream_total, seconds) if self.stream_total is not None else None
        return Timeouts(
            _cap(self.connect, seconds), seconds, seconds, _cap(self.pool, seconds), seconds, stream_total
        )

    def for_library(self, library: ModuleType) -> Any:
        """This as the ``Timeout`` of the HTTP library a client comes from (httpx or httpx2)."""
        return library.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


_PHASES: tuple[str, ...] = ("connect", "read", "write", "pool", "total", "stream_total")


def _cap(phase: float | None, seconds: float) -> float:
    return seconds if phase is None else min(phase, seconds)


def _seconds(value: Any, name: str) -> float | None:
    return None if value is None else _positive(value, name)


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} timeout must be a number of seconds, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} timeout must be positive, got {value}")
    return float(value)


TimeoutSpec = float | int | None | Timeouts | Mapping[str, float | None] | Any
