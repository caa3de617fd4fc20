"""Retry-After in every form providers use, its precedence, and garbage that must give None (never raise)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelwire.errors import parse_duration, parse_retry_after, parse_should_retry

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
T = NOW.timestamp()


def _http_date(delta: float) -> str:
    return format_datetime(NOW + timedelta(seconds=delta), usegmt=True)


def _rfc3339(delta: float) -> str:
    return (NOW + timedelta(seconds=delta)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250.5"}, 0.2505),
        ({"retry-after-ms": "0"}, 0.0),
        ({"x-ms-retry-after-ms": "2000"}, 2.0),
        ({"retry-after": "30"}, 30.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": " 7 "}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": _http_date(45)}, 45.0),
        ({"retry-after": "Sunday, 01-Jun-25 12:01:00 GMT"}, 60.0),  # RFC 850
        ({"retry-after": "Sun Jun  1 12:00:20 2025"}, 20.0),  # asctime
        ({"retry-after": _http_date(-3600)}, 0.0),  # in the past
        ({"Retry-After": "12"}, 12.0),  # any capitalisation
        ({"RETRY-AFTER-MS": "100"}, 0.1),
    ],
)
def test_explicit_headers(headers: dict[str, str], expected: float) -> None:
    assert parse_retry_after(headers, now=T) == pytest.approx(expected)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "soon",
        "-1",
        "-0.5",
        "1e3",
        "NaN",
        "inf",
        "30s",
        "1,5",
        "0x10",
        "Fri, 31 Feb 2020 00:00:00 GMT",
        "Mon, 99 Foo 2025 00:00:00 GMT",
        "\x00",
        "١٢",
        "12 34",
    ],
)
def test_garbage_retry_after_gives_none(value: str) -> None:
    assert parse_retry_after({"retry-after": value}, now=T) is None
    assert parse_retry_after({"retry-after-ms": value}, now=T) is None


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        # retry-after-ms is the most precise explicit instruction and wins over retry-after ...
        ({"retry-after-ms": "1500", "retry-after": "2"}, None, 1.5),
        # ... unless it is garbage, when retry-after is next.
        ({"retry-after-ms": "later", "retry-after": "2"}, None, 2.0),
        # An explicit header beats Gemini's body RetryInfo, which beats a bucket reset.
        (
            {"retry-after": "5"},
            {
                "error": {
                    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}]
                }
            },
            5.0,
        ),
        (
            {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "9s"},
            {
                "error": {
                    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}]
                }
            },
            3.0,
        ),
        (
            {"retry-after": "garbage", "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "2s"},
            None,
            2.0,
        ),
    ],
)
def test_precedence(headers: dict[str, str], body: Any, expected: float) -> None:
    assert parse_retry_after(headers, body, now=T) == pytest.approx(expected)


RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


@pytest.mark.parametrize(
    ("delay", "expected"),
    [
        ("34.4s", 34.4),
        ("30s", 30.0),
        ("0.5s", 0.5),
        ("1m", 60.0),
        ({"seconds": "30", "nanos": 500_000_000}, 30.5),
        ({"seconds": 2}, 2.0),
        ("thirty", None),
        ("-3s", None),
        (None, None),
        ({"seconds": "x"}, None),
    ],
)
def test_gemini_retry_info(delay: Any, expected: float | None) -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                {"@type": RETRY_INFO, "retryDelay": delay},
            ],
        }
    }
    result = parse_retry_after({}, body, now=T)
    assert result == (pytest.approx(expected) if expected is not None else None)
    assert parse_retry_after({}, [body], now=T) == result  # the list-wrapped form


@pytest.mark.parametrize(
    "body",
    [
        None,
        5,
        "x",
        [],
        [1],
        {"error": "x"},
        {"error": {"details": "x"}},
        {"error": {"details": [None, 3, {"@type": 7}]}},
    ],
)
def test_body_without_retry_info(body: Any) -> None:
    assert parse_retry_after({}, body, now=T) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("0s", 0.0),
        ("500us", 0.0005),
        ("250µs", 0.00025),
        ("1.5s", 1.5),
        ("7", 7.0),
        ("2m59.56s", 179.56),
        ("", None),
        ("6 minutes", None),
        ("-1s", None),
        ("1x", None),
        ("s", None),
        ("1s2", None),
        ("ms", None),
    ],
)
def test_go_durations(value: str, expected: float | None) -> None:
    result = parse_duration(value)
    assert result == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # OpenAI: only an exhausted bucket's reset counts; with two exhausted, the later one.
        (
            {
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "6m0s",
                "x-ratelimit-remaining-tokens": "0",
                "x-ratelimit-reset-tokens": "20ms",
            },
            360.0,
        ),
        (
            {
                "x-ratelimit-remaining-requests": "5",
                "x-ratelimit-reset-requests": "6m0s",
                "x-ratelimit-remaining-tokens": "0",
                "x-ratelimit-reset-tokens": "20ms",
            },
            0.02,
        ),
        ({"x-ratelimit-remaining-requests": "29999", "x-ratelimit-reset-requests": "2ms"}, None),
        ({"x-ratelimit-reset-requests": "2s"}, None),  # no remaining header: nothing says it is exhausted
        ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "soon"}, None),
        ({"x-ratelimit-remaining-requests": "none", "x-ratelimit-reset-requests": "1s"}, None),
        # Anthropic: RFC 3339 timestamps.
        (
            {
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": _rfc3339(30),
            },
            30.0,
        ),
        (
            {
                "anthropic-ratelimit-tokens-remaining": "0",
                "anthropic-ratelimit-tokens-reset": (NOW + timedelta(seconds=90)).isoformat(),
            },
            90.0,
        ),
        (
            {
                "anthropic-ratelimit-input-tokens-remaining": "0",
                "anthropic-ratelimit-input-tokens-reset": "2025-06-01T13:00:10+01:00",
            },
            10.0,
        ),
        (
            {
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": "2025-06-01T12:00:01.250Z",
            },
            1.25,
        ),
        (
            {
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": _rfc3339(-60),
            },
            0.0,
        ),
        (
            {
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": "2025-13-45T99:00Z",
            },
            None,
        ),
        (
            {
                "anthropic-ratelimit-tokens-remaining": "16000",
                "anthropic-ratelimit-tokens-reset": _rfc3339(30),
            },
            None,
        ),
        # OpenRouter: epoch milliseconds; epoch seconds are recognised too.
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int((T + 12) * 1000))}, 12.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(T + 8))}, 8.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int((T - 5) * 1000))}, 0.0),
    ],
)
def test_rate_limit_resets(headers: dict[str, str], expected: float | None) -> None:
    result = parse_retry_after(headers, now=T)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_httpx_headers_are_read_case_insensitively() -> None:
    headers = httpx.Headers({"Retry-After": "3", "X-Should-Retry": "false"})
    assert parse_retry_after(headers) == 3.0
    assert parse_should_retry(headers) is False


def test_the_real_clock_is_used_without_now() -> None:
    future = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    result = parse_retry_after({"retry-after": future})
    assert result is not None
    assert 3000 < result <= 3600


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("1", True),
        ("0", False),
        ("maybe", None),
        ("", None),
    ],
)
def test_x_should_retry(value: str, expected: bool | None) -> None:
    assert parse_should_retry({"x-should-retry": value}) is expected


def test_odd_header_containers_never_raise() -> None:
    class Broken(dict[str, str]):
        def items(self) -> Any:
            raise RuntimeError("boom")

    assert parse_retry_after(Broken(retry_after="1")) is None
    assert parse_retry_after({b"retry-after": b"4"}) == 4.0  # type: ignore[dict-item]
    assert parse_retry_after({"retry-after": None, 3: "x"}) is None  # type: ignore[dict-item]
    assert parse_retry_after(None) is None  # type: ignore[arg-type]
    assert parse_should_retry([]) is None  # type: ignore[arg-type]


header_names = st.sampled_from(
    [
        "retry-after",
        "retry-after-ms",
        "x-ms-retry-after-ms",
        "x-ratelimit-reset-requests",
        "x-ratelimit-remaining-requests",
        "anthropic-ratelimit-tokens-reset",
        "anthropic-ratelimit-tokens-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-remaining",
        "x-should-retry",
    ]
)


@given(
    st.dictionaries(header_names, st.text(max_size=40)),
    st.none()
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
        ),
        max_leaves=10,
    ),
)
def test_any_header_values_give_a_finite_non_negative_number_or_none(
    headers: dict[str, str], body: Any
) -> None:
    result = parse_retry_after(headers, body, now=T)
    assert result is None or (math.isfinite(result) and result >= 0)
    assert parse_should_retry(headers) in {True, False, None}
