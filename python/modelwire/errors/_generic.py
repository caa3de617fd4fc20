"""Error bodies that follow no provider's schema: FastAPI ``detail`` (a string, or a list of
``{loc, msg, type}``), Ollama and Hugging Face TGI's ``{"error": "text"}``, Cohere's and Bedrock's bare
``{"message": ...}``, and bodies that are not JSON at all (plain text, an HTML error page, nothing).
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.errors._kinds import Reading, normalize_code
from modelwire.errors._text import html_summary, is_html, text_summary
from modelwire.exceptions import ErrorKind

__all__ = ["message_of", "read_detail", "read_string_error", "read_text"]

_MAX_DETAIL_ITEMS: Final = 3
_TGI_KINDS: Final = {"overloaded": ErrorKind.OVERLOADED}


def _location(loc: Any) -> str:
    if isinstance(loc, list | tuple):
        return ".".join(str(part) for part in loc)
    return str(loc) if loc is not None else ""


def _detail_item(item: Any) -> str:
    if isinstance(item, dict):
        text = message_of(item.get("msg")) or message_of(item.get("message")) or str(item.get("type", ""))
        where = _location(item.get("loc"))
        return f"{where}: {text}" if where else text
    return message_of(item) or ""


def message_of(value: Any) -> str | None:
    """A human message from a field that may be a string, a FastAPI detail list or a nested object."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        parts = [part for part in (_detail_item(item) for item in value[:_MAX_DETAIL_ITEMS]) if part]
        if len(value) > _MAX_DETAIL_ITEMS:
            parts.append(f"(+{len(value) - _MAX_DETAIL_ITEMS} more)")
        return "; ".join(parts) or None
    if isinstance(value, dict):
        for key in ("message", "msg", "detail", "error"):
            found = message_of(value.get(key))
            if found:
                return found
    return None


def read_detail(body: dict[str, Any]) -> Reading:
    """FastAPI-style servers (LLaMA-Factory, Voyage, many OpenAI-compatible wrappers)."""
    return Reading(message=message_of(body.get("detail")))


def read_string_error(body: dict[str, Any]) -> Reading:
    """``{"error": "model 'x' not found"}`` (Ollama), plus TGI's ``error_type``."""
    error_type = body.get("error_type")
    code = error_type if isinstance(error_type, str) and error_type else None
    kind = _TGI_KINDS.get(normalize_code(code)) if code else None
    return Reading(message=message_of(body.get("error")), kind=kind, code=code)


def read_text(text: str, content_type: str) -> Reading:
    """A body that is not JSON: the title of an HTML page, the start of plain text, or nothing."""
    if not text.strip():
        return Reading()
    if is_html(text, content_type):
        return Reading(message=html_summary(text) or None)
    return Reading(message=text_summary(text))
