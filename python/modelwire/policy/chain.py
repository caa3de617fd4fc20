"""The decisions of one call through a chain, with no I/O: which model and attempt come next, how long to
wait before it, when to give up. The sync and async drivers (:mod:`modelwire.policy.runner`) only sleep,
await and admit around it, so both behave identically by construction.

Each decision is logged once, at INFO, on ``modelwire.policy``, as one line without a traceback, and, when
the call has an ``emit`` (its hooks), sent as an event: ``AttemptFailed``, then ``RetryDecided`` or
``FallbackTaken`` (:mod:`modelwire.events`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from modelwire._redact import redact, truncate
from modelwire.events import AttemptFailed, FallbackTaken, RetryDecided
from modelwire.exceptions import AllModelsExhaustedError, AttemptRecord, ProviderError
from modelwire.policy.backoff import Backoff
from modelwire.policy.classify import Action, action_for

if TYPE_CHECKING:
    from modelwire.config import ModelSpec
    from modelwire.events import Emit
    from modelwire.policy.limiter import Permit

__all__ = ["AttemptContext", "ChainRun"]

logger = logging.getLogger("modelwire.policy")


class AttemptContext:
    """What an attempt needs to know: the model, which attempt this is, and the time it has left.

    ``timeout`` is the per-request timeout to use (the model's, shortened to the chain's remaining time).
    ``record_tokens(n)`` reports the tokens the call used, to settle the tokens/min budget. A stream keeps
    its admission slot past the attempt by calling ``hold()`` before it returns; it then releases the
    returned permit when it ends (``permit.release()`` or ``await permit.arelease()``). ``emit`` (``None``
    when the call has no hooks) sends the call's events, each with ``call_id``.
    """

    __slots__ = ("_clock", "_held", "attempt", "attempts", "call_id", "deadline", "emit", "model_index",
                 "number", "permit", "spec", "started", "tokens_used")  # fmt: skip

    def __init__(
        self,
        spec: ModelSpec,
        *,
        model_index: int,
        attempt: int,
        number: int,
        deadline: float | None,
        clock: Callable[[], float],
        emit: Emit | None = None,
        call_id: int = 0,
    ) -> None:
        self.spec = spec
        self.model_index = model_index
        self.attempt = attempt  # 1-based, within this model
        self.attempts = spec.attempts  # allowed for this model
        self.number = number  # 1-based, within the whole call
        self.deadline = deadline  # absolute, on ``clock``
        self._clock = clock
        self.started = clock()
        self.permit: Permit | None = None
        self.tokens_used: int | None = None
        self._held = False
        self.emit = emit
        self.call_id = call_id

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - self._clock())

    @property
    def timeout(self) -> float | None:
        remaining = self.remaining()
        if remaining is None:
            return self.spec.timeout
        return remaining if self.spec.timeout is None else min(self.spec.timeout, remaining)

    def record_tokens(self, tokens: int | None) -> None:
        self.tokens_used = tokens

    def hold(self) -> Permit | None:
        """Keep the admission slot after the attempt returns; the caller releases the permit."""
        self._held = True
        return self.permit

    @property
    def held(self) -> bool:
        return self._held

    def __repr__(self) -> str:
        return f"<attempt {self.attempt}/{self.attempts} of {self.spec.name} (#{self.number})>"


def _describe(error: ProviderError) -> str:
    details = [error.kind.value]
    if error.status_code is not None:
        details.append(str(error.status_code))
    if error.retry_after is not None:
        details.append(f"retry-after {error.retry_after:g}s")
    return f"{' '.join(details)}: {truncate(redact(error.message), 160)}"


class _Failure:
    """The head of a decision's log line: which attempt failed and why, formatted only when logged."""

    __slots__ = ("ctx", "error")

    def __init__(self, ctx: AttemptContext, error: ProviderError) -> None:
        self.ctx = ctx
        self.error = error

    def __str__(self) -> str:
        ctx = self.ctx
        return f"{ctx.spec.name} attempt {ctx.attempt}/{ctx.attempts} failed ({_describe(self.error)})"


