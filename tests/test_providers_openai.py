"""OpenAICompatibleClient over real sockets against the local provider server, sync and async: the exact
JSON and headers sent, responses parsed to canonical types, keys, request defaults and the image routes."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from modelwire import AuthenticationError, UnsupportedParamsError
from modelwire._redact import MASK, redact
from modelwire.config import ModelSpec
from modelwire.providers import ModelClient, OpenAICompatibleClient, client_from_spec, model_id_for
from modelwire.testing import LocalProviderServer, echo
from modelwire.types import (
    AssistantMessage,
    ChatCompletionRequest,
    EmbeddingRequest,
    ImageGenerationRequest,
    ThinkingBlock,
    ToolCall,
    Usage,
)

KEY = "sk-test-openai-0123456789abcdef"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _client(server: LocalProviderServer, **kw: Any) -> OpenAICompatibleClient:
    kw.setdefault("api_key", KEY)
    return OpenAICompatibleClient(base_url=server.openai_base_url, **kw)


def _call(mode: str, client: OpenAICompatibleClient, operation: str, *requests: Any) -> list[Any]:
    """Send ``requests`` one after another through ``operation`` (``acompletion`` etc. in async mode), then
    close the client, in one event loop."""
    if mode == "sync":
        with client:
            return [getattr(client, operation)(request) for request in requests]

    async def run() -> list[Any]:
        async with client:
            return [await getattr(client, "a" + operation)(request) for request in requests]

    return asyncio.run(run())


def _one(mode: str, client: OpenAICompatibleClient, operation: str, request: Any) -> Any:
    return _call(mode, client, operation, request)[0]


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@MODES
def test_chat_sends_exactly_the_request_and_parses_the_answer(
    local_server: LocalProviderServer, mode: str
) -> None:
    client = _client(local_server, headers={"x-team": "data"})
    request = ChatCompletionRequest(
        model="gpt-4.1-mini",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "weather in Paris"}],
        tools=[WEATHER],
        tool_choice="auto",
        temperature=0.0,
        max_completion_tokens=64,
        stop=["\n\n"],
        timeout=30,
        extra_body={"temperature": 0.5, "metadata": {"run": "7"}},
        extra_headers={"x-request-tag": "t1"},
    )
    response = _one(mode, client, "completion", request)
    sent = local_server.last_request
    assert (sent.method, sent.path, sent.query) == ("POST", "/v1/chat/completions", {})
    assert sent.json == {
        "model": "gpt-4.1-mini",
        "messages": request.messages,
        "tools": [WEATHER],
        "tool_choice": "auto",
        "temperature": 0.5,  # extra_body wins
        "max_completion_tokens": 64,
        "stop": ["\n\n"],
        "metadata": {"run": "7"},
    }
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["user-agent"].startswith("modelwire/")
    assert (sent.headers["x-team"], sent.headers["x-request-tag"]) == ("data", "t1")
    call = response.message.tool_calls[0]
    assert (call.name, call.arguments) == ("get_weather", {"city": "echo-city"})
    assert response.finish_reason == "tool_calls"
    assert response.provider == "openai"
    assert response.usage is not None
    assert response.usage.input_tokens == 5


@MODES
def test_history_loses_only_modelwire_keys_and_the_callers_messages_stay_untouched(
    local_server: LocalProviderServer, mode: str
) -> None:
    answer = AssistantMessage(
        content=None,
        tool_calls=[ToolCall("call_1", "get_weather", '{"city":"Paris"}')],
        thinking_blocks=[ThinkingBlock("hmm", "sig")],
    )
    messages = [
        {"role": "user", "content": "weather?"},
        answer.to_message(),
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                  "data": "iVBORw0KGgo="}}]},
    ]  # fmt: skip
    before = copy.deepcopy(messages)
    client = _client(local_server)
    request = ChatCompletionRequest(model="gpt-4.1-mini", messages=messages)
    _one(mode, client, "completion", request)
    assert messages == before
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    assert local_server.last_request.json["messages"] == [
        messages[0],
        {"role": "assistant", "content": None, "tool_calls": [call]},
        messages[2],
        {"role": "user", "content": [image]},
    ]


@MODES
def test_embeddings_ask_openai_for_base64_and_decode_the_vectors(
    local_server: LocalProviderServer, mode: str
) -> None:
    client = _client(local_server)
    request = EmbeddingRequest(model="text-embedding-3-small", inputs=["alpha", "beta gamma"], dimensions=8)
    response = _one(mode, client, "embeddings", request)
    assert local_server.last_request.path == "/v1/embeddings"
    assert local_server.last_request.json == {
        "model": "text-embedding-3-small",
        "input": ["alpha", "beta gamma"],
        "encoding_format": "base64",
        "dimensions": 8,
    }
    assert response.shape == (2, 8)
    assert response.vectors == [echo.embedding("alpha", 8), echo.embedding("beta gamma", 8)]
    assert response.usage == Usage(3, None, 3)


def test_other_servers_get_the_encoding_the_caller_chose_or_none(local_server: LocalProviderServer) -> None:
    with _client(local_server, provider="vllm") as client:
        client.embeddings(EmbeddingRequest(model="e5", inputs=["x"]))
    assert local_server.last_request.json == {"model": "e5", "input": ["x"]}
    with _client(local_server) as client:
        vectors = client.embeddings(EmbeddingRequest(model="e", inputs=["x"], encoding_format="float"))
    assert local_server.last_request.json["encoding_format"] == "float"
    assert vectors.vectors == [echo.embedding("x", 32)]


@MODES
def test_images_endpoint(local_server: LocalProviderServer, mode: str) -> None:
    client = _client(local_server)
    request = ImageGenerationRequest(model="gpt-image-1", prompt="a red cube", n=2, size="1024x1024")
    response = _one(mode, client, "generate_image", request)
    sent = local_server.last_request
    assert sent.path == "/v1/images/generations"
    assert sent.json == {"model": "gpt-image-1", "prompt": "a red cube", "n": 2, "size": "1024x1024"}
    assert [image.mime_type for image in response.images] == ["image/png", "image/png"]
    assert response.usage is not None
    assert response.usage.generated_images == 2


@MODES
def test_images_on_the_chat_route_when_messages_are_given(
    local_server: LocalProviderServer, mode: str
) -> None:
    client = _client(local_server)
    request = ImageGenerationRequest(
        model="google/gemini-2.5-flash-image",
        prompt="a red cube",
        messages=[{"role": "user", "content": "draw a red cube"}],
        extra_body={"modalities": ["image", "text"]},
    )
    response = _one(mode, client, "generate_image", request)
    sent = local_server.last_request
    assert sent.path == "/v1/chat/completions"
    assert sent.json == {
        "model": "google/gemini-2.5-flash-image",
        "messages": [{"role": "user", "content": "draw a red cube"}],
        "modalities": ["image", "text"],
    }
    assert len(response.images) == 1
    assert response.images[0].mime_type == "image/png"
    assert response.images[0].b64_data
    assert response.images[0].b64_data.startswith("iVBORw0KGgo")


def test_an_empty_message_list_sends_the_prompt(local_server: LocalProviderServer) -> None:
    with _client(local_server) as client:
        client.generate_image(ImageGenerationRequest(model="m", prompt="a cube", messages=[]))
    assert local_server.last_request.json["messages"] == [{"role": "user", "content": "a cube"}]


def test_an_images_endpoint_format_on_the_chat_route_is_refused_before_sending(
    local_server: LocalProviderServer,
) -> None:
    request = ImageGenerationRequest(model="m", prompt="p", messages=[], response_format="b64_json")
    with _client(local_server) as client, pytest.raises(UnsupportedParamsError) as caught:
        client.generate_image(request)
    assert caught.value.params == ("response_format",)
    assert local_server.requests == []


def test_the_key_comes_from_the_providers_variable_and_is_masked(
    local_server: LocalProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The address comes from the provider's own base-URL variable, so its key variable goes with it.
    secret = "sk-env0123456789abcdefXYZ"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("OPENAI_BASE_URL", local_server.openai_base_url)
    with OpenAICompatibleClient(provider="openai") as client:
        client.completion(ChatCompletionRequest(model="gpt-x", messages=[{"role": "user", "content": "x"}]))
    assert local_server.last_request.headers["authorization"] == f"Bearer {secret}"
    assert redact(f"key is {secret}") == f"key is {MASK}"
    assert client.provider_name == "openai"


def test_a_missing_key_is_a_typed_error_naming_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOGETHER_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AuthenticationError) as caught:
        OpenAICompatibleClient(provider="together_ai")
    assert "TOGETHER_API_KEY or TOGETHERAI_API_KEY or TOGETHER_AI_API_KEY" in caught.value.message
    assert caught.value.provider == "together"
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="MY_KEY"):
        OpenAICompatibleClient(provider="openai", api_key_env="MY_KEY")


def test_a_custom_server_never_receives_the_openai_key(
    local_server: LocalProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-0123456789")
    client = OpenAICompatibleClient(provider=None, base_url=local_server.openai_base_url)
    with client, pytest.raises(AuthenticationError):
        client.completion(ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "x"}]))
    assert "authorization" not in local_server.last_request.headers
    assert client.provider_name == "openai_compatible"


def test_local_providers_need_no_key_and_vllm_needs_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    monkeypatch.delenv("OLLAMA_API_BASE", raising=False)
    assert OpenAICompatibleClient(provider="ollama").base_url == "http://localhost:11434/v1"
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    with pytest.raises(ValueError, match="base_url"):
        OpenAICompatibleClient(provider="vllm")


@MODES
def test_from_spec_applies_defaults_headers_and_body(local_server: LocalProviderServer, mode: str) -> None:
    spec = ModelSpec(
        name="openai/gpt-4.1-mini",
        api_base=local_server.openai_base_url,
        api_key=KEY,
        extra_params={"temperature": 0.3, "top_k": 5, "drop_params": True},
        extra_body={"metadata": {"team": "a"}},
        extra_headers={"x-team": "a"},
        max_concurrency=3,
    )
    client = client_from_spec(spec)
    assert isinstance(client, OpenAICompatibleClient)
    assert isinstance(client, ModelClient)
    assert client.drop_params is True
    own = ChatCompletionRequest(
        model=model_id_for(spec), messages=[{"role": "user", "content": "x"}], temperature=1.0,
        extra_body={"top_k": 9},
    )  # fmt: skip
    bare = ChatCompletionRequest(model=model_id_for(spec), messages=[{"role": "user", "content": "x"}])
    _call(mode, client, "completion", own, bare)
    first, second = local_server.requests
    assert first.json == {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 1.0,
        "top_k": 9,
        "metadata": {"team": "a"},
    }
    assert second.json == {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 0.3,
        "top_k": 5,
        "metadata": {"team": "a"},
    }
    assert first.headers["x-team"] == second.headers["x-team"] == "a"
    with client_from_spec(spec) as fresh:
        transport = fresh._sync()
        assert transport.max_connections == 3
        assert (transport.timeouts.connect, transport.timeouts.read, transport.timeouts.pool) == (
            10.0,
            60.0,
            30.0,
        )


def test_model_ids_keep_an_organisation_that_is_not_a_provider() -> None:
    assert model_id_for(ModelSpec(name="groq/llama-3.3-70b")) == "llama-3.3-70b"
    assert (
        model_id_for(ModelSpec(name="meta-llama/Llama-3.1-8B", api_base="http://h/v1"))
        == "meta-llama/Llama-3.1-8B"
    )
    assert (
        model_id_for(ModelSpec(name="openrouter/anthropic/claude-sonnet-4.5"))
        == "anthropic/claude-sonnet-4.5"
    )


def test_default_params_cannot_replace_what_each_request_carries() -> None:
    with pytest.raises(ValueError, match="messages"):
        OpenAICompatibleClient(base_url="http://localhost/v1", default_params={"messages": []})


@pytest.mark.parametrize(
    ("provider", "adapter"), [("anthropic", "AnthropicClient"), ("azure", "AzureOpenAIClient")]
)
def test_providers_with_their_own_api_point_to_their_adapter(provider: str, adapter: str) -> None:
    with pytest.raises(ValueError, match=adapter):
        OpenAICompatibleClient(provider=provider)
    # With an address it is an OpenAI-compatible endpoint that the label only names (issue 18, item 2).
    with OpenAICompatibleClient(provider=provider, base_url="http://localhost/v1", api_key=KEY) as client:
        assert client.provider_name == provider


def test_a_responses_api_spec_chats_through_the_responses_api() -> None:
    spec = ModelSpec(name="openai/o3", api_key=KEY, responses_api=True)
    with client_from_spec(spec) as client:  # tests/test_providers_responses.py sends through it
        assert client.dialect.chat.path == "/responses"
        assert client.dialect.stream is not None
        assert client.dialect.stream.format == "responses"
