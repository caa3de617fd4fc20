"""``ChatStream`` and ``AsyncChatStream``: what ``adapter.stream(request)`` / ``adapter.astream(request)``
return. Typed events as the bytes arrive (folded in Rust when the extension is loaded), the final
``ChatCompletionResponse`` at the end, and honest failures::

    with adapter.stream(request) as stream:            # async: async with adapter.astream(request) as s
        for event in stream:                           #        async for event in s
            ...
        response = stream.final_response()             #        await s.final_response()

Nothing is sent until the stream is opened: by ``open()`` / ``await aopen()`` (which returns once the first
event is buffered, or the stream ended), by iterating, or by ``final_response()``.

Failures:

- before any event was delivered to the caller, a failure is raised as the ordinary classified
  ``ProviderError`` (an error status, a dropped connection, an error event as the stream's first news,
  bad bytes), so a policy layer may retry the request: ``events_delivered == 0`` says it may;
- once an event was delivered, a failure raises ``StreamInterruptedError`` whose ``partial`` is the
  response folded so far and whose ``__cause__`` is the classified error (for an error event inside the
  stream: the ``ProviderError`` its payload classifies as).

Leaving the ``with`` block, ``close()``, or breaking out of a ``for`` loop over the stream closes the HTTP
response: the connection is dropped if the body was not read to its end (and returned to the pool if it
was). After the terminator (``[DONE]``, ``message_stop``) the rest of the body is read and ignored, so the
connection stays reusable. A server that ignores ``stream: true`` and answers with one JSON body is read
as that body, its events synthesised from the parsed response.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from typing import Any, NoReturn, Self

from modelwire.exceptions import (
    APIConnectionError,
    APITimeoutError,
    ProviderError,
    ResponseParseError,
    StreamInterruptedError,
)
from modelwire.parsing.stream import StreamFormat, events_of, stream_folder
from modelwire.types import ChatCompletionResponse
from modelwire.types.stream import StreamEvent

__all__ = ["AsyncChatStream", "ChatStream", "StreamCall"]


@dataclass(frozen=True, slots=True)
class StreamCall:
    """What a stream needs from its adapter, as declared callables: ``open``/``aopen`` send the request
    and enter a context yielding a 2xx response whose body is not read yet (an error status is raised as
    its ``ProviderError``; leaving the context with a transport failure converts it to one);
    ``decode`` reads a whole JSON answer; ``read_error`` classifies an error event's payload."""

    provider: str
    model: str
    format: StreamFormat
    open: Callable[[], AbstractContextManager[Any]]
    aopen: Callable[[], AbstractAsyncContextManager[Any]]
    decode: Callable[[Any], ChatCompletionResponse]
    read_error: Callable[..., ProviderError]
    # The body of the opened response within the transport's caps (max_response_bytes, stream_total and
    # the seconds passed, what the stream's deadline leaves, None: none); None: the response's own
    # iterator, uncapped. ``idle``: seconds allowed between two events (None: no limit).
    chunks: Callable[[Any, float | None], Iterator[bytes]] | None = None
    achunks: Callable[[Any, float | None], AsyncIterator[bytes]] | None = None
    idle: float | None = None
    # Reads a whole body (a JSON answer to a streamed request) within the caps; None: response.read().
    read: Callable[[Any], Any] | None = None
    aread: Callable[[Any], Awaitable[Any]] | None = None


