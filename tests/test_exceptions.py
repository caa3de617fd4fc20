"""The exception tree: kinds, retryability, redaction at construction, pickling, str/repr."""

from __future__ import annotations

import pickle
from enum import Enum

import pytest

import modelwire
from modelwire import BadRequestError, ErrorKind, ProviderError, RateLimitError
from modelwire._redact import MASK, redact, register_secret
from modelwire.exceptions import error_class_for

DATA_DESIGNER_KINDS = {
    "api_error", "api_connection", "authentication", "context_window_exceeded", "quota_exceeded",
    "unsupported_params", "bad_request", "internal_server", "not_found", "permission_denied",
    "rate_limit", "request_admission_timeout", "timeout", "unprocessable_entity",
    "unsupported_capability",
}  # fmt: skip


def test_kinds_are_a_superset_of_data_designers() -> None:
    values = {kind.value for kind in ErrorKind}
    assert values >= DATA_DESIGNER_KINDS
    assert {"overloaded", "content_policy"} <= values


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_kind_has_its_own_class(kind: ErrorKind) -> None:
    cls = error_class_for(kind)
    error = cls("boom")
    assert error.kind is kind
    assert isinstance(error, ProviderError)
    assert getattr(modelwire, cls.__name__) is cls


def test_retryability_follows_the_kind_unless_the_provider_said_otherwise() -> None:
    assert modelwire.RateLimitError("slow down").retryable
    assert not modelwire.AuthenticationError("bad key").retryable
    assert not modelwire.RateLimitError("no", should_retry=False).retryable
    assert modelwire.BadRequestError("odd", should_retry=True).retryable


def test_subclasses_for_except_clauses() -> None:
    assert issubclass(modelwire.ContextWindowExceededError, modelwire.BadRequestError)
    assert issubclass(modelwire.APITimeoutError, TimeoutError)
    assert not issubclass(modelwire.QuotaExceededError, modelwire.RateLimitError)


def test_keys_are_masked_when_the_exception_is_built() -> None:
    key = "sk-proj-" + "a1B2" * 10
    error = modelwire.AuthenticationError(
        f"Incorrect API key provided: {key}.",
        body_excerpt=f'{{"error": {{"message": "Incorrect API key provided: {key}"}}}}',
        provider="openai",
        status_code=401,
    )
    for text in (str(error), repr(error), error.message, error.body_excerpt or ""):
        assert key not in text
        assert "a1B2a1B2" not in text
        assert MASK in text


def test_str_names_provider_status_and_retry_after() -> None:
    error = modelwire.RateLimitError(
        "Rate limit reached", provider="openai", model="gpt-4o", status_code=429, retry_after=1.5,
        provider_code="rate_limit_exceeded", request_id="req_1",
    )  # fmt: skip
    assert str(error) == (
        "[openai/gpt-4o] Rate limit reached "
        "(status 429, code rate_limit_exceeded, retry after 1.5s, request req_1)"
    )


def test_parse_error_names_path_and_offset() -> None:
    error = modelwire.ResponseParseError(
        "expected a string",
        provider="groq",
        path="choices[0].message.content",
        offset=42,
        snippet="{",
    )
    assert "at choices[0].message.content" in str(error)
    assert "byte 42" in str(error)
    assert error.body_excerpt == "{"


def test_exceptions_survive_pickling_with_their_fields() -> None:
    error = modelwire.UnsupportedParamsError(
        "seed is not supported", params=("seed",), provider="anthropic", status_code=None
    )
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is modelwire.UnsupportedParamsError
    assert (clone.params, clone.provider, clone.kind, str(clone)) == (
        ("seed",), "anthropic", ErrorKind.UNSUPPORTED_PARAMS, str(error),
    )  # fmt: skip
    tool_error = pickle.loads(pickle.dumps(modelwire.ToolArgumentsError("bad", tool_name="t")))
    assert tool_error.tool_name == "t"


def test_codes_and_request_ids_are_masked_too() -> None:
    error = ProviderError(
        "x", provider_code="sk-proj-abcdefghijkl", request_id="req authorization: hunter22222"
    )
    assert "abcdefghijkl" not in repr(error.provider_code)
    assert "hunter22222" not in str(error)


def test_excerpts_are_truncated() -> None:
    error = ProviderError("x", body_excerpt="y" * 10_000)
    assert error.body_excerpt is not None
    assert len(error.body_excerpt) < 300


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Incorrect API key provided: sk-ant-api03-abcdefghijkl", "sk-ant-api03-abcdefghijkl"),
        ("Authorization: Bearer eyJhbGciOi.abc-def", "eyJhbGciOi.abc-def"),
        ("GET /v1beta/models/x:generateContent?key=AIzaSyA1234567890abcdefghij&alt=sse", "AIzaSy"),
        ('{"x-api-key": "whatever-value-1"}', "whatever-value-1"),
        ("gsk_abcdefghijklmnop and xai-abcdefghijkl", "gsk_abcdefghijklmnop"),
        ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("nvapi-ABCDEFGHIJKLMNOP", "nvapi-ABCDEFGHIJKLMNOP"),
        ("token ya29.a0AfH6SMBxyz0123456789abcdef expired", "ya29.a0AfH6SMBxyz0123456789abcdef"),
    ],
)
def test_redact_masks_key_shapes(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "risk-assessment model task-runner: key points, monkey=banana"
    assert redact(text) == text


def test_registered_secrets_are_masked_whatever_their_shape() -> None:
    register_secret("plain-looking-token-42")
    assert redact("token plain-looking-token-42 leaked") == f"token {MASK} leaked"
    register_secret("short")  # too short to mask safely: ignored
    assert redact("short") == "short"


def test_data_designer_keywords_build_the_subclass_of_the_kind() -> None:
    cause = ValueError("boom")
    error = ProviderError(
        kind="rate_limit",
        message="slow down",
        status_code=429,
        provider_name="nvidia",
        model_name="m",
        retry_after=2.0,
        cause=cause,
    )
    assert isinstance(error, RateLimitError)
    assert (error.kind, error.status_code, error.retry_after) == (ErrorKind.RATE_LIMIT, 429, 2.0)
    assert (error.provider_name, error.model_name, error.__cause__) == ("nvidia", "m", cause)
    assert pickle.loads(pickle.dumps(error)).provider == "nvidia"


def test_data_designer_client_error_kind_is_a_bad_request() -> None:
    class DDKind(str, Enum):  # noqa: UP042  (Data Designer's ProviderErrorKind is declared so)
        CLIENT_ERROR = "client_error"
        TIMEOUT = "request_admission_timeout"

    assert type(ProviderError(kind=DDKind.CLIENT_ERROR, message="x")) is BadRequestError
    admission = ProviderError(kind=DDKind.TIMEOUT, message="x")
    assert admission.kind == ErrorKind.REQUEST_ADMISSION_TIMEOUT
    assert ProviderError("plain").kind == ErrorKind.API_ERROR
