"""``run_provider_batch``: send an input file through a provider's Batch API and write one output record per
request (the batch output line contract): submit, poll with backoff until the batch ends, download, read
each result line with the adapter's parsers, write.

- Input, resumption, output and failures lines are the batch runner's (``batch.files``, ``batch.lines``):
  every input ``custom_id`` gets exactly one output line; ids already in the output are skipped; requests
  the batch never ran (expired, cancelled) are written as errors that say so, and go to the failures
  file, which can be fed back in.
- Polls wait ``poll_interval`` seconds, doubling up to ``max_poll_interval``; a poll answered with a
  retryable error waits at least its Retry-After (``policy.backoff``). A poll that fails otherwise raises.
- The submitted batch's id is kept beside the output (``pending_path``) until its results are written: a
  run that stops while polling is picked up by the next one, which polls that batch instead of paying for
  a second.
- ``deadline`` (seconds): when the next wait would pass it, the batch is cancelled and its partial results
  written; if the provider has not ended it ``cancel_grace`` seconds later, ``APITimeoutError`` names the
  batch so a later run can pick it up with ``batch_id=``.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from modelwire.batch.files import LineWriter, prune_failures, read_items, scan_output
from modelwire.batch.lines import error_info, failure_line, output_line
from modelwire.batch.provider_anthropic import ANTHROPIC_BATCH
from modelwire.batch.provider_common import (
    BatchApi,
    BatchState,
    Outcome,
    missing_error,
    unrun_error,
)
from modelwire.batch.provider_openai import OPENAI_BATCH
from modelwire.batch.runner import default_failures_path
from modelwire.batch.summary import BatchSummary
from modelwire.config import ModelSpec
from modelwire.exceptions import (
    APITimeoutError,
    InvalidBatchItemError,
    ProviderError,
    ResponseParseError,
    UnsupportedCapabilityError,
)
from modelwire.facade.calls import chat_call
from modelwire.facade.map_items import MapItem
from modelwire.facade.mapping import MapResult
from modelwire.policy.backoff import Backoff
from modelwire.providers import AnthropicClient, HttpAdapter, OpenAICompatibleClient, client_from_spec
from modelwire.types import ChatCompletionRequest

__all__ = [
    "ProviderBatchSummary",
    "arun_provider_batch",
    "batch_api_for",
    "pending_path",
    "run_provider_batch",
]

MAX_POLL_ERRORS = 10  # retryable errors in a row on one poll before the run gives up (the batch runs on)
_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


class ProviderBatchSummary(BatchSummary):
    """A :class:`~modelwire.batch.summary.BatchSummary` (counts by outcome and error kind, tokens, cost,
    what was written) plus the provider's batch: its id and final status (None when nothing was left to
    send) and the polls made."""

    def __init__(self, output: Path, failures: Path) -> None:
        super().__init__(output, failures)
        self.batch_id: str | None = None
        self.status: str | None = None
        self.polls = 0

    def to_json(self) -> dict[str, Any]:
        batch = {"batch_id": self.batch_id, "status": self.status, "polls": self.polls}
        return {**super().to_json(), "provider_batch": batch}

    def render(self) -> str:
        if self.batch_id is None:
            return super().render()
        head = f"provider batch {self.batch_id}: {self.status} after {self.polls} polls"
        return head + "\n" + super().render()


def batch_api_for(adapter: HttpAdapter) -> BatchApi:
    """The batch API the adapter's provider serves (OpenAI and OpenAI-compatible chat, Anthropic)."""
    if isinstance(adapter, AnthropicClient):
        return ANTHROPIC_BATCH
    if isinstance(adapter, OpenAICompatibleClient) and adapter.dialect.chat.path.endswith(
        "/chat/completions"
    ):
        return OPENAI_BATCH
    raise UnsupportedCapabilityError(
        f"{adapter.dialect.api} has no provider Batch API modelwire can use (OpenAI and Anthropic have)",
        provider=adapter.provider_name,
    )


def run_provider_batch(
    input_path: str | Path, output_path: str | Path, model: str | ModelSpec, **options: Any
) -> ProviderBatchSummary:
    """The sync entry point: :func:`arun_provider_batch` on a fresh event loop."""
    return asyncio.run(arun_provider_batch(input_path, output_path, model, **options))


