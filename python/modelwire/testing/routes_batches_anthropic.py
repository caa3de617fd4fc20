"""Anthropic's Message Batches API on the local server: ``POST /v1/messages/batches``, ``GET
/v1/messages/batches/{id}`` (each poll advances the batch, see ``batch_jobs``), ``GET .../results`` (JSONL
of ``succeeded`` / ``errored`` / ``canceled`` / ``expired`` results, once processing has ended) and
``POST .../cancel``. Each request's ``params`` are answered by the Messages route's handler."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from modelwire.testing import provider_errors
from modelwire.testing.batch_jobs import BatchStore, Job, LineResult, execute_line, line_request_id
from modelwire.testing.records import Provider, Route
from modelwire.testing.routing import Answer, Call, RouteMatch, json_answer

__all__ = ["answer", "match"]

_BATCHES = re.compile(r"/v1/messages/batches(?:/(?P<id>[^/]+)(?P<action>/results|/cancel)?)?")
_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def match(path: str) -> RouteMatch | None:
    return RouteMatch(Route.MESSAGE_BATCHES, Provider.ANTHROPIC) if _BATCHES.fullmatch(path) else None


def answer(call: Call, store: BatchStore) -> Answer:
    found = _BATCHES.fullmatch(call.request.path)
    assert found is not None  # match() routed it here
    method, batch_id, action = call.request.method, found.group("id"), found.group("action")
    if batch_id is None:
        return _create(call, store) if method == "POST" else _not_allowed(call, "POST")
    job = store.jobs.get(batch_id)
    if job is None or not job.id.startswith("msgbatch_"):
        return _error(call, 404, "not_found_error", f"No batch found with id {batch_id!r}.")
    if action == "/cancel":
        if method != "POST":
            return _not_allowed(call, "POST")
        job.cancel()
        phase = "ended" if job.ending is not None else "canceling"
        return json_answer(200, _batch_object(job, call, phase), call.id_headers())
    if method != "GET":
        return _not_allowed(call, "GET")
    if action == "/results":
        if job.ending is None:
            return _error(call, 400, "invalid_request_error", f"Batch {batch_id} is still in progress.")
        headers = [("content-type", "application/binary"), *call.id_headers()]
        return Answer(200, headers, _results(job))
    return json_answer(200, _batch_object(job, call, job.advance(finalizing=False)), call.id_headers())


def _error(call: Call, status: int, kind: str, message: str) -> Answer:
    return call.error(status, provider_errors.anthropic_error(kind, message))


def _not_allowed(call: Call, allowed: str) -> Answer:
    payload = provider_errors.error_for_status(call.provider, 405)
    return json_answer(405, payload, [("allow", allowed), *call.id_headers()])


def _create(call: Call, store: BatchStore) -> Answer:
    body = call.body if isinstance(call.body, dict) else {}
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        return _error(call, 400, "invalid_request_error", "requests: Field required (a non-empty list)")
    seen: set[str] = set()
    for index, item in enumerate(requests):
        custom_id = item.get("custom_id") if isinstance(item, dict) else None
        if not isinstance(custom_id, str) or not _CUSTOM_ID.fullmatch(custom_id):
            message = f"requests.{index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            return _error(call, 400, "invalid_request_error", message)
        if custom_id in seen:
            message = f"Duplicate custom_id {custom_id!r}: each request in a batch needs its own."
            return _error(call, 400, "invalid_request_error", message)
        if not isinstance(item.get("params"), dict):
            return _error(call, 400, "invalid_request_error", f"requests.{index}.params: Field required")
        seen.add(custom_id)
    batch_id = store.new_id("msgbatch_")
    script = store.next_script()

    def run(index: int) -> LineResult:
        item = requests[index]
        return execute_line(
            provider=Provider.ANTHROPIC,
            path="/v1/messages",
            body=item["params"],
            custom_id=item["custom_id"],
            script=script,
            origin=call.request,
            base_url=call.base_url,
            config=call.config,
            request_id=line_request_id(batch_id, index),
        )

    now = int(datetime.now(UTC).timestamp())
    job = Job(batch_id, [item["custom_id"] for item in requests], run, script, now)
    store.jobs[batch_id] = job
    return json_answer(200, _batch_object(job, call, "in_progress"), call.id_headers())


def _result(result: LineResult) -> dict[str, Any]:
    if 200 <= result.status < 300:
        return {"type": "succeeded", "message": result.body}
    return {"type": "errored", "error": result.body}


def _results(job: Job) -> bytes:
    lines = [
        job.result_line(
            r, json.dumps({"custom_id": r.custom_id, "result": _result(r)}, separators=(",", ":"))
        )
        for r in job.results
    ]
    rest = "expired" if job.ending == "expired" else "canceled"
    lines.extend(
        json.dumps({"custom_id": c, "result": {"type": rest}}, separators=(",", ":"))
        for c in job.custom_ids[len(job.results) :]
    )
    return ("\n".join(lines) + "\n").encode()


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _batch_object(job: Job, call: Call, phase: str) -> dict[str, Any]:
    succeeded = sum(1 for r in job.results if 200 <= r.status < 300)
    errored = len(job.results) - succeeded
    unprocessed = len(job.custom_ids) - len(job.results)
    ended = phase == "ended"
    counts = {
        "processing": 0 if ended else unprocessed,
        "succeeded": succeeded,
        "errored": errored,
        "canceled": unprocessed if ended and job.ending == "cancelled" else 0,
        "expired": unprocessed if ended and job.ending == "expired" else 0,
    }
    now = _stamp(int(datetime.now(UTC).timestamp()))
    return {
        "id": job.id,
        "type": "message_batch",
        "processing_status": phase,
        "request_counts": counts,
        "ended_at": now if ended else None,
        "created_at": _stamp(job.created_at),
        "expires_at": _stamp(job.created_at + 86_400),
        "archived_at": None,
        "cancel_initiated_at": now if job.cancel_requested else None,
        "results_url": f"{call.base_url}/v1/messages/batches/{job.id}/results" if ended else None,
    }
