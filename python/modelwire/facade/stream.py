"""``Stream`` / ``AsyncStream``: a streamed chat completion through the client's chain and retry policy.

    with client.stream(messages) as stream:              # async with client.stream(...) as stream:
        for event in stream:                             #     async for event in stream:
            ...                                          # (or: stream = await client.stream(...))
        response = stream.final_response()               # response = await stream.final_response()

Opening (``with``, ``open()``, the first iteration, ``final_response()``) runs the policy: an attempt sends
the request and reads until the first event is buffered, so a failure before it (an error status, a dropped
connection, an error event as the first news) is retried or moves on to the next model like any other
call. Once the first event is in, the chain is over: a later failure raises ``StreamInterruptedError``
(with the response folded so far in ``partial``) and no other request is sent. The admission slot is held
until the stream ends or is closed. A refusal in a stream is returned, never fallen back from: by then the
caller may have seen part of it.

With ``response_format=<type>``, ``partials()`` yields the answer's JSON value as it grows and
``final_response().parsed`` is the validated instance; a streamed answer that fails validation raises
``StructuredOutputError`` from ``final_response()`` and is not re-asked (the chain is over).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any, Self

from modelwire.exceptions import ProviderError, UnsupportedCapabilityError
from modelwire.facade.hooks import CallTrace, arun, run, stream_settled
from modelwire.facade.structured import PartialReader
from modelwire.policy import Outcome, is_overload
from modelwire.types import ChatCompletionResponse, Cost
from modelwire.types.stream import StreamEvent

if TYPE_CHECKING:
    from modelwire.facade.calls import Call
    from modelwire.facade.client import AsyncClient, Client, _BaseClient
    from modelwire.policy import AttemptContext, Permit
    from modelwire.providers.streaming import AsyncChatStream, ChatStream

__all__ = ["AsyncStream", "Stream"]


def _failure_outcome(error: BaseException) -> Outcome:
    cause = error.__cause__ if isinstance(error.__cause__, ProviderError) else error
    return Outcome.OVERLOAD if isinstance(cause, ProviderError) and is_overload(cause) else Outcome.FAILURE


_CLOSED = RuntimeError("closed")  # what settles a stream its caller closed


class _StreamBase:
    """The bookkeeping both streams share: which attempt serves it, its held permit, settling once."""

    _inner: ChatStream | AsyncChatStream | None

    def __init__(self, client: _BaseClient, call: Call) -> None:
        self._client = client
        self._call = call
        self._ctx: AttemptContext | None = None
        self._permit: Permit | None = None
        self._settled = False
        self._cost: Cost | None = None  # the price of the settled response, for every copy of it returned
        self._trace: CallTrace | None = None

    def _adapter_stream(self, ctx: AttemptContext, method: str) -> Any:
        adapter = self._client._adapter(ctx)
        open_stream = getattr(adapter, method, None)
        if open_stream is None:
            raise UnsupportedCapabilityError(
                f"{type(adapter).__name__} cannot stream", provider=adapter.provider_name, model=ctx.spec.name
            )
        # What the chain's deadline leaves bounds the whole stream, not only its opening.
        return open_stream(self._client._request(self._call, ctx)).within(ctx.remaining())

    def _served(self, ctx: AttemptContext) -> None:
        self._ctx = ctx
        self._permit = ctx.hold()
        if self._trace is not None:
            self._trace.first_event()

    def _settlement(self, response: ChatCompletionResponse | None) -> tuple[Outcome, int | None]:
        """Count a completed stream's usage; the outcome and tokens to release the permit with."""
        if self._ctx is None or response is None:
            return Outcome.FAILURE, None
        self._client._settle(self._ctx, response)
        self._cost = response.cost
        usage = response.usage
        return Outcome.SUCCESS, None if usage is None else usage.total_tokens

    def _partial_reader(self) -> PartialReader:
        structured = self._call.structured
        if structured is None or self._ctx is None:
            raise TypeError("partials() needs a stream opened with response_format=<a type>")
        return PartialReader(structured, self._ctx)

    def _parsed(self, response: ChatCompletionResponse) -> ChatCompletionResponse:
        """Validate a structured answer into ``response.parsed`` (no re-ask: the chain is over)."""
        if self._call.structured is not None and self._ctx is not None:
            self._call.structured.parse(response, self._ctx)
        return response

    @property
    def model(self) -> str | None:
        """The chain's model that serves this stream (``None`` before it is opened)."""
        return None if self._ctx is None else self._ctx.spec.name

    @property
    def events_delivered(self) -> int:
        return 0 if self._inner is None else self._inner.events_delivered

    @property
    def response(self) -> ChatCompletionResponse | None:
        """The response folded so far (``None`` before the stream is opened)."""
        return None if self._inner is None else self._inner.response

    def __repr__(self) -> str:
        opened = self.model or "not opened"
        return f"<{type(self).__name__} {opened}, {self.events_delivered} events delivered>"

    def __del__(self) -> None:
        # A stream dropped without being closed must not keep its admission slot forever, nor leave its
        # call open for its hooks: it ends as a closed one (``CallEnded`` without an error).
        if getattr(self, "_settled", True):
            return
        with contextlib.suppress(Exception):
            stream_settled(self._trace, self._ctx, None, _CLOSED, self.events_delivered, _CLOSED)
        permit = getattr(self, "_permit", None)
        if permit is not None:
            with contextlib.suppress(Exception):
                permit.release(Outcome.FAILURE)


