"""The files of a batch run: the input read lazily, output appended one whole line per ``write``, and
what a previous run left (the ids it answered; a torn last line cut off).

Writes go straight to the file descriptor (``os.write`` of a whole line, no user-space buffer), so a
crash of the process (even SIGKILL) leaves only whole lines behind, except when the operating system
itself stops mid-write; such a torn last line is cut off when the run resumes.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from modelwire.exceptions import InvalidBatchItemError
from modelwire.facade.map_items import MapItem, item_from

__all__ = [
    "LineWriter",
    "OutputState",
    "count_lines",
    "line_id",
    "prune_failures",
    "read_items",
    "scan_output",
]

_CHUNK = 1 << 20


def line_id(number: int) -> str:
    """The ``custom_id`` of an input line that has none: ``line-<n>``, its 1-based line number."""
    return f"line-{number}"


def read_items(path: Path) -> Iterator[MapItem]:
    """The requests of a JSONL file, one per non-blank line, lazily. A line that is not JSON becomes an
    invalid item (its id: its line number), so it is reported rather than stopping the run."""
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                data: Any = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                error = InvalidBatchItemError(f"line {number} is not JSON: {exc}", line=number)
                yield MapItem(line_id(number), text.decode("utf-8", "replace"), error=error)
                continue
            if isinstance(data, str):  # a JSON string is a prompt, never a raw line
                data = {"prompt": data}
            yield item_from(data, line_id(number))


def count_lines(path: Path) -> int:
    """Non-blank lines of ``path``, counted without holding the file (for the progress ETA)."""
    count = 0
    with path.open("rb") as file:
        for raw in file:
            if raw.strip():
                count += 1
    return count


class OutputState:
    """What an existing output file holds: the ids answered, counts by status and kind, bytes cut."""

    def __init__(self) -> None:
        self.done: set[str] = set()
        self.statuses: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.torn_bytes = 0


def _truncate_torn_tail(path: Path) -> int:
    """Cut a last line without its newline; returns the bytes cut."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as file:
        end = size
        while end > 0:
            start = max(0, end - _CHUNK)
            file.seek(start)
            block = file.read(end - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            file.truncate(keep)
        return size - keep


def scan_output(path: Path) -> OutputState:
    """Read a previous run's output (cutting a torn last line first). A complete line that is not an
    output line is an error naming it: the file is not this tool's output, and nothing is overwritten."""
    state = OutputState()
    if not path.exists():
        return state
    state.torn_bytes = _truncate_torn_tail(path)
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            try:
                line = orjson.loads(raw)
                custom_id = line["custom_id"]
                status = line["status"]
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(
                    f"{path}:{number} is not a modelwire batch output line ({exc}); "
                    "give another output file or fix this one"
                ) from None
            state.done.add(custom_id)
            state.statuses[status] += 1
            if status == "error" and isinstance(line.get("error"), dict):
                state.kinds[str(line["error"].get("kind"))] += 1
    return state


def prune_failures(path: Path, keep: Callable[[str], bool]) -> None:
    """Keep only the failures whose id ``keep`` accepts (those in the output: a crash between writing a
    failure and its output line leaves a failure the resumed run will answer again)."""
    if not path.exists():
        return
    _truncate_torn_tail(path)
    temporary = path.with_name(path.name + ".tmp")
    with path.open("rb") as source, temporary.open("wb") as target:
        for raw in source:
            try:
                custom_id = orjson.loads(raw).get("custom_id")
            except (orjson.JSONDecodeError, AttributeError):
                continue
            if isinstance(custom_id, str) and keep(custom_id):
                target.write(raw)
    os.replace(temporary, path)


class LineWriter:
    """Appends whole lines to a file with one ``os.write`` each (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.lines = 0

    def write(self, line: bytes) -> None:
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.lines += 1

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
