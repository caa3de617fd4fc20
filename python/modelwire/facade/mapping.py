"""``Client.map`` / ``AsyncClient.amap``: many requests through one client, a bounded number at a time.

Results come back as they complete (``ordered=False``) or in input order (``ordered=True``: at most
``concurrency`` requests are in flight or waiting for an earlier one, so memory stays bounded either
way). Input is consumed lazily, one item per free slot: an iterator of millions of items is never held
as a list. Every item becomes exactly one :class:`MapResult`; a failure is a result with ``error`` set,
never an exception out of the loop (``KeyboardInterrupt`` and cancellation still stop it).

Items and their ids follow :mod:`modelwire.facade.map_items`. ``skip``: ids to leave out (what a
previous run already answered: the resumption keys). An id seen twice is answered once and counted as a
duplicate. The set of ids seen (plus ``skip``) is the only structure that grows with the input.
"""

from __future__ import annotations

import asyncio
import queue
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Container, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from modelwire.facade.map_items import MapItem, item_from

if TYPE_CHECKING:
    from modelwire.facade.client import AsyncClient, Client

__all__ = ["MapProgress", "MapResult", "amap_results", "map_results"]

ProgressCallback = Callable[["MapProgress"], object]


class MapResult:
    """One item's outcome: ``response`` (a ``ChatCompletionResponse`` or ``EmbeddingResponse``) or
    ``error`` (the exception the call raised, or ``InvalidBatchItemError`` for an item that is not a
    request). ``index`` is the item's 0-based position in the input; ``source`` the item as given."""

    __slots__ = ("custom_id", "error", "index", "item", "response")

    def __init__(
        self, item: MapItem, index: int, response: Any = None, error: Exception | None = None
    ) -> None:
        self.custom_id = item.custom_id
        self.item = item
        self.index = index
        self.response = response
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def source(self) -> Any:
        return self.item.source

    @property
    def cost(self) -> Any:
        """``response.cost`` when the response carries one (a ``Cost``), else None."""
        return getattr(self.response, "cost", None)

    def __repr__(self) -> str:
        outcome = "ok" if self.error is None else f"error {type(self.error).__name__}"
        return f"<MapResult {self.custom_id!r} {outcome}>"


