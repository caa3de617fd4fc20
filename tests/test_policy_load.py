"""Load through the whole stack against a rate-limited local server: every request completes exactly once.

The speed figures (share of K, share of 429s) are measured by ``benches/bench_load.py``; here only the
accounting is asserted, which no timing can change: each request ends in one success, the server answered
200 exactly as often as the clients saw a success, and every other request the server saw was a 429.
"""

from __future__ import annotations

import asyncio
from typing import Any

import modelwire
from modelwire.policy import Limiters
from modelwire.testing import LocalProviderServer

KEY = "sk-load-test-key-0123456789"
REQUESTS, CONCURRENCY = 240, 48


async def _drive(
    server: LocalProviderServer, requests: int = REQUESTS, **options: Any
) -> tuple[list[str], list[str]]:
    limiters = Limiters()
    clients = [
        modelwire.AsyncClient(
            "openai/gpt-4o-mini", api_key=KEY, api_base=server.openai_base_url, max_retries=50,
            limiters=limiters, **options,
        )
        for _ in range(2)
    ]  # fmt: skip
    todo = iter(range(requests))
    answers: list[str] = []

    async def worker(client: modelwire.AsyncClient) -> None:
        for i in todo:
            response = await client.complete([{"role": "user", "content": f"request {i}"}], max_tokens=4)
            answers.append(response.message.content or "")

    try:
        await asyncio.gather(*(worker(clients[i % 2]) for i in range(CONCURRENCY)))
    finally:
        for client in clients:
            await client.aclose()
    return answers, [f"request {i}" for i in range(requests)]


def _assert_exact_accounting(server: LocalProviderServer, answers: list[str], asked: list[str]) -> None:
    counters = server.counters()
    assert len(answers) == len(asked)
    assert all(any(text in answer for text in asked) for answer in answers)  # echoed, so really answered
    assert counters.statuses.get(200, 0) == len(asked)
    assert counters.requests == len(asked) + counters.rate_limited
    assert set(counters.statuses) <= {200, 429}


def test_two_clients_over_the_limit_complete_every_request_once(local_server: LocalProviderServer) -> None:
    local_server.configure(record_requests=False, latency=0.01)
    local_server.set_rate_limit(400, burst=20)
    answers, asked = asyncio.run(_drive(local_server))
    _assert_exact_accounting(local_server, answers, asked)
    assert local_server.counters().rate_limited > 0  # the limit was really reached


def test_paced_by_the_configured_rpm_two_clients_see_no_429(local_server: LocalProviderServer) -> None:
    local_server.configure(record_requests=False)
    local_server.set_rate_limit(40, burst=40)  # unpaced, 100 requests from 48 workers overrun it
    # The clients' bucket (20, refilled at 20/s) admits at most 20 + 20 * t in any t seconds; the server
    # allows 40 + 40 * t. Even if each request reached the server up to 1 s after its admission,
    # arrivals in any window stay under what the server allows: no 429 on however slow a machine.
    answers, asked = asyncio.run(_drive(local_server, requests=100, rpm=20 * 60))
    _assert_exact_accounting(local_server, answers, asked)
    assert local_server.counters().rate_limited == 0
