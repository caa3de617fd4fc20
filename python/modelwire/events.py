"""What happens during a call, as plain event objects for hooks (``Client(..., hooks=[...])``).

Every event carries ``call_id``: one number per ``complete`` / ``embed`` / ``generate_image`` / ``stream``
call, unique within the process, so a consumer can group the attempts of one call. The events of one call
come in this order::

    CallStarted
      (AdmissionWaited)                  the limiter queued the attempt (or gave up waiting)
      RequestSent                        one per attempt, right before the request goes out
      ResponseReceived                   a response was parsed (usage and cost were spent)
      | AttemptFailed                    the attempt failed (after ResponseReceived when the response
                                         was then rejected: a refusal, a failed validation)
        (RetryDecided | FallbackTaken)   what the policy does next, if anything
      ... more attempts ...
      (StreamInterrupted)                a stream failed after its first event
    CallEnded                            with the error the caller got, or none

``model`` is always the chain's name of the model (``ModelSpec.name``, e.g. ``"openai/gpt-4.1-mini"``);
``attempt`` counts from 1 within a model, ``number`` from 1 within the call. Times are seconds. The
classes hold data only (no I/O); build them with keywords.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol, Self, TypeAlias

from modelwire.types._record import Record

if TYPE_CHECKING:
    from modelwire.exceptions import ErrorKind
    from modelwire.types import Usage

__all__ = [
    "AdmissionWaited",
    "AttemptFailed",
    "CallEnded",
    "CallStarted",
    "Emit",
    "Event",
    "FallbackTaken",
    "RequestSent",
    "ResponseReceived",
    "RetryDecided",
    "StreamInterrupted",
    "next_call_id",
]

_CALL_IDS: Final = itertools.count(1)


class _Model(Protocol):
    @property
    def name(self) -> str: ...


class Attempt(Protocol):
    """What an attempt's event is built from (a ``modelwire.policy.AttemptContext``)."""

    @property
    def call_id(self) -> int: ...
    @property
    def spec(self) -> _Model: ...
    @property
    def attempt(self) -> int: ...
    @property
    def number(self) -> int: ...


def next_call_id() -> int:
    """A new call id (thread-safe: ``itertools.count`` advances atomically)."""
    return next(_CALL_IDS)


class Event(Record):
    """The base of every event: ``call_id`` groups the events of one call."""

    __slots__ = ("call_id",)
    _fields: ClassVar[tuple[str, ...]] = ("call_id",)
    call_id: int

    def __init__(self, **values: Any) -> None:
        for name in self._fields:
            setattr(self, name, values.pop(name, None))
        if values:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(values))}")

    @classmethod
    def of(cls, ctx: Attempt, **values: Any) -> Self:
        """This event of the attempt ``ctx``: its ``call_id``, ``model``, ``attempt`` and (where the event
        has one) ``number``, plus ``values``."""
        if "number" in cls._fields:
            values["number"] = ctx.number
        return cls(call_id=ctx.call_id, model=ctx.spec.name, attempt=ctx.attempt, **values)


Emit: TypeAlias = Callable[[Event], None]
"""The seam events go through: the policy and the facade call it with each event of a call."""


class CallStarted(Event):
    """A call began. ``operation``: ``"chat"``, ``"embeddings"`` or ``"images"``; ``models``: the chain."""

    _fields = ("call_id", "operation", "models", "stream")
    __slots__ = _fields[1:]  # Event holds call_id
    operation: str
    models: tuple[str, ...]
    stream: bool


class RequestSent(Event):
    """An attempt's request is about to go out (after admission). ``provider``: the adapter's provider
    name; ``request``: the canonical request (``request.model`` is the id the provider knows);
    ``server_address`` / ``server_port``: the host the adapter talks to."""

    _fields = (
        "call_id",
        "model",
        "provider",
        "operation",
        "attempt",
        "number",
        "server_address",
        "server_port",
        "request",
    )
    __slots__ = _fields[1:]  # Event holds call_id
    model: str
    provider: str
    operation: str
    attempt: int
    number: int
    server_address: str | None
    server_port: int | None
    request: Any


class ResponseReceived(Event):
    """A response was parsed. ``latency``: from the request going out to the whole response (for a stream,
    to its end); ``time_to_first_token``: for a stream, from the request to its first event (``None``
    otherwise); ``cost``: ``response.cost`` (``None`` when the price is unknown)."""

    _fields = (
        "call_id",
        "model",
        "provider",
        "operation",
        "attempt",
        "number",
        "latency",
        "time_to_first_token",
        "usage",
        "cost",
        "response",
    )
    __slots__ = _fields[1:]  # Event holds call_id
    model: str
    provider: str
    operation: str
    attempt: int
    number: int
    latency: float
    time_to_first_token: float | None
    usage: Usage | None
    cost: Any
    response: Any


class AttemptFailed(Event):
    """An attempt failed with ``error`` (a ``ProviderError``; ``kind`` is its ``ErrorKind``). ``elapsed``:
    since the attempt began, admission included."""

    _fields = ("call_id", "model", "attempt", "number", "kind", "status_code", "elapsed", "error")
    __slots__ = _fields[1:]  # Event holds call_id
    model: str
    attempt: int
    number: int
    kind: ErrorKind
    status_code: int | None
    elapsed: float
    error: BaseException


class RetryDecided(Event):
    """The policy retries ``model`` after ``wait`` seconds; ``attempt`` is the one that failed (the retry
    is ``attempt + 1``); ``retry_after``: what the provider asked for, if anything."""

    _fields = ("call_id", "model", "attempt", "kind", "wait", "retry_after", "error")
    __slots__ = _fields[1:]  # Event holds call_id
    model: str
    attempt: int
    kind: ErrorKind
    wait: float
    retry_after: float | None
    error: BaseException


class FallbackTaken(Event):
    """The policy moves on from ``from_model`` to ``to_model``; ``reason`` says why in words."""

    _fields = ("call_id", "from_model", "to_model", "kind", "reason", "error")
    __slots__ = _fields[1:]  # Event holds call_id
    from_model: str
    to_model: str
    kind: ErrorKind
    reason: str
    error: BaseException


class AdmissionWaited(Event):
    """The limiter of ``model`` kept an attempt waiting ``seconds``; ``admitted`` is False when the wait
    ran out (an ``AttemptFailed`` with the ``AdmissionTimeoutError`` follows)."""

    _fields = ("call_id", "model", "attempt", "seconds", "admitted")
    __slots__ = _fields[1:]  # Event holds call_id
    model: str
    attempt: int
    seconds: float
    admitted: bool


class StreamInterrupted(Event):
    """A stream failed after its first event (nothing is retried then). ``error``: what the caller gets
    (a ``StreamInterruptedError`` with the response so far in ``partial``)."""

    _fields = ("call_id", "model", "attempt", "number", "events_delivered", "error")
    __slots__ = _fields[1:]  # Event holds call_id
    model: str
    attempt: int
    number: int
    events_delivered: int
    error: BaseException


class CallEnded(Event):
    """A call ended: ``model`` answered (``None`` if none did) after ``attempts`` attempts in ``duration``
    seconds; ``error`` is what the caller got (``None`` on success, or a stream closed before its end)."""

    _fields = ("call_id", "operation", "model", "attempts", "duration", "error")
    __slots__ = _fields[1:]  # Event holds call_id
    operation: str
    model: str | None
    attempts: int
    duration: float
    error: BaseException | None
