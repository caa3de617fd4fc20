"""BedrockClient over real sockets against the local provider server, sync and async: the exact Converse
body and SigV4 headers, the model id in the path, streaming (AWS event streams), a tool round trip with
signed reasoning, replayed recordings, errors and an exception in the middle of a stream through the
taxonomy, and bedrock/... names routed to it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import orjson
import pytest
from botocore.credentials import Credentials

from corpus_files import recordings
from modelwire import (
    AuthenticationError,
    RateLimitError,
    StreamInterruptedError,
    UnsupportedCapabilityError,
)
from modelwire.config import ModelSpec
from modelwire.parsing import parse_bedrock_converse
from modelwire.providers import client_from_spec, model_id_for
from modelwire.providers.bedrock import BedrockClient
from modelwire.testing import LocalProviderServer
from modelwire.testing.faults import preset
from modelwire.testing.records import Route
from modelwire.testing.routes_bedrock import exception_stream
from modelwire.types import ChatCompletionRequest, EmbeddingRequest, TextDelta, Usage

MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
CREDENTIALS = Credentials("AKIDLOCALTEST0001", "local-secret-key-0123456789abcdefghij")
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _client(server: LocalProviderServer, **kw: Any) -> BedrockClient:
    kw.setdefault("credentials", CREDENTIALS)
    kw.setdefault("region", "us-east-1")
    return BedrockClient(base_url=server.url, **kw)


def _request(**kw: Any) -> ChatCompletionRequest:
    kw.setdefault("messages", [{"role": "user", "content": "hello there"}])
    return ChatCompletionRequest(model=kw.pop("model", MODEL), **kw)


def _call(mode: str, client: BedrockClient, *requests: ChatCompletionRequest) -> list[Any]:
    if mode == "sync":
        with client:
            return [client.completion(request) for request in requests]

    async def run() -> list[Any]:
        async with client:
            return [await client.acompletion(request) for request in requests]

    return asyncio.run(run())


def _stream(mode: str, client: BedrockClient, request: ChatCompletionRequest) -> tuple[list[Any], Any]:
    if mode == "sync":
        with client, client.stream(request) as stream:
            events = list(stream)
            return events, stream.final_response()

    async def run() -> tuple[list[Any], Any]:
        async with client, client.astream(request) as stream:
            events = [event async for event in stream]
            return events, await stream.final_response()

    return asyncio.run(run())


@MODES
def test_the_body_path_and_sigv4_headers(local_server: LocalProviderServer, mode: str) -> None:
    request = _request(max_tokens=50, temperature=0.2, extra_body={"thinking": {"type": "enabled"}})
    (response,) = _call(mode, _client(local_server), request)
    sent = local_server.last_request
    assert sent.path == "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse"
    assert sent.json == {
        "messages": [{"role": "user", "content": [{"text": "hello there"}]}],
        "inferenceConfig": {"maxTokens": 50, "temperature": 0.2},
        "additionalModelRequestFields": {"thinking": {"type": "enabled"}},
    }
    authorization = sent.header("authorization") or ""
    assert re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST0001/\d{8}/us-east-1/bedrock/aws4_request, "
        r"SignedHeaders=[a-z0-9;-]*host;[a-z0-9;-]*x-amz-date, Signature=[0-9a-f]{64}",
        authorization,
    )
    assert response.message.content == "echo: hello there"
    assert response.message.thinking_blocks[0].signature
    assert response.finish_reason == "stop"
    assert response.provider == "bedrock"
    assert response.usage == Usage(2, 8, 10)  # 5 words of thinking, 3 of text


@MODES
def test_a_wrong_region_or_no_signature_is_refused(local_server: LocalProviderServer, mode: str) -> None:
    with pytest.raises(AuthenticationError, match="scoped to a valid region"):
        _call(mode, _client(local_server, region="eu-west-1"), _request())
    local_server.configure(aws_region="eu-west-1")
    (response,) = _call(mode, _client(local_server, region="eu-west-1"), _request())
    assert response.message.content == "echo: hello there"


def test_a_bedrock_api_key_is_a_bearer_token(local_server: LocalProviderServer) -> None:
    (response,) = _call(
        "sync", _client(local_server, credentials=None, api_key="bedrock-key-0123456789"), _request()
    )
    assert local_server.last_request.header("authorization") == "Bearer bedrock-key-0123456789"
    assert response.message.content == "echo: hello there"
    local_server.configure(api_keys=("another-key-0123456789",))
    with pytest.raises(AuthenticationError):
        _call("sync", _client(local_server, credentials=None, api_key="bedrock-key-0123456789"), _request())


@MODES
def test_streaming_a_tool_call_and_sending_the_result_back(
    local_server: LocalProviderServer, mode: str
) -> None:
    client = _client(local_server)
    request = _request(tools=[WEATHER], extra_body={"thinking": {"type": "enabled", "budget_tokens": 1024}})
    events, response = _stream(mode, client, request)
    assert events
    assert local_server.last_request.path.endswith("/converse-stream")
    (call,) = response.message.tool_calls
    assert (call.name, call.arguments) == ("get_weather", {"city": "echo-city"})
    assert response.finish_reason == "tool_calls"
    assert [b.signature is not None for b in response.message.thinking_blocks] == [True]
    history = [*request.messages, response.message.to_message()]
    history.append({"role": "tool", "tool_call_id": call.id, "content": "-3C"})
    (final,) = _call(mode, _client(local_server), _request(messages=history, tools=[WEATHER]))
    assert final.message.content == "tool result: -3C"
    sent = local_server.last_request.json["messages"]
    assert sent[1]["content"][0]["reasoningContent"]["reasoningText"]["signature"]
    assert sent[2]["content"] == [{"toolResult": {"toolUseId": call.id, "content": [{"text": "-3C"}]}}]


@MODES
def test_a_throttling_exception_mid_stream_is_interrupted(
    local_server: LocalProviderServer, mode: str
) -> None:
    local_server.enqueue(Route.CONVERSE, exception_stream("Hello world"))
    with pytest.raises(StreamInterruptedError) as caught:
        _stream(mode, _client(local_server), _request())
    assert isinstance(caught.value.__cause__, RateLimitError)
    assert caught.value.partial is not None
    assert caught.value.partial.message.content == "Hello world"


@MODES
def test_a_throttling_exception_before_any_event_is_a_rate_limit(
    local_server: LocalProviderServer, mode: str
) -> None:
    local_server.enqueue(Route.CONVERSE, exception_stream("", "throttlingException"))
    with pytest.raises(RateLimitError):
        _stream(mode, _client(local_server), _request())


@MODES
def test_error_answers_go_through_the_taxonomy(local_server: LocalProviderServer, mode: str) -> None:
    local_server.enqueue(Route.CONVERSE, preset("rate_limit"))
    with pytest.raises(RateLimitError):
        _call(mode, _client(local_server), _request())


CONVERSE = list(recordings("converse", providers=("bedrock",)))
STREAMS = list(recordings("converse_stream", providers=("bedrock",)))


@pytest.mark.parametrize("recording", CONVERSE[:4], ids=lambda r: r.id)
def test_replayed_converse_bodies_parse_as_the_parser_reads_them(
    local_server: LocalProviderServer, recording: Any
) -> None:
    local_server.replay(recording, route=Route.CONVERSE)
    (response,) = _call("sync", _client(local_server), _request())
    expected = parse_bedrock_converse(recording.body)
    assert response.message == expected.message
    assert response.usage == expected.usage


@pytest.mark.parametrize("recording", STREAMS, ids=lambda r: r.id)
def test_replayed_event_streams_fold_over_the_socket(
    local_server: LocalProviderServer, recording: Any
) -> None:
    local_server.replay(recording, route=Route.CONVERSE)
    events, response = _stream("sync", _client(local_server), _request())
    assert events
    texts = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert texts == (response.message.content or "")
    assert response.usage is not None


def test_bedrock_names_route_to_the_bedrock_client(
    monkeypatch: pytest.MonkeyPatch, local_server: LocalProviderServer
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS.secret_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    spec = ModelSpec(
        name=f"bedrock/{MODEL}", api_base=local_server.url, extra_params={"aws_region_name": "us-east-1"}
    )
    client = client_from_spec(spec)
    assert isinstance(client, BedrockClient)
    assert model_id_for(spec) == MODEL
    assert not client.supports_embeddings()
    assert not client.supports_image_generation()
    with pytest.raises(UnsupportedCapabilityError):
        client.embeddings(EmbeddingRequest(model=MODEL, inputs=["x"]))
    (response,) = _call("sync", client, _request(model=model_id_for(spec)))
    assert response.message.content == "echo: hello there"


def test_an_arn_model_id_is_one_path_segment(local_server: LocalProviderServer) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"
    _call("sync", _client(local_server), _request(model=arn))
    sent = local_server.last_request
    encoded = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.amazon.nova-pro-v1%3A0"
    assert sent.path == f"/model/{encoded}/converse"
    assert sent.model == arn
    assert orjson.loads(sent.body)["messages"][0]["role"] == "user"


def test_async_calls_renew_expiring_credentials_off_the_event_loop(local_server: LocalProviderServer) -> None:
    import datetime
    import threading

    from botocore.credentials import RefreshableCredentials

    threads: list[str] = []

    def refresh() -> dict[str, str]:
        threads.append(threading.current_thread().name)
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)  # always due again
        key = f"AKIDROTATING{len(threads):05d}"
        return {
            "access_key": key,
            "secret_key": CREDENTIALS.secret_key,
            "token": "t",
            "expiry_time": expiry.isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    main = threading.current_thread().name
    (response,) = _call("async", _client(local_server, credentials=credentials), _request())
    assert response.message.content == "echo: hello there"
    assert len(threads) >= 2
    assert threads[0] == main  # the first credentials were made here, by the test
    assert all(name != main for name in threads[1:])  # renewed in a worker thread, not on the loop
    assert "Credential=AKIDROTATING" in (local_server.last_request.header("authorization") or "")
