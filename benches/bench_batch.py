"""``modelwire batch`` against the same work through ``AsyncClient`` directly, and its memory over a long
input. The local provider server runs in a child process, so only the client's CPU is measured.

1. CPU per request, side by side in one run (``--rounds`` shuffled rounds of ``--requests`` chats at
   ``--concurrency``): ``direct`` (an ``asyncio.gather`` of ``AsyncClient.complete`` under a semaphore,
   the 40-line runner users write), ``amap`` (``AsyncClient.amap``), ``run_batch`` (JSONL file in, output
   and failures files out, in this process) and ``modelwire batch`` (the command as a subprocess, its
   startup included). Reported: median CPU microseconds per request and the median per-round ratio to
   ``direct``.
2. RSS over ``--lines`` input lines (default 10^6): ``modelwire batch`` as a subprocess against the echo
   route, its resident set sampled from /proc every 5% of the output; reported: RSS at each sample and
   the growth per 1,000 lines after the first 10% (the set of done ids is the one thing that grows).

Run: ``.venv/bin/python benches/bench_batch.py`` (``--lines 100000`` for a quicker memory run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from modelwire import AsyncClient
from modelwire.batch import run_batch
from modelwire.testing import LocalProviderServer

MODEL = "openai/gpt-4.1-mini"
KEY = "sk-bench-batch"


def write_input(path: Path, n: int) -> None:
    with path.open("wb") as file:
        for i in range(n):
            file.write(orjson.dumps({"custom_id": f"b{i}", "prompt": f"prompt number {i}"}) + b"\n")


def client(base: str, concurrency: int) -> AsyncClient:
    return AsyncClient(MODEL, api_base=base, api_key=KEY, max_concurrency=concurrency, limiters=False)


async def direct(base: str, n: int, concurrency: int) -> None:
    async with client(base, concurrency) as c:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                await c.complete(f"prompt number {i}")

        await asyncio.gather(*(one(i) for i in range(n)))


async def amap(base: str, n: int, concurrency: int) -> None:
    items = ({"custom_id": f"b{i}", "prompt": f"prompt number {i}"} for i in range(n))
    async with client(base, concurrency) as c:
        async for result in c.amap(items, concurrency=concurrency):
            assert result.ok, result.error


async def batch(base: str, source: Path, output: Path, concurrency: int) -> None:
    async with client(base, concurrency) as c:
        summary = await run_batch(c, source, output, concurrency=concurrency, handle_signals=False)
        assert summary.failed == 0


def cli_command(base: str, source: Path, output: Path, concurrency: int) -> list[str]:
    return [sys.executable, "-m", "modelwire", "batch", str(source), "-o", str(output), "--model", MODEL,
            "--api-base", base, "--api-key-env", "BENCH_KEY", "--concurrency", str(concurrency),
            "--quiet"]  # fmt: skip


def cpu_of(action: Callable[[], None]) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def cpu_of_child(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, env={**os.environ, "BENCH_KEY": KEY})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def cpu_table(server: LocalProviderServer, n: int, concurrency: int, rounds: int, work: Path) -> None:
    base = server.openai_base_url
    source = work / "cpu.jsonl"
    write_input(source, n)

    def fresh(name: str) -> Path:
        path = work / name
        for suffix in ("", ".failures", ".summary"):
            candidate = path.with_name(path.stem + suffix + (".json" if suffix == ".summary" else ".jsonl"))
            candidate.unlink(missing_ok=True)
        return path

    contenders: dict[str, Callable[[], float]] = {
        "direct": lambda: cpu_of(lambda: asyncio.run(direct(base, n, concurrency))),
        "amap": lambda: cpu_of(lambda: asyncio.run(amap(base, n, concurrency))),
        "run_batch": lambda: cpu_of(lambda: asyncio.run(batch(base, source, fresh("rb.jsonl"), concurrency))),
        "modelwire batch": lambda: cpu_of_child(cli_command(base, source, fresh("cli.jsonl"), concurrency)),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    ratios: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        order = list(contenders)
        random.shuffle(order)
        got = {name: contenders[name]() for name in order}
        for name, seconds in got.items():
            times[name].append(seconds / n * 1e6)
            ratios[name].append(seconds / got["direct"])
    print(
        f"\nCPU per request: {n} chats, concurrency {concurrency}, {rounds} rounds (server: a child process)"
    )
    print("| runner | CPU us / request (median) | ratio to direct (median per round) |")
    print("|---|---|---|")
    for name in contenders:
        print(f"| {name} | {statistics.median(times[name]):.1f} | {statistics.median(ratios[name]):.2f} |")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_run(server: LocalProviderServer, lines: int, concurrency: int, work: Path) -> None:
    source, output = work / "rss.jsonl", work / "rss-out.jsonl"
    write_input(source, lines)
    command = cli_command(server.openai_base_url, source, output, concurrency)
    process = subprocess.Popen(command, env={**os.environ, "BENCH_KEY": KEY})
    samples: list[tuple[int, int]] = []
    step = max(1, lines // 20)
    next_mark = step
    started = time.monotonic()
    output.touch()
    while process.poll() is None:
        time.sleep(0.5)
        done = _count(output)
        if done >= next_mark:
            samples.append((done, rss_kib(process.pid)))
            next_mark = (done // step + 1) * step
    assert process.returncode == 0, process.returncode
    elapsed = time.monotonic() - started
    print(f"\nRSS of `modelwire batch` over {lines} lines (concurrency {concurrency}, {elapsed:.0f}s):")
    print("| lines done | RSS MiB |")
    print("|---|---|")
    for done, kib in samples:
        print(f"| {done} | {kib / 1024:.1f} |")
    later = [s for s in samples if s[0] >= lines // 10]
    if len(later) >= 2:
        (d0, r0), (d1, r1) = later[0], later[-1]
        print(f"growth after the first 10%: {(r1 - r0) / max(1, d1 - d0) * 1000:.1f} KiB per 1,000 lines")


class _Counter:
    """Counts newlines of a growing file incrementally (the file is not re-read from the start)."""

    def __init__(self) -> None:
        self.offset = 0
        self.count = 0

    def __call__(self, path: Path) -> int:
        with path.open("rb") as file:
            file.seek(self.offset)
            data = file.read()
        self.offset += len(data)
        self.count += data.count(b"\n")
        return self.count


_count = _Counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalProviderServer.start_subprocess(record_requests=False) as server,
    ):
        work = Path(tmp)
        if not args.skip_cpu:
            cpu_table(server, args.requests, args.concurrency, args.rounds, work)
        if not args.skip_rss:
            rss_run(server, args.lines, args.concurrency, work)


if __name__ == "__main__":
    main()
