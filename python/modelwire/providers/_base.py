"""What every HTTP adapter shares: keys, transports (sync, and async per event loop), sending, error
classification, request defaults, lifecycle.

An adapter turns a canonical request into a :class:`PreparedRequest` (path, JSON body bytes, per-request
headers, query, timeout) and hands it to :meth:`HttpAdapter._call` / :meth:`HttpAdapter._acall` with a
parser. Every non-2xx answer goes through ``classify_response`` and every httpx/httpx2 failure through
``from_transport_error``; nothing here retries.

Streaming builds on the same pieces: ``_prepare_chat(request, stream=True)`` gives the streamed body and
:meth:`HttpAdapter._open_stream` / :meth:`HttpAdapter._aopen_stream` yield a response whose status was
2xx (an error status is read and raised as its ``ProviderError``), converting transport failures met while
its body is read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar

from modelwire._constants import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_POOL_TIMEOUT
from modelwire._redact import register_secret
from modelwire.errors import classify_response, from_transport_error
from modelwire.exceptions import AuthenticationError, ProviderError, ResponseParseError
from modelwire.providers.catalog import env_value
from modelwire.transport import AsyncTransport, SyncTransport, Timeouts, TimeoutSpec

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["HttpAdapter", "PreparedRequest", "resolve_api_key", "spec_options"]

T = TypeVar("T")
R = TypeVar("R")
USER_AGENT: Final = "modelwire/0.1.0"
# Fields a request must carry itself; a default for one of them would silently replace the caller's.
_REQUIRED: Final = frozenset({"model", "messages", "inputs", "prompt"})


@dataclasses.dataclass(frozen=True, slots=True)
class PreparedRequest:
    """One HTTP call, ready to send: ``path`` is relative to the adapter's base URL (or absolute)."""

    path: str
    body: bytes
    headers: Mapping[str, str]
    timeout: float | None
    model: str
    params: Mapping[str, str] | None = None


def resolve_api_key(api_key: Any, *, provider: str, env: tuple[str, ...], required: bool) -> str | None:
    """The key: the argument (a string or a ``SecretStr``), else the first of ``env`` that is set. A missing
    required key raises ``AuthenticationError`` naming the variables. The key is registered for redaction."""
    if api_key is not None and hasattr(api_key, "get_secret_value"):
        api_key = api_key.get_secret_value()
    if api_key is not None and not isinstance(api_key, str):
        raise TypeError(f"api_key must be a string, not {type(api_key).__name__}")
    key = api_key or env_value(env)[0]
    if not key:
        if required:
            where = " or ".join(env) if env else "an api_key_env"
            raise AuthenticationError(
                f"no API key for provider {provider!r}: pass api_key= or set {where}", provider=provider
            )
        return None
    register_secret(key)
    return key


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
        "base_url": spec.api_base,
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


def _is_async(obj: Any, method: str) -> bool:
    return inspect.iscoroutinefunction(getattr(obj, method, None))


