"""aiohttp's failures in httpx's vocabulary: the one place the aiohttp transport's errors are mapped.

The rest of modelwire (``errors.transport``, the adapters' failure tuple) speaks httpx's exception
classes, so the aiohttp transport raises those, each chained to the aiohttp error it stands for: a refused
or unreachable host is ``ConnectError``, a connect or read deadline ``ConnectTimeout`` / ``ReadTimeout``, a
connection dropped or reset mid-exchange ``RemoteProtocolError`` / ``ReadError`` (as httpx reports them
for the same socket faults), a malformed answer ``RemoteProtocolError``, a certificate or TLS failure
``ConnectError`` with the ``ssl`` error kept in the chain (so a certificate failure is still told apart
as not retryable).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx

__all__ = ["CLIENT_ERRORS", "as_httpx_error"]

# What the aiohttp transport catches while sending or reading: aiohttp's own errors (its timeouts among
# them) and the OS errors under them (an unwrapped reset can surface from a read).
CLIENT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError)

# Most specific first: the first class ``exc`` is an instance of decides.
_MAP: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake and certificate
    (aiohttp.ClientSSLError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # body cut short, bad chunking/encoding
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # an unparsable status line or header
    (aiohttp.ClientConnectionResetError, httpx.ReadError),
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.ClientConnectionError, httpx.ReadError),
    (ConnectionResetError, httpx.ReadError),
    (BrokenPipeError, httpx.WriteError),
    (OSError, httpx.ReadError),
)


def _request(method: str, url: Any) -> httpx.Request | None:
    try:
        return httpx.Request(method, str(url))
    except Exception:  # an URL httpx cannot even hold
        return None


def as_httpx_error(exc: BaseException, method: str, url: Any) -> Exception:
    """The httpx exception standing for ``exc`` (raise it ``from exc``), with the request attached so the
    error names the host (never the path or query)."""
    if isinstance(exc, aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(f"the URL has an unsupported scheme: {exc}")
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.InvalidURL(f"the URL is invalid: {exc}")
    cls = next((target for source, target in _MAP if isinstance(exc, source)), httpx.TransportError)
    text = str(exc).strip() or type(exc).__name__
    return cls(text, request=_request(method, url))