async def arun_provider_batch(
    input_path: str | Path,
    output_path: str | Path,
    model: str | ModelSpec,
    *,
    api_base: str | None = None,
    api_key: str | None = None,
    adapter: HttpAdapter | None = None,
    failures_path: str | Path | None = None,
    batch_id: str | None = None,
    poll_interval: float = 5.0,
    max_poll_interval: float = 60.0,
    deadline: float | None = None,
    cancel_grace: float = 60.0,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ProviderBatchSummary:
    """Run ``input_path`` (JSONL requests) through ``model``'s provider Batch API into ``output_path``.
    ``model``: ``"openai/gpt-4.1-mini"``, ``"anthropic/claude-..."`` or a ``ModelSpec``; ``api_base`` /
    ``api_key`` as in a spec; ``adapter``: an adapter to use instead (left open); ``failures_path``: the
    failures file (default ``OUTPUT.failures.jsonl``, a valid input file). ``batch_id``: attach to a
    batch already submitted (by an earlier run that stopped) instead of submitting. ``sleep`` / ``clock``:
    the waiting seams (tests drive them)."""
    spec = (
        model
        if isinstance(model, ModelSpec)
        else ModelSpec.model_validate({"name": model, "api_base": api_base, "api_key": api_key})
    )
    own = adapter is None
    adapter = adapter if adapter is not None else client_from_spec(spec, max_response_bytes=None)
    try:
        output = Path(output_path)
        failures = Path(failures_path) if failures_path is not None else default_failures_path(output)
        run = _Run(batch_api_for(adapter), adapter, spec.model_id, output, failures)
        return await run.go(
            Path(input_path),
            batch_id,
            _Polling(
                Backoff(initial=poll_interval, cap=max_poll_interval), deadline, cancel_grace, sleep, clock
            ),
        )
    finally:
        if own:
            await adapter.aclose()


@dataclass(slots=True)
class _Polling:
    backoff: Backoff
    deadline: float | None
    cancel_grace: float
    sleep: Callable[[float], Awaitable[Any]]
    clock: Callable[[], float]


class _Run:
    def __init__(
        self, api: BatchApi, adapter: HttpAdapter, model_id: str, output: Path, failures: Path
    ) -> None:
        self.api, self.adapter, self.model_id = api, adapter, model_id
        self.output, self.failures = output, failures
        self.summary = ProviderBatchSummary(output, failures)

    async def go(self, input_path: Path, batch_id: str | None, polling: _Polling) -> ProviderBatchSummary:
        started = time.monotonic()
        if not input_path.is_file():
            raise FileNotFoundError(f"input file {input_path} does not exist")
        previous = scan_output(self.output)
        prune_failures(self.failures, previous.done.__contains__)
        self.summary.already_done, self.summary.torn_bytes = len(previous.done), previous.torn_bytes
        todo, refused = self._read(input_path, previous.done)
        self._write(refused)
        pending = pending_path(self.output)
        if todo:
            if batch_id is None:
                batch_id = _pending_batch(pending, self.api.name)
            if batch_id is None:
                items = [(wire_id, self.adapter.chat_body(request)) for wire_id, _, request in todo]
                state = await self.api.submit(self.adapter, items)
                _atomic_write(pending, orjson.dumps({"provider": self.api.name, "batch_id": state.batch_id}))
            else:
                state = await self._poll_once(batch_id)
            self.summary.batch_id = state.batch_id
            state = await self._wait(state, polling)
            self.summary.status = state.status
            outcomes = await self._outcomes(state, {w: r.custom_id for w, r, _ in todo})
            self._write([_result(r, outcomes[r.custom_id], q.model) for _, r, q in todo])
            pending.unlink(missing_ok=True)
        self.summary.wall_seconds = time.monotonic() - started
        return self.summary

    def _read(
        self, input_path: Path, done: set[str]
    ) -> tuple[list[tuple[str, MapResult, ChatCompletionRequest]], list[MapResult]]:
        """The requests to send (wire id, their result-to-be, request) and the items refused at once."""
        progress = self.summary.progress
        todo: list[tuple[str, MapResult, ChatCompletionRequest]] = []
        refused: list[MapResult] = []
        seen: set[str] = set()
        for index, item in enumerate(read_items(input_path)):
            if item.custom_id in done:
                progress.skipped += 1
                continue
            if item.custom_id in seen:
                progress.duplicates += 1
                continue
            seen.add(item.custom_id)
            try:
                request = _request(item, self.model_id)
            except InvalidBatchItemError as exc:
                refused.append(MapResult(item, index, error=exc))
                continue
            todo.append((self.api.wire_id(item.custom_id, index), MapResult(item, index), request))
        return todo, refused

    async def _poll_once(self, batch_id: str) -> BatchState:
        self.summary.polls += 1
        return await self.api.poll(self.adapter, batch_id)

    async def _wait(self, state: BatchState, polling: _Polling) -> BatchState:
        """Poll until the batch ends; cancel it at the deadline and give it ``cancel_grace`` to end."""
        deadline = None if polling.deadline is None else polling.clock() + polling.deadline
        cancelled_at: float | None = None
        polls = 0
        while not state.ended:
            polls += 1
            wait = polling.backoff.ceiling(polls)
            now = polling.clock()
            if deadline is not None and cancelled_at is None and now + wait > deadline:
                await polling.sleep(max(0.0, deadline - now))
                state = await self.api.cancel(self.adapter, state.batch_id)
                cancelled_at = polling.clock()
                continue
            if cancelled_at is not None:
                left = cancelled_at + polling.cancel_grace - now
                if left <= 0:
                    raise APITimeoutError(
                        f"the {self.api.name} batch {state.batch_id} was cancelled at the deadline but had "
                        f"not ended {polling.cancel_grace:g}s later; run again with "
                        f"batch_id={state.batch_id!r}",
                        provider=self.adapter.provider_name,
                        model=self.model_id,
                    )
                wait = min(wait, left)
            await polling.sleep(wait)
            state = await self._poll_retrying(state.batch_id, polling)
        return state

    async def _poll_retrying(self, batch_id: str, polling: _Polling) -> BatchState:
        """One poll; a retryable error is retried after its backoff (at least its Retry-After), up to
        ``MAX_POLL_ERRORS`` in a row."""
        errors = 0
        while True:
            try:
                return await self._poll_once(batch_id)
            except ProviderError as exc:
                errors += 1
                if not exc.retryable or errors >= MAX_POLL_ERRORS:
                    raise
                await polling.sleep(polling.backoff.delay(errors, exc.retry_after))

    async def _outcomes(self, state: BatchState, by_wire: dict[str, str]) -> dict[str, Outcome]:
        """custom_id -> outcome for every request sent (those without a result line included)."""
        wanted = set(by_wire.values())
        outcomes: dict[str, Outcome] = {}
        unreadable: list[str] = []
        for source, number, raw in await self.api.results(self.adapter, state):
            where = f"line {number} of {source}"
            try:
                wire_id, outcome = self.api.read_line(self.adapter, raw, where, state.batch_id)
            except ResponseParseError as exc:
                found = _CUSTOM_ID.search(raw)
                wire_id = found.group(1).decode("utf-8", "replace") if found else ""
                if by_wire.get(wire_id) not in wanted:
                    unreadable.append(where)
                    continue
                outcome = exc
            custom_id = by_wire.get(wire_id)
            if custom_id in wanted and custom_id not in outcomes:
                outcomes[custom_id] = outcome
        for custom_id in wanted - outcomes.keys():
            if state.unfinished == "expired":
                outcomes[custom_id] = unrun_error(self.api.name, state.batch_id, "expired")
            elif state.unfinished == "cancelled":
                outcomes[custom_id] = unrun_error(self.api.name, state.batch_id, "cancelled")
            else:
                outcomes[custom_id] = missing_error(self.api.name, state.batch_id, None, unreadable)
        return outcomes

    def _write(self, results: list[MapResult]) -> None:
        """Each result as the batch runner writes it: a failure to the failures file first, then its
        output line (one ``write`` each, so a crash leaves whole lines only)."""
        if not results:
            return
        output, failures = LineWriter(self.output), LineWriter(self.failures)
        progress = self.summary.progress
        try:
            for result in results:
                if result.error is not None:
                    self.summary.kinds[error_info(result.error)["kind"]] += 1
                    failures.write(failure_line(result))
                output.write(output_line(result))
                progress.in_flight += 1
                progress.record(result)
        finally:
            output.close()
            failures.close()


def _request(item: MapItem, model_id: str) -> ChatCompletionRequest:
    """The chat request of an input item (refused when it is not one)."""
    if item.error is not None:
        raise item.error
    if item.operation != "chat":
        raise InvalidBatchItemError("provider batches take chat requests only (this line is embeddings)")
    try:
        call = chat_call(item.payload, item.params, count_tokens=False)
    except (TypeError, ValueError) as exc:
        raise InvalidBatchItemError(str(exc)) from None
    return ChatCompletionRequest(model=model_id, timeout=call.timeout, **call.fields)


def _result(pending: MapResult, outcome: Outcome, model: str) -> MapResult:
    if isinstance(outcome, ProviderError):
        if outcome.model is None:
            outcome.model = model
        return MapResult(pending.item, pending.index, error=outcome)
    return MapResult(pending.item, pending.index, response=outcome)


def pending_path(output: Path) -> Path:
    """Where a run keeps the id of the batch it submitted until its results are written: a run that
    stops (crash, Ctrl-C, a poll error) is picked up by the next run instead of submitting again."""
    return output.with_name(output.name + ".provider-batch.json")


def _pending_batch(pending: Path, api: str) -> str | None:
    try:
        data = orjson.loads(pending.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("provider") != api or not isinstance(data.get("batch_id"), str):
        return None
    batch_id: str = data["batch_id"]
    return batch_id


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(data)
    os.replace(partial, path)
