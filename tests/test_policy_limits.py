"""Adaptive concurrency, token buckets and admission: pure state first, then real waiting from threads
and event loops (timing is asserted only as "at least", where waiting is the behaviour under test)."""

from __future__ import annotations

import asyncio
import math
import threading
import time

import pytest

from modelwire import _constants
from modelwire.config import LLMConfig, ModelSpec
from modelwire.exceptions import AdmissionTimeoutError, RateLimitError
from modelwire.policy import AIMD, AttemptContext, Limiters, ModelLimiter, Outcome, RetryPolicy, TokenBucket

# -- AIMD ----------------------------------------------------------------------------------------------------


def test_aimd_cuts_once_per_burst() -> None:
    aimd = AIMD(40)
    burst = aimd.generation  # three requests admitted before any 429
    assert aimd.on_overload(burst, now=0.0, retry_after=None)
    assert aimd.limit == 40 * _constants.AIMD_DECREASE_FACTOR
    assert not aimd.on_overload(burst, now=0.1, retry_after=None)
    assert not aimd.on_overload(burst, now=0.2, retry_after=None)
    assert aimd.limit == 30.0
    assert aimd.on_overload(aimd.generation, now=5.0, retry_after=None)  # admitted after the cut
    assert aimd.limit == 22.5
    assert aimd.slots == 22


def test_aimd_never_goes_below_the_minimum() -> None:
    aimd = AIMD(2)
    for _ in range(10):
        aimd.on_overload(aimd.generation, now=0.0, retry_after=None)
    assert aimd.slots == _constants.AIMD_MIN_LIMIT


def test_aimd_grows_by_one_after_a_run_of_successes_up_to_the_ceiling() -> None:
    aimd = AIMD(10)
    aimd.on_overload(0, now=0.0, retry_after=None)
    assert aimd.limit == 7.5
    grew = [aimd.on_success() for _ in range(_constants.AIMD_INCREASE_AFTER * 4)]
    assert grew.count(True) == 3  # 7.5 -> 8.5 -> 9.5 -> 10 (capped)
    assert aimd.limit == 10.0
    assert [i + 1 for i, g in enumerate(grew) if g] == [25, 50, 75]


def test_a_cut_resets_the_run_of_successes() -> None:
    aimd = AIMD(10)
    for _ in range(_constants.AIMD_INCREASE_AFTER - 1):
        aimd.on_success()
    aimd.on_overload(aimd.generation, now=0.0, retry_after=None)
    assert not aimd.on_success()
    assert aimd.streak == 1


def test_cool_down_is_the_retry_after_or_the_default_once_saturated() -> None:
    aimd = AIMD(4)
    aimd.on_overload(aimd.generation, now=100.0, retry_after=None)
    assert aimd.wait(0, now=100.0) == 0.0  # a lone 429 without Retry-After: the backoff alone
    aimd.on_overload(aimd.generation, now=100.5, retry_after=None)
    assert aimd.wait(0, now=100.5) == _constants.AIMD_COOLDOWN  # a second cut in a row: saturated
    aimd.on_success()
    aimd.on_overload(aimd.generation, now=105.0, retry_after=None)
    assert aimd.wait(0, now=105.0) == 0.0  # a success in between resets the evidence
    aimd.on_overload(aimd.generation, now=110.0, retry_after=0.5)
    assert aimd.wait(0, now=110.0) == 0.5
    # A 429 of the same burst does not cut, but its longer Retry-After extends the pause.
    aimd.on_overload(aimd.generation - 1, now=110.0, retry_after=7.0)
    assert aimd.wait(0, now=110.0) == 7.0
    assert aimd.wait(0, now=117.0) == 0.0


def test_aimd_waits_for_a_release_when_full() -> None:
    aimd = AIMD(2)
    assert aimd.wait(1, now=0.0) == 0.0
    assert aimd.wait(2, now=0.0) == math.inf


# -- buckets -------------------------------------------------------------------------------------------------


