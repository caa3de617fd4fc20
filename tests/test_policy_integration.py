"""Issue 6, end to end: a 429 with each form of Retry-After, through ``Client`` and ``AsyncClient`` against
the local server. The wait the policy decides on (from its log) is the asked time plus at most its spread;
the wait observed at the client's socket (from the 429's head to the retry being sent) is never shorter
than asked. No upper bound is put on wall time: this machine is shared and noisy. Exact request counts
come from the server's log."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import pytest

from fixtures_policy import SPREAD, Runner, anthropic_model, openai_model
from modelwire.testing import LocalProviderServer, Route, faults


def _assert_waited(runner: Runner, asked: float) -> None:
    (decided,) = runner.decided_waits()
    assert asked <= decided <= asked + SPREAD
    gap, _, _ = runner.gap_after_first_answer()
    assert gap >= asked


@pytest.mark.parametrize(
    ("headers", "asked"),
    [
        ({"retry-after": "1"}, 1.0),
        ({"retry-after": "0.4"}, 0.4),
        ({"retry-after-ms": "350"}, 0.35),
        # retry-after-ms is the most precise instruction and wins over retry-after
        ({"retry-after-ms": "300", "retry-after": "9"}, 0.3),
        # OpenAI's window resets: only an exhausted bucket says how long; the 30 s one has capacity left
        (
            {
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "450ms",
                "x-ratelimit-remaining-tokens": "1000",
                "x-ratelimit-reset-tokens": "30s",
            },
            0.45,
        ),
    ],
    ids=["seconds", "fractional", "ms", "ms-beats-seconds", "openai-reset"],
)
def test_a_429_is_retried_after_the_time_it_asks(
    runner: Runner, local_server: LocalProviderServer, headers: dict[str, str], asked: float
) -> None:
    local_server.enqueue(Route.CHAT, faults.error(429, headers=headers), model="model-a")
    response = runner.complete(openai_model(local_server, "model-a"))
    assert response.message.content == "echo: hi"
    assert runner.count(Route.CHAT, "model-a") == 2
    _assert_waited(runner, asked)


def _moment_in(seconds: float) -> float:
    """An instant at least ``seconds`` away on a whole second (HTTP-dates and resets have that grain)."""
    return float(math.ceil(time.time() + seconds))


def _assert_waited_until(runner: Runner, moment: float) -> None:
    _, answered, resent = runner.gap_after_first_answer()
    (decided,) = runner.decided_waits()
    assert decided <= moment - answered + SPREAD  # decided after the answer came, so no later than this
    assert resent >= moment


def test_a_429_with_an_http_date_is_retried_after_that_date(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    moment = _moment_in(1.0)
    date = formatdate(moment, usegmt=True)  # e.g. "Wed, 21 Oct 2015 07:28:00 GMT"
    local_server.enqueue(Route.CHAT, faults.error(429, retry_after=date), model="model-a")
    runner.complete(openai_model(local_server, "model-a"))
    assert runner.count(Route.CHAT, "model-a") == 2
    _assert_waited_until(runner, moment)


def test_an_anthropic_429_is_retried_after_its_bucket_resets(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    moment = _moment_in(1.0)
    reset = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": reset,
        "anthropic-ratelimit-tokens-remaining": "40000",
        "anthropic-ratelimit-tokens-reset": "2099-01-01T00:00:00Z",  # not exhausted: ignored
    }
    local_server.enqueue(Route.MESSAGES, faults.rate_limited(headers=headers), model="claude-a")
    response = runner.complete(anthropic_model(local_server, "claude-a"))
    assert response.message.content == "echo: hi"
    assert runner.count(Route.MESSAGES, "claude-a") == 2
    _assert_waited_until(runner, moment)


def test_an_anthropic_429_with_retry_after_is_honoured(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.MESSAGES, faults.rate_limited(retry_after=0.5), model="claude-a")
    runner.complete(anthropic_model(local_server, "claude-a"))
    assert runner.count(Route.MESSAGES, "claude-a") == 2
    _assert_waited(runner, 0.5)


def test_a_retry_after_beyond_the_maximum_moves_on_without_waiting(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(Route.CHAT, faults.rate_limited(retry_after=120), model="model-a")
    chain: Any = [openai_model(local_server, "model-a"), openai_model(local_server, "model-b")]
    assert runner.complete(chain, max_retry_after=10).message.content == "echo: hi"
    assert (runner.count(Route.CHAT, "model-a"), runner.count(Route.CHAT, "model-b")) == (1, 1)
    gap, _, _ = runner.gap_after_first_answer()
    assert gap < 10  # the 120 s were not waited (nor the 10 s maximum)


def test_a_burst_of_429s_uses_every_retry_then_the_fallback(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    burst = [faults.rate_limited(retry_after_ms=20)] * 3
    local_server.enqueue(Route.CHAT, *burst, model="model-a")
    chain: Any = [openai_model(local_server, "model-a", max_retries=2), openai_model(local_server, "model-b")]
    response = runner.complete(chain)
    assert response.model == "model-b"
    assert (runner.count(Route.CHAT, "model-a"), runner.count(Route.CHAT, "model-b")) == (3, 1)
