"""Amazon Bedrock: the exception name from ``x-amzn-errortype``, ``__type`` or the body."""

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


BEDROCK: list[tuple[str, int, str, ErrorKind]] = [
    ("ThrottlingException", 429, "Too many requests, please wait before trying again.", K.RATE_LIMIT),
    ("ValidationException", 400, "Input is too long for requested model.", K.CONTEXT_WINDOW_EXCEEDED),
    ("ValidationException", 400, "Too many input tokens. Max input tokens: 8192", K.CONTEXT_WINDOW_EXCEEDED),
    ("ValidationException", 400, "Malformed input request", K.BAD_REQUEST),
    ("ModelTimeoutException", 408, "Model has timed out", K.TIMEOUT),
    ("ServiceUnavailableException", 503, "Service unavailable", K.OVERLOADED),
    ("ModelNotReadyException", 429, "Model is not ready", K.OVERLOADED),
    ("AccessDeniedException", 403, "You don't have access to the model", K.PERMISSION_DENIED),
    ("ResourceNotFoundException", 404, "Model not found", K.NOT_FOUND),
    ("ServiceQuotaExceededException", 400, "Your request exceeds the service quota", K.RATE_LIMIT),
    ("InternalServerException", 500, "Internal error", K.INTERNAL_SERVER),
    (
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
        K.AUTHENTICATION,
    ),
    ("ExpiredTokenException", 403, "The security token included in the request is expired", K.AUTHENTICATION),
    ("ModelErrorException", 424, "The model failed", K.API_ERROR),
]


@pytest.mark.parametrize(
    ("name", "status", "message", "kind"), BEDROCK, ids=[f"{c[0]}-{c[2][:20]}" for c in BEDROCK]
)
def test_bedrock_exception_header(name: str, status: int, message: str, kind: ErrorKind) -> None:
    headers = {
        "x-amzn-errortype": f"{name}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        "x-amzn-requestid": "rid-1",
    }
    error = classify(status, {"message": message}, "bedrock", headers)
    assert (error.kind, error.provider_code, error.message, error.request_id) == (
        kind,
        name,
        message,
        "rid-1",
    )


def test_bedrock_type_in_body_and_model_error_status() -> None:
    body = {"__type": "com.amazon.coral.service#ThrottlingException", "message": "slow"}
    assert classify(400, body, "bedrock").kind is K.RATE_LIMIT
    model_error = {"message": "wrapper", "originalStatusCode": 500, "originalMessage": "model crashed"}
    error = classify(424, model_error, "bedrock", {"x-amzn-errortype": "ModelErrorException"})
    assert (error.kind, error.message, error.status_code) == (K.INTERNAL_SERVER, "model crashed", 424)
    assert classify(429, {"Message": "Rate exceeded"}, "bedrock").message == "Rate exceeded"