class MapProgress:
    """Counts so far, updated before each result is handed out (the callback receives this object)."""

    __slots__ = (
        "completion_tokens", "cost", "done", "duplicates", "failed", "in_flight", "prompt_tokens",
        "skipped", "started", "total_tokens",
    )  # fmt: skip

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.done = 0  # answered (ok + failed)
        self.failed = 0
        self.in_flight = 0
        self.skipped = 0  # in ``skip`` (already answered)
        self.duplicates = 0  # an id seen earlier in this input
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self.cost = 0.0  # USD, from responses that carry a cost

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Answers per second so far."""
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0

    def record(self, result: MapResult) -> None:
        self.in_flight -= 1
        self.done += 1
        if result.error is not None:
            self.failed += 1
            return
        usage = getattr(result.response, "usage", None)
        if usage is not None:
            self.prompt_tokens += usage.input_tokens or 0
            self.completion_tokens += usage.output_tokens or 0
            self.total_tokens += usage.total_tokens or 0
        total = getattr(result.cost, "total", None)
        if isinstance(total, int | float):
            self.cost += float(total)


class _Admission:
    """Takes items off the input one at a time: ids, shard filter, skip and duplicate checks."""

    def __init__(
        self,
        items: Iterable[Any],
        skip: Container[str],
        accept: Callable[[str], bool] | None,
        default_id: Callable[[int], str],
        progress: MapProgress,
    ) -> None:
        self._items = enumerate(items)
        self._skip = skip
        self._seen: set[str] = set()
        self._accept = accept
        self._default_id = default_id
        self.progress = progress
        self.exhausted = False

    def next(self) -> tuple[int, MapItem] | None:
        for index, raw in self._items:
            item = raw if isinstance(raw, MapItem) else item_from(raw, self._default_id(index))
            custom_id = item.custom_id
            if self._accept is not None and not self._accept(custom_id):
                continue
            if custom_id in self._skip:
                self.progress.skipped += 1
                continue
            if custom_id in self._seen:
                self.progress.duplicates += 1
                continue
            self._seen.add(custom_id)
            self.progress.in_flight += 1
            return index, item
        self.exhausted = True
        return None


def _default_id(index: int) -> str:
    return str(index)


def _never() -> bool:
    return False


async def _acall(client: AsyncClient, index: int, item: MapItem) -> MapResult:
    if item.error is not None:
        return MapResult(item, index, error=item.error)
    try:
        if item.operation == "embed":
            response: Any = await client.embed(item.payload, **item.params)
        else:
            response = await client.complete(item.payload, **item.params)
    except Exception as exc:  # an error is a result
        return MapResult(item, index, error=exc)
    return MapResult(item, index, response=response)


def _call(client: Client, index: int, item: MapItem) -> MapResult:
    if item.error is not None:
        return MapResult(item, index, error=item.error)
    try:
        if item.operation == "embed":
            response: Any = client.embed(item.payload, **item.params)
        else:
            response = client.complete(item.payload, **item.params)
    except Exception as exc:  # an error is a result
        return MapResult(item, index, error=exc)
    return MapResult(item, index, response=response)


def _check(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")


async def amap_results(
    client: AsyncClient,
    items: Iterable[Any],
    *,
    concurrency: int = 16,
    ordered: bool = False,
    skip: Container[str] = frozenset(),
    on_progress: ProgressCallback | None = None,
    progress: MapProgress | None = None,
    stopping: Callable[[], bool] = _never,
    accept: Callable[[str], bool] | None = None,
    default_id: Callable[[int], str] = _default_id,
) -> AsyncGenerator[MapResult, None]:
    """The engine of ``AsyncClient.amap`` (see the module docstring). ``stopping()`` true: admit nothing
    more and finish what is in flight. ``accept(custom_id)`` false: the item belongs to another shard.
    Closing the iterator early cancels the requests still in flight."""
    _check(concurrency)
    progress = progress if progress is not None else MapProgress()
    admission = _Admission(items, skip, accept, default_id, progress)
    window: deque[asyncio.Task[MapResult]] = deque()  # admission order (ordered mode)
    pending: set[asyncio.Task[MapResult]] = set()
    finished: asyncio.Queue[asyncio.Task[MapResult]] = asyncio.Queue()
    try:
        while True:
            while len(pending) < concurrency and not admission.exhausted and not stopping():
                taken = admission.next()
                if taken is None:
                    break
                task = asyncio.create_task(_acall(client, *taken))
                pending.add(task)
                if ordered:
                    window.append(task)
                else:
                    task.add_done_callback(finished.put_nowait)
            if not pending:
                return
            if ordered:
                done = window.popleft()
                await asyncio.wait((done,))
            else:
                done = await finished.get()
            pending.discard(done)
            result = done.result()
            progress.record(result)
            if on_progress is not None:
                on_progress(progress)
            yield result
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def map_results(
    client: Client,
    items: Iterable[Any],
    *,
    concurrency: int = 16,
    ordered: bool = False,
    skip: Container[str] = frozenset(),
    on_progress: ProgressCallback | None = None,
    default_id: Callable[[int], str] = _default_id,
) -> Iterator[MapResult]:
    """The engine of ``Client.map``: the same loop over a pool of ``concurrency`` threads. Closing the
    iterator early drops the requests not started yet and waits for the ones running."""
    _check(concurrency)
    progress = MapProgress()
    admission = _Admission(items, skip, None, default_id, progress)
    window: deque[Future[MapResult]] = deque()
    pending: set[Future[MapResult]] = set()
    finished: queue.SimpleQueue[Future[MapResult]] = queue.SimpleQueue()
    pool = ThreadPoolExecutor(concurrency, thread_name_prefix="modelwire-map")
    try:
        while True:
            while len(pending) < concurrency and not admission.exhausted:
                taken = admission.next()
                if taken is None:
                    break
                future = pool.submit(_call, client, *taken)
                pending.add(future)
                if ordered:
                    window.append(future)
                else:
                    future.add_done_callback(finished.put)
            if not pending:
                return
            done = window.popleft() if ordered else finished.get()
            result = done.result()
            pending.discard(done)
            progress.record(result)
            if on_progress is not None:
                on_progress(progress)
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
