"""Errors that arrive inside a 200 stream: the recorded ones in the corpus, and every provider's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from corpus_files import load
from modelwire import ErrorKind, ProviderError
from modelwire.errors import classify_stream_error
from modelwire.exceptions import error_class_for

K = ErrorKind


def _sse_error_payloads(body: str) -> list[dict[str, Any]]:
    """JSON data of SSE events that carry an error (an ``error`` key or ``event: error``)."""
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = block.split("\n")
        data = "".join(line[5:].strip() for line in lines if line.startswith("data:"))
        if not data or data == "[DONE]":
            continue
        payload = json.loads(data)
        if (
            "event: error" in lines
            or payload.get("error")
            or payload.get("type") in {"error", "response.failed"}
        ):
            found.append(payload)
    return found


def _jsonl_error_payloads(body: str) -> list[dict[str, Any]]:
    payloads = [json.loads(line) for line in body.splitlines() if line.strip()]
    return [p for p in payloads if p.get("type") in {"error", "response.failed"}]


@pytest.mark.parametrize(
    ("path", "provider", "kind", "status", "message"),
    [
        (
            "openrouter/chat_completions_stream/pydantic-ai__test_openrouter_stream_error__i0.json",
            "openrouter",
            K.BAD_REQUEST,
            400,
            "Token limit reached",
        ),
        (
            "groq/chat_completions_stream/pydantic-ai__test_tool_use_failed_error_streaming_with_text__i0.json",
            "groq",
            K.BAD_REQUEST,
            400,
            "Tool choice is required, but model did not call a tool",
        ),
    ],
)
def test_recorded_sse_stream_errors(
    path: str, provider: str, kind: ErrorKind, status: int, message: str
) -> None:
    payloads = _sse_error_payloads(load(path).body.decode())
    assert len(payloads) == 1
    error = classify_stream_error(payloads[0], provider=provider, model="m")
    assert (error.kind, error.status_code, error.message) == (kind, status, message)
    # The raw data string classifies the same as the decoded object.
    same = classify_stream_error(json.dumps(payloads[0]), provider=provider)
    assert (same.kind, same.status_code, same.message) == (kind, status, message)


def test_recorded_responses_api_error_and_failed_events() -> None:
    recording = load("openai/responses_stream_payloads/vercel-ai__openai-error.1.chunks.json")
    error_event, failed_event = _jsonl_error_payloads(recording.body.decode())
    for payload in (error_event, failed_event):
        error = classify_stream_error(payload, provider="openai")
        assert (error.kind, error.provider_code, error.status_code) == (
            K.QUOTA_EXCEEDED,
            "insufficient_quota",
            None,
        )
        assert error.message.startswith("You exceeded your current quota")


RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}


@pytest.mark.parametrize(
    ("payload", "provider", "kind", "code", "status"),
    [
        (
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            "anthropic",
            K.OVERLOADED,
            "overloaded_error",
            None,
        ),
        (
            b'{"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
            "anthropic",
            K.INTERNAL_SERVER,
            "api_error",
            None,
        ),
        (
            {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
            "anthropic",
            K.BAD_REQUEST,
            "invalid_request_error",
            None,
        ),
        (
            {
                "error": {
                    "message": "The server had an error",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            },
            "openai",
            K.INTERNAL_SERVER,
            "server_error",
            None,
        ),
        (
            {
                "type": "error",
                "code": "rate_limit_exceeded",
                "message": "slow down",
                "param": None,
                "sequence_number": 3,
            },
            "openai",
            K.RATE_LIMIT,
            "rate_limit_exceeded",
            None,
        ),
        (
            {"type": "response.failed", "response": {"error": {"code": "server_error", "message": "x"}}},
            "openai",
            K.INTERNAL_SERVER,
            "server_error",
            None,
        ),
        (
            {
                "error": {
                    "code": 502,
                    "message": "Provider returned error",
                    "metadata": {"provider_name": "X", "raw": "upstream died"},
                }
            },
            "openrouter",
            K.INTERNAL_SERVER,
            None,
            502,
        ),
        (
            {
                "error": {
                    "code": 429,
                    "message": "Quota",
                    "status": "RESOURCE_EXHAUSTED",
                    "details": [RETRY_INFO],
                }
            },
            "gemini",
            K.RATE_LIMIT,
            "RESOURCE_EXHAUSTED",
            429,
        ),
        (
            {"throttlingException": {"message": "Too many tokens"}},
            "bedrock",
            K.RATE_LIMIT,
            "ThrottlingException",
            None,
        ),
        (
            {"validationException": {"message": "Input is too long"}},
            "bedrock",
            K.CONTEXT_WINDOW_EXCEEDED,
            "ValidationException",
            None,
        ),
        (
            {"validationException": {"message": "bad input"}},
            "bedrock",
            K.BAD_REQUEST,
            "ValidationException",
            None,
        ),
        (
            {
                "modelStreamErrorException": {
                    "message": "x",
                    "originalStatusCode": 503,
                    "originalMessage": "busy",
                }
            },
            "bedrock",
            K.OVERLOADED,
            "ModelStreamErrorException",
            None,
        ),
        (
            {"internalServerException": {"message": "oops"}},
            "bedrock",
            K.INTERNAL_SERVER,
            "InternalServerException",
            None,
        ),
        ("Overloaded", "anthropic", K.OVERLOADED, None, None),
        ("rate limit exceeded, slow down", "x", K.RATE_LIMIT, None, None),
        ("something odd", "x", K.API_ERROR, None, None),
    ],
)
def test_stream_error_shapes(
    payload: Any, provider: str, kind: ErrorKind, code: str | None, status: int | None
) -> None:
    error = classify_stream_error(payload, provider=provider, model="m")
    assert (error.kind, error.provider_code, error.status_code) == (kind, code, status)
    assert type(error) is error_class_for(kind)
    assert (error.provider, error.model) == (provider, "m")


def test_stream_error_retry_info_is_read() -> None:
    payload = {
        "error": {"code": 429, "message": "q", "status": "RESOURCE_EXHAUSTED", "details": [RETRY_INFO]}
    }
    assert classify_stream_error(payload, provider="gemini").retry_after == 7.0


@pytest.mark.parametrize("payload", [None, "", b"\xff\xfe", 5, [], [None], {"x": 1}, object(), "data: {oops"])
def test_odd_stream_payloads_still_give_a_typed_error(payload: Any) -> None:
    error = classify_stream_error(payload, provider="openai")
    assert isinstance(error, ProviderError)
    assert error.message
    assert error.status_code is None
