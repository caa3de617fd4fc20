"""Failures below HTTP (httpx, httpx2, or the OS errors under them) -> one ``ProviderError``.

Nothing here imports httpx or httpx2: exceptions are matched by the class names in their MRO, which both
libraries share (``httpx2`` adds ``SSEError``), so a user's httpx2 client works without loading httpx.

Retryability follows the kind: a connection refused, reset or dropped mid-request (``ReadError``,
``RemoteProtocolError``) is ``api_connection`` and retryable; connect/read/write timeouts are the
provider's ``timeout``; a ``PoolTimeout`` is ``pool_timeout``: our own pool was full and the provider was
never asked, which a retry layer and an AIMD limiter must not read as the provider being slow.

A TLS certificate or configuration failure (an unverifiable certificate, TLS spoken to a plain-HTTP port,
no protocol version or cipher in common) is ``api_connection`` but **not retryable**: the same handshake
fails the same way, so the message says so and the retry layer moves on at once. A handshake cut short
(``SSLEOFError``, a reset) stays retryable.
"""

from __future__ import annotations

import re
from typing import Any, Final

from modelwire.errors._text import MESSAGE_LIMIT, clean
from modelwire.errors.classify import classify_response
from modelwire.exceptions import ErrorKind, ProviderError, error_class_for

__all__ = ["from_transport_error"]

K = ErrorKind

# Class name -> (kind, what happened). The MRO is walked from the most specific class, so e.g. httpx's
# ConnectTimeout is found before its base TimeoutException, and ConnectionRefusedError before OSError.
_BY_NAME: Final[dict[str, tuple[ErrorKind, str]]] = {
    "PoolTimeout": (K.POOL_TIMEOUT, "no pooled connection to {where} became free in time; nothing was sent"),
    "ConnectTimeout": (K.TIMEOUT, "timed out connecting to {where}"),
    "ReadTimeout": (K.TIMEOUT, "timed out waiting for {where} to send the response"),
    "WriteTimeout": (K.TIMEOUT, "timed out sending the request to {where}"),
    "TimeoutException": (K.TIMEOUT, "timed out talking to {where}"),
    "ConnectError": (K.API_CONNECTION, "could not connect to {where}"),
    "ReadError": (K.API_CONNECTION, "the connection to {where} failed while reading the response"),
    "WriteError": (K.API_CONNECTION, "the connection to {where} failed while sending the request"),
    "CloseError": (K.API_CONNECTION, "the connection to {where} failed while closing"),
    "RemoteProtocolError": (K.API_CONNECTION, "{where} dropped the connection or broke the HTTP protocol"),
    "ProxyError": (K.API_CONNECTION, "the proxy to {where} failed"),
    "NetworkError": (K.API_CONNECTION, "the connection to {where} failed"),
    "ProtocolError": (K.API_CONNECTION, "the HTTP exchange with {where} failed"),
    "TransportError": (K.API_CONNECTION, "the connection to {where} failed"),
    "SSEError": (K.INVALID_RESPONSE, "the event stream from {where} could not be read"),
    "DecodingError": (K.INVALID_RESPONSE, "the response body from {where} could not be decoded"),
    "LocalProtocolError": (K.API_ERROR, "the request to {where} could not be sent as built"),
    "UnsupportedProtocol": (K.API_ERROR, "the URL for {where} has an unsupported scheme"),
    "InvalidURL": (K.API_ERROR, "the URL is invalid"),
    "TooManyRedirects": (K.API_ERROR, "too many redirects from {where}"),
    "StreamError": (K.API_ERROR, "the response stream from {where} was used after it was closed or read"),
    # The OS errors under any HTTP client (also what a bare socket raises).
    "ConnectionRefusedError": (K.API_CONNECTION, "{where} refused the connection"),
    "ConnectionResetError": (K.API_CONNECTION, "{where} reset the connection"),
    "ConnectionAbortedError": (K.API_CONNECTION, "the connection to {where} was aborted"),
    "BrokenPipeError": (K.API_CONNECTION, "the connection to {where} was closed while sending"),
    "TimeoutError": (K.TIMEOUT, "timed out talking to {where}"),
    "SSLError": (K.API_CONNECTION, "the TLS connection to {where} failed"),
    "OSError": (K.API_CONNECTION, "the connection to {where} failed"),
    "EOFError": (K.API_CONNECTION, "{where} closed the connection"),
}


