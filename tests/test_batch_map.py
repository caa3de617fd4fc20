"""``Client.map`` / ``AsyncClient.amap`` against the local provider server: every item answered once,
ordered and unordered, errors as results, resumption keys, item formats, progress."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from modelwire import AsyncClient, Client
from modelwire.exceptions import BadRequestError, InvalidBatchItemError
from modelwire.facade.mapping import MapProgress, MapResult
from modelwire.testing import LocalProviderServer, Route, faults

KEY = "sk-batch-map-test"


def chain(server: LocalProviderServer) -> dict[str, Any]:
    return {"name": "openai/gpt-4.1-mini", "api_base": server.openai_base_url, "api_key": KEY}


def prompts(n: int) -> list[dict[str, Any]]:
    return [{"custom_id": f"q{i}", "prompt": f"question {i}"} for i in range(n)]


def amap_all(server: LocalProviderServer, items: Any, **kwargs: Any) -> list[MapResult]:
    async def run() -> list[MapResult]:
        async with AsyncClient(chain(server), limiters=False) as client:
            return [result async for result in client.amap(items, **kwargs)]

    return asyncio.run(run())


def map_all(server: LocalProviderServer, items: Any, **kwargs: Any) -> list[MapResult]:
    with Client(chain(server), limiters=False) as client:
        return list(client.map(items, **kwargs))


RUNNERS = {"sync": map_all, "async": amap_all}


@pytest.mark.parametrize("mode", RUNNERS)
def test_ordered_results_follow_the_input(local_server: LocalProviderServer, mode: str) -> None:
    local_server.enqueue(Route.CHAT, faults.delay(0.3))  # the first request answers last
    results = RUNNERS[mode](local_server, prompts(12), concurrency=4, ordered=True)
    assert [r.custom_id for r in results] == [f"q{i}" for i in range(12)]
    assert [r.response.message.content for r in results] == [f"echo: question {i}" for i in range(12)]
    assert [r.index for r in results] == list(range(12))


@pytest.mark.parametrize("mode", RUNNERS)
def test_unordered_results_come_as_they_complete(local_server: LocalProviderServer, mode: str) -> None:
    local_server.enqueue(Route.CHAT, faults.delay(0.5))  # the first to arrive is slow: the others overtake it
    results = RUNNERS[mode](local_server, prompts(8), concurrency=4)
    ids = [r.custom_id for r in results]
    assert sorted(ids) == sorted(f"q{i}" for i in range(8))
    slow = min(local_server.requests, key=lambda r: r.seq).json["messages"][-1]["content"]
    assert ids[-1] == "q" + slow.split()[-1]
    assert local_server.counters().requests == 8


@pytest.mark.parametrize("mode", RUNNERS)
def test_errors_are_results_not_exceptions(local_server: LocalProviderServer, mode: str) -> None:
    local_server.enqueue(Route.CHAT, faults.error(400))
    items: list[Any] = [{"custom_id": "bad", "prompt": "x"}, {"custom_id": "nothing"}, 42, "a plain prompt"]
    results = {r.custom_id: r for r in RUNNERS[mode](local_server, items, concurrency=1, ordered=True)}
    assert isinstance(results["bad"].error, BadRequestError)
    assert not results["bad"].ok
    assert isinstance(results["nothing"].error, InvalidBatchItemError)
    assert "exactly one of messages, prompt or input" in str(results["nothing"].error)
    assert isinstance(results["2"].error, InvalidBatchItemError)  # no id of its own: its position
    assert results["3"].response.message.content == "echo: a plain prompt"
    assert local_server.counters().requests == 2  # invalid items are never sent


@pytest.mark.parametrize("mode", RUNNERS)
def test_skip_keys_and_duplicates(local_server: LocalProviderServer, mode: str) -> None:
    seen: list[tuple[int, int, int]] = []

    def on_progress(progress: MapProgress) -> None:
        seen.append((progress.done, progress.skipped, progress.duplicates))

    items = [*prompts(6), {"custom_id": "q5", "prompt": "again"}]
    results = RUNNERS[mode](local_server, items, skip={"q0", "q2"}, on_progress=on_progress)
    assert sorted(r.custom_id for r in results) == ["q1", "q3", "q4", "q5"]
    assert [r.response.message.content for r in results if r.custom_id == "q5"] == ["echo: question 5"]
    assert local_server.counters().requests == 4
    assert [done for done, _, _ in seen] == [1, 2, 3, 4]
    assert seen[-1] == (4, 2, 1)


def test_openai_batch_lines_and_embeddings(local_server: LocalProviderServer) -> None:
    items = [
        {"custom_id": "c", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5}},
        {"custom_id": "e", "method": "POST", "url": "/v1/embeddings",
         "body": {"model": "x", "input": ["a", "b"]}},
        {"custom_id": "u", "method": "POST", "url": "/v1/files", "body": {}},
        {"custom_id": "m", "input": "one text"},
    ]  # fmt: skip
    results = {r.custom_id: r for r in amap_all(local_server, items)}
    assert results["c"].response.message.content == "echo: hello"
    sent = local_server.requests_for(Route.CHAT)[0].json
    assert sent["model"] == "gpt-4.1-mini"
    assert sent["max_tokens"] == 5
    assert results["e"].response.count == 2
    assert results["m"].response.count == 1
    assert isinstance(results["u"].error, InvalidBatchItemError)
    assert "/v1/files" in str(results["u"].error)


def test_progress_counts_tokens(local_server: LocalProviderServer) -> None:
    last: list[MapProgress] = []
    results = amap_all(local_server, prompts(5), on_progress=last.append)
    progress = last[-1]
    assert progress.done == 5
    assert progress.failed == 0
    assert progress.in_flight == 0
    assert progress.total_tokens == sum(r.response.usage.total_tokens for r in results) > 0


def test_lazy_input_is_consumed_a_window_at_a_time(local_server: LocalProviderServer) -> None:
    taken: list[int] = []

    def items() -> Any:
        for i in range(50):
            taken.append(i)
            yield f"p{i}"

    async def run() -> list[int]:
        async with AsyncClient(chain(local_server), limiters=False) as client:
            stream = client.amap(items(), concurrency=3)
            await anext(stream)
            await stream.aclose()  # closing early cancels what is in flight
            return list(taken)

    assert len(asyncio.run(run())) <= 4  # three in flight and at most one more after the first answer


def test_concurrency_must_be_positive(local_server: LocalProviderServer) -> None:
    with (
        Client(chain(local_server), limiters=False) as client,
        pytest.raises(ValueError, match="concurrency"),
    ):
        list(client.map(["x"], concurrency=0))
