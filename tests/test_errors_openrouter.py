"""OpenRouter: the status in ``error.code``, moderation metadata, the upstream provider's raw error."""

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


OPENROUTER: list[tuple[str, int, Any, ErrorKind, str | None]] = [
    (
        "openrouter 402",
        402,
        {"error": {"code": 402, "message": "Insufficient credits"}},
        K.QUOTA_EXCEEDED,
        None,
    ),
    (
        "openrouter moderation",
        403,
        {
            "error": {
                "code": 403,
                "message": "Input flagged",
                "metadata": {"reasons": ["violence"], "flagged_input": "...", "provider_name": "OpenAI"},
            }
        },
        K.CONTENT_POLICY,
        None,
    ),
    (
        "openrouter 403 without moderation",
        403,
        {"error": {"code": 403, "message": "Forbidden"}},
        K.PERMISSION_DENIED,
        None,
    ),
    ("openrouter 408", 408, {"error": {"code": 408, "message": "Timed out"}}, K.TIMEOUT, None),
    (
        "openrouter 502 upstream",
        502,
        {
            "error": {
                "code": 502,
                "message": "Provider returned error",
                "metadata": {
                    "provider_name": "Anthropic",
                    "raw": json.dumps(ant("overloaded_error", "Overloaded")),
                },
            }
        },
        K.INTERNAL_SERVER,
        None,
    ),
    (
        "openrouter 503 no provider",
        503,
        {"error": {"code": 503, "message": "No endpoints found"}},
        K.OVERLOADED,
        None,
    ),
    (
        "openrouter context from upstream raw",
        400,
        {
            "error": {
                "code": 400,
                "message": "Provider returned error",
                "metadata": {
                    "provider_name": "OpenAI",
                    "raw": "This model's maximum context length is 128000 tokens.",
                },
            }
        },
        K.CONTEXT_WINDOW_EXCEEDED,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "status", "body", "kind", "code"), OPENROUTER, ids=[c[0] for c in OPENROUTER]
)
def test_openrouter_errors(case: str, status: int, body: Any, kind: ErrorKind, code: str | None) -> None:
    check("openrouter", status, body, kind, code)


def test_a_200_with_an_error_body_takes_the_status_the_body_states() -> None:
    error = classify(200, {"error": {"code": 429, "message": "Rate limited"}}, "openrouter")
    assert (error.kind, error.status_code) == (K.RATE_LIMIT, 429)
