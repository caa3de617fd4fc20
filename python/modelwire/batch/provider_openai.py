"""OpenAI's Batch API (and OpenAI-compatible servers that serve it): the request lines uploaded as a
``purpose=batch`` file (``POST /files``), the batch created on ``/v1/chat/completions`` (``POST /batches``),
polled (``GET /batches/{id}``), cancelled (``POST /batches/{id}/cancel``), and its output and error files
downloaded (``GET /files/{id}/content``). Paths are relative to the adapter's base URL (``.../v1``)."""

from __future__ import annotations

import secrets
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
from modelwire.exceptions import APIError, ResponseParseError
from modelwire.providers import HttpAdapter

__all__ = ["OPENAI_BATCH", "OpenAIBatchApi"]

ENDPOINT: Final = "/v1/chat/completions"
_ENDED: Final = {"completed": None, "expired": "expired", "cancelled": "cancelled", "failed": None}


class OpenAIBatchApi:
    name = "openai"

    def wire_id(self, custom_id: str, index: int) -> str:
        return custom_id  # OpenAI takes any string

    async def submit(self, adapter: HttpAdapter, items: list[tuple[str, bytes]]) -> BatchState:
        lines = b"".join(
            b'{"custom_id":%s,"method":"POST","url":"%s","body":%s}\n'
            % (orjson.dumps(custom_id), ENDPOINT.encode(), body)
            for custom_id, body in items
        )
        boundary = secrets.token_hex(16)
        form = b"".join(
            [
                b'--%s\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
                % boundary.encode(),
                b'--%s\r\nContent-Disposition: form-data; name="file"; filename="batch.jsonl"\r\n'
                b"Content-Type: application/jsonl\r\n\r\n" % boundary.encode(),
                lines,
                b"\r\n--%s--\r\n" % boundary.encode(),
            ]
        )
        headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
        uploaded = await adapter.arequest_raw("POST", "/files", content=form, headers=headers)
        file_id = _object(adapter, uploaded.body, "file upload").get("id")
        if not isinstance(file_id, str):
            raise ResponseParseError("the file upload answer has no id", provider=adapter.provider_name)
        create = {"input_file_id": file_id, "endpoint": ENDPOINT, "completion_window": "24h"}
        created = await adapter.arequest_raw(
            "POST", "/batches", content=orjson.dumps(create), headers={"content-type": "application/json"}
        )
        return _state(adapter, created.body)

    async def poll(self, adapter: HttpAdapter, batch_id: str) -> BatchState:
        return _state(adapter, (await adapter.arequest_raw("GET", f"/batches/{batch_id}")).body)

    async def cancel(self, adapter: HttpAdapter, batch_id: str) -> BatchState:
        return _state(adapter, (await adapter.arequest_raw("POST", f"/batches/{batch_id}/cancel")).body)

    async def results(self, adapter: HttpAdapter, state: BatchState) -> list[tuple[str, int, bytes]]:
        lines: list[tuple[str, int, bytes]] = []
        for key in ("output_file_id", "error_file_id"):
            file_id = state.raw.get(key)
            if not isinstance(file_id, str):
                continue
            content = (await adapter.arequest_raw("GET", f"/files/{file_id}/content")).body
            lines.extend(numbered_lines(f"file {file_id}", content))
        return lines

    def read_line(self, adapter: HttpAdapter, raw: bytes, where: str, batch_id: str) -> tuple[str, Outcome]:
        """(custom_id, outcome) of one output or error file line."""
        provider = adapter.provider_name
        custom_id, line = result_line(provider, where, raw)
        response, error = line.get("response"), line.get("error")
        if isinstance(response, dict) and isinstance(response.get("status_code"), int):
            body = orjson.dumps(response.get("body"))
            status = response["status_code"]
            request_id = response.get("request_id")
            if 200 <= status < 300:
                return custom_id, _parsed(adapter, body, where, raw)
            headers = {"x-request-id": request_id} if isinstance(request_id, str) else {}
            return custom_id, adapter.dialect.read_error(status, headers, body, provider=provider, model=None)
        if isinstance(error, dict):
            code = error.get("code")
            if code == "batch_expired":
                return custom_id, unrun_error(provider, batch_id, "expired")
            if code == "batch_cancelled":
                return custom_id, unrun_error(provider, batch_id, "cancelled")
            message = str(error.get("message") or code or "the batch reported an error for this request")
            return custom_id, APIError(message, provider=provider, provider_code=str(code or "") or None)
        raise unreadable_line(provider, where, raw, "neither a response nor an error")


def _parsed(adapter: HttpAdapter, body: bytes, where: str, raw: bytes) -> Outcome:
    try:
        return adapter.dialect.chat.parse(body, adapter.provider_name)
    except ResponseParseError as exc:
        return unreadable_line(adapter.provider_name, where, raw, exc.message)


def _object(adapter: HttpAdapter, body: bytes, what: str) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise ResponseParseError(f"the {what} answer is not a JSON object", provider=adapter.provider_name)
    return data


def _state(adapter: HttpAdapter, body: bytes) -> BatchState:
    data = _object(adapter, body, "batch")
    batch_id, status = data.get("id"), data.get("status")
    if not isinstance(batch_id, str) or not isinstance(status, str):
        raise ResponseParseError("the batch object has no id or status", provider=adapter.provider_name)
    counts = data.get("request_counts") if isinstance(data.get("request_counts"), dict) else {}
    if status == "failed":
        errors = (data.get("errors") or {}).get("data") or []
        detail = "; ".join(
            f"line {e.get('line')}: {e.get('message')}" if e.get("line") else str(e.get("message"))
            for e in errors
            if isinstance(e, dict)
        )
        raise APIError(
            f"the openai batch {batch_id} failed validation: {detail or 'no detail given'}",
            provider=adapter.provider_name,
            provider_code="batch_failed",
            should_retry=False,
        )
    return BatchState(
        batch_id,
        status,
        ended=status in _ENDED,
        unfinished=_ENDED.get(status),
        counts={k: v for k, v in (counts or {}).items() if isinstance(v, int)},
        raw=data,
    )


OPENAI_BATCH: Final = OpenAIBatchApi()
