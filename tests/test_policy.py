"""The retry layer's decisions, on an injected clock: exact sleeps, attempt counts, records, deadlines.

Every scenario runs through both drivers (``call`` and ``acall``) and must give the same result.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

import pytest

from modelwire._redact import MASK, register_secret
from modelwire.config import LLMConfig
from modelwire.exceptions import (
    AllModelsExhaustedError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    InternalServerError,
    ModelRefusalError,
    NotFoundError,
    OverloadedError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    StreamInterruptedError,
    UnprocessableEntityError,
    UnsupportedParamsError,
)
from modelwire.policy import AttemptContext, RetryPolicy

OK = "ok"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class EdgeRng(random.Random):
    """uniform() at its upper (or lower) bound, so the jitter's ceiling is observable exactly."""

    def __init__(self, high: bool = True) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


class Script:
    """Per model, what each attempt does: an exception to raise, or OK. Records every call."""

    def __init__(self, clock: FakeClock, outcomes: dict[str, list[Any]], latency: float = 0.0) -> None:
        self.clock = clock
        self.outcomes = {name: list(items) for name, items in outcomes.items()}
        self.latency = latency
        self.calls: list[tuple[str, int]] = []
        self.contexts: list[AttemptContext] = []
        self.timeouts: list[float | None] = []

    def __call__(self, ctx: AttemptContext) -> str:
        self.calls.append((ctx.spec.name, ctx.attempt))
        self.contexts.append(ctx)
        self.timeouts.append(ctx.timeout)
        self.clock.now += self.latency
        outcome = self.outcomes[ctx.spec.name].pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return f"{outcome} from {ctx.spec.name}"

    def count(self, name: str) -> int:
        return sum(1 for model, _ in self.calls if model == name)


Driver = Callable[[RetryPolicy, Script], str]


def run_sync(policy: RetryPolicy, script: Script) -> str:
    return policy.call(script)


def run_async(policy: RetryPolicy, script: Script) -> str:
    async def attempt(ctx: AttemptContext) -> str:
        return script(ctx)

    return asyncio.run(policy.acall(attempt))


@pytest.fixture(params=[run_sync, run_async], ids=["sync", "async"])
def drive(request: pytest.FixtureRequest) -> Driver:
    return request.param  # type: ignore[no-any-return]


# The scripted models are custom OpenAI-compatible servers (never called): an address makes them routable.
_NOWHERE = "http://127.0.0.1:9/v1"


def _routable(config: Any) -> Any:
    def spec(model: Any) -> Any:
        return (
            {"name": model, "api_base": _NOWHERE}
            if isinstance(model, str)
            else {"api_base": _NOWHERE, **model}
        )

    if isinstance(config, str):
        return {"models": [spec(config)]}
    if isinstance(config, list):
        return {"models": [spec(m) for m in config]}
    return {**config, "models": [spec(m) for m in config["models"]]}


def make(config: Any, clock: FakeClock, rng: random.Random | None = None) -> RetryPolicy:
    return RetryPolicy(
        LLMConfig.model_validate(_routable(config)),
        limiters=False,
        clock=clock,
        sleep=clock.sleep,
        asleep=clock.asleep,
        rng=rng or EdgeRng(),
    )


def rate_limit(retry_after: float | None = None) -> RateLimitError:
    return RateLimitError("slow down", status_code=429, retry_after=retry_after, model="m")


# -- backoff -------------------------------------------------------------------------------------------------


def test_full_jitter_ceilings_double_up_to_the_cap(drive: Driver) -> None:
    clock = FakeClock()
    config = {"models": [{"name": "a", "max_retries": 6}], "initial_retry_delay": 0.5, "max_retry_delay": 3.0}
    script = Script(clock, {"a": [APIConnectionError("reset")] * 6 + [OK]})
    assert drive(make(config, clock), script) == "ok from a"
    assert clock.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert script.calls == [("a", n) for n in range(1, 8)]


def test_jitter_can_be_zero(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [APITimeoutError("slow")] * 2 + [OK]})
    drive(make("a", clock, EdgeRng(high=False)), script)
    assert clock.sleeps == []  # a zero wait is not slept
    assert len(script.calls) == 3


def test_retry_after_is_honoured_exactly(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [rate_limit(2.5), rate_limit(0.2), OK]})
    drive(make("a", clock, EdgeRng(high=False)), script)
    assert clock.sleeps == [2.5, 0.2]


def test_retry_after_spread_is_at_most_a_tenth_and_the_jitter_ceiling(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [rate_limit(2.0), rate_limit(40.0), OK]})
    drive(make("a", clock), script)
    # spread: a tenth of the asked time, at most the jitter ceiling (0.5 for retry 1, 1.0 for retry 2)
    assert clock.sleeps == [2.0 + 0.2, 40.0 + 1.0]


