"""Response headers as a plain lower-cased dict, whatever mapping they came in.

Callers pass an ``httpx.Headers`` (case-insensitive), an ``httpx2.Headers`` or a plain dict with any
capitalisation; classification must not import httpx, and must never fail on odd input, so everything
goes through :func:`lower_headers` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["REQUEST_ID_HEADERS", "lower_headers", "request_id_from"]

# Where providers put the id support asks for: OpenAI/Groq/Mistral, Anthropic, Bedrock, S3-style AWS,
# Azure API management, Azure.
REQUEST_ID_HEADERS: Final = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "apim-request-id",
    "x-ms-request-id",
)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1")
    return None


def lower_headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    """``headers`` as ``{lower-case name: value}``; anything unreadable is skipped, never raised."""
    if not headers:
        return {}
    try:
        items = list(headers.items())
    except Exception:
        return {}
    result: dict[str, str] = {}
    for key, value in items:
        name, text = _text(key), _text(value)
        if name is None or text is None:
            continue
        name = name.strip().lower()
        # A repeated header (possible with a plain list of pairs turned into a dict upstream) keeps the first.
        result.setdefault(name, text.strip())
    return result


def request_id_from(headers: Mapping[str, str]) -> str | None:
    """The provider's request id from already lower-cased headers, if any."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None