class ChainRun:
    """One call's walk through the chain. ``next_attempt`` -> (attempt) -> ``failed`` or ``succeeded``."""

    def __init__(
        self,
        models: list[ModelSpec],
        *,
        backoff: Backoff,
        deadline: float | None,
        clock: Callable[[], float],
        emit: Emit | None = None,
        call_id: int = 0,
    ):
        self.models = models
        self.emit = emit
        self.call_id = call_id
        self.backoff = backoff
        self.clock = clock
        self.started = clock()
        self.deadline_at = None if deadline is None else self.started + deadline
        self.deadline = deadline
        self.records: list[AttemptRecord] = []
        self._index = 0
        self._attempt = 0  # attempts made on models[_index]
        self._stopped: str | None = None  # why the chain ended early (deadline), for the final error

    # -- driving ---------------------------------------------------------------------------------------

    def next_attempt(self) -> AttemptContext:
        """The next attempt to make; raises ``AllModelsExhaustedError`` when there is none."""
        if self._stopped is None and self._index < len(self.models):
            remaining = self.remaining()
            if remaining is None or remaining > 0:
                self._attempt += 1
                return AttemptContext(
                    self.models[self._index],
                    model_index=self._index,
                    attempt=self._attempt,
                    number=len(self.records) + 1,
                    deadline=self.deadline_at,
                    clock=self.clock,
                    emit=self.emit,
                    call_id=self.call_id,
                )
            self._stopped = f"the deadline of {self.deadline:g}s was reached"
        raise self._exhausted()

    def remaining(self) -> float | None:
        return None if self.deadline_at is None else self.deadline_at - self.clock()

    def failed(self, ctx: AttemptContext, error: ProviderError) -> float:
        """Record a failed attempt and decide. Returns the seconds to wait before ``next_attempt``;
        raises ``error`` itself when it must not be retried anywhere (or waited out)."""
        now = self.clock()
        self.records.append(
            AttemptRecord(
                model=ctx.spec.name,
                attempt=ctx.attempt,
                exception=error,
                elapsed=now - ctx.started,
                kind=error.kind,
                status_code=error.status_code,
                retry_after=error.retry_after,
                cost=getattr(getattr(error, "response", None), "cost", None),
            )
        )
        if self.emit is not None:
            self.emit(
                AttemptFailed.of(
                    ctx,
                    kind=error.kind,
                    status_code=error.status_code,
                    elapsed=now - ctx.started,
                    error=error,
                )
            )
        head = _Failure(ctx, error)
        action = action_for(error)
        if action is Action.RAISE:
            self._log(head, "raising it: no model would accept this request")
            self._raise(error)
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            self._stopped = f"the deadline of {self.deadline:g}s was reached"
            self._log(head, "the deadline has passed; giving up")
            return 0.0
        if action is Action.RETRY and ctx.attempt < ctx.attempts:
            if self.backoff.too_long(error.retry_after):
                why = f"retry-after exceeds max_retry_after ({self.backoff.max_retry_after:g}s)"
                return self._next_model(head, error, why, raise_if_last=True)
            delay = self.backoff.delay(ctx.attempt, error.retry_after)
            if remaining is not None and delay >= remaining:
                why = f"a {delay:.2f}s wait would pass the deadline"
                return self._next_model(head, error, why, stop=f"the deadline of {self.deadline:g}s was near")
            self._log(head, "retrying in %.2fs", delay)
            if self.emit is not None:
                self.emit(
                    RetryDecided.of(
                        ctx, kind=error.kind, wait=delay, retry_after=error.retry_after, error=error
                    )
                )
            return delay
        why = "retries used up" if action is Action.RETRY else "another model may succeed"
        return self._next_model(head, error, why)

    def succeeded(self, ctx: AttemptContext) -> None:
        if self.records:
            logger.debug(
                "%s attempt %d succeeded after %d failed attempts",
                ctx.spec.name,
                ctx.attempt,
                len(self.records),
            )

    # -- decisions -------------------------------------------------------------------------------------

    def _next_model(
        self,
        head: _Failure,
        error: ProviderError,
        why: str,
        *,
        raise_if_last: bool = False,
        stop: str | None = None,
    ) -> float:
        self._index += 1
        self._attempt = 0
        if self._index < len(self.models):
            to_model = self.models[self._index].name
            self._log(head, "%s; moving on to %s", why, to_model)
            if self.emit is not None:
                self.emit(
                    FallbackTaken(
                        call_id=self.call_id,
                        from_model=self.models[self._index - 1].name,
                        to_model=to_model,
                        kind=error.kind,
                        reason=why,
                        error=error,
                    )
                )
            return 0.0
        if raise_if_last:
            self._log(head, "%s; raising it at once, with its retry_after", why)
            self._raise(error)
        self._log(head, "%s; no model left", why)
        self._stopped = stop
        return 0.0

    def _raise(self, error: ProviderError) -> NoReturn:
        earlier = self.records[:-1]
        if earlier:
            error.add_note("modelwire: earlier attempts of this call: " + ", ".join(map(repr, earlier)))
        raise error

    def _exhausted(self) -> ProviderError | AllModelsExhaustedError:
        """The error that ends the walk. A one-model chain raises its model's last failure itself (so
        ``except RateLimitError`` works), noted with every attempt; a chain raises
        ``AllModelsExhaustedError`` holding every attempt, its message naming the last failure."""
        elapsed = self.clock() - self.started
        tried = list(dict.fromkeys(r.model for r in self.records))
        last = self.records[-1] if self.records else None
        if len(self.models) == 1 and last is not None and isinstance(last.exception, ProviderError):
            count = len(self.records)
            why = self._stopped or f"{count} attempt{'s' if count > 1 else ''} failed in {elapsed:.2f}s"
            logger.info("modelwire: gave up on %s: %s", last.model, why)
            last.exception.add_note(
                f"modelwire: gave up on {last.model}: {why}: " + ", ".join(map(repr, self.records))
            )
            return last.exception
        if self._stopped is not None:
            untried = [m.name for m in self.models[self._index :] if m.name not in tried]
            rest = f"; not tried: {', '.join(untried)}" if untried else ""
            message = (
                f"gave up: {self._stopped} after {len(self.records)} attempts on {len(tried)} models{rest}"
            )
        else:
            message = (
                f"all {len(self.models)} models failed: {len(self.records)} attempts in {elapsed:.2f}s"
                if self.records
                else "no attempt was made"
            )
        if last is not None and isinstance(last.exception, ProviderError):
            message += f"; last: {last.model} attempt {last.attempt}: {_describe(last.exception)}"
        logger.info("modelwire: %s", message)
        return AllModelsExhaustedError(message, list(self.records))

    def _log(self, head: _Failure, decision: str, *args: object) -> None:
        # Formatted (the error described, redacted) only when the line is emitted.
        logger.info("modelwire: %s -> " + decision, head, *args)
