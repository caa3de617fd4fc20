"""Pacing by the request limit a provider states on a 429 (``x-ratelimit-limit-requests``,
``anthropic-ratelimit-requests-limit``) when the config sets no requests/min of its own."""

from __future__ import annotations

import asyncio
import logging

import pytest

import modelwire
from modelwire.config import LLMConfig
from modelwire.errors import classify_response, parse_requests_limit
from modelwire.exceptions import RateLimitError
from modelwire.policy import AttemptContext, Limiters, ModelLimiter, Outcome, RetryPolicy
from modelwire.testing import LocalProviderServer


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-ratelimit-limit-requests": "6000"}, 6000),
        ({"X-RateLimit-Limit-Requests": " 60 "}, 60),
        ({"anthropic-ratelimit-requests-limit": "50"}, 50),
        ({"x-ratelimit-limit-requests": "0"}, None),
        ({"x-ratelimit-limit-requests": "-5"}, None),
        ({"x-ratelimit-limit-requests": "1e3"}, None),
        ({"x-ratelimit-limit-requests": "60.5"}, None),
        ({"x-ratelimit-limit-requests": "٣٠"}, None),  # Arabic-Indic digits: isdigit() alone would pass
        ({"x-ratelimit-limit-requests": "9" * 5000}, None),  # past int()'s digit limit: never raises
        ({"x-ratelimit-limit-requests": ""}, None),
        ({"x-ratelimit-limit-tokens": "90000"}, None),  # a tokens limit is not a requests limit
        ({}, None),
    ],
)
def test_parse_requests_limit(headers: dict[str, str], expected: int | None) -> None:
    assert parse_requests_limit(headers) == expected


def test_only_a_429_carries_the_stated_limit() -> None:
    headers = {"x-ratelimit-limit-requests": "500", "retry-after-ms": "20"}
    body = b'{"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}'
    limited = classify_response(429, headers, body, provider="openai")
    assert isinstance(limited, RateLimitError)
    assert (limited.requests_limit, limited.retry_after) == (500, 0.02)
    assert classify_response(503, headers, b"", provider="openai").requests_limit is None


def test_an_overload_stating_a_limit_paces_from_an_empty_bucket(caplog: pytest.LogCaptureFixture) -> None:
    limiter = ModelLimiter("openai/m", max_concurrency=8)
    assert limiter.rpm is None
    with caplog.at_level(logging.INFO, logger="modelwire.policy"):
        limiter.acquire(timeout=1).release(Outcome.OVERLOAD, retry_after=0.0, requests_limit=1200)
        limiter.acquire(timeout=1).release(Outcome.OVERLOAD, retry_after=0.0, requests_limit=1200)
    assert limiter.learned_rpm == 1200
    assert limiter.rpm is not None
    assert limiter.rpm.rate == 20.0
    assert limiter.rpm.level < 1.0  # just emptied, as the provider's bucket was
    paced = [r.getMessage() for r in caplog.records if "paced at" in r.getMessage()]
    assert paced == [
        "modelwire: openai/m paced at 1200 requests/min, the limit the provider stated on a 429 "
        "(set requests_per_minute to choose another)"
    ]  # once, not once per 429


def test_a_configured_rpm_wins_over_a_stated_one() -> None:
    limiter = ModelLimiter("m", max_concurrency=8, requests_per_minute=600)
    limiter.acquire(timeout=1).release(Outcome.OVERLOAD, retry_after=0.0, requests_limit=6000)
    assert limiter.learned_rpm is None
    assert limiter.rpm is not None
    assert limiter.rpm.rate == 10.0


def test_reconfiguring_without_an_rpm_keeps_the_learned_pace_and_setting_one_replaces_it() -> None:
    limiter = ModelLimiter("m", max_concurrency=8)
    limiter.acquire(timeout=1).release(Outcome.OVERLOAD, retry_after=0.0, requests_limit=3000)
    limiter.configure(8, None, None)
    assert limiter.rpm is not None
    assert limiter.rpm.rate == 50.0
    limiter.configure(8, 120, None)
    assert (limiter.learned_rpm, limiter.rpm.rate) == (None, 2.0)
    limiter.configure(8, None, None)
    assert limiter.rpm is None


def test_other_outcomes_teach_nothing() -> None:
    limiter = ModelLimiter("m", max_concurrency=8)
    limiter.acquire(timeout=1).release(Outcome.SUCCESS, requests_limit=3000)
    limiter.acquire(timeout=1).release(Outcome.FAILURE, requests_limit=3000)
    assert (limiter.learned_rpm, limiter.rpm) == (None, None)


def test_the_retry_layer_hands_the_stated_limit_to_the_limiter() -> None:
    limiters = Limiters()
    policy = RetryPolicy(LLMConfig.model_validate({"models": [{"name": "groq/m"}]}), limiters=limiters)
    calls = 0

    def attempt(ctx: AttemptContext) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RateLimitError("slow", status_code=429, retry_after=0.0, requests_limit=900)
        return "ok"

    assert policy.call(attempt) == "ok"
    assert limiters.for_spec(policy.config.primary).learned_rpm == 900


def test_a_client_learns_the_local_servers_limit_from_its_429(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(40, burst=1)  # the server states 40 * 60 = 2400 requests/min
    limiters = Limiters()

    async def main() -> None:
        async with modelwire.AsyncClient(
            "openai/gpt-4o-mini", api_key="sk-learn-0123456789", api_base=local_server.openai_base_url,
            limiters=limiters, max_retries=20,
        ) as client:  # fmt: skip
            await asyncio.gather(*(client.complete(f"q{i}", max_tokens=2) for i in range(6)))

    asyncio.run(main())
    counters = local_server.counters()
    assert counters.statuses.get(200) == 6
    assert counters.rate_limited >= 1  # six at once through a bucket of one
    (limiter,) = limiters._limiters.values()
    assert limiter.learned_rpm == 2400
