"""The async transport over aiohttp: modelwire's default when aiohttp is installed (``modelwire[fast]``).

Same seam as :class:`~modelwire.transport.http.AsyncTransport` (it is one), a fraction of httpx's CPU per
request (docs/transport.md has the numbers). What it keeps of the httpx transport:

- timeouts: ``connect`` and ``read`` (each socket read) go to aiohttp; ``pool`` bounds the wait for one of
  ``max_connections`` slots, and the connector holds exactly that many connections; ``total`` bounds a
  whole non-streamed response, ``stream_total`` a stream (``transport.body``). aiohttp has no write
  timeout of its own: opening a stream (connect, send, wait for the head) is bounded by connect + write +
  read together, and a non-streamed request by ``total``.
- TLS: the ``ssl`` context httpx would build (certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``
  when ``trust_env``), so verification and custom CA bundles behave the same.
- proxies from ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` when ``trust_env``, read
  once per URL (as httpx reads them once per client), not on every request as aiohttp's ``trust_env`` does.
- redirects are not followed (neither does the httpx client modelwire builds): a 3xx is an answer.
- HTTP/1.1 with keep-alive (aiohttp speaks no HTTP/2; neither does the httpx client modelwire builds).
- bodies read in chunks under ``max_response_bytes``; streams with backpressure (aiohttp stops reading the
  socket while its buffer is full).
- every failure raised as the httpx exception for it (``transport.aiohttp_errors``), so the error taxonomy
  is the same on both transports.
- after ``os.fork()`` the child gets a fresh session (the parent's is let go, not closed).

The aiohttp session belongs to the event loop it was made on, so it is made on the first request.
"""

from __future__ import annotations

import asyncio
import io
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any

import aiohttp
import httpx
from yarl import URL

from modelwire._constants import DEFAULT_KEEPALIVE_EXPIRY, DEFAULT_MAX_RESPONSE_BYTES
from modelwire.transport.aiohttp_errors import CLIENT_ERRORS, as_httpx_error
from modelwire.transport.http import _JOINED_MAX, _LIVE, AsyncTransport, _TransportBase
from modelwire.transport.timeouts import Timeouts, TimeoutSpec

__all__ = ["AiohttpResponse", "AiohttpTransport"]

_LARGE_BODY = 1 << 20  # aiohttp's own threshold for a bytes body it would rather get as a file


class AiohttpResponse:
    """An aiohttp response as the transport seam hands it out: ``status_code``, ``headers`` (case-insensitive
    ``get``), ``content`` once read, ``aiter_raw()`` / ``aiter_bytes()`` (both decoded: aiohttp
    decompresses), and ``request`` (built only when an error needs to name the host). Leaving it (``async
    with``) gives the connection back when the body was read to its end, else closes it."""

    __slots__ = ("_content", "_method", "_raw", "_url", "headers", "status_code")

    def __init__(self, raw: aiohttp.ClientResponse, method: str, url: URL) -> None:
        self._raw = raw
        self._method = method
        self._url = url
        self.status_code = raw.status
        self.headers = raw.headers
        self._content: bytes | None = None

    @property
    def content(self) -> bytes:
        if self._content is None:
            raise httpx.ResponseNotRead()
        return self._content

    @property
    def request(self) -> httpx.Request:
        return httpx.Request(self._method, str(self._url))

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        reader = self._raw.content
        try:
            while True:
                chunk = await reader.readany()
                if not chunk:
                    return
                yield chunk
        except CLIENT_ERRORS as exc:
            raise as_httpx_error(exc, self._method, self._url) from exc

    aiter_bytes = aiter_raw

    async def __aenter__(self) -> AiohttpResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        raw = self._raw
        if raw.content.is_eof():
            raw.release()
        else:
            raw.close()


class _Connector(aiohttp.TCPConnector):
    """aiohttp's connector, except that a connection closed with bytes still queued for a peer that stopped
    reading is aborted: a plain close would wait for the queue to drain, keeping the socket open forever."""

    def _release(self, key: Any, protocol: Any, *args: Any, **kwargs: Any) -> None:
        transport = protocol.transport
        super()._release(key, protocol, *args, **kwargs)
        if transport is not None and transport.is_closing() and transport.get_write_buffer_size():
            transport.abort()


