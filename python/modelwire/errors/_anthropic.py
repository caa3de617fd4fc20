"""Anthropic error objects, from the Messages API directly or through Bedrock/Vertex, and the ``event:
error`` data of a stream.

Shape: ``{"type": "error", "error": {"type", "message", "details"?}, "request_id"}``. ``error.type`` is
the signal; a 429 ``rate_limit_error`` whose ``details.error_code`` is ``enforced_spend_limit_reached`` is
a spend limit (quota), not a rate limit.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.errors._generic import message_of
from modelwire.errors._kinds import Reading
from modelwire.exceptions import ErrorKind

__all__ = ["TYPES", "looks_like_anthropic", "read_anthropic"]

K = ErrorKind

# error.type -> kind; None: the type is generic and the status (then the message) decides.
TYPES: Final[dict[str, ErrorKind | None]] = {
    "invalid_request_error": None,  # 400, but also "prompt is too long" (a context overflow)
    "authentication_error": K.AUTHENTICATION,
    "permission_error": K.PERMISSION_DENIED,
    "not_found_error": K.NOT_FOUND,
    "request_too_large": K.CONTEXT_WINDOW_EXCEEDED,  # 413: over the request size limit
    "rate_limit_error": K.RATE_LIMIT,
    "api_error": None,  # 500
    "overloaded_error": K.OVERLOADED,  # 529
    "billing_error": K.QUOTA_EXCEEDED,  # 402
    "timeout_error": K.TIMEOUT,  # 504
}
_DEFAULTS: Final = {"invalid_request_error": K.BAD_REQUEST, "api_error": K.INTERNAL_SERVER}
_SPEND_LIMIT_CODES: Final = frozenset({"enforced_spend_limit_reached"})


def looks_like_anthropic(body: dict[str, Any], error: dict[str, Any]) -> bool:
    """Anthropic's objects carry a type but never OpenAI's ``code``/``param`` keys."""
    if "code" in error or "param" in error:
        return False
    error_type = error.get("type")
    return body.get("type") == "error" or (isinstance(error_type, str) and error_type in TYPES)


def read_anthropic(error: dict[str, Any], body: dict[str, Any]) -> Reading:
    error_type = error.get("type") if isinstance(error.get("type"), str) else None
    kind = TYPES.get(error_type) if error_type else None
    details = error.get("details")
    code = details.get("error_code") if isinstance(details, dict) else None
    if kind is K.RATE_LIMIT and isinstance(code, str) and code in _SPEND_LIMIT_CODES:
        kind = K.QUOTA_EXCEEDED
    request_id = body.get("request_id")
    return Reading(
        message=message_of(error.get("message")),
        kind=kind,
        code=error_type,
        request_id=request_id if isinstance(request_id, str) else None,
        default=_DEFAULTS.get(error_type) if error_type else None,
    )
