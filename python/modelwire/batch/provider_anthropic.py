"""Anthropic's Message Batches API: the requests sent as ``{"requests": [{"custom_id", "params"}]}``
(``POST /v1/messages/batches``), polled (``GET .../{id}``), cancelled (``POST .../{id}/cancel``), and the
JSONL results read once processing has ended (``GET .../{id}/results``: ``succeeded``, ``errored``,
``canceled``, ``expired``). Paths follow the adapter's messages path (with or without ``/v1``).

Anthropic takes custom ids of 1-64 characters from ``[a-zA-Z0-9_-]``; any other id is sent as
``mw-<index>`` (its place in the input) and mapped back."""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

from modelwire.batch.provider_common import (
    BatchState,
    Outcome,
    numbered_lines,
    result_line,
    unreadable_line,
    unrun_error,
)
from modelwire.exceptions import ProviderError, ResponseParseError
from modelwire.providers import HttpAdapter

__all__ = ["ANTHROPIC_BATCH", "AnthropicBatchApi"]

_CUSTOM_ID: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_JSON: Final = {"content-type": "application/json"}
# The HTTP status of each Anthropic error type (an errored result carries the type, not the status).
_STATUS: Final = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def _root(adapter: HttpAdapter) -> str:
    return adapter.dialect.chat.path + "/batches"  # /v1/messages/batches (or /messages/batches)


class AnthropicBatchApi:
    name = "anthropic"

    def wire_id(self, custom_id: str, index: int) -> str:
        if _CUSTOM_ID.fullmatch(custom_id) and not custom_id.startswith("mw-"):
            return custom_id
        return f"mw-{index}"

    async def submit(self, adapter: HttpAdapter, items: list[tuple[str, bytes]]) -> BatchState:
        requests = b",".join(
            b'{"custom_id":%s,"params":%s}' % (orjson.dumps(custom_id), body) for custom_id, body in items
        )
        body = b'{"requests":[%s]}' % requests
        answer = await adapter.arequest_raw("POST", _root(adapter), content=body, headers=_JSON)
        return _state(adapter, answer.body)

    async def poll(self, adapter: HttpAdapter, batch_id: str) -> BatchState:
        return _state(adapter, (await adapter.arequest_raw("GET", f"{_root(adapter)}/{batch_id}")).body)

    async def cancel(self, adapter: HttpAdapter, batch_id: str) -> BatchState:
        answer = await adapter.arequest_raw("POST", f"{_root(adapter)}/{batch_id}/cancel")
        return _state(adapter, answer.body)

    async def results(self, adapter: HttpAdapter, state: BatchState) -> list[tuple[str, int, bytes]]:
        content = (await adapter.arequest_raw("GET", f"{_root(adapter)}/{state.batch_id}/results")).body
        return numbered_lines(f"results of {state.batch_id}", content)

    def read_line(self, adapter: HttpAdapter, raw: bytes, where: str, batch_id: str) -> tuple[str, Outcome]:
        provider = adapter.provider_name
        custom_id, line = result_line(provider, where, raw)
        result = line.get("result")
        if not isinstance(result, dict):
            raise unreadable_line(provider, where, raw, "no result")
        kind = result.get("type")
        if kind == "succeeded":
            try:
                return custom_id, adapter.dialect.chat.parse(orjson.dumps(result.get("message")), provider)
            except ResponseParseError as exc:
                return custom_id, unreadable_line(provider, where, raw, exc.message)
        if kind == "errored":
            return custom_id, _errored(adapter, result.get("error"))
        if kind == "expired":
            return custom_id, unrun_error(provider, batch_id, "expired")
        if kind == "canceled":
            return custom_id, unrun_error(provider, batch_id, "cancelled")
        raise unreadable_line(provider, where, raw, f"unknown result type {kind!r}")


def _errored(adapter: HttpAdapter, error: Any) -> ProviderError:
    """An errored result's error body, read as the Messages API's answer with that error's status."""
    inner = error.get("error") if isinstance(error, dict) else None
    status = _STATUS.get(str(inner.get("type"))) if isinstance(inner, dict) else None
    if status is None:
        return adapter.dialect.read_stream_error(error, provider=adapter.provider_name, model=None)
    body = orjson.dumps(error)
    return adapter.dialect.read_error(status, {}, body, provider=adapter.provider_name, model=None)


def _state(adapter: HttpAdapter, body: bytes) -> BatchState:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    batch_id = data.get("id") if isinstance(data, dict) else None
    status = data.get("processing_status") if isinstance(data, dict) else None
    if not isinstance(batch_id, str) or not isinstance(status, str):
        raise ResponseParseError(
            "the message batch answer has no id or processing_status", provider=adapter.provider_name
        )
    counts = data.get("request_counts")
    return BatchState(
        batch_id,
        status,
        ended=status == "ended",
        unfinished=None,  # every request has a result line (canceled / expired say so themselves)
        counts={k: v for k, v in counts.items() if isinstance(v, int)} if isinstance(counts, dict) else {},
        raw=data,
    )


ANTHROPIC_BATCH: Final = AnthropicBatchApi()
