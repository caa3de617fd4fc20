"""Throughput and CPU cost of the local provider server itself, so client benchmarks know it is not their
bottleneck.

The server runs in a subprocess; a minimal keep-alive HTTP/1.1 client on plain asyncio streams (far
cheaper per request than httpx) drives it at several concurrencies. Reported per scenario: requests per
second (client and server share the machine's cores) and the server's CPU time per request, read from
the server process itself. For scale, the same run measures the client CPU per request of
``httpx.AsyncClient`` against the same server.

    .venv/bin/python benches/bench_local_server.py [--requests 4000] [--concurrency 1 64 128]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass

import httpx

from modelwire.testing import LocalProviderServer

OPENAI = b"authorization: Bearer sk-bench\r\n"
ANTHROPIC = b"x-api-key: sk-bench\r\nanthropic-version: 2023-06-01\r\n"
TEXT = "Summarise the following paragraph in one sentence please, keeping every name that appears in it."


@dataclass(frozen=True)
class Scenario:
    name: str
    path: bytes
    headers: bytes
    body: dict[str, object]


SCENARIOS = [
    Scenario("chat", b"/v1/chat/completions", OPENAI,
             {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": TEXT}]}),
    Scenario("chat stream + usage", b"/v1/chat/completions", OPENAI,
             {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": TEXT}], "stream": True,
              "stream_options": {"include_usage": True}}),
    Scenario("anthropic stream", b"/v1/messages", ANTHROPIC,
             {"model": "claude-echo-1", "max_tokens": 512, "stream": True,
              "messages": [{"role": "user", "content": TEXT}]}),
    Scenario("embeddings 1536-d x4", b"/v1/embeddings", OPENAI,
             {"model": "text-embedding-3-small", "input": [TEXT] * 4, "dimensions": 1536}),
]  # fmt: skip


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    if b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return status
    start = lower.index(b"content-length: ") + 16
    await reader.readexactly(int(lower[start : lower.index(b"\r\n", start)]))
    return status


async def _drive(port: int, scenario: Scenario, requests: int, concurrency: int) -> tuple[float, int]:
    body = json.dumps(scenario.body).encode()
    request = (
        b"POST " + scenario.path + b" HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
        + scenario.headers + b"content-length: %d\r\n\r\n" % len(body) + body
    )  # fmt: skip
    remaining = [requests]
    failures = [0]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while remaining[0] > 0:
            remaining[0] -= 1
            writer.write(request)
            if await _read_response(reader) != 200:
                failures[0] += 1
        writer.close()
        await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, failures[0]


async def _httpx_client_cpu(server: LocalProviderServer, requests: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    body = SCENARIOS[0].body
    async with httpx.AsyncClient(base_url=server.openai_base_url, limits=limits,
                                 headers={"authorization": "Bearer sk-bench"}) as client:  # fmt: skip
        semaphore = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with semaphore:
                (await client.post("/chat/completions", json=body)).raise_for_status()

        await asyncio.gather(*(one() for _ in range(concurrency)))  # warm the pool
        start = time.process_time()
        await asyncio.gather(*(one() for _ in range(requests)))
        return (time.process_time() - start) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64, 128])
    args = parser.parse_args()

    with LocalProviderServer.start_subprocess(record_requests=False) as server:
        print(
            f"server: subprocess pid {server.pid}, {args.requests} requests per row, keep-alive connections"
        )
        print(f"{'scenario':24} {'conc':>5} {'req/s':>8} {'server CPU/req':>15}")
        for scenario in SCENARIOS:
            for concurrency in args.concurrency:
                asyncio.run(_drive(server.port, scenario, min(200, args.requests), concurrency))  # warm up
                cpu_before = server.cpu_seconds()
                wall, failures = asyncio.run(_drive(server.port, scenario, args.requests, concurrency))
                cpu = server.cpu_seconds() - cpu_before
                if failures:
                    raise SystemExit(f"{failures} non-200 answers in {scenario.name}")
                print(f"{scenario.name:24} {concurrency:>5} {args.requests / wall:>8.0f} "
                      f"{1e6 * cpu / args.requests:>12.0f} us")  # fmt: skip
        print()
        for concurrency in (1, 64):
            client_cpu = asyncio.run(_httpx_client_cpu(server, min(2000, args.requests), concurrency))
            print(f"for scale: httpx.AsyncClient client CPU per chat request at concurrency {concurrency}: "
                  f"{1e6 * client_cpu:.0f} us")  # fmt: skip


if __name__ == "__main__":
    main()
