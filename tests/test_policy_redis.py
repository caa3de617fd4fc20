"""Limits shared through a real redis-server: across processes, across clients, and when Redis goes away."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from fixtures_redis import RedisServer
from modelwire.config import LLMConfig, ModelSpec, SharedLimits
from modelwire.exceptions import AdmissionTimeoutError
from modelwire.policy import SHARED_LIMITS_UNAVAILABLE, AttemptContext, Limiters, Outcome, RetryPolicy

pytestmark = pytest.mark.redis

KEY = "sk-redis-test-key-0123456789"


def spec(**limits: Any) -> ModelSpec:
    return ModelSpec(name="openai/gpt-test", api_key=KEY, **limits)


def shared(url: str, **settings: Any) -> SharedLimits:
    return SharedLimits(url=url, **settings)


@pytest.fixture
def limiters() -> Iterator[Callable[[], Limiters]]:
    """Separate Limiters stand for separate processes: no local state in common, own connections."""
    made: list[Limiters] = []

    def make() -> Limiters:
        made.append(Limiters())
        return made[-1]

    yield make
    for item in made:
        item.close()


_WORKER = """
import json, sys, time
from modelwire.config import LLMConfig
from modelwire.policy import RetryPolicy
config = LLMConfig.model_validate(json.loads(sys.argv[1]))
start_at = float(sys.argv[2])
policy = RetryPolicy(config)
time.sleep(max(0.0, start_at - time.time()))
admitted = []
for _ in range(15):
    policy.call(lambda ctx: admitted.append(time.time()))
