"""Streamed structured output on every adapter: partial values as the JSON grows, the validated instance on
the final response, and a streamed answer that fails validation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import modelwire
from modelwire import StructuredOutputError
from modelwire.testing import LocalProviderServer, Route, faults
from structured_support import EACH_ADAPTER, ECHO_PERSON, Adapter, Person, aws_env

__all__ = ["aws_env"]

pytestmark = pytest.mark.usefixtures("aws_env")


def _options(adapter: Adapter, server: LocalProviderServer) -> tuple[str, dict[str, Any]]:
    given = adapter.options(server)
    return given.pop("model"), given


def _grows(partials: list[Any]) -> None:
    """Each partial is a JSON value the next one extends, ending at the whole answer."""
    assert len(partials) >= 2
    final = ECHO_PERSON.model_dump(mode="json")
    assert partials[-1] == final
    for earlier in partials[:-1]:
        assert isinstance(earlier, dict)
        assert earlier != final
        for key, value in earlier.items():
            if isinstance(value, str):
                assert final[key].startswith(value)  # an unfinished string is a prefix of its end
            elif not isinstance(value, dict | list):
                assert final[key] == value


@EACH_ADAPTER
def test_partials_grow_into_the_parsed_instance(adapter: Adapter, local_server: LocalProviderServer) -> None:
    model, options = _options(adapter, local_server)
    with (
        modelwire.Client(model, **options) as client,
        client.stream("Who?", response_format=Person) as stream,
    ):
        partials = list(stream.partials())
        response = stream.final_response()
    _grows(partials)
    assert response.parsed == ECHO_PERSON
    assert local_server.last_request.json is not None
    assert adapter.schema(local_server.last_request.json)["title"] == "Person"


@EACH_ADAPTER
def test_async_partials(adapter: Adapter, local_server: LocalProviderServer) -> None:
    model, options = _options(adapter, local_server)

    async def main() -> tuple[list[Any], Any]:
        async with (
            modelwire.AsyncClient(model, **options) as client,
            client.stream("Who?", response_format=Person) as stream,
        ):
            partials = [p async for p in stream.partials()]
            return partials, (await stream.final_response()).parsed

    partials, parsed = asyncio.run(main())
    _grows(partials)
    assert parsed == ECHO_PERSON


def test_a_streamed_invalid_answer_raises_without_a_re_ask(local_server: LocalProviderServer) -> None:
    chunks = [
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        b'"delta":{"role":"assistant","content":"{\\"name\\": \\"Ada\\""},"finish_reason":null}]}\n\n',
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        b'"delta":{},"finish_reason":"stop"}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    local_server.enqueue(
        Route.CHAT,
        faults.Fault(status=200, headers=(("content-type", "text/event-stream"),), events=tuple(chunks)),
    )
    with (
        modelwire.Client(
            "openai/gpt-4.1-mini", api_base=local_server.openai_base_url, api_key="sk-structured-stream-0001"
        ) as client,
        client.stream("Who?", response_format=Person) as stream,
    ):
        assert list(stream.partials()) == [{"name": "Ada"}]
        with pytest.raises(StructuredOutputError, match="is not a valid Person"):
            stream.final_response()
    assert len(local_server.requests) == 1


def test_partials_need_a_type(local_server: LocalProviderServer) -> None:
    with (
        modelwire.Client(
            "openai/gpt-4.1-mini", api_base=local_server.openai_base_url, api_key="sk-structured-stream-0001"
        ) as client,
        client.stream("Who?") as stream,
        pytest.raises(TypeError, match="response_format"),
    ):
        next(iter(stream.partials()))
