"""``run_batch``: a JSONL file of requests through an ``AsyncClient`` into an output file, resumably.

1. The output, if it exists, is read first: a torn last line is cut off, and the ids it holds are the
   resumption keys (skipped). This set is the only structure that grows with the input; requests are
   read, sent and written a bounded number at a time (``concurrency``).
2. Each result is written as one output line (``modelwire.batch.lines``) with one ``write`` of the whole
   line; a failed one is first written to the failures file (so a failure is never missing there; after a
   crash between the two writes, the resumed run drops the failure line that has no output line).
3. Ctrl-C (or SIGTERM) once stops admitting requests and lets those in flight finish; Ctrl-C again
   cancels them (they are not written, and a resumed run sends them again).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from modelwire.batch.attempts import AttemptCounter
from modelwire.batch.files import LineWriter, count_lines, prune_failures, read_items, scan_output
from modelwire.batch.lines import error_info, failure_line, output_line
from modelwire.batch.progress import ProgressDisplay
from modelwire.batch.shard import Shard
from modelwire.batch.summary import BatchSummary
from modelwire.facade.mapping import MapProgress, MapResult, amap_results

if TYPE_CHECKING:
    from modelwire.facade.client import AsyncClient

__all__ = ["default_failures_path", "run_batch"]


def default_failures_path(output: Path) -> Path:
    """``out.jsonl`` -> ``out.failures.jsonl``."""
    return output.with_name(output.stem + ".failures" + (output.suffix or ".jsonl"))


class _Interrupts:
    """SIGINT/SIGTERM while a run is going: the first stops admission, a second SIGINT cancels."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self.stopping = False
        self.cancelling = False
        self._note = note
        self._task = asyncio.current_task()
        self._in_flight: Callable[[], int] = lambda: 0

    def on_signal(self, name: str) -> None:
        if not self.stopping:
            self.stopping = True
            self._note(
                f"{name}: admitting no more requests; waiting for the {self._in_flight()} in flight "
                "(Ctrl-C again cancels them)"
            )
        elif name == "SIGINT" and not self.cancelling and self._task is not None:
            self.cancelling = True
            self._note(f"{name} again: cancelling the {self._in_flight()} requests in flight")
            self._task.cancel()

    @contextlib.contextmanager
    def installed(self, in_flight: Callable[[], int]) -> Iterator[None]:
        self._in_flight = in_flight
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.on_signal, sig.name)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no support
                pass
        try:
            yield
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)


def _model_names(client: AsyncClient) -> set[str]:
    names = set()
    for spec in client.config.models:
        names.add(spec.name)
        names.add(spec.name.split("/", 1)[-1])
    return names


async def run_batch(
    client: AsyncClient,
    input_path: Path,
    output_path: Path,
    *,
    failures_path: Path | None = None,
    concurrency: int = 32,
    shard: Shard | None = None,
    display: ProgressDisplay | None = None,
    handle_signals: bool = True,
    warn: Callable[[str], None] | None = None,
    attempts: AttemptCounter | None = None,
) -> BatchSummary:
    """Run the batch (see the module docstring) and return its summary. ``attempts``: the
    :class:`AttemptCounter` hook the client was built with, if any (the summary then counts attempts,
    retries and failed attempts by kind)."""
    started = time.monotonic()
    failures_path = failures_path or default_failures_path(output_path)
    if not input_path.is_file():
        raise FileNotFoundError(f"input file {input_path} does not exist")
    state = scan_output(output_path)
    prune_failures(failures_path, state.done.__contains__)
    summary = BatchSummary(output_path, failures_path)
    summary.already_done = len(state.done)
    summary.torn_bytes = state.torn_bytes
    summary.attempts = attempts
    progress = summary.progress
    if display is not None:
        display.attempts = attempts
    if display is not None and display.expected is None:
        shards = shard.count if shard is not None else 1
        display.expected = max(0, count_lines(input_path) // shards - len(state.done))
    note = display.note if display is not None else (warn or (lambda _text: None))
    interrupts = _Interrupts(note)
    names = _model_names(client)
    warned_model = False
    output = LineWriter(output_path)
    failures = LineWriter(failures_path)
    results = amap_results(
        client,
        read_items(input_path),
        concurrency=concurrency,
        skip=state.done,
        progress=progress,
        stopping=lambda: interrupts.stopping,
        accept=shard.accepts if shard is not None else None,
    )
    ticker = asyncio.create_task(_tick(display, progress)) if display is not None else None

    def write(result: MapResult) -> None:
        nonlocal warned_model
        if result.error is not None:
            summary.kinds[error_info(result.error)["kind"]] += 1
            failures.write(failure_line(result))
        output.write(output_line(result))
        model = result.item.model
        if model is not None and model not in names and not warned_model:
            warned_model = True
            note(f"note: lines name model {model!r}; every request goes to {' -> '.join(client.models)}")
        if display is not None:
            display.update(progress)

    try:
        with interrupts.installed(lambda: progress.in_flight) if handle_signals else contextlib.nullcontext():
            try:
                async for result in results:
                    write(result)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not interrupts.cancelling or task is None:
                    raise
                task.uncancel()
                summary.cancelled = progress.in_flight
                await results.aclose()
        if interrupts.cancelling:
            summary.interrupted = "cancelled"
        elif interrupts.stopping:
            summary.interrupted = "stopped"
    finally:
        if ticker is not None:
            ticker.cancel()
        output.close()
        failures.close()
        summary.wall_seconds = time.monotonic() - started
        if display is not None:
            display.update(progress, force=True)
            display.end_line()
    return summary


async def _tick(display: ProgressDisplay, progress: MapProgress) -> None:
    """Redraws the progress when nothing completes for a while (everything waiting on a rate limit)."""
    while True:
        await asyncio.sleep(max(display.interval, 0.05))
        display.update(progress)