def test_a_retry_after_beyond_the_maximum_raises_at_once(drive: Driver) -> None:
    clock = FakeClock()
    error = rate_limit(120.0)
    script = Script(clock, {"a": [error, OK]})
    with pytest.raises(RateLimitError) as info:
        drive(make({"models": ["a"], "max_retry_after": 60}, clock), script)
    assert info.value is error
    assert info.value.retry_after == 120.0
    assert clock.sleeps == []
    assert script.calls == [("a", 1)]


def test_a_retry_after_beyond_the_maximum_moves_on_without_waiting(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [rate_limit(120.0)], "b": [OK]})
    assert drive(make({"models": ["a", "b"], "max_retry_after": 60}, clock), script) == "ok from b"
    assert clock.sleeps == []


# -- fallbacks -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ContextWindowExceededError("long", status_code=400),
        ContentPolicyError("no", status_code=400),
        ModelRefusalError("I can't"),
        NotFoundError("gone", status_code=404),
        AuthenticationError("key", status_code=401),
        QuotaExceededError("credits", status_code=429),
    ],
    ids=lambda e: e.kind.value,
)
def test_next_model_kinds_move_on_at_once(drive: Driver, error: ProviderError) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [error], "b": [OK]})
    assert drive(make(["a", "b"], clock), script) == "ok from b"
    assert script.calls == [("a", 1), ("b", 1)]
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError("bad", status_code=400),
        UnsupportedParamsError("seed"),
        UnprocessableEntityError("422", status_code=422),
        StreamInterruptedError("dropped after 3 events"),
    ],
    ids=lambda e: e.kind.value,
)
def test_raise_now_kinds_stop_the_chain(drive: Driver, error: ProviderError) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [error], "b": [OK]})
    with pytest.raises(type(error)) as info:
        drive(make(["a", "b"], clock), script)
    assert info.value is error
    assert script.calls == [("a", 1)]


def test_exhausted_retries_move_on_then_all_models_exhausted_keeps_every_attempt(drive: Driver) -> None:
    clock = FakeClock()
    errors_a = [rate_limit(1.0), InternalServerError("500", status_code=500)]
    errors_b = [APIConnectionError("reset"), OverloadedError("529", status_code=529)]
    script = Script(clock, {"a": list(errors_a), "b": list(errors_b)}, latency=0.25)
    config = {"models": [{"name": "a", "max_retries": 1}, {"name": "b", "max_retries": 1}]}
    with pytest.raises(AllModelsExhaustedError) as info:
        drive(make(config, clock), script)
    records = info.value.attempts
    assert [(r.model, r.attempt) for r in records] == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    assert [r.exception for r in records] == [*errors_a, *errors_b]
    assert [r.kind for r in records] == [e.kind for e in [*errors_a, *errors_b]]
    assert [r.status_code for r in records] == [429, 500, None, 529]
    assert [r.retry_after for r in records] == [1.0, None, None, None]
    assert [r.elapsed for r in records] == [0.25] * 4
    assert clock.sleeps == [1.0 + 0.1, 0.5]
    assert info.value.last is errors_b[-1]
    assert "all 2 models failed: 4 attempts" in str(info.value)


def test_an_error_raised_after_earlier_attempts_notes_them(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [NotFoundError("gone", status_code=404)], "b": [BadRequestError("bad")]})
    with pytest.raises(BadRequestError) as info:
        drive(make(["a", "b"], clock), script)
    assert any("<attempt 1 a: not_found 404" in note for note in info.value.__notes__)


def test_other_exceptions_are_not_retried(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [KeyError("bug")], "b": [OK]})
    with pytest.raises(KeyError):
        drive(make(["a", "b"], clock), script)
    assert script.calls == [("a", 1)]


# -- deadline ------------------------------------------------------------------------------------------------


def test_the_deadline_bounds_the_chain(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [APITimeoutError("slow")] * 4, "b": [OK]}, latency=2.0)
    config = {"models": [{"name": "a", "max_retries": 3}, "b"], "deadline": 5.0}
    with pytest.raises(AllModelsExhaustedError) as info:
        drive(make(config, clock, EdgeRng(high=False)), script)
    assert script.calls == [("a", 1), ("a", 2), ("a", 3)]
    assert "the deadline of 5s was reached after 3 attempts on 1 models; not tried: b" in str(info.value)


def test_a_wait_that_would_pass_the_deadline_is_not_taken(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [rate_limit(8.0)], "b": [OK]})
    assert drive(make({"models": ["a", "b"], "deadline": 5.0}, clock), script) == "ok from b"
    assert clock.sleeps == []
    clock = FakeClock()
    script = Script(clock, {"a": [rate_limit(8.0)]})
    with pytest.raises(RateLimitError) as info:  # one model: its own error, the decision in a note
        drive(make({"models": ["a"], "deadline": 5.0}, clock), script)
    assert "gave up on a: the deadline of 5s was near" in "\n".join(info.value.__notes__)
    assert clock.sleeps == []


