"""Structured outputs over real sockets, on every adapter: the schema each provider's strict mode gets,
``parsed``, an invalid answer re-asked once, a refusal, and how many re-asks ``structured_retries`` allows."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel

import modelwire
from modelwire import AllModelsExhaustedError, ModelRefusalError, StructuredOutputError
from modelwire.request.schema import anthropic_schema, gemini_schema
from modelwire.testing import LocalProviderServer, Route, answers
from structured_support import ADAPTERS, EACH_ADAPTER, ECHO_PERSON, KEY, Adapter, Person, aws_env

__all__ = ["aws_env"]  # the fixture, used through usefixtures

pytestmark = pytest.mark.usefixtures("aws_env")

FAST = {"initial_retry_delay": 0.0, "max_retry_delay": 0.0}


def _client(adapter: Adapter, server: LocalProviderServer, **options: Any) -> modelwire.Client:
    given = adapter.options(server)
    return modelwire.Client(given.pop("model"), **given, **FAST, **options)


def _async_client(adapter: Adapter, server: LocalProviderServer, **options: Any) -> modelwire.AsyncClient:
    given = adapter.options(server)
    return modelwire.AsyncClient(given.pop("model"), **given, **FAST, **options)


def _expected_schema(adapter: Adapter) -> dict[str, Any]:
    if adapter.name == "anthropic":
        return anthropic_schema(Person.model_json_schema())
    if adapter.name == "gemini":
        return gemini_schema(Person.model_json_schema())
    return to_strict_json_schema(Person)  # the openai SDK's transformation is the oracle


def _invalid(adapter: Adapter) -> Any:
    """A first answer that fails: invalid JSON as text, or (tool mode) tool input of the wrong type."""
    if adapter.tool_mode:
        return answers.tool_call(adapter.dialect, "final_result", {"name": 3}, call_id="toolu_bad")
    return answers.text(adapter.dialect, '{"name": "Ada", "age": ')


@EACH_ADAPTER
def test_the_strict_schema_is_sent_and_the_answer_parsed(
    adapter: Adapter, local_server: LocalProviderServer
) -> None:
    with _client(adapter, local_server) as client:
        response = client.complete("Who is it?", response_format=Person)
    assert response.parsed == ECHO_PERSON
    assert isinstance(response.parsed, Person)
    body = local_server.last_request.json
    assert adapter.schema(body) == _expected_schema(adapter)
    # Every adapter reads as a plain answer, tool mode included.
    assert orjson.loads(response.message.content or "") == ECHO_PERSON.model_dump(mode="json")
    assert response.message.tool_calls == []
    assert response.finish_reason == "stop"


def test_the_openai_bodies_match_the_openai_sdk(local_server: LocalProviderServer) -> None:
    """The whole response_format, as ``client.chat.completions.parse()`` sends it for the same model."""
    import openai

    with _client(ADAPTERS[0], local_server) as client:
        ours = client.complete("Who is it?", response_format=Person)
    sent = local_server.last_request.json["response_format"]
    sdk = openai.OpenAI(base_url=local_server.openai_base_url, api_key=KEY, max_retries=0)
    theirs = sdk.chat.completions.parse(
        model="gpt-4.1-mini", messages=[{"role": "user", "content": "Who is it?"}], response_format=Person
    )
    assert local_server.last_request.json["response_format"] == sent
    assert theirs.choices[0].message.parsed == ours.parsed


@EACH_ADAPTER
def test_a_plain_dict_response_format_is_sent_as_before(
    adapter: Adapter, local_server: LocalProviderServer
) -> None:
    if adapter.tool_mode and adapter.name == "bedrock":
        pytest.skip("Bedrock Converse takes no response_format dict (it raises UnsupportedParamsError)")
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "X", "schema": schema}}
    with _client(adapter, local_server) as client:
        response = client.complete("x?", response_format=fmt)
    assert response.parsed is None
    assert "final_result" not in local_server.last_request.body.decode()


@EACH_ADAPTER
def test_an_invalid_answer_is_re_asked_once(
    adapter: Adapter, local_server: LocalProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    local_server.enqueue(adapter.route, _invalid(adapter))
    with caplog.at_level(logging.INFO, logger="modelwire.policy"), _client(adapter, local_server) as client:
        response = client.complete("Who is it?", response_format=Person)
    assert response.parsed == ECHO_PERSON
    first, second = local_server.requests
    assert b"did not match the required JSON schema" not in first.body
    assert b"did not match the required JSON schema" in second.body
    # The failed answer goes back with the error (a tool result in tool mode), naming what was wrong.
    if adapter.tool_mode:
        assert b"toolu_bad" in second.body
        compact = second.body.replace(b" ", b"")
        assert b'"is_error":true' in compact or b'"status":"error"' in compact  # the call failed
        assert b"name: Input should be a valid string" in second.body
    else:
        assert b'{\\"name\\": \\"Ada\\", \\"age\\": ' in second.body
    (line,) = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert "attempt 1/" in line
    assert "invalid_response" in line
    assert "retrying" in line


def test_the_async_client_re_asks_too(local_server: LocalProviderServer) -> None:
    adapter = ADAPTERS[0]
    local_server.enqueue(adapter.route, _invalid(adapter))

    async def main() -> Any:
        async with _async_client(adapter, local_server) as client:
            return await client.complete("Who is it?", response_format=list[Person])

    assert asyncio.run(main()).parsed == [ECHO_PERSON]
    assert len(local_server.requests) == 2


@EACH_ADAPTER
def test_re_asks_stop_at_structured_retries(adapter: Adapter, local_server: LocalProviderServer) -> None:
    local_server.enqueue(adapter.route, *[_invalid(adapter)] * 4)
    with (
        _client(adapter, local_server, structured_retries=1) as client,
        pytest.raises(StructuredOutputError) as caught,
    ):
        client.complete("Who is it?", response_format=Person)
    assert len(local_server.requests) == 2  # one re-ask, not max_retries (3) of them
    error = caught.value
    assert isinstance(error, modelwire.ResponseValidationError)
    assert error.errors
    assert error.response is not None
    assert "is not a valid Person" in str(error)
    local_server.clear()
    with _client(adapter, local_server) as client, pytest.raises(StructuredOutputError):
        client.complete("Who is it?", response_format=Person, structured_retries=0)
    assert len(local_server.requests) == 1


def test_a_chain_records_every_structured_failure(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, *[answers.text("openai", "not json")] * 4)
    models = [f"openai/{m}" for m in ("gpt-4.1-mini", "gpt-4.1")]
    with (
        modelwire.Client(
            models, api_base=local_server.openai_base_url, api_key=KEY, structured_retries=1, **FAST
        ) as client,
        pytest.raises(AllModelsExhaustedError) as caught,
    ):
        client.complete("Who is it?", response_format=Person)
    records = caught.value.attempts
    assert [(r.model, r.attempt, r.kind) for r in records] == [
        ("openai/gpt-4.1-mini", 1, modelwire.ErrorKind.INVALID_RESPONSE),
        ("openai/gpt-4.1-mini", 2, modelwire.ErrorKind.INVALID_RESPONSE),
        ("openai/gpt-4.1", 1, modelwire.ErrorKind.INVALID_RESPONSE),
        ("openai/gpt-4.1", 2, modelwire.ErrorKind.INVALID_RESPONSE),
    ]
    assert all(isinstance(r.exception, StructuredOutputError) for r in records)
    # The re-ask stays with its model: the second model's first request is the original conversation.
    assert [b"did not match" in r.body for r in local_server.requests] == [False, True, False, True]


@EACH_ADAPTER
def test_a_refusal_is_a_model_refusal_error(adapter: Adapter, local_server: LocalProviderServer) -> None:
    local_server.enqueue(adapter.route, answers.refusal(adapter.dialect))
    with _client(adapter, local_server) as client, pytest.raises(ModelRefusalError) as caught:
        client.complete("Who is it?", response_format=Person)
    assert caught.value.finish_reason in ("refusal", "content_filter", "stop")
    assert len(local_server.requests) == 1  # a one-model chain has nowhere else to go
    local_server.enqueue(adapter.route, answers.refusal(adapter.dialect))
    with _client(adapter, local_server, on_refusal="return") as client:
        response = client.complete("Who is it?", response_format=Person)
    assert response.parsed is None


def test_a_tool_call_of_the_callers_own_leaves_parsed_unset(local_server: LocalProviderServer) -> None:
    weather = {
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
    }
    with _client(ADAPTERS[0], local_server) as client:
        response = client.complete("Weather?", response_format=Person, tools=[weather])
    assert response.message.tool_calls[0].name == "get_weather"
    assert response.parsed is None


class Wrapped(BaseModel):
    value: int


def test_a_non_object_root_is_wrapped_and_unwrapped(local_server: LocalProviderServer) -> None:
    with _client(ADAPTERS[0], local_server) as client:
        response = client.complete("n?", response_format=list[Wrapped])
    schema = local_server.last_request.json["response_format"]["json_schema"]
    assert schema["name"] == "list"
    assert schema["schema"]["required"] == ["result"]
    assert schema["schema"]["properties"]["result"]["type"] == "array"
    assert response.parsed == [Wrapped(value=1)]


def test_a_response_format_that_is_not_a_type_is_a_type_error(local_server: LocalProviderServer) -> None:
    with _client(ADAPTERS[0], local_server) as client:
        with pytest.raises(TypeError, match="neither a JSON schema dict nor a type"):
            client.complete("x", response_format=Person(**ECHO_PERSON.model_dump()))
        with pytest.raises(ValueError, match="structured_retries"):
            client.complete("x", response_format=Person, structured_retries=-1)
    with pytest.raises(ValueError, match="structured_retries"):
        modelwire.Client("openai/gpt-4.1-mini", api_key=KEY, structured_retries="2")
    assert local_server.requests == []