def test_a_bucket_holds_one_second_of_its_rate() -> None:
    bucket = TokenBucket(600, now=0.0)  # 10/s
    assert bucket.capacity == 10
    for _ in range(10):
        assert bucket.wait(1, now=0.0) == 0.0
        bucket.take(1, now=0.0)
    assert bucket.wait(1, now=0.0) == pytest.approx(0.1)
    assert bucket.wait(1, now=0.1) == 0.0


def test_a_slow_bucket_still_admits_one() -> None:
    bucket = TokenBucket(6, now=0.0)  # one every 10 s
    assert bucket.capacity == 1
    bucket.take(1, now=0.0)
    assert bucket.wait(1, now=0.0) == pytest.approx(10.0)


def test_a_cost_above_capacity_waits_for_a_full_bucket_and_leaves_a_debt() -> None:
    bucket = TokenBucket(60_000, now=0.0)  # 1000 tokens/s, capacity 1000
    assert bucket.wait(5000, now=0.0) == 0.0
    bucket.take(5000, now=0.0)
    assert bucket.level == -4000
    assert bucket.wait(100, now=0.0) == pytest.approx(4.1)
    bucket.give_back(3000, now=0.0)  # the call used 2000, not 5000
    assert bucket.wait(100, now=0.0) == pytest.approx(1.1)
    bucket.give_back(10**6, now=0.0)
    assert bucket.level == bucket.capacity


# -- the limiter, from threads and event loops --------------------------------------------------------------


def test_admission_timeout_names_what_it_waited_for() -> None:
    limiter = ModelLimiter("openai/m", max_concurrency=1)
    held = limiter.acquire(timeout=1)
    started = time.monotonic()
    with pytest.raises(AdmissionTimeoutError) as info:
        limiter.acquire(timeout=0.15)
    assert time.monotonic() - started >= 0.15
    assert "no slot for openai/m within 0.15s: waited for a concurrency slot (1 of 1 in use)" in str(
        info.value
    )
    held.release()
    limiter.acquire(timeout=0).release()


def test_threads_never_exceed_the_limit_and_all_finish() -> None:
    limiter = ModelLimiter("m", max_concurrency=3)
    lock = threading.Lock()
    active, peak, done = 0, 0, 0

    def worker() -> None:
        nonlocal active, peak, done
        for _ in range(5):
            permit = limiter.acquire(timeout=10)
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.002)
            with lock:
                active -= 1
            permit.release()
        with lock:
            done += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert (done, peak, limiter.in_flight) == (8, 3, 0)


def test_async_waiters_are_admitted_in_arrival_order() -> None:
    async def main() -> list[int]:
        limiter = ModelLimiter("m", max_concurrency=1)
        first = await limiter.aacquire(timeout=1)
        order: list[int] = []

        async def waiter(i: int) -> None:
            permit = await limiter.aacquire(timeout=5)
            order.append(i)
            await asyncio.sleep(0)
            permit.release()

        tasks = []
        for i in range(6):
            tasks.append(asyncio.create_task(waiter(i)))
            await asyncio.sleep(0)  # let it queue
        first.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(main()) == list(range(6))


def test_a_thread_release_wakes_an_event_loop_waiter() -> None:
    limiter = ModelLimiter("m", max_concurrency=1)
    held = limiter.acquire(timeout=1)

    async def main() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        threading.Timer(0.2, held.release).start()
        permit = await limiter.aacquire(timeout=5)
        permit.release()
        return loop.time() - started

    assert asyncio.run(main()) >= 0.2


def test_an_async_timeout_never_hangs_and_a_cancelled_waiter_leaves_the_queue() -> None:
    async def main() -> None:
        limiter = ModelLimiter("m", max_concurrency=1)
        held = await limiter.aacquire(timeout=1)
        with pytest.raises(AdmissionTimeoutError):
            await limiter.aacquire(timeout=0.1)
        cancelled = asyncio.create_task(limiter.aacquire(timeout=30))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        held.release()
        (await limiter.aacquire(timeout=0.5)).release()
        assert limiter.in_flight == 0

    asyncio.run(main())


def test_requests_per_minute_spread_admissions_over_time() -> None:
    limiter = ModelLimiter("m", max_concurrency=100, requests_per_minute=600)  # 10/s, burst of 10
    started = time.monotonic()
    for _ in range(15):
        limiter.acquire(timeout=5).release()
    assert time.monotonic() - started >= 0.45


