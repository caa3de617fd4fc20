"""What the chain does after a failed attempt, by error kind: retry this model, move on, or raise now.

| action | kinds |
|---|---|
| retry this model | rate_limit, overloaded, timeout, api_connection, internal_server (5xx), pool_timeout, invalid_response; api_error with a 5xx status |
| next model | context_window_exceeded, content_policy, refusal, not_found, authentication, permission_denied, quota_exceeded, unsupported_capability, request_admission_timeout |
| raise now | bad_request, unsupported_params, unprocessable_entity, api_error (not 5xx), stream_interrupted, client_closed |

A bad_request whose message is one of the provider-specific limits LMI's retry code falls back on
(:data:`FALLBACK_400_PATTERNS`: Anthropic's image limits, an empty text block, a safety block reported as a
plain 400) moves on to the next model: a sibling model may accept the same input.

The provider's explicit verdict (``x-should-retry``) wins over the kind: ``true`` retries the same model
(except after a stream has yielded), ``false`` stops retrying that model and moves on.
"""  # noqa: E501

from __future__ import annotations

from enum import StrEnum
from typing import Final

from modelwire.exceptions import ErrorKind, ProviderError

__all__ = [
    "ACTIONS",
    "FALLBACK_400_PATTERNS",
    "SHARED_LIMITS_UNAVAILABLE",
    "Action",
    "action_for",
    "is_overload",
]

# provider_code of the AdmissionTimeoutError raised when shared limits are required (fail-closed) and
# Redis cannot be reached: refusing to send is deliberate, so the chain raises it instead of moving on.
SHARED_LIMITS_UNAVAILABLE: Final = "shared_limits_unavailable"


class Action(StrEnum):
    RETRY = "retry"  # the same model, after a backoff
    NEXT_MODEL = "next_model"  # another model may succeed where this one cannot
    RAISE = "raise"  # the request itself is wrong: no model will take it


ACTIONS: Final[dict[ErrorKind, Action]] = {
    ErrorKind.RATE_LIMIT: Action.RETRY,
    ErrorKind.OVERLOADED: Action.RETRY,
    ErrorKind.TIMEOUT: Action.RETRY,
    ErrorKind.API_CONNECTION: Action.RETRY,
    ErrorKind.INTERNAL_SERVER: Action.RETRY,
    ErrorKind.POOL_TIMEOUT: Action.RETRY,
    ErrorKind.INVALID_RESPONSE: Action.RETRY,
    ErrorKind.CONTEXT_WINDOW_EXCEEDED: Action.NEXT_MODEL,
    ErrorKind.CONTENT_POLICY: Action.NEXT_MODEL,
    ErrorKind.REFUSAL: Action.NEXT_MODEL,
    ErrorKind.NOT_FOUND: Action.NEXT_MODEL,
    ErrorKind.AUTHENTICATION: Action.NEXT_MODEL,
    ErrorKind.PERMISSION_DENIED: Action.NEXT_MODEL,
    ErrorKind.QUOTA_EXCEEDED: Action.NEXT_MODEL,
    # This model cannot do the operation at all; another one in the chain may.
    ErrorKind.UNSUPPORTED_CAPABILITY: Action.NEXT_MODEL,
    # No slot for this model before the deadline: another model has its own limits.
    ErrorKind.REQUEST_ADMISSION_TIMEOUT: Action.NEXT_MODEL,
    ErrorKind.BAD_REQUEST: Action.RAISE,
    ErrorKind.UNSUPPORTED_PARAMS: Action.RAISE,
    ErrorKind.UNPROCESSABLE_ENTITY: Action.RAISE,
    ErrorKind.API_ERROR: Action.RAISE,
    # The caller has already seen part of the answer: never resent silently.
    ErrorKind.STREAM_INTERRUPTED: Action.RAISE,
    # The caller closed the client: no other attempt may open a new pool behind its back.
    ErrorKind.CLIENT_CLOSED: Action.RAISE,
}

# Lower-cased fragments of 400 messages that are one provider's limit, not a malformed request (LMI's
# _PROVIDER_LIMIT_PATTERNS and _CONTENT_REFUSAL_PATTERNS).
FALLBACK_400_PATTERNS: Final = (
    "too much media",  # Anthropic: at most 100 images a request
    "image dimensions exceed max allowed size",
    "text content blocks must contain non-whitespace text",
    "limited access to this content for safety reasons",  # OpenAI's prompt-level safety block
    "this content was flagged for possible biological risk",
)

# Statuses that say "the provider is overloaded, send less": they cut the adaptive concurrency.
_OVERLOAD_STATUSES: Final = frozenset({429, 503, 529})


def action_for(error: ProviderError) -> Action:
    kind = error.kind
    if kind is ErrorKind.STREAM_INTERRUPTED or kind is ErrorKind.CLIENT_CLOSED:
        return Action.RAISE
    if kind is ErrorKind.REQUEST_ADMISSION_TIMEOUT and error.provider_code == SHARED_LIMITS_UNAVAILABLE:
        return Action.RAISE
    action = ACTIONS.get(kind, Action.RAISE)
    if kind is ErrorKind.BAD_REQUEST and _provider_limit(error):
        action = Action.NEXT_MODEL
    if kind is ErrorKind.API_ERROR and error.status_code is not None and error.status_code >= 500:
        action = Action.RETRY
    if error.should_retry is True:
        return Action.RETRY
    if error.should_retry is False and action is Action.RETRY:
        return Action.NEXT_MODEL
    return action


def _provider_limit(error: ProviderError) -> bool:
    text = error.message.lower()
    return any(pattern in text for pattern in FALLBACK_400_PATTERNS)


def is_overload(error: ProviderError) -> bool:
    """Whether this failure should make the adaptive concurrency back off (429, 503, 529)."""
    if error.kind in (ErrorKind.RATE_LIMIT, ErrorKind.OVERLOADED):
        return True
    # A 429 that is a quota error is not load: sending less will not help.
    return error.kind is not ErrorKind.QUOTA_EXCEEDED and error.status_code in _OVERLOAD_STATUSES
