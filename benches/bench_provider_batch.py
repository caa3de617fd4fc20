"""Provider Batch API runs against the same requests through the live runner, side by side in one run.

The local provider server runs in a child process, so only the client's CPU is measured. Each round
(shuffled order) answers ``--requests`` chats twice: ``run_batch`` (live calls through ``AsyncClient`` at
``--concurrency``) and ``run_provider_batch`` through OpenAI's Files + Batch API (and Anthropic's Message
Batches with ``--anthropic``): build every line, upload, poll, download, parse every result, write.
Reported: median client CPU microseconds per request, and the median per-round ratio to ``run_batch``;
each run's output is checked to hold every ``custom_id`` exactly once.

Run: ``.venv/bin/python benches/bench_provider_batch.py [--requests 10000] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson

from modelwire import AsyncClient
from modelwire.batch import run_batch
from modelwire.batch.provider_run import arun_provider_batch
from modelwire.testing import LocalProviderServer

KEY = "sk-bench-provider-batch"


def write_input(path: Path, n: int) -> None:
    with path.open("wb") as file:
        for i in range(n):
            file.write(
                orjson.dumps({"custom_id": f"b{i}", "prompt": f"prompt number {i}", "max_tokens": 64}) + b"\n"
            )


def check(output: Path, n: int) -> None:
    ids = [orjson.loads(line)["custom_id"] for line in output.read_bytes().splitlines()]
    if len(ids) != n or len(set(ids)) != n:
        raise SystemExit(f"{output}: {len(ids)} lines, {len(set(ids))} ids; expected {n} once each")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--anthropic", action="store_true", help="also Anthropic Message Batches")
    args = parser.parse_args()
    n = args.requests
    with (
        LocalProviderServer.start_subprocess(record_requests=False) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        source = Path(tmp) / "in.jsonl"
        write_input(source, n)

        async def live(out: Path) -> None:
            options = {
                "api_base": server.openai_base_url,
                "api_key": KEY,
                "max_concurrency": args.concurrency,
            }
            async with AsyncClient("openai/gpt-4.1-mini", limiters=False, **options) as client:
                await run_batch(client, source, out, concurrency=args.concurrency, handle_signals=False)

        def provider(model: str, base: str) -> Callable[[Path], Awaitable[object]]:
            async def go(out: Path) -> None:
                await arun_provider_batch(source, out, model, api_base=base, api_key=KEY, poll_interval=0.01)

            return go

        variants: dict[str, Callable[[Path], Awaitable[object]]] = {
            "run_batch (live)": live,
            "provider batch (openai)": provider("openai/gpt-4.1-mini", server.openai_base_url),
        }
        if args.anthropic:
            variants["provider batch (anthropic)"] = provider("anthropic/claude-sonnet-4-5", server.url)
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        for round_number in range(args.rounds):
            order = list(variants)
            random.shuffle(order)
            for name in order:
                out = Path(tmp) / f"out-{round_number}-{order.index(name)}.jsonl"
                started = time.process_time()
                asyncio.run(variants[name](out))
                cpu[name].append((time.process_time() - started) / n * 1e6)
                check(out, n)
    base = cpu["run_batch (live)"]
    print(f"{n} requests x {args.rounds} rounds; client CPU us/request (median), ratio to run_batch (median)")
    for name, values in cpu.items():
        ratio = statistics.median(v / b for v, b in zip(values, base, strict=True))
        print(f"  {name:28} {statistics.median(values):9.1f} us   x{ratio:.2f}")


if __name__ == "__main__":
    main()
