"""How long the provider asked us to wait, in seconds, from every form providers use.

Precedence when several sources are present (the first one that parses wins; a malformed value is
skipped, so a garbled ``retry-after-ms`` falls through to ``retry-after``):

1. ``retry-after-ms`` (OpenAI, Azure, Anthropic) and ``x-ms-retry-after-ms`` (Azure): milliseconds, the
   most precise explicit instruction, and what the official SDKs read first;
2. ``retry-after``: delta-seconds (integer or fractional) or an HTTP-date (RFC 9110: IMF-fixdate, RFC 850
   or asctime);
3. Gemini/Vertex ``google.rpc.RetryInfo.retryDelay`` in the error body's ``details`` (``"34.4s"``);
4. rate-limit window resets, only for a bucket the same headers say is exhausted (its ``remaining`` is
   0): OpenAI-style ``x-ratelimit-reset-<bucket>`` durations (``1s``, ``6m0s``, ``20ms``), Anthropic's
   ``anthropic-ratelimit-<bucket>-reset`` RFC 3339 timestamps, OpenRouter's ``x-ratelimit-reset`` (epoch
   milliseconds). When several buckets are exhausted the latest reset wins, since the request needs all
   of them. A reset for a bucket with capacity left says nothing about this failure and is ignored.

Explicit instructions beat derived ones because they are the provider's answer for *this* request; a
reset time is only when a window refills. Garbage gives ``None``, never an exception; a date in the past
gives 0; negative, NaN or infinite values are garbage.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

from modelwire.errors._headers import lower_headers

__all__ = ["parse_duration", "parse_requests_limit", "parse_retry_after", "parse_should_retry"]

_DELTA_SECONDS: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DURATION_PART: Final = re.compile(r"([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS: Final = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}  # fmt: skip
_RESET: Final = re.compile(
    r"x-ratelimit-reset-(?P<xb>.+)|anthropic-ratelimit-(?P<ab>.+)-reset|x-ratelimit-reset"
)
# Epoch values are told apart from delta-seconds by size: no provider asks for a 30-year wait.
_EPOCH_SECONDS_MIN: Final = 1e9
_EPOCH_MS_MIN: Final = 1e12
_MS_HEADERS: Final = ("retry-after-ms", "x-ms-retry-after-ms")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) and value >= 0 else None


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _until(moment: datetime, now: float | None) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - _now(now))


def _number(text: str) -> float | None:
    if not _DELTA_SECONDS.fullmatch(text):
        return None
    return _finite(float(text))


def _http_date(text: str, now: float | None) -> float | None:
    # RFC 9110 dates always name a weekday and a month; a bare number never reaches here.
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _until(moment, now)


def parse_duration(text: str) -> float | None:
    """A Go-style duration (``1s``, ``6m0s``, ``1h2m3.5s``, ``20ms``) or bare seconds, in seconds."""
    text = text.strip()
    if not text:
        return None
    plain = _number(text)
    if plain is not None:
        return plain
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match[1]) * _UNIT_SECONDS[match[2]]
        position = match.end()
    return _finite(total) if position == len(text) else None


def _rfc3339(text: str, now: float | None) -> float | None:
    if not (text[:4].isascii() and text[:4].isdigit()) or "-" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _until(moment, now)


def _reset_value(text: str, now: float | None) -> float | None:
    """A rate-limit reset header: a duration, an RFC 3339 timestamp, or an epoch in seconds or ms."""
    text = text.strip()
    number = _number(text)
    if number is not None:
        if number >= _EPOCH_MS_MIN:
            return max(0.0, number / 1000 - _now(now))
        if number >= _EPOCH_SECONDS_MIN:
            return max(0.0, number - _now(now))
        return number
    duration = parse_duration(text)
    return duration if duration is not None else _rfc3339(text, now)


def _remaining_header(match: re.Match[str]) -> str:
    if match["xb"] is not None:
        return f"x-ratelimit-remaining-{match['xb']}"
    if match["ab"] is not None:
        return f"anthropic-ratelimit-{match['ab']}-remaining"
    return "x-ratelimit-remaining"


def _exhausted_reset(headers: Mapping[str, str], now: float | None) -> float | None:
    latest: float | None = None
    for name, value in headers.items():
        match = _RESET.fullmatch(name)
        if match is None:
            continue
        remaining = _number(headers.get(_remaining_header(match), ""))
        if remaining is None or remaining > 0:
            continue
        seconds = _reset_value(value, now)
        if seconds is not None and (latest is None or seconds > latest):
            latest = seconds
    return latest


def _google_retry_info(body: Any) -> float | None:
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return None
    for detail in details:
        if not isinstance(detail, dict) or not str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            continue
        delay = detail.get("retryDelay")
        if isinstance(delay, str):
            return parse_duration(delay)
        if isinstance(delay, dict):  # the proto form {"seconds": 30, "nanos": 0}
            seconds, nanos = delay.get("seconds", 0), delay.get("nanos", 0)
            try:
                return _finite(float(seconds) + float(nanos) / 1e9)
            except (TypeError, ValueError):
                return None
    return None


def parse_retry_after(
    headers: Mapping[str, str], body: Any = None, *, now: float | None = None
) -> float | None:
    """Seconds to wait before retrying, or None when the response does not say (see module docstring).

    ``body`` is the decoded error JSON, when there is one (Gemini puts ``RetryInfo`` there). ``now`` (epoch
    seconds) fixes the clock for HTTP-date and timestamp forms.
    """
    lowered = lower_headers(headers)
    for name in _MS_HEADERS:
        milliseconds = _number(lowered.get(name, ""))
        if milliseconds is not None:
            return milliseconds / 1000
    retry_after = lowered.get("retry-after", "")
    if retry_after:
        seconds = _number(retry_after)
        if seconds is None:
            seconds = _http_date(retry_after, now)
        if seconds is not None:
            return seconds
    from_body = _google_retry_info(body)
    if from_body is not None:
        return from_body
    return _exhausted_reset(lowered, now)


def parse_should_retry(headers: Mapping[str, str]) -> bool | None:
    """The provider's explicit verdict from ``x-should-retry`` (``true``/``false``), or None."""
    value = lower_headers(headers).get("x-should-retry", "").lower()
    if value in {"true", "1"}:
        return True
    if value in {"false", "0"}:
        return False
    return None


# The request limit a provider states beside its resets: OpenAI and the servers copying its headers
# (per minute), Anthropic (per minute). Groq states requests per day here; pacing by that is only laxer.
_LIMIT_HEADERS: Final = ("x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit")


def parse_requests_limit(headers: Mapping[str, str]) -> int | None:
    """The provider's stated requests-per-minute limit: a positive whole number, else ``None``."""
    lowered = lower_headers(headers)
    for name in _LIMIT_HEADERS:
        value = lowered.get(name, "").strip()
        if 0 < len(value) <= 12 and value.isascii() and value.isdigit() and int(value) > 0:
            return int(value)
    return None
