"""What both provider batch clients share: the input lines as canonical requests, the state of a batch,
the outcome of one result line, and the output records (the batch output line contract).

An outcome is a canonical ``ChatCompletionResponse`` or a typed ``ProviderError``: result lines are read
by the adapter's own parser and error readers, so a provider batch's answers are the objects a direct call
gives. A request the batch never ran (it expired or was cancelled first) becomes an error that says so
and can be run again; a result line that cannot be read becomes a ``ResponseParseError`` naming the line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from modelwire.exceptions import APIError, APITimeoutError, ProviderError, ResponseParseError
from modelwire.facade.calls import chat_call
from modelwire.providers import HttpAdapter
from modelwire.types import ChatCompletionRequest, ChatCompletionResponse

__all__ = [
    "BatchApi",
    "BatchState",
    "Outcome",
    "cancelled_error",
    "error_record",
    "expired_error",
    "missing_error",
    "ok_record",
    "read_requests",
    "record_for",
    "unreadable_line",
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


# --- input ------------------------------------------------------------------------------------------


def read_requests(path: Path, model_id: str) -> Iterator[tuple[str, ChatCompletionRequest]]:
    """(custom_id, request) of each input line: ``{"custom_id"?, "messages" | "prompt", params...}`` or the
    OpenAI batch-file line ``{"custom_id", "method", "url", "body": {...}}``. A line without a custom_id
    is ``line-<n>``; a line's own ``model`` is replaced by ``model_id`` (the batch has one model)."""
    seen: set[str] = set()
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                line = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{where}: not a JSON object ({exc})") from None
            if not isinstance(line, dict):
                raise ValueError(f"{where}: not a JSON object")
            custom_id = line.get("custom_id", f"line-{number}")
            if not isinstance(custom_id, str) or not custom_id:
                raise ValueError(f"{where}: custom_id must be a non-empty string")
            if custom_id in seen:
                raise ValueError(f"{where}: custom_id {custom_id!r} is used by an earlier line")
            seen.add(custom_id)
            yield custom_id, _request(line, model_id, where)


def _request(line: dict[str, Any], model_id: str, where: str) -> ChatCompletionRequest:
    params = line.get("body") if "body" in line else line
    if not isinstance(params, dict):
        raise ValueError(f"{where}: body must be a JSON object")
    params = {k: v for k, v in params.items() if k not in ("custom_id", "model", "method", "url", "stream")}
    messages = params.pop("messages", None)
    prompt = params.pop("prompt", None)
    if messages is None and not isinstance(prompt, str):
        raise ValueError(f"{where}: a request needs 'messages' or a 'prompt' string")
    try:
        call = chat_call(messages if messages is not None else prompt, params, count_tokens=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    return ChatCompletionRequest(model=model_id, timeout=call.timeout, **call.fields)


# --- errors for requests without an answer ----------------------------------------------------------


def expired_error(api: str, batch_id: str, model: str | None) -> ProviderError:
    return APITimeoutError(
        f"the {api} batch {batch_id} expired before this request ran; run it again",
        provider=api,
        model=model,
        provider_code="batch_expired",
        should_retry=True,
    )


def cancelled_error(api: str, batch_id: str, model: str | None) -> ProviderError:
    return APIError(
        f"the {api} batch {batch_id} was cancelled before this request ran; run it again",
        provider=api,
        model=model,
        provider_code="batch_cancelled",
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


# --- records (the batch output line contract) -------------------------------------------------------


def ok_record(custom_id: str, response: ChatCompletionResponse, model: str | None) -> dict[str, Any]:
    usage = response.usage
    cost = getattr(response, "cost", None)  # set by the cost work when it lands; None until then
    return {
        "custom_id": custom_id,
        "status": "ok",
        "model": response.model or model,
        "response": response.to_dict(),
        "error": None,
        "usage": None if usage is None else usage.to_dict(),
        "cost": _plain(cost),
    }


def error_record(custom_id: str, error: ProviderError, model: str | None) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "status": "error",
        "model": error.model or model,
        "response": None,
        "error": {
            "kind": error.kind.value,
            "type": type(error).__name__,
            "message": error.message,
            "status_code": error.status_code,
        },
        "usage": None,
        "cost": None,
    }


def record_for(custom_id: str, outcome: Outcome, model: str | None) -> dict[str, Any]:
    if isinstance(outcome, ProviderError):
        return error_record(custom_id, outcome, model)
    return ok_record(custom_id, outcome, model)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value
