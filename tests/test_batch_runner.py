"""``run_batch`` (what ``modelwire batch`` runs) against the local provider server: a 10,000-request batch
under a rate limit and scripted faults, output and failures files, the summary against the server's
counters, resumption and input edge cases."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from modelwire import AsyncClient
from modelwire.batch import AttemptCounter, BatchSummary, parse_shard, run_batch
from modelwire.policy import Limiters
from modelwire.testing import LocalProviderServer, Route, faults

KEY = "sk-batch-runner-test"


def chain(server: LocalProviderServer, **options: Any) -> dict[str, Any]:
    return {"name": "openai/gpt-4.1-mini", "api_base": server.openai_base_url, "api_key": KEY, **options}


def write_input(path: Path, lines: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(server: LocalProviderServer, source: Path, output: Path, **kwargs: Any) -> BatchSummary:
    attempts = AttemptCounter()

    async def go() -> BatchSummary:
        # Enough retries that no request runs out of them against the server's own 429s: with 64 in flight
        # and a limit with a burst of 1, about half the requests meet a 429, and a fast transport can meet
        # eight in a row (3 of 10,000 did with max_retries=8 over aiohttp); the test counts exact kinds.
        options = chain(server, max_retries=40, max_concurrency=64)
        async with AsyncClient(options, limiters=Limiters(), hooks=[attempts]) as client:
            return await run_batch(client, source, output, handle_signals=False, attempts=attempts, **kwargs)

    return asyncio.run(go())


def test_ten_thousand_requests_rate_limited_with_faults(
    local_server_subprocess: LocalProviderServer, tmp_path: Path
) -> None:
    server = local_server_subprocess
    server.configure(record_requests=False)
    server.set_rate_limit(1000, burst=1, retry_after="ms")  # bursts of answers get 429s
    scripted = [faults.error(400)] * 25 + [faults.preset("context_window")] * 15
    scripted += [faults.error(500)] * 30 + [faults.rate_limited(retry_after_ms=20)] * 30
    random.Random(17).shuffle(scripted)
    server.enqueue(Route.CHAT, *scripted)
    n = 10_000
    source = write_input(
        tmp_path / "in.jsonl", [{"custom_id": f"r{i}", "prompt": f"p {i}"} for i in range(n)]
    )
    output = tmp_path / "out.jsonl"
    summary = run(server, source, output, concurrency=64)

    lines = read_lines(output)
    assert Counter(line["custom_id"] for line in lines) == Counter(f"r{i}" for i in range(n))
    counters = server.counters()
    statuses = Counter({int(k): v for k, v in counters.statuses.items()})
    errors = [line for line in lines if line["status"] == "error"]
    assert summary.ok == n - len(errors) == statuses[200]
    assert summary.failed == len(errors) == statuses[400] == 40  # 4xx are final, the rest was retried
    assert dict(summary.kinds) == {"bad_request": 25, "context_window_exceeded": 15}
    assert Counter(line["error"]["kind"] for line in errors) == summary.kinds
    assert counters.requests == n + statuses[429] + statuses[500]  # every 429 and 500 retried once more
    assert summary.attempts is not None
    assert summary.attempts.attempts == counters.requests
    assert summary.attempts.retries == statuses[429] + statuses[500]
    assert summary.attempts.failed_by_kind == {
        "rate_limit": statuses[429], "internal_server": statuses[500], "bad_request": 25,
        "context_window_exceeded": 15,
    }  # fmt: skip
    assert counters.rate_limited > 0  # the limit answered 429s of its own, beside the scripted ones
    failures = read_lines(tmp_path / "out.failures.jsonl")
    assert sorted(f["custom_id"] for f in failures) == sorted(e["custom_id"] for e in errors)
    assert all(f["prompt"] == f"p {f['custom_id'][1:]}" and f["modelwire_error"]["kind"] for f in failures)
    assert summary.progress.total_tokens == sum(
        line["usage"]["total_tokens"] for line in lines if line["usage"]
    )
    ok = next(line for line in lines if line["status"] == "ok")
    assert ok["response"]["choices"][0]["message"]["content"] == f"echo: p {ok['custom_id'][1:]}"
    assert ok["model"]
    assert ok["error"] is None
    assert "cost" in ok


def test_resume_skips_done_ids_cuts_a_torn_line_and_keeps_failures_consistent(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    source = write_input(
        tmp_path / "in.jsonl", [{"custom_id": f"r{i}", "prompt": f"p {i}"} for i in range(20)]
    )
    output, failures = tmp_path / "out.jsonl", tmp_path / "out.failures.jsonl"
    done = [{"custom_id": f"r{i}", "status": "ok", "model": None, "response": None, "error": None,
             "usage": None, "cost": None} for i in range(5)]  # fmt: skip
    output.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in done) + b'{"custom_id": "r5", "sta')
    # a failure written just before a crash, whose output line never was: the resumed run answers r7 again
    failures.write_bytes(orjson.dumps({"custom_id": "r7", "prompt": "p 7", "modelwire_error": {}}) + b"\n")
    summary = run(local_server, source, output)
    assert summary.torn_bytes == len(b'{"custom_id": "r5", "sta')
    assert summary.progress.skipped == 5
    assert sorted(line["custom_id"] for line in read_lines(output)) == sorted(f"r{i}" for i in range(20))
    assert local_server.counters().requests == 15
    assert failures.read_text() == ""
    again = run(local_server, source, output)
    assert again.progress.done == 0
    assert again.progress.skipped == 20


def test_bad_lines_are_failures_that_can_be_fed_back(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    rows = ['{"prompt": "fine"}', "", "not json", '{"messages": []}', '{"custom_id": "dup", "prompt": "a"}',
             '{"custom_id": "dup", "prompt": "b"}', "[1, 2]"]  # fmt: skip
    source.write_text("\n".join(rows) + "\n")
    output = tmp_path / "out.jsonl"
    summary = run(local_server, source, output)
    lines = {line["custom_id"]: line for line in read_lines(output)}
    assert set(lines) == {"line-1", "line-3", "line-4", "dup", "line-7"}  # blank lines keep the numbering
    assert lines["line-3"]["error"]["kind"] == "invalid_item"
    assert "line 3" in lines["line-3"]["error"]["message"]
    assert lines["line-7"]["error"]["kind"] == "invalid_item"
    assert lines["line-4"]["status"] == "error"  # an empty conversation: the server refuses it (400)
    assert summary.progress.duplicates == 1
    retry = tmp_path / "retry.jsonl"
    run(local_server, tmp_path / "out.failures.jsonl", retry)  # the failures file is an input file
    assert sorted(line["custom_id"] for line in read_lines(retry)) == ["line-3", "line-4", "line-7"]


def test_shards_split_every_id_exactly_once(local_server: LocalProviderServer, tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.jsonl", [{"prompt": f"p {i}"} for i in range(60)])
    ids: list[str] = []
    for i in range(3):
        output = tmp_path / f"out{i}.jsonl"
        run(local_server, source, output, shard=parse_shard(f"{i}/3"))
        ids += [line["custom_id"] for line in read_lines(output)]
    assert sorted(ids) == sorted(f"line-{n}" for n in range(1, 61))
    assert local_server.counters().requests == 60


def test_a_foreign_output_file_is_refused(local_server: LocalProviderServer, tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.jsonl", [{"prompt": "x"}])
    output = tmp_path / "out.jsonl"
    output.write_text('{"something": "else"}\n')
    with pytest.raises(ValueError, match="not a modelwire batch output line"):
        run(local_server, source, output)
    assert output.read_text() == '{"something": "else"}\n'


@pytest.mark.parametrize("text", ["1/1", "3/2", "-1/2"])
def test_shard_out_of_range(text: str) -> None:
    with pytest.raises(ValueError, match="0 <= i < n"):
        parse_shard(text)


@pytest.mark.parametrize("text", ["a/b", "2", "1/"])
def test_shard_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="expected i/n"):
        parse_shard(text)


def test_embeddings_and_openai_lines_in_the_output(local_server: LocalProviderServer, tmp_path: Path) -> None:
    source = write_input(
        tmp_path / "in.jsonl",
        [
            {"custom_id": "e", "input": ["a", "b"]},
            {
                "custom_id": "c",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]},
            },
        ],
    )
    output = tmp_path / "out.jsonl"
    run(local_server, source, output)
    lines = {line["custom_id"]: line for line in read_lines(output)}
    embedding = lines["e"]["response"]
    assert embedding["count"] == 2
    assert [len(vector) for vector in embedding["embeddings"]] == [32, 32]
    assert lines["e"]["usage"]["input_tokens"] == 2
    assert lines["c"]["response"]["choices"][0]["message"]["content"] == "echo: hi"
