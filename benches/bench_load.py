"""Load against a provider's rate limit: N chat requests at concurrency C through two clients, against the
local provider server allowing K requests/s (a token bucket holding one second's worth) and answering 429
with Retry-After above that. Each answer takes ``--latency`` seconds, as a model's generation would.

Four runs, side by side:

- one process, two ``AsyncClient``s (they share the process-wide limiter of their model and key);
- two processes, one ``AsyncClient`` each, sharing limits through a real ``redis-server`` started here;

each once with the limit unknown to the client (adaptive concurrency and Retry-After cool-downs only)
and once with ``rpm = K * 60`` in the config (the token bucket paces requests before they are sent).

Reported per run: requests completed, failed and lost (neither answered nor raised); the server's 200s
(must equal the completed count: nothing answered twice or dropped); throughput as a share of what the
server could admit in the run's time (K * elapsed + the burst); and the share of requests answered 429.
The goal is >= 90% of K with < 5% 429s. Exits 1 when a request was lost or failed.

Run: ``.venv/bin/python benches/bench_load.py`` (about 90 s; ``--help`` for the knobs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

import modelwire
from modelwire.testing import LocalProviderServer

MODEL = "openai/gpt-4o-mini"
KEY = "sk-local-load-benchmark"


@dataclass
class Outcome:
    completed: int
    failed: int
    started: float  # time.time() of the first request
    finished: float  # time.time() of the last answer
    errors: list[str]


async def drive(
    base_url: str, requests: int, concurrency: int, clients: int, options: dict[str, Any]
) -> Outcome:
    """``requests`` chats from ``concurrency`` tasks spread over ``clients`` AsyncClients."""
    opened = [modelwire.AsyncClient(MODEL, api_key=KEY, api_base=base_url, **options) for _ in range(clients)]
    todo = iter(range(requests))
    completed = 0
    errors: list[str] = []

    async def worker(client: modelwire.AsyncClient) -> None:
        nonlocal completed
        for i in todo:
            try:
                await client.complete([{"role": "user", "content": f"request {i}"}], max_tokens=8)
            except Exception as exc:  # counted and reported, never lost
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
            else:
                completed += 1

    started = time.time()
    try:
        await asyncio.gather(*(worker(opened[i % clients]) for i in range(concurrency)))
    finally:
        for client in opened:
            await client.aclose()
    return Outcome(completed, len(errors), started, time.time(), errors[:5])


def _options(args: argparse.Namespace, paced: bool, redis_url: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {"max_retries": args.max_retries}
    if paced:
        options["rpm"] = int(args.rps * 60)
    if redis_url is not None:
        options["shared_limits"] = {"url": redis_url}
    return options


def _in_process(args: argparse.Namespace, server: LocalProviderServer, paced: bool) -> Outcome:
    from modelwire.policy import Limiters

    # A fresh process-wide limiter per run, so one run's adaptive state does not carry into the next.
    options = {**_options(args, paced, None), "limiters": Limiters()}
    return asyncio.run(drive(server.openai_base_url, args.requests, args.concurrency, 2, options))


def _two_processes(
    args: argparse.Namespace, server: LocalProviderServer, paced: bool, redis_url: str
) -> Outcome:
    half = args.requests // 2
    job = {
        "base_url": server.openai_base_url,
        "concurrency": args.concurrency // 2,
        "options": _options(args, paced, redis_url),
        "start_at": time.time() + 1.0,  # both begin together, after their imports
    }
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", json.dumps({**job, "requests": n})],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (half, args.requests - half)
    ]
    results = []
    for process in workers:
        out, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            raise SystemExit(f"a worker process failed (exit {process.returncode})")
        results.append(Outcome(**json.loads(out.strip().splitlines()[-1])))
    return Outcome(
        completed=sum(r.completed for r in results),
        failed=sum(r.failed for r in results),
        started=min(r.started for r in results),
        finished=max(r.finished for r in results),
        errors=[e for r in results for e in r.errors][:5],
    )


def _worker(spec: str) -> None:
    job = json.loads(spec)
    time.sleep(max(0.0, job["start_at"] - time.time()))
    outcome = asyncio.run(drive(job["base_url"], job["requests"], job["concurrency"], 1, job["options"]))
    print(json.dumps(asdict(outcome)), flush=True)


def _start_redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
               "--appendonly", "no", "--loglevel", "warning"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=0.2).ping()
            return process, url
        except redis.RedisError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)


def _row(
    name: str, args: argparse.Namespace, outcome: Outcome, server: LocalProviderServer
) -> dict[str, Any]:
    counters = server.counters()
    elapsed = outcome.finished - outcome.started
    allowance = args.rps * elapsed + args.rps  # the bucket starts full: one second's worth
    served = counters.statuses.get(200, 0)
    return {
        "run": name,
        "completed": outcome.completed,
        "failed": outcome.failed,
        "lost": args.requests - outcome.completed - outcome.failed,
        "server_200": served,
        "elapsed_s": round(elapsed, 2),
        "req_per_s": round(outcome.completed / elapsed, 1),
        "share_of_K": outcome.completed / allowance,
        "share_429": counters.rate_limited / max(1, counters.requests),
        "errors": outcome.errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--rps", type=float, default=100.0, help="K: what the server admits per second")
    parser.add_argument("--latency", type=float, default=0.25, help="seconds each answer takes")
    parser.add_argument("--max-retries", type=int, default=10)
    parser.add_argument("--only", choices=["process", "redis"], help="run one of the two setups")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker)
        return 0

    rows = []
    with (
        tempfile.TemporaryDirectory() as directory,
        LocalProviderServer.start_subprocess(record_requests=False, latency=args.latency) as server,
    ):
        redis_process, redis_url = (None, "") if args.only == "process" else _start_redis(directory)
        try:
            for paced in (False, True):
                label = "rpm=K*60" if paced else "limit unknown"
                for setup in ("process", "redis"):
                    if args.only not in (None, setup):
                        continue
                    server.reset()
                    server.set_rate_limit(args.rps)
                    if setup == "process":
                        name, outcome = f"1 process, 2 clients, {label}", _in_process(args, server, paced)
                    else:
                        import redis

                        redis.Redis.from_url(redis_url).flushall()
                        outcome = _two_processes(args, server, paced, redis_url)
                        name = f"2 processes + Redis, {label}"
                    rows.append(_row(name, args, outcome, server))
        finally:
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=10)

    _print(args, rows)
    return 1 if any(row["lost"] or row["failed"] for row in rows) else 0


def _print(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{args.requests} requests, concurrency {args.concurrency}, K = {args.rps:g} req/s, "
        f"latency {args.latency:g} s (goal: >= 90% of K, < 5% 429s)"
    )
    print(f"{'run':<42} {'done':>5} {'fail':>4} {'lost':>4} {'200s':>5} {'secs':>6} {'req/s':>6} "
          f"{'of K':>6} {'429s':>6}")  # fmt: skip
    for r in rows:
        print(
            f"{r['run']:<42} {r['completed']:>5} {r['failed']:>4} {r['lost']:>4} {r['server_200']:>5} "
            f"{r['elapsed_s']:>6.2f} {r['req_per_s']:>6.1f} {r['share_of_K']:>6.1%} {r['share_429']:>6.1%}"
        )
        for error in r["errors"]:
            print(f"    {error}")


if __name__ == "__main__":
    sys.exit(main())
