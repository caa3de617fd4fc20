"""The Responses API dialect over real sockets against the local provider server: the exact JSON sent,
responses and streams read into canonical types, a multi-turn tool loop whose reasoning items go back as
they came, Azure's paths, specs with ``responses_api=True``, recorded bodies and streams replayed, and
errors (scripted faults, in-stream failures) classified."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from openai.types.responses import Response

from corpus_files import load
from modelwire import InternalServerError, RateLimitError
from modelwire.config import ModelSpec
from modelwire.exceptions import StreamInterruptedError
from modelwire.parsing import parse_responses
from modelwire.providers import AzureOpenAIClient, OpenAICompatibleClient, client_from_spec
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.testing.routes_responses import encrypted_for
from modelwire.types import ChatCompletionRequest, ReasoningItem, TextDelta, ToolCallEnd
from modelwire.types.stream import ReasoningDelta, StreamFinish

KEY = "sk-test-openai-0123456789abcdef"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
USER = {"role": "user", "content": "What is the weather in Paris?"}


def client(server: LocalProviderServer, **kw: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(base_url=server.openai_base_url, api_key=KEY, responses_api=True, **kw)


def request(*messages: dict[str, Any], **fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(model="gpt-5", messages=list(messages) or [USER], **fields)


def test_the_exact_json_sent_and_the_answer_read(local_server: LocalProviderServer) -> None:
    with client(local_server) as adapter:
        response = adapter.completion(
            request({"role": "system", "content": "Be brief."}, USER, max_tokens=200, temperature=0.5)
        )
    sent = local_server.last_request
    assert sent.path == "/v1/responses"
    assert sent.json == {
        "model": "gpt-5",
        "instructions": "Be brief.",
        "input": [{"type": "message", "role": "user", "content": "What is the weather in Paris?"}],
        "temperature": 0.5,
        "max_output_tokens": 200,
        "store": False,
    }
    assert response.message.content == "echo: What is the weather in Paris?"
    assert (response.finish_reason, response.choices[0].native_finish_reason) == ("stop", "completed")
    assert response.usage is not None
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.provider == "openai"
    Response.model_validate(orjson.loads(response.body))  # the server answers what the SDK reads


def test_a_tool_loop_sends_reasoning_items_back_as_they_came(local_server: LocalProviderServer) -> None:
    tools = {"tools": [WEATHER], "reasoning_effort": "low"}
    with client(local_server) as adapter:
        first = adapter.completion(request(USER, **tools))
        assert first.finish_reason == "tool_calls"
        [call] = first.message.tool_calls
        [item] = first.message.reasoning_items
        assert item.encrypted_content == encrypted_for(item.id or "")
        history = [
            USER,
            first.message.to_message(),
            {"role": "tool", "tool_call_id": call.id, "content": "Sunny"},
        ]
        second = adapter.completion(request(*history, **tools))
    sent = local_server.last_request.json
    assert sent["include"] == ["reasoning.encrypted_content"]
    assert sent["input"][1:] == [
        {"type": "reasoning", "id": item.id, "summary": [], "encrypted_content": item.encrypted_content},
        {
            "type": "function_call",
            "call_id": call.id,
            "name": "get_weather",
            "arguments": call.arguments_json,
        },
        {"type": "function_call_output", "call_id": call.id, "output": "Sunny"},
    ]
    assert second.message.content == "tool result: Sunny"


def test_altered_reasoning_is_refused_by_the_server(local_server: LocalProviderServer) -> None:
    altered = {
        "role": "assistant",
        "content": "x",
        "reasoning_items": [ReasoningItem("rs_1", [], [], "forged")],
    }
    with client(local_server) as adapter, pytest.raises(Exception, match="could not be verified"):
        adapter.completion(request(USER, altered, USER))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_streaming_folds_the_responses_events(local_server: LocalProviderServer, mode: str) -> None:
    req = request(USER, reasoning_effort="high", tools=[WEATHER], tool_choice="none")

    def run_sync() -> tuple[list[Any], Any]:
        with client(local_server, extra_body={"reasoning": {"effort": "high", "summary": "auto"}}) as adapter:
            stream = adapter.stream(req)
            events = list(stream)
            return events, stream.final_response()

    async def run_async() -> tuple[list[Any], Any]:
        async with client(
            local_server, extra_body={"reasoning": {"effort": "high", "summary": "auto"}}
        ) as adapter:
            stream = adapter.astream(req)
            events = [event async for event in stream]
            return events, await stream.final_response()

    events, final = run_sync() if mode == "sync" else asyncio.run(run_async())
    sent = local_server.last_request.json
    assert (sent["stream"], sent["reasoning"]) == (True, {"effort": "high", "summary": "auto"})
    assert isinstance(events[0], ReasoningDelta)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == final.message.content
    assert final.message.content == "echo: What is the weather in Paris?"
    assert final.message.reasoning_content == "Thinking about the answer."
    assert final.message.reasoning_items[0].encrypted_content is not None
    assert events[-1] == StreamFinish(0, "stop", "completed")


def test_a_streamed_tool_call(local_server: LocalProviderServer) -> None:
    with client(local_server) as adapter:
        stream = adapter.stream(request(USER, tools=[WEATHER]))
        events = list(stream)
        final = stream.final_response()
    [end] = [e for e in events if isinstance(e, ToolCallEnd)]
    assert end.tool_call == final.message.tool_calls[0]
    assert end.tool_call.arguments == {"city": final.message.tool_calls[0].arguments["city"]}
    assert final.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("endpoint", "path", "query"),
    [
        ("", "/openai/responses", {"api-version": "2025-04-01-preview"}),
        ("/openai/deployments/gpt5-prod", "/openai/responses", {"api-version": "2025-04-01-preview"}),
        ("/openai/v1", "/openai/v1/responses", {}),
    ],
)
def test_azure_paths(
    local_server: LocalProviderServer, endpoint: str, path: str, query: dict[str, str]
) -> None:
    version = None if endpoint == "/openai/v1" else "2025-04-01-preview"
    with AzureOpenAIClient(
        base_url=local_server.azure_endpoint + endpoint, api_key=KEY, api_version=version, responses_api=True
    ) as adapter:
        response = adapter.completion(request())
        embedded = adapter.embeddings(__import__("modelwire").EmbeddingRequest(model="emb", inputs=["a"]))
    chat, embeddings = local_server.requests[-2:]
    assert (chat.path, chat.query, chat.header("api-key")) == (path, query, KEY)
    assert response.message.content == "echo: What is the weather in Paris?"
    assert embeddings.path.endswith("/embeddings")  # other operations keep their routes
    assert embedded.count == 1


def test_a_spec_with_responses_api_chats_through_it(local_server: LocalProviderServer) -> None:
    spec = ModelSpec(
        name="openai/gpt-5", api_base=local_server.openai_base_url, api_key=KEY, responses_api=True
    )
    with client_from_spec(spec) as adapter:
        adapter.completion(request())
    assert local_server.last_request.path == "/v1/responses"
    plain = ModelSpec(name="openai/gpt-5", api_base=local_server.openai_base_url, api_key=KEY)
    with client_from_spec(plain) as adapter:
        adapter.completion(request())
    assert local_server.last_request.path == "/v1/chat/completions"


RECORDED_BODY = "openai/responses/vercel-ai__openai-reasoning-encrypted-content.1.json"
RECORDED_STREAM = "openai/responses_stream/llm__test_responses_tool_use_streaming__i0.json"


def test_a_recorded_body_replayed_reads_as_its_parse(local_server: LocalProviderServer) -> None:
    recording = load(RECORDED_BODY)
    local_server.replay(recording, route=Route.RESPONSES)
    with client(local_server) as adapter:
        response = adapter.completion(request())
    assert response == parse_responses(recording.body, "openai")


def test_a_recorded_stream_replayed_folds(local_server: LocalProviderServer) -> None:
    local_server.replay(load(RECORDED_STREAM))
    with client(local_server) as adapter:
        stream = adapter.stream(request())
        events = list(stream)
        final = stream.final_response()
    assert final.message.tool_calls[0].arguments == {"a": 1231, "b": 2331}
    assert final.finish_reason == "tool_calls"
    assert any(isinstance(e, ToolCallEnd) for e in events)


def test_scripted_faults_are_classified(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.RESPONSES, faults.rate_limited(retry_after=2))
    with client(local_server) as adapter, pytest.raises(RateLimitError) as caught:
        adapter.completion(request())
    assert caught.value.retry_after == 2


def test_a_failed_response_body_is_classified(local_server: LocalProviderServer) -> None:
    failed = {"id": "resp_x", "status": "failed", "output": [],
              "error": {"code": "server_error", "message": "The model crashed"}}  # fmt: skip
    local_server.enqueue(Route.RESPONSES, faults.respond(200, failed))
    with client(local_server) as adapter, pytest.raises(InternalServerError, match="The model crashed"):
        adapter.completion(request())


def test_a_failed_event_mid_stream_is_classified(local_server: LocalProviderServer) -> None:
    body = (
        b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","output_index":0,'
        b'"content_index":0,"delta":"Hel"}\n\n'
        b'event: response.failed\ndata: {"type":"response.failed","response":{"status":"failed",'
        b'"error":{"code":"server_error","message":"boom"}}}\n\n'
    )
    local_server.enqueue(
        Route.RESPONSES, faults.respond(200, body, headers={"content-type": "text/event-stream"})
    )
    with client(local_server) as adapter:
        stream = adapter.stream(request())
        with pytest.raises(StreamInterruptedError) as caught:
            list(stream)
    assert isinstance(caught.value.__cause__, InternalServerError)


def test_chat_completions_history_leaves_reasoning_items_out(local_server: LocalProviderServer) -> None:
    """A history from a Responses model sent to a Chat Completions one (a fallback chain) loses the key."""
    item = ReasoningItem("rs_1", ["s"], [], "enc")
    assistant = {"role": "assistant", "content": "x", "reasoning_items": [item.to_dict()]}
    with OpenAICompatibleClient(base_url=local_server.openai_base_url, api_key=KEY) as adapter:
        adapter.completion(request(USER, assistant, USER))
    assert local_server.last_request.json["messages"][1] == {"role": "assistant", "content": "x"}
