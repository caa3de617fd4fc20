"""CPU the retry layer adds to one successful call: ``RetryPolicy.call``/``acall`` around a no-op attempt,
beside calling the attempt directly. Run: ``.venv/bin/python benches/bench_load_policy_overhead.py``.

Prints microseconds per call (best of 5 runs of 20,000 calls), to compare with the ~1,700 us of client
CPU one bare httpx request costs (docs: shared reference, section 3).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from modelwire.config import LLMConfig
from modelwire.policy import AttemptContext, Limiters, RetryPolicy

N = 20_000


def _best(run: Callable[[], None]) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) / N * 1e6


def _abest(run: Callable[[], Awaitable[None]]) -> float:
    return _best(lambda: asyncio.run(run()))


def main() -> None:
    config = LLMConfig.model_validate("openai/gpt-4o")
    limited = RetryPolicy(config, limiters=Limiters())
    unlimited = RetryPolicy(config, limiters=False)

    def attempt(ctx: AttemptContext | None) -> int:
        return 1

    async def aattempt(ctx: AttemptContext | None) -> int:
        return 1

    def direct() -> None:
        for _ in range(N):
            attempt(None)

    async def adirect() -> None:
        for _ in range(N):
            await aattempt(None)

    def through(policy: RetryPolicy) -> Callable[[], None]:
        def run() -> None:
            for _ in range(N):
                policy.call(attempt)

        return run

    def athrough(policy: RetryPolicy) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            for _ in range(N):
                await policy.acall(aattempt)

        return run

    rows = [
        ("direct call", _best(direct), _abest(adirect)),
        ("policy, no limits", _best(through(unlimited)), _abest(athrough(unlimited))),
        ("policy, adaptive limiter", _best(through(limited)), _abest(athrough(limited))),
    ]
    print(f"{'us per call':<26}{'sync':>8}{'async':>8}")
    for name, sync, async_ in rows:
        print(f"{name:<26}{sync:>8.2f}{async_:>8.2f}")


if __name__ == "__main__":
    main()
