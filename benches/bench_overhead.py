"""What modelwire adds to a request outside the transport: CPU per request of ``Client.complete`` and
``AsyncClient.complete`` next to bare httpx + orjson, one request at a time, over loopback to the local
provider server in a subprocess (so ``time.process_time()`` of this process is the client's alone).

    .venv/bin/python benches/bench_overhead.py [--requests 400] [--rounds 9]
    .venv/bin/python benches/bench_overhead.py --profile sync|async [--requests 2000]

Every round runs each contender for ``--requests`` chat completions, in a shuffled order; reported are the
median CPU microseconds per request and the median over rounds of each round's ratio to the bare client
of the same mode (sync or async). Rows: the bare client (``httpx.Client`` / ``httpx.AsyncClient``, the
body written with ``orjson.dumps``, the answer read with ``orjson.loads``), the modelwire client, the same
without admission limiters, and the adapter alone (``OpenAICompatibleClient.completion``, no policy).
``extra = client - bare`` is what modelwire costs per request on top of the HTTP library.

``--no-io`` times the facade and the policy alone: ``Client.complete`` / ``AsyncClient.complete`` with the
adapter replaced by one that answers at once with a parsed response (no request, no transport), CPU per
call; run it on two checkouts to compare them (it needs no server).

``--profile`` runs the modelwire client under cProfile and lists where its own time goes (functions in
``modelwire`` outside ``modelwire.transport``, which the transport work owns), by total time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

import modelwire
from modelwire.providers import OpenAICompatibleClient
from modelwire.testing import LocalProviderServer
from modelwire.types import ChatCompletionRequest

KEY = "sk-bench-overhead"
MODEL = "gpt-4.1-mini"
TEXT = "Summarise the following paragraph in one sentence please, keeping every name that appears in it."
MESSAGES = [{"role": "user", "content": TEXT}]
HEADERS = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}

Send = Callable[[], Any]


def sync_contenders(base: str) -> dict[str, tuple[Send, Callable[[], None]]]:
    http = httpx.Client(base_url=base, timeout=60.0)
    body = {"model": MODEL, "messages": MESSAGES}

    def bare() -> Any:
        response = http.post("/chat/completions", content=orjson.dumps(body), headers=HEADERS)
        return orjson.loads(response.content)["choices"][0]["message"]["content"]

    client = modelwire.Client(f"openai/{MODEL}", api_base=base, api_key=KEY)
    unlimited = modelwire.Client(f"openai/{MODEL}", api_base=base, api_key=KEY, limiters=False)
    adapter = OpenAICompatibleClient(base_url=base, api_key=KEY)
    return {
        "httpx + orjson": (bare, http.close),
        "modelwire.Client": (lambda: client.complete(MESSAGES).message.content, client.close),
        "  without limiters": (lambda: unlimited.complete(MESSAGES).message.content, unlimited.close),
        "  adapter alone": (
            lambda: adapter.completion(ChatCompletionRequest(model=MODEL, messages=MESSAGES)).message.content,
            adapter.close,
        ),
    }


def async_contenders(base: str) -> dict[str, tuple[Send, Callable[[], Any]]]:
    http = httpx.AsyncClient(base_url=base, timeout=60.0)
    body = {"model": MODEL, "messages": MESSAGES}

    async def bare() -> Any:
        response = await http.post("/chat/completions", content=orjson.dumps(body), headers=HEADERS)
        return orjson.loads(response.content)["choices"][0]["message"]["content"]

    client = modelwire.AsyncClient(f"openai/{MODEL}", api_base=base, api_key=KEY)
    unlimited = modelwire.AsyncClient(f"openai/{MODEL}", api_base=base, api_key=KEY, limiters=False)
    adapter = OpenAICompatibleClient(base_url=base, api_key=KEY)

    async def facade() -> Any:
        return (await client.complete(MESSAGES)).message.content

    async def facade_unlimited() -> Any:
        return (await unlimited.complete(MESSAGES)).message.content

    async def adapter_only() -> Any:
        request = ChatCompletionRequest(model=MODEL, messages=MESSAGES)
        return (await adapter.acompletion(request)).message.content

    return {
        "httpx + orjson": (bare, http.aclose),
        "modelwire.AsyncClient": (facade, client.aclose),
        "  without limiters": (facade_unlimited, unlimited.aclose),
        "  adapter alone": (adapter_only, adapter.aclose),
    }


def _run_sync(send: Send, requests: int) -> float:
    gc.collect()
    start = time.process_time()
    for _ in range(requests):
        send()
    return (time.process_time() - start) / requests


async def _run_async(send: Send, requests: int) -> float:
    gc.collect()
    start = time.process_time()
    for _ in range(requests):
        await send()
    return (time.process_time() - start) / requests


def _check(name: str, answer: Any) -> None:
    assert answer == f"echo: {TEXT}", (name, answer)


def measure_sync(base: str, requests: int, rounds: int) -> dict[str, list[float]]:
    entries = sync_contenders(base)
    for name, (send, _) in entries.items():
        _check(name, send())
        _run_sync(send, 50)
    samples: dict[str, list[float]] = {name: [] for name in entries}
    for _ in range(rounds):
        order = list(entries)
        random.shuffle(order)
        for name in order:
            samples[name].append(_run_sync(entries[name][0], requests))
    for _, close in entries.values():
        close()
    return samples


async def measure_async(base: str, requests: int, rounds: int) -> dict[str, list[float]]:
    entries = async_contenders(base)
    for name, (send, _) in entries.items():
        _check(name, await send())
        await _run_async(send, 50)
    samples: dict[str, list[float]] = {name: [] for name in entries}
    for _ in range(rounds):
        order = list(entries)
        random.shuffle(order)
        for name in order:
            samples[name].append(await _run_async(entries[name][0], requests))
    for _, close in entries.values():
        await close()
    return samples


def report(mode: str, samples: dict[str, list[float]]) -> None:
    bare = samples["httpx + orjson"]
    bare_median = statistics.median(bare)
    print(f"\n{mode}: CPU per request, one at a time")
    print("| client | CPU us / request | x bare (median of rounds) | extra us |")
    print("|---|---:|---:|---:|")
    for name, values in samples.items():
        ratio = statistics.median([v / b for v, b in zip(values, bare, strict=True)])
        median = statistics.median(values)
        print(f"| {name} | {median * 1e6:,.0f} | {ratio:.2f} | {(median - bare_median) * 1e6:+,.0f} |")


def profile(base: str, mode: str, requests: int) -> None:
    profiler = cProfile.Profile()
    if mode == "sync":
        send, close = sync_contenders(base)["modelwire.Client"]
        _run_sync(send, 50)
        profiler.enable()
        _run_sync(send, requests)
        profiler.disable()
        close()
    else:

        async def run() -> None:
            send, close = async_contenders(base)["modelwire.AsyncClient"]
            await _run_async(send, 50)
            profiler.enable()
            await _run_async(send, requests)
            profiler.disable()
            await close()

        asyncio.run(run())
    stats = pstats.Stats(profiler)
    own = [
        (data[2], data[3], data[1], f"{file.split('python/modelwire/')[-1]}:{line}({func})")
        for (file, line, func), data in stats.stats.items()  # type: ignore[attr-defined]
        if "/modelwire/" in file and "/modelwire/transport/" not in file and "/modelwire/testing/" not in file
    ]
    total = sum(row[0] for row in own)
    print(f"\n{mode}: modelwire's own functions outside transport/, {requests} requests under cProfile")
    print(f"total own time {total / requests * 1e6:.1f} us per request (profiled, so inflated)")
    print(f"{'own us/req':>10} {'cum us/req':>10} {'calls/req':>9}  function")
    for tottime, cumtime, calls, where in sorted(own, reverse=True)[:30]:
        per = (tottime / requests * 1e6, cumtime / requests * 1e6, calls / requests)
        print(f"{per[0]:>10.2f} {per[1]:>10.2f} {per[2]:>9.1f}  {where}")


class _Instant:
    """An adapter that answers every chat call at once with the same parsed response."""

    def __init__(self) -> None:
        body = orjson.dumps({
            "id": "c", "object": "chat.completion", "created": 0, "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": TEXT}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
        })  # fmt: skip
        from modelwire.parsing import parse_chat_completion

        self.response = parse_chat_completion(body)

    def completion(self, request: ChatCompletionRequest) -> Any:
        return self.response

    async def acompletion(self, request: ChatCompletionRequest) -> Any:
        return self.response


def no_io(calls: int, rounds: int) -> None:
    instant = _Instant()
    client = modelwire.Client(f"openai/{MODEL}", api_key=KEY)
    aclient = modelwire.AsyncClient(f"openai/{MODEL}", api_key=KEY)
    for c in (client, aclient):
        c._adapter = lambda ctx: instant  # type: ignore[method-assign]

    async def async_round() -> float:
        start = time.process_time()
        for _ in range(calls):
            await aclient.complete(MESSAGES)
        return (time.process_time() - start) / calls

    def sync_round() -> float:
        start = time.process_time()
        for _ in range(calls):
            client.complete(MESSAGES)
        return (time.process_time() - start) / calls

    loop = asyncio.new_event_loop()
    sync_round()
    loop.run_until_complete(async_round())
    sync_us = [sync_round() * 1e6 for _ in range(rounds)]
    async_us = [loop.run_until_complete(async_round()) * 1e6 for _ in range(rounds)]
    loop.close()
    sync_med, async_med = statistics.median(sync_us), statistics.median(async_us)
    print(f"facade + policy, no I/O: Client.complete {sync_med:.1f} us, "
          f"AsyncClient.complete {async_med:.1f} us per call (median of {rounds} rounds)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--profile", choices=["sync", "async"])
    parser.add_argument("--no-io", action="store_true")
    args = parser.parse_args()
    if args.no_io:
        no_io(args.requests * 10, args.rounds)
        return
    with LocalProviderServer.start_subprocess(record_requests=False) as server:
        base = server.openai_base_url
        if args.profile:
            profile(base, args.profile, args.requests)
            return
        report("sync", measure_sync(base, args.requests, args.rounds))
        report("async", asyncio.run(measure_async(base, args.requests, args.rounds)))
    print(
        f"\nbackend {modelwire.BACKEND}; {args.requests} requests per contender a round, {args.rounds} rounds"
    )


if __name__ == "__main__":
    main()