class AiohttpTransport(AsyncTransport):
    """The async transport over an aiohttp session of its own (a user's client is httpx's or httpx2's and
    goes to :class:`AsyncTransport`)."""

    library = httpx  # the vocabulary its errors are raised in

    def __init__(
        self,
        base_url: str,
        *,
        timeout: TimeoutSpec = ...,
        max_connections: int | None = None,
        headers: Mapping[str, str] | None = None,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
    ) -> None:
        _TransportBase.__init__(
            self,
            base_url,
            timeout=timeout,
            max_connections=max_connections,
            headers=headers,
            max_response_bytes=max_response_bytes,
        )
        self._owns_client = True
        self._user_transport = None
        self._trust_env = trust_env
        self.client: aiohttp.ClientSession | None = None  # made on the first request, on its loop
        self._ssl: ssl.SSLContext | None = None
        self._urls: dict[str, tuple[URL, URL | None]] = {}
        self._client_timeout = self._aiohttp_timeout(self.timeouts)
        self._slots = asyncio.Semaphore(self.max_connections)
        _LIVE.add(self)

    @staticmethod
    def _aiohttp_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=None, sock_connect=timeouts.connect, sock_read=timeouts.read)

    def _session(self) -> aiohttp.ClientSession:
        if self._ssl is None:  # the context httpx would use: same CA bundle, same environment variables
            self._ssl = httpx.create_ssl_context(trust_env=self._trust_env)
        connector = _Connector(
            limit=self.max_connections,
            limit_per_host=0,
            keepalive_timeout=DEFAULT_KEEPALIVE_EXPIRY,
            ssl=self._ssl,
        )
        self.client = aiohttp.ClientSession(
            connector=connector,
            headers=self.headers,  # merged into each request by aiohttp: built once here
            timeout=self._client_timeout,
            trust_env=False,  # the proxy environment is read once per URL (_url_of), not per request
            auto_decompress=True,
            skip_auto_headers=("Content-Type",),
        )
        return self.client

    def _renew(self) -> None:
        # The inherited session belongs to the parent's event loop: let go, not closed (that needs the loop).
        self._inherited = self.client
        self.client = None
        self._slots = asyncio.Semaphore(self.max_connections)

    def _url_of(self, path: str) -> tuple[URL, URL | None]:
        """The absolute URL of ``path`` and its proxy, joined, parsed and looked up once per path (never
        re-encoded)."""
        known = self._urls.get(path)
        if known is None:
            url = URL(self.url(path), encoded=True)
            known = url, (_env_proxy(url) if self._trust_env else None)
            if len(self._urls) < _JOINED_MAX:  # an adapter has a handful of paths; a signed one per model
                self._urls[path] = known
        return known

    async def _send(
        self,
        method: str,
        path: str,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        timeouts: Timeouts,
        *,
        streamed: bool,
    ) -> AiohttpResponse:
        origin, proxy = self._url_of(path)
        url = origin.update_query(params) if params else origin
        timeout = self._client_timeout if timeouts is self.timeouts else self._aiohttp_timeout(timeouts)
        session = self.client if self.client is not None and not self.client.closed else self._session()
        data: bytes | io.BytesIO | None = content
        if content is not None and len(content) > _LARGE_BODY:
            data = io.BytesIO(content)  # sent in pieces with its length declared, as aiohttp advises
        sending = session.request(
            method, url, data=data, headers=headers, timeout=timeout, allow_redirects=False, proxy=proxy
        )
        if not streamed:  # bounded by the whole-response timeout the caller holds
            return await _answer(sending, method, url)
        started = time.monotonic()
        try:
            async with asyncio.timeout(_opening_budget(timeouts)):
                return await _answer(sending, method, url)
        except TimeoutError:
            waited = time.monotonic() - started
            raise httpx.WriteTimeout(
                f"sending the request and waiting for the response head took {waited:.3g}s "
                "(more than connect + write + read)",
                request=httpx.Request(method, str(origin)),
            ) from None

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.close()


async def _answer(sending: Awaitable[aiohttp.ClientResponse], method: str, url: URL) -> AiohttpResponse:
    """The response head ``sending`` waits for, any failure raised as the httpx exception for it."""
    try:
        raw = await sending
    except CLIENT_ERRORS as exc:
        raise as_httpx_error(exc, method, url) from exc
    return AiohttpResponse(raw, method, url)


def _opening_budget(timeouts: Timeouts) -> float | None:
    phases = (timeouts.connect, timeouts.write, timeouts.read)
    return None if any(p is None for p in phases) else sum(p for p in phases if p is not None)


def _env_proxy(url: URL) -> URL | None:
    """The proxy the environment names for ``url`` (its scheme's, else ``ALL_PROXY``), unless ``NO_PROXY``
    exempts its host."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # public, untyped
    if not proxy or bypass(url.host or "", proxies):
        return None
    return URL(proxy if "://" in proxy else f"http://{proxy}")