# OpenSSL reasons that a retry cannot fix: the certificate, the protocol version or the ciphers.
_TLS_CONFIG_REASONS: Final = frozenset(
    {
        "CERTIFICATE_VERIFY_FAILED",
        "WRONG_VERSION_NUMBER",
        "UNSUPPORTED_PROTOCOL",
        "NO_PROTOCOLS_AVAILABLE",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "SSLV3_ALERT_HANDSHAKE_FAILURE",
        "NO_SHARED_CIPHER",
        "TLSV1_ALERT_UNKNOWN_CA",
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        "TLSV1_ALERT_DECRYPT_ERROR",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "TLSV1_UNRECOGNIZED_NAME",
        "CA_MD_TOO_WEAK",
        "EE_KEY_TOO_SMALL",
    }
)
_SSL_REASON: Final = re.compile(r"\[SSL: ([A-Z0-9_]+)\]")


def _tls_config_failure(exc: BaseException) -> bool:
    """A certificate or TLS configuration error anywhere in ``exc``'s chain (httpx wraps the ssl error)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        names = {cls.__name__ for cls in type(seen).__mro__}
        if "SSLCertVerificationError" in names:
            return True
        reason = getattr(seen, "reason", None) if "SSLError" in names else None
        found = _SSL_REASON.search(str(seen))
        if reason in _TLS_CONFIG_REASONS or (found is not None and found.group(1) in _TLS_CONFIG_REASONS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _where(exc: BaseException) -> str:
    """``host:port`` of the request, never its path or query (a Gemini key may sit in ``?key=``)."""
    try:
        url: Any = exc.request.url  # type: ignore[attr-defined]
        host = str(url.host)
        port = url.port
    except Exception:  # no request attached (httpx raises RuntimeError), or not an httpx exception
        return "the provider"
    if not host:
        return "the provider"
    return f"{host}:{port}" if port else host


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    if not text and exc.__cause__ is not None:
        text = str(exc.__cause__).strip()
    if not text and exc.__context__ is not None:
        text = str(exc.__context__).strip()
    return text


def _http_status_error(exc: BaseException, provider: str, model: str | None) -> ProviderError | None:
    try:
        response: Any = exc.response  # type: ignore[attr-defined]
        status = int(response.status_code)
        headers = response.headers
    except Exception:
        return None
    try:
        content = response.content
    except Exception:  # a streamed response that was never read
        content = b""
    return classify_response(status, headers, content, provider=provider, model=model)


def from_transport_error(exc: BaseException, *, provider: str, model: str | None = None) -> ProviderError:
    """The ``ProviderError`` for a failure below HTTP; ``exc`` is kept as ``__cause__``."""
    if isinstance(exc, ProviderError):
        return exc
    error: ProviderError | None = None
    names = [cls.__name__ for cls in type(exc).__mro__]
    if "HTTPStatusError" in names:
        error = _http_status_error(exc, provider, model)
    if error is None:
        kind, what = next(
            (_BY_NAME[name] for name in names if name in _BY_NAME),
            (K.API_ERROR, "unexpected failure talking to {where}"),
        )
        where = _where(exc)
        detail = _detail(exc)
        tls = kind is K.API_CONNECTION and _tls_config_failure(exc)
        if tls:
            what = "the TLS handshake with {where} failed on its certificate or configuration (not retried)"
        message = what.format(where=where)
        if detail:
            message = f"{message}: {detail}"
        message = clean(f"{message} ({type(exc).__name__})", MESSAGE_LIMIT)
        error = error_class_for(kind)(message, kind=kind, provider=provider, model=model)
        if tls:
            error.should_retry = False
    error.__cause__ = exc
    return error
