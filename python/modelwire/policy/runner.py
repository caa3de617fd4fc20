"""The one retry layer: admission -> attempt -> classify -> backoff -> next model, sync and async.

An *attempt* is any callable taking an :class:`AttemptContext` (``ctx.spec`` is the model to call) that
returns a result or raises a ``ProviderError``. A stream is an attempt that returns once its first event
has arrived: a failure before that is retried like any other, and nothing after it is (the chain is
over by then). Adapters never retry by themselves; this is the only place that does.

    policy = RetryPolicy(config)
    response = policy.call(lambda ctx: adapter_for(ctx.spec).completion(request_for(ctx)), tokens=estimate)
    response = await policy.acall(async_attempt, tokens=estimate)

``emit`` (a call's hooks, :mod:`modelwire.events`) receives ``AdmissionWaited`` when the limiter kept an
attempt waiting, and through the chain the failures and decisions; ``call_id`` stamps them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, TypeVar

from modelwire.events import AdmissionWaited
from modelwire.exceptions import AdmissionTimeoutError, APITimeoutError, ProviderError
from modelwire.policy.backoff import Backoff
from modelwire.policy.chain import AttemptContext, ChainRun
from modelwire.policy.classify import is_overload
from modelwire.policy.limiter import Outcome
from modelwire.policy.registry import Limiters, default_limiters

if TYPE_CHECKING:
    from modelwire.config import LLMConfig
    from modelwire.events import Emit
    from modelwire.policy.limiter import ModelLimiter

__all__ = ["RetryPolicy"]

T = TypeVar("T")


def _outcome(error: ProviderError) -> Outcome:
    return Outcome.OVERLOAD if is_overload(error) else Outcome.FAILURE


def _admission(ctx: AttemptContext, seconds: float, *, admitted: bool = True) -> None:
    """Tell the call's hooks that admission kept this attempt waiting (or timed out)."""
    if ctx.emit is not None and (seconds > 0 or not admitted):
        ctx.emit(AdmissionWaited.of(ctx, seconds=seconds, admitted=admitted))