def test_attempts_get_the_remaining_time_as_their_timeout(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [APITimeoutError("slow"), OK]}, latency=3.0)
    drive(make({"models": [{"name": "a", "timeout": 4.0}], "deadline": 5.0}, clock, EdgeRng(False)), script)
    assert [ctx.number for ctx in script.contexts] == [1, 2]
    assert script.timeouts == [4.0, pytest.approx(2.0)]  # the model's 4 s, then the 2 s left of 5


def test_the_async_deadline_cancels_a_slow_attempt() -> None:
    policy = RetryPolicy(
        LLMConfig.model_validate(_routable({"models": ["a"], "deadline": 0.2})), limiters=False
    )

    async def hang(ctx: AttemptContext) -> str:
        await asyncio.sleep(30)
        return "never"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(APITimeoutError, match="deadline passed during attempt 1"):
            await policy.acall(hang)
        assert loop.time() - started >= 0.2

    asyncio.run(main())


def test_a_per_call_deadline_overrides_the_config(drive: Driver) -> None:
    clock = FakeClock()
    script = Script(clock, {"a": [APITimeoutError("slow")] * 4}, latency=1.0)
    policy = make({"models": ["a"], "deadline": 100.0}, clock, EdgeRng(high=False))

    def run() -> Any:
        if drive is run_sync:
            return policy.call(script, deadline=2.0)
        return asyncio.run(policy.acall(_async(script), deadline=2.0))

    with pytest.raises(APITimeoutError) as info:
        run()
    assert "the deadline of 2s was reached: <attempt 1 a" in "\n".join(info.value.__notes__)


# -- streams ---------------------------------------------------------------------------------------------


class FakeStream:
    """A stream whose connection fails before its first event, or after ``fail_after`` events."""

    def __init__(self, events: list[str], fail_before_first: bool, fail_after: int | None = None) -> None:
        self.events = events
        self.fail_before_first = fail_before_first
        self.fail_after = fail_after
        self.first: str | None = None

    def open(self) -> FakeStream:
        if self.fail_before_first:
            raise APIConnectionError("reset before the first event")
        self.first = self.events[0]
        return self

    def __iter__(self) -> Any:
        for i, event in enumerate(self.events):
            if self.fail_after is not None and i == self.fail_after:
                raise StreamInterruptedError("dropped", events_received=i)
            yield event


def test_a_stream_is_retried_before_its_first_event_and_never_after(drive: Driver) -> None:
    clock = FakeClock()
    streams = [FakeStream(["a"], True), FakeStream(["a", "b", "c"], False, fail_after=2)]
    attempts: list[int] = []

    def attempt(ctx: AttemptContext) -> FakeStream:
        attempts.append(ctx.number)
        return streams[ctx.number - 1].open()  # the attempt ends once the first event is in

    policy = make("a", clock)
    stream = policy.call(attempt) if drive is run_sync else asyncio.run(policy.acall(_async(attempt)))
    assert stream is streams[1]
    assert stream.first == "a"
    received = []
    with pytest.raises(StreamInterruptedError):
        received.extend(stream)
    assert received == ["a", "b"]
    assert attempts == [1, 2]  # the failed open was retried; the failure mid-stream was not


def _async(fn: Callable[[AttemptContext], Any]) -> Callable[[AttemptContext], Any]:
    async def wrapped(ctx: AttemptContext) -> Any:
        return fn(ctx)

    return wrapped


# -- logging -------------------------------------------------------------------------------------------------


def test_one_info_line_per_decision_without_tracebacks_or_secrets(
    drive: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "zz-private-token-314159"
    register_secret(secret)
    clock = FakeClock()
    leak = AuthenticationError(f"bad key {secret}", status_code=401)
    script = Script(clock, {"a": [rate_limit(1.0), leak], "b": [APIConnectionError("x")] * 4})
    caplog.set_level(logging.INFO, logger="modelwire.policy")
    with pytest.raises(AllModelsExhaustedError):
        drive(make(["a", "b"], clock), script)
    lines = [r for r in caplog.records if r.name == "modelwire.policy"]
    assert len(lines) == 6 + 1  # six failed attempts, then giving up
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in lines)
    text = "\n".join(r.getMessage() for r in lines)
    assert secret not in text
    assert MASK in text
    assert "a attempt 1/4 failed (rate_limit 429 retry-after 1s: slow down) -> retrying in 1.10s" in text
    assert "a attempt 2/4 failed (authentication 401" in text
    assert "another model may succeed; moving on to b" in text
    assert "b attempt 4/4 failed (api_connection: x) -> retries used up; no model left" in text
