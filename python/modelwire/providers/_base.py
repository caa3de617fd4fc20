"""``HttpAdapter``: the one HTTP adapter. Keys are resolved by its constructors (see ``keys``); it holds the
transports (sync, and async per event loop), sends, classifies errors, streams and owns the lifecycle.
Everything provider-specific comes from its :class:`~modelwire.providers.dialect.Dialect`.

A call goes: the canonical request takes the configured defaults; the dialect's operation translates it
(:class:`~modelwire.providers.dialect.Body`); it becomes a :class:`PreparedRequest` (path, JSON body bytes,
per-request headers, timeout), built once; the dialect's signer, when it has one, signs the exact bytes;
the transport sends; a non-2xx answer goes through the dialect's error reader and every httpx/httpx2
failure through ``from_transport_error``; a 2xx body through the operation's parser. Nothing here retries.

Close is final: after ``close()`` / ``aclose()`` every call raises ``ClientClosedError`` (not retried),
and calls still in flight when the pool closed fail with it instead of whatever the cut connection gave.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import urlencode

from modelwire._constants import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_POOL_TIMEOUT, USER_AGENT
from modelwire.errors import from_transport_error
from modelwire.exceptions import (
    ClientClosedError,
    ModelwireWarning,
    ProviderError,
    ResponseParseError,
    ResponseTooLargeError,
    UnsupportedCapabilityError,
)
from modelwire.providers._pools import Pools
from modelwire.providers.dialect import Context, Dialect, Operation, OutgoingRequest, route_path
from modelwire.providers.keys import resolve_api_key
from modelwire.providers.streaming import AsyncChatStream, ChatStream, StreamCall
from modelwire.request import TransportKwargs
from modelwire.transport import AsyncTransport, SyncTransport, Timeouts, TimeoutSpec
from modelwire.types import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ImageGenerationRequest,
    ImageGenerationResponse,
)

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["HttpAdapter", "PreparedRequest", "RawResponse", "resolve_api_key", "spec_options"]

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A", bound="HttpAdapter")
_DEFAULT_HEADERS: Final = {"accept": "application/json", "user-agent": USER_AGENT}
# Fields a request must carry itself; a default for one of them would silently replace the caller's.
_REQUIRED: Final = frozenset({"model", "messages", "inputs", "prompt"})
_WHAT: Final = {"embeddings": "embeddings endpoint", "images": "image generation"}


@dataclasses.dataclass(frozen=True, slots=True)
class PreparedRequest:
    """One HTTP call, ready to send: ``path`` is relative to the adapter's base URL (or absolute)."""

    path: str
    body: bytes
    headers: Mapping[str, str]
    timeout: float | None
    model: str
    params: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RawResponse:
    """A 2xx answer of an endpoint outside the dialect's operations (``request_raw``): status, headers
    (lower-cased names), body bytes."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes


def spec_options(spec: ModelSpec) -> dict[str, Any]:
    """The adapter options a ``ModelSpec`` sets for every adapter (address, key, timeouts, pool, headers,
    request defaults, drop_params)."""
    params = dict(spec.extra_params)
    drop = params.pop("drop_params", False)
    total = spec.timeout
    timeouts = Timeouts(
        connect=spec.connect_timeout,
        read=total,
        write=total,
        pool=DEFAULT_POOL_TIMEOUT if total is None else min(DEFAULT_POOL_TIMEOUT, total),
        total=total,
    )
    return {
        "base_url": spec.route.api_base,
        "api_key": spec.api_key,
        "api_key_env": spec.api_key_env,
        "timeout": timeouts,
        "max_concurrency": spec.max_concurrency,
        "headers": dict(spec.extra_headers) or None,
        "default_params": params or None,
        "extra_body": dict(spec.extra_body) or None,
        "drop_params": bool(drop),
    }


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _field_names(cls: type) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(field.name for field in dataclasses.fields(cls))
    return names


# The failures a call converts, per HTTP library module (httpx or httpx2): built once, not per request.
_FAILURES: dict[Any, tuple[type[BaseException], ...]] = {}


def _is_async(obj: Any, method: str) -> bool:
    return inspect.iscoroutinefunction(getattr(obj, method, None))


class HttpAdapter:
    """The adapter every provider class is: ``dialect`` says what is provider-specific, ``provider_name``
    labels responses and errors, ``headers`` (auth, user headers) go with every request after the
    dialect's. A dialect-only provider needs no subclass: ``HttpAdapter(dialect=..., provider_name=...,
    base_url=..., headers=...)``."""

    def __init__(
        self,
        *,
        dialect: Dialect,
        provider_name: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutSpec = ...,
        max_concurrency: int | None = None,
        http_client: Any | None = None,
        async_http_client: Any | None = None,
        transport: Any | None = None,
        async_transport: Any | None = None,
        default_params: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        drop_params: bool = False,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
    ) -> None:
        if http_client is not None and _is_async(http_client, "request"):
            raise TypeError("http_client is an async client: pass it as async_http_client")
        if async_http_client is not None and not _is_async(async_http_client, "request"):
            raise TypeError("async_http_client is a sync client: pass it as http_client")
        if transport is not None and not hasattr(transport, "handle_request"):
            raise TypeError("transport must be a sync httpx/httpx2 transport (async ones: async_transport)")
        if async_transport is not None and not hasattr(async_transport, "handle_async_request"):
            raise TypeError("async_transport must be an async httpx/httpx2 transport")
        wrong = sorted(_REQUIRED & set(default_params or ()))
        if wrong:
            raise ValueError(f"default_params cannot set {', '.join(wrong)}: every request carries its own")
        self.dialect = dialect
        self.provider_name = provider_name
        self.base_url = base_url.rstrip("/")
        self.drop_params = drop_params
        self._contexts = {s: Context(provider_name, drop_params, s) for s in (False, True)}
        self._headers = {**_DEFAULT_HEADERS, **dialect.headers, **(headers or {})}
        self._pools = Pools(
            self.base_url,
            headers=self._headers,
            timeout=timeout,
            max_concurrency=max_concurrency,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            async_transport=async_transport,
            max_response_bytes=max_response_bytes,
            trust_env=trust_env,
            closed_error=self._closed_error,
        )
        # The read timeout also bounds the wait between two stream events.
        self._timeouts = Timeouts() if timeout is ... else Timeouts.of(timeout)
        self._defaults = dict(default_params or {})
        self._default_body = dict(extra_body or {})

    # --- capabilities: what the dialect declares -------------------------------------------------------

    def supports_chat_completion(self) -> bool:
        return True

    def supports_embeddings(self) -> bool:
        return self.dialect.embeddings is not None

    def supports_image_generation(self) -> bool:
        return self.dialect.images is not None

    # --- operations ------------------------------------------------------------------------------------

    def completion(self, request: ChatCompletionRequest) -> ChatCompletionResponse:
        return self._call(self._prepare("chat", request), self.dialect.chat.parse)

    async def acompletion(self, request: ChatCompletionRequest) -> ChatCompletionResponse:
        return await self._acall(self._prepare("chat", request), self.dialect.chat.parse)

    def stream(self, request: ChatCompletionRequest) -> ChatStream:
        """A streamed chat completion: a context manager and iterator of typed events whose
        ``final_response()`` returns the folded ``ChatCompletionResponse``. Nothing is sent before it is
        opened or iterated; see :mod:`modelwire.providers.streaming` for failures and closing."""
        return ChatStream(self._stream_call(self._prepare("chat", request, stream=True)))

    def astream(self, request: ChatCompletionRequest) -> AsyncChatStream:
        """The async twin of :meth:`stream` (``async with`` / ``async for`` / ``await final_response()``)."""
        return AsyncChatStream(self._stream_call(self._prepare("chat", request, stream=True)))

    def embeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        op = self._need(self.dialect.embeddings, "embeddings", request.model)
        return self._call(self._prepare("embeddings", request), op.parse)

    async def aembeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        op = self._need(self.dialect.embeddings, "embeddings", request.model)
        return await self._acall(self._prepare("embeddings", request), op.parse)

    def generate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse:
        op = self._need(self.dialect.images, "images", request.model)
        return self._call(self._prepare("images", request), op.parse)

    async def agenerate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse:
        op = self._need(self.dialect.images, "images", request.model)
        return await self._acall(self._prepare("images", request), op.parse)

    # --- the same API's other endpoints (provider batch jobs, files) ------------------------------------

    def chat_body(self, request: ChatCompletionRequest) -> bytes:
        """The JSON body ``completion(request)`` sends (defaults applied, translated once): what one line
        of a provider batch carries."""
        return self._prepare("chat", request).body

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """``method path`` (relative to the base URL) with this adapter's key, headers and transport; a
        non-2xx answer raises the dialect's typed error, a failure to send the transport's."""
        transport = self._sync(None)
        self._refuse_signed(path)
        try:
            response = transport.request(method, path, content=content, headers=headers)
        except self._failures(transport) as exc:
            raise self._transport_error(exc, None) from exc
        return self._raw(response)

    async def arequest_raw(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """The async twin of :meth:`request_raw`."""
        transport = self._async(None)
        self._refuse_signed(path)
        try:
            response = await transport.request(method, path, content=content, headers=headers)
        except self._failures(transport) as exc:
            raise self._transport_error(exc, None) from exc
        return self._raw(response)

    def _refuse_signed(self, path: str) -> None:
        if self.dialect.sign is not None or self.dialect.asign is not None:
            raise UnsupportedCapabilityError(
                f"{self.dialect.api} signs its requests; {path} cannot be sent raw",
                provider=self.provider_name,
            )

    def _raw(self, response: Any) -> RawResponse:
        body = response.content
        if not 200 <= response.status_code < 300:
            raise self.dialect.read_error(
                response.status_code, response.headers, body, provider=self.provider_name, model=None
            )
        headers = {name.lower(): value for name, value in response.headers.items()}
        return RawResponse(response.status_code, headers, body)

    # --- building a request ----------------------------------------------------------------------------

    def _need(self, op: Operation[R, T] | None, name: str, model: str) -> Operation[R, T]:
        """``op``, or the error saying the dialect has no such operation."""
        if op is None:
            raise UnsupportedCapabilityError(
                f"{self.dialect.api} has no {_WHAT.get(name, name)}", provider=self.provider_name, model=model
            )
        return op

    def _operation(self, name: str, model: str) -> Operation[Any, Any]:
        return self._need(self.dialect.operation(name), name, model)

    def _with_defaults(self, request: R) -> R:
        """``request`` with the configured defaults: a field left ``None`` takes its default; defaults that
        are not fields of the request, and the configured ``extra_body``, go under ``request.extra_body``
        (the request's own values win)."""
        if not self._defaults and not self._default_body:
            return request
        names = _field_names(type(request))
        updates: dict[str, Any] = {}
        extra = dict(self._default_body)
        for name, value in self._defaults.items():
            if name in names:
                if getattr(request, name) is None:
                    updates[name] = value
            else:
                extra[name] = value
        if extra:
            updates["extra_body"] = {**extra, **(getattr(request, "extra_body", None) or {})}
        return dataclasses.replace(request, **updates) if updates else request  # type: ignore[type-var]

    def _prepare(self, name: str, request: Any, *, stream: bool = False) -> PreparedRequest:
        """The request ``name`` (``chat``, ``embeddings``, ``images``) sends: translated by the dialect,
        serialized once. Dropped parameters are warned about here (``stacklevel`` points at the caller of
        the public method that called this)."""
        op = self._operation(name, request.model)
        if stream and self.dialect.stream is None:
            raise UnsupportedCapabilityError(
                f"{self.dialect.api} has no streaming", provider=self.provider_name, model=request.model
            )
        request = self._with_defaults(request)
        body = op.translate(request, self._context(stream))
        if body.dropped:
            warnings.warn(
                f"dropped what {self.dialect.api} cannot take ({request.model}): " + ", ".join(body.dropped),
                ModelwireWarning,
                stacklevel=3,
            )
        if body.merged_extra_body and getattr(request, "extra_body", None):
            request = dataclasses.replace(request, extra_body=None)
        kwargs = TransportKwargs.from_request(request, fields=body.fields, exclude=body.exclude)
        headers = {**body.headers, **kwargs.headers} if body.headers else kwargs.headers
        if body.route is not None:
            template = self._operation(body.route, request.model).path
        elif stream:
            template = self.dialect.stream.path  # type: ignore[union-attr]  # checked above
        else:
            template = op.path
        return PreparedRequest(
            route_path(template, request.model), kwargs.body, headers, kwargs.timeout, request.model
        )

    def _context(self, stream: bool) -> Context:
        """The translation context: two per adapter (streamed or not), rebuilt only if ``drop_params``
        was changed on the adapter."""
        ctx = self._contexts[stream]
        if ctx.drop_params != self.drop_params:
            ctx = self._contexts[stream] = Context(self.provider_name, self.drop_params, stream)
        return ctx

    def _prepare_chat(self, request: ChatCompletionRequest, *, stream: bool = False) -> PreparedRequest:
        """The chat request (streamed or not) as it will be sent."""
        return self._prepare("chat", request, stream=stream)

    # --- transports ------------------------------------------------------------------------------------

    def _closed_error(self, model: str | None) -> ClientClosedError:
        return ClientClosedError(
            f"this {type(self).__name__} ({self.provider_name}) was closed; create a new one to send more "
            "requests",
            provider=self.provider_name,
            model=model,
        )

    def _sync(self, model: str | None = None) -> SyncTransport:
        return self._pools.sync(model)

    def _async(self, model: str | None = None) -> AsyncTransport:
        return self._pools.for_loop(model)

    # --- sending ---------------------------------------------------------------------------------------

    @staticmethod
    def _failures(transport: SyncTransport | AsyncTransport) -> tuple[type[BaseException], ...]:
        lib = transport.library
        failures = _FAILURES.get(lib)
        if failures is None:
            # RuntimeError: httpx's "the client has been closed", met by a call that raced close().
            # ResponseTooLargeError: raised by the transport itself (a body past max_response_bytes).
            failures = _FAILURES[lib] = (
                lib.HTTPError, lib.StreamError, lib.InvalidURL, OSError, RuntimeError, ResponseTooLargeError
            )  # fmt: skip
        return failures

    def _transport_error(self, exc: BaseException, model: str | None) -> ProviderError:
        """The one mapping of a failure met while sending or reading: cut by ``close()`` -> closed, else
        as the transport classifies it (a RuntimeError not caused by a close is not ours to convert)."""
        if self._pools.closed:
            return self._closed_error(model)
        if isinstance(exc, RuntimeError):
            raise exc
        if isinstance(exc, ResponseTooLargeError):  # the transport knows no provider
            return ResponseTooLargeError(
                exc.message, provider=self.provider_name, model=model, should_retry=False
            )
        return from_transport_error(exc, provider=self.provider_name, model=model)

    def _unsigned(self, prepared: PreparedRequest) -> dict[str, Any]:
        return {
            "path": prepared.path,
            "content": prepared.body,
            "headers": prepared.headers,
            "params": prepared.params,
            "timeout": prepared.timeout,
        }

    def _to_sign(
        self, transport: SyncTransport | AsyncTransport, prepared: PreparedRequest
    ) -> OutgoingRequest:
        """The request exactly as it will go out: absolute URL with its query, every header."""
        url = transport.url(prepared.path)
        if prepared.params:
            url += ("&" if "?" in url else "?") + urlencode(prepared.params)
        return OutgoingRequest("POST", url, {**transport.headers, **prepared.headers}, prepared.body)

    @staticmethod
    def _signed(
        outgoing: OutgoingRequest, headers: Mapping[str, str], timeout: float | None
    ) -> dict[str, Any]:
        return {"path": outgoing.url, "content": outgoing.body, "headers": headers, "timeout": timeout}

    def _sync_args(self, transport: SyncTransport, prepared: PreparedRequest) -> dict[str, Any]:
        """The transport's arguments for one attempt (signed, when the dialect signs)."""
        sign = self.dialect.sign
        if sign is None:
            return self._unsigned(prepared)
        outgoing = self._to_sign(transport, prepared)
        return self._signed(outgoing, sign(outgoing), prepared.timeout)

    async def _async_args(self, transport: AsyncTransport, prepared: PreparedRequest) -> dict[str, Any]:
        dialect = self.dialect
        if dialect.asign is None and dialect.sign is None:
            return self._unsigned(prepared)
        outgoing = self._to_sign(transport, prepared)
        if dialect.asign is not None:
            headers = await dialect.asign(outgoing)
        else:
            assert dialect.sign is not None
            headers = dialect.sign(outgoing)
        return self._signed(outgoing, headers, prepared.timeout)

    def _call(self, prepared: PreparedRequest, parse: Callable[[bytes, str], T]) -> T:
        transport = self._sync(prepared.model)
        try:
            response = transport.request("POST", **self._sync_args(transport, prepared))
        except self._failures(transport) as exc:
            raise self._transport_error(exc, prepared.model) from exc
        return self._decode(response, prepared.model, parse)

    async def _acall(self, prepared: PreparedRequest, parse: Callable[[bytes, str], T]) -> T:
        transport = self._async(prepared.model)
        try:
            response = await transport.request("POST", **await self._async_args(transport, prepared))
        except self._failures(transport) as exc:
            raise self._transport_error(exc, prepared.model) from exc
        return self._decode(response, prepared.model, parse)

    def _status_error(self, response: Any, body: bytes, model: str) -> ProviderError:
        return self.dialect.read_error(
            response.status_code, response.headers, body, provider=self.provider_name, model=model
        )

    def _decode(self, response: Any, model: str, parse: Callable[[bytes, str], T]) -> T:
        body = response.content
        if not 200 <= response.status_code < 300:
            raise self._status_error(response, body, model)
        try:
            return parse(body, self.provider_name)
        except ResponseParseError as exc:
            if exc.path == "error":  # an error object sent with a 2xx status (OpenRouter, proxies)
                raise self._status_error(response, body, model) from None
            if exc.model is None:
                exc.model = model
            raise

    # --- streaming -------------------------------------------------------------------------------------

    def _stream_call(self, prepared: PreparedRequest) -> StreamCall:
        """What a chat stream needs from this adapter, as declared callables."""
        parse = self.dialect.chat.parse
        stream = self.dialect.stream
        assert stream is not None  # _prepare refused a dialect without streaming
        return StreamCall(
            provider=self.provider_name,
            model=prepared.model,
            format=stream.format,
            open=lambda: self._open_stream(prepared),
            aopen=lambda: self._aopen_stream(prepared),
            decode=lambda response: self._decode(response, prepared.model, parse),
            read_error=self.dialect.read_stream_error,
            chunks=lambda response, within: self._sync(prepared.model).stream_chunks(response, within),
            achunks=lambda response, within: self._async(prepared.model).stream_chunks(response, within),
            idle=self._stream_idle(prepared),
            read=lambda response: self._sync(prepared.model).read(response),
            aread=lambda response: self._async(prepared.model).aread(response),
        )

    def _stream_idle(self, prepared: PreparedRequest) -> float | None:
        """Seconds a stream may go without an event: this request's read timeout."""
        return self._timeouts.with_total(prepared.timeout).read

    @contextmanager
    def _open_stream(self, prepared: PreparedRequest) -> Iterator[Any]:
        """The streaming seam: yields a 2xx response whose body is not read yet. Transport failures while
        the caller reads it become ``ProviderError``s; an error status is raised before anything is
        yielded."""
        transport = self._sync(prepared.model)
        failures = self._failures(transport)
        try:
            with transport.stream("POST", **self._sync_args(transport, prepared)) as response:
                if not 200 <= response.status_code < 300:
                    raise self._status_error(response, transport.read(response), prepared.model)
                yield response
        except failures as exc:
            raise self._transport_error(exc, prepared.model) from exc

    @asynccontextmanager
    async def _aopen_stream(self, prepared: PreparedRequest) -> AsyncIterator[Any]:
        """The async twin of :meth:`_open_stream`."""
        transport = self._async(prepared.model)
        failures = self._failures(transport)
        try:
            async with transport.stream("POST", **await self._async_args(transport, prepared)) as response:
                if not 200 <= response.status_code < 300:
                    raise self._status_error(response, await transport.aread(response), prepared.model)
                yield response
        except failures as exc:
            raise self._transport_error(exc, prepared.model) from exc

    # --- lifecycle -------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether ``close()`` / ``aclose()`` was called (the adapter then refuses every call)."""
        return self._pools.closed

    def close(self) -> None:
        """Close the adapter for good: the sync pool now; async pools of loops still running are closed on
        their loop, those of loops that have ended are let go. Later calls raise ``ClientClosedError``, and
        calls in flight fail with it instead of whatever the cut connection gave. Clients passed in by the
        user stay open (they are theirs). From async code prefer ``aclose()``: it awaits the loop's pool."""
        self._pools.close()

    async def aclose(self) -> None:
        """Close every pool: this loop's (awaited), other live loops' (scheduled on them), the sync one.
        Call it before the loop ends (``async with adapter:``); later calls raise ``ClientClosedError``."""
        await self._pools.aclose()

    def __enter__(self: A) -> A:
        if self._pools.closed:
            raise self._closed_error(None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self: A) -> A:
        if self._pools.closed:
            raise self._closed_error(None)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = " closed" if self._pools.closed else ""
        return f"<{type(self).__name__} {self.provider_name} {self.base_url}{state}>"
