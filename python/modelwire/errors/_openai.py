"""OpenAI-shaped error objects: OpenAI, Azure OpenAI and the OpenAI-compatible servers (Groq, DeepSeek,
Mistral, Together, vLLM, llama.cpp, Cerebras, xAI, ...).

Shape: ``{"error": {"message", "type", "code", "param"}}`` (Azure adds ``innererror.code`` and sometimes
``status``), or the same fields at the top level (vLLM, Mistral: ``{"object": "error", "message", ...}``).
``code`` is the most specific field, then Azure's inner code, then ``type``; a numeric ``code`` is an
HTTP status (Azure's ``"401"``, vLLM's ``400``), not a code.
"""

from __future__ import annotations

import re
from typing import Any, Final

from modelwire.errors._generic import message_of
from modelwire.errors._kinds import Reading, normalize_code, status_from
from modelwire.exceptions import ErrorKind

__all__ = ["CODES", "GENERIC", "read_openai"]

K = ErrorKind

# Normalised code or type -> kind. Anything absent (invalid_request_error, invalid_value, BadRequestError,
# api_error, ...) says nothing specific: the status and, last, the message decide.
CODES: Final[dict[str, ErrorKind]] = {
    "contextlengthexceeded": K.CONTEXT_WINDOW_EXCEEDED,
    "exceedcontextsizeerror": K.CONTEXT_WINDOW_EXCEEDED,  # llama.cpp server
    "insufficientquota": K.QUOTA_EXCEEDED,  # OpenAI's 429 that waiting will not fix
    "billinghardlimitreached": K.QUOTA_EXCEEDED,
    "billingnotactive": K.QUOTA_EXCEEDED,
    "insufficientbalance": K.QUOTA_EXCEEDED,
    "ratelimitexceeded": K.RATE_LIMIT,
    "ratelimiterror": K.RATE_LIMIT,
    "toomanyrequests": K.RATE_LIMIT,
    "requests": K.RATE_LIMIT,  # OpenAI 429 types name the exhausted bucket
    "tokens": K.RATE_LIMIT,
    "slowdown": K.RATE_LIMIT,  # OpenAI 503: "reduce your request rate"
    "invalidapikey": K.AUTHENTICATION,
    "authenticationerror": K.AUTHENTICATION,
    "unauthorized": K.AUTHENTICATION,
    "permissiondenied": K.PERMISSION_DENIED,
    "permissionerror": K.PERMISSION_DENIED,
    "requestforbidden": K.PERMISSION_DENIED,
    "unsupportedcountryregionterritory": K.PERMISSION_DENIED,
    "modelnotfound": K.NOT_FOUND,
    "deploymentnotfound": K.NOT_FOUND,  # Azure
    "notfounderror": K.NOT_FOUND,
    "contentfilter": K.CONTENT_POLICY,  # Azure
    "responsibleaipolicyviolation": K.CONTENT_POLICY,  # Azure innererror
    "contentpolicyviolation": K.CONTENT_POLICY,  # OpenAI images
    "moderationblocked": K.CONTENT_POLICY,
    "unsupportedparameter": K.UNSUPPORTED_PARAMS,
    "unknownparameter": K.UNSUPPORTED_PARAMS,
    "unsupportedvalue": K.UNSUPPORTED_PARAMS,
    "operationnotsupported": K.UNSUPPORTED_CAPABILITY,  # Azure: e.g. embeddings on a chat deployment
    "serverisoverloaded": K.OVERLOADED,
    "overloaded": K.OVERLOADED,  # Hugging Face TGI error_type
    "serviceunavailable": K.OVERLOADED,
}

# Generic codes: an HTTP status, when there is one, says more (OpenAI's 503 "overloaded" comes with type
# server_error); without one (an error chunk inside a stream) they still tell a client error from a
# server fault.
GENERIC: Final[dict[str, ErrorKind]] = {
    "invalidrequesterror": K.BAD_REQUEST,
    "badrequesterror": K.BAD_REQUEST,  # vLLM
    "servererror": K.INTERNAL_SERVER,
    "internalservererror": K.INTERNAL_SERVER,
    "internalerror": K.INTERNAL_SERVER,
    "apierror": K.INTERNAL_SERVER,
}

# When an object names the parameter but gives no code, "X not supported with this model" is still an
# unsupported parameter (OpenAI does this for web_search_options).
_UNSUPPORTED_WORDS: Final = re.compile(r"\b(?:not supported|unsupported|does not support)\b", re.IGNORECASE)


def _code_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and status_from(value) is None:
        return value.strip()
    return None


def read_openai(error: dict[str, Any], *, request_id: str | None = None) -> Reading:
    """Read an OpenAI-shaped error object (the value of ``"error"``, or a top-level error body)."""
    code, type_, param = _code_text(error.get("code")), _code_text(error.get("type")), error.get("param")
    if type_ == "error":  # the Responses API's error event names itself, not the error
        type_ = None
    inner = error.get("innererror")
    inner_code = _code_text(inner.get("code")) if isinstance(inner, dict) else None
    message = message_of(error.get("message")) or message_of(error.get("detail"))
    candidates = [normalize_code(c) for c in (code, inner_code, type_) if c is not None]
    kind = next((CODES[c] for c in candidates if c in CODES), None)
    default = next((GENERIC[c] for c in candidates if c in GENERIC), None)
    params: tuple[str, ...] = ()
    if isinstance(param, str) and param:
        if kind is K.UNSUPPORTED_PARAMS:
            params = (param,)
        elif kind is None and code is None and message and _UNSUPPORTED_WORDS.search(message):
            kind, params = K.UNSUPPORTED_PARAMS, (param,)
    status = next(
        (s for s in map(status_from, (error.get(k) for k in ("code", "status_code", "status"))) if s), None
    )
    return Reading(
        message=message,
        kind=kind,
        code=code or inner_code or type_,
        params=params,
        status=status,
        request_id=request_id,
        default=default,
    )
