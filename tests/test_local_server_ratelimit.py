"""Rate-limit mode of the local provider server: a token bucket per server (or per API key), 429s in each
provider's shape with the Retry-After forms asked for, and the counters a load test reads."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from modelwire.testing import LocalProviderServer, RateLimit

CHAT = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}
SLOW = 0.1  # tokens per second: a refilled token would take 10 s, far longer than any of these tests


def _chat(
    server: LocalProviderServer, key: str = "sk-a", model: str = "gpt-4.1-mini", timeout: float = 5.0
) -> httpx.Response:
    body = {**CHAT, "model": model}
    url, headers = server.openai_base_url + "/chat/completions", {"authorization": f"Bearer {key}"}
    return httpx.post(url, json=body, headers=headers, timeout=timeout)


def test_burst_passes_then_429_with_both_retry_after_forms(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(SLOW, burst=3)
    responses = [_chat(local_server) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    limited = responses[3]
    error = limited.json()["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    wait_ms = int(limited.headers["retry-after-ms"])
    assert 0 < wait_ms <= 10_000
    assert int(limited.headers["retry-after"]) == math.ceil(wait_ms / 1000)
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert limited.headers["x-ratelimit-reset-requests"] == f"{wait_ms}ms"


@pytest.mark.parametrize(
    ("form", "present", "absent"),
    [
        ("seconds", ["retry-after"], ["retry-after-ms"]),
        ("ms", ["retry-after-ms"], ["retry-after"]),
        ("none", [], ["retry-after", "retry-after-ms"]),
    ],
)
def test_retry_after_forms(
    local_server: LocalProviderServer, form: str, present: list[str], absent: list[str]
) -> None:
    local_server.set_rate_limit(SLOW, burst=1, retry_after=form)
    assert _chat(local_server).status_code == 200
    limited = _chat(local_server)
    assert limited.status_code == 429
    assert all(h in limited.headers for h in present)
    assert not any(h in limited.headers for h in absent)
    assert "x-ratelimit-reset-requests" in limited.headers


def test_per_key_buckets(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(SLOW, burst=2, per_key=True)
    a = [_chat(local_server, "sk-a").status_code for _ in range(3)]
    b = [_chat(local_server, "sk-b").status_code for _ in range(3)]
    assert a == b == [200, 200, 429]


def test_shared_bucket_without_per_key(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(SLOW, burst=2)
    statuses = [_chat(local_server, key).status_code for key in ("sk-a", "sk-b", "sk-c")]
    assert statuses == [200, 200, 429]


def test_anthropic_429_shape_and_reset_header(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(SLOW, burst=1)
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    body = {"model": "claude-echo-1", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}
    url = local_server.anthropic_base_url + "/v1/messages"
    assert httpx.post(url, json=body, headers=headers).status_code == 200
    limited = httpx.post(url, json=body, headers=headers)
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "rate_limit_error"
    reset = datetime.fromisoformat(
        limited.headers["anthropic-ratelimit-requests-reset"].replace("Z", "+00:00")
    )
    assert reset.tzinfo is not None
    assert limited.headers["anthropic-ratelimit-requests-remaining"] == "0"


def test_counters_track_requests_429s_routes_and_models(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(SLOW, burst=2)
    for model in ("m1", "m2", "m1", "m2"):
        _chat(local_server, model=model)
    counters = local_server.counters()
    assert counters.requests == 4
    assert counters.rate_limited == 2
    assert counters.statuses == {200: 2, 429: 2}
    assert counters.routes == {"chat_completions": 4}
    assert counters.models == {"m1": 2, "m2": 2}
    assert counters.rate_limited_by_model == {"m1": 1, "m2": 1}
    local_server.clear()
    assert local_server.counters().requests == 0


def test_missing_auth_is_rejected_before_the_limiter_counts(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(SLOW, burst=1)
    no_key = httpx.post(local_server.openai_base_url + "/chat/completions", json=CHAT)
    assert no_key.status_code == 401
    assert _chat(local_server).status_code == 200


def test_limit_off_and_reset_restore_the_initial_setting(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(SLOW, burst=1)
    _chat(local_server)
    assert _chat(local_server).status_code == 429
    local_server.set_rate_limit(None)
    assert _chat(local_server).status_code == 200
    local_server.set_rate_limit(SLOW, burst=1)
    local_server.reset()
    assert local_server.config.rate_limit is None
    assert [_chat(local_server).status_code for _ in range(3)] == [200, 200, 200]


def test_limit_given_at_construction_survives_reset() -> None:
    with LocalProviderServer(rate_limit=RateLimit(SLOW, burst=1)) as server:
        assert [_chat(server).status_code for _ in range(2)] == [200, 429]
        server.reset()
        assert server.config.rate_limit == RateLimit(SLOW, burst=1)
        assert _chat(server).status_code == 200


def test_admitted_requests_never_exceed_burst_plus_rate_times_elapsed(
    local_server: LocalProviderServer,
) -> None:
    rate, burst = 40.0, 5
    local_server.set_rate_limit(rate, burst=burst)

    async def hammer() -> tuple[list[int], float]:
        limits = httpx.Limits(max_connections=32)
        headers = {"authorization": "Bearer k"}
        async with httpx.AsyncClient(
            base_url=local_server.openai_base_url, headers=headers, limits=limits
        ) as client:
            start = time.monotonic()
            responses = await asyncio.gather(
                *(client.post("/chat/completions", json=CHAT) for _ in range(200))
            )
            return [r.status_code for r in responses], time.monotonic() - start

    statuses, elapsed = asyncio.run(hammer())
    admitted = statuses.count(200)
    assert statuses.count(200) + statuses.count(429) == 200
    assert admitted <= burst + rate * elapsed + 1
    assert local_server.counters().rate_limited == statuses.count(429)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests_per_second": 0},
        {"requests_per_second": -1},
        {"requests_per_second": 1, "burst": 0},
        {"requests_per_second": 1, "retry_after": "minutes"},
    ],
)
def test_invalid_limits_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        RateLimit(**kwargs)


def test_latency_delays_default_answers_but_not_429s(local_server: LocalProviderServer) -> None:
    # A slow machine may add time, never remove it: the 200's wait is a lower bound, and the 429 is asked
    # for under a latency far longer than the client's timeout, which it only meets if it is not delayed.
    local_server.configure(latency=0.3)
    local_server.set_rate_limit(SLOW, burst=1)
    started = time.perf_counter()
    answered = _chat(local_server)
    assert answered.status_code == 200
    assert time.perf_counter() - started >= 0.3
    local_server.configure(latency=600.0)  # keeps the emptied bucket: only a rate_limit change resets it
    assert _chat(local_server, timeout=30.0).status_code == 429
    assert local_server.config.latency == 600.0


def test_latency_must_not_be_negative(local_server: LocalProviderServer) -> None:
    with pytest.raises(ValueError, match="latency must be >= 0"):
        local_server.configure(latency=-1)
    assert local_server.config.latency == 0.0
