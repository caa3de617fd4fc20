"""Issue 6, end to end through ``Client`` and ``AsyncClient``: overload bursts, dropped connections,
fallbacks, fatal errors, deadlines and the records of an exhausted chain, with exact request counts per
model from the local server's log."""

from __future__ import annotations

from typing import Any

import pytest

from fixtures_policy import Runner, anthropic_model, openai_model
from modelwire import (
    AllModelsExhaustedError,
    APIConnectionError,
    BadRequestError,
    ContextWindowExceededError,
    ErrorKind,
    InternalServerError,
    RateLimitError,
)
from modelwire.testing import Fault, LocalProviderServer, Route, faults


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_an_overload_burst_is_retried_until_it_passes(
    runner: Runner, local_server: LocalProviderServer, provider: str
) -> None:
    route, model = (Route.CHAT, "model-a") if provider == "openai" else (Route.MESSAGES, "claude-a")
    spec = openai_model(local_server, model) if provider == "openai" else anthropic_model(local_server, model)
    local_server.enqueue(route, *[faults.preset("overloaded")] * 3, model=model)
    assert runner.complete(spec).message.content == "echo: hi"
    assert runner.count(route, model) == 4
    assert local_server.counters().statuses == {503 if provider == "openai" else 529: 3, 200: 1}


def test_a_burst_longer_than_the_retries_moves_to_the_fallback(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.MESSAGES, *[faults.preset("overloaded")] * 4, model="claude-a")
    chain: Any = [anthropic_model(local_server, "claude-a"), openai_model(local_server, "model-b")]
    response = runner.complete(chain)
    assert (response.provider, response.model) == ("openai", "model-b")
    assert runner.count(Route.MESSAGES, "claude-a") == 4  # max_retries 3: four attempts
    assert runner.count(Route.CHAT, "model-b") == 1


@pytest.mark.parametrize(
    "fault",
    [faults.drop_after_headers(), faults.drop_mid_body(20), faults.reset_connection()],
    ids=["after-headers", "mid-body", "reset"],
)
def test_a_dropped_connection_is_retried_on_the_same_model(
    runner: Runner, local_server: LocalProviderServer, fault: Fault
) -> None:
    local_server.enqueue(Route.CHAT, fault, model="model-a")
    assert runner.complete(openai_model(local_server, "model-a")).message.content == "echo: hi"
    assert runner.count(Route.CHAT, "model-a") == 2


def test_a_context_window_error_moves_to_the_next_model_at_once(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.CHAT, faults.preset("context_window"), model="model-small")
    chain: Any = [openai_model(local_server, "model-small"), anthropic_model(local_server, "claude-large")]
    response = runner.complete(chain)
    assert response.provider == "anthropic"
    assert runner.count(Route.CHAT, "model-small") == 1  # not retried: the same model cannot fit it
    assert runner.count(Route.MESSAGES, "claude-large") == 1
    # That no wait comes before the next model is asserted on an exact clock, where it can fail:
    # test_policy.py::test_next_model_kinds_move_on_at_once (here every backoff is under 50 ms anyway).


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_fatal_400_stops_the_chain_at_once(
    runner: Runner, local_server: LocalProviderServer, provider: str
) -> None:
    first = (
        openai_model(local_server, "model-a")
        if provider == "openai"
        else anthropic_model(local_server, "claude-a")
    )
    route, model = (Route.CHAT, "model-a") if provider == "openai" else (Route.MESSAGES, "claude-a")
    local_server.enqueue(route, faults.preset("bad_request"), model=model)
    with pytest.raises(BadRequestError) as info:
        runner.complete([first, openai_model(local_server, "model-b")])
    assert info.value.status_code == 400
    assert runner.count(route, model) == 1
    assert runner.count(Route.CHAT, "model-b") == 0


def test_a_deadline_ends_the_chain_before_the_fallback(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.CHAT, faults.hang(), model="model-a")
    chain: Any = [openai_model(local_server, "model-a"), openai_model(local_server, "model-b")]
    with pytest.raises(AllModelsExhaustedError, match=r"the deadline of 0\.5s was reached") as info:
        runner.complete(chain, deadline=0.5)
    assert "not tried: openai/model-b" in str(info.value)
    (record,) = info.value.attempts
    assert (record.model, record.attempt, record.kind) == ("openai/model-a", 1, ErrorKind.TIMEOUT)
    assert record.elapsed >= 0.5 * 0.99  # the attempt got what was left of the deadline, not its own 60 s
    assert runner.count(Route.CHAT, "model-a") == 1
    assert runner.count(Route.CHAT, "model-b") == 0


def test_a_wait_that_would_pass_the_deadline_is_not_taken(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.CHAT, faults.rate_limited(retry_after=30), model="model-a")
    with pytest.raises(RateLimitError) as info:  # one model: its own error, with its retry_after
        runner.complete(openai_model(local_server, "model-a"), deadline=2)
    assert (info.value.status_code, info.value.retry_after) == (429, 30.0)
    assert "the deadline of 2s was near" in "\n".join(info.value.__notes__)
    assert runner.count(Route.CHAT, "model-a") == 1


def test_an_exhausted_chain_keeps_one_record_per_attempt(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(
        Route.CHAT,
        faults.rate_limited(retry_after_ms=50),
        faults.preset("server"),
        model="model-a",
    )
    local_server.enqueue(Route.CHAT, faults.preset("context_window"), model="model-b")
    local_server.enqueue(Route.MESSAGES, faults.reset_connection(), model="claude-c")
    chain: Any = [
        openai_model(local_server, "model-a", max_retries=1),
        openai_model(local_server, "model-b", max_retries=0),
        anthropic_model(local_server, "claude-c", max_retries=0),
    ]
    with pytest.raises(AllModelsExhaustedError, match="all 3 models failed: 4 attempts") as info:
        runner.complete(chain)
    records = [(r.model, r.attempt, r.kind, r.status_code, r.retry_after) for r in info.value.attempts]
    assert records == [
        ("openai/model-a", 1, ErrorKind.RATE_LIMIT, 429, 0.05),
        ("openai/model-a", 2, ErrorKind.INTERNAL_SERVER, 500, None),
        ("openai/model-b", 1, ErrorKind.CONTEXT_WINDOW_EXCEEDED, 400, None),
        ("anthropic/claude-c", 1, ErrorKind.API_CONNECTION, None, None),
    ]
    kinds = [type(r.exception) for r in info.value.attempts]
    assert kinds == [RateLimitError, InternalServerError, ContextWindowExceededError, APIConnectionError]
    assert all(r.elapsed >= 0 for r in info.value.attempts)
    assert info.value.last is info.value.attempts[-1].exception
    counts = [runner.count(route, model) for route, model in
              [(Route.CHAT, "model-a"), (Route.CHAT, "model-b"), (Route.MESSAGES, "claude-c")]]  # fmt: skip
    assert counts == [2, 1, 1]


def test_the_429_cuts_the_shared_concurrency_of_its_model(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.CHAT, faults.rate_limited(retry_after_ms=100), model="model-a")
    runner.complete(openai_model(local_server, "model-a", max_concurrency=8))
    (limiter,) = runner.limiters._limiters.values()
    assert limiter.aimd.limit == 8 * 0.75
    assert limiter.in_flight == 0  # every permit was released, the failed attempt's included
