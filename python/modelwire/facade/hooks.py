"""Hooks: ``Client(..., hooks=[...])`` calls each hook with every event of every call
(:mod:`modelwire.events`).

A hook is a callable taking one event. It is called inline, in the order the events happen, so keep it
quick (append to a list, bump a counter, start a span). On an ``AsyncClient`` a hook may be ``async``: it is
called inline too, and the coroutine it returns is scheduled as a task on the running loop, so the call
never waits for it; each async hook still sees its events in order (its next run waits for its previous
one), and ``aclose()`` waits for the ones still running (at most ``HOOKS_DRAIN_TIMEOUT``, 5 s, then
cancels them with a warning). A sync ``Client`` refuses an async hook.

A hook that raises never breaks the call: the first failure of each hook on each event type is logged at
WARNING (with its traceback) on ``modelwire.hooks``, later ones at DEBUG.

The policy sees one call's hooks as the ``emit`` callable it is given (a :class:`CallTrace`); the adapter
of each attempt is seen through :class:`ObservedAdapter`, which announces each request and reports each
parsed response. Without hooks none of this is built: a call pays one ``is None`` test.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from modelwire._constants import HOOKS_DRAIN_TIMEOUT
from modelwire.events import (
    CallEnded,
    CallStarted,
    Event,
    RequestSent,
    ResponseReceived,
    StreamInterrupted,
    next_call_id,
)
from modelwire.types import ChatCompletionRequest, EmbeddingRequest

if TYPE_CHECKING:
    from modelwire.facade.calls import Call
    from modelwire.policy import AttemptContext, RetryPolicy

__all__ = ["CallTrace", "Hook", "Hooks", "ObservedAdapter", "arun", "check_hooks", "run"]

logger = logging.getLogger("modelwire.hooks")

Hook = Callable[[Event], Any]
T = TypeVar("T")


def _operation(call: Call) -> str:
    if call.cls is ChatCompletionRequest:
        return "chat"
    return "embeddings" if call.cls is EmbeddingRequest else "images"


def _is_async(hook: object) -> bool:
    return inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(getattr(hook, "__call__", None))  # noqa: B004


def check_hooks(hooks: object) -> tuple[Hook, ...]:
    """``hooks`` as a tuple of callables, or a ``TypeError`` naming what is not one."""
    if hooks is None:
        return ()
    if callable(hooks) or isinstance(hooks, str | bytes) or not isinstance(hooks, Iterable):
        raise TypeError(f"hooks must be a list of callables taking an event, not {hooks!r}")
    found = tuple(hooks)
    for hook in found:
        if not callable(hook):
            raise TypeError(f"each hook must be a callable taking an event, not {hook!r}")
    return found


class Hooks:
    """A client's hooks, and how each event reaches them (see the module docstring)."""

    def __init__(self, hooks: tuple[Hook, ...], *, asynchronous: bool) -> None:
        if not asynchronous:
            refused = [hook for hook in hooks if _is_async(hook)]
            if refused:
                raise TypeError(f"async hooks need an AsyncClient; a Client cannot await {refused[0]!r}")
        self.hooks = hooks
        self._asynchronous = asynchronous
        self._logged: set[tuple[int, type]] = set()
        self._pending: set[asyncio.Task[None]] = set()
        self._tails: dict[int, asyncio.Task[None]] = {}

    @classmethod
    def of(cls, hooks: tuple[Hook, ...], *, asynchronous: bool) -> Hooks | None:
        return cls(hooks, asynchronous=asynchronous) if hooks else None

    def emit(self, event: Event) -> None:
        for index, hook in enumerate(self.hooks):
            try:
                result = hook(event)
            except Exception as exc:
                self._failed(index, hook, event, exc)
                continue
            if result is not None and inspect.isawaitable(result):
                self._schedule(index, hook, event, result)

    def _failed(self, index: int, hook: Hook, event: Event, exc: BaseException) -> None:
        key = (index, type(event))
        first = key not in self._logged
        self._logged.add(key)
        logger.log(
            logging.WARNING if first else logging.DEBUG,
            "modelwire: hook %r failed on %s (the call goes on%s)",
            hook,
            type(event).__name__,
            "; later failures of this hook on this event are logged at DEBUG" if first else "",
            exc_info=(type(exc), exc, exc.__traceback__),
        )

    def _schedule(self, index: int, hook: Hook, event: Event, result: Awaitable[Any]) -> None:
        try:
            loop = asyncio.get_running_loop() if self._asynchronous else None
        except RuntimeError:
            loop = None
        if loop is None:
            if inspect.iscoroutine(result):
                result.close()
            error = TypeError("an async hook needs an AsyncClient on a running loop")
            self._failed(index, hook, event, error)
            return
        previous = self._tails.get(index)
        if previous is not None and (previous.done() or previous.get_loop() is not loop):
            previous = None
        task = loop.create_task(self._run(index, hook, event, result, previous))
        self._tails[index] = task
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _run(
        self,
        index: int,
        hook: Hook,
        event: Event,
        result: Awaitable[Any],
        previous: asyncio.Task[None] | None,
    ) -> None:
        if previous is not None:
            try:
                await asyncio.wait((previous,))  # one hook sees its events in order
            except asyncio.CancelledError:
                if inspect.iscoroutine(result):
                    result.close()  # cancelled (by drain) before it began
                raise
        try:
            await result
        except Exception as exc:
            self._failed(index, hook, event, exc)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the async hooks still running on this loop, ``timeout`` seconds in all (default
        ``HOOKS_DRAIN_TIMEOUT``); those still running then are cancelled, with a warning."""
        limit = HOOKS_DRAIN_TIMEOUT if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while mine := [task for task in self._pending if task.get_loop() is loop]:
            left = deadline - loop.time()
            if left <= 0:
                logger.warning(
                    "modelwire: %d async hook run(s) still running after %gs at aclose(); cancelling them",
                    len(mine),
                    limit,
                )
                for task in mine:
                    task.cancel()
                return
            await asyncio.wait(mine, timeout=left)


@functools.lru_cache(maxsize=64)
def _server(base_url: str) -> tuple[str | None, int | None]:
    """(host, port) of a base URL: what telemetry may show of it (never its path, query or userinfo)."""
    parts = urlsplit(base_url)
    try:
        return parts.hostname, parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return parts.hostname, None


class CallTrace:
    """One call's events: its id, when it began and when its current attempt's request went out. The
    policy calls it as its ``emit``.

    ``ResponseReceived`` is held back from the moment the adapter returns (when its ``latency`` is taken)
    until the next event of the call: by then the facade has finished with the response (counted it,
    priced it: ``response.cost``), so the event carries the cost and still comes before an
    ``AttemptFailed`` that rejects the response, or the ``CallEnded``."""

    __slots__ = (
        "_emit",
        "_held",
        "answered",
        "call_id",
        "first_event_at",
        "operation",
        "provider",
        "requests",
        "sent_at",
        "started",
        "stream",
    )

    def __init__(self, hooks: Hooks, call: Call, models: list[str], *, stream: bool = False) -> None:
        self._emit = hooks.emit
        self.call_id = next_call_id()
        self.operation = _operation(call)
        self.stream = stream
        self.started = self.sent_at = time.monotonic()
        self.first_event_at: float | None = None
        self.requests = 0
        self.answered: str | None = None
        self.provider = ""
        self._held: tuple[AttemptContext, Any, float, float | None] | None = None
        self._emit(
            CallStarted(call_id=self.call_id, operation=self.operation, models=tuple(models), stream=stream)
        )

    def __call__(self, event: Event) -> None:
        if self._held is not None:
            self._release()
        self._emit(event)

    def sent(self, ctx: AttemptContext, request: Any, adapter: Any) -> None:
        if self._held is not None:
            self._release()
        self.requests += 1
        self.first_event_at = None
        self.provider = adapter.provider_name
        host, port = _server(getattr(adapter, "base_url", "") or "")
        self._exchanged(RequestSent, ctx, server_address=host, server_port=port, request=request)
        self.sent_at = time.monotonic()

    def first_event(self) -> None:
        self.first_event_at = time.monotonic()

    def received(self, ctx: AttemptContext, response: T) -> T:
        """Note a parsed response; its event goes out with the call's next one."""
        first = self.first_event_at
        ttft = None if first is None else first - self.sent_at
        self._held = (ctx, response, time.monotonic() - self.sent_at, ttft)
        self.answered = ctx.spec.name
        return response

    def _release(self) -> None:
        assert self._held is not None
        ctx, response, latency, ttft = self._held
        self._held = None
        self._exchanged(
            ResponseReceived,
            ctx,
            latency=latency,
            time_to_first_token=ttft,
            usage=getattr(response, "usage", None),
            cost=getattr(response, "cost", None),
            response=response,
        )

    def _exchanged(self, kind: type[Event], ctx: AttemptContext, **values: Any) -> None:
        """Send a request's or a response's event: the attempt's fields, the call's provider and operation."""
        self._emit(kind.of(ctx, provider=self.provider, operation=self.operation, **values))

    def interrupted(self, ctx: AttemptContext, error: BaseException, events_delivered: int) -> None:
        self(StreamInterrupted.of(ctx, events_delivered=events_delivered, error=error))

    def ended(self, error: BaseException | None) -> None:
        self(
            CallEnded(
                call_id=self.call_id,
                operation=self.operation,
                model=None if error is not None else self.answered,
                attempts=self.requests,
                duration=time.monotonic() - self.started,
                error=error,
            )
        )


