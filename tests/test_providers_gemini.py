"""GeminiClient and VertexClient over real sockets against the local provider server, sync and async: the
exact generateContent body and headers, streaming, embeddings, a tool loop whose thought signatures
round-trip (the server refuses an unsigned Gemini 3 call, as Google does), Vertex bearer tokens refreshed
by their credentials, RetryInfo on 429, scripted faults, replayed recordings, routing from specs."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from modelwire import (
    ContentPolicyError,
    ModelwireWarning,
    OverloadedError,
    RateLimitError,
    UnsupportedCapabilityError,
)
from modelwire.config import ModelSpec
from modelwire.providers import GeminiClient, VertexClient, client_from_spec, model_id_for
from modelwire.providers.google_auth import VertexAuth
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.types import ChatCompletionRequest, EmbeddingRequest, ImageGenerationRequest, Usage
from modelwire.types.stream import TextDelta, ToolCallEnd

KEY = "AIzaTEST-0123456789abcdefghijklmnop"
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "look something up",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


def _gemini(server: LocalProviderServer, **kw: Any) -> GeminiClient:
    kw.setdefault("api_key", KEY)
    return GeminiClient(base_url=server.gemini_base_url, **kw)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1)

    def __call__(self) -> dt.datetime:
        return self.now


class Credentials:
    """Hands out tok-<n>, each valid for an hour of the clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.token, self.expiry, self.refreshes = clock, None, None, 0

    def refresh(self, request: Any) -> None:
        self.refreshes += 1
        self.token = f"tok-{self.refreshes}"
        self.expiry = self.clock() + dt.timedelta(hours=1)


def _vertex(server: LocalProviderServer, clock: Clock | None = None, **kw: Any) -> tuple[VertexClient, Any]:
    clock = clock or Clock()
    credentials = Credentials(clock)
    client = VertexClient(
        base_url=server.vertex_base_url, credentials=VertexAuth(credentials, clock=clock), **kw
    )
    return client, credentials


def _run(mode: str, client: Any, call: Any) -> Any:
    """``call(client)`` (sync) or ``await call(client)`` with the async methods, in one event loop."""
    if mode == "sync":
        with client:
            return call(client, False)

    async def run() -> Any:
        async with client:
            return await call(client, True)

    return asyncio.run(run())


def _complete(*requests: ChatCompletionRequest) -> Any:
    def call(client: Any, is_async: bool) -> Any:
        if not is_async:
            return [client.completion(r) for r in requests]

        async def gather() -> list[Any]:
            return [await client.acompletion(r) for r in requests]

        return gather()

    return call


@MODES
def test_the_body_and_headers_gemini_documents(local_server: LocalProviderServer, mode: str) -> None:
    request = ChatCompletionRequest(
        model="gemini-2.5-flash",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "capital of France"},
        ],
        temperature=0.2,
        max_tokens=64,
        stop="STOP",
        extra_body={
            "top_k": 5,
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}],
        },
    )
    (response,) = _run(mode, _gemini(local_server), _complete(request))
    sent = local_server.last_request
    assert (sent.method, sent.path) == ("POST", "/v1beta/models/gemini-2.5-flash:generateContent")
    assert sent.json == {
        "contents": [{"role": "user", "parts": [{"text": "capital of France"}]}],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "generationConfig": {"temperature": 0.2, "maxOutputTokens": 64, "stopSequences": ["STOP"], "topK": 5},
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}],
    }
    assert sent.headers["x-goog-api-key"] == KEY
    assert "authorization" not in sent.headers
    assert response.message.content == "echo: capital of France"
    assert (response.finish_reason, response.choices[0].native_finish_reason) == ("stop", "STOP")
    assert response.usage == Usage(5, 4, 9)
    assert response.provider == "gemini"
    assert response.model == "gemini-2.5-flash"


