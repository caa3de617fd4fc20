"""Amazon Bedrock runtime errors (InvokeModel, Converse and their streams).

The signal is the exception name: the ``x-amzn-errortype`` header (``ValidationException:http://...``),
or ``__type`` in the body (``com.amazon.coral.service#ThrottlingException``), or, inside an event stream,
the event's own name (``{"throttlingException": {"message": ...}}``). The body is just ``{"message"}``
(sometimes ``Message``). A ``ModelErrorException`` carries the model's own status in
``originalStatusCode``; that status then decides.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.errors._generic import message_of
from modelwire.errors._kinds import Reading, kind_for_status, normalize_code, refine_by_message, status_from
from modelwire.exceptions import ErrorKind

__all__ = ["EXCEPTIONS", "exception_name", "read_bedrock", "stream_exception"]

K = ErrorKind

# Normalised exception name -> kind; None: generic (status, then message).
EXCEPTIONS: Final[dict[str, ErrorKind | None]] = {
    "validationexception": None,  # 400; "Input is too long" / "too many input tokens" is a context overflow
    "throttlingexception": K.RATE_LIMIT,
    "servicequotaexceededexception": K.RATE_LIMIT,  # AWS: "resubmit your request later"
    "modeltimeoutexception": K.TIMEOUT,
    "serviceunavailableexception": K.OVERLOADED,
    "modelnotreadyexception": K.OVERLOADED,  # the SDKs retry it
    "internalserverexception": K.INTERNAL_SERVER,
    "internalfailure": K.INTERNAL_SERVER,
    "accessdeniedexception": K.PERMISSION_DENIED,
    "resourcenotfoundexception": K.NOT_FOUND,
    "unrecognizedclientexception": K.AUTHENTICATION,
    "invalidsignatureexception": K.AUTHENTICATION,
    "incompletesignature": K.AUTHENTICATION,
    "incompletesignatureexception": K.AUTHENTICATION,
    "missingauthenticationtoken": K.AUTHENTICATION,
    "missingauthenticationtokenexception": K.AUTHENTICATION,
    "expiredtokenexception": K.AUTHENTICATION,
    "modelerrorexception": K.API_ERROR,  # unless originalStatusCode says more
    "modelstreamerrorexception": K.API_ERROR,
}
_MODEL_ERRORS: Final = frozenset({"modelerrorexception", "modelstreamerrorexception"})


def exception_name(raw: Any) -> str | None:
    """``ValidationException`` from the header or ``__type`` forms, or None."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    name = raw.strip().split(":", 1)[0]
    name = name.rsplit("#", 1)[-1].strip()
    return name or None


def stream_exception(payload: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """An event-stream exception event: one key ending in ``Exception`` (or a known Bedrock error name,
    as a protocol ``error`` message's ``:error-code``, e.g. ``InternalFailure``) whose value is an object."""
    if len(payload) != 1:
        return None
    ((key, value),) = payload.items()
    if not isinstance(key, str) or not isinstance(value, dict):
        return None
    if key.endswith("Exception") or normalize_code(key) in EXCEPTIONS:
        return key[:1].upper() + key[1:], value
    return None


def read_bedrock(body: dict[str, Any] | None, name: str | None) -> Reading:
    body = body or {}
    normalized = normalize_code(name) if name else ""
    kind = EXCEPTIONS.get(normalized)
    message = message_of(body.get("message")) or message_of(body.get("Message"))
    if normalized in _MODEL_ERRORS:
        message = message_of(body.get("originalMessage")) or message
        original = status_from(body.get("originalStatusCode"))
        if original is not None:  # the model's own answer, relayed with a 424
            kind = refine_by_message(kind_for_status(original), message)
    default = ErrorKind.BAD_REQUEST if normalized == "validationexception" else None
    return Reading(message=message, kind=kind, code=name, default=default)
