"""The local server's provider batch APIs, driven by the official SDKs as oracles of the wire shapes:
OpenAI Files + Batches (``client.files`` / ``client.batches``) and Anthropic Message Batches
(``client.messages.batches``), scripted progress, failures, expiry, cancel and validation."""

from __future__ import annotations

import json

import anthropic
import httpx
import openai
import pytest

from modelwire.testing import BatchScript, LocalProviderServer


def _openai(server: LocalProviderServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)


def _anthropic(server: LocalProviderServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test", max_retries=0)


def _openai_lines(ids: list[str], url: str = "/v1/chat/completions") -> bytes:
    return b"".join(
        json.dumps(
            {
                "custom_id": custom_id,
                "method": "POST",
                "url": url,
                "body": {
                    "model": "gpt-4.1-mini",
                    "messages": [{"role": "user", "content": f"hi {custom_id}"}],
                },
            }
        ).encode()
        + b"\n"
        for custom_id in ids
    )


def _anthropic_requests(ids: list[str]) -> list[dict[str, object]]:
    return [
        {
            "custom_id": custom_id,
            "params": {
                "model": "claude-sonnet-4-5",
                "max_tokens": 64,
                "messages": [{"role": "user", "content": f"hi {custom_id}"}],
            },
        }
        for custom_id in ids
    ]


def test_openai_sdk_uploads_creates_polls_and_downloads(local_server: LocalProviderServer) -> None:
    local_server.script_batches(BatchScript(polls=2, fail={"b": "rate_limit"}))
    client = _openai(local_server)
    uploaded = client.files.create(file=("in.jsonl", _openai_lines(["a", "b", "c", "d"])), purpose="batch")
    assert (uploaded.purpose, uploaded.filename, uploaded.bytes) == ("batch", "in.jsonl", uploaded.bytes)
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.status == "validating"
    assert batch.input_file_id == uploaded.id
    seen = []
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        batch = client.batches.retrieve(batch.id)
        seen.append((batch.status, batch.request_counts.completed if batch.request_counts else None))
    assert seen == [("in_progress", 1), ("in_progress", 3), ("finalizing", 3), ("completed", 3)]
    assert batch.request_counts is not None
    assert batch.request_counts.failed == 1
    assert batch.output_file_id
    assert batch.error_file_id
    assert batch.completed_at
    output = [json.loads(line) for line in client.files.content(batch.output_file_id).text.splitlines()]
    assert [line["custom_id"] for line in output] == ["a", "c", "d"]
    assert output[0]["response"]["status_code"] == 200
    assert output[0]["error"] is None
    assert output[0]["response"]["body"]["choices"][0]["message"]["content"] == "echo: hi a"
    errors = [json.loads(line) for line in client.files.content(batch.error_file_id).text.splitlines()]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("b", 429)]
    assert errors[0]["response"]["body"]["error"]["code"] == "rate_limit_exceeded"