@MODES
def test_a_gemini_3_tool_loop_sends_the_thought_signature_back(
    local_server: LocalProviderServer, mode: str
) -> None:
    thinking = {"generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    first = ChatCompletionRequest(
        model="gemini-3-pro-preview",
        messages=[{"role": "user", "content": "find the news"}],
        tools=[LOOKUP],
        extra_body=thinking,
    )

    def call(client: Any, is_async: bool) -> Any:
        async def loop() -> list[Any]:
            answer = await client.acompletion(first) if is_async else client.completion(first)
            history = [
                *first.messages,
                answer.message.to_message(),
                *(
                    {"role": "tool", "tool_call_id": c.id, "content": '{"news": "none"}'}
                    for c in answer.message.tool_calls
                ),
            ]
            second = ChatCompletionRequest(
                model=first.model, messages=history, tools=[LOOKUP], extra_body=thinking
            )
            final = await client.acompletion(second) if is_async else client.completion(second)
            return [answer, final]

        return loop() if is_async else asyncio.run(loop())

    answer, final = _run(mode, _gemini(local_server), call)
    (tool_call,) = answer.message.tool_calls
    assert (tool_call.name, tool_call.arguments) == ("lookup", {"query": "echo-query"})
    assert answer.message.reasoning_content == "thinking about: calling lookup"
    signature = answer.message.thinking_blocks[-1].signature
    assert signature
    sent = local_server.requests[-1].json
    model_turn = sent["contents"][1]
    assert model_turn["role"] == "model"
    assert model_turn["parts"][-1] == {
        "functionCall": {"name": "lookup", "args": {"query": "echo-query"}},
        "thoughtSignature": signature,
    }
    assert sent["contents"][2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "lookup", "response": {"news": "none"}}}],
    }
    assert final.message.content == 'tool result: {"news":"none"}'


def test_an_unsigned_gemini_3_call_is_refused_as_google_does(local_server: LocalProviderServer) -> None:
    history = [
        {"role": "user", "content": "find"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "x"},
    ]  # fmt: skip
    with _gemini(local_server) as client, pytest.raises(Exception, match="thought_signature") as info:
        client.completion(ChatCompletionRequest(model="gemini-3-pro-preview", messages=history))
    assert info.value.status_code == 400


@MODES
def test_streaming_folds_to_the_plain_answer(local_server: LocalProviderServer, mode: str) -> None:
    request = ChatCompletionRequest(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "one two three"}]
    )

    def call(client: Any, is_async: bool) -> Any:
        async def collect() -> tuple[list[Any], Any, Any]:
            plain = await client.acompletion(request) if is_async else client.completion(request)
            if is_async:
                async with client.astream(request) as stream:
                    events = [event async for event in stream]
                    return events, await stream.final_response(), plain
            with client.stream(request) as stream:
                events = list(stream)
                return events, stream.final_response(), plain

        return collect() if is_async else asyncio.run(collect())

    events, streamed, plain = _run(mode, _gemini(local_server), call)
    assert local_server.last_request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert local_server.last_request.query == {"alt": "sse"}
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "echo: one two three"
    assert len([e for e in events if isinstance(e, TextDelta)]) == 4
    assert streamed.message.content == plain.message.content
    assert streamed.usage == plain.usage
    assert streamed.finish_reason == "stop"


