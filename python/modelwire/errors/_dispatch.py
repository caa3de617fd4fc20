"""Which reader an error body's shape calls for.

The body's shape decides, not the provider's name: Claude errors arrive through Bedrock and Vertex in
Anthropic's shape, OpenAI-compatible servers answer in OpenAI's, a proxy in front of anything answers in
HTML. The provider name only settles shapes that are ambiguous on their own (a bare ``{"message"}`` from
Bedrock; a numeric ``code`` from OpenRouter).
"""

from __future__ import annotations

from typing import Any

from modelwire.errors._anthropic import looks_like_anthropic, read_anthropic
from modelwire.errors._bedrock import exception_name, read_bedrock, stream_exception
from modelwire.errors._generic import message_of, read_detail, read_string_error, read_text
from modelwire.errors._google import looks_like_google, read_google, read_prompt_block
from modelwire.errors._kinds import Reading
from modelwire.errors._openai import read_openai
from modelwire.errors._openrouter import looks_like_openrouter, read_openrouter

__all__ = ["read_body", "read_object"]


def _read_error_object(error: dict[str, Any], body: dict[str, Any], provider: str) -> Reading:
    if looks_like_google(error):
        return read_google(error)
    if looks_like_anthropic(body, error):
        return read_anthropic(error, body)
    if looks_like_openrouter(error, provider):
        return read_openrouter(error)
    request_id = body.get("request_id")
    return read_openai(error, request_id=request_id if isinstance(request_id, str) else None)


def read_object(data: Any, provider: str, amzn_error_type: str | None = None) -> Reading | None:
    """Read a decoded JSON error value; None when it has no recognisable error in it."""
    if isinstance(data, list):
        data = data[0] if data else None
    if not isinstance(data, dict):
        return None
    name = exception_name(amzn_error_type) or exception_name(data.get("__type"))
    if name is not None:
        return read_bedrock(data, name)
    streamed = stream_exception(data)
    if streamed is not None:
        return read_bedrock(streamed[1], streamed[0])
    if data.get("type") == "response.failed" and isinstance(data.get("response"), dict):
        failed = data["response"].get("error")
        return read_openai(failed) if isinstance(failed, dict) else Reading(message="response failed")
    error = data.get("error")
    if isinstance(error, dict):
        return _read_error_object(error, data, provider)
    blocked = read_prompt_block(data)
    if blocked is not None:
        return blocked
    if isinstance(error, str | list):
        return read_string_error(data)
    if "detail" in data:
        return read_detail(data)
    if provider.startswith("bedrock") and ("message" in data or "Message" in data):
        return read_bedrock(data, None)
    if "message" in data or "code" in data:
        # vLLM / Mistral ({"object": "error", ...}), Cohere ({"id", "message"}), Responses API error events.
        return read_openai(data)
    if isinstance(data.get("errors"), list):
        return Reading(message=message_of(data["errors"]))
    return None


def read_body(data: Any, text: str, headers: dict[str, str], provider: str) -> Reading:
    """Read an HTTP error body (``data`` is its decoded JSON or None, ``text`` the body text)."""
    reading = read_object(data, provider, headers.get("x-amzn-errortype"))
    if reading is not None:
        return reading
    if data is not None:
        return Reading()  # JSON without an error in it: the status decides
    return read_text(text, headers.get("content-type", ""))
