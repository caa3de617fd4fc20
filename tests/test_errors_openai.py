"""OpenAI, Azure OpenAI and OpenAI-compatible servers: every documented ``error.code`` / ``type``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelwire import ErrorKind, ProviderError, UnsupportedParamsError
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


def oai(
    code: str | None, type_: str | None = "invalid_request_error", message: str = "m", param: Any = None
) -> Any:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


OPENAI: list[tuple[str, int, Any, ErrorKind, str | None]] = [
    ("openai invalid_api_key", 401, oai("invalid_api_key"), K.AUTHENTICATION, "invalid_api_key"),
    (
        "openai insufficient_quota on 429",
        429,
        oai("insufficient_quota", "insufficient_quota"),
        K.QUOTA_EXCEEDED,
        "insufficient_quota",
    ),
    (
        "openai rate_limit_exceeded",
        429,
        oai("rate_limit_exceeded", "tokens"),
        K.RATE_LIMIT,
        "rate_limit_exceeded",
    ),
    ("openai 429 type only", 429, oai(None, "requests"), K.RATE_LIMIT, "requests"),
    (
        "openai context_length_exceeded",
        400,
        oai("context_length_exceeded"),
        K.CONTEXT_WINDOW_EXCEEDED,
        "context_length_exceeded",
    ),
    ("openai model_not_found on 400", 400, oai("model_not_found"), K.NOT_FOUND, "model_not_found"),
    (
        "openai content_policy_violation",
        400,
        oai("content_policy_violation"),
        K.CONTENT_POLICY,
        "content_policy_violation",
    ),
    (
        "openai moderation_blocked",
        400,
        oai("moderation_blocked"),
        K.CONTENT_POLICY,
        "moderation_blocked",
    ),
    (
        "openai invalid_prompt (usage policy)",
        400,
        oai(
            "invalid_prompt",
            message="Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
        ),
        K.CONTENT_POLICY,
        "invalid_prompt",
    ),
    (
        "openai unsupported_country",
        403,
        oai("unsupported_country_region_territory", "request_forbidden"),
        K.PERMISSION_DENIED,
        "unsupported_country_region_territory",
    ),
    ("openai server_error 500", 500, oai(None, "server_error"), K.INTERNAL_SERVER, "server_error"),
    (
        "openai server_error on 503 is overload",
        503,
        oai(None, "server_error"),
        K.OVERLOADED,
        "server_error",
    ),
    (
        "openai slow_down 503",
        503,
        oai("slow_down", "service_unavailable_error"),
        K.RATE_LIMIT,
        "slow_down",
    ),
    (
        "openai 409 conflict",
        409,
        oai(None, "invalid_request_error"),
        K.BAD_REQUEST,
        "invalid_request_error",
    ),
]

AZURE: list[tuple[str, int, Any, ErrorKind, str | None]] = [
    (
        "azure content_filter",
        400,
        {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                "management policy.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {"code": "ResponsibleAIPolicyViolation"},
            }
        },
        K.CONTENT_POLICY,
        "content_filter",
    ),
    (
        "azure innererror only",
        400,
        {
            "error": {
                "message": "m",
                "code": "BadRequest",
                "innererror": {"code": "ResponsibleAIPolicyViolation"},
            }
        },
        K.CONTENT_POLICY,
        "BadRequest",
    ),
    (
        "azure DeploymentNotFound",
        404,
        {"error": {"code": "DeploymentNotFound", "message": "m"}},
        K.NOT_FOUND,
        "DeploymentNotFound",
    ),
    (
        "azure OperationNotSupported",
        400,
        {"error": {"code": "OperationNotSupported", "message": "m"}},
        K.UNSUPPORTED_CAPABILITY,
        "OperationNotSupported",
    ),
    (
        "azure numeric 429 code",
        429,
        {"error": {"code": "429", "message": "Requests ... have exceeded token rate limit"}},
        K.RATE_LIMIT,
        None,
    ),
]

# (case, provider, status, body, kind, code)
COMPATIBLE: list[tuple[str, str, int, Any, ErrorKind, str | None]] = [
    (
        "groq 413 rate_limit_exceeded beats status",
        "groq",
        413,
        oai("rate_limit_exceeded", "tokens"),
        K.RATE_LIMIT,
        "rate_limit_exceeded",
    ),
    (
        "deepseek 402 balance",
        "deepseek",
        402,
        oai("invalid_request_error", "unknown_error", "Insufficient Balance"),
        K.QUOTA_EXCEEDED,
        "invalid_request_error",
    ),
    (
        "vllm top-level context",
        "vllm",
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, you requested "
            "5000 tokens.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        K.CONTEXT_WINDOW_EXCEEDED,
        "BadRequestError",
    ),
    (
        "llama.cpp exceed_context_size_error",
        "llamacpp",
        400,
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 5000,
                "n_ctx": 4096,
            }
        },
        K.CONTEXT_WINDOW_EXCEEDED,
        "exceed_context_size_error",
    ),
    (
        "mistral 422 detail in message",
        "mistral",
        422,
        {
            "object": "error",
            "message": {
                "detail": [
                    {"type": "missing", "loc": ["body", "messages"], "msg": "Field required", "input": None}
                ]
            },
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        },
        K.UNPROCESSABLE_ENTITY,
        "invalid_request_error",
    ),
]


@pytest.mark.parametrize(("case", "status", "body", "kind", "code"), OPENAI, ids=[c[0] for c in OPENAI])
def test_openai_codes(case: str, status: int, body: Any, kind: ErrorKind, code: str | None) -> None:
    check("openai", status, body, kind, code)


@pytest.mark.parametrize(("case", "status", "body", "kind", "code"), AZURE, ids=[c[0] for c in AZURE])
def test_azure_codes(case: str, status: int, body: Any, kind: ErrorKind, code: str | None) -> None:
    check("azure", status, body, kind, code)


@pytest.mark.parametrize(
    ("case", "provider", "status", "body", "kind", "code"), COMPATIBLE, ids=[c[0] for c in COMPATIBLE]
)
def test_openai_compatible_codes(
    case: str, provider: str, status: int, body: Any, kind: ErrorKind, code: str | None
) -> None:
    check(provider, status, body, kind, code)


def test_unsupported_parameter_names_the_parameter() -> None:
    error = classify(
        400,
        oai("unsupported_parameter", message="Unsupported parameter: 'max_tokens'", param="max_tokens"),
        "openai",
    )
    assert isinstance(error, UnsupportedParamsError)
    assert error.params == ("max_tokens",)
    # No code at all, but a param and "not supported": still an unsupported parameter.
    error = classify(
        400,
        oai(None, message="Web search options not supported with this model.", param="web_search_options"),
        "openai",
    )
    assert isinstance(error, UnsupportedParamsError)
    assert error.params == ("web_search_options",)
    # A specific code that is not about parameters wins over the words.
    error = classify(
        400, oai("invalid_value", message="got unsupported MIME type", param="input[0]"), "openai"
    )
    assert error.kind is K.BAD_REQUEST
