"""What hooks cost per request: ``modelwire.AsyncClient`` without hooks, with one no-op hook, and with
``modelwire.otel.OtelHooks`` on the OpenTelemetry SDK (spans to a no-op processor, metrics to an
in-memory reader), over loopback to the local provider server in a subprocess (so the CPU measured is the
client's alone).

    .venv/bin/python benches/bench_hooks.py [--requests 600] [--rounds 11] [--concurrency 1 64]

Every round runs each contender once, in a shuffled order; reported per concurrency are the median CPU
microseconds per request and the median over rounds of each round's ratio to the client without hooks.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import modelwire
from bench_client import KEY, MESSAGES, MODEL, TEXT, run_once
from modelwire.events import Event
from modelwire.testing import LocalProviderServer

BASELINE = "no hooks"
Send = Callable[[], Awaitable[Any]]


def _otel_hooks() -> Any:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    from modelwire.otel import OtelHooks

    return OtelHooks(
        tracer_provider=TracerProvider(),  # spans are built, ended and dropped: the instrumentation's cost
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
    )


def _client(base_url: str, pool: int, hooks: list[Any]) -> tuple[Send, Callable[[], Awaitable[None]]]:
    client = modelwire.AsyncClient(
        f"openai/{MODEL}", api_base=base_url, api_key=KEY, max_concurrency=pool, hooks=hooks
    )

    async def send() -> Any:
        return (await client.complete(MESSAGES)).message.content

    return send, client.aclose


def _noop(event: Event) -> None:
    pass


async def measure(base_url: str, requests: int, rounds: int, concurrency: int) -> dict[str, list[float]]:
    entries = {
        BASELINE: _client(base_url, concurrency, []),
        "one no-op hook": _client(base_url, concurrency, [_noop]),
        "OtelHooks (SDK)": _client(base_url, concurrency, [_otel_hooks()]),
    }
    for send, _ in entries.values():  # warm up: imports, a connection per task, caches
        assert await send() == f"echo: {TEXT}"
        await run_once(send, concurrency * 4, concurrency)
    cpu: dict[str, list[float]] = {name: [] for name in entries}
    rng = random.Random(7)
    for _ in range(rounds):
        order = list(entries)
        rng.shuffle(order)
        for name in order:
            spent, _ = await run_once(entries[name][0], requests, concurrency)
            cpu[name].append(spent / requests * 1e6)
    for _, close in entries.values():
        await close()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    args = parser.parse_args()
    with LocalProviderServer.start_subprocess() as server:
        for concurrency in args.concurrency:
            cpu = asyncio.run(measure(server.openai_base_url, args.requests, args.rounds, concurrency))
            print(f"\nconcurrency {concurrency}: {args.requests} requests x {args.rounds} rounds")
            print(f"  {'contender':<20}{'CPU us/req':>12}{'vs no hooks':>14}")
            for name, values in cpu.items():
                ratio = statistics.median(v / b for v, b in zip(values, cpu[BASELINE], strict=True))
                print(f"  {name:<20}{statistics.median(values):>12.0f}{ratio:>13.2f}x")


if __name__ == "__main__":
    main()
