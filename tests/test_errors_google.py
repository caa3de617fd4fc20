"""Gemini API and Vertex AI: every ``google.rpc`` status, ``ErrorInfo`` reasons, quota details."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelwire import ErrorKind, ProviderError
from modelwire.errors import classify_response
from modelwire.exceptions import error_class_for

K = ErrorKind


def classify(status: int, body: Any, provider: str, headers: dict[str, str] | None = None) -> ProviderError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return classify_response(status, headers or {}, raw, provider=provider, model="m")


def check(provider: str, status: int, body: Any, kind: ErrorKind, code: str | None) -> ProviderError:
    error = classify(status, body, provider)
    assert (error.kind, error.provider_code, error.status_code) == (kind, code, status)
    assert type(error) is error_class_for(kind)
    assert (error.provider, error.model) == (provider, "m")
    return error


def goo(code: int, status: str, message: str = "m", details: list[Any] | None = None) -> Any:
    return {"error": {"code": code, "message": message, "status": status, "details": details or []}}


QUOTA_PER_DAY = {
    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
    "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
}
QUOTA_PER_MINUTE = {
    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
    "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}],
}
KEY_INVALID = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
}


GOOGLE: list[tuple[str, int, Any, ErrorKind, str | None]] = [
    (
        "gemini API_KEY_INVALID",
        400,
        goo(400, "INVALID_ARGUMENT", "API key not valid.", [KEY_INVALID]),
        K.AUTHENTICATION,
        "INVALID_ARGUMENT",
    ),
    (
        "gemini token count",
        400,
        goo(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        ),
        K.CONTEXT_WINDOW_EXCEEDED,
        "INVALID_ARGUMENT",
    ),
    (
        "gemini FAILED_PRECONDITION",
        400,
        goo(400, "FAILED_PRECONDITION", "User location is not supported"),
        K.PERMISSION_DENIED,
        "FAILED_PRECONDITION",
    ),
    (
        "gemini UNAUTHENTICATED",
        401,
        goo(401, "UNAUTHENTICATED"),
        K.AUTHENTICATION,
        "UNAUTHENTICATED",
    ),
    (
        "gemini PERMISSION_DENIED",
        403,
        goo(403, "PERMISSION_DENIED"),
        K.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    ),
    (
        "gemini per-minute quota is a rate limit",
        429,
        goo(429, "RESOURCE_EXHAUSTED", "m", [QUOTA_PER_MINUTE]),
        K.RATE_LIMIT,
        "RESOURCE_EXHAUSTED",
    ),
    (
        "gemini per-day quota is a quota",
        429,
        goo(429, "RESOURCE_EXHAUSTED", "m", [QUOTA_PER_DAY]),
        K.QUOTA_EXCEEDED,
        "RESOURCE_EXHAUSTED",
    ),
    ("gemini INTERNAL", 500, goo(500, "INTERNAL"), K.INTERNAL_SERVER, "INTERNAL"),
    ("gemini UNAVAILABLE", 503, goo(503, "UNAVAILABLE"), K.OVERLOADED, "UNAVAILABLE"),
    (
        "gemini DEADLINE_EXCEEDED",
        504,
        goo(504, "DEADLINE_EXCEEDED"),
        K.TIMEOUT,
        "DEADLINE_EXCEEDED",
    ),
    (
        "gemini UNIMPLEMENTED",
        501,
        goo(501, "UNIMPLEMENTED"),
        K.UNSUPPORTED_CAPABILITY,
        "UNIMPLEMENTED",
    ),
    (
        "gemini list-wrapped",
        429,
        [goo(429, "RESOURCE_EXHAUSTED")],
        K.RATE_LIMIT,
        "RESOURCE_EXHAUSTED",
    ),
    (
        "vertex resource exhausted",
        429,
        goo(429, "RESOURCE_EXHAUSTED", "Resource exhausted. Please try again later."),
        K.RATE_LIMIT,
        "RESOURCE_EXHAUSTED",
    ),
]


@pytest.mark.parametrize(("case", "status", "body", "kind", "code"), GOOGLE, ids=[c[0] for c in GOOGLE])
def test_google_statuses(case: str, status: int, body: Any, kind: ErrorKind, code: str | None) -> None:
    check("gemini", status, body, kind, code)
