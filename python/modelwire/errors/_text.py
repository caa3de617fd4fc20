"""Turning error bodies into short, safe text: JSON decoding, HTML pages, plain text, excerpts.

Text is masked *before* it is shortened to its final length: cutting first could leave the head of a key
that no longer looks like a key, and so would escape the mask. Long text is first trimmed, for speed, at a
separator (space, quote, ``&``, ...), which never falls inside a key.
"""

from __future__ import annotations

import html
import re
from http import HTTPStatus
from typing import Any, Final

import orjson

from modelwire._redact import redact
from modelwire.exceptions import EXCERPT_LIMIT

__all__ = [
    "MESSAGE_LIMIT",
    "body_text",
    "clean",
    "decode_json",
    "excerpt",
    "html_summary",
    "is_html",
    "status_phrase",
    "text_summary",
]

MESSAGE_LIMIT: Final = 1000  # a provider's own message is kept whole up to this
SUMMARY_LIMIT: Final = 200  # text we dug out of a page or a non-JSON body

_SPACE: Final = re.compile(r"\s+")
_SEPARATORS: Final = " \t\r\n\"'<>&?,;()[]{}"
_TITLE: Final = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1: Final = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_INVISIBLE: Final = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG: Final = re.compile(r"<[^>]*>")
_HTML_START: Final = re.compile(r"\s*(<!doctype\s+html|<html\b|<head\b|<body\b)", re.IGNORECASE)
_OTHER_STATUS_PHRASES: Final = {
    499: "Client Closed Request",
    520: "Unknown Error",
    521: "Web Server Is Down",
    522: "Connection Timed Out",
    523: "Origin Is Unreachable",
    524: "A Timeout Occurred",
    529: "Overloaded",
}


def body_text(body: bytes | bytearray | memoryview | str | None) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    return bytes(body).decode("utf-8", errors="replace")


def decode_json(text: str) -> Any:
    """The JSON value of ``text``, or None when it is not JSON."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return None


def _trim(text: str, limit: int) -> str:
    """About ``limit`` characters of ``text``, ending at a separator so that no key is cut in two."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(separator) for separator in _SEPARATORS)
    return head[:end] if end > limit // 2 else head


def clean(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Whitespace collapsed, secrets masked, then shortened to ``limit`` characters, saying by how much."""
    raw = _trim(text, 4 * limit)  # collapsing whitespace rarely shrinks text by more than half
    collapsed = _SPACE.sub(" ", raw).strip()
    source = _trim(collapsed, 2 * limit)
    masked = redact(source)
    if raw is text and source is collapsed and len(masked) <= limit:
        return masked
    suffix = f"... [{len(text)} chars in all]"
    return masked[: max(limit - len(suffix), 0)] + suffix


def is_html(text: str, content_type: str = "") -> bool:
    return "html" in content_type.lower() or _HTML_START.match(text[:1024]) is not None


def _visible(fragment: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()


def html_summary(text: str) -> str:
    """What a person would read first on an error page: its title, else its heading, else its text."""
    for pattern in (_TITLE, _H1):
        match = pattern.search(text)
        if match and _visible(match[1]):
            return clean(_visible(match[1]), SUMMARY_LIMIT)
    return clean(_visible(_INVISIBLE.sub(" ", text)), SUMMARY_LIMIT)


def text_summary(text: str) -> str:
    return clean(text, SUMMARY_LIMIT)


def excerpt(text: str) -> str | None:
    """The start of the body, masked and short enough that the exception keeps it as is; None if empty."""
    return clean(text, EXCERPT_LIMIT) or None


def status_phrase(status: int | None) -> str:
    """``HTTP 502 Bad Gateway``, for bodies that say nothing."""
    if status is None:
        return "no status"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = _OTHER_STATUS_PHRASES.get(status, "")
    return f"HTTP {status} {phrase}".rstrip()
