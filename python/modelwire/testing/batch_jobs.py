"""Provider batch jobs on the local server: uploaded files, scripted batch progress, and each request line
answered by the same handler as its synchronous route.

A batch advances one step per status poll (``GET``), as ``BatchScript`` says: ``polls`` polls report
``in_progress`` with the processed count rising, then processing ends. ``fail`` maps custom ids to an error
preset (``provider_errors.PRESETS``) their line answers with; ``expire_after`` processes only that many
lines and ends the batch as expired (the rest are reported expired); ``corrupt`` truncates the result lines
of those custom ids. Scripts queue with ``LocalProviderServer.script_batches``; a batch created with none
queued gets ``BatchScript()``.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from modelwire.testing import echo, provider_errors
from modelwire.testing.dialects import dialect_of
from modelwire.testing.http11 import Request
from modelwire.testing.records import Provider, ServerConfig
from modelwire.testing.routing import Call, match

__all__ = ["BatchScript", "BatchStore", "Job", "LineResult", "StoredFile", "execute_line", "line_request_id"]

Phase = Literal["validating", "in_progress", "finalizing", "cancelling", "ended"]
Ending = Literal["completed", "expired", "cancelled"]


@dataclass(frozen=True, slots=True)
class BatchScript:
    """How one batch behaves (see the module docstring)."""

    polls: int = 1
    fail: Mapping[str, str] = field(default_factory=dict)
    expire_after: int | None = None
    corrupt: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.polls < 0:
            raise ValueError(f"polls must be >= 0, got {self.polls!r}")
        if self.expire_after is not None and self.expire_after < 0:
            raise ValueError(f"expire_after must be >= 0, got {self.expire_after!r}")
        for custom_id, preset in self.fail.items():
            if preset not in provider_errors.PRESETS:
                raise ValueError(f"unknown error preset {preset!r} for {custom_id!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "polls": self.polls,
            "fail": dict(self.fail),
            "expire_after": self.expire_after,
            "corrupt": list(self.corrupt),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchScript:
        return cls(
            polls=int(data.get("polls", 1)),
            fail=dict(data.get("fail") or {}),
            expire_after=data.get("expire_after"),
            corrupt=tuple(data.get("corrupt") or ()),
        )


@dataclass(frozen=True, slots=True)
class LineResult:
    """One request line's answer: the HTTP status and decoded body its synchronous route gave."""

    custom_id: str
    status: int
    body: Any
    request_id: str


@dataclass(slots=True)
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int


@dataclass(slots=True)
class Job:
    """One batch: ``run(i)`` answers line ``i``; ``results`` are the lines processed so far, in order."""

    id: str
    custom_ids: list[str]
    run: Callable[[int], LineResult]
    script: BatchScript
    created_at: int
    info: dict[str, Any] = field(default_factory=dict)  # the dialect's own fields (endpoint, file ids)
    polls: int = 0
    cancel_requested: bool = False
    ending: Ending | None = None
    results: list[LineResult] = field(default_factory=list)

    @property
    def limit(self) -> int:
        """How many lines will be processed before the batch ends (fewer than all when it expires)."""
        total = len(self.custom_ids)
        after = self.script.expire_after
        return total if after is None else min(total, after)

    def _process_to(self, count: int) -> None:
        while len(self.results) < min(count, self.limit):
            self.results.append(self.run(len(self.results)))

    def advance(self, *, finalizing: bool) -> Phase:
        """One status poll: process what this poll reaches and return the phase to report.
        ``finalizing``: the dialect reports a ``finalizing`` poll between processing and the end."""
        if self.ending is not None:
            return "ended"
        self.polls += 1
        if self.cancel_requested:
            self.ending = "cancelled"
            return "ended"
        steps = self.script.polls
        if self.polls <= steps:
            self._process_to(math.ceil(self.limit * self.polls / steps))
            return "in_progress"
        self._process_to(self.limit)
        if finalizing and self.polls == steps + 1:
            return "finalizing"
        self.ending = "expired" if self.limit < len(self.custom_ids) else "completed"
        return "ended"

    def cancel(self) -> None:
        if self.ending is None:
            self.cancel_requested = True

    def result_line(self, result: LineResult, line: str) -> str:
        """``line`` as written to a results file (truncated when the script corrupts this id)."""
        return line[: len(line) // 2] if result.custom_id in self.script.corrupt else line


class BatchStore:
    """The files and batches of one server. Requests touch it on the server's loop; scripts come from
    the handle's thread, so the script queue takes a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: deque[BatchScript] = deque()
        self._ids = itertools.count(1)
        self.files: dict[str, StoredFile] = {}
        self.jobs: dict[str, Job] = {}

    def script(self, scripts: Iterable[BatchScript]) -> None:
        with self._lock:
            self._scripts.extend(scripts)

    def next_script(self) -> BatchScript:
        with self._lock:
            return self._scripts.popleft() if self._scripts else BatchScript()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):024x}"

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.files.clear()
            self.jobs.clear()


def execute_line(
    *,
    provider: Provider,
    path: str,
    body: Any,
    custom_id: str,
    script: BatchScript,
    origin: Request,
    base_url: str,
    config: ServerConfig,
    request_id: str,
) -> LineResult:
    """Answer one batch line as its synchronous route would (or with its scripted error preset)."""
    found = match(path)
    if found is None or found.provider is not provider:
        status, payload = provider_errors.invalid_request(
            provider, f"batch line url {path!r} is not supported"
        )
        return LineResult(custom_id, status, _stamped(provider, payload, request_id), request_id)
    data = json.dumps(body, separators=(",", ":")).encode()
    request = Request(
        "POST", path, path, "", "HTTP/1.1", origin.raw_headers, origin.headers, data, keep_alive=True
    )
    call = Call(request, found, body, request_id, base_url, config)
    preset = script.fail.get(custom_id)
    if preset is not None:
        status, payload = provider_errors.preset_error(provider, preset, model=call.model)
        return LineResult(custom_id, status, _stamped(provider, payload, request_id), request_id)
    if not isinstance(body, dict):
        status, payload = provider_errors.invalid_request(provider, "the request body must be a JSON object")
        return LineResult(custom_id, status, _stamped(provider, payload, request_id), request_id)
    answer = dialect_of(provider).handlers[found.route](call)
    return LineResult(custom_id, answer.status, json.loads(answer.body), request_id)


def _stamped(provider: Provider, payload: dict[str, Any], request_id: str) -> dict[str, Any]:
    stamp = dialect_of(provider).stamp_error
    return payload if stamp is None else stamp(payload, request_id)


def line_request_id(batch_id: str, index: int) -> str:
    return "req_" + echo.digest(batch_id, str(index))
