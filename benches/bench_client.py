"""Client CPU per request: ``modelwire.AsyncClient`` against bare ``httpx.AsyncClient`` + ``orjson`` and the
``openai`` SDK (retries off), over loopback to the local provider server running in a subprocess, so the
CPU measured (``time.process_time()`` of this process) is the client's alone.

    .venv/bin/python benches/bench_client.py [--requests 600] [--rounds 11] [--concurrency 1 64]

Every round runs each contender once, in a shuffled order, for ``--requests`` chat completions at the
given concurrency (that many tasks, each sending its share one after another). Reported per concurrency:
the median CPU microseconds per request, and the median over rounds of each round's ratio to bare httpx
(a ratio taken within one round cancels the load swings of a shared machine). The extra rows attribute
the cost: the adapter alone (``OpenAICompatibleClient.acompletion``, no policy), and the client without
admission limiters. Target (issue 4): modelwire.AsyncClient <= 1.15 x bare httpx + orjson.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson

import modelwire
from modelwire.providers import OpenAICompatibleClient
from modelwire.testing import LocalProviderServer
from modelwire.types import ChatCompletionRequest

KEY = "sk-bench-client"
MODEL = "gpt-4.1-mini"
TEXT = "Summarise the following paragraph in one sentence please, keeping every name that appears in it."
MESSAGES = [{"role": "user", "content": TEXT}]
BASELINE = "httpx + orjson"

Send = Callable[[], Awaitable[Any]]


class Contender:
    def __init__(self, name: str, send: Send, close: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.send = send
        self.close = close


async def contenders(base_url: str) -> list[Contender]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0)
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    body = {"model": MODEL, "messages": MESSAGES}

    async def bare() -> Any:
        response = await http.post("/chat/completions", content=orjson.dumps(body), headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"bare httpx got {response.status_code}")
        return orjson.loads(response.content)["choices"][0]["message"]["content"]

    client = modelwire.AsyncClient(f"openai/{MODEL}", api_base=base_url, api_key=KEY)
    unlimited = modelwire.AsyncClient(f"openai/{MODEL}", api_base=base_url, api_key=KEY, limiters=False)
    adapter = OpenAICompatibleClient(base_url=base_url, api_key=KEY)

    async def facade() -> Any:
        return (await client.complete(MESSAGES)).message.content

    async def facade_unlimited() -> Any:
        return (await unlimited.complete(MESSAGES)).message.content

    async def adapter_only() -> Any:
        request = ChatCompletionRequest(model=MODEL, messages=MESSAGES)
        return (await adapter.acompletion(request)).message.content

    result = [
        Contender(BASELINE, bare, http.aclose),
        Contender("modelwire.AsyncClient", facade, client.aclose),
        Contender("  without limiters", facade_unlimited, unlimited.aclose),
        Contender("  adapter alone", adapter_only, adapter.aclose),
    ]
    try:
        import openai
    except ImportError:
        return result
    sdk = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)

    async def sdk_send() -> Any:
        completion = await sdk.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
        return completion.choices[0].message.content

    result.append(Contender("openai SDK", sdk_send, sdk.close))
    return result


async def run_once(send: Send, requests: int, concurrency: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for ``requests`` calls by ``concurrency`` tasks."""
    share = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]

    async def worker(count: int) -> None:
        for _ in range(count):
            await send()

    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(n) for n in share))
    return time.process_time() - cpu, time.perf_counter() - wall


async def measure(base_url: str, requests: int, rounds: int, levels: list[int]) -> dict[int, Any]:
    entries = await contenders(base_url)
    for entry in entries:  # warm up: imports, connections for the highest concurrency, caches
        answer = await entry.send()
        assert answer == f"echo: {TEXT}", (entry.name, answer)
        await run_once(entry.send, max(levels) * 4, max(levels))
    results: dict[int, Any] = {}
    rng = random.Random(7)
    for concurrency in levels:
        cpu: dict[str, list[float]] = {e.name: [] for e in entries}
        wall: dict[str, list[float]] = {e.name: [] for e in entries}
        for _ in range(rounds):
            order = entries[:]
            rng.shuffle(order)
            for entry in order:
                spent, elapsed = await run_once(entry.send, requests, concurrency)
                cpu[entry.name].append(spent / requests * 1e6)
                wall[entry.name].append(requests / elapsed)
        results[concurrency] = (cpu, wall)
    for entry in entries:
        await entry.close()
    return results


def report(results: dict[int, Any], requests: int, rounds: int) -> str:
    head = "| concurrency | client | CPU us / request | x bare httpx (median of rounds) | requests/s |"
    lines = [head, "|---|---|---|---|---|"]
    for concurrency, (cpu, wall) in results.items():
        base = cpu[BASELINE]
        for name, values in cpu.items():
            ratios = [v / b for v, b in zip(values, base, strict=True)]
            lines.append(
                f"| {concurrency} | {name} | {statistics.median(values):,.0f} | "
                f"{statistics.median(ratios):.2f} | {statistics.median(wall[name]):,.0f} |"
            )
    lines.append(f"\n{requests} chat completions per contender per round, {rounds} rounds; "
                 f"backend {modelwire.BACKEND}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    args = parser.parse_args()
    with LocalProviderServer.start_subprocess(record_requests=False) as server:
        results = asyncio.run(measure(server.openai_base_url, args.requests, args.rounds, args.concurrency))
    print(report(results, args.requests, args.rounds))


if __name__ == "__main__":
    main()
