"""What both provider batch clients share: the state of a batch, the outcome of one result line, and the
errors of requests a batch did not answer.

An outcome is a canonical ``ChatCompletionResponse`` or a typed ``ProviderError``: result lines are read
by the adapter's own parser and error readers, so a provider batch's answers are the objects a direct call
gives. A request the batch never ran (it expired or was cancelled first) becomes an error that says so
and can be run again; a result line that cannot be read becomes a ``ResponseParseError`` naming the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson

from modelwire.exceptions import APIError, APITimeoutError, ProviderError, ResponseParseError
from modelwire.providers import HttpAdapter
from modelwire.types import ChatCompletionResponse

__all__ = [
    "BatchApi",
    "BatchState",
    "Outcome",
    "missing_error",
    "numbered_lines",
    "result_line",
    "unreadable_line",
    "unrun_error",
]

Outcome = ChatCompletionResponse | ProviderError


@dataclass(frozen=True, slots=True)
class BatchState:
    """One poll's view of a batch. ``status``: the provider's own word; ``ended``: processing is over and
    results can be fetched; ``unfinished``: what a request with no result was (``expired``, ``cancelled``
    or None when every request should have one); ``counts``: the provider's request counts."""

    batch_id: str
    status: str
    ended: bool
    unfinished: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)


class BatchApi(Protocol):
    """A provider's batch API over one adapter. ``submit`` gets (wire custom_id, chat body bytes) pairs."""

    name: str

    async def submit(self, adapter: HttpAdapter, items: list[tuple[str, bytes]]) -> BatchState: ...
    async def poll(self, adapter: HttpAdapter, batch_id: str) -> BatchState: ...
    async def cancel(self, adapter: HttpAdapter, batch_id: str) -> BatchState: ...
    async def results(self, adapter: HttpAdapter, state: BatchState) -> list[tuple[str, int, bytes]]: ...
    def read_line(
        self, adapter: HttpAdapter, raw: bytes, where: str, batch_id: str
    ) -> tuple[str, Outcome]: ...
    def wire_id(self, custom_id: str, index: int) -> str: ...


# --- errors for requests without an answer ----------------------------------------------------------


def unrun_error(api: str, batch_id: str, why: Literal["expired", "cancelled"]) -> ProviderError:
    """A request the batch never ran because it expired (a timeout) or was cancelled first; run it again."""
    kind = APITimeoutError if why == "expired" else APIError
    said = "expired" if why == "expired" else "was cancelled"
    return kind(
        f"the {api} batch {batch_id} {said} before this request ran; run it again",
        provider=api,
        provider_code=f"batch_{why}",
        should_retry=True,
    )


def missing_error(api: str, batch_id: str, model: str | None, unreadable: list[str]) -> ProviderError:
    why = f" (unreadable result lines: {', '.join(unreadable)})" if unreadable else ""
    return ResponseParseError(
        f"the {api} batch {batch_id} ended without a result for this request{why}",
        provider=api,
        model=model,
    )


def unreadable_line(api: str, where: str, raw: bytes, problem: str) -> ResponseParseError:
    text = raw.decode("utf-8", "replace")
    return ResponseParseError(
        f"{where} of the {api} batch results cannot be read: {problem}",
        provider=api,
        snippet=(text[:120], text[120:240]),
    )


def numbered_lines(label: str, content: bytes) -> list[tuple[str, int, bytes]]:
    """The non-blank lines of a results file as (label, line number from 1, line)."""
    return [(label, number, raw) for number, raw in enumerate(content.splitlines(), 1) if raw.strip()]


def result_line(api: str, where: str, raw: bytes) -> tuple[str, dict[str, Any]]:
    """One results line as (its custom_id, the line's object); a line that is not a JSON object naming a
    custom_id cannot be read."""
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise unreadable_line(api, where, raw, f"not JSON ({exc})") from None
    custom_id = line.get("custom_id") if isinstance(line, dict) else None
    if not isinstance(custom_id, str):
        raise unreadable_line(api, where, raw, "no custom_id")
    return custom_id, line
