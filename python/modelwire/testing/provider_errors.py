"""Error bodies in each provider's real shape (see tests/corpus/*/errors*), by preset or by status.

OpenAI: ``{"error": {"message", "type", "param", "code"}}``. Azure: the same for request errors, but
``{"error": {"code": "401", "message"}}`` for gateway errors. Anthropic:
``{"type": "error", "error": {"type", "message"}, "request_id"}``.
"""

from __future__ import annotations

from typing import Any

from modelwire.testing.dialects import ErrorShapes, dialect_of
from modelwire.testing.records import Provider

__all__ = [
    "ANTHROPIC_ERRORS",
    "AZURE_ERRORS",
    "OPENAI_ERRORS",
    "PRESETS",
    "anthropic_error",
    "azure_error",
    "error_for_status",
    "invalid_key",
    "invalid_request",
    "missing_key",
    "openai_error",
    "preset_error",
    "unknown_route",
]

PRESETS = (
    "bad_request",
    "auth",
    "permission",
    "not_found",
    "too_large",
    "context_window",
    "content_filter",
    "rate_limit",
    "quota",
    "server",
    "overloaded",
    "timeout",
)

_BY_STATUS = {
    400: "bad_request",
    401: "auth",
    403: "permission",
    404: "not_found",
    408: "timeout",
    413: "too_large",
    422: "bad_request",
    429: "rate_limit",
    500: "server",
    502: "server",
    503: "overloaded",
    504: "timeout",
    529: "overloaded",
}