def test_openai_expired_batch_puts_unrun_lines_in_the_error_file(local_server: LocalProviderServer) -> None:
    local_server.script_batches(BatchScript(polls=1, expire_after=2))
    client = _openai(local_server)
    uploaded = client.files.create(file=("in.jsonl", _openai_lines(["a", "b", "c"])), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    for _ in range(3):
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "expired"
    assert batch.expired_at
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (2, 1)
    assert batch.error_file_id is not None
    (line,) = [json.loads(x) for x in client.files.content(batch.error_file_id).text.splitlines()]
    assert line["custom_id"] == "c"
    assert line["response"] is None
    assert line["error"]["code"] == "batch_expired"


def test_openai_cancel_ends_with_what_finished(local_server: LocalProviderServer) -> None:
    local_server.script_batches(BatchScript(polls=4))
    client = _openai(local_server)
    uploaded = client.files.create(file=("in.jsonl", _openai_lines(["a", "b", "c", "d"])), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    client.batches.retrieve(batch.id)  # one of four steps: one line done
    assert client.batches.cancel(batch.id).status == "cancelling"
    batch = client.batches.retrieve(batch.id)
    assert batch.status == "cancelled"
    assert batch.cancelled_at
    assert batch.output_file_id is not None
    assert batch.error_file_id is None
    output = client.files.content(batch.output_file_id).text.splitlines()
    assert [json.loads(x)["custom_id"] for x in output] == ["a"]


def test_openai_invalid_input_file_fails_the_batch_naming_lines(local_server: LocalProviderServer) -> None:
    client = _openai(local_server)
    content = _openai_lines(["a", "a"]) + _openai_lines(["b"], url="/v1/embeddings") + b"not json\n"
    uploaded = client.files.create(file=("in.jsonl", content), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    batch = client.batches.retrieve(batch.id)
    assert batch.status == "failed"
    assert batch.errors is not None
    assert batch.errors.data
    assert [(e.code, e.line) for e in batch.errors.data] == [
        ("duplicate_custom_id", 2),
        ("mismatched_endpoint", 3),
        ("invalid_json_line", 4),
    ]


def test_openai_unknown_ids_and_purposes_are_refused(local_server: LocalProviderServer) -> None:
    client = _openai(local_server)
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")
    with pytest.raises(openai.NotFoundError):
        client.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.BadRequestError, match="purpose"):
        client.files.create(file=("in.jsonl", b"{}\n"), purpose="fine-tune")


def test_anthropic_sdk_creates_polls_and_reads_typed_results(local_server: LocalProviderServer) -> None:
    local_server.script_batches(BatchScript(polls=2, fail={"b": "overloaded"}, expire_after=3))
    client = _anthropic(local_server)
    batch = client.messages.batches.create(requests=_anthropic_requests(["a", "b", "c", "d"]))  # type: ignore[arg-type]
    assert batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 4
    early = httpx.get(
        f"{local_server.url}/v1/messages/batches/{batch.id}/results",
        headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
    )
    assert early.status_code == 400
    assert "still in progress" in early.json()["error"]["message"]
    statuses = []
    while batch.processing_status != "ended":
        batch = client.messages.batches.retrieve(batch.id)
        statuses.append(batch.processing_status)
    assert statuses == ["in_progress", "in_progress", "ended"]
    counts = batch.request_counts
    assert (counts.succeeded, counts.errored, counts.expired, counts.processing) == (2, 1, 1, 0)
    assert batch.results_url
    assert batch.ended_at
    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    assert {k: v.type for k, v in results.items()} == {
        "a": "succeeded", "b": "errored", "c": "succeeded", "d": "expired",
    }  # fmt: skip
    succeeded = results["a"]
    assert succeeded.type == "succeeded"
    assert succeeded.message.content[0].type == "text"
    assert succeeded.message.content[0].text == "echo: hi a"
    errored = results["b"]
    assert errored.type == "errored"
    assert errored.error.error.type == "overloaded_error"


def test_anthropic_cancel_marks_unrun_requests_canceled(local_server: LocalProviderServer) -> None:
    local_server.script_batches(BatchScript(polls=3))
    client = _anthropic(local_server)
    batch = client.messages.batches.create(requests=_anthropic_requests(["a", "b", "c"]))  # type: ignore[arg-type]
    client.messages.batches.retrieve(batch.id)
    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at
    batch = client.messages.batches.retrieve(batch.id)
    assert batch.processing_status == "ended"
    assert batch.request_counts.canceled == 2
    types = [r.result.type for r in client.messages.batches.results(batch.id)]
    assert types == ["succeeded", "canceled", "canceled"]


def test_anthropic_refuses_bad_and_duplicate_custom_ids(local_server: LocalProviderServer) -> None:
    client = _anthropic(local_server)
    with pytest.raises(anthropic.BadRequestError, match="Duplicate custom_id"):
        client.messages.batches.create(requests=_anthropic_requests(["a", "a"]))  # type: ignore[arg-type]
    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        client.messages.batches.create(requests=_anthropic_requests(["no spaces"]))  # type: ignore[arg-type]
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve("msgbatch_missing")


def test_batch_scripts_reach_a_server_in_another_process(
    local_server_subprocess: LocalProviderServer,
) -> None:
    local_server_subprocess.script_batches(BatchScript(polls=0, fail={"a": "server"}))
    client = _anthropic(local_server_subprocess)
    batch = client.messages.batches.create(requests=_anthropic_requests(["a", "b"]))  # type: ignore[arg-type]
    batch = client.messages.batches.retrieve(batch.id)
    assert batch.processing_status == "ended"
    assert (batch.request_counts.succeeded, batch.request_counts.errored) == (1, 1)


def test_batch_requests_need_the_key_and_count_per_route(local_server: LocalProviderServer) -> None:
    refused = httpx.get(f"{local_server.openai_base_url}/batches/batch_x")
    assert refused.status_code == 401
    assert "API key" in refused.json()["error"]["message"]
    _openai(local_server).files.create(file=("in.jsonl", _openai_lines(["a"])), purpose="batch")
    assert local_server.counters().routes == {"batches": 1, "files": 1}
