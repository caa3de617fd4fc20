"""The admission queue: a waiter that leaves from the middle (timed out, cancelled) is skipped when it
reaches the head (O(1) to leave, however long the queue), order is kept, and the counts stay right."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from modelwire.exceptions import AdmissionTimeoutError
from modelwire.policy import ModelLimiter


def waiter(limiter: ModelLimiter, order: list[str]) -> Callable[[str, float], Awaitable[None]]:
    """A waiter that records in ``order`` that it was admitted (or timed out), holds its permit for one
    turn of the loop and releases it."""

    async def wait(name: str, timeout: float) -> None:
        try:
            permit = await limiter.aacquire(timeout=timeout)
        except AdmissionTimeoutError:
            order.append(f"{name} timed out")
            return
        order.append(name)
        await asyncio.sleep(0)
        permit.release()

    return wait


def test_waiters_that_leave_mid_queue_are_skipped_in_order() -> None:
    async def main() -> tuple[list[str], str, str]:
        limiter = ModelLimiter("m", max_concurrency=1)
        held = await limiter.aacquire(timeout=1)
        order: list[str] = []

        wait = waiter(limiter, order)

        tasks = {}
        for name, timeout in (("a", 5.0), ("b", 0.05), ("c", 5.0), ("d", 5.0), ("e", 5.0)):
            tasks[name] = asyncio.create_task(wait(name, timeout))
            await asyncio.sleep(0)  # queued in this order
        await asyncio.sleep(0.2)  # b timed out behind a
        tasks["d"].cancel()
        await asyncio.sleep(0.05)  # the cancellation has run its cleanup
        during = repr(limiter)
        held.release()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        return order, during, repr(limiter)

    order, during, after = asyncio.run(main())
    assert order == ["b timed out", "a", "c", "e"]
    assert "queued=3" in during  # a, c, e: the two that left are not counted
    assert "queued=0" in after
    assert "in_flight=0" in after


def test_the_head_leaving_wakes_the_next_live_waiter() -> None:
    async def main() -> list[str]:
        limiter = ModelLimiter("m", max_concurrency=1)
        held = await limiter.aacquire(timeout=1)
        order: list[str] = []

        wait = waiter(limiter, order)

        first = asyncio.create_task(wait("head", 0.1))
        await asyncio.sleep(0)
        middle = asyncio.create_task(wait("middle", 5.0))
        await asyncio.sleep(0)
        middle.cancel()  # leaves from the middle, then the head times out: the queue is empty again
        last = asyncio.create_task(wait("last", 5.0))
        await asyncio.sleep(0.3)
        held.release()
        await asyncio.gather(first, middle, last, return_exceptions=True)
        assert not limiter._waiters
        assert limiter._left == 0
        return order

    assert asyncio.run(main()) == ["head timed out", "last"]
