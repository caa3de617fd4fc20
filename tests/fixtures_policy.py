"""pytest plugin (loaded by conftest) and helpers for the end-to-end policy tests. ``runner`` runs a chain
on the local server through ``Client`` (sync) or ``AsyncClient`` (async), with a transport that stamps
when each request leaves and each answer arrives, so a test can observe the wait between a 429 and its
retry from the client's side of the socket, and the policy's log, which shows the wait it decided on (the
wall clock can only add to that)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
import pytest

from modelwire import AsyncClient, Client
from modelwire.policy import Limiters, ModelLimiter
from modelwire.testing import LocalProviderServer
from modelwire.types import ChatCompletionResponse
from modelwire.types.stream import StreamEvent

__all__ = ["KEY", "SPREAD", "Runner", "anthropic_model", "openai_model", "runner"]

KEY = "sk-policy-integration-key"
# Without a Retry-After the jitter stays below 50 ms: any longer wait a test sees was asked for.
QUICK = {"initial_retry_delay": 0.01, "max_retry_delay": 0.05}
# The most a first retry's decided wait exceeds a Retry-After: the spread (at most the first retry's jitter
# ceiling, QUICK's initial delay) plus the log's rounding to the hundredth.
SPREAD = QUICK["initial_retry_delay"] + 0.005
_DECIDED_WAIT = re.compile(r"-> retrying in (\d+\.\d+)s$")


class QuickLimiters(Limiters):
    """The process's kind of limiters, with the cool-down after an overload that gave no Retry-After
    shortened from 2 s to 50 ms, so a burst of three 503s does not take six seconds of test time."""

    def for_spec(self, spec: Any, shared: Any = None) -> ModelLimiter:
        limiter = super().for_spec(spec, shared)
        limiter.aimd.cooldown = 0.05
        return limiter


class Timeline:
    """(what, monotonic, wall clock) for every request sent and every answer's head received."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float, float]] = []

    def mark(self, what: str) -> None:
        self.events.append((what, time.monotonic(), time.time()))

    def of(self, what: str) -> list[tuple[float, float]]:
        return [(mono, wall) for kind, mono, wall in self.events if kind == what]


class TimedTransport(httpx.HTTPTransport):
    def __init__(self, timeline: Timeline) -> None:
        super().__init__()
        self.timeline = timeline

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.timeline.mark("sent")
        response = super().handle_request(request)
        self.timeline.mark("answered")
        return response


class TimedAsyncTransport(httpx.AsyncHTTPTransport):
    def __init__(self, timeline: Timeline) -> None:
        super().__init__()
        self.timeline = timeline

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.timeline.mark("sent")
        response = await super().handle_async_request(request)
        self.timeline.mark("answered")
        return response


def openai_model(server: LocalProviderServer, model: str, **fields: Any) -> dict[str, Any]:
    return {"name": f"openai/{model}", "api_base": server.openai_base_url, "api_key": KEY, **fields}


def anthropic_model(server: LocalProviderServer, model: str, **fields: Any) -> dict[str, Any]:
    return {"name": f"anthropic/{model}", "api_base": server.anthropic_base_url, "api_key": KEY, **fields}


class Runner:
    """Runs one call through a fresh client of the chosen kind, with limiters of the test's own (a 429
    in one test must not cool down the next one's models)."""

    def __init__(self, mode: str, server: LocalProviderServer, log: pytest.LogCaptureFixture) -> None:
        self.mode = mode
        self.server = server
        self.log = log
        self.timeline = Timeline()
        self.limiters = QuickLimiters()

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        transport: dict[str, Any] = (
            {"transport": TimedTransport(self.timeline)}
            if self.mode == "sync"
            else {"async_transport": TimedAsyncTransport(self.timeline)}
        )
        return {**QUICK, "limiters": self.limiters, **transport, **options}

    def complete(self, chain: Any, messages: Any = "hi", **options: Any) -> ChatCompletionResponse:
        settings = self._options(options)
        if self.mode == "sync":
            with Client(chain, **settings) as client:
                return client.complete(messages)

        async def run() -> ChatCompletionResponse:
            async with AsyncClient(chain, **settings) as client:
                return await client.complete(messages)

        return asyncio.run(run())

    def stream(self, chain: Any, received: list[StreamEvent], messages: Any = "hi", **options: Any) -> Any:
        """Stream through a fresh client, appending every event delivered to ``received`` (kept when the
        stream fails); returns the final response."""
        settings = self._options(options)
        if self.mode == "sync":
            with Client(chain, **settings) as client, client.stream(messages) as stream:
                received.extend(stream)
                return stream.final_response()

        async def run() -> Any:
            async with AsyncClient(chain, **settings) as client, client.stream(messages) as stream:
                async for event in stream:  # one by one: what came before a failure is kept
                    received.append(event)  # noqa: PERF401
                return await stream.final_response()

        return asyncio.run(run())

    def count(self, route: str, model: str) -> int:
        return len(self.server.requests_for(route, model=model))

    def decided_waits(self) -> list[float]:
        """The wait the policy decided on before each retry of a model, in seconds, from its log."""
        found = (_DECIDED_WAIT.search(r.getMessage()) for r in self.log.records)
        return [float(match[1]) for match in found if match]

    def gap_after_first_answer(self) -> tuple[float, float, float]:
        """(seconds between the first answer and the second request, wall clock of that answer, wall
        clock of the second request)."""
        (answer_mono, answer_wall), *_ = self.timeline.of("answered")
        _, (resend_mono, resend_wall), *_ = self.timeline.of("sent")
        return resend_mono - answer_mono, answer_wall, resend_wall


@pytest.fixture(params=["sync", "async"])
def runner(
    request: pytest.FixtureRequest, local_server: LocalProviderServer, caplog: pytest.LogCaptureFixture
) -> Runner:
    caplog.set_level(logging.INFO, logger="modelwire.policy")
    return Runner(request.param, local_server, caplog)