class Stream(_StreamBase):
    """A streamed chat completion (sync); see the module docstring."""

    def __init__(self, client: Client, call: Call) -> None:
        super().__init__(client, call)
        self._inner: ChatStream | None = None

    def _attempt(self, ctx: AttemptContext) -> ChatStream:
        inner: ChatStream = self._adapter_stream(ctx, "stream")
        try:
            inner.open()
        except BaseException:
            inner.close()
            raise
        self._served(ctx)
        return inner

    def open(self) -> Self:
        """Send the request (through the policy) and wait for the first event. Idempotent."""
        if self._inner is None:
            self._trace = self._client._trace(self._call, stream=True)
            self._inner = run(self._client._policy, self._attempt, self._call, self._trace)
        return self

    def _settle(self, response: ChatCompletionResponse | None, error: BaseException | None = None) -> None:
        if self._settled:
            return
        self._settled = True
        outcome, tokens = self._settlement(response) if error is None else (_failure_outcome(error), None)
        stream_settled(self._trace, self._ctx, response, error, self.events_delivered, _CLOSED)
        if self._permit is not None:
            self._permit.release(outcome, tokens_used=tokens)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> StreamEvent:
        inner = self._inner if self._inner is not None else self.open()._inner
        assert inner is not None
        try:
            return next(inner)
        except StopIteration:
            if not self._settled:  # the natural end (a closed stream is settled already)
                self._settle(inner.final_response())
            raise
        except BaseException as error:
            self._settle(None, error)
            raise

    def final_response(self) -> ChatCompletionResponse:
        """Read the rest (events not yet delivered are dropped) and return the whole response."""
        inner = self.open()._inner
        assert inner is not None
        try:
            response = inner.final_response()
        except BaseException as error:
            self._settle(None, error)
            raise
        self._settle(response)
        response.cost = self._cost  # the inner stream builds its response anew on each call
        return self._parsed(response)

    def partials(self) -> Iterator[Any]:
        """With ``response_format=<type>``: the answer's JSON value each time it grows (plain dicts and
        lists, unfinished strings included), while the events are read; ``final_response().parsed`` is
        the validated instance."""
        reader = self.open()._partial_reader()
        for event in self:
            value = reader.feed(event)
            if value is not None:
                yield value

    get_final_response = final_response

    def close(self) -> None:
        """Close the HTTP response and give the admission slot back. Nothing is sent after this."""
        if self._inner is not None:
            self._inner.close()
        self._settle(None, _CLOSED)

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncStream(_StreamBase):
    """A streamed chat completion (async); ``await`` it, or ``async with`` it, to open it."""

    def __init__(self, client: AsyncClient, call: Call) -> None:
        super().__init__(client, call)
        self._inner: AsyncChatStream | None = None

    async def _attempt(self, ctx: AttemptContext) -> AsyncChatStream:
        inner: AsyncChatStream = self._adapter_stream(ctx, "astream")
        try:
            await inner.aopen()
        except BaseException:
            await inner.aclose()
            raise
        self._served(ctx)
        return inner

    async def open(self) -> Self:
        """Send the request (through the policy) and wait for the first event. Idempotent."""
        if self._inner is None:
            self._trace = self._client._trace(self._call, stream=True)
            self._inner = await arun(self._client._policy, self._attempt, self._call, self._trace)
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.open().__await__()

    async def _settle(
        self, response: ChatCompletionResponse | None, error: BaseException | None = None
    ) -> None:
        if self._settled:
            return
        self._settled = True
        outcome, tokens = self._settlement(response) if error is None else (_failure_outcome(error), None)
        stream_settled(self._trace, self._ctx, response, error, self.events_delivered, _CLOSED)
        if self._permit is not None:
            await self._permit.arelease(outcome, tokens_used=tokens)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEvent:
        inner = self._inner if self._inner is not None else (await self.open())._inner
        assert inner is not None
        try:
            return await inner.__anext__()
        except StopAsyncIteration:
            if not self._settled:
                await self._settle(await inner.final_response())
            raise
        except BaseException as error:
            await self._settle(None, error)
            raise

    async def final_response(self) -> ChatCompletionResponse:
        """Read the rest (events not yet delivered are dropped) and return the whole response."""
        inner = (await self.open())._inner
        assert inner is not None
        try:
            response = await inner.final_response()
        except BaseException as error:
            await self._settle(None, error)
            raise
        await self._settle(response)
        response.cost = self._cost  # the inner stream builds its response anew on each call
        return self._parsed(response)

    async def partials(self) -> AsyncIterator[Any]:
        """As :meth:`Stream.partials`."""
        reader = (await self.open())._partial_reader()
        async for event in self:
            value = reader.feed(event)
            if value is not None:
                yield value

    get_final_response = final_response

    async def aclose(self) -> None:
        """Close the HTTP response and give the admission slot back. Nothing is sent after this."""
        if self._inner is not None:
            await self._inner.aclose()
        await self._settle(None, _CLOSED)

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
