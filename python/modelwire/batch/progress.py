"""The live progress of a batch run: one redrawn line on a terminal, a plain line every ``interval``
seconds otherwise (logs of a Job, a Slurm array, CI)."""

from __future__ import annotations

import time
from typing import TextIO

from modelwire.batch.attempts import AttemptCounter
from modelwire.facade.mapping import MapProgress

__all__ = ["ProgressDisplay", "progress_line"]

_REDRAW = 0.1  # seconds between terminal redraws


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def progress_line(progress: MapProgress, expected: int | None, attempts: AttemptCounter | None = None) -> str:
    """``done 120/1000 failed 2 | in flight 32 | retries 4 | 41.3/s | tokens 5400 | $0.01 | ETA 0:00:21``."""
    done = f"done {progress.done}" + (f"/{expected}" if expected is not None else "")
    rate = progress.rate
    parts = [
        f"{done} failed {progress.failed}",
        f"in flight {progress.in_flight}",
        *([f"retries {attempts.retries}"] if attempts is not None else []),
        f"{rate:.1f}/s",
        f"tokens {progress.total_tokens}",
    ]
    if progress.cost:
        parts.append(f"${progress.cost:.4f}")
    if expected is not None and rate > 0:
        parts.append(f"ETA {_clock(max(0, expected - progress.done) / rate)}")
    return " | ".join(parts)


class ProgressDisplay:
    def __init__(self, stream: TextIO, *, tty: bool, interval: float, expected: int | None) -> None:
        self.stream = stream
        self.tty = tty
        self.interval = _REDRAW if tty else interval
        self.expected = expected
        self._last = 0.0
        self._drawn = False
        self.attempts: AttemptCounter | None = None

    def update(self, progress: MapProgress, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        line = progress_line(progress, self.expected, self.attempts)
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
            self._drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """A message on its own line (the progress line is redrawn after it)."""
        self.end_line()
        self.stream.write(text + "\n")
        self.stream.flush()

    def end_line(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