class _StreamState:
    """What the sync and async streams share: folding, failures, the final response (no I/O here)."""

    def __init__(self, call: StreamCall):
        self._source = call
        self._provider = call.provider
        self.model = call.model
        self._folder = stream_folder(call.format, call.provider)
        self._pending: deque[StreamEvent] = deque()
        self._failure: ProviderError | None = None
        self._whole: ChatCompletionResponse | None = None
        self._started = False
        self._ended = False  # nothing more will be read: EOF, a failure, or close()
        self._cut = False  # closed by the caller before the end
        self._last_event = time.monotonic()
        self._ends_by: float | None = None  # monotonic; set by within()
        self.events_delivered = 0
        """Events handed to the caller so far (iteration); the policy layer retries only while it is 0."""
        self.events_received = 0
        """Events folded so far, delivered or still buffered."""

    def within(self, seconds: float | None) -> Self:
        """Bound the whole stream to ``seconds`` from now (``None``: no bound), on top of the transport's
        ``stream_total``, the smaller winning: the policy layer passes what the chain's deadline leaves.
        Past it the stream fails with ``APITimeoutError`` (``StreamInterruptedError`` once an event was
        delivered). Call it before the stream is opened."""
        self._ends_by = None if seconds is None else time.monotonic() + seconds
        return self

    def _left(self) -> float | None:
        return None if self._ends_by is None else self._ends_by - time.monotonic()

    @property
    def response(self) -> ChatCompletionResponse:
        """The response folded so far (the final one once the stream has ended)."""
        return self._whole if self._whole is not None else self._folder.response()

    def _fed(self, events: list[StreamEvent]) -> None:
        if events:
            self._last_event = time.monotonic()
        self._pending.extend(events)
        self.events_received += len(events)
        error = self._folder.error
        if error is not None and self._failure is None:
            self._failure = self._source.read_error(error, provider=self._provider, model=self.model)

    def _feed(self, chunk: bytes) -> None:
        if self._failure is None and not self._folder.done:  # bytes after the terminator are ignored
            try:
                self._fed(self._folder.feed(chunk))
            except ResponseParseError as exc:
                self._fail(exc)
            idle = self._source.idle
            if idle is not None and self._failure is None and time.monotonic() - self._last_event > idle:
                self._fail(self._idle_error(idle))

    def _idle_error(self, idle: float) -> APITimeoutError:
        """Bytes kept coming (keep-alives, comments, pings) but no event for ``idle`` seconds."""
        return APITimeoutError(
            f"the stream sent no event for {idle:g}s (only keep-alives)",
            provider=self._provider,
            model=self.model,
        )

    def _finish(self) -> None:
        if self._failure is None and not self._folder.done:
            try:
                self._fed(self._folder.finish())
            except ResponseParseError as exc:
                self._fail(exc)
            if self._failure is None and self._folder.error is None and _cut_short(self._source.format, self):
                message = "the stream ended before its terminal event (the connection was cut?)"
                self._fail(APIConnectionError(message, provider=self._provider, model=self.model))

    def _fail(self, error: ProviderError) -> None:
        if error.model is None:
            error.model = self.model
        if self._failure is None:
            self._failure = error

    def _whole_body(self, response: Any) -> bool:
        """A plain JSON answer to a streamed request: parse it (an error object in it is raised)."""
        content_type = str(response.headers.get("content-type", "")).partition(";")[0].strip().lower()
        return content_type == "application/json"

    def _take_whole(self, response: Any) -> None:
        whole = self._source.decode(response)
        self._whole = whole
        self._fed(events_of(whole))

    def _raise(self) -> NoReturn:
        error = self._failure
        if error is None:
            raise RuntimeError("modelwire: no stream failure to raise")
        if self.events_delivered == 0:
            raise error
        raise StreamInterruptedError(
            f"the stream failed after {self.events_delivered} events: {error.message}",
            partial=self.response,
            events_received=self.events_received,
            status_code=error.status_code,
            provider=error.provider or self._provider,
            model=self.model,
            request_id=error.request_id,
            provider_code=error.provider_code,
        ) from error

    def _final(self) -> ChatCompletionResponse:
        if self._cut:
            raise StreamInterruptedError(
                "the stream was closed before its end; the response so far is in `partial`",
                partial=self.response,
                events_received=self.events_received,
                provider=self._provider,
                model=self.model,
            )
        return self.response

    def __repr__(self) -> str:
        state = "ended" if self._ended else "open" if self._started else "not opened"
        return (
            f"<{type(self).__name__} {self._provider}/{self.model} {state}, "
            f"{self.events_delivered} events delivered>"
        )