class ObservedAdapter:
    """An adapter seen through one attempt of a traced call: each request is announced (``RequestSent``)
    and each parsed response reported (``ResponseReceived``); everything else is the adapter's."""

    __slots__ = ("_adapter", "_ctx", "_trace")

    def __init__(self, adapter: Any, ctx: AttemptContext, trace: CallTrace) -> None:
        self._adapter = adapter
        self._ctx = ctx
        self._trace = trace

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._adapter, name)
        if name in ("stream", "astream"):  # the facade's stream reports its own end

            def opened(request: Any) -> Any:
                self._trace.sent(self._ctx, request, self._adapter)
                return value(request)

            return opened
        return value

    def _send(self, request: Any, method: Callable[[Any], T]) -> T:
        self._trace.sent(self._ctx, request, self._adapter)
        return self._trace.received(self._ctx, method(request))

    async def _asend(self, request: Any, method: Callable[[Any], Awaitable[T]]) -> T:
        self._trace.sent(self._ctx, request, self._adapter)
        return self._trace.received(self._ctx, await method(request))

    def completion(self, request: Any) -> Any:
        return self._send(request, self._adapter.completion)

    async def acompletion(self, request: Any) -> Any:
        return await self._asend(request, self._adapter.acompletion)

    def embeddings(self, request: Any) -> Any:
        return self._send(request, self._adapter.embeddings)

    async def aembeddings(self, request: Any) -> Any:
        return await self._asend(request, self._adapter.aembeddings)

    def generate_image(self, request: Any) -> Any:
        return self._send(request, self._adapter.generate_image)

    async def agenerate_image(self, request: Any) -> Any:
        return await self._asend(request, self._adapter.agenerate_image)


