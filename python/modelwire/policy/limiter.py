"""Admission for one (provider, model, key): adaptive concurrency, requests/min, tokens/min, optional Redis.

One ``ModelLimiter`` per key is shared by every client of the process (see :class:`Limiters`), from
threads and from event loops alike. Waiters queue in FIFO order and only the head of the queue tries to
get in, so a slot freed by a release goes to the longest waiter, a burst of releases does not wake
everyone, and with Redis only one waiter per process polls it. Every wait has a deadline: past it the
caller gets ``AdmissionTimeoutError`` naming what it waited for.

When the config sets no requests/min and a 429 states the provider's request limit, the limiter paces by
that limit from then on (``learned_rpm``): against a fast provider, concurrency alone cannot keep under a
rate limit.

After ``os.fork()`` the child's limiters start with nothing in flight and no waiters (the parent's
threads did not come along), fresh locks, and the adaptive limit and buckets as they were; a permit taken
before the fork does not count in the child. Local limits are per process; ``shared_limits`` (Redis)
bound a fleet of processes together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from modelwire.exceptions import AdmissionTimeoutError
from modelwire.policy.aimd import AIMD
from modelwire.policy.buckets import TokenBucket

if TYPE_CHECKING:
    from modelwire.policy.shared import SharedGate

__all__ = ["ModelLimiter", "Outcome", "Permit"]

logger = logging.getLogger("modelwire.policy")

Clock = Callable[[], float]


_LIVE: weakref.WeakSet[ModelLimiter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for limiter in list(_LIVE):
        limiter._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Outcome(Enum):
    SUCCESS = "success"
    OVERLOAD = "overload"  # 429/503/529: cut the concurrency
    FAILURE = "failure"  # any other failure: no signal about load


class Permit:
    """One admitted request. Release it exactly once (further calls do nothing). ``waited``: the seconds
    its caller was kept waiting for it (0.0 when it was admitted at once)."""

    __slots__ = ("_buckets", "_lease", "_limiter", "_released", "epoch", "generation", "tokens", "waited")

    def __init__(self, limiter: ModelLimiter, generation: int, tokens: int, buckets: bool) -> None:
        self._limiter = limiter
        self.epoch = limiter._epoch  # the process it was taken in (see ModelLimiter._after_fork)
        self.generation = generation
        self.tokens = tokens
        self._buckets = buckets
        self._lease: str | None = None
        self._released = False
        self.waited = 0.0

    def _settle_local(
        self, outcome: Outcome, retry_after: float | None, tokens_used: int | None, requests_limit: int | None
    ) -> float:
        self._released = True
        return self._limiter._release_local(self, outcome, retry_after, tokens_used, requests_limit)

    def release(
        self,
        outcome: Outcome = Outcome.SUCCESS,
        *,
        retry_after: float | None = None,
        tokens_used: int | None = None,
        requests_limit: int | None = None,
    ) -> None:
        """``requests_limit``: the requests/min the provider stated on an overload (paced by when the
        config sets none)."""
        if self._released:
            return
        delta = self._settle_local(outcome, retry_after, tokens_used, requests_limit)
        gate = self._limiter.shared
        if gate is not None and self._lease is not None:
            gate.release(self._lease, delta, retry_after if outcome is Outcome.OVERLOAD else None)

    async def arelease(
        self,
        outcome: Outcome = Outcome.SUCCESS,
        *,
        retry_after: float | None = None,
        tokens_used: int | None = None,
        requests_limit: int | None = None,
    ) -> None:
        """As ``release``; the shared limits are settled without blocking the event loop."""
        if self._released:
            return
        delta = self._settle_local(outcome, retry_after, tokens_used, requests_limit)
        gate = self._limiter.shared
        if gate is not None and self._lease is not None:
            await gate.arelease(self._lease, delta, retry_after if outcome is Outcome.OVERLOAD else None)

    def release_soon(self, outcome: Outcome = Outcome.FAILURE) -> None:
        """Release at once locally, and in Redis from a background task: for a cancelled task, which
        must not wait on the network."""
        if self._released:
            return
        delta = self._settle_local(outcome, None, None, None)
        gate = self._limiter.shared
        if gate is not None and self._lease is not None:
            task = asyncio.get_running_loop().create_task(gate.arelease(self._lease, delta, None))
            _background.add(task)
            task.add_done_callback(_background.discard)


# Strong references to background releases until they finish (the loop keeps only weak ones).
_background: set[asyncio.Task[None]] = set()


class _Waiter:
    __slots__ = ("event", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.event: threading.Event | asyncio.Event = (
            asyncio.Event() if loop is not None else threading.Event()
        )

    def wake(self) -> None:
        if self.loop is None:
            self.event.set()
            return
        # A closed loop raises RuntimeError: nobody is waiting there any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.event.set)


class ModelLimiter:
    def __init__(
        self,
        label: str,
        *,
        max_concurrency: int,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        shared: SharedGate | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.label = label
        self.clock = clock
        self.shared = shared
        self._lock = threading.Lock()
        self._waiters: deque[_Waiter] = deque()
        self.in_flight = 0
        self._epoch = 0
        self.aimd = AIMD(max_concurrency)
        self.rpm: TokenBucket | None = None
        self.tpm: TokenBucket | None = None
        # requests/min a provider stated on a 429; while set, ``rpm`` paces by it (see _learn_rpm).
        self.learned_rpm: int | None = None
        self.configure(max_concurrency, requests_per_minute, tokens_per_minute)
        _LIVE.add(self)

    def _after_fork(self) -> None:
        """In a forked child: nothing in flight, nobody waiting, fresh lock; permits of before don't count."""
        self._lock = threading.Lock()
        self._waiters = deque()
        self.in_flight = 0
        self._epoch += 1

    def configure(
        self, max_concurrency: int, requests_per_minute: int | None, tokens_per_minute: int | None
    ) -> None:
        """Apply (new) configured limits; the adaptive state is kept where it still fits."""
        now = self.clock()
        with self._lock:
            self.aimd.ceiling = max(self.aimd.minimum, max_concurrency)
            self.aimd.limit = min(self.aimd.limit, float(self.aimd.ceiling))
            if requests_per_minute is not None:  # the config speaks: it wins over what a provider stated
                if self.rpm is None or self.learned_rpm or self.rpm.rate * 60 != requests_per_minute:
                    self.rpm = TokenBucket(requests_per_minute, now)
                self.learned_rpm = None
            elif self.learned_rpm is None:
                self.rpm = None
            if tokens_per_minute is None:
                self.tpm = None
            elif self.tpm is None or self.tpm.rate * 60 != tokens_per_minute:
                self.tpm = TokenBucket(tokens_per_minute, now)
            self._wake_head()

    # -- the decision, under the lock ------------------------------------------------------------------

    def _local_wait(self, now: float, tokens: int, buckets: bool) -> float:
        wait = self.aimd.wait(self.in_flight, now)
        if buckets and self.rpm is not None:
            wait = max(wait, self.rpm.wait(1, now))
        if buckets and self.tpm is not None:
            wait = max(wait, self.tpm.wait(tokens, now))
        return wait

    def _reserve(self, now: float, tokens: int, buckets: bool) -> Permit:
        self.in_flight += 1
        if buckets and self.rpm is not None:
            self.rpm.take(1, now)
        if buckets and self.tpm is not None:
            self.tpm.take(tokens, now)
        return Permit(self, self.aimd.generation, tokens, buckets)

    def _unreserve(self, permit: Permit) -> None:
        now = self.clock()
        with self._lock:
            if permit.epoch == self._epoch:  # a permit of the parent process does not count here
                self.in_flight -= 1
            if permit._buckets and self.rpm is not None:
                self.rpm.give_back(1, now)
            if permit._buckets and self.tpm is not None:
                self.tpm.give_back(permit.tokens, now)

    def _learn_rpm(self, stated: int, now: float) -> None:
        """Pace by the requests/min a provider stated on a 429, when the config sets none. Without it a
        fast provider outruns any concurrency limit (one slot can send hundreds of requests a second), so
        adaptive concurrency alone keeps hitting the limit. The bucket starts empty, as the provider's
        just did; with shared limits the pace is kept in Redis, for every process. Under the lock."""
        configured = self.rpm is not None and self.learned_rpm is None
        if configured or stated == self.learned_rpm:
            return
        self.learned_rpm = stated
        self.rpm = TokenBucket(stated, now)
        self.rpm.level = 0.0
        if self.shared is not None and not self.shared.rpm:
            self.shared.learn_rpm(stated)
        logger.info(
            "modelwire: %s paced at %d requests/min, the limit the provider stated on a 429 "
            "(set requests_per_minute to choose another)",
            self.label,
            stated,
        )

    def _release_local(
        self,
        permit: Permit,
        outcome: Outcome,
        retry_after: float | None,
        tokens_used: int | None,
        requests_limit: int | None,
    ) -> float:
        """Local bookkeeping of a release; returns the token over-estimate to give back to shared buckets."""
        now = self.clock()
        delta = 0.0 if tokens_used is None else float(permit.tokens - tokens_used)
        with self._lock:
            if permit.epoch == self._epoch:  # a permit of the parent process does not count here
                self.in_flight -= 1
            if outcome is Outcome.SUCCESS:
                self.aimd.on_success()
            elif outcome is Outcome.OVERLOAD:
                self.aimd.on_overload(permit.generation, now, retry_after)
                if requests_limit is not None:
                    self._learn_rpm(requests_limit, now)
            if permit._buckets and self.tpm is not None and delta:
                self.tpm.give_back(delta, now)
            self._wake_head()
        return delta

    def _wake_head(self) -> None:
        if self._waiters:
            self._waiters[0].wake()

    def _head_try(self, waiter: _Waiter, tokens: int) -> tuple[Permit | None, float, bool]:
        """(permit reserved locally, wait, shared gate to consult). Called by the head of the queue."""
        now = self.clock()
        with self._lock:
            waiter.event.clear()
            if self._waiters[0] is not waiter:
                return None, math.inf, False
            use_shared = self.shared is not None and self.shared.consult()
            wait = self._local_wait(now, tokens, buckets=not use_shared)
            if wait > 0:
                return None, wait, False
            return self._reserve(now, tokens, buckets=not use_shared), 0.0, use_shared

    def _admitted(self, waiter: _Waiter) -> None:
        with self._lock:
            self._waiters.popleft()  # the head: only the head is admitted
            self._wake_head()

    def _leave(self, waiter: _Waiter) -> None:
        with self._lock:
            was_head = bool(self._waiters) and self._waiters[0] is waiter
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            if was_head:
                self._wake_head()

    def _timeout(self, timeout: float) -> AdmissionTimeoutError:
        now = self.clock()
        with self._lock:
            reasons = []
            if now < self.aimd.cooldown_until:
                reasons.append(f"a cool-down after a rate limit ({self.aimd.cooldown_until - now:.2f}s left)")
            if self.in_flight >= self.aimd.slots:
                reasons.append(f"a concurrency slot ({self.in_flight} of {self.aimd.slots} in use)")
            if self.rpm is not None and self.rpm.wait(1, now) > 0:
                reasons.append(f"requests/min ({self.rpm.rate * 60:g})")
            if self.tpm is not None and self.tpm.wait(0, now) > 0:
                reasons.append(f"tokens/min ({self.tpm.rate * 60:g})")
            if self.shared is not None and not reasons:
                reasons.append("the limits shared through Redis")
            queued = len(self._waiters)
        waited = " and ".join(reasons) or "a slot"
        return AdmissionTimeoutError(
            f"no slot for {self.label} within {timeout:.3g}s: waited for {waited}; {queued} callers queued",
            model=self.label,
        )

    # -- the two drivers ---------------------------------------------------------------------------------

    def _uncontended(self, tokens: int) -> Permit | None:
        """The common case, without queueing: nobody waits, nothing is shared, and there is room."""
        if self.shared is not None:
            return None
        now = self.clock()
        with self._lock:
            if self._waiters or self._local_wait(now, tokens, buckets=True) > 0:
                return None
            return self._reserve(now, tokens, buckets=True)

    def acquire(self, *, tokens: int = 0, timeout: float) -> Permit:
        """Wait (blocking this thread) for admission, at most ``timeout`` seconds."""
        permit = self._uncontended(tokens)
        if permit is not None:
            return permit
        deadline = self.clock() + timeout
        waiter = _Waiter(None)
        with self._lock:
            self._waiters.append(waiter)
        admitted = slept = False
        try:
            while True:
                permit, wait, use_shared = self._head_try(waiter, tokens)
                if permit is not None and use_shared:
                    assert self.shared is not None
                    try:
                        verdict = self.shared.admit(tokens)
                    except BaseException:
                        self._unreserve(permit)
                        raise
                    if verdict.lease is not None:
                        permit._lease = verdict.lease
                    else:
                        self._unreserve(permit)
                        permit, wait = None, verdict.wait
                if permit is not None:
                    admitted = True
                    self._admitted(waiter)
                    if slept:
                        permit.waited = self.clock() - (deadline - timeout)
                    return permit
                remaining = deadline - self.clock()
                if remaining <= 0:
                    raise self._timeout(timeout)
                event = waiter.event
                assert isinstance(event, threading.Event)
                slept = True
                event.wait(min(wait, remaining))
        finally:
            if not admitted:
                self._leave(waiter)

    async def aacquire(self, *, tokens: int = 0, timeout: float) -> Permit:
        """Wait (without blocking the event loop) for admission, at most ``timeout`` seconds."""
        permit = self._uncontended(tokens)
        if permit is not None:
            return permit
        deadline = self.clock() + timeout
        waiter = _Waiter(asyncio.get_running_loop())
        with self._lock:
            self._waiters.append(waiter)
        admitted = slept = False
        try:
            while True:
                permit, wait, use_shared = self._head_try(waiter, tokens)
                if permit is not None and use_shared:
                    assert self.shared is not None
                    try:
                        verdict = await self.shared.aadmit(tokens)
                    except BaseException:
                        self._unreserve(permit)
                        raise
                    if verdict.lease is not None:
                        permit._lease = verdict.lease
                    else:
                        self._unreserve(permit)
                        permit, wait = None, verdict.wait
                if permit is not None:
                    admitted = True
                    self._admitted(waiter)
                    if slept:
                        permit.waited = self.clock() - (deadline - timeout)
                    return permit
                remaining = deadline - self.clock()
                if remaining <= 0:
                    raise self._timeout(timeout)
                event = waiter.event
                assert isinstance(event, asyncio.Event)
                slept = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(wait, remaining))
        finally:
            if not admitted:
                self._leave(waiter)

    def __repr__(self) -> str:
        queued = len(self._waiters)
        return f"<ModelLimiter {self.label} in_flight={self.in_flight} {self.aimd!r} queued={queued}>"
