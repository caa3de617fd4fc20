"""OpenRouter error objects: ``{"error": {"code": 429, "message", "metadata"?}}``.

``code`` is the HTTP status (also inside a 200 stream, where it is the only status there is).
``metadata.reasons`` / ``flagged_input`` mark a moderation refusal; ``metadata.raw`` is the upstream
provider's own error, often more telling than "Provider returned error", so it joins the message.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.errors._generic import message_of
from modelwire.errors._kinds import Reading, status_from
from modelwire.errors._openai import read_openai
from modelwire.errors._text import decode_json
from modelwire.exceptions import ErrorKind

__all__ = ["looks_like_openrouter", "read_openrouter"]

_MODERATION_KEYS: Final = ("reasons", "flagged_input")


def looks_like_openrouter(error: dict[str, Any], provider: str) -> bool:
    if isinstance(error.get("metadata"), dict):
        return True
    return provider == "openrouter" and status_from(error.get("code")) is not None


def _upstream_message(raw: Any) -> str | None:
    if isinstance(raw, str):
        decoded = decode_json(raw)
        return message_of(decoded) if isinstance(decoded, dict) and message_of(decoded) else message_of(raw)
    return message_of(raw)


def read_openrouter(error: dict[str, Any]) -> Reading:
    if isinstance(error.get("code"), str) and status_from(error["code"]) is None:
        return read_openai(error)  # an upstream OpenAI-style object passed through as is
    raw_metadata = error.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    message = message_of(error.get("message"))
    upstream = _upstream_message(metadata.get("raw"))
    provider_name = metadata.get("provider_name")
    if upstream and upstream != message:
        source = f" ({provider_name})" if isinstance(provider_name, str) and provider_name else ""
        message = f"{message or 'Provider returned error'}{source}: {upstream}"
    kind = ErrorKind.CONTENT_POLICY if any(key in metadata for key in _MODERATION_KEYS) else None
    return Reading(message=message, kind=kind, status=status_from(error.get("code")))
