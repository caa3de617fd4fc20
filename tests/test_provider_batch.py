"""Provider Batch APIs end to end over real sockets: ``run_provider_batch`` against the local server's
OpenAI Files + Batch API and Anthropic Message Batches (scripted progress, failures, expiry, cancel,
corrupt lines), written in the batch output line contract."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from modelwire.batch.provider_run import ProviderBatchSummary, arun_provider_batch, run_provider_batch
from modelwire.testing import BatchScript, LocalProviderServer, Route, faults

MODELS = {"openai": "openai/gpt-4.1-mini", "anthropic": "anthropic/claude-sonnet-4-5"}
CONTRACT_KEYS = {"custom_id", "status", "model", "response", "error", "usage", "cost"}


def _base(server: LocalProviderServer, provider: str) -> str:
    return server.openai_base_url if provider == "openai" else server.anthropic_base_url


def _write_input(path: Path, ids: list[str]) -> Path:
    lines = []
    for i, custom_id in enumerate(ids):
        if i % 2:  # the OpenAI batch-file line format, accepted as is
            body = {"messages": [{"role": "user", "content": f"say {custom_id}"}], "max_tokens": 50}
            lines.append(
                {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
            )
        else:
            lines.append({"custom_id": custom_id, "prompt": f"say {custom_id}", "max_tokens": 50})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _records(path: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    counts = Counter(r["custom_id"] for r in records)
    assert [cid for cid, n in counts.items() if n > 1] == []  # every custom_id at most once
    for record in records:
        assert set(record) == CONTRACT_KEYS
    return {r["custom_id"]: r for r in records}


class _FakeTime:
    """The waiting seams: ``sleep`` records each wait and advances ``clock`` by it, at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _run(
    server: LocalProviderServer,
    provider: str,
    src: Path,
    out: Path,
    fake: _FakeTime | None = None,
    **options: Any,
) -> ProviderBatchSummary:
    fake = fake or _FakeTime()
    options = {"sleep": fake.sleep, "clock": fake.clock, "poll_interval": 0.5, **options}
    base = _base(server, provider)
    return asyncio.run(
        arun_provider_batch(src, out, MODELS[provider], api_base=base, api_key="sk-test", **options)
    )


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_every_custom_id_is_answered_once_with_typed_errors_and_usage(
    local_server: LocalProviderServer, tmp_path: Path, provider: str
) -> None:
    ids = [f"r{i}" for i in range(8)]
    local_server.script_batches(BatchScript(polls=3, fail={"r2": "server", "r5": "context_window"}))
    summary = _run(local_server, provider, _write_input(tmp_path / "in.jsonl", ids), tmp_path / "out.jsonl")
    records = _records(tmp_path / "out.jsonl")
    assert sorted(records) == sorted(ids)
    assert summary.progress.done == 8
    assert summary.status in ("completed", "ended")
    assert (summary.ok, dict(summary.kinds)) == (6, {"internal_server": 1, "context_window_exceeded": 1})
    assert records["r2"]["error"]["kind"] == "internal_server"
    assert records["r2"]["error"]["type"] == "InternalServerError"
    assert records["r5"]["error"]["kind"] == "context_window_exceeded"
    # OpenAI lines carry the status; Anthropic's errored results carry the error type it stands for.
    assert records["r2"]["error"]["status_code"] == 500
    assert records["r5"]["error"]["status_code"] == 400
    ok = records["r3"]
    assert ok["status"] == "ok"
    assert ok["error"] is None
    assert ok["response"]["choices"][0]["message"]["content"] == "echo: say r3"
    assert ok["usage"]["input_tokens"] == 2
    assert ok["usage"]["output_tokens"] == 3
    assert ok["model"] == MODELS[provider].split("/", 1)[1]
    # Progress came over several polls, not at once.
    assert summary.polls >= 4


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_batch_line_carries_the_body_a_direct_call_sends(
    local_server: LocalProviderServer, tmp_path: Path, provider: str
) -> None:
    from modelwire.config import ModelSpec
    from modelwire.providers import client_from_spec
    from modelwire.types import ChatCompletionRequest

    src = _write_input(tmp_path / "in.jsonl", ["only"])
    _run(local_server, provider, src, tmp_path / "out.jsonl")
    spec = ModelSpec(name=MODELS[provider], api_base=_base(local_server, provider), api_key="sk-test")
    request = ChatCompletionRequest(
        model=spec.model_id, messages=[{"role": "user", "content": "say only"}], max_tokens=50
    )
    with client_from_spec(spec) as adapter:
        adapter.completion(request)
    direct = local_server.last_request.json
    if provider == "openai":
        upload = next(r for r in local_server.requests if r.path == "/v1/files")
        line = json.loads(upload.body.split(b"\r\n\r\n", 2)[2].split(b"\n", 1)[0])
        assert line["method"] == "POST"
        assert line["url"] == "/v1/chat/completions"
        assert line["body"] == direct
    else:
        create = next(r for r in local_server.requests if r.path == "/v1/messages/batches")
        assert create.json["requests"] == [{"custom_id": "only", "params": direct}]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_an_expired_batch_writes_the_finished_and_the_rest_as_expired_errors_that_rerun(
    local_server: LocalProviderServer, tmp_path: Path, provider: str
) -> None:
    ids = [f"e{i}" for i in range(7)]
    src = _write_input(tmp_path / "in.jsonl", ids)
    local_server.script_batches(BatchScript(polls=2, expire_after=4, fail={"e1": "overloaded"}))
    summary = _run(local_server, provider, src, tmp_path / "out.jsonl")
    records = _records(tmp_path / "out.jsonl")
    assert sorted(records) == sorted(ids)
    assert summary.status in ("expired", "ended")
    finished = ["e0", "e2", "e3"]
    assert all(records[i]["status"] == "ok" for i in finished)
    assert records["e1"]["error"]["kind"] == "overloaded"
    expired = ["e4", "e5", "e6"]
    for custom_id in expired:
        error = records[custom_id]["error"]
        assert (error["kind"], error["type"]) == ("timeout", "APITimeoutError")
        assert "expired before this request ran" in error["message"]
    # The failures file is a valid input: fed back in, the expired requests (and the overloaded one) run.
    failures = [json.loads(line) for line in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    assert sorted(f["custom_id"] for f in failures) == ["e1", *expired]
    assert {f["modelwire_error"]["kind"] for f in failures} == {"timeout", "overloaded"}
    local_server.clear()
    again = _run(local_server, provider, tmp_path / "out.failures.jsonl", tmp_path / "rerun.jsonl")
    assert (again.ok, again.failed) == (4, 0)
    assert sorted(_records(tmp_path / "rerun.jsonl")) == ["e1", *expired]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_deadline_cancels_the_batch_and_writes_what_finished(
    local_server: LocalProviderServer, tmp_path: Path, provider: str
) -> None:
    ids = [f"c{i}" for i in range(10)]
    local_server.script_batches(BatchScript(polls=10))
    fake = _FakeTime()
    summary = _run(
        local_server, provider, _write_input(tmp_path / "in.jsonl", ids), tmp_path / "out.jsonl", fake,
        deadline=2.0,
    )  # fmt: skip
    assert [r.path for r in local_server.requests if r.path.endswith("/cancel")] != []
    assert summary.status in ("cancelled", "ended")
    records = _records(tmp_path / "out.jsonl")
    assert sorted(records) == sorted(ids)
    ok = [cid for cid, r in records.items() if r["status"] == "ok"]
    cancelled = [cid for cid, r in records.items() if r["status"] == "error"]
    assert ok
    assert cancelled
    assert all("was cancelled before this request ran" in records[c]["error"]["message"] for c in cancelled)
    # Waits of 0.5 and 1.0 s, then only the 0.5 s left to the deadline before the cancel.
    assert fake.waits[:3] == [0.5, 1.0, 0.5]


def test_polls_back_off_and_honor_retry_after(local_server: LocalProviderServer, tmp_path: Path) -> None:
    local_server.script_batches(BatchScript(polls=4))
    src = _write_input(tmp_path / "in.jsonl", ["p0", "p1"])
    fake = _FakeTime()

    async def sleep(seconds: float) -> None:
        if len(fake.waits) == 1:  # after the first poll wait: the next two polls are refused
            local_server.enqueue(
                Route.BATCHES, faults.rate_limited(retry_after=7), faults.preset("overloaded")
            )
        await fake.sleep(seconds)

    summary = asyncio.run(
        arun_provider_batch(
            src, tmp_path / "out.jsonl", MODELS["openai"], api_base=local_server.openai_base_url,
            api_key="sk-test", sleep=sleep, clock=fake.clock, poll_interval=0.5, max_poll_interval=2.0,
        )
    )  # fmt: skip
    assert (summary.ok, summary.failed) == (2, 0)
    # Poll waits double from poll_interval up to max_poll_interval; the 429 wait is at least its Retry-After.
    assert fake.waits[2] >= 7.0  # after the 429 (Retry-After: 7)
    assert fake.waits[3] <= 1.0  # after the 503: jittered backoff, second retry
    others = fake.waits[:2] + fake.waits[4:]
    assert others[:3] == [0.5, 1.0, 2.0]
    assert set(others[3:]) == {2.0}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_corrupt_result_line_is_a_typed_error_naming_the_line(
    local_server: LocalProviderServer, tmp_path: Path, provider: str
) -> None:
    local_server.script_batches(BatchScript(corrupt=("k1",)))
    _run(
        local_server,
        provider,
        _write_input(tmp_path / "in.jsonl", ["k0", "k1", "k2"]),
        tmp_path / "out.jsonl",
    )
    records = _records(tmp_path / "out.jsonl")
    assert records["k0"]["status"] == records["k2"]["status"] == "ok"
    error = records["k1"]["error"]
    assert (error["kind"], error["type"]) == ("invalid_response", "ResponseParseError")
    assert "line 2 of " in error["message"]
    assert "cannot be read" in error["message"]


def test_a_rerun_skips_ids_already_written_and_sends_nothing(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    src = _write_input(tmp_path / "in.jsonl", ["a", "b"])
    out = tmp_path / "out.jsonl"
    run_provider_batch(
        src, out, MODELS["anthropic"], api_base=local_server.url, api_key="k", poll_interval=0.001
    )
    local_server.clear()
    summary = run_provider_batch(src, out, MODELS["anthropic"], api_base=local_server.url, api_key="k")
    assert (summary.progress.skipped, summary.progress.done, summary.batch_id) == (2, 0, None)
    assert local_server.requests == []
    assert sorted(_records(out)) == ["a", "b"]


def test_anthropic_custom_ids_it_refuses_are_sent_as_stand_ins_and_mapped_back(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    ids = ["has space", "x" * 80, "mw-0", "plain"]
    _run(local_server, "anthropic", _write_input(tmp_path / "in.jsonl", ids), tmp_path / "out.jsonl")
    sent = next(r for r in local_server.requests if r.path == "/v1/messages/batches").json["requests"]
    assert [r["custom_id"] for r in sent] == ["mw-0", "mw-1", "mw-2", "plain"]
    records = _records(tmp_path / "out.jsonl")
    assert sorted(records) == sorted(ids)
    assert records["has space"]["response"]["choices"][0]["message"]["content"] == "echo: say has space"


def test_a_non_retryable_poll_error_is_raised_typed(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    from modelwire.exceptions import NotFoundError

    with pytest.raises(NotFoundError, match="msgbatch_nope"):
        _run(
            local_server, "anthropic", _write_input(tmp_path / "in.jsonl", ["z"]), tmp_path / "out.jsonl",
            batch_id="msgbatch_nope",
        )  # fmt: skip


def test_lines_that_are_not_chat_requests_are_written_as_invalid_items_and_not_sent(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"custom_id": "a", "prompt": "hi"}\n{"custom_id": "b", "max_tokens": 3}\n'
        '{"custom_id": "c", "input": "embed me"}\nnot json\n{"custom_id": "a", "prompt": "again"}\n'
    )
    summary = _run(local_server, "openai", src, tmp_path / "out.jsonl")
    records = _records(tmp_path / "out.jsonl")
    assert records["a"]["status"] == "ok"
    assert {k: records[k]["error"]["kind"] for k in ("b", "c", "line-4")} == dict.fromkeys(
        ("b", "c", "line-4"), "invalid_item"
    )
    assert "chat requests only" in records["c"]["error"]["message"]
    assert summary.progress.duplicates == 1
    upload = next(r for r in local_server.requests if r.path == "/v1/files")
    assert upload.body.count(b'"custom_id"') == 1  # only "a" went to the provider


class _Stop(Exception):
    pass


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_run_that_stops_while_polling_is_picked_up_without_a_second_batch(
    local_server: LocalProviderServer, tmp_path: Path, provider: str
) -> None:
    from modelwire.batch.provider_run import pending_path

    src, out = _write_input(tmp_path / "in.jsonl", ["a", "b", "c"]), tmp_path / "out.jsonl"
    local_server.script_batches(BatchScript(polls=3))

    async def crash(seconds: float) -> None:
        raise _Stop

    with pytest.raises(_Stop):
        _run(local_server, provider, src, out, sleep=crash)
    assert pending_path(out).exists()
    assert not out.exists()
    summary = _run(local_server, provider, src, out)
    created = [r for r in local_server.requests if r.method == "POST" and r.path.endswith("batches")]
    assert len(created) == 1  # the second run polled the first run's batch
    assert (summary.ok, summary.failed) == (3, 0)
    assert sorted(_records(out)) == ["a", "b", "c"]
    assert not pending_path(out).exists()


def test_a_poll_that_keeps_failing_gives_up_with_its_typed_error(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    from modelwire.batch.provider_run import MAX_POLL_ERRORS, pending_path
    from modelwire.exceptions import OverloadedError

    fake = _FakeTime()

    async def sleep(seconds: float) -> None:
        if not fake.waits:  # the batch is created: every poll from now on is refused
            local_server.enqueue(Route.BATCHES, *[faults.preset("overloaded")] * MAX_POLL_ERRORS)
        await fake.sleep(seconds)

    out = tmp_path / "out.jsonl"
    with pytest.raises(OverloadedError):
        _run(local_server, "openai", _write_input(tmp_path / "in.jsonl", ["a"]), out, sleep=sleep)
    assert (
        len(fake.waits) == MAX_POLL_ERRORS
    )  # the poll interval, then a backoff after each failure but the last
    assert not out.exists()
    assert pending_path(out).exists()  # the next run polls this batch instead of submitting another


def test_the_cli_runs_a_provider_batch_with_its_summary_and_failures_file(
    local_server: LocalProviderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from modelwire.cli import main

    monkeypatch.setenv("MW_PROVBATCH_KEY", "sk-ant-test")
    local_server.script_batches(BatchScript(polls=1, expire_after=2))
    src, out = _write_input(tmp_path / "in.jsonl", ["a", "b", "c"]), tmp_path / "out.jsonl"
    argv = [
        "batch", str(src), "-o", str(out), "--model", MODELS["anthropic"], "--api-base", local_server.url,
        "--api-key-env", "MW_PROVBATCH_KEY", "--provider-batch", "--poll-interval", "0.001",
    ]  # fmt: skip
    assert main(argv) == 1  # answered, with a failure
    assert sorted(_records(out)) == ["a", "b", "c"]
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert (summary["ok"], summary["failed"], summary["errors_by_kind"]) == (2, 1, {"timeout": 1})
    assert summary["provider_batch"]["status"] == "ended"
    failures = (tmp_path / "out.failures.jsonl").read_text().splitlines()
    assert [json.loads(line)["custom_id"] for line in failures] == ["c"]
    assert "provider batch msgbatch_" in capsys.readouterr().err
    assert main([*argv[:-3], "--shard", "0/2", "--provider-batch"]) == 2  # live-call options are refused