class RetryPolicy:
    """Runs attempts through ``config``'s chain under its retry, backoff, deadline and limits.

    ``limiters``: ``None`` shares the process-wide limiters (the normal case), ``False`` admits without
    limits. ``clock``, ``sleep``, ``asleep`` and ``rng`` are injectable so the decisions can be tested
    without waiting.
    """

    def __init__(
        self,
        config: LLMConfig,
        *,
        limiters: Limiters | Literal[False] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._models = list(config.models)  # read, never changed, by every ChainRun of this policy
        self.limiters: Limiters | None = (
            None if limiters is False else (limiters if limiters is not None else default_limiters())
        )
        self.clock = clock
        self._limiter_cache: dict[int, ModelLimiter] = {}
        self._sleep = sleep
        self._asleep = asleep
        self.backoff = Backoff(
            initial=config.initial_retry_delay,
            cap=config.max_retry_delay,
            max_retry_after=config.max_retry_after,
            rng=rng or random.Random(),
        )

    def start(self, deadline: float | None = None, emit: Emit | None = None, call_id: int = 0) -> ChainRun:
        """A new walk through the chain; ``deadline`` (seconds) overrides the config's for this call."""
        bound = self.config.deadline if deadline is None else deadline
        return ChainRun(
            self._models,
            backoff=self.backoff,
            deadline=bound,
            clock=self.clock,
            emit=emit,
            call_id=call_id,
        )

    def limiter_for(self, ctx: AttemptContext) -> ModelLimiter | None:
        if self.limiters is None:
            return None
        # The config is immutable, so each model's limiter is looked up once per policy.
        limiter = self._limiter_cache.get(ctx.model_index)
        if limiter is None:
            limiter = self.limiters.for_spec(ctx.spec, self.config.shared_limits)
            self._limiter_cache[ctx.model_index] = limiter
        return limiter

    def _admission_timeout(self, run: ChainRun) -> float:
        configured, remaining = self.config.admission_timeout, run.remaining()
        if remaining is not None:
            return max(0.0, remaining if configured is None else min(configured, remaining))
        if configured is not None:
            return max(0.0, configured)
        from modelwire.config import DEFAULT_DEADLINE  # neither bound configured: still never wait forever

        return DEFAULT_DEADLINE

    # -- sync --------------------------------------------------------------------------------------------

    def call(
        self,
        attempt: Callable[[AttemptContext], T],
        *,
        tokens: int = 0,
        deadline: float | None = None,
        emit: Emit | None = None,
        call_id: int = 0,
    ) -> T:
        """Run ``attempt`` until it succeeds, or raise (the request's own error, or
        ``AllModelsExhaustedError`` with one record per attempt). ``tokens``: the call's estimated
        tokens, for a tokens/min limit; ``deadline``: seconds for this call instead of the config's;
        ``emit``, ``call_id``: the call's hooks (see the module docstring)."""
        run = self.start(deadline, emit, call_id)
        while True:
            ctx = run.next_attempt()
            limiter = self.limiter_for(ctx)
            try:
                if limiter is not None:
                    timeout = self._admission_timeout(run)
                    ctx.permit = limiter.acquire(tokens=tokens, timeout=timeout)
                    _admission(ctx, ctx.permit.waited)
            except AdmissionTimeoutError as error:
                _admission(ctx, timeout, admitted=False)
                self._pause(run.failed(ctx, error))
                continue
            try:
                result = attempt(ctx)
            except ProviderError as error:
                if ctx.permit is not None:
                    ctx.permit.release(
                        _outcome(error), retry_after=error.retry_after, requests_limit=error.requests_limit
                    )
                self._pause(run.failed(ctx, error))
                continue
            except BaseException:
                if ctx.permit is not None:
                    ctx.permit.release(Outcome.FAILURE)
                raise
            if ctx.permit is not None and not ctx.held:
                ctx.permit.release(Outcome.SUCCESS, tokens_used=ctx.tokens_used)
            run.succeeded(ctx)
            return result

    def _pause(self, delay: float) -> None:
        if delay > 0:
            self._sleep(delay)

    # -- async -------------------------------------------------------------------------------------------

    async def acall(
        self,
        attempt: Callable[[AttemptContext], Awaitable[T]],
        *,
        tokens: int = 0,
        deadline: float | None = None,
        emit: Emit | None = None,
        call_id: int = 0,
    ) -> T:
        """As :meth:`call`, awaiting; the chain's deadline also cancels an attempt that outlives it."""
        run = self.start(deadline, emit, call_id)
        while True:
            ctx = run.next_attempt()
            limiter = self.limiter_for(ctx)
            try:
                if limiter is not None:
                    timeout = self._admission_timeout(run)
                    ctx.permit = await limiter.aacquire(tokens=tokens, timeout=timeout)
                    _admission(ctx, ctx.permit.waited)
            except AdmissionTimeoutError as error:
                _admission(ctx, timeout, admitted=False)
                await self._apause(run.failed(ctx, error))
                continue
            try:
                result = await self._bounded(attempt, ctx, run.remaining())
            except ProviderError as error:
                if ctx.permit is not None:
                    await ctx.permit.arelease(
                        _outcome(error), retry_after=error.retry_after, requests_limit=error.requests_limit
                    )
                await self._apause(run.failed(ctx, error))
                continue
            except BaseException:
                if ctx.permit is not None:
                    ctx.permit.release_soon(Outcome.FAILURE)  # a cancelled task must not wait on Redis
                raise
            if ctx.permit is not None and not ctx.held:
                await ctx.permit.arelease(Outcome.SUCCESS, tokens_used=ctx.tokens_used)
            run.succeeded(ctx)
            return result

    @staticmethod
    async def _bounded(
        attempt: Callable[[AttemptContext], Awaitable[T]], ctx: AttemptContext, remaining: float | None
    ) -> T:
        if remaining is None:
            return await attempt(ctx)
        scope = asyncio.timeout(remaining)
        try:
            async with scope:
                return await attempt(ctx)
        except TimeoutError:
            if not scope.expired():
                raise
            raise APITimeoutError(
                f"the chain's deadline passed during attempt {ctx.attempt} of {ctx.spec.name}",
                model=ctx.spec.name,
            ) from None

    async def _apause(self, delay: float) -> None:
        if delay > 0:
            await self._asleep(delay)
