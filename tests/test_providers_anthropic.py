"""AnthropicClient over real sockets against the local provider server, sync and async: the exact Messages
body and headers, a tool round trip with signed thinking, parameters Anthropic cannot take, and what the
Messages API does not offer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from modelwire import (
    AuthenticationError,
    ModelwireWarning,
    UnsupportedCapabilityError,
    UnsupportedParamsError,
)
from modelwire.config import ModelSpec
from modelwire.providers import AnthropicClient, ModelClient, client_from_spec, model_id_for
from modelwire.testing import LocalProviderServer
from modelwire.types import (
    ChatCompletionRequest,
    EmbeddingRequest,
    ImageGenerationRequest,
    ThinkingBlock,
    Usage,
)

KEY = "sk-ant-test-0123456789abcdefghij"
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "look something up",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


def _client(server: LocalProviderServer, **kw: Any) -> AnthropicClient:
    kw.setdefault("api_key", KEY)
    return AnthropicClient(base_url=server.anthropic_base_url, **kw)


def _call(mode: str, client: AnthropicClient, *requests: ChatCompletionRequest) -> list[Any]:
    if mode == "sync":
        with client:
            return [client.completion(request) for request in requests]

    async def run() -> list[Any]:
        async with client:
            return [await client.acompletion(request) for request in requests]

    return asyncio.run(run())


@MODES
def test_the_body_and_headers_anthropic_documents(local_server: LocalProviderServer, mode: str) -> None:
    request = ChatCompletionRequest(
        model="claude-sonnet-4-5",
        messages=[
            {"role": "system", "content": "answer briefly"},
            {"role": "user", "content": "what is the capital of France"},
        ],
        temperature=0.2,
        stop="STOP",
        extra_body={"top_k": 5, "metadata": {"user_id": "u1"}},
        extra_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"},
    )
    (response,) = _call(mode, _client(local_server), request)
    sent = local_server.last_request
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.json == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64_000,
        "system": "answer briefly",
        "messages": [{"role": "user", "content": "what is the capital of France"}],
        "temperature": 0.2,
        "stop_sequences": ["STOP"],
        "top_k": 5,
        "metadata": {"user_id": "u1"},
    }
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    assert sent.headers["content-type"] == "application/json"
    assert "authorization" not in sent.headers
    assert response.message.content == "echo: what is the capital of France"
    assert (response.finish_reason, response.choices[0].native_finish_reason) == ("stop", "end_turn")
    assert response.usage == Usage(8, 7, 15, cache_read_tokens=0, cache_write_tokens=0)
    assert response.provider == "anthropic"


def _conversation(mode: str, client: AnthropicClient, turns: Any) -> list[Any]:
    """Run ``turns`` (a generator that yields requests and receives their responses) in one event loop,
    then close the client."""

    def sync() -> list[Any]:
        with client:
            responses: list[Any] = []
            request = next(turns)
            try:
                while True:
                    responses.append(client.completion(request))
                    request = turns.send(responses[-1])
            except StopIteration:
                return responses

    async def run() -> list[Any]:
        async with client:
            responses: list[Any] = []
            request = next(turns)
            try:
                while True:
                    responses.append(await client.acompletion(request))
                    request = turns.send(responses[-1])
            except StopIteration:
                return responses

    return sync() if mode == "sync" else asyncio.run(run())


@MODES
def test_a_tool_round_trip_sends_signed_thinking_back(local_server: LocalProviderServer, mode: str) -> None:
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    first = ChatCompletionRequest(
        model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "find the news"}],
        tools=[LOOKUP],
        tool_choice={"type": "function", "function": {"name": "lookup"}},
        parallel_tool_calls=False,
        max_tokens=2048,
        extra_body=thinking,
    )
    sent: list[Any] = []

    def turns() -> Any:
        answer = yield first
        sent.append(local_server.last_request.json)
        message = answer.message
        call = message.tool_calls[0]
        history = [
            *first.messages,
            message.to_message(),
            {"role": "tool", "tool_call_id": call.id, "content": "42"},
        ]
        yield ChatCompletionRequest(
            model="claude-sonnet-4-5", messages=history, tools=[LOOKUP], extra_body=thinking
        )
        sent.append(local_server.last_request.json)

    answer, final = _conversation(mode, _client(local_server), turns())
    message = answer.message
    assert answer.finish_reason == "tool_calls"
    (call,) = message.tool_calls
    assert (call.name, call.arguments) == ("lookup", {"query": "echo-query"})
    (block,) = message.thinking_blocks
    assert block.thinking == "thinking about: calling lookup"
    assert block.signature
    assert message.reasoning_content == block.thinking
    assert sent[0]["tools"] == [
        {
            "name": "lookup",
            "description": "look something up",
            "input_schema": LOOKUP["function"]["parameters"],  # type: ignore[index]
        }
    ]
    assert sent[0]["tool_choice"] == {"type": "tool", "name": "lookup", "disable_parallel_tool_use": True}
    assert local_server.last_request.json["messages"] == [
        {"role": "user", "content": "find the news"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": block.thinking, "signature": block.signature},
                {"type": "tool_use", "id": call.id, "name": "lookup", "input": {"query": "echo-query"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "42"}]},
    ]
    assert final.message.content == "tool result: 42"
    assert final.message.thinking_blocks == [
        ThinkingBlock("thinking about: tool result: 42", final.message.thinking_blocks[0].signature)
    ]


@MODES
def test_unsupported_parameters_fail_before_anything_is_sent(
    local_server: LocalProviderServer, mode: str
) -> None:
    request = ChatCompletionRequest(
        model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "x"}],
        n=2,
        seed=1,
        presence_penalty=0.5,
        response_format={"type": "json_object"},
    )
    with pytest.raises(UnsupportedParamsError) as caught:
        _call(mode, _client(local_server), request)
    assert caught.value.params == ("response_format", "n", "seed", "presence_penalty")
    assert local_server.requests == []


@MODES
def test_dropping_was_asked_for_so_it_warns_and_sends_the_rest(
    local_server: LocalProviderServer, mode: str
) -> None:
    request = ChatCompletionRequest(
        model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "x"}],
        seed=1,
        logprobs=True,
        temperature=0.5,
    )
    with pytest.warns(ModelwireWarning, match=r"claude-sonnet-4-5\): seed, logprobs") as record:
        (response,) = _call(mode, _client(local_server, drop_params=True), request)
    assert record[0].filename == __file__  # the warning points at the caller
    assert local_server.last_request.json == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 0.5,
    }
    assert response.message.content == "echo: x"


@MODES
def test_embeddings_and_images_are_not_offered(local_server: LocalProviderServer, mode: str) -> None:
    client = _client(local_server)
    assert isinstance(client, ModelClient)
    assert client.supports_chat_completion()
    assert not client.supports_embeddings()
    assert not client.supports_image_generation()
    embed = EmbeddingRequest(model="claude-x", inputs=["a"])
    image = ImageGenerationRequest(model="claude-x", prompt="a cat")
    for operation, request in (("embeddings", embed), ("generate_image", image)):
        method = getattr(client, operation if mode == "sync" else "a" + operation)
        with pytest.raises(UnsupportedCapabilityError) as caught:
            method(request) if mode == "sync" else asyncio.run(method(request))
        assert (caught.value.provider, caught.value.model, caught.value.retryable) == (
            "anthropic",
            "claude-x",
            False,
        )
    client.close()
    assert local_server.requests == []


def test_a_v1_base_url_is_not_doubled_and_the_version_can_be_set(local_server: LocalProviderServer) -> None:
    client = AnthropicClient(
        base_url=local_server.anthropic_base_url + "/v1/", api_key=KEY, api_version="2099-01-01"
    )
    with client:
        client.completion(ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "x"}]))
    assert local_server.last_request.path == "/v1/messages"
    assert local_server.last_request.headers["anthropic-version"] == "2099-01-01"


def test_the_key_is_required_at_anthropic_and_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY"):
        AnthropicClient()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env-0123456789abcdef")
    assert AnthropicClient()._headers["x-api-key"] == "sk-ant-env-0123456789abcdef"


@MODES
def test_from_spec(local_server: LocalProviderServer, mode: str) -> None:
    spec = ModelSpec(
        name="anthropic/claude-haiku-4-5",
        api_base=local_server.anthropic_base_url,
        api_key=KEY,
        extra_params={"temperature": 0.1, "drop_params": True, "seed": 3},
        extra_headers={"anthropic-beta": "context-1m-2025-08-07"},
    )
    client = client_from_spec(spec)
    assert isinstance(client, AnthropicClient)
    request = ChatCompletionRequest(model=model_id_for(spec), messages=[{"role": "user", "content": "x"}])
    with pytest.warns(ModelwireWarning, match="seed"):
        _call(mode, client, request)
    sent = local_server.last_request
    assert sent.json == {
        "model": "claude-haiku-4-5",
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 0.1,
    }
    assert sent.headers["anthropic-beta"] == "context-1m-2025-08-07"