class HttpAdapter:
    """Base of the HTTP adapters. Subclasses set ``provider_name`` and implement the operations."""

    def __init__(
        self,
        *,
        provider_name: str,
        base_url: str,
        headers: Mapping[str, str],
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
        self.provider_name = provider_name
        self.base_url = base_url.rstrip("/")
        self.drop_params = drop_params
        self._headers = {"accept": "application/json", "user-agent": USER_AGENT, **headers}
        self._timeout = timeout
        self._max_concurrency = max_concurrency
        self._max_response_bytes = max_response_bytes
        self._trust_env = trust_env
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._user_transport = transport
        self._user_async_transport = async_transport
        self._defaults = dict(default_params or {})
        self._default_body = dict(extra_body or {})
        self._lock = threading.Lock()
        self._sync_transport: SyncTransport | None = None
        # One async transport per event loop: an httpx AsyncClient cannot outlive the loop it ran on, and
        # callers do run asyncio.run() more than once. A user's async client is shared (key None).
        self._async_transports: dict[asyncio.AbstractEventLoop | None, AsyncTransport] = {}

    # --- capabilities (the ModelClient defaults; subclasses narrow them) --------------------------------

    def supports_chat_completion(self) -> bool:
        return True

    def supports_embeddings(self) -> bool:
        return True

    def supports_image_generation(self) -> bool:
        return True

    # --- request defaults ------------------------------------------------------------------------------

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

    # --- transports ------------------------------------------------------------------------------------

    def _sync(self) -> SyncTransport:
        transport = self._sync_transport
        if transport is not None:
            return transport
        with self._lock:
            if self._sync_transport is None:
                self._sync_transport = SyncTransport(
                    self.base_url,
                    timeout=self._timeout,
                    max_connections=self._max_concurrency,
                    headers=self._headers,
                    client=self._http_client,
                    transport=self._user_transport,
                    max_response_bytes=self._max_response_bytes,
                    trust_env=self._trust_env,
                )
            return self._sync_transport

    def _async(self) -> AsyncTransport:
        shared = self._async_http_client is not None or self._user_async_transport is not None
        key = None if shared else asyncio.get_running_loop()
        transport = self._async_transports.get(key)
        if transport is not None:
            return transport
        with self._lock:
            transport = self._async_transports.get(key)
            if transport is None:
                self._forget_dead_loops()
                transport = AsyncTransport(
                    self.base_url,
                    timeout=self._timeout,
                    max_connections=self._max_concurrency,
                    headers=self._headers,
                    client=self._async_http_client,
                    transport=self._user_async_transport,
                    max_response_bytes=self._max_response_bytes,
                    trust_env=self._trust_env,
                )
                self._async_transports[key] = transport
            return transport

    def _forget_dead_loops(self) -> None:
        """Drop the pools of event loops that have ended (their connections died with them). Lock held."""
        for loop in [loop for loop in self._async_transports if loop is not None and loop.is_closed()]:
            del self._async_transports[loop]

    # --- sending ---------------------------------------------------------------------------------------

    @staticmethod
    def _failures(transport: SyncTransport | AsyncTransport) -> tuple[type[BaseException], ...]:
        lib = transport.library  # ProviderError: what the transport raises itself (a body too large)
        return (lib.HTTPError, lib.StreamError, lib.InvalidURL, OSError, ProviderError)

    def _transport_error(self, exc: BaseException, model: str | None) -> ProviderError:
        error = from_transport_error(exc, provider=self.provider_name, model=model)
        error.provider, error.model = error.provider or self.provider_name, error.model or model
        return error

    def _call(self, prepared: PreparedRequest, parse: Callable[[bytes, str], T]) -> T:
        transport = self._sync()
        try:
            response = transport.request(
                "POST",
                prepared.path,
                content=prepared.body,
                headers=prepared.headers,
                params=prepared.params,
                timeout=prepared.timeout,
            )
        except self._failures(transport) as exc:
            raise self._transport_error(exc, prepared.model) from exc
        return self._decode(response, prepared.model, parse)

    async def _acall(self, prepared: PreparedRequest, parse: Callable[[bytes, str], T]) -> T:
        transport = self._async()
        try:
            response = await transport.request(
                "POST",
                prepared.path,
                content=prepared.body,
                headers=prepared.headers,
                params=prepared.params,
                timeout=prepared.timeout,
            )
        except self._failures(transport) as exc:
            raise self._transport_error(exc, prepared.model) from exc
        return self._decode(response, prepared.model, parse)

    def _status_error(self, response: Any, body: bytes, model: str) -> ProviderError:
        return classify_response(
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

    @contextmanager
    def _open_stream(self, prepared: PreparedRequest) -> Iterator[Any]:
        """The streaming seam: yields a 2xx response whose body is not read yet. Transport failures while
        the caller reads it become ``ProviderError``s; an error status is raised before anything is
        yielded."""
        transport = self._sync()
        failures = self._failures(transport)
        try:
            with transport.stream(
                "POST",
                prepared.path,
                content=prepared.body,
                headers=prepared.headers,
                params=prepared.params,
                timeout=prepared.timeout,
            ) as response:
                if not 200 <= response.status_code < 300:
                    raise self._status_error(response, response.read(), prepared.model)
                yield response
        except failures as exc:
            raise self._transport_error(exc, prepared.model) from exc

    @asynccontextmanager
    async def _aopen_stream(self, prepared: PreparedRequest) -> AsyncIterator[Any]:
        """The async twin of :meth:`_open_stream`."""
        transport = self._async()
        failures = self._failures(transport)
        try:
            async with transport.stream(
                "POST",
                prepared.path,
                content=prepared.body,
                headers=prepared.headers,
                params=prepared.params,
                timeout=prepared.timeout,
            ) as response:
                if not 200 <= response.status_code < 300:
                    raise self._status_error(response, await response.aread(), prepared.model)
                yield response
        except failures as exc:
            raise self._transport_error(exc, prepared.model) from exc

    def _stream_idle(self, prepared: PreparedRequest) -> float | None:
        """Seconds a stream may go without an event: this request's read timeout."""
        timeouts = Timeouts() if self._timeout is ... else Timeouts.of(self._timeout)
        return timeouts.with_total(prepared.timeout).read

    def _stream_chunks(self, response: Any) -> Iterator[bytes]:
        """The body of a response yielded by :meth:`_open_stream`, within the transport's caps."""
        return self._sync().stream_chunks(response)

    def _astream_chunks(self, response: Any) -> AsyncIterator[bytes]:
        return self._async().stream_chunks(response)

    # --- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connection pool. Async pools of a running loop need ``aclose()``; those of loops
        that have ended are let go. Clients passed in by the user stay open (they are theirs). The adapter
        stays usable: a later call opens a new pool."""
        with self._lock:
            sync, self._sync_transport = self._sync_transport, None
            self._forget_dead_loops()
        if sync is not None:
            sync.close()

    async def aclose(self) -> None:
        """Close every pool: this loop's (awaited), other live loops' (scheduled on them), the sync one.
        Call it before the loop ends (``async with adapter:``); a later call opens new pools."""
        current = asyncio.get_running_loop()
        with self._lock:
            sync, self._sync_transport = self._sync_transport, None
            transports, self._async_transports = self._async_transports, {}
        errors: list[BaseException] = []
        for loop, transport in transports.items():
            if loop is None or loop is current:
                try:
                    await transport.aclose()
                except Exception as exc:  # close the rest before reporting
                    errors.append(exc)
            elif not loop.is_closed():
                asyncio.run_coroutine_threadsafe(transport.aclose(), loop)
        if sync is not None:
            sync.close()
        if errors:
            raise errors[0]

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.provider_name} {self.base_url}>"