class ChatStream(_StreamState):
    """A streamed chat completion (sync): a context manager and an iterator of stream events."""

    _context: Any = None
    _chunks: Iterator[bytes] | None = None

    def open(self) -> Self:
        """Send the request and read until the first event is buffered (or the stream ended). Raises the
        classified error of a failure met on the way (nothing has been delivered yet)."""
        pending = self._pending
        while not pending and not self._ended:
            self._pull()
        if not pending and self._failure is not None:
            self._raise()
        return self

    def __next__(self) -> StreamEvent:
        pending = self._pending
        while not pending:
            if self._failure is not None:
                self._raise()
            if self._ended:
                raise StopIteration
            self._pull()
        self.events_delivered += 1
        return pending.popleft()

    def __iter__(self) -> Iterator[StreamEvent]:
        # A generator, so that breaking out of a for loop closes the response (when it is collected).
        pending = self._pending
        try:
            while True:
                while pending:
                    self.events_delivered += 1
                    yield pending.popleft()
                if self._failure is not None:
                    self._raise()
                if self._ended:
                    return
                self._pull()
        finally:
            self.close()

    def final_response(self) -> ChatCompletionResponse:
        """Read the rest of the stream (events not yet delivered are dropped) and return the response."""
        while not self._ended:
            self._pending.clear()
            self._pull()
        self._pending.clear()
        if self._failure is not None:
            self._raise()
        return self._final()

    get_final_response = final_response

    def close(self) -> None:
        """Close the HTTP response (dropping the connection if the body was not read to its end)."""
        if not self._ended:
            self._cut = self._ended = True
        self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- I/O -----------------------------------------------------------------------------------------

    def _pull(self) -> None:
        """Read one more piece of the body (opening the stream first if needed)."""
        if not self._started:
            self._start()
            return
        chunks = self._chunks
        assert chunks is not None
        try:
            chunk = next(chunks)
        except StopIteration:
            self._finish()
            self._ended = True
            self._release()
            return
        except Exception as exc:
            self._ended = True
            self._fail(self._convert(exc))
            return
        self._feed(chunk)
        if self._failure is not None:
            self._ended = True
            self._release()

    def _start(self) -> None:
        self._started = True
        try:
            context = self._source.open()
            response = context.__enter__()
        except ProviderError as exc:
            self._ended = True
            self._fail(exc)
            return
        self._context = context
        if self._whole_body(response):
            try:
                (self._source.read or type(response).read)(response)
                self._take_whole(response)
            except ProviderError as exc:
                self._fail(exc)
            self._ended = True
            self._release()
            return
        # Without a content encoding the raw bytes are the body: one generator layer less per chunk.
        chunks = self._source.chunks
        if chunks is not None:  # within the transport's caps
            self._chunks = chunks(response, self._left())
        else:
            self._chunks = response.iter_raw() if _identity(response) else response.iter_bytes()
        self._last_event = time.monotonic()

    def _convert(self, exc: Exception) -> ProviderError:
        """A failure met while reading, as the adapter classifies it (the response is closed)."""
        context, self._context = self._context, None
        try:
            context.__exit__(type(exc), exc, exc.__traceback__)
        except ProviderError as converted:
            return converted
        if isinstance(exc, ProviderError):  # raised by the transport itself (a body too large): kept as is
            return exc
        raise exc

    def _release(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            with contextlib.suppress(ProviderError):  # closing a response we no longer read: nothing is lost
                context.__exit__(None, None, None)


class AsyncChatStream(_StreamState):
    """A streamed chat completion (async): an async context manager and an async iterator of events."""

    _context: Any = None
    _chunks: AsyncIterator[bytes] | None = None

    async def aopen(self) -> Self:
        """Send the request and read until the first event is buffered (or the stream ended)."""
        pending = self._pending
        while not pending and not self._ended:
            await self._pull()
        if not pending and self._failure is not None:
            self._raise()
        return self

    async def __anext__(self) -> StreamEvent:
        pending = self._pending
        while not pending:
            if self._failure is not None:
                self._raise()
            if self._ended:
                raise StopAsyncIteration
            await self._pull()
        self.events_delivered += 1
        return pending.popleft()

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        # An async generator: asyncio closes it (and so the response) when a loop breaks out of it.
        pending = self._pending
        try:
            while True:
                while pending:
                    self.events_delivered += 1
                    yield pending.popleft()
                if self._failure is not None:
                    self._raise()
                if self._ended:
                    return
                await self._pull()
        finally:
            await self.aclose()

    async def final_response(self) -> ChatCompletionResponse:
        """Read the rest of the stream (events not yet delivered are dropped) and return the response."""
        while not self._ended:
            self._pending.clear()
            await self._pull()
        self._pending.clear()
        if self._failure is not None:
            self._raise()
        return self._final()

    get_final_response = final_response

    async def aclose(self) -> None:
        """Close the HTTP response (dropping the connection if the body was not read to its end)."""
        if not self._ended:
            self._cut = self._ended = True
        await self._release()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- I/O -----------------------------------------------------------------------------------------

    async def _pull(self) -> None:
        if not self._started:
            await self._start()
            return
        chunks = self._chunks
        assert chunks is not None
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            self._finish()
            self._ended = True
            await self._release()
            return
        except Exception as exc:
            self._ended = True
            self._fail(await self._convert(exc))
            return
        self._feed(chunk)
        if self._failure is not None:
            self._ended = True
            await self._release()

    async def _start(self) -> None:
        self._started = True
        try:
            context = self._source.aopen()
            response = await context.__aenter__()
        except ProviderError as exc:
            self._ended = True
            self._fail(exc)
            return
        self._context = context
        if self._whole_body(response):
            try:
                await (self._source.aread or type(response).aread)(response)
                self._take_whole(response)
            except ProviderError as exc:
                self._fail(exc)
            self._ended = True
            await self._release()
            return
        achunks = self._source.achunks
        if achunks is not None:
            self._chunks = achunks(response, self._left())
        else:
            self._chunks = response.aiter_raw() if _identity(response) else response.aiter_bytes()
        self._last_event = time.monotonic()

    async def _convert(self, exc: Exception) -> ProviderError:
        context, self._context = self._context, None
        try:
            await context.__aexit__(type(exc), exc, exc.__traceback__)
        except ProviderError as converted:
            return converted
        if isinstance(exc, ProviderError):  # raised by the transport itself (a body too large): kept as is
            return exc
        raise exc

    async def _release(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            with contextlib.suppress(ProviderError):
                await context.__aexit__(None, None, None)


def _cut_short(format: str, stream: _StreamState) -> bool:
    """The body ended at an event boundary without the format's terminator (docs/stream-rules.md 1).
    Anthropic always ends with ``message_stop``. Many OpenAI-compatible servers omit ``[DONE]``, so there
    a stream is whole when every choice got its finish reason, and cut short when one did not. Other
    formats have their own folders' rules."""
    if format == "anthropic":
        return True
    if format == "openai":
        choices = stream.response.choices
        return not choices or any(choice.finish_reason is None for choice in choices)
    return False


def _identity(response: Any) -> bool:
    return str(response.headers.get("content-encoding", "identity")).strip().lower() in ("", "identity")
