"""OpenAI's Files and Batch APIs on the local server: ``POST /v1/files`` (multipart, ``purpose=batch``),
``GET /v1/files/{id}`` and ``/content``, ``POST /v1/batches``, ``GET /v1/batches/{id}`` (each poll advances
the batch, see ``batch_jobs``), ``POST /v1/batches/{id}/cancel``. Each input line is answered by its
synchronous route's handler; the output file holds the 2xx answers, the error file the others and the
lines the batch expired before (``batch_expired``)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import time
from typing import Any

from modelwire.testing import provider_errors
from modelwire.testing.batch_jobs import (
    BatchStore,
    Job,
    LineResult,
    StoredFile,
    execute_line,
    line_request_id,
)
from modelwire.testing.records import Provider, Route
from modelwire.testing.routing import Answer, Call, RouteMatch, json_answer

__all__ = ["answer", "match"]

_FILES = re.compile(r"/v1/files(?:/(?P<id>[^/]+)(?P<content>/content)?)?")
_BATCHES = re.compile(r"/v1/batches(?:/(?P<id>[^/]+)(?P<cancel>/cancel)?)?")
_ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings", "/v1/responses")
_EXPIRED = "This request could not be executed before the completion window expired."


def match(path: str) -> RouteMatch | None:
    if _FILES.fullmatch(path):
        return RouteMatch(Route.FILES, Provider.OPENAI)
    if _BATCHES.fullmatch(path):
        return RouteMatch(Route.BATCHES, Provider.OPENAI)
    return None


def answer(call: Call, store: BatchStore) -> Answer:
    method, path = call.request.method, call.request.path
    files = _FILES.fullmatch(path)
    if files is not None:
        file_id = files.group("id")
        if file_id is None:
            return _upload(call, store) if method == "POST" else _not_allowed(call, "POST")
        if method != "GET":
            return _not_allowed(call, "GET")
        stored = store.files.get(file_id)
        if stored is None:
            return _missing(call, "File", file_id)
        if files.group("content"):
            headers = [("content-type", "application/octet-stream"), *call.id_headers()]
            return Answer(200, headers, stored.content)
        return json_answer(200, _file_object(stored.id, stored), call.id_headers())
    batches = _BATCHES.fullmatch(path)
    assert batches is not None  # match() routed it here
    batch_id = batches.group("id")
    if batch_id is None:
        return _create(call, store) if method == "POST" else _not_allowed(call, "POST")
    job = store.jobs.get(batch_id)
    if job is None or not batch_id.startswith("batch_"):
        return _missing(call, "Batch", batch_id)
    if batches.group("cancel"):
        if method != "POST":
            return _not_allowed(call, "POST")
        if job.info.get("errors") is None:
            job.cancel()
        phase = "ended" if job.ending is not None else "cancelling"
        return json_answer(200, _batch_object(job, store, phase), call.id_headers())
    if method != "GET":
        return _not_allowed(call, "GET")
    phase = "failed" if job.info.get("errors") is not None else job.advance(finalizing=True)
    return json_answer(200, _batch_object(job, store, phase), call.id_headers())


def _bad(call: Call, message: str, param: str | None = None, status: int = 400) -> Answer:
    _, payload = provider_errors.invalid_request(call.provider, message, param=param)
    return call.error(status, payload)


def _not_allowed(call: Call, allowed: str) -> Answer:
    payload = provider_errors.error_for_status(call.provider, 405)
    return json_answer(405, payload, [("allow", allowed), *call.id_headers()])


def _missing(call: Call, what: str, object_id: str) -> Answer:
    return _bad(call, f"No such {what}: {object_id}", status=404)


def _file_object(file_id: str, stored: Any) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": len(stored.content),
        "created_at": stored.created_at,
        "filename": stored.filename,
        "purpose": stored.purpose,
        "status": "processed",
        "status_details": None,
        "expires_at": None,
    }


def _upload(call: Call, store: BatchStore) -> Answer:
    content_type = call.request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return _bad(call, "Expected a multipart/form-data upload with 'file' and 'purpose'.")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + call.request.body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (part.get_filename(), payload)
    if "file" not in fields:
        return _bad(call, "Missing required parameter: 'file'.", "file")
    purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
    if purpose != "batch":
        return _bad(call, f"Invalid value for 'purpose': {purpose!r}; this server takes 'batch'.", "purpose")
    filename, content = fields["file"]
    stored = StoredFile(store.new_id("file-"), filename or "upload.jsonl", purpose, content, int(time.time()))
    store.files[stored.id] = stored
    return json_answer(200, _file_object(stored.id, stored), call.id_headers())


def _create(call: Call, store: BatchStore) -> Answer:
    body = call.body if isinstance(call.body, dict) else {}
    file_id, endpoint, window = body.get("input_file_id"), body.get("endpoint"), body.get("completion_window")
    for name, value in (("input_file_id", file_id), ("endpoint", endpoint), ("completion_window", window)):
        if not isinstance(value, str):
            return _bad(call, f"Missing required parameter: '{name}'.", name)
    file_id = str(file_id)
    if endpoint not in _ENDPOINTS:
        return _bad(call, f"Invalid value for 'endpoint': {endpoint!r}.", "endpoint")
    if window != "24h":
        return _bad(call, f"Invalid value for 'completion_window': {window!r}; expected '24h'.")
    stored = store.files.get(file_id)
    if stored is None:
        return _missing(call, "File", file_id)
    lines, errors = _read_input(stored.content, endpoint)
    batch_id = store.new_id("batch_")
    script = store.next_script()

    def run(index: int) -> LineResult:
        custom_id, line_body = lines[index]
        return execute_line(
            provider=Provider.OPENAI,
            path=endpoint,
            body=line_body,
            custom_id=custom_id,
            script=script,
            origin=call.request,
            base_url=call.base_url,
            config=call.config,
            request_id=line_request_id(batch_id, index),
        )

    info = {
        "endpoint": endpoint,
        "input_file_id": file_id,
        "metadata": body.get("metadata"),
        "errors": errors or None,
    }
    job = Job(batch_id, [c for c, _ in lines], run, script, int(time.time()), info)
    store.jobs[batch_id] = job
    return json_answer(200, _batch_object(job, store, "validating"), call.id_headers())


def _read_input(content: bytes, endpoint: str) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
    """The (custom_id, body) of each line, and the validation errors (a batch with any fails)."""
    lines: list[tuple[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(content.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            line = None
        problem = None
        if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
            problem = ("invalid_json_line", "This line is not a JSON object with a string 'custom_id'.")
        elif line.get("url") != endpoint:
            problem = ("mismatched_endpoint", f"The line's url must be the batch's endpoint {endpoint}.")
        elif line.get("method") != "POST":
            problem = ("invalid_method", "The line's method must be POST.")
        elif line["custom_id"] in seen:
            problem = ("duplicate_custom_id", f"The custom_id {line['custom_id']!r} is used more than once.")
        if problem is not None:
            errors.append({"code": problem[0], "message": problem[1], "param": None, "line": number})
            continue
        assert isinstance(line, dict)
        seen.add(line["custom_id"])
        lines.append((line["custom_id"], line.get("body")))
    if not lines and not errors:
        errors.append({"code": "empty_file", "message": "The input file has no request.", "param": None})
    return lines, errors


def _output_line(job: Job, index: int, result: LineResult) -> str:
    response = {"status_code": result.status, "request_id": result.request_id, "body": result.body}
    line = {"id": f"batch_req_{job.id}_{index}", "custom_id": result.custom_id, "response": response}
    return job.result_line(result, json.dumps({**line, "error": None}, separators=(",", ":")))


def _files_of(job: Job, store: BatchStore) -> tuple[str | None, str | None]:
    """Write (once) the output and error files of an ended batch; their ids (None when empty)."""
    if "files" in job.info:
        files: tuple[str | None, str | None] = job.info["files"]
        return files
    good: list[str] = []
    bad: list[str] = []
    for index, result in enumerate(job.results):
        (good if 200 <= result.status < 300 else bad).append(_output_line(job, index, result))
    if job.ending == "expired":
        for index in range(len(job.results), len(job.custom_ids)):
            line = {
                "id": f"batch_req_{job.id}_{index}",
                "custom_id": job.custom_ids[index],
                "response": None,
                "error": {"code": "batch_expired", "message": _EXPIRED},
            }
            bad.append(json.dumps(line, separators=(",", ":")))
    ids: list[str | None] = []
    for kind, lines in (("output", good), ("error", bad)):
        if not lines:
            ids.append(None)
            continue
        content = ("\n".join(lines) + "\n").encode()
        stored = StoredFile(store.new_id("file-"), f"batch_{job.id}_{kind}.jsonl", "batch_output", content, 0)
        store.files[stored.id] = stored
        ids.append(stored.id)
    job.info["files"] = (ids[0], ids[1])
    return ids[0], ids[1]


def _batch_object(job: Job, store: BatchStore, phase: str) -> dict[str, Any]:
    now = int(time.time())
    succeeded = sum(1 for r in job.results if 200 <= r.status < 300)
    failed = len(job.results) - succeeded
    status = phase
    output_id = error_id = None
    stamps: dict[str, int | None] = dict.fromkeys(
        ("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
         "cancelled_at"),
    )  # fmt: skip
    if phase == "failed":
        stamps["failed_at"] = now
    elif phase == "ended":
        status = {"completed": "completed", "expired": "expired", "cancelled": "cancelled"}[job.ending or ""]
        stamps[f"{status}_at"] = now
        output_id, error_id = _files_of(job, store)
        if job.ending == "expired":
            failed += len(job.custom_ids) - len(job.results)
    elif phase == "cancelling":
        stamps["cancelling_at"] = now
    if job.polls or phase not in ("validating", "failed"):
        stamps["in_progress_at"] = job.created_at
    errors = job.info.get("errors")
    return {
        "id": job.id,
        "object": "batch",
        "endpoint": job.info["endpoint"],
        "errors": None if errors is None else {"object": "list", "data": errors},
        "input_file_id": job.info["input_file_id"],
        "completion_window": "24h",
        "status": status,
        "output_file_id": output_id,
        "error_file_id": error_id,
        "created_at": job.created_at,
        "expires_at": job.created_at + 86_400,
        **stamps,
        "request_counts": {"total": len(job.custom_ids), "completed": succeeded, "failed": failed},
        "metadata": job.info.get("metadata"),
    }
