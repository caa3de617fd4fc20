"""Bodies in no provider's schema (TGI, Ollama, Cohere, FastAPI), bare statuses, HTML, plain text, empty
and malformed bodies: always a typed error with a short, useful message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelwire import ErrorKind, ProviderError
from modelwire.errors import classify_response
from modelwire.exceptions import error_class_for

K = ErrorKind


def classify(
    status: int, body: Any, provider: str = "openai", headers: dict[str, str] | None = None
) -> ProviderError:
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


def ant(type_: str, message: str = "m", **extra: Any) -> Any:
    return {"type": "error", "error": {"type": type_, "message": message, **extra}, "request_id": "req_1"}


# (case, provider, status, body, kind, code)
GENERIC: list[tuple[str, str, int, Any, ErrorKind, str | None]] = [
    (
        "tgi overloaded",
        "huggingface",
        503,
        {"error": "Model is overloaded", "error_type": "overloaded"},
        K.OVERLOADED,
        "overloaded",
    ),
    (
        "tgi validation context",
        "huggingface",
        422,
        {
            "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096.",
            "error_type": "validation",
        },
        K.CONTEXT_WINDOW_EXCEEDED,
        "validation",
    ),
    (
        "ollama memory",
        "ollama",
        500,
        {"error": "model requires more system memory (8.0 GiB) than is available"},
        K.INTERNAL_SERVER,
        None,
    ),
    (
        "cohere 429",
        "cohere",
        429,
        {"message": "You are using a Trial key, which is limited to 10 API calls / minute."},
        K.RATE_LIMIT,
        None,
    ),
    ("fastapi detail string 401", "together", 401, {"detail": "Unauthorized"}, K.AUTHENTICATION, None),
    # No code: the words decide between a rate limit and a quota, and a rate wins over a billing link.
    (
        "429 quota words without a code",
        "compat",
        429,
        {
            "error": {
                "message": "You exceeded your current quota, please check your plan and billing details."
            }
        },
        K.QUOTA_EXCEEDED,
        None,
    ),
    (
        "429 rate words with a billing link",
        "compat",
        429,
        {
            "error": {
                "message": "Rate limit reached on tokens per minute. Upgrade: https://x.test/settings/billing"
            }
        },
        K.RATE_LIMIT,
        None,
    ),
    (
        "429 usage limit per minute",
        "compat",
        429,
        {"message": "You have exceeded your usage limit of 60 requests per minute."},
        K.RATE_LIMIT,
        None,
    ),
    (
        "400 usage limits",
        "anthropic",
        400,
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "You have reached your "
                "specified API usage limits. You will regain access on 2025-07-01.",
            },
        },
        K.QUOTA_EXCEEDED,
        "invalid_request_error",
    ),
]


@pytest.mark.parametrize(
    ("case", "provider", "status", "body", "kind", "code"), GENERIC, ids=[c[0] for c in GENERIC]
)
def test_generic_shapes(
    case: str, provider: str, status: int, body: Any, kind: ErrorKind, code: str | None
) -> None:
    check(provider, status, body, kind, code)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, K.BAD_REQUEST),
        (401, K.AUTHENTICATION),
        (402, K.QUOTA_EXCEEDED),
        (403, K.PERMISSION_DENIED),
        (404, K.NOT_FOUND),
        (405, K.BAD_REQUEST),
        (408, K.TIMEOUT),
        (409, K.BAD_REQUEST),
        (410, K.NOT_FOUND),
        (413, K.CONTEXT_WINDOW_EXCEEDED),
        (418, K.BAD_REQUEST),
        (422, K.UNPROCESSABLE_ENTITY),
        (429, K.RATE_LIMIT),
        (500, K.INTERNAL_SERVER),
        (501, K.UNSUPPORTED_CAPABILITY),
        (502, K.INTERNAL_SERVER),
        (503, K.OVERLOADED),
        (504, K.TIMEOUT),
        (520, K.INTERNAL_SERVER),
        (524, K.TIMEOUT),
        (529, K.OVERLOADED),
        (599, K.INTERNAL_SERVER),
        (302, K.API_ERROR),
        (200, K.API_ERROR),
        (0, K.API_ERROR),
    ],
)
def test_bare_statuses(status: int, kind: ErrorKind) -> None:
    error = classify(status, b"")
    assert error.kind is kind
    assert error.message.startswith(f"HTTP {status}")
    assert error.body_excerpt is None


NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
    b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
CLOUDFLARE_524 = (
    b"<!DOCTYPE html><html lang='en-US'><head><title>api.openai.com | 524: A timeout occurred</title>"
    b"<style>"
    + b"body{margin:0}" * 300
    + b"</style></head><body>"
    + b"<p>filler</p>" * 300
    + b"</body></html>"
)


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "message"),
    [
        (502, NGINX_502, {"content-type": "text/html"}, K.INTERNAL_SERVER, "502 Bad Gateway"),
        (524, CLOUDFLARE_524, {}, K.TIMEOUT, "api.openai.com | 524: A timeout occurred"),
        (
            503,
            b"<html><body><h1>Service &amp; Co Unavailable</h1></body></html>",
            {},
            K.OVERLOADED,
            "Service & Co Unavailable",
        ),
        (
            500,
            b"<html><body><script>x()</script><p>Oops   went\nwrong</p></body></html>",
            {},
            K.INTERNAL_SERVER,
            "Oops went wrong",
        ),
        (
            503,
            b"upstream connect error or disconnect/reset before headers. reset reason: connection failure",
            {},
            K.OVERLOADED,
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
        ),
        (
            400,
            b"prompt is too long for this model\n",
            {"content-type": "text/plain"},
            K.CONTEXT_WINDOW_EXCEEDED,
            "prompt is too long for this model",
        ),
        (500, b"   \n ", {}, K.INTERNAL_SERVER, "HTTP 500 Internal Server Error"),
        (500, b'{"foo": 1}', {}, K.INTERNAL_SERVER, "HTTP 500 Internal Server Error"),
        (502, b'{"error": {"message": "trunc', {}, K.INTERNAL_SERVER, '{"error": {"message": "trunc'),
        (400, b"\xff\xfe bad \xc3 bytes", {}, K.BAD_REQUEST, "\ufffd\ufffd bad \ufffd bytes"),
        (429, b'"Too many requests"', {}, K.RATE_LIMIT, '"Too many requests"'),
    ],
)
def test_non_json_bodies(
    status: int, body: bytes, headers: dict[str, str], kind: ErrorKind, message: str
) -> None:
    error = classify(status, body, headers=headers)
    assert (error.kind, error.message) == (kind, message)


def test_a_huge_html_page_gives_a_short_message_and_excerpt() -> None:
    page = b"<html><head></head><body>" + b"<div>" + b"lorem ipsum " * 2000 + b"</div></body></html>"
    error = classify(502, page)
    assert len(error.message) <= 250
    assert error.body_excerpt is not None
    assert len(error.body_excerpt) <= 300


@pytest.mark.parametrize(
    "body",
    [
        {"error": 5},
        {"error": None},
        {"error": {"message": 5, "code": {"x": 1}, "type": []}},
        {"error": {"status": 5}},
        {"detail": None},
        {"detail": [1, None, {"loc": None}]},
        [],
        [1, 2],
        {"error": {"details": "x", "status": "RESOURCE_EXHAUSTED", "code": "429"}},
        {"error": {"metadata": "x", "code": True}},
        {"error": {"metadata": {"raw": {"nested": [1]}}, "code": 502}},
        {"__type": 5, "message": []},
        {"throttlingException": "not an object"},
        {"type": "response.failed", "response": {"error": "x"}},
        {"errors": [{"message": "first"}, "second"]},
        {"message": {"deep": {"message": ["a"]}}},
        "just a string",
        7,
    ],
)
@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "bedrock", "openrouter", "ollama"])
def test_malformed_bodies_still_give_a_typed_error(body: Any, provider: str) -> None:
    error = classify(500, body, provider)
    assert isinstance(error, ProviderError)
    assert error.message
    assert error.status_code == 500


def test_detail_lists_are_summarised_with_locations() -> None:
    detail = [{"loc": ["body", "messages", i], "msg": f"bad {i}", "type": "x"} for i in range(5)]
    error = classify(422, {"detail": detail})
    assert (
        error.message == "body.messages.0: bad 0; body.messages.1: bad 1; body.messages.2: bad 2; (+2 more)"
    )


def test_request_id_comes_from_headers_then_body() -> None:
    assert classify(529, ant("overloaded_error"), "anthropic").request_id == "req_1"
    error = classify(529, ant("overloaded_error"), "anthropic", {"request-id": "req_header"})
    assert error.request_id == "req_header"
    assert classify(500, oai(None, "server_error"), headers={"X-Request-Id": "abc"}).request_id == "abc"


def test_long_provider_messages_are_kept_up_to_a_limit() -> None:
    error = classify(400, oai(None, message="x" * 5000))
    assert error.message.startswith("x" * 970)
    assert error.message.endswith("... [5000 chars in all]")
    assert len(error.message) == 1000


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "error",
                    "message",
                    "code",
                    "type",
                    "status",
                    "details",
                    "detail",
                    "metadata",
                    "raw",
                    "param",
                    "innererror",
                    "__type",
                    "error_type",
                    "loc",
                    "msg",
                    "@type",
                    "reason",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(
    st.integers(0, 999),
    st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)),
    st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4),
    st.sampled_from(["openai", "anthropic", "gemini", "vertex", "bedrock", "openrouter", "ollama", "x"]),
)
def test_classification_never_raises(
    status: int, body: bytes, headers: dict[str, str], provider: str
) -> None:
    error = classify_response(status, headers, body, provider=provider)
    assert type(error) is error_class_for(error.kind)
    assert error.message
    assert len(error.message) < 1100


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"type": []}}',  # found by test_classification_never_raises: an unhashable type
        b'{"error": {"type": {"a": 1}}}',
        b'{"type": "error", "error": {"type": "rate_limit_error", "details": {"error_code": ["x"]}}}',
    ],
)
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_unhashable_error_fields_are_ignored_not_raised(body: bytes, provider: str) -> None:
    error = classify_response(429, {}, body, provider=provider)
    assert error.kind is ErrorKind.RATE_LIMIT
    assert error.status_code == 429
