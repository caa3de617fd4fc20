"""Client CPU per request: ``modelwire.AsyncClient`` against bare ``httpx.AsyncClient`` + ``orjson`` and the
``openai`` SDK (retries off), over loopback to the local provider server running in a subprocess, so the
CPU measured (``time.process_time()`` of this process) is the client's alone.

    .venv/bin/python benches/bench_client.py [--requests 600] [--rounds 11] [--concurrency 1 64]

Every round runs each contender once, in a shuffled order, for ``--requests`` chat completions at the
given concurrency (that many tasks, each sending its share one after another, on a pool of that many
connections). Reported per concurrency: the median CPU microseconds per request, and the median over
rounds of each round's ratio to the bare client of the same HTTP library (a ratio taken within one round
cancels the load swings of a shared machine). The indented rows attribute the cost: the client without
admission limiters, and the adapter alone (``OpenAICompatibleClient.acompletion``, no policy). With
httpx2 installed, the same pair runs on it too. Target (issue 4): modelwire.AsyncClient <= 1.15 x bare
httpx + orjson.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    """``baseline``: the bare client on the same HTTP library, which the ratio column divides by."""

    def __init__(self, name: str, send: Send, close: Callable[[], Awaitable[None]], baseline: str) -> None:
        self.name = name
        self.send = send
        self.close = close
        self.baseline = baseline


def _bare(library: Any, base_url: str, pool: int) -> tuple[Send, Callable[[], Awaitable[None]]]:
    limits = library.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
    http = library.AsyncClient(base_url=base_url, limits=limits, timeout=60.0)
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    body = {"model": MODEL, "messages": MESSAGES}

    async def send() -> Any:
        response = await http.post("/chat/completions", content=orjson.dumps(body), headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"bare {library.__name__} got {response.status_code}")
        return orjson.loads(response.content)["choices"][0]["message"]["content"]

    return send, http.aclose


def _facade(pool: int, **options: Any) -> tuple[Send, Callable[[], Awaitable[None]]]:
    client = modelwire.AsyncClient(f"openai/{MODEL}", api_key=KEY, max_concurrency=pool, **options)

    async def send() -> Any:
        return (await client.complete(MESSAGES)).message.content

    return send, client.aclose


async def contenders(base_url: str, pool: int) -> list[Contender]:
    adapter = OpenAICompatibleClient(base_url=base_url, api_key=KEY, max_concurrency=pool)

    async def adapter_only() -> Any:
        request = ChatCompletionRequest(model=MODEL, messages=MESSAGES)
        return (await adapter.acompletion(request)).message.content

    result = [
        Contender(BASELINE, *_bare(httpx, base_url, pool), BASELINE),
        Contender("modelwire.AsyncClient", *_facade(pool, api_base=base_url), BASELINE),
        Contender("  without limiters", *_facade(pool, api_base=base_url, limiters=False), BASELINE),
        Contender("  adapter alone", adapter_only, adapter.aclose, BASELINE),
    ]
    with contextlib.suppress(ImportError):
        import openai

        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
        http = openai.DefaultAsyncHttpxClient(limits=limits, timeout=60.0)
        sdk = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0, http_client=http)

        async def sdk_send() -> Any:
            completion = await sdk.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
            return completion.choices[0].message.content

        result.append(Contender("openai SDK", sdk_send, sdk.close, BASELINE))
    with contextlib.suppress(ImportError):
        import httpx2  # the httpx successor, whose pool bookkeeping is linear in the pool size

        limits2 = httpx2.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
        own = httpx2.AsyncClient(limits=limits2, timeout=60.0)
        send, close = _facade(pool, api_base=base_url, async_http_client=own)

        async def close_both() -> None:
            await close()
            await own.aclose()

        result.append(Contender("httpx2 + orjson", *_bare(httpx2, base_url, pool), "httpx2 + orjson"))
        result.append(Contender("modelwire.AsyncClient on httpx2", send, close_both, "httpx2 + orjson"))
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
    results: dict[int, Any] = {}
    rng = random.Random(7)
    for concurrency in levels:
        # Every contender's pool holds as many connections as there are tasks. A larger pool leaves idle
        # connections, and httpcore (under httpx, modelwire and the SDK alike) checks each idle connection
        # on every request (a socket poll, and a count over the whole pool): that cost swamps the clients'
        # own and flips between runs as the number of idle connections drifts.
        entries = await contenders(base_url, concurrency)
        for entry in entries:  # warm up: imports, a connection per task, caches
            answer = await entry.send()
            assert answer == f"echo: {TEXT}", (entry.name, answer)
            await run_once(entry.send, concurrency * 4, concurrency)
        baselines = {e.name: e.baseline for e in entries}
        cpu: dict[str, list[float]] = {e.name: [] for e in entries}
        wall: dict[str, list[float]] = {e.name: [] for e in entries}
        for _ in range(rounds):
            order = entries[:]
            rng.shuffle(order)
            for entry in order:
                spent, elapsed = await run_once(entry.send, requests, concurrency)
                cpu[entry.name].append(spent / requests * 1e6)
                wall[entry.name].append(requests / elapsed)
        results[concurrency] = (cpu, wall, baselines)
        for entry in entries:
            await entry.close()
    return results


def report(results: dict[int, Any], requests: int, rounds: int) -> str:
    lines = [
        "| concurrency | client | CPU us / request | x bare client, same HTTP library (median of rounds) "
        "| requests/s |",
        "|---|---|---|---|---|",
    ]
    for concurrency, (cpu, wall, baselines) in results.items():
        for name, values in cpu.items():
            base = cpu[baselines[name]]
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
