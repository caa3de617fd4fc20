"""modelwire errors as Data Designer's ``ProviderError`` (``data_designer.engine.models.clients.errors``).

Data Designer's request executor, scheduler and facade catch *its* ``ProviderError`` and branch on its
``ProviderErrorKind``; an adapter serving it must raise that class. The kinds Data Designer has are kept;
each modelwire-only kind becomes the Data Designer kind whose handling it needs (``DATA_DESIGNER_KIND``).
Data Designer is imported only here, lazily: without it installed, modelwire's own errors (which carry the
same attribute names) are raised unchanged.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from modelwire.exceptions import ErrorKind, ProviderError

__all__ = ["DATA_DESIGNER_KIND", "data_designer_kind", "to_data_designer_error"]

_DD_ERRORS: Final = "data_designer.engine.models.clients.errors"

DATA_DESIGNER_KIND: Final[dict[ErrorKind, str]] = {
    # 503/529 "overloaded": Data Designer's scheduler retries internal_server (ModelInternalServerError),
    # as its own client classifies a 503/529.
    ErrorKind.OVERLOADED: "internal_server",
    # A content-filter 400 is a bad_request to Data Designer's own status mapping.
    ErrorKind.CONTENT_POLICY: "bad_request",
    # Our pool had no free connection in time: what httpx's PoolTimeout gives in Data Designer (timeout,
    # retried by its scheduler).
    ErrorKind.POOL_TIMEOUT: "timeout",
    # A 2xx body that could not be read: Data Designer's parse_json_body raises api_error for non-JSON.
    ErrorKind.INVALID_RESPONSE: "api_error",
    # A stream cut mid-answer (Data Designer does not stream): a connection failure.
    ErrorKind.STREAM_INTERRUPTED: "api_connection",
    # Raised by modelwire's policy layer only, never by an adapter; no Data Designer kind is closer.
    ErrorKind.REFUSAL: "api_error",
    # Use after close(): Data Designer's own adapters end up with api_error (httpx's RuntimeError), not
    # retried; a closed client stays closed.
    ErrorKind.CLIENT_CLOSED: "api_error",
}


def data_designer_kind(kind: ErrorKind) -> str:
    """The Data Designer ``ProviderErrorKind`` value for ``kind`` (the first 15 kinds are shared)."""
    return DATA_DESIGNER_KIND.get(kind, kind.value)


def to_data_designer_error(error: ProviderError, *, provider_name: str | None = None) -> Exception:
    """``error`` as Data Designer's ``ProviderError`` (the modelwire error is its ``__cause__``); ``error``
    itself, relabelled with ``provider_name``, when Data Designer is not installed."""
    try:
        dd = importlib.import_module(_DD_ERRORS)
    except ImportError:
        if provider_name is not None:
            error.provider = provider_name
        return error
    kwargs: dict[str, Any] = {
        "kind": dd.ProviderErrorKind(data_designer_kind(error.kind)),
        "message": error.message,
        "status_code": error.status_code,
        "provider_name": provider_name or error.provider,
        "model_name": error.model,
        "retry_after": error.retry_after,
        "cause": error,
    }
    converted: Exception = dd.ProviderError(**kwargs)
    return converted