print(json.dumps({"first": admitted[0], "last": admitted[-1], "count": len(admitted)}))
"""


def test_two_processes_share_one_requests_per_minute_budget(redis_url: str) -> None:
    # 600/min = 10/s with a burst of 10. Alone, each process would admit its 15 in about 0.5 s; sharing
    # one budget, the 30 admissions of both take at least (30 - 10) / 10 = 2 s.
    config = {
        "models": [{"name": "openai/gpt-test", "api_key": KEY, "rpm": 600}],
        "shared_limits": {"url": redis_url},
    }
    start_at = time.time() + 1.5
    args = [sys.executable, "-c", _WORKER, json.dumps(config), str(start_at)]
    workers = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.append(json.loads(out))
    assert [r["count"] for r in results] == [15, 15]
    span = max(r["last"] for r in results) - min(r["first"] for r in results)
    assert span >= 1.9


def test_keys_are_namespaced_per_provider_model_and_key_hash(
    redis_url: str,
    limiters: Callable[[], Limiters],
) -> None:
    model = spec(rpm=600, tpm=60_000, max_concurrency=4)
    limiter = limiters().for_spec(model, shared(redis_url, namespace="mwtest"))
    permit = limiter.acquire(tokens=10, timeout=2)
    keys = {k.decode() for k in redis.Redis.from_url(redis_url).keys("*")}
    tag = f"mwtest:{{openai/gpt-test/{model.key_fingerprint}}}"
    assert keys == {f"{tag}:rpm", f"{tag}:tpm", f"{tag}:conc"}
    assert all(KEY not in k for k in keys)
    permit.release()


def test_concurrency_is_shared_between_clients(redis_url: str, limiters: Callable[[], Limiters]) -> None:
    model, limits = spec(max_concurrency=2), shared(redis_url)
    a, b = limiters().for_spec(model, limits), limiters().for_spec(model, limits)
    held = [a.acquire(timeout=2), a.acquire(timeout=2)]
    with pytest.raises(AdmissionTimeoutError, match="the limits shared through Redis"):
        b.acquire(timeout=0.3)
    held.pop().release()
    b.acquire(timeout=2).release()
    held.pop().release()


def test_a_retry_after_pauses_every_client(redis_url: str, limiters: Callable[[], Limiters]) -> None:
    model, limits = spec(rpm=6000), shared(redis_url)
    a, b = limiters().for_spec(model, limits), limiters().for_spec(model, limits)
    a.acquire(timeout=2).release(Outcome.OVERLOAD, retry_after=0.5)
    started = time.monotonic()
    b.acquire(timeout=5).release()
    assert time.monotonic() - started >= 0.45  # Redis's clock has ms resolution


def test_tokens_are_settled_in_redis(redis_url: str, limiters: Callable[[], Limiters]) -> None:
    model = spec(tpm=60_000)  # 1000 tokens/s, capacity 1000
    limiter = limiters().for_spec(model, shared(redis_url))
    limiter.acquire(tokens=800, timeout=2).release(tokens_used=100)
    key = f"modelwire:{{openai/gpt-test/{model.key_fingerprint}}}:tpm"
    level = float(redis.Redis.from_url(redis_url).hget(key, "level") or 0)
    assert 890 <= level <= 1000  # 1000 - 800 + 700 given back, plus what refilled meanwhile


def test_async_clients_share_the_same_limits(redis_url: str) -> None:
    async def main() -> float:
        one, two = Limiters(), Limiters()
        model, limits = spec(rpm=600), shared(redis_url)
        a, b = one.for_spec(model, limits), two.for_spec(model, limits)
        started = time.monotonic()

        async def take(limiter: Any) -> None:
            for _ in range(8):
                await (await limiter.aacquire(timeout=5)).arelease()

        await asyncio.gather(take(a), take(b))
        elapsed = time.monotonic() - started
        for limiters in (one, two):
            await limiters.aclose()
            limiters.close()
        return elapsed

    assert asyncio.run(main()) >= 0.55  # 16 admissions, burst of 10, then 10/s


def test_fail_open_keeps_going_on_local_limits_and_warns_once(
    private_redis: RedisServer,
    limiters: Callable[[], Limiters],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="modelwire.policy")
    limits = shared(private_redis.url, timeout=0.2, retry_unavailable_after=0.5)
    limiter = limiters().for_spec(spec(rpm=600, max_concurrency=4), limits)
    limiter.acquire(timeout=2).release()
    private_redis.stop()
    started = time.monotonic()
    for _ in range(14):
        limiter.acquire(timeout=5).release()
    assert time.monotonic() - started >= 0.3  # the local 600/min bucket still applies
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert f"Redis at 127.0.0.1:{private_redis.port} failed" in text
    assert "local limits only" in text
    assert KEY not in caplog.text

    private_redis.start()
    time.sleep(0.6)
    limiter.acquire(timeout=2).release()
    assert "answers again; shared limits are back on" in caplog.text
    assert redis.Redis.from_url(private_redis.url).exists(
        f"modelwire:{{openai/gpt-test/{spec().key_fingerprint}}}:rpm"
    )


def test_fail_closed_refuses_to_send(private_redis: RedisServer) -> None:
    limiters = Limiters()
    config = LLMConfig(
        models=[spec(rpm=600), ModelSpec(name="anthropic/fallback")],
        shared_limits=shared(
            private_redis.url, on_unavailable="closed", timeout=0.2, retry_unavailable_after=0.3
        ),
    )
    policy = RetryPolicy(config, limiters=limiters)
    calls: list[str] = []

    def attempt(ctx: AttemptContext) -> str:
        calls.append(ctx.spec.name)
        return "sent"

    assert policy.call(attempt) == "sent"
    private_redis.stop()
    for _ in range(2):  # the first call finds Redis gone; the second is refused without trying it
        with pytest.raises(AdmissionTimeoutError) as info:
            policy.call(attempt)
        assert info.value.provider_code == SHARED_LIMITS_UNAVAILABLE
        assert "fail-closed" in str(info.value)
    assert calls == ["openai/gpt-test"]  # nothing sent, and no fallback around the refusal

    async def refused() -> None:
        with pytest.raises(AdmissionTimeoutError, match="fail-closed"):
            await policy.acall(_async(attempt))

    asyncio.run(refused())
    private_redis.start()
    time.sleep(0.4)
    assert policy.call(attempt) == "sent"
    limiters.close()


def _async(fn: Callable[[AttemptContext], str]) -> Callable[[AttemptContext], Any]:
    async def wrapped(ctx: AttemptContext) -> str:
        return fn(ctx)

    return wrapped


def test_redis_unreachable_from_the_start_fails_open(
    limiters: Callable[[], Limiters], caplog: pytest.LogCaptureFixture
) -> None:
    from fixtures_redis import _free_port

    limits = shared(f"redis://127.0.0.1:{_free_port()}/0", timeout=0.2)
    limiter = limiters().for_spec(spec(max_concurrency=2), limits)
    limiter.acquire(timeout=2).release()
    assert "shared limits unavailable" in caplog.text


def test_a_stated_limit_paces_through_redis_from_an_empty_bucket(
    redis_url: str,
    limiters: Callable[[], Limiters],
) -> None:
    model, limits = spec(), shared(redis_url)  # no rpm configured
    a = limiters().for_spec(model, limits)
    a.acquire(timeout=2).release(Outcome.OVERLOAD, retry_after=0.0, requests_limit=60)
    assert a.learned_rpm == 60
    level = redis.Redis.from_url(redis_url).hget(a.shared.keys["rpm"], "level") if a.shared else None
    assert level is not None
    assert float(level) < 1.0
    # 60/min refills one request a second: nothing is admitted in the next 0.2 s.
    with pytest.raises(AdmissionTimeoutError):
        a.acquire(timeout=0.2)
