"""The shared vocabulary of classification: what each provider module returns, the kind a bare HTTP status
means, and the last-resort phrases used only when no structured field decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from modelwire.exceptions import ErrorKind

__all__ = ["Reading", "kind_for_status", "normalize_code", "refine_by_message", "status_from"]

K = ErrorKind


@dataclass(frozen=True, slots=True)
class Reading:
    """What an error body says.

    ``kind`` is set only when a structured field decided it. ``default`` is what a generic code implies
    (``invalid_request_error``, ``server_error``) when no HTTP status says more, as inside a stream.
    """

    message: str | None = None
    kind: ErrorKind | None = None
    code: str | None = None  # the provider's own code or type, as it wrote it
    params: tuple[str, ...] = ()
    status: int | None = None  # a status stated inside the body (OpenRouter, Google, Groq stream errors)
    request_id: str | None = None
    default: ErrorKind | None = None


def normalize_code(code: Any) -> str:
    """``rate_limit_exceeded``, ``RateLimitExceeded`` and ``RATE-LIMIT-EXCEEDED`` all become one key."""
    return re.sub(r"[^a-z0-9]", "", str(code).lower())


def status_from(value: Any) -> int | None:
    """An HTTP status stated in a body (an int, or digits in a string), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 100 <= value <= 599 else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return status_from(int(value.strip()))
    return None


_STATUS_KINDS: Final[dict[int, ErrorKind]] = {
    400: K.BAD_REQUEST,
    401: K.AUTHENTICATION,
    402: K.QUOTA_EXCEEDED,  # payment required: OpenRouter, DeepSeek, Anthropic billing
    403: K.PERMISSION_DENIED,
    404: K.NOT_FOUND,
    408: K.TIMEOUT,
    410: K.NOT_FOUND,  # a retired model
    413: K.CONTEXT_WINDOW_EXCEEDED,  # too large: only a smaller request helps, as with a context overflow
    422: K.UNPROCESSABLE_ENTITY,
    429: K.RATE_LIMIT,
    500: K.INTERNAL_SERVER,
    501: K.UNSUPPORTED_CAPABILITY,
    502: K.INTERNAL_SERVER,
    503: K.OVERLOADED,
    504: K.TIMEOUT,
    524: K.TIMEOUT,  # Cloudflare: the origin did not answer in time
    529: K.OVERLOADED,  # Anthropic
}


def kind_for_status(status: int | None) -> ErrorKind:
    """The kind an HTTP status means when the body adds nothing."""
    if status is None:
        return K.API_ERROR
    kind = _STATUS_KINDS.get(status)
    if kind is not None:
        return kind
    if 400 <= status < 500:
        return K.BAD_REQUEST
    if 500 <= status < 600:
        return K.INTERNAL_SERVER
    return K.API_ERROR


def _phrases(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


# Last resort: only when no structured field decided, and only to sharpen a vague kind. Each entry names
# the vague kinds it may replace, so that e.g. a 429 never turns into "context window" on a stray word.
_VAGUE_CLIENT: Final = frozenset({K.BAD_REQUEST, K.UNPROCESSABLE_ENTITY, K.API_ERROR})
_REFINEMENTS: Final[tuple[tuple[ErrorKind, frozenset[ErrorKind], re.Pattern[str]], ...]] = (
    (
        K.CONTEXT_WINDOW_EXCEEDED,
        _VAGUE_CLIENT | {K.INTERNAL_SERVER},
        _phrases(
            r"context[ _]length",
            r"context[ _]window",
            r"maximum context",
            r"available context size",
            r"prompt is too long",
            r"input is too long",
            r"too many (?:input )?tokens",
            r"exceeds? the (?:maximum|max) (?:number of )?tokens",
            r"input token count",
            r"reduce the length of the (?:messages|prompt|input)",
            r"maximum prompt length",
            r"`max_new_tokens` must be",
        ),
    ),
    (
        K.CONTENT_POLICY,
        _VAGUE_CLIENT | {K.PERMISSION_DENIED},
        _phrases(
            r"content (?:management )?polic",
            r"content[ _]filter",
            r"safety (?:system|filter|polic)",
            r"usage polic",
            r"responsible ?ai",
            r"flagged (?:as|by|for)",
            r"input was flagged",
        ),
    ),
    (
        K.QUOTA_EXCEEDED,
        _VAGUE_CLIENT | {K.PERMISSION_DENIED, K.RATE_LIMIT},
        _phrases(
            r"credit balance",
            r"insufficient (?:balance|credits?|funds|quota)",
            r"out of credits",
            r"exceeded your current quota",
            r"billing (?:details|hard limit|is not active|not active)",
            r"spend(?:ing)? limit",
            r"usage limits?",
            r"payment required",
        ),
    ),
    (
        K.AUTHENTICATION,
        _VAGUE_CLIENT | {K.PERMISSION_DENIED},
        _phrases(
            r"api[ _-]?key (?:is )?(?:not valid|invalid|expired)",
            r"invalid (?:api[ _-]?key|x-api-key)",
            r"incorrect api key",
            r"invalid (?:authentication|bearer token|access token)",
            r"authentication (?:failed|required)",
            r"missing (?:an? )?(?:api[ _-]?key|authentication)",
        ),
    ),
    (
        K.NOT_FOUND,
        _VAGUE_CLIENT,
        _phrases(
            r"\bmodel\b[^.]{0,100}?\b(?:not found|does not exist|is invalid|is not supported\b)",
            r"no such model",
            r"unknown model",
            r"deployment[^.]{0,100}?(?:not found|does not exist)",
        ),
    ),
    # Status-less failures (an error inside a stream, a body with no status at all).
    (K.OVERLOADED, frozenset({K.API_ERROR}), _phrases(r"\boverloaded\b", r"high demand", r"over capacity")),
    (K.RATE_LIMIT, frozenset({K.API_ERROR}), _phrases(r"rate[ _-]?limit", r"too many requests")),
)


# A 429 that talks about a per-window rate is a rate limit, even if it also mentions a plan or billing
# ("Rate limit reached ... upgrade at .../settings/billing").
_RATE_WORDS: Final = _phrases(r"rate[ _-]?limit", r"per (?:second|minute|hour)", r"\b[RT]P[MSD]\b")


def refine_by_message(kind: ErrorKind, message: str | None) -> ErrorKind:
    """Sharpen a vague kind from the words of the message (the last resort; see ``_REFINEMENTS``)."""
    if not message:
        return kind
    for refined, replaces, pattern in _REFINEMENTS:
        if kind in replaces and pattern.search(message):
            if kind is K.RATE_LIMIT and _RATE_WORDS.search(message):
                return kind
            return refined
    return kind
