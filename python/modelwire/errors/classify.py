"""HTTP error responses and in-stream error objects -> one :class:`~modelwire.exceptions.ProviderError`.

Order of evidence: the provider's structured fields (``error.code``/``type``, Gemini's ``status``,
Bedrock's exception name), then the HTTP status, then, only to sharpen a vague result, words in the
message. Every text that reaches the exception is redacted before it is shortened; the exception redacts
its message and excerpt again when it is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from modelwire._redact import redact
from modelwire.errors._dispatch import read_body, read_object
from modelwire.errors._headers import lower_headers, request_id_from
from modelwire.errors._kinds import Reading, kind_for_status, refine_by_message
from modelwire.errors._text import body_text, clean, decode_json, excerpt, status_phrase, text_summary
from modelwire.errors.retry_after import parse_requests_limit, parse_retry_after, parse_should_retry
from modelwire.exceptions import ProviderError, UnsupportedParamsError, error_class_for

__all__ = ["classify_response", "classify_stream_error"]


def _optional(text: str | None) -> str | None:
    return redact(text) if text else None


def _build(
    reading: Reading,
    *,
    status: int | None,
    provider: str,
    model: str | None,
    retry_after: float | None,
    should_retry: bool | None,
    request_id: str | None,
    body_excerpt: str | None,
    requests_limit: int | None = None,
) -> ProviderError:
    kind = reading.kind
    if kind is None:
        said_by_status = status is not None and status >= 400
        base = kind_for_status(status)
        if reading.default is not None and not said_by_status:
            base = reading.default
        kind = refine_by_message(base, reading.message)
    if reading.message:
        message = clean(reading.message)
    else:
        message = status_phrase(status) if status is not None else "the provider reported an error"
    fields: dict[str, Any] = {
        "kind": kind,
        "status_code": status,
        "provider": provider,
        "model": model,
        "retry_after": retry_after,
        "request_id": _optional(request_id or reading.request_id),
        "provider_code": _optional(reading.code),
        "body_excerpt": body_excerpt,
        "should_retry": should_retry,
        "requests_limit": requests_limit,
    }
    cls = error_class_for(kind)
    if issubclass(cls, UnsupportedParamsError):
        fields["params"] = tuple(redact(param) for param in reading.params)
    return cls(message, **fields)


def classify_response(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    provider: str,
    model: str | None = None,
    now: float | None = None,
) -> ProviderError:
    """The exception for an error response (any non-2xx status, or an error body sent with a 2xx).

    ``headers`` may be an ``httpx.Headers`` or a plain dict in any case; ``body`` the raw bytes (or text).
    ``now`` (epoch seconds) fixes the clock for Retry-After dates and reset timestamps.
    """
    lowered = lower_headers(headers)
    text = body_text(body)
    data = decode_json(text)
    reading = read_body(data, text, lowered, provider)
    status = status_code if status_code >= 300 or reading.status is None else reading.status
    return _build(
        reading,
        status=status,
        provider=provider,
        model=model,
        retry_after=parse_retry_after(lowered, data, now=now),
        should_retry=parse_should_retry(lowered),
        request_id=request_id_from(lowered),
        body_excerpt=excerpt(text),
        requests_limit=parse_requests_limit(lowered) if status == 429 else None,
    )


def _payload_text(payload: Any) -> str:
    if isinstance(payload, bytes | bytearray | memoryview | str):
        return body_text(payload)
    try:
        return orjson.dumps(payload, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return repr(payload)


def classify_stream_error(payload: Any, *, provider: str, model: str | None = None) -> ProviderError:
    """The exception for an error that arrived inside a 200 stream.

    ``payload`` is the event's data, decoded or not: OpenRouter's ``{"error": {"code": 400, ...}}``
    chunk, Anthropic's ``event: error`` data, OpenAI's ``error`` / ``response.failed`` events, Groq's
    ``event: error``, Gemini's error object, or a Bedrock exception event. ``status_code`` is the status
    the error object states (the HTTP status was 200), or None.
    """
    text = _payload_text(payload)
    data = payload if isinstance(payload, dict | list) else decode_json(text)
    reading = read_object(data, provider)
    if reading is None:
        reading = Reading(message=text_summary(text) if text.strip() else "the stream reported an error")
    return _build(
        reading,
        status=reading.status,
        provider=provider,
        model=model,
        retry_after=parse_retry_after({}, data),
        should_retry=None,
        request_id=None,
        body_excerpt=excerpt(text),
    )
