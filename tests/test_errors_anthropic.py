"""Anthropic (direct, and Claude through Vertex): every documented ``error.type``."""

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


def ant(type_: str, message: str = "m", **extra: Any) -> Any:
    return {"type": "error", "error": {"type": type_, "message": message, **extra}, "request_id": "req_1"}


ANTHROPIC: list[tuple[str, int, Any, ErrorKind, str | None]] = [
    (
        "anthropic prompt too long",
        400,
        ant("invalid_request_error", "prompt is too long: 208163 tokens > 200000 maximum"),
        K.CONTEXT_WINDOW_EXCEEDED,
        "invalid_request_error",
    ),
    (
        "anthropic credit balance",
        400,
        ant("invalid_request_error", "Your credit balance is too low to access the Anthropic API."),
        K.QUOTA_EXCEEDED,
        "invalid_request_error",
    ),
    (
        "anthropic authentication_error",
        401,
        ant("authentication_error", "invalid x-api-key"),
        K.AUTHENTICATION,
        "authentication_error",
    ),
    (
        "anthropic permission_error",
        403,
        ant("permission_error"),
        K.PERMISSION_DENIED,
        "permission_error",
    ),
    ("anthropic billing_error", 402, ant("billing_error"), K.QUOTA_EXCEEDED, "billing_error"),
    (
        "anthropic rate_limit_error",
        429,
        ant("rate_limit_error"),
        K.RATE_LIMIT,
        "rate_limit_error",
    ),
    (
        "anthropic spend limit",
        429,
        ant("rate_limit_error", details={"error_code": "enforced_spend_limit_reached"}),
        K.QUOTA_EXCEEDED,
        "rate_limit_error",
    ),
    ("anthropic timeout_error", 504, ant("timeout_error"), K.TIMEOUT, "timeout_error"),
    ("anthropic api_error", 500, ant("api_error"), K.INTERNAL_SERVER, "api_error"),
    (
        "anthropic overloaded_error",
        529,
        ant("overloaded_error"),
        K.OVERLOADED,
        "overloaded_error",
    ),
    (
        "claude on vertex keeps anthropic's shape",
        529,
        ant("overloaded_error"),
        K.OVERLOADED,
        "overloaded_error",
    ),
]


@pytest.mark.parametrize(("case", "status", "body", "kind", "code"), ANTHROPIC, ids=[c[0] for c in ANTHROPIC])
def test_anthropic_types(case: str, status: int, body: Any, kind: ErrorKind, code: str | None) -> None:
    check("anthropic", status, body, kind, code)