def test_a_streamed_tool_call_arrives_whole(local_server: LocalProviderServer) -> None:
    request = ChatCompletionRequest(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "look"}],
        tools=[LOOKUP],
        tool_choice="required",
    )
    with _gemini(local_server) as client, client.stream(request) as stream:
        ends = [e for e in stream if isinstance(e, ToolCallEnd)]
    assert [(e.tool_call.name, e.tool_call.arguments) for e in ends] == [("lookup", {"query": "echo-query"})]
    assert local_server.last_request.json["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


@MODES
def test_embeddings_gemini_batch_and_vertex_predict(local_server: LocalProviderServer, mode: str) -> None:
    request = EmbeddingRequest(model="gemini-embedding-001", inputs=["a b", "c"], dimensions=8)

    def call(client: Any, is_async: bool) -> Any:
        return client.aembeddings(request) if is_async else client.embeddings(request)

    gemini = _run(mode, _gemini(local_server), call)
    assert local_server.last_request.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert gemini.shape == (2, 8)
    vertex = _run(mode, _vertex(local_server)[0], call)
    sent = local_server.last_request
    assert sent.path.endswith("/publishers/google/models/gemini-embedding-001:predict")
    assert sent.json == {
        "instances": [{"content": "a b"}, {"content": "c"}],
        "parameters": {"outputDimensionality": 8},
    }
    assert vertex.shape == (2, 8)
    assert vertex.vectors == gemini.vectors  # the echo server's vectors depend on the text only
    assert vertex.usage == Usage(3, None, 3)


@MODES
def test_vertex_requests_carry_a_bearer_token_refreshed_before_expiry(
    local_server: LocalProviderServer, mode: str
) -> None:
    clock = Clock()
    client, credentials = _vertex(local_server, clock)
    request = ChatCompletionRequest(model="gemini-2.5-pro", messages=[{"role": "user", "content": "hi"}])

    def call(client: Any, is_async: bool) -> Any:
        async def three() -> list[Any]:
            out = []
            for minutes in (0, 30, 58):  # the last is inside the five-minute margin: a new token first
                clock.now = dt.datetime(2026, 1, 1) + dt.timedelta(minutes=minutes)
                out.append(await client.acompletion(request) if is_async else client.completion(request))
            return out

        return three() if is_async else asyncio.run(three())

    responses = _run(mode, client, call)
    sent = local_server.requests[-3:]
    assert [r.headers["authorization"] for r in sent] == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert credentials.refreshes == 2
    assert sent[0].path == (
        "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent"
    )
    assert "x-goog-api-key" not in sent[0].headers
    assert responses[0].provider == "vertex_ai"


def test_a_429_carries_retry_info_that_the_error_reads(local_server: LocalProviderServer) -> None:
    local_server.set_rate_limit(0.5, burst=1, retry_after="none")
    request = ChatCompletionRequest(model="gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}])
    with _gemini(local_server) as client:
        client.completion(request)
        with pytest.raises(RateLimitError) as info:
            client.completion(request)
    error = info.value
    assert error.status_code == 429
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 2
    assert error.provider_code == "RESOURCE_EXHAUSTED"


def test_scripted_faults_and_a_blocked_prompt(local_server: LocalProviderServer) -> None:
    request = ChatCompletionRequest(model="gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}])
    local_server.enqueue(Route.GENERATE_CONTENT, faults.preset("overloaded"))
    blocked = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 1}}
    local_server.enqueue(Route.GENERATE_CONTENT, faults.respond(200, blocked))
    with _gemini(local_server) as client:
        with pytest.raises(OverloadedError) as overloaded:
            client.completion(request)
        assert overloaded.value.status_code == 503
        with pytest.raises(ContentPolicyError, match=r"blocked \(SAFETY\)"):
            client.completion(request)
        assert client.completion(request).message.content == "echo: hi"


def test_a_replayed_recording_streams_through_the_client(local_server: LocalProviderServer) -> None:
    recording = "gemini/stream_generate_content/pydantic-ai__test_google_model_stream__i0.json"
    from corpus_files import CORPUS_DIR

    local_server.replay(str(CORPUS_DIR / recording))
    request = ChatCompletionRequest(model="gemini-2.0-flash-exp", messages=[{"role": "user", "content": "q"}])
    with _gemini(local_server) as client, client.stream(request) as stream:
        text = "".join(e.text for e in stream if isinstance(e, TextDelta))
        final = stream.final_response()
    assert text == "The capital of France is Paris.\n"
    assert final.usage == Usage(13, 8, 21)


def test_unsupported_params_are_dropped_with_a_warning(local_server: LocalProviderServer) -> None:
    request = ChatCompletionRequest(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "hi"}],
        tools=[LOOKUP],
        tool_choice="none",
        parallel_tool_calls=False,
    )
    with (
        _gemini(local_server, drop_params=True) as client,
        pytest.warns(ModelwireWarning, match="parallel_tool_calls"),
    ):
        client.completion(request)
    assert "parallel_tool_calls" not in local_server.last_request.body.decode()
    with _gemini(local_server) as client, pytest.raises(UnsupportedCapabilityError):
        client.generate_image(ImageGenerationRequest(model="imagen", prompt="x"))


def test_specs_route_gemini_and_vertex_natively(
    local_server: LocalProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ModelSpec(name="gemini/gemini-2.5-flash", api_base=local_server.gemini_base_url, api_key=KEY)
    client = client_from_spec(spec)
    assert isinstance(client, GeminiClient)
    with client:
        client.completion(
            ChatCompletionRequest(model=model_id_for(spec), messages=[{"role": "user", "content": "x"}])
        )
    assert local_server.last_request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    vertex_spec = ModelSpec(
        name="vertex_ai/gemini-2.5-pro",
        extra_params={"vertex_project": "proj-1", "vertex_location": "global", "temperature": 0.5},
    )
    vertex = client_from_spec(vertex_spec, credentials=VertexAuth(Credentials(Clock()), clock=Clock()))
    assert isinstance(vertex, VertexClient)
    assert (
        vertex.base_url
        == "https://aiplatform.googleapis.com/v1/projects/proj-1/locations/global/publishers/google/models"
    )
    assert model_id_for(vertex_spec) == "gemini-2.5-pro"
    vertex.close()