def openai_error(
    message: str, *, type: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def azure_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def anthropic_error(type: str, message: str, *, request_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "error", "error": {"type": type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


_AZURE_ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


def _openai(preset: str, model: str) -> tuple[int, dict[str, Any]]:
    if preset == "auth":
        return _openai_invalid_key("")
    if preset == "permission":
        message = "Country, region, or territory not supported"
        return 403, openai_error(
            message, type="request_forbidden", code="unsupported_country_region_territory"
        )
    if preset == "not_found":
        message = f"The model `{model}` does not exist or you do not have access to it."
        return 404, openai_error(message, code="model_not_found")
    if preset == "too_large":
        return 413, openai_error("Request too large: the request body exceeds the maximum size.")
    if preset == "context_window":
        message = (
            "This model's maximum context length is 128000 tokens. However, your messages resulted in "
            "130000 tokens. Please reduce the length of the messages."
        )
        return 400, openai_error(message, code="context_length_exceeded", param="messages")
    if preset == "content_filter":
        message = "Your request was rejected as a result of our safety system."
        return 400, openai_error(message, code="content_policy_violation")
    if preset == "rate_limit":
        message = (
            f"Rate limit reached for {model} in organization org-local on requests per min (RPM): "
            "Limit 60, Used 60, Requested 1. Please try again in 1s."
        )
        return 429, openai_error(message, type="requests", code="rate_limit_exceeded")
    if preset == "quota":
        message = (
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes."
        )
        return 429, openai_error(message, type="insufficient_quota", code="insufficient_quota")
    if preset == "server":
        message = "The server had an error while processing your request. Sorry about that!"
        return 500, openai_error(message, type="server_error")
    if preset == "overloaded":
        return 503, openai_error("The server is overloaded or not ready yet.", type="server_error")
    if preset == "timeout":
        return 504, openai_error("Request timed out.", type="timeout")
    return 400, openai_error("Invalid request.")


def _azure(preset: str, model: str) -> tuple[int, dict[str, Any]]:
    if preset == "auth":
        return 401, azure_error("401", _AZURE_ACCESS_DENIED)
    if preset == "permission":
        return 403, azure_error("PermissionDenied", "Principal does not have access to API/Operation.")
    if preset == "not_found":
        message = (
            "The API deployment for this resource does not exist. If you created the deployment within the "
            "last 5 minutes, please wait a moment and try again."
        )
        return 404, {
            "error": {"type": "invalid_request_error", "code": "DeploymentNotFound", "message": message}
        }
    if preset == "content_filter":
        message = (
            "The response was filtered due to the prompt triggering Azure OpenAI's content management "
            "policy. Please modify your prompt and retry."
        )
        inner = {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {"violence": {"filtered": True, "severity": "high"}},
        }
        error = {"message": message, "type": None, "param": "prompt", "code": "content_filter", "status": 400}
        return 400, {"error": {**error, "innererror": inner}}
    if preset == "rate_limit":
        message = (
            "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have "
            "exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second."
        )
        return 429, azure_error("429", message)
    if preset == "server":
        message = "Backend returned unexpected response. Please contact Microsoft for help."
        return 500, azure_error("InternalServerError", message)
    if preset == "overloaded":
        message = "The service is temporarily unable to process your request. Please try again later."
        return 503, azure_error("ServiceUnavailable", message)
    return _openai(preset, model)


def _anthropic(preset: str, model: str) -> tuple[int, dict[str, Any]]:
    table = {
        "bad_request": (400, "invalid_request_error", "Invalid request."),
        "auth": (401, "authentication_error", "invalid x-api-key"),
        "permission": (
            403,
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        "not_found": (404, "not_found_error", f"model: {model}"),
        "too_large": (413, "request_too_large", "Request exceeds the maximum allowed number of bytes."),
        "context_window": (
            400,
            "invalid_request_error",
            "prompt is too long: 215304 tokens > 200000 maximum",
        ),
        "content_filter": (400, "invalid_request_error", "Output blocked by content filtering policy"),
        "rate_limit": (
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per minute. "
            "For details, refer to: https://docs.claude.com/en/api/rate-limits.",
        ),
        "quota": (
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to "
            "upgrade or purchase credits.",
        ),
        "server": (500, "api_error", "Internal server error"),
        "overloaded": (529, "overloaded_error", "Overloaded"),
        "timeout": (504, "timeout_error", "Request timeout"),
    }
    status, type_, message = table.get(preset, table["bad_request"])
    return status, anthropic_error(type_, message)


def preset_error(provider: Provider, preset: str, *, model: str = "") -> tuple[int, dict[str, Any]]:
    """The status and body ``provider`` answers for ``preset`` (one of ``PRESETS``)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown error preset {preset!r}; expected one of {', '.join(PRESETS)}")
    return dialect_of(provider).errors.preset(preset, model)


def error_for_status(provider: Provider, status: int, *, model: str = "") -> dict[str, Any]:
    """A body in ``provider``'s shape that fits ``status`` (any status; unknown ones by their class)."""
    preset = _BY_STATUS.get(status) or ("server" if status >= 500 else "bad_request")
    return preset_error(provider, preset, model=model)[1]


def missing_key(provider: Provider) -> tuple[int, dict[str, Any]]:
    return dialect_of(provider).errors.missing_key()


def invalid_key(provider: Provider, key: str) -> tuple[int, dict[str, Any]]:
    return dialect_of(provider).errors.invalid_key(key)


def invalid_request(
    provider: Provider, message: str, *, param: str | None = None, code: str | None = None
) -> tuple[int, dict[str, Any]]:
    return dialect_of(provider).errors.invalid_request(message, param, code)


def unknown_route(provider: Provider | None, method: str, path: str) -> tuple[int, dict[str, Any]]:
    """The 404 of ``provider`` (OpenAI's for a path no dialect claims)."""
    return dialect_of(provider or Provider.OPENAI).errors.unknown_route(method, path)


# --- each dialect's shapes ---------------------------------------------------------------------------

_OPENAI_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) "
    "if you're accessing the API from your browser and are prompted for a username and password. You can "
    "obtain an API key from https://platform.openai.com/account/api-keys."
)


def _openai_invalid_key(key: str) -> tuple[int, dict[str, Any]]:
    # OpenAI echoes short keys whole and masks the middle of long ones.
    shown = key if len(key) <= 8 else key[:3] + "*" * (len(key) - 7) + key[-4:]
    message = (
        f"Incorrect API key provided: {shown}. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )
    return 401, openai_error(message, code="invalid_api_key")


def _openai_unknown_route(method: str, path: str) -> tuple[int, dict[str, Any]]:
    message = (
        f"Invalid URL ({method} {path})" if method == "POST" else f"Unknown request URL: {method} {path}."
    )
    return 404, openai_error(message, code="unknown_url")


def _openai_invalid_request(message: str, param: str | None, code: str | None) -> tuple[int, dict[str, Any]]:
    return 400, openai_error(message, param=param, code=code)


OPENAI_ERRORS = ErrorShapes(
    preset=_openai,
    missing_key=lambda: (401, openai_error(_OPENAI_MISSING_KEY)),
    invalid_key=_openai_invalid_key,
    invalid_request=_openai_invalid_request,
    unknown_route=_openai_unknown_route,
)
AZURE_ERRORS = ErrorShapes(
    preset=_azure,
    missing_key=lambda: (401, azure_error("401", _AZURE_ACCESS_DENIED)),
    invalid_key=lambda key: (401, azure_error("401", _AZURE_ACCESS_DENIED)),
    invalid_request=_openai_invalid_request,
    unknown_route=lambda method, path: (404, azure_error("404", "Resource not found")),
)
ANTHROPIC_ERRORS = ErrorShapes(
    preset=_anthropic,
    missing_key=lambda: (401, anthropic_error("authentication_error", "x-api-key header is required")),
    invalid_key=lambda key: (401, anthropic_error("authentication_error", "invalid x-api-key")),
    invalid_request=lambda message, param, code: (400, anthropic_error("invalid_request_error", message)),
    unknown_route=lambda method, path: (404, anthropic_error("not_found_error", "Not Found")),
)