def observed(adapter: T, ctx: AttemptContext) -> T:
    """``adapter`` itself, or seen through its call's trace when the call has hooks."""
    trace = ctx.emit
    return ObservedAdapter(adapter, ctx, trace) if isinstance(trace, CallTrace) else adapter  # type: ignore[return-value]


def start(hooks: Hooks | None, call: Call, models: list[str], *, stream: bool = False) -> CallTrace | None:
    return None if hooks is None else CallTrace(hooks, call, models, stream=stream)


def run(
    policy: RetryPolicy, attempt: Callable[[AttemptContext], T], call: Call, trace: CallTrace | None
) -> T:
    """``policy.call(attempt)`` for ``call``, traced when it has hooks (a stream's trace ends later)."""
    if trace is None:
        return policy.call(attempt, tokens=call.tokens)
    try:
        result = policy.call(attempt, tokens=call.tokens, emit=trace, call_id=trace.call_id)
    except BaseException as error:
        trace.ended(error)
        raise
    if not trace.stream:
        trace.ended(None)
    return result


async def arun(
    policy: RetryPolicy,
    attempt: Callable[[AttemptContext], Awaitable[T]],
    call: Call,
    trace: CallTrace | None,
) -> T:
    """As :func:`run`, awaiting."""
    if trace is None:
        return await policy.acall(attempt, tokens=call.tokens)
    try:
        result = await policy.acall(attempt, tokens=call.tokens, emit=trace, call_id=trace.call_id)
    except BaseException as error:
        trace.ended(error)
        raise
    if not trace.stream:
        trace.ended(None)
    return result


def stream_settled(
    trace: CallTrace | None,
    ctx: AttemptContext | None,
    response: Any,
    error: BaseException | None,
    events_delivered: int,
    closed: BaseException,
) -> None:
    """A traced stream ended: its response (``ResponseReceived``), or the failure after its first event
    (``StreamInterrupted``), then ``CallEnded``. ``error is closed``: the caller closed it before its end."""
    if trace is None or ctx is None:
        return
    closed_early = error is closed
    if response is not None:
        trace.received(ctx, response)
    elif error is not None and not closed_early:
        trace.interrupted(ctx, error, events_delivered)
    trace.ended(None if closed_early else error)
