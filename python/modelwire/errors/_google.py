"""Gemini API and Vertex AI error objects (``google.rpc.Status`` as JSON).

Shape: ``{"error": {"code": 429, "message", "status": "RESOURCE_EXHAUSTED", "details": [...]}}``, sometimes
wrapped in a one-element list (``streamGenerateContent`` without ``alt=sse``, the OpenAI-compatible
endpoint). ``status`` is the signal; ``details`` sharpens it: an ``ErrorInfo.reason`` of
``API_KEY_INVALID`` is an authentication failure even though the status is ``INVALID_ARGUMENT``, and a
``RESOURCE_EXHAUSTED`` whose ``QuotaFailure`` violations are all per-day quotas is a quota, not a rate
limit: the ``RetryInfo`` delay Google still sends would only lead to the same answer.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.errors._generic import message_of
from modelwire.errors._kinds import Reading, normalize_code, status_from
from modelwire.exceptions import ErrorKind

__all__ = ["REASONS", "STATUSES", "looks_like_google", "read_google", "read_prompt_block"]

K = ErrorKind

# Normalised gRPC status -> kind; None: generic, the HTTP status and the message decide.
STATUSES: Final[dict[str, ErrorKind | None]] = {
    "invalidargument": None,  # 400; also "The input token count (N) exceeds the maximum ..."
    "outofrange": None,
    "alreadyexists": None,
    "aborted": None,
    "cancelled": None,
    "failedprecondition": K.PERMISSION_DENIED,  # e.g. free tier unavailable in the caller's region
    "unauthenticated": K.AUTHENTICATION,
    "permissiondenied": K.PERMISSION_DENIED,
    "notfound": K.NOT_FOUND,
    "resourceexhausted": K.RATE_LIMIT,
    "internal": K.INTERNAL_SERVER,
    "unknown": K.INTERNAL_SERVER,
    "dataloss": K.INTERNAL_SERVER,
    "unavailable": K.OVERLOADED,  # "The model is overloaded. Please try again later."
    "deadlineexceeded": K.TIMEOUT,
    "unimplemented": K.UNSUPPORTED_CAPABILITY,
}
_DEFAULTS: Final = dict.fromkeys(("invalidargument", "outofrange", "alreadyexists"), K.BAD_REQUEST)
REASONS: Final[dict[str, ErrorKind]] = {
    "apikeyinvalid": K.AUTHENTICATION,
    "apikeyexpired": K.AUTHENTICATION,
    "accesstokenexpired": K.AUTHENTICATION,
    "accesstokentypeunsupported": K.AUTHENTICATION,
    "credentialsmissing": K.AUTHENTICATION,
    "servicedisabled": K.PERMISSION_DENIED,
    "apikeyserviceblocked": K.PERMISSION_DENIED,
    "ratelimitexceeded": K.RATE_LIMIT,
}


def looks_like_google(error: dict[str, Any]) -> bool:
    status = error.get("status")
    return isinstance(status, str) and status_from(status) is None and status.isupper()


def _details(error: dict[str, Any], suffix: str) -> list[dict[str, Any]]:
    details = error.get("details")
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, dict) and str(d.get("@type", "")).endswith(suffix)]


def _only_daily_quotas(error: dict[str, Any]) -> bool:
    violations = [
        violation
        for failure in _details(error, "google.rpc.QuotaFailure")
        for violation in (failure.get("violations") or [])
        if isinstance(violation, dict)
    ]
    ids = [f"{v.get('quotaId', '')}{v.get('quotaMetric', '')}" for v in violations]
    return bool(ids) and all("PerDay" in quota_id for quota_id in ids)


def read_google(error: dict[str, Any]) -> Reading:
    status_name = str(error.get("status"))
    normalized = normalize_code(status_name)
    kind = STATUSES.get(normalized)
    for info in _details(error, "google.rpc.ErrorInfo"):
        reason_kind = REASONS.get(normalize_code(info.get("reason", "")))
        if reason_kind is not None:
            kind = reason_kind
            break
    if kind is K.RATE_LIMIT and _only_daily_quotas(error):
        kind = K.QUOTA_EXCEEDED
    return Reading(
        message=message_of(error.get("message")),
        kind=kind,
        code=status_name,
        status=status_from(error.get("code")),
        default=_DEFAULTS.get(normalized),
    )


def read_prompt_block(data: dict[str, Any]) -> Reading | None:
    """A Gemini response that blocked the prompt (``promptFeedback.blockReason``, no candidate): the
    content-policy error a ``streamGenerateContent`` folder reports as the stream's error."""
    feedback = data.get("promptFeedback")
    if data.get("candidates") or not isinstance(feedback, dict):
        return None
    reason = feedback.get("blockReason")
    if not isinstance(reason, str) or not reason:
        return None
    detail = feedback.get("blockReasonMessage")
    message = f"the prompt was blocked ({reason})" + (
        f": {detail}" if isinstance(detail, str) and detail else ""
    )
    return Reading(message=message, kind=K.CONTENT_POLICY, code=reason)