def test_an_overload_pauses_admission_for_its_retry_after() -> None:
    limiter = ModelLimiter("m", max_concurrency=4)
    limiter.acquire(timeout=1).release(Outcome.OVERLOAD, retry_after=0.3)
    assert limiter.aimd.limit == 3.0
    started = time.monotonic()
    limiter.acquire(timeout=5).release()
    assert time.monotonic() - started >= 0.3


def test_tokens_per_minute_are_settled_with_the_real_usage() -> None:
    limiter = ModelLimiter("m", max_concurrency=10, tokens_per_minute=60_000)
    assert limiter.tpm is not None
    limiter.acquire(tokens=800, timeout=1).release(tokens_used=100)
    assert limiter.tpm.level == pytest.approx(limiter.tpm.capacity - 100, abs=5)


# -- the registry --------------------------------------------------------------------------------------------


def test_clients_of_one_key_share_a_limiter() -> None:
    limiters = Limiters()
    a = limiters.for_spec(ModelSpec(name="openai/m", api_key="sk-aaaaaaaaaaaa"))
    assert limiters.for_spec(ModelSpec(name="m", provider="openai", api_key="sk-aaaaaaaaaaaa")) is a
    assert limiters.for_spec(ModelSpec(name="openai/m", api_key="sk-bbbbbbbbbbbb")) is not a
    assert limiters.for_spec(ModelSpec(name="openai/other", api_key="sk-aaaaaaaaaaaa")) is not a
    assert a.aimd.ceiling == _constants.DEFAULT_MAX_CONNECTIONS
    again = limiters.for_spec(
        ModelSpec(name="openai/m", api_key="sk-aaaaaaaaaaaa", max_concurrency=4, rpm=60)
    )
    assert again is a
    assert (a.aimd.ceiling, a.aimd.slots) == (4, 4)
    assert a.rpm is not None


# -- the retry layer over real limiters ---------------------------------------------------------------------


def test_a_429_through_the_policy_cuts_the_limit_and_the_retry_waits_out_the_cool_down() -> None:
    limiters = Limiters()
    policy = RetryPolicy(
        LLMConfig.model_validate({"models": [{"name": "groq/m", "max_concurrency": 8}]}), limiters=limiters
    )
    calls: list[float] = []

    def attempt(ctx: AttemptContext) -> str:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RateLimitError("slow", status_code=429, retry_after=0.3)
        return "ok"

    assert policy.call(attempt) == "ok"
    limiter = limiters.for_spec(policy.config.primary)
    assert limiter.aimd.limit == 6.0
    assert calls[1] - calls[0] >= 0.3
    assert limiter.in_flight == 0


def test_a_full_model_moves_the_chain_to_the_next_one() -> None:
    limiters = Limiters()
    config = LLMConfig.model_validate(
        {"models": [{"name": "groq/a", "max_concurrency": 1}, "groq/b"], "admission_timeout": 0.1}
    )
    held = limiters.for_spec(config.primary).acquire(timeout=1)
    assert RetryPolicy(config, limiters=limiters).call(lambda ctx: ctx.spec.name) == "groq/b"
    alone = LLMConfig(models=[config.primary], admission_timeout=0.1)
    with pytest.raises(AdmissionTimeoutError):  # one model: its own error
        RetryPolicy(alone, limiters=limiters).call(lambda ctx: "never")
    held.release()


def test_a_held_permit_outlives_the_attempt_until_released() -> None:
    limiters = Limiters()
    policy = RetryPolicy(LLMConfig.model_validate("groq/stream"), limiters=limiters)

    async def open_stream(ctx: AttemptContext) -> object:
        return ctx.hold()

    async def main() -> None:
        permit = await policy.acall(open_stream)
        limiter = limiters.for_spec(policy.config.primary)
        assert limiter.in_flight == 1
        assert permit is not None
        await permit.arelease(tokens_used=12)
        await permit.arelease()  # releasing twice does nothing
        assert limiter.in_flight == 0

    asyncio.run(main())
